"""Error analysis: put each wrong or weak answer into categories, each with a reason, and find the
training examples closest to the failing questions of each category."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tunelab.data.quality.dedup import near_questions
from tunelab.data.retrieval import BM25, Hit
from tunelab.data.split import drop_leaked
from tunelab.data.templates import Example
from tunelab.data.text import (
    FUNCTION_WORDS,
    common_words,
    content_words,
    looping_phrase,
    repeated_sentence,
    words,
)
from tunelab.evaluate.spelling import FIELD_WORDS, misspellings
from tunelab.section import Section

CATEGORIES = [
    "hallucination",
    "other_value",
    "missed_facts",
    "not_refused",
    "refused",
    "empty",
    "cut_off",
    "too_long",
    "repetitive",
    "misspelling",
    # The answer strays from the question; not a test row marked "kind": "off_topic" (a question
    # to refuse), whose answers not_refused and refused judge.
    "off_topic_answer",
]


class AnalysisConfig(Section):
    """Thresholds of each category; an answer to a question without facts is analysed below
    `weak_f1` token F1."""

    weak_f1: float = 0.5
    too_long_ratio: float = 3.0
    """Answer words over reference words past which an answer is too long."""
    min_long_words: int = 30
    """A shorter answer is never too long, whatever the ratio."""
    max_words: int = 400
    """Too long whatever the reference."""
    ngram: int = 4
    ngram_repeats: int = 3
    offtopic_overlap: float = 0.15
    examples_per_category: int = 2
    similar_training: int = 3


@dataclass
class Analysis:
    """The categories of each analysed row, and each weak row's own closest training examples
    (ranked over all of a category's failing questions together, the words they shared, "model",
    "run", won: the list was close to none of them)."""

    rows: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    examples: int = 2  # rows shown per category in the reports (examples_per_category)
    closest: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by index in rows
    # Whether training data was given: then a weak row with no closest row is one the data says
    # nothing related to, which the reports say (`NO_CLOSEST`); without it, nothing could be.
    training_known: bool = False
    trained: bool = True  # the answers are of a model that data trained (`analyse`)


NO_CLOSEST = "none shares its topic words (add data)"


def names_facts(row: dict[str, Any]) -> bool:
    """Whether a scored row's test row names facts or wrong answers; the other-value check, which
    its reference alone gives, names none."""
    return any(key != "other_value" for key in row.get("facts", {}))


def by_wording(analysis: Analysis) -> str:
    """What the categories of a test set without facts stand on, to say beside their count; ""
    where a row names facts. "No answer falls in an error category" read as a model that knew its
    facts, of answers that gave each fact another value in the reference's words."""
    if any(names_facts(row) for row in analysis.rows):
        return ""
    return (
        "judged by wording alone: no test row names its facts, so an answer in the reference's "
        'words with another fact ("uses port 80" for "uses port 8443") counts as right, unless '
        'it gives a setting or a count another number (other_value: "weighs 2400 grams" for '
        '"weighs 640 grams"); `tunelab data facts TEST -o TEST_WITH_FACTS.jsonl` proposes them'
    )


def is_weak(row: dict[str, Any], cfg: AnalysisConfig) -> bool:
    """A row whose facts are known is weak when it misses one, states a wrong one or gives what
    is asked another value than its reference (`stated_wrong`); without facts, when it is neither
    a normalized match nor close in token F1 (at `weak_f1` it is close: the F1 at which tunelab
    calls an answer right)."""
    if row.get("missed_facts") or stated_wrong(row):
        return True
    if refusal := row.get("refusal"):  # a test row marked off-topic, or one beside them
        if refusal["off_topic"] != refusal["refused"]:
            return True
        if refusal["off_topic"]:
            return False
    # Facts say more than word overlap: an answer that states them all is right in other words.
    if "fact_accuracy" in row.get("facts", {}):
        return False
    scores = row["scores"]
    return not scores.get("normalized_match") and scores.get("token_f1", 0.0) < cfg.weak_f1


def fact_errors(row: dict[str, Any]) -> list[tuple[str, str]]:
    """What an answer got wrong of its facts, as (category, note): the notes the error report
    gives the row both in its category and in its row-by-row list of facts."""
    found = []
    if row.get("wrong_stated"):
        found.append(("hallucination", "states a wrong answer: " + ", ".join(row["wrong_stated"])))
    if row.get("other_value_stated"):
        found.append(
            ("other_value", "gives another value: " + ", ".join(row["other_value_stated"]))
        )
    if row.get("missed_facts"):
        found.append(("missed_facts", "does not state: " + "; ".join(missed_with_data(row))))
    return found


def refusal_errors(row: dict[str, Any]) -> list[tuple[str, str]]:
    """An off-topic question answered, or an on-topic one refused, where rows are marked."""
    found = []
    refusal = row.get("refusal") or {}
    if refusal.get("off_topic") and not refusal["refused"]:
        found.append(("not_refused", "answers a question the test set marks off-topic"))
    if refusal and not refusal["off_topic"] and refusal["refused"]:
        found.append(("refused", "gives the off-topic refusal to an on-topic question"))
    return found


def stated_wrong(row: dict[str, Any]) -> bool:
    """Whether an answer states something its row says is false: a named wrong answer
    (hallucination) or another value for what is asked (other_value)."""
    return bool(row.get("wrong_stated") or row.get("other_value_stated"))


def missed_with_data(row: dict[str, Any]) -> list[str]:
    """A row's missed facts, each with how many training answers state it where that is known."""
    taught = row.get("missed_facts_taught")
    if taught is None:
        return list(row["missed_facts"])
    return [
        f"{fact} (a pattern: not looked up in the training answers)"
        if n is None
        else f"{fact} (in {n} training answer{'s' if n > 1 else ''})"
        if n
        else f"{fact} (in no training answer)"
        for fact, n in zip(row["missed_facts"], taught)
    ]


def count_taught(rows: list[dict[str, Any]], training: list[Example]) -> dict[int, list[int]]:
    """Mark each row's missed facts with how many training answers state them (in place): a fact
    the data states and the model missed was not learned; one it never states was never taught.
    Returns, by index in rows, the training rows that state one of its missed facts."""
    from tunelab.evaluate.facts import stated_in

    def alternatives(row: dict[str, Any]) -> list[list[str]]:
        return row.get("missed_fact_alternatives") or [[f] for f in row.get("missed_facts") or []]

    # A regex fact ("re:not supported") matches answers about other things too: it is not looked
    # up, and a fact of regexes alone is counted as neither taught nor untaught.
    def plain(fact: list[str]) -> list[str]:
        return [alt for alt in fact if not alt.startswith("re:")]

    phrases = [alt for row in rows for fact in alternatives(row) for alt in plain(fact)]
    taught = stated_in(phrases, [ex.answer for ex in training]) if training and phrases else None
    stating: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        row.pop("missed_facts_taught", None)
        if taught is not None and row.get("missed_facts"):
            per_fact = [
                set().union(*(taught[alt] for alt in plain(fact))) for fact in alternatives(row)
            ]
            row["missed_facts_taught"] = [
                len(found) if plain(fact) else None
                for fact, found in zip(alternatives(row), per_fact)
            ]
            stating[i] = sorted(set().union(*per_fact))
    return stating


def repeated(answer: str, cfg: AnalysisConfig) -> str | None:
    """Why an answer counts as repetitive, or None: a sentence said twice or an n-gram said often."""
    if again := repeated_sentence(answer):
        sentence, times = again
        return f"the sentence {sentence.lower()[:60]!r} appears {times} times"
    if loop := looping_phrase(answer, cfg.ngram, cfg.ngram_repeats):
        phrase, times = loop
        return f"{phrase!r} repeats {times} times"
    return None


def cut_off(tokens: int | None, short: bool, taught: str = "long") -> str:
    """Why an answer was cut off, with what to do: a limit below the reference's length
    (`short`) is raised (eval's `max_new_tokens`); an answer already past it runs on, as long
    training answers teach (`taught`), and shorter ones teach it to stop. A model that no run
    taught ("none") has no training answers to shorten (a newcomer's first eval, of the base
    model, was told to); a run taught a "short" answer, no longer than the reference, trains
    longer."""
    said = f"no end-of-sequence within {tokens} tokens"
    if not tokens:  # a row of another tool's, without its count
        return said
    raise_it = f"raise eval's max_new_tokens (--max-new-tokens {2 * tokens})"
    if short:
        return f"{said}, short of the reference's length: {raise_it}"
    if taught == "short":  # 12 steps on 9-word answers were told to shorten them
        return (
            f"{said}, past the reference's length, as its training answers are not: train longer "
            f"(more steps or epochs) so it learns to stop (or {raise_it} if it is right so far)"
        )
    if taught == "none":
        return (
            f"{said}, past the reference's length: finetuning it on answers as short as the "
            f"reference teaches it to stop (or {raise_it} if it is right so far)"
        )
    return (
        f"{said}, past the reference's length: shorten the training answers so it learns to "
        f"stop (or {raise_it} if it is right so far)"
    )


def categorize(
    row: dict[str, Any], known: set[str], context: str, cfg: AnalysisConfig, taught: str = "long"
) -> list[dict[str, str]]:
    """Each category that fits one answer, with the reason; `context` is retrieved training text,
    `taught` the answers' length a run of this model trained on (`cut_off`)."""
    answer, reference = row["answer"], row["reference"]
    found = fact_errors(row) + refusal_errors(row)
    if not answer.strip():
        found.append(("empty", "the model produced no text"))
        return [{"category": c, "reason": r} for c, r in found]
    n_answer, n_ref = len(words(answer)), max(len(words(reference)), 1)
    if row.get("finish_reason") == "length":
        cut = cut_off(row.get("completion_tokens"), n_answer < n_ref, taught)
        found.append(("cut_off", cut))
    if n_answer > cfg.max_words or (
        n_answer >= cfg.min_long_words and n_answer > cfg.too_long_ratio * n_ref
    ):
        found.append(("too_long", f"{n_answer} words vs {n_ref} in the reference"))
    why = repeated(answer, cfg)
    if why:
        found.append(("repetitive", why))
    bad = misspellings(row, known | set(content_words(row["question"] + " " + reference)))
    if bad:
        found.append(("misspelling", "unknown words: " + ", ".join(bad[:5])))
    # On topic means about the question or the reference: a long answer that talks about the
    # question's subject shares few words with a one-word reference and is still on topic.
    # An answer without content words ("Yes.") cannot be judged.
    topic = overlap(answer, row["question"] + " " + reference)
    data_overlap = overlap(answer, context)
    refused = (row.get("refusal") or {}).get("refused")  # a refusal is meant to be off topic
    if (
        content_words(answer)
        and not refused
        and topic < cfg.offtopic_overlap
        and data_overlap < cfg.offtopic_overlap
    ):
        where = f", {data_overlap:.0%} in the closest training examples" if context else ""
        found.append(
            (
                "off_topic_answer",
                f"{topic:.0%} of its content words are in the question or reference{where}",
            )
        )
    return [{"category": c, "reason": r} for c, r in found]


def analyse(
    rows: list[dict[str, Any]],
    training: list[Example] | None = None,
    cfg: AnalysisConfig | None = None,
    trained: bool = True,
) -> Analysis:
    """Categorize every weak row in place (row['errors']) and retrieve training data per category;
    `trained`: the answers are a finetuned run's, not a model's that `training` never taught."""
    cfg = cfg or AnalysisConfig()
    training_known = bool(training)
    # Training drops the rows that ask a test question (leaks): they taught nothing, so they are
    # neither counted as teaching a fact nor shown as the closest training examples.
    tests = [Example.qa(row["question"]) for row in rows]
    training, _ = drop_leaked(training or [], tests, near_questions)
    texts = [f"{ex.question}\n{ex.answer}" for ex in training]
    index = BM25(texts) if texts else None
    # A training row that shares only these with a question is no closer to it than any other.
    untopical = FUNCTION_WORDS | (common_words(index.df, len(texts)) if index else frozenset())
    # The domain's word list: the training data, every test question and reference, and the
    # field's own words, so "dataset" in an answer is not a misspelling.
    asked = (f"{r['question']} {r['reference']}" for r in rows)
    known = {w for t in (*texts, *asked) for w in content_words(t)} | FIELD_WORDS
    stating = count_taught(rows, training)
    closest: dict[int, list[dict[str, Any]]] = {}
    for i, row in enumerate(rows):
        row["errors"] = []
        if not is_weak(row, cfg):
            continue
        hits = closest_training(index, row, stating.get(i, []), cfg.similar_training, untopical)
        # What the data says on the question's subject that the answer says too: a fact of the
        # same product mixed up ("It lasts 2 hours." asked its charging time) is wrong, not
        # off topic.
        echoed = (
            index.top(f"{row['question']} {row['answer']}", cfg.similar_training) if index else []
        )
        context = " ".join(texts[h.index] for h in [*hits, *echoed])
        # The closest training answer (its fact's, where one states it) no longer than the
        # reference taught it to stop there; a farther one is another fact's answer.
        short = bool(hits) and len(words(training[hits[0].index].answer)) <= len(
            words(row["reference"])
        )
        taught = ("short" if short else "long") if trained else "none"
        row["errors"] = categorize(row, known, context, cfg, taught)
        closest[i] = [
            {
                "question": training[h.index].question,
                "answer": training[h.index].answer,
                "source": training[h.index].source,
                "score": round(h.score, 2),
            }
            for h in hits
        ]
    counts = Counter(e["category"] for row in rows for e in row["errors"])
    result = Analysis(
        rows,
        {c: counts[c] for c in CATEGORIES if counts[c]},
        examples=cfg.examples_per_category,
        closest=closest,
        training_known=training_known,
        trained=trained,
    )
    return result


def closest_training(
    index: BM25 | None,
    row: dict[str, Any],
    stating: list[int],
    k: int,
    untopical: frozenset[str],
) -> list[Hit]:
    """The k training rows to fix or add data at: first those that state a fact the answer
    missed (the data that taught it), then the best BM25 matches of the question with its
    reference answer; the question alone matched on the product's name ("How quickly does the
    Z3 recharge fully?" got the rows about its price). A match must share a word with them that
    is not `untopical` (a word of the phrasing, or one most of the data says): any score above
    0 listed rows that shared "use" or "Lamini" alone."""
    if index is None:
        return []
    query = f"{row['question']} {row['reference']}"
    scores = index.scores(query)
    topic = set(content_words(query)) - untopical
    taught = sorted(stating, key=lambda i: -scores[i])[:k]
    matched = sorted(
        (
            i
            for i, s in enumerate(scores)
            if s > 0 and i not in taught and topic & index.docs[i].keys()
        ),
        key=lambda i: -scores[i],
    )
    return [Hit(i, scores[i]) for i in [*taught, *matched][:k]]


def examples_of(analysis: Analysis, category: str) -> list[dict[str, Any]]:
    """The first rows in a category (the analysis's examples_per_category), with that category's
    reason and the row's closest training examples."""
    n = analysis.examples
    out = []
    for i, row in enumerate(analysis.rows):
        for err in row["errors"]:
            if err["category"] == category and len(out) < n:
                out.append({**row, "reason": err["reason"], "closest": analysis.closest.get(i, [])})
    return out


def overlap(text: str, reference: str) -> float:
    """Share of the text's content words that also occur in the reference (0 when text is empty)."""
    mine = set(content_words(text))
    return len(mine & set(content_words(reference))) / len(mine) if mine else 0.0
