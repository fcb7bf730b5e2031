"""Rows that say one fact in other words: the second pass of `data check`'s near-duplicate and
leak search, after word shingles (`dedup`), which a reworded row escapes. Swapping a word for a
synonym breaks the three shingles around it (half the words swapped left lamini_docs' rows at a
Jaccard of ~0.3), while TF-IDF cosine of the content words still reads ~0.9: the words a
rewording keeps are the rare ones, the facts. A pair is the same fact where the answers are that
close and the questions are close too (the same answer to an unrelated question is a canned
reply: "Let's keep the discussion relevant to Lamini."), and neither states another value
(`other_facts`: a manual's option answered with its description each time)."""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

from tunelab.data.quality.grounding import NUMBER
from tunelab.data.text import FUNCTION_WORDS, TOPIC_SHARE, VALUE_COLUMNS, common_words, stems, words

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

CHUNK = 2048  # rows compared at once: a chunk's similarities are held dense (16 MB at 2048²)
# TF-IDF cosines (`data check`'s defaults, QualityConfig): answers saying one fact, and the
# questions it is asked by in one file (a near-duplicate) or in train and test (a leak).
ANSWER_MIN, QUESTION_MIN, LEAK_QUESTION_MIN = 0.8, 0.8, 0.5
# What a question asks of a setting ("the default", "the range": `VALUE_COLUMNS`), one word
# each; "value" names none in particular ("What value does it default to?").
_ASKED = {w: w for w in VALUE_COLUMNS if w != "value"} | {"max": "maximum", "min": "minimum"}


def vectors(texts: list[str]) -> csr_matrix:
    """Each text's TF-IDF vector (unit length) over its stemmed content words; words in more than
    TOPIC_SHARE of the texts (`common_words`: the product's name in every row) are dropped: they
    tell no row from another."""
    from scipy.sparse import csr_matrix

    counted = [Counter(stems(t, FUNCTION_WORDS)) for t in texts]
    df = Counter(w for c in counted for w in c)
    n = len(texts)
    shared = common_words(df, n, TOPIC_SHARE)
    vocab = {w: k for k, w in enumerate(w for w in df if w not in shared)}
    data, cols, starts = [], [], [0]
    for c in counted:
        row = [(vocab[w], (1 + math.log(k)) * math.log((1 + n) / (1 + df[w]))) for w, k in c.items()
               if w in vocab]  # fmt: skip
        norm = math.sqrt(sum(x * x for _, x in row)) or 1.0
        cols += [j for j, _ in row]
        data += [x / norm for _, x in row]
        starts.append(len(cols))
    return csr_matrix((data, cols, starts), shape=(n, max(len(vocab), 1)))


def same_facts(
    questions: list[str],
    answers: list[str],
    answer_min: float,
    question_min: float,
    firsts: int | None = None,
) -> list[tuple[int, int, float]]:
    """(i, j, answer cosine) for rows i < j, or with `firsts` (train then test rows) i < `firsts`
    <= j, whose answers (TF-IDF cosine, `vectors` over all the rows) reach `answer_min` and
    questions `question_min`."""
    import numpy as np

    q, a = vectors(questions), vectors(answers)
    n, found = len(answers), []
    for start in range(firsts or 0, n, CHUNK):
        stop = min(start + CHUNK, n)
        close = (a[start:stop] @ (a[:stop] if firsts is None else a[:firsts]).T).tocoo()
        later, earlier = close.row + start, close.col
        keep = close.data >= answer_min
        if firsts is None:  # one file: each pair once, its later row second
            keep &= earlier < later
        later, earlier, sims = later[keep], earlier[keep], close.data[keep]
        asked = np.asarray(q[earlier].multiply(q[later]).sum(axis=1)).ravel()
        found += zip(earlier.tolist(), later.tolist(), sims.tolist(), asked >= question_min)
    return sorted(
        (i, j, sim)
        for i, j, sim, alike in found
        if alike and not other_facts(questions, answers, i, j)
    )


def other_facts(questions: list[str], answers: list[str], i: int, j: int) -> bool:
    """Whether rows i and j state two facts however many words they share: their answers state
    other numbers ("its default is 12 mm", "it ranges 0 to 30 mm": `grounding.NUMBER`), or
    their questions ask other values of a thing ("What is the default tear_offset?", "What is
    the range of tear_offset?"). A manual answers each of an option's questions with its
    description, which `data check --fix` read as one fact and dropped one of."""
    if set(NUMBER.findall(answers[i])) != set(NUMBER.findall(answers[j])):
        return True
    asked, other = ({_ASKED[w] for w in words(questions[k]) if w in _ASKED} for k in (i, j))
    return bool(asked and other and not asked & other)


def leaks(
    train: list[str],
    test: list[str],
    answers: list[str],
    answer_min: float = ANSWER_MIN,
    question_min: float = LEAK_QUESTION_MIN,
) -> list[tuple[int, int, float]]:
    """(train row, test row, answer cosine) where a train row gives a test row's answer to its
    question reworded (`same_facts` of the questions `train` and `test`, `answers` train's then
    test's): the same fact asked again, which a model answers from memory. `data check` reports
    them, `data split` and training keep them off the training side."""
    same = same_facts(train + test, answers, answer_min, question_min, firsts=len(train))
    return [(i, j - len(train), sim) for i, j, sim in same]


def answers_saying(
    answers: list[str], said: list[str], answer_min: float = ANSWER_MIN
) -> list[list[int]]:
    """For each text of `said`, the `answers` (indexes, closest first) that say it as `same_facts`
    reads two answers as one fact: a TF-IDF cosine of at least `answer_min` (`vectors` over both
    lists). Error analysis finds so the training rows whose answer a wrong answer recited, and
    those teaching its reference."""
    if not answers or not said:
        return [[] for _ in said]
    v = vectors(answers + said)
    close = (v[len(answers) :] @ v[: len(answers)].T).tocoo()
    found: list[list[tuple[float, int]]] = [[] for _ in said]
    for k, j, sim in zip(close.row.tolist(), close.col.tolist(), close.data.tolist()):
        if sim >= answer_min:
            found[k].append((-sim, j))
    return [[j for _, j in sorted(pairs)] for pairs in found]
