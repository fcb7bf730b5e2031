"""`tunelab data facts` over a test file: each row that names no facts given those read off its
reference answer (propose.py), written beside the rows as they were, for a person to review;
and the facts of a test set that no training answer states (`untaught`)."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from tunelab.data.example import Example
from tunelab.data.files.split_folders import SPLIT_FILES, saved_splits
from tunelab.data.text import common_words
from tunelab.errors import TunelabError
from tunelab.evaluate import MOST_FACTS
from tunelab.evaluate.calls import calls_alone, reply_text
from tunelab.evaluate.facts.normalize_numbers import normalize
from tunelab.evaluate.facts.propose import propose_marked
from tunelab.evaluate.facts.score import parse_fact_check, shown_phrase
from tunelab.evaluate.refusals import OFF_TOPIC, canned_refusals


def vocabulary(answers: list[str]) -> tuple[dict[str, float], frozenset[str]]:
    """Each word's inverse document frequency over `answers`, and the words more than
    COMMON_SHARE of them say (and more than COMMON_LEAST): the test set's own vocabulary ("LLM"
    in a quarter of lamini_docs' answers), which an answer in its style says whatever it
    states. Naming one is no fact."""
    counts = Counter(w for a in answers for w in set(normalize(a).split()))
    rarity = {w: math.log(len(answers) / n) for w, n in counts.items()}
    return rarity, common_words(counts, len(answers))


def propose_rows(
    rows: list[dict[str, Any]], most: int = MOST_FACTS, taught: list[str] | None = None
) -> tuple[list[dict], int]:
    """The rows with proposed `facts` (and `wrong`) where a row names neither, marked
    `"facts_from": "reference"` (`"reference words"` where they are rare words, no specific
    term), and those whose answer is a canned refusal (`canned_refusals`, counted with the
    training answers `taught`) marked off-topic; and how many rows got facts."""
    answers = [str(r["answer"]) for r in rows]
    rarity, common = vocabulary(answers)
    out, proposed = [], 0
    for row, canned in zip(rows, canned_refusals(answers, taught or ())):
        # A canned refusal is one the set teaches, though its rows name no kind: marked so.
        if canned and not (row.get("kind") or row.get("facts") or row.get("wrong")):
            row = {**row, "kind": OFF_TOPIC}
        # An off-topic row's answer is the refusal, which is scored as one (evaluate.refusals).
        if row.get("facts") or row.get("wrong") or row.get("kind") == OFF_TOPIC:
            out.append(row)
            continue
        facts, wrong, from_words = propose_marked(
            str(row["question"]), str(row["answer"]), rarity, most, common
        )
        if facts or wrong:
            proposed += bool(facts)  # a wrong answer alone is no fact proposed
            row = {**row, "facts": facts, **({"wrong": wrong} if wrong else {}),
                   "facts_from": "reference words" if from_words else "reference"}  # fmt: skip
        out.append(row)
    return out, proposed


def train_beside(path: str | Path) -> Path | None:
    """The training rows beside the test file `path`, if any: the train.jsonl `tunelab data
    split` wrote, or the 'train' split of the saved DatasetDict whose test split it is
    (`data facts hf_dd` reads hf_dd/test; its next line named no training, and a refusal its
    train split repeats went unseen)."""
    path = Path(path)
    train = path.parent / SPLIT_FILES[0]
    if train.is_file() and train.resolve() != path.resolve():
        return train
    split = path.parent / "train"
    if "train" in saved_splits(path.parent) and path.name != "train" and split.is_dir():
        return split
    return None


def answers_beside(path: str | Path, shape: str, fields: dict[str, str] | None) -> list[str]:
    """The answers of the training rows that go with test file `path`: those of the run whose
    held_out.jsonl it is (`run_training`), else of the split's train.jsonl beside it. A refusal
    the set teaches to six rows, of which the split held out one, is still a canned refusal (it
    was given the rare words "answer" and "questions" as facts). None where there is no such
    file or it does not load: advice, not a reason to stop."""
    from tunelab.data.load import read_examples

    try:
        training = run_training(path)
        if training is None and (train := train_beside(path)):
            training = read_examples(train, shape, fields).examples
    except TunelabError:
        return []
    return [reply_text(ex) for ex in training or []]


def run_training(path: str | Path) -> list[Example] | None:
    """The rows the run whose held_out.jsonl is `path` trained on: its data.path read as it
    read it, less the questions it held out; None where `path` is no run's held-out file."""
    from tunelab.data.load import read_examples
    from tunelab.data.split import drop_leaked
    from tunelab.run import Run
    from tunelab.run_files import HELD_OUT

    path = Path(path)
    if path.name != HELD_OUT or not Run.is_started(path.parent):
        return None
    data = Run.open(path.parent).config.data
    rows = read_examples(data.path, data.shape, data.fields).examples
    held = read_examples(path, data.shape, data.fields).examples
    return drop_leaked(rows, held)[0]


class Proposed(NamedTuple):
    """What `propose_file` wrote: row counts, and rows by `file:line` for a person to review."""

    rows: int
    proposed: int  # rows given facts
    worded: list[str]  # rows whose facts are rare words of the answer, no specific term
    left: list[str]  # on-topic rows with neither a fact nor a wrong answer: scored by wording
    off_topic: int  # rows marked off-topic: scored on the refusal
    verdicts: list[str]  # yes/no rows given the opposite verdict as a wrong answer, no fact
    calls: list[str]  # rows whose reply only calls tools: scored by their calls, no facts
    declines: list[str]  # of the off-topic rows, those marked so here: a canned refusal
    read: str  # the test file read: a saved DatasetDict's test split (`asked_split`), else path


def propose_file(
    path: str | Path,
    output: str | Path,
    most: int = MOST_FACTS,
    on_error: str = "raise",
    shape: str = "auto",
    fields: dict[str, str] | None = None,
) -> Proposed:
    """Write `path`'s test rows to `output` (JSONL), each as it was (any shape tunelab reads),
    with proposed facts where it names none. With on_error='skip' a bad row is left out, and
    counted."""
    from tunelab.data.files.hub import is_hub
    from tunelab.data.files.write_files import write_jsonl
    from tunelab.data.load import OPTION_SKIP_HINT, load_examples, not_found, source_rows

    if not is_hub(path) and not Path(path).exists():
        raise TunelabError(not_found(path))
    raw = dict(source_rows(path, quiet=True))
    for source, row in raw.items():  # facts a row names must be of the form eval reads
        if isinstance(row, dict):
            parse_fact_check(row, source)
    examples = load_examples(path, shape, fields, on_error, OPTION_SKIP_HINT)
    missing = [ex.source for ex in examples if not ex.answer]
    if missing:
        raise TunelabError(
            f"{missing[0]}: facts are read off the reference answer, and this row has none "
            f"({len(missing)} rows have none)"
        )
    # The reply's text, not the calls it makes: a call's JSON gave its function's name as a fact.
    rows = [{**raw[ex.source], "question": ex.question, "answer": reply_text(ex)}
            for ex in examples]  # fmt: skip
    with_facts, proposed = propose_rows(rows, most, answers_beside(path, shape, fields))
    added = [
        {k: row[k] for k in ("facts", "wrong", "facts_from", "kind") if k in row}
        for row in with_facts
    ]
    write_jsonl(({**raw[ex.source], **a} for ex, a in zip(examples, added)), output)
    off_topic = [row.get("kind") == OFF_TOPIC for row in with_facts]
    declines = [
        ex.source
        for ex, row, off in zip(examples, rows, off_topic)
        if off and row.get("kind") != OFF_TOPIC
    ]
    calls = [ex.source for ex in examples if calls_alone(ex)]
    unfacted = [
        (ex.source, row)
        for ex, row, off in zip(examples, with_facts, off_topic)
        if not row.get("facts") and not off and ex.source not in calls
    ]
    # A yes/no answer gets its opposite verdict as a wrong answer and no fact: eval scores it
    # for hallucination, not by wording alone.
    verdicts = [source for source, row in unfacted if row.get("wrong")]
    left = [source for source, row in unfacted if not row.get("wrong")]
    worded = [
        ex.source
        for ex, row in zip(examples, with_facts)
        if row.get("facts_from") == "reference words"
    ]
    return Proposed(
        len(rows), proposed, worded, left, sum(off_topic), verdicts, calls, declines, str(path)
    )


def untaught(
    test: list[Example], raw: dict[str, Any], training: list[Example]
) -> list[tuple[str, str]]:
    """(`file:line`, fact) of each test row with a fact that no training answer states, the
    row's own facts or those proposed from its reference (`raw`: each row as read, by source):
    a fact held out with the only pair that taught it can only be guessed. Regex facts and
    off-topic rows are neither taught nor untaught."""
    from tunelab.evaluate.facts.score import stated_in

    # The example's own question and answer win over a raw column of that name (data.fields).
    rows = [{**(raw.get(ex.source) or {}), "question": ex.question, "answer": reply_text(ex)}
            for ex in test]  # fmt: skip
    with_facts, _ = propose_rows(rows, taught=[reply_text(ex) for ex in training])
    checks = [parse_fact_check(row, ex.source) for ex, row in zip(test, with_facts)]
    words = [[shown_phrase(alt) for alt in fact if not isinstance(alt, re.Pattern)]
             for check in checks for fact in check.facts]  # fmt: skip
    taught = stated_in([alt for fact in words for alt in fact], [ex.answer for ex in training])
    found, facts = [], iter(words)
    for ex, check in zip(test, checks):
        row_facts = [next(facts) for _ in check.facts]  # all of them: the next row's follow
        missing = [fact for fact in row_facts if fact and not any(taught[alt] for alt in fact)]
        if missing:
            found.append((ex.source, missing[0][0]))
    return found


# Past these sizes the search would take minutes (each test fact looked up in every answer), and
# a set so large is seldom the one pair a fact that generated data is.
UNTAUGHT_MAX_TRAIN, UNTAUGHT_MAX_TEST = 5_000, 500


def untaught_note(source: Path, train: list[Example], test: list[Example]) -> str | None:
    """What a test split asks that no training answer states, said before training (and by
    `tunelab data split`): a fact held out with the one pair that taught it can only be guessed
    (generated data holds one pair a fact; a walk's 45 generated pairs left 6 of 9 test rows
    untaught). `source`: the file the test rows were read from, for their facts columns."""
    from tunelab.data.files.read import read_rows
    from tunelab.errors import first_few

    test = [ex for ex in test if ex.question and reply_text(ex)]
    if not test or len(train) > UNTAUGHT_MAX_TRAIN or len(test) > UNTAUGHT_MAX_TEST:
        return None
    raw = dict(read_rows(source, quiet=True)) if source.exists() else {}
    try:
        found = untaught(test, raw, train)
    except TunelabError:  # a facts column of another format: advice, not a reason to stop
        return None
    if not found:
        return None
    named = first_few([f"{row} ({fact!r})" for row, fact in found], 4)
    return (
        f"{len(found)} of {len(test)} test examples ask for a fact no training answer states: "
        f"{named}. The model can only guess those: add training pairs that state them (a fact "
        "held out with its only pair, or in no pair at all), each in several phrasings "
        "(`tunelab data augment`), so that one held out leaves others to learn from."
    )
