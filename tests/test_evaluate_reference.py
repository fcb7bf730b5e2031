"""The evaluation's numbers against references written here from the papers' definitions (SQuAD's
script, MLQA's normalization, ROUGE-L's LCS F-measure, the Bradley–Terry likelihood) on seeded
random inputs: a wrong number here is a wrong finetuning decision. The paired comparison's
intervals and tests are checked in test_paired_intervals.py."""

from __future__ import annotations

import math
import random
import re
import string
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tunelab.evaluate.facts.normalize_numbers import normalize as fact_normalize
from tunelab.evaluate.facts.score import parse_fact_check
from tunelab.evaluate.facts.stated import states
from tunelab.evaluate.human.ratings import bradley_terry, elo, leaderboard
from tunelab.evaluate.metrics import exact_match, normalized_match, rouge_l, token_f1
from tunelab.evaluate.paired import paired_difference

PIECES = [
    "a", "an", "the", "The", "A", "cat", "Cat", "CAT", "sat", "mat", "on", "x1", "42", "4.2",
    ".", ",", "!", "?", "'s", "’s", "-", "—", "“", "”", "(", ")", "$", "€", "…",
    "é", "e\u0301", "café", "東京", "Привет", "ß", "Ｐａｒｉｓ", "an1", "theme", " ", "  ", "\t", "\n",
]  # fmt: skip
ASCII_PIECES = [p for p in PIECES if p.isascii()]


def random_text(rng: random.Random, pieces: list[str] = PIECES, most: int = 9) -> str:
    return "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, most)))


def text_pairs(pieces: list[str] = PIECES, n: int = 3000, seed: int = 0):
    rng = random.Random(seed)
    return [(random_text(rng, pieces), random_text(rng, pieces)) for _ in range(n)]


# SQuAD 2.0's evaluate-v2.0.py, as published.
def squad_normalize(s: str) -> str:
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.compile(r"\b(a|an|the)\b", re.UNICODE).sub(" ", s)
    return " ".join(s.split())


# Chinese and Japanese characters (kana, CJK ideographs) for the references below.
HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def mixed_segmentation(text: str) -> list[str]:
    """MLQA's tokens of text with Chinese or Japanese in it: each of their characters, and each
    punctuation mark, is a segment of its own (the marks then dropped); the rest as SQuAD splits."""
    tokens, run = [], ""
    for ch in text:
        if HAN_KANA.match(ch) or unicodedata.category(ch).startswith("P"):
            tokens += squad_normalize(run).split()
            run = ""
            if HAN_KANA.match(ch):
                tokens.append(ch)
        else:
            run += ch
    return tokens + squad_normalize(run).split()


def squad_f1(prediction: str, gold: str) -> float:
    """SQuAD 2.0's compute_f1; with Chinese or Japanese in either text, on MLQA's segments."""
    if HAN_KANA.search(prediction + gold):
        pred, gold_toks = mixed_segmentation(prediction), mixed_segmentation(gold)
    else:
        pred, gold_toks = squad_normalize(prediction).split(), squad_normalize(gold).split()
    common = Counter(gold_toks) & Counter(pred)
    same = sum(common.values())
    if len(gold_toks) == 0 or len(pred) == 0:
        return int(gold_toks == pred)
    if same == 0:
        return 0
    precision, recall = same / len(pred), same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


# MLQA's normalization (every Unicode punctuation character goes), after NFKC.
MLQA_PUNCT = {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")}
MLQA_PUNCT |= set(string.punctuation)


def mlqa_normalize(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower()
    s = "".join(ch for ch in s if ch not in MLQA_PUNCT)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())


def lcs_f1(pred: list[str], ref: list[str]) -> float:
    if not pred or not ref:
        return 0.0
    table = [[0] * (len(ref) + 1) for _ in range(len(pred) + 1)]
    for i, p in enumerate(pred):
        for j, r in enumerate(ref):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if p == r else max(table[i][j + 1], table[i + 1][j])
            )
    lcs = table[-1][-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def unicode_words(text: str) -> list[str]:
    """Runs of letters, digits and accents; each Chinese or Japanese character a word."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[^\w\u0300-\u036f]|_", " ", HAN_KANA.sub(r" \g<0> ", text)).split()


def test_token_f1_is_squads_on_random_text_and_its_edge_cases():
    for answer, reference in text_pairs():
        assert token_f1(answer, reference) == pytest.approx(squad_f1(answer, reference), abs=1e-12)
    assert token_f1("", "") == 1.0 and token_f1("The.", "a") == 1.0  # both empty once normalized
    assert token_f1("", "cat") == 0.0 and token_f1("cat", "") == 0.0
    assert token_f1("cat cat", "cat") == pytest.approx(2 / 3)  # bags, not sets


def test_exact_and_normalized_match_on_random_text():
    for answer, reference in text_pairs(seed=1):
        assert exact_match(answer, reference) == float(answer.strip() == reference.strip())
        expected = float(mlqa_normalize(answer) == mlqa_normalize(reference))
        assert normalized_match(answer, reference) == expected, (answer, reference)


def test_rouge_l_is_rouge_scores_on_ascii_and_the_lcs_f_measure_on_any_script():
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    for answer, reference in text_pairs(ASCII_PIECES, n=1500, seed=2):
        expected = scorer.score(reference, answer)["rougeL"].fmeasure
        assert rouge_l(answer, reference) == pytest.approx(expected, abs=1e-12)
    for answer, reference in text_pairs(n=1500, seed=3):
        expected = lcs_f1(unicode_words(answer), unicode_words(reference))
        assert rouge_l(answer, reference) == pytest.approx(expected, abs=1e-12), (answer, reference)
        if unicode_words(answer):
            assert rouge_l(answer, answer) == 1.0


FACT_WORDS = ["port", "8080", "80", "0", "5", "16", "GPU", "config", "yaml", "lr", "is", "use"]
JOINS = [" ", ", ", ". ", "-", ".", " (", ") ", " **", "** ", "→", " ≈"]


def test_fact_phrases_match_whole_words_and_numbers_on_random_answers():
    """Without negations or numbers that carry a point, a phrase is stated exactly when its
    normalized words appear in a row; a number written with a point is one word. A phrase of
    several parts is here never glued by hyphens into a longer name (which names another thing:
    "CC BY" is not "CC-BY-SA"; tests/test_facts_scoring.py shows that rule by its examples)."""
    rng = random.Random(4)
    for _ in range(3000):
        words = [rng.choice(FACT_WORDS) for _ in range(rng.randint(1, 7))]
        joins = [rng.choice(JOINS) for _ in words]
        runs = [words[i : i + 2] for i in range(len(words) - 1)]
        phrase_words = rng.choice([[w] for w in FACT_WORDS] + runs * 4)
        if len(phrase_words) > 1:
            joins = [" " if join == "-" else join for join in joins]
        answer = "".join(w + join for w, join in zip(words, joins))
        phrase = fact_normalize(" ".join(phrase_words))
        answer_words = fact_normalize(answer).split()
        # The reference reads numbers whole: "0.5" or "127.0.0.1" is one word of the answer.
        glued = re.sub(r"(?<=\d)\.(?=\d)", "\0", unicodedata.normalize("NFKC", answer))
        whole = [w.replace("\0", " ") for w in fact_normalize(glued).split()]
        n = len(phrase.split())
        expected = any(
            " ".join(whole[i : i + k]) == phrase for i in range(len(whole)) for k in range(1, n + 1)
        )
        [[parsed]] = parse_fact_check({"facts": [[phrase]]}, "t:1").facts
        assert states(answer, parsed) == expected, (answer, phrase, answer_words)


def simulated_votes(true: dict[str, float], n: int, seed: int, ties: float = 0.0):
    rng = random.Random(seed)
    votes = []
    for _ in range(n):
        a, b = rng.sample(sorted(true), 2)
        p = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))
        votes.append((a, b, 0.5 if rng.random() < ties else float(rng.random() < p)))
    return votes


def reference_bradley_terry(votes, virtual_tie: bool) -> dict[str, float]:
    """The Bradley–Terry likelihood (a tie half a win each), maximized by scipy, on the Elo scale
    with the mean at 1000; optionally one tie per model against a model of strength 1."""
    optimize = pytest.importorskip("scipy.optimize")
    models = sorted({m for a, b, _ in votes for m in (a, b)})
    index = {m: i for i, m in enumerate(models)}
    a = np.array([index[v[0]] for v in votes])
    b = np.array([index[v[1]] for v in votes])
    score = np.array([v[2] for v in votes])

    def negative_log_likelihood(x):
        d = x[a] - x[b]
        total = -(score * -np.logaddexp(0, -d) + (1 - score) * -np.logaddexp(0, d)).sum()
        if virtual_tie:
            total += (0.5 * np.logaddexp(0, -x) + 0.5 * np.logaddexp(0, x)).sum()
        return total

    x = optimize.minimize(negative_log_likelihood, np.zeros(len(models)), method="BFGS").x
    x -= x.mean()
    return {m: 1000 + 400 * x[index[m]] / math.log(10) for m in models}


def test_bradley_terry_is_the_maximum_likelihood_fit():
    true = {"a": 1300, "b": 1100, "c": 1000, "d": 850}
    votes = simulated_votes(true, 4000, seed=7, ties=0.15)
    assert bradley_terry(votes) == pytest.approx(reference_bradley_terry(votes, False), abs=0.5)
    few = simulated_votes(true, 150, seed=8)  # the virtual ties matter here
    assert bradley_terry(few) == pytest.approx(reference_bradley_terry(few, True), abs=3)


def test_bradley_terry_ignores_vote_order_and_stays_finite():
    votes = simulated_votes({"a": 1200, "b": 1000, "c": 900}, 600, seed=9, ties=0.2)
    shuffled = random.Random(0).sample(votes, len(votes))
    flipped = [(b, a, 1 - s) for a, b, s in votes]  # the same votes, sides swapped
    assert bradley_terry(shuffled) == pytest.approx(bradley_terry(votes), abs=1e-3)
    assert bradley_terry(flipped) == pytest.approx(bradley_terry(votes), abs=1e-3)
    # A tie is half a win each way: two ties rate as a win and a loss.
    assert bradley_terry([("a", "b", 0.5)] * 2) == pytest.approx(
        bradley_terry([("a", "b", 1.0), ("a", "b", 0.0)])
    )
    sweep = [("champ", m, 1.0) for m in "xyz" for _ in range(30)]
    sweep += [("x", "y", 1.0), ("y", "z", 0.5), ("z", "x", 0.0)]
    ratings = bradley_terry(sweep)
    assert (
        all(math.isfinite(v) for v in ratings.values()) and max(ratings, key=ratings.get) == "champ"
    )
    board = leaderboard(sweep, rounds=30)
    assert all(math.isfinite(v) for r in board for v in (r.bt, r.low, r.high, r.elo))
    assert board[0].model == "champ" and board[0].win_rate == 1.0
    assert board[0].low <= board[0].bt <= board[0].high


def test_elo_follows_the_update_rule_and_conserves_points():
    votes = simulated_votes({"a": 1200, "b": 1000, "c": 900}, 300, seed=10, ties=0.1)
    ratings: dict[str, float] = {}
    for a, b, s in votes:  # the textbook rule, K = 4
        ra, rb = ratings.get(a, 1000.0), ratings.get(b, 1000.0)
        expected = 1 / (1 + 10 ** ((rb - ra) / 400))
        ratings[a], ratings[b] = ra + 4 * (s - expected), rb - 4 * (s - expected)
    assert elo(votes) == pytest.approx(ratings)
    assert sum(elo(votes).values()) == pytest.approx(3000)


def _arm(name: str, values: dict[str, list[float]]):
    from tunelab.compare.arms import Arm, _summary

    rows = [
        {"answer": "w " * i, "finish_reason": "stop", "scores": {m: values[m][i] for m in values}}
        for i in range(len(values["token_f1"]))
    ]
    return Arm(name, name, False, rows, 2.0, _summary(rows, 2.0, len(rows)))


def test_compare_report_numbers_are_the_per_question_scores_aggregated(tmp_path):
    from tunelab.compare.report import to_markdown
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.compare.verdicts import pairs
    from tunelab.evaluate.paired import mean_interval

    metrics = ("normalized_match", "token_f1", "rouge_l")  # the overlap scores
    rng = random.Random(11)
    arms = [
        _arm(name, {m: [rng.random() ** (k + 1) for _ in range(25)] for m in metrics})
        for k, name in enumerate(["prompting", "prompting + RAG", "finetuned"])
    ]
    for arm in arms:
        for m in metrics:
            assert arm.summary[m] == pytest.approx(np.mean([r["scores"][m] for r in arm.rows]))
    for p in pairs(arms):
        [a] = [x for x in arms if x.name == p["vs"]]
        [b] = [x for x in arms if x.name == p["arm"]]
        f1 = lambda arm: [r["scores"]["token_f1"] for r in arm.rows]  # noqa: E731
        diff = paired_difference(f1(a), f1(b))
        assert p["delta"] == pytest.approx(100 * (b.summary["token_f1"] - a.summary["token_f1"]))
        assert (p["low"], p["high"]) == pytest.approx((100 * diff.low, 100 * diff.high))
        assert p["verdict"] == diff.verdict
    report = to_markdown(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    for arm in arms:
        f1 = mean_interval([r["scores"]["token_f1"] for r in arm.rows])
        s = arm.summary
        assert (
            f"| {arm.name} | {arm.name} | "
            f"{100 * s['token_f1']:.1f} [{100 * f1.low:.1f}, {100 * f1.high:.1f}] | "
            f"{100 * s['normalized_match']:.1f} | {100 * s['rouge_l']:.1f} |"
        ) in report


def test_eval_comparison_pairs_the_same_questions(tmp_path):
    from tunelab.evaluate.scores import comparison, summarize
    from tunelab.evaluate.suite import EvalResult

    rng = random.Random(12)

    def rows(shift: float):
        out = []
        for i in range(30):
            row = {"scores": {"token_f1": min(1.0, rng.random() + shift)}, "finish_reason": "stop"}
            if i % 3:  # every third question has no facts
                row["facts"] = {"fact_accuracy": float(rng.random() < 0.4 + shift)}
            out.append(row)
        return out

    base, tuned = rows(0.0), rows(0.3)
    results = [EvalResult("b", Path(tmp_path), base, summarize(base)),
               EvalResult("t", Path(tmp_path), tuned, summarize(tuned))]  # fmt: skip
    table = {line["metric"]: line for line in comparison(results)}
    for metric, get in (
        ("token_f1", lambda r: r["scores"]["token_f1"]),
        ("fact_accuracy", lambda r: r.get("facts", {}).get("fact_accuracy")),
    ):
        a = [get(r) for r in base]
        b = [get(r) for r in tuned]
        kept = [(x, y) for x, y in zip(a, b) if x is not None]
        diff = paired_difference([y for _, y in kept], [x for x, _ in kept])  # first − last
        line = table[metric]
        assert line["values"] == pytest.approx([np.mean([x for x, _ in kept]),
                                                np.mean([y for _, y in kept])])  # fmt: skip
        assert line["delta"] == pytest.approx(diff.delta)
        assert (line["low"], line["high"], line["verdict"]) == (diff.low, diff.high, diff.verdict)
