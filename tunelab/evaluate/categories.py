"""The error categories of one answer, each with its reason: a fact missed or stated wrong, a
refusal out of place, and what its text shows (empty, cut off, too long, repetitive, misspelt, off
topic)."""

from __future__ import annotations

from typing import Any

from tunelab.data.text import content_words, looping_phrase, one_line, repeated_sentence, words
from tunelab.evaluate.calls import call_differences, said_beside_calls, scored_by_calls
from tunelab.evaluate.scores import raised_limit, runs_on
from tunelab.evaluate.spelling import misspellings
from tunelab.section import Section
from tunelab.terminal import n_things

CATEGORIES = [
    "hallucination",
    "other_value",
    "missed_facts",
    # A reply that calls tools ("calls"), read by its calls; the text categories below read what
    # it says beside them, and are not asked of a reply that only calls tools ("calls_only").
    "wrong_calls",
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


def is_weak(row: dict[str, Any], cfg: AnalysisConfig) -> bool:
    """A row whose facts are known is weak when it misses one, states a wrong one or gives what
    is asked another value than its reference (`stated_wrong`); one whose reply calls tools when
    its calls are not the reference's; without facts, when it is neither a normalized match nor
    close in token F1 (at `weak_f1` it is close: the F1 at which tunelab calls an answer
    right)."""
    if row.get("missed_facts") or stated_wrong(row):
        return True
    # Calls are right or wrong: the right function with one wrong argument had a token F1 of
    # 0.5 or more, close enough by words, and fell in no category.
    if scored_by_calls(row) and not row["scores"].get("exact_match"):
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
        said = ", ".join(wrong_said(w, row["answer"]) for w in row["wrong_stated"])
        found.append(("hallucination", "states a wrong answer: " + said))
    if row.get("other_value_stated"):
        found.append(
            ("other_value", "gives another value: " + ", ".join(row["other_value_stated"]))
        )
    if row.get("missed_facts"):
        found.append(("missed_facts", "does not state: " + "; ".join(missed_with_data(row))))
    return found


def wrong_said(shown: str, answer: str) -> str:
    """A wrong phrase as the error report says it: a pattern ("re:...") by the words of the
    answer it matched, "'It is not able to' (the wrong answer's pattern)"; the verdict patterns
    `data facts` writes run to 700 characters, and were printed whole under the answer."""
    from tunelab.evaluate.facts.score import shown_regex
    from tunelab.evaluate.facts.stated import stated_match

    if (pattern := shown_regex(shown)) is None:
        return shown
    # The match the answer states ("port 8080" of "It is not port 8000 but port 8080"); where
    # it states none with its negations read, a question that asks what is not wants the
    # negated match said, the first.
    first = pattern.search(answer)
    matched = (stated_match(answer, pattern) or (first[0] if first else "")).strip(" \t\n.,;:!?")
    if not matched:  # a match of nothing but an anchor, or read otherwise than a plain search
        return one_line(shown, 60)
    return f"{one_line(matched, 60)!r} (the wrong answer's pattern)"


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
        else f"{fact} (in {n_things(n, 'training answer')})"
        if n
        else f"{fact} (in no training answer)"
        for fact, n in zip(row["missed_facts"], taught)
    ]


def is_too_long(n_answer: int, n_ref: int, cfg: AnalysisConfig) -> bool:
    """Whether an answer of `n_answer` words is too long beside a reference of `n_ref`."""
    return n_answer > cfg.max_words or (
        n_answer >= cfg.min_long_words and n_answer > cfg.too_long_ratio * n_ref
    )


def repeated(answer: str, cfg: AnalysisConfig) -> str | None:
    """Why an answer counts as repetitive, or None: a sentence said twice or an n-gram said often."""
    if again := repeated_sentence(answer):
        sentence, times = again
        return f"the sentence {sentence.lower()[:60]!r} appears {times} times"
    if loop := looping_phrase(answer, cfg.ngram, cfg.ngram_repeats):
        phrase, times = loop
        return f"{phrase!r} repeats {times} times"
    return None


def cut_off(tokens: int | None, short: bool, taught: str = "long", longest: int = 0) -> str:
    """Why an answer was cut off, with what to do: a limit below the reference's length
    (`short`) is raised (eval's `max_new_tokens`) to the number the note above errors.md gives
    (`raised_limit`: twice the `longest` reference's tokens); an answer already past it runs on, as long
    training answers teach (`taught`), and shorter ones teach it to stop. A model that no run
    taught ("none") has no training answers to shorten (a newcomer's first eval, of the base
    model, was told to); a run taught a "short" answer, no longer than the reference, trains
    longer."""
    if not tokens:  # a row of another tool's, without its count ("within None tokens" was said)
        return "no end-of-sequence before the token limit"
    said = f"no end-of-sequence within {tokens} tokens"
    raise_it = f"raise eval's max_new_tokens (--max-new-tokens {raised_limit(tokens, longest)})"
    if short:
        return f"{said}, short of the reference's length: {raise_it}"
    # At twice the longest reference, more tokens only let it run on (the note above says so).
    or_raise = "" if runs_on(tokens, longest) else f" (or {raise_it} if it is right so far)"
    if taught == "short":  # 12 steps on 9-word answers were told to shorten them
        return (
            f"{said}, past the reference's length, as its training answers are not: train longer "
            f"(more steps or epochs) so it learns to stop{or_raise}"
        )
    if taught == "none":
        return (
            f"{said}, past the reference's length: finetuning it on answers as short as the "
            f"reference teaches it to stop{or_raise}"
        )
    return (
        f"{said}, past the reference's length: shorten the training answers so it learns to "
        f"stop{or_raise}"
    )


def short_of(row: dict[str, Any]) -> bool:
    """Whether a cut-off answer stopped short of its reference's length: in tokens where the row
    holds both counts (16 tokens of "::::" are no words, and were told to raise the limit to 814
    for an 11-token reference), in words in a row without them (another tool's, an older
    predictions file)."""
    if row.get("completion_tokens") and row.get("reference_tokens"):
        return row["completion_tokens"] < row["reference_tokens"]
    return len(words(row["answer"])) < max(len(words(row["reference"])), 1)


def categorize(
    row: dict[str, Any],
    known: set[str],
    context: str,
    cfg: AnalysisConfig,
    taught: str = "long",
    longest: int = 0,
    typos: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """Each category that fits one answer, with the reason; `context` is retrieved training text,
    `taught` the answers' length a run of this model trained on, `longest` the longest
    reference's tokens (`cut_off`) and `typos` the training data's typos, each with where it is
    (`spelling.data_typos`)."""
    found = fact_errors(row) + refusal_errors(row)
    if not row["answer"].strip():
        found.append(("empty", "the model produced no text"))
        return [{"category": c, "reason": r} for c, r in found]
    calls = scored_by_calls(row)
    if calls and (wrong := call_differences(row["answer"], row["reference"])):
        found.append(("wrong_calls", wrong))
    if row.get("finish_reason") == "length":  # its calls and text alike count to its length
        found.append(
            ("cut_off", cut_off(row.get("completion_tokens"), short_of(row), taught, longest))
        )
    if row.get("calls_only"):
        return [{"category": c, "reason": r} for c, r in found]
    # What a reply that calls tools says beside its calls is its text: a call's JSON no words.
    answer, reference = (
        said_beside_calls(row["answer"], calls),
        said_beside_calls(row["reference"], calls),
    )
    n_answer, n_ref = len(words(answer)), max(len(words(reference)), 1)
    if is_too_long(n_answer, n_ref, cfg):
        found.append(("too_long", f"{n_answer} words vs {n_ref} in the reference"))
    why = repeated(answer, cfg)
    if why:
        found.append(("repetitive", why))
    bad = misspellings(
        {**row, "answer": answer}, known | set(content_words(row["question"] + " " + reference))
    )
    if bad:
        said = [f"{w} ({typos[w]})" if w in (typos or {}) else w for w in bad[:5]]
        found.append(("misspelling", "unknown words: " + ", ".join(said)))
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


def overlap(text: str, reference: str) -> float:
    """Share of the text's content words that also occur in the reference (0 when text is empty)."""
    mine = set(content_words(text))
    return len(mine & set(content_words(reference))) / len(mine) if mine else 0.0
