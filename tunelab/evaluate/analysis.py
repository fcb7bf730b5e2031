"""Error analysis: put each wrong or weak answer into categories (`categories`), each with a
reason, and find the training examples closest to the failing questions of each category."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tunelab.data.example import Example
from tunelab.data.quality.dedup import near_questions
from tunelab.data.quality.reworded import answers_saying
from tunelab.data.retrieval import BM25, Hit
from tunelab.data.split import drop_leaked
from tunelab.data.text import FUNCTION_WORDS, TOPIC_SHARE, common_words, content_words, words
from tunelab.evaluate.categories import (
    CATEGORIES,
    AnalysisConfig,
    categorize,
    is_too_long,
    is_weak,
    repeated,
)
from tunelab.evaluate.metrics import normalize
from tunelab.evaluate.refusals import canned_refusals, marked_off_topic
from tunelab.evaluate.spelling import FIELD_WORDS, data_typos, names


@dataclass
class Analysis:
    """The categories of each analysed row, and each weak row's own closest training examples
    (ranked over all of a category's failing questions together, the words they shared, "model",
    "run", won: the list was close to none of them), each with how it matched (`MATCHES`)."""

    rows: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    examples: int = 2  # rows shown per category in the reports (examples_per_category)
    closest: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by index in rows
    # Whether training data was given: then a weak row with no closest row is one the data says
    # nothing related to, which the reports say (`NO_CLOSEST`); without it, nothing could be.
    training_known: bool = False
    trained: bool = True  # the answers are of a model that data trained (`analyse`)


NO_CLOSEST = "none shares its topic words (add data)"
# How a closest training row matched a weak answer's row, as the reports say beside it: it states
# the reference's fact (`count_taught`, or its answer says the reference: `answers_saying`), its
# answer is the one the model gave (it recited another row's answer: the demo's most common
# miss), or it shares the question's topic words (`closest_training`).
TEACHES, GAVE, CLOSE = (
    "teaches the expected answer",
    "its answer is the one the model gave",
    "close to the question",
)
MATCHES = (TEACHES, GAVE, CLOSE)


def names_facts(row: dict[str, Any]) -> bool:
    """Whether a scored row's test row names facts or wrong answers; the other-value check, which
    its reference alone gives, names none."""
    return any(key != "other_value" for key in row.get("facts", {}))


# How eval's note of a test set naming no facts begins (`facts_named_note`): where it is among
# the notes, the categories' qualifier does not say it again.
NO_FACTS = "No test row names the facts a right answer states"


def by_wording(analysis: Analysis, notes: Sequence[str] = ()) -> str:
    """What the categories of a test set without facts stand on, to say beside their count; ""
    where a row names facts. "No answer falls in an error category" read as a model that knew its
    facts, of answers that gave each fact another value in the reference's words. Where `notes`
    hold eval's note of the missing facts (with the command that proposes them), only what the
    categories then miss is said: errors.md said it all twice."""
    # Replies that call tools are judged by their calls (their text by its facts where the row
    # names some: `facts.score_notes.facts_named_note`), off-topic rows by their refusal.
    said = [
        row
        for row in analysis.rows
        if not row.get("calls_only")
        and (not row.get("calls") or names_facts(row))
        and not marked_off_topic(row)
    ]
    if not said or any(names_facts(row) for row in said):
        return ""
    missed = (
        'an answer in the reference\'s words with another fact ("uses port 80" for "uses port '
        '8443") counts as right, unless it gives a setting or a count another number '
        '(other_value: "weighs 2400 grams" for "weighs 640 grams")'
    )
    if any(note.startswith(NO_FACTS) for note in notes):
        return f"judged by wording alone: {missed}"
    return (
        f"judged by wording alone: no test row names its facts, so {missed}; "
        "`tunelab data facts TEST -o TEST_WITH_FACTS.jsonl` proposes them"
    )


def count_taught(rows: list[dict[str, Any]], training: list[Example]) -> dict[int, list[int]]:
    """Mark each row's missed facts with how many training answers state them (in place): a fact
    the data states and the model missed was not learned; one it never states was never taught.
    Returns, by index in rows, the training rows that state one of its missed facts."""
    from tunelab.evaluate.facts.score import stated_in

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
    said_by_most = common_words(index.df, len(texts), TOPIC_SHARE) if index else frozenset()
    untopical = FUNCTION_WORDS | said_by_most
    # The domain's word list: the training data but for its typos, every test question and
    # reference, and the field's own words, so "dataset" in an answer is not a misspelling.
    typos = data_typos(index.docs, names(texts)) if index else {}
    asked = (f"{r['question']} {r['reference']}" for r in rows)
    known = {w for t in texts for w in content_words(t)} - typos.keys()
    known |= {w for t in asked for w in content_words(t)} | FIELD_WORDS
    # A typo the answer learnt is told with the training rows to mend.
    where = {
        word: typo_note(usual, [training[j].source or f"training row {j + 1}" for j in docs])
        for word, (usual, docs) in typos.items()
    }
    stating = count_taught(rows, training)
    # The rows whose answer says a row's reference, or the answer the model gave, as `data check`
    # reads two answers as one fact: found by the question's words alone, the row that taught
    # the wrong answer the model recited was not named.
    train_answers = [ex.answer for ex in training]
    # One TF-IDF fit over the training answers for both the references and the answers given.
    said = answers_saying(
        train_answers, [r["reference"] for r in rows] + [r["answer"] for r in rows]
    )
    expected, recited = said[: len(rows)], said[len(rows) :]
    given: dict[str, list[int]] = {}  # the training rows by their answer, as refusals compare
    for j, ex in enumerate(training):
        given.setdefault(normalize(ex.answer), []).append(j)
    # The rows teaching a canned refusal are no data of an on-topic question: their words, now
    # a topic where a fifth of a small set says them, matched "Which Acme products ...?".
    refusing = frozenset(
        j for j, canned in enumerate(canned_refusals([ex.answer for ex in training])) if canned
    )
    closest: dict[int, list[dict[str, Any]]] = {}
    # The cut-off advice names the limit the note above errors.md does (rows of other tools,
    # without their references' tokens, are told twice their limit).
    longest = max((row.get("reference_tokens", 0) for row in rows), default=0)
    for i, row in enumerate(rows):
        row["errors"] = []
        if not is_weak(row, cfg):
            continue
        # An off-topic question's data is the rows that teach its refusal, whatever they ask:
        # "none shares its topic words (add data)" was said beside five such rows.
        teach, unrelated = stating.get(i, []), refusing
        if marked_off_topic(row):
            teach, unrelated = given.get(normalize(row["reference"]), []), frozenset()
        teach = list(dict.fromkeys([*teach, *expected[i]]))
        hits = closest_training(index, row, teach, cfg.similar_training, untopical, unrelated)
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
        row["errors"] = categorize(row, known, context, cfg, taught, longest, where)
        taught_so(row, [training[h.index] for h in hits], cfg)
        closest[i] = matched_rows(training, hits, set(teach), recited[i], cfg.similar_training)
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


def matched_rows(
    training: list[Example], hits: list[Hit], teach: set[int], recited: list[int], k: int
) -> list[dict[str, Any]]:
    """The closest training rows to show, each with how it matched (`MATCHES`): those teaching
    the expected answer, then up to `k` whose answer the model gave (not also the expected one),
    then the rest of `hits`, close to the question."""
    gave = [j for j in recited if j not in teach][:k]
    score = {h.index: round(h.score, 2) for h in hits}
    shown = [(h.index, TEACHES) for h in hits if h.index in teach]
    shown += [(j, GAVE) for j in gave]
    shown += [(h.index, CLOSE) for h in hits if h.index not in teach and h.index not in gave]
    return [
        {
            "question": training[j].question,
            "answer": training[j].answer,
            "source": training[j].source,
            "score": score.get(j, 0.0),
            "match": match,
        }
        for j, match in shown
    ]


_SO = {
    "too_long": (
        ("answer", "is as long: fix it there"),
        ("answers", "are as long: fix them there"),
    ),
    "repetitive": (
        ("answer", "repeats itself: fix it there"),
        ("answers", "repeat themselves: fix them there"),
    ),
}


def taught_so(row: dict[str, Any], closest: list[Example], cfg: AnalysisConfig) -> None:
    """Add to a too long or repetitive answer's reason the closest training answers that are so
    themselves (in place): the data that taught it, to fix there. The reason named the answer's
    length or loop alone, and the reader had to open each training row to see why."""
    n_ref = max(len(words(row["reference"])), 1)
    alike = {
        "too_long": [ex for ex in closest if is_too_long(len(words(ex.answer)), n_ref, cfg)],
        "repetitive": [ex for ex in closest if repeated(ex.answer, cfg)],
    }
    for error in row["errors"]:
        if sources := [ex.source or "a training row" for ex in alike.get(error["category"], [])]:
            # One row or several: "answer train.jsonl:7 is as long: fix it there".
            said = _SO[error["category"]][len(sources) > 1]
            error["reason"] += f"; closest training {said[0]} {', '.join(sources)} {said[1]}"


def typo_note(usual: str, sources: list[str]) -> str:
    """Where a typo of the data is, to mend it there: "as in train.jsonl:16; the data says
    'fosters' more often"."""
    more = f" and {len(sources) - 3} more" if len(sources) > 3 else ""
    return f"as in {', '.join(sources[:3])}{more}; the data says {usual!r} more often: fix it there"


_DOTTED = re.compile(r"\d+(?:[.,]\d+)+")


def closest_training(
    index: BM25 | None,
    row: dict[str, Any],
    stating: list[int],
    k: int,
    untopical: frozenset[str],
    unrelated: frozenset[int] = frozenset(),
) -> list[Hit]:
    """The k training rows to fix or add data at: first those that state a fact the answer
    missed (the data that taught it), then the best BM25 matches of the question with its
    reference answer; the question alone matched on the product's name ("How quickly does the
    Z3 recharge fully?" got the rows about its price). A match must share a word with them that
    is not `untopical` (a word of the phrasing, or one most of the data says): any score above
    0 listed rows that shared "use" or "Lamini" alone. The rows `unrelated` are never matched."""
    if index is None:
        return []
    query = f"{row['question']} {row['reference']}"
    scores = index.scores(query)
    # A dotted number ("4.2.1") is the words 4, 2 and 1: its pieces are no topic, or a row about
    # a "2 GB" limit was the closest to a question asking a version.
    pieces = {p for n in _DOTTED.findall(query) for p in re.split(r"[.,]", n)}
    topic = set(content_words(query)) - untopical - pieces
    taught = sorted(stating, key=lambda i: -scores[i])[:k]
    matched = sorted(
        (
            i
            for i, s in enumerate(scores)
            if s > 0 and i not in taught and i not in unrelated and topic & index.docs[i].keys()
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
