"""The numbers of `data check` against brute force: every pair's shingle overlap counted and its
exact similarity wherever that overlap can reach the threshold, every key compared, numpy's
percentiles and the diversity measures recomputed from their definitions."""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from tunelab.data.quality import dedup, diversity, typos
from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.report import sections
from tunelab.data.question_keys import normalize_text
from tunelab.data.text import words

LAMINI = Path("/work/shared/data/instructions/lamini_docs/lamini_docs.jsonl")
VOCAB = [f"w{i}" for i in range(60)] + ["café", "naïve", "日本", "Ωmega"]


def lamini_texts() -> tuple[list[str], list[str]]:
    if not LAMINI.exists():
        pytest.skip("lamini_docs not here")
    from tunelab.data.markers import plain_question

    rows = [json.loads(line) for line in LAMINI.open()]
    return [plain_question(r["question"]) for r in rows], [r["answer"] for r in rows]


def random_corpus(seed: int, n: int = 150) -> list[str]:
    """Random texts, and edited copies of some at every distance (near-duplicates of all degrees)."""
    rng = random.Random(seed)
    texts = [" ".join(rng.choices(VOCAB, k=rng.randint(1, 40))) for _ in range(n)]
    for _ in range(n // 2):
        w = rng.choice(texts).split()
        for _ in range(rng.randint(0, 3)):
            w[rng.randrange(len(w))] = rng.choice(VOCAB)
        texts.append(
            rng.choice([str.upper, str.lower, str.title])(" ".join(w)) + rng.choice(["", " ", "?"])
        )
    rng.shuffle(texts)
    return texts


def with_typos(texts: list[str], seed: int) -> list[str]:
    """A copy of each text with a letter of one of its longer words changed, dropped, added or
    swapped, as a user types it. (One slip per text: a short text two slips from another is
    found only as often as LSH proposes it, most of the time.)"""
    rng = random.Random(seed)
    out = []
    for text in texts:
        w = text.split()
        longer = [k for k, x in enumerate(w) if len(x) >= 5 and x.isalpha()]
        if longer:
            k = rng.choice(longer)
            x, at = w[k], rng.randrange(1, len(w[k]) - 1)
            w[k] = rng.choice(
                [x[:at] + "q" + x[at + 1 :], x[:at] + x[at + 1 :], x[:at] + "q" + x[at:]]
                + [x[: at - 1] + x[at] + x[at - 1] + x[at + 1 :]]
            )
        out.append(" ".join(w))
    return out


def brute_near(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    """Every pair whose `dedup.similarity` reaches `threshold`: every pair's shingle overlap,
    typos read every way, is counted, and the similarity decides each pair it does not rule out
    (`overlap_needed`)."""
    found = [words(t) for t in texts]
    norms = [normalize_text(t) for t in texts]
    sets, slips = [dedup.shingles(w) for w in found], typos.slip_table(typos.word_rows(found))
    read = [read_every_way(w, slips) for w in found]
    overlap = np.zeros((len(texts), len(texts)), dtype=np.int32)
    rows_of: dict[str, list[int]] = {}
    for i, shingled in enumerate(read):
        for s in shingled:
            rows_of.setdefault(s, []).append(i)
    for rows in rows_of.values():
        if len(rows) > 1:
            overlap[np.ix_(rows, rows)] += 1
    needed = overlap_needed(found, sets, slips, threshold)
    return {
        (i, j)
        for i, j in zip(*np.nonzero(np.triu(overlap >= np.maximum.outer(needed, needed), 1)))
        if norms[i] != norms[j]
        and dedup.similarity(found[i], found[j], (sets[i], sets[j]), slips) >= threshold
    }


def windows(text: list[str]) -> list[list[str]]:
    """The runs of words `dedup.shingles` makes shingles of."""
    n = min(dedup.SHINGLE_WORDS, len(text))
    return [text[k : k + n] for k in range(len(text) - n + 1)] if text else []


def read_every_way(text: list[str], slips: dict[str, set[str]]) -> set[str]:
    """The shingles of `text` with each typo read as itself or as any word it slipped from:
    `similarity` compares shingles read one of these ways."""
    options = {w: [w, *sorted(slips.get(w, ()))] for w in text}
    return {" ".join(read) for run in windows(text) for read in product(*map(options.get, run))}


def overlap_needed(
    found: list[list[str]], sets: list[set[str]], slips: dict[str, set[str]], threshold: float
) -> np.ndarray:
    """For each text, the fewest shingles (as `read_every_way` reads them) it shares with a text
    `threshold` similar to it: a Jaccard of t shares t times the larger set's shingles, and
    reading typos as words merges only the shingles that hold one."""
    least = [
        len(s) - len({" ".join(w) for w in windows(text) if slips.keys() & w})
        for text, s in zip(found, sets)
    ]
    return np.maximum(np.floor(threshold * np.array(least)), 1)


def brute_exact(keys: list[str]) -> set[tuple[int, int]]:
    norm = [" ".join(k.split()).lower() for k in keys]
    return {(norm.index(norm[j]), j) for j in range(len(keys)) if norm.index(norm[j]) < j}


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_near_duplicates_are_every_pair_at_the_threshold_on_random_corpora(seed, threshold):
    texts = random_corpus(seed)
    found = dedup.near_duplicates(texts, threshold)
    assert {(p.first, p.second) for p in found} == brute_near(texts, threshold)
    assert all(
        p.similarity == dedup.similarity(words(texts[p.first]), words(texts[p.second]))
        for p in found
    )


def test_near_duplicates_of_lamini_docs_are_every_pair_at_the_threshold():
    questions, answers = lamini_texts()
    texts = [f"{q}\n{a}" for q, a in zip(questions, answers)]
    want = brute_near(texts, 0.8)
    assert len(want) > 50  # datasketch's own bands found only half of these
    assert {(p.first, p.second) for p in dedup.near_duplicates(texts, 0.8)} == want


def test_near_duplicates_of_lamini_questions_with_typos_are_every_pair_at_the_threshold():
    questions, _ = lamini_texts()
    texts = questions[:250] + with_typos(questions[:150], seed=0)
    want = brute_near(texts, 0.8)
    # A copy's typo is told from a word only where another row holds the word it slipped from.
    assert sum(j == i + 250 for i, j in want) > 80  # 89 of 150
    assert {(p.first, p.second) for p in dedup.near_duplicates(texts, 0.8)} == want


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.95])
def test_lsh_bands_miss_at_most_one_pair_in_a_hundred_at_the_threshold(threshold):
    b, r = dedup.bands(threshold, 128)
    assert b * r <= 128 and 1 - (1 - threshold**r) ** b >= 0.99


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_duplicates_match_brute_force(seed):
    texts = random_corpus(seed)
    assert {(p.first, p.second) for p in dedup.exact_duplicates(texts)} == brute_exact(texts)


def test_exact_duplicates_of_lamini_questions_match_brute_force():
    questions, _ = lamini_texts()
    found = {(p.first, p.second) for p in dedup.exact_duplicates(questions)}
    assert found == brute_exact(questions) and found


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_train_test_leaks_are_every_train_row_at_the_threshold(seed):
    texts = random_corpus(seed)
    train, test = texts[:120], texts[120:]
    found = [words(t) for t in texts]
    want = {
        (i, j)
        for i in range(len(train))
        for j in range(len(test))
        if normalize_text(train[i]) == normalize_text(test[j])
        or dedup.similarity(found[i], found[120 + j]) >= 0.8
    }
    assert {(p.first, p.second) for p in dedup.cross_duplicates(train, test)} == want


def test_lamini_test_questions_with_typos_leak_from_every_train_row_at_the_threshold():
    questions, _ = lamini_texts()
    train, test = questions[:300], with_typos(questions[200:400], seed=1)
    found = [words(t) for t in train + test]
    slips = typos.slip_table(typos.word_rows(found))
    want = {
        (i, j)
        for i in range(len(train))
        for j in range(len(test))
        if dedup.similarity(found[i], found[300 + j], slips=slips) >= 0.8
    }
    assert sum(i == j + 200 for i, j in want) > 70  # 79 of the copies of train rows 200-299
    assert {(p.first, p.second) for p in dedup.cross_duplicates(train, test)} == want


def test_every_train_question_a_test_prompt_quotes_is_found_as_brute_force_finds_it():
    questions, answers = lamini_texts()
    train = questions[:300]
    rng = random.Random(4)
    # Test prompts: some wrap a train question (or two) in other lamini text, some are new.
    test = []
    for k in range(120):
        parts = [rng.choice(answers[300:]) for _ in range(rng.randint(0, 2))]
        if k % 3:
            parts.insert(rng.randint(0, len(parts)), rng.choice(train))
        if k % 7 == 0:
            parts.append(rng.choice(train))
        test.append(" ".join(parts) or questions[400 + k])
    train_words, test_words = [words(t) for t in train], [words(t) for t in test]

    def quoted(short: list[str], long: list[str]) -> bool:
        n = len(short)
        return n >= 6 and any(long[k : k + n] == short for k in range(len(long) - n + 1))

    want = {
        (i, j)
        for i, question in enumerate(train_words)
        for j, prompt in enumerate(test_words)
        if quoted(question, prompt)
    }
    pairs = dedup.cross_duplicates(train, test, train_full=train)
    found = {(p.first, p.second) for p in pairs if p.quotes}
    # A pair found as near-duplicates or exact first keeps that reading, not `quotes`.
    near = {(p.first, p.second) for p in pairs if not p.quotes}
    assert len(want) > 60 and found <= want and want <= found | near


def test_paraphrased_lamini_test_questions_are_flagged_with_their_rows(tmp_path):
    questions, answers = lamini_texts()
    train = [{"question": q, "answer": a} for q, a in zip(questions[:200], answers)]
    # Test rows: line 1 a reworded train row 5 question, line 2 an exact copy (case), line 3 new.
    reworded = questions[4].rstrip("?") + " please?"
    test = [
        {"question": reworded, "answer": "x"},
        {"question": questions[9].upper(), "answer": "y"},
        {"question": "Is there a recipe for sourdough bread?", "answer": "z"},
    ]
    for name, rows in (("train.jsonl", train), ("test.jsonl", test)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = QualityConfig(model="tiny-random")
    report = check_file(tmp_path / "train.jsonl", tmp_path / "test.jsonl", config)
    for j, q in enumerate(t["question"] for t in test):
        want = {
            i + 1
            for i in range(200)
            if normalize_text(q) == normalize_text(questions[i])
            or dedup.similarity(words(questions[i]), words(q)) >= 0.8
        }
        got = {report.where(p.first) for p in report.contamination if p.second == j}
        assert got == {f"train.jsonl:{i}" for i in want}
    assert {report.where(j, test=True) for j in report.leaked} == {"test.jsonl:1", "test.jsonl:2"}


def test_length_percentiles_are_numpys_on_the_tokenizer_counts(tmp_path):
    rng = random.Random(3)
    rows = [
        {
            "question": f"Question {i}?",
            "answer": " ".join(rng.choices(VOCAB, k=rng.randint(1, 300))),
        }
        for i in range(37)
    ]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = check_file(tmp_path / "d.jsonl", config=QualityConfig(model="tiny-random"))
    table = next(s for s in sections(report) if s.title.startswith("Length in tokens"))
    lengths = report.lengths
    want = [
        min(lengths),
        statistics.median(lengths),
        *np.percentile(lengths, [90, 99]),
        max(lengths),
    ]
    assert [float(c) for c in table.rows[0][:5]] == [float(f"{v:.0f}") for v in want]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_distinct_n_is_unique_over_all_n_grams(n):
    texts = random_corpus(4, 40) + ["", "one"]
    grams = [tuple(w[i : i + n]) for t in texts for w in [words(t)] for i in range(len(w) - n + 1)]
    assert diversity.distinct_n(texts, n) == pytest.approx(len(set(grams)) / len(grams))


def test_top_openings_are_counted_over_all_questions():
    questions = random_corpus(5, 60) + ["?", ""]
    counts = Counter(" ".join(words(q)[:2]) for q in questions if words(q))
    want = [(o, c, c / len(questions)) for o, c in counts.most_common(5)]
    assert diversity.top_openings(questions, 2, 5) == want
