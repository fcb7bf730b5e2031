"""The rows of a data set that repeat one another, answer one question otherwise, or ask a test
question again, for `data check` (`tunelab.data.quality.check`): exact and near duplicates (word
shingles, `dedup`), reworded ones (TF-IDF cosine, `reworded`), conflicting answers and train/test
leaks, each kept in the `QualityReport`."""

from __future__ import annotations

from pathlib import Path

from tunelab.data.files.split_folders import asked_anew
from tunelab.data.quality import dedup, reworded
from tunelab.data.quality.findings import QualityReport
from tunelab.data.quality.typos import Whole
from tunelab.data.question_keys import (
    asked_key,
    duplicate_key,
    near_keys,
    normalize_text,
    prompt_key,
)


def find_overlaps(
    report: QualityReport,
    answers: list[str],
    whole: Whole,
    test: str | Path | None,
) -> None:
    """Fill the report's exact_dups, near_dups, conflicts and, with a test file (`test`, read into
    report.test), its contamination and the reworded rows a rephrasings split asks `anew`;
    `answers` are the rows' (none for raw text), `whole` tells a word from a typo (`whole_words`)."""
    examples = report.data.examples
    # Split's own keys, compared as they are: normalising them again lowered the answers' case
    # ("False" and "false" were called repeats, which --fix dropped and split kept).
    row_keys = [duplicate_key(e) for e in examples]
    report.exact_dups = dedup.exact_duplicates(row_keys, normalized=True)
    repeated = {p.second for p in report.exact_dups}
    row_texts = [f"{prompt_key(e)}\n{a}" for e, a in zip(examples, answers)]
    # Near matches leave out what many rows ask alike (a long instruction or opening turn every
    # row carries), as `data split` and training do (`question_keys.near_keys`).
    tests = report.test.examples if report.test is not None else []
    near_prompts = near_keys(examples + tests)
    asks, test_asks = near_prompts[: len(examples)], near_prompts[len(examples) :]
    near_rows = [f"{q}\n{a}" for q, a in zip(asks, answers)]
    # A row repeats another only where its question does too: the same answer to a question
    # asked another way is a phrasing, what makes a fact learnable ("Is it free?", "Do I have
    # to pay?"), which --fix removed.
    near = dedup.near_duplicates(
        near_rows, report.config.near_dup_threshold, report.config.num_perm, whole, keys=asks
    )
    # A reworded row (synonyms, clauses reordered, fillers) escapes word shingles: its question
    # and answer are compared again by TF-IDF cosine (`reworded`).
    near = _with_reworded(
        near,
        reworded.same_facts(
            asks, answers, report.config.reworded_answer, report.config.reworded_question
        ),
    )
    # An exact repeat is already listed once; its near matches would only list it again. Rows
    # `data augment` wrote from one row (its meta.source_key) are phrasings of its fact by
    # record, however few words one changes ("Quick question: ..."): --fix removed them.
    # Rows whose answers state other numbers, or whose questions ask other values of one thing
    # ("the default", "the range"), are two facts however many words they share
    # (`reworded.other_facts`, which the reworded pass applies already, read as it reads them:
    # without the instruction every row shares).
    source = [ex.rewrite_of for ex in examples]
    report.near_dups = [
        p
        for p in near
        if p.first not in repeated
        and p.second not in repeated
        and not (source[p.first] and source[p.first] == source[p.second])
        and (p.reworded or not reworded.other_facts(asks, answers, p.first, p.second))
    ]
    # A near-duplicate row's answer says nearly what the first's does, and one that differs in
    # case alone says what it does: neither is a conflict. Rows asked under another system
    # prompt, or offered other tools, may answer otherwise: exact repeats tell them apart too.
    near_pairs = {(p.first, p.second) for p in report.near_dups}
    report.conflicts = [
        p
        for p in dedup.exact_duplicates([asked_key(e) for e in examples], normalized=True)
        if p.second not in repeated
        and (p.first, p.second) not in near_pairs
        and normalize_text(answers[p.first]) != normalize_text(answers[p.second])
    ]
    if report.test is not None:
        report.contamination = dedup.cross_duplicates(
            asks,
            test_asks,
            report.config.near_dup_threshold,
            report.config.num_perm,
            train_full=row_texts,
            min_inside_words=report.config.min_quoted_words,
            whole=whole,
        )
        # The same fact asked again in other words: a test row whose answer a train row gives,
        # asked nearly alike (TF-IDF cosine), which shingles of the questions alone miss.
        test_answers = [e.answer if e.text is None else "" for e in tests]
        same = reworded.leaks(
            asks,
            test_asks,
            answers + test_answers,
            report.config.reworded_answer,
            report.config.leak_question,
        )
        leaks = _with_reworded(report.contamination, same)
        if asked_anew(test, "questions"):  # a rephrasings split's record beside the test file
            report.anew = [p for p in leaks if p.reworded]  # what it held out, by design
            leaks = [p for p in leaks if not p.reworded]
        report.contamination = sorted(leaks, key=lambda p: (p.second, p.first))
        report.anew.sort(key=lambda p: (p.second, p.first))


def _with_reworded(pairs: list[dedup.Pair], same: list[tuple[int, int, float]]) -> list[dedup.Pair]:
    """`pairs` and the reworded ones (`reworded.same_facts`) they do not hold already."""
    held = {(p.first, p.second) for p in pairs}
    extra = [dedup.Pair(i, j, sim, reworded=True) for i, j, sim in same if (i, j) not in held]
    return sorted(pairs + extra, key=lambda p: (p.first, p.second))
