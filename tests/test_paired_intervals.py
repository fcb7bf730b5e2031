"""The paired comparison's numbers (the bootstrap and bootstrap-t intervals, the sign-flip test,
Newcombe's and Wilson's intervals for right-or-wrong scores, the verdict read from them) against
references written here from their definitions and scipy's, on seeded random inputs: a wrong
number here is a wrong finetuning decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunelab.evaluate.paired import (
    MIN_QUESTIONS,
    NO_CLEAR_WINNER,
    Difference,
    mean_interval,
    paired_difference,
    sign_flip_p,
)


def test_paired_bootstrap_interval_properties_on_random_scores():
    rng = np.random.default_rng(5)
    for trial in range(150):
        n = int(rng.integers(1, 40))
        base = rng.choice([0.0, 0.5, 1.0], n) if trial % 2 else rng.random(n)
        other = np.clip(base + rng.normal(rng.normal(0, 0.2), 0.3, n), 0, 1)
        diff = paired_difference(base, other, resamples=1000, seed=trial)
        assert diff == paired_difference(base, other, resamples=1000, seed=trial)  # seeded
        assert diff.delta == pytest.approx(float(np.mean(other - base)))
        assert diff.low <= diff.delta + 1e-12 and diff.delta <= diff.high + 1e-12
        # Swapping the models mirrors the interval exactly (same seed, same resamples).
        mirror = paired_difference(other, base, resamples=1000, seed=trial)
        assert (mirror.low, mirror.high) == pytest.approx((-diff.high, -diff.low))
        assert 0 < diff.p <= 1 and mirror.p == pytest.approx(diff.p)  # the test is two-sided
        if n >= MIN_QUESTIONS and diff.p < 0.05:
            assert diff.verdict == ("better" if diff.low > 0 else "worse" if diff.high < 0
                                    else NO_CLEAR_WINNER)  # fmt: skip
        else:
            assert diff.verdict == NO_CLEAR_WINNER


def test_paired_bootstrap_agrees_with_scipy_and_covers_the_true_difference():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(6)
    base, other = rng.random(60), rng.random(60)
    ours = paired_difference(base, other)
    theirs = stats.bootstrap(
        (other - base,), np.mean, method="percentile", n_resamples=10_000, random_state=1
    ).confidence_interval
    assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high), abs=0.01)
    # Simulated questions with a known true difference of 0.1: ~95% of intervals hold it.
    assert 0.90 <= coverage(rng, 0.5, 0.6, questions=40, truth=0.1, resamples=1000) <= 0.985


def coverage(rng, before: float, after: float, questions: int, truth: float, resamples: int):
    """The share of 300 simulated test sets (each question right with chance `before`, then
    `after`) whose paired interval holds the true difference."""
    covered = 0
    for seed in range(300):
        a = (rng.random(questions) < before).astype(float)
        b = (rng.random(questions) < after).astype(float)
        d = paired_difference(a, b, resamples=resamples, seed=seed)
        covered += d.low <= truth <= d.high
    return covered / 300


def test_paired_bootstrap_degenerate_cases():
    assert paired_difference([], []) == paired_difference([], [])
    empty = paired_difference([], [])
    assert (empty.delta, empty.low, empty.high, empty.n, empty.verdict) == (
        0.0, 0.0, 0.0, 0, NO_CLEAR_WINNER,
    )  # fmt: skip
    one = paired_difference([0.0], [1.0])  # one question cannot rule out no difference
    assert one.delta == one.high == 1.0 and one.low < 0 and one.verdict == NO_CLEAR_WINNER
    same = paired_difference([0.3] * 20, [0.3] * 20)
    assert (same.low, same.high, same.verdict) == (0.0, 0.0, NO_CLEAR_WINNER)
    shifted = paired_difference([0.25] * 20, [0.75] * 20)
    assert shifted.low == shifted.delta == shifted.high == 0.5 and shifted.verdict == "better"
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 0.0])


def test_a_winner_needs_the_questions_that_changed_to_move_one_way_beyond_chance():
    # A percentile bootstrap over 4 of 56 questions that all improved excluded zero; their 4
    # differences, signs flipped at random, sum as high 2 times in 16 (for right/wrong scores
    # the sign-flip test is McNemar's exact test). Newcombe's interval now reaches zero too, and
    # so does the bootstrap-t of partial scores (the percentile bootstrap's did not).
    few = paired_difference([0.0] * 56, [1.0] * 4 + [0.0] * 52)
    assert few.low < 0 and few.p == pytest.approx(0.125) and few.verdict == NO_CLEAR_WINNER
    partial = paired_difference([0.0] * 56, [0.5] * 4 + [0.0] * 52)  # not right/wrong: bootstrap
    assert partial.low < 0 and partial.p == pytest.approx(0.125)
    assert partial.verdict == NO_CLEAR_WINNER
    six = paired_difference([0.0] * 56, [1.0] * 6 + [0.0] * 50)
    assert six.p == pytest.approx(1 / 32) and six.verdict == "better"
    assert paired_difference([1.0] * 56, [0.0] * 6 + [1.0] * 50).verdict == "worse"
    # Magnitudes count (it tests the mean, not which way most questions moved): 12 large gains
    # outweigh 20 small losses; 3 large gains against 17 small losses do not.
    mixed = paired_difference([0.5] * 40, [1.0] * 12 + [0.45] * 20 + [0.5] * 8)
    assert mixed.verdict == "better" and mixed.p < 0.01
    lopsided = paired_difference([0.5] * 20, [1.0] * 3 + [0.4] * 17)
    assert lopsided.verdict == NO_CLEAR_WINNER


def test_the_sign_flip_test_is_mcnemars_on_right_and_wrong_and_agrees_with_scipy():
    stats = pytest.importorskip("scipy.stats")
    for up, down in [(10, 3), (9, 0), (12, 10), (300, 250), (7_100, 6_900)]:
        diffs = np.array([1.0] * up + [-1.0] * down + [0.0] * 5)
        exact = stats.binomtest(up, up + down).pvalue
        assert sign_flip_p(diffs) == pytest.approx(exact, abs=0.01 if up + down > 16 else 1e-9)
    rng = np.random.default_rng(3)
    diffs = rng.normal(0.05, 0.2, 40)
    theirs = stats.permutation_test(
        (diffs,), np.mean, permutation_type="samples", n_resamples=20_000, random_state=1
    ).pvalue
    assert sign_flip_p(diffs, resamples=20_000) == pytest.approx(theirs, abs=0.01)


def test_few_partial_scores_get_an_interval_as_wide_as_so_few_questions_need():
    # A percentile bootstrap of one question's token F1 of 0.28 read [0.28, 0.28] in `eval`'s
    # table, and a one-question compare read the difference as certain too.
    one = mean_interval([0.28])
    assert one.low < 0.05 and one.high > 0.85
    equal = mean_interval([0.5] * 5)
    assert equal.low < 0.2 and equal.high > 0.8
    paired = paired_difference([0.2], [0.48])
    assert paired.low < -0.5 and paired.high > 0.8 and paired.verdict == NO_CLEAR_WINNER
    # It still holds the true mean at least 95% of the time (Beta-distributed F1s, 3-9 questions),
    # and from MIN_QUESTIONS on the bootstrap-t is as it was (for scores that spread less than
    # right/wrong ones of their mean, whose Wilson's interval bounds it).
    rng = np.random.default_rng(8)
    for n in (3, 9):
        held = [mean_interval(rng.beta(2, 5, n)) for _ in range(400)]
        assert sum(d.low <= 2 / 7 <= d.high for d in held) / 400 >= 0.95
        gains = [paired_difference(rng.beta(2, 5, n), rng.beta(3, 4, n)) for _ in range(400)]
        assert sum(d.low <= 3 / 7 - 2 / 7 <= d.high for d in gains) / 400 >= 0.95
    scores = rng.beta(2, 5, MIN_QUESTIONS)
    assert (mean_interval(scores).low, mean_interval(scores).high) == pytest.approx(
        symmetric_bootstrap_t(scores)
    )


def token_f1_like(rng, size, zero: float = 0.3, one: float = 0.2):
    """Scores as token F1 gives them: a share 0 (no word shared), a share 1, the rest in
    between (Beta(2, 2)); of mean one + (1 - zero - one) / 2."""
    u = rng.random(size)
    return np.where(u < zero, 0.0, np.where(u < zero + one, 1.0, rng.beta(2, 2, size)))


def test_partial_scores_intervals_hold_the_true_mean_95_times_in_100_from_ten_questions():
    # A percentile bootstrap held the true mean of 10 F1-like scores 90% of the time, and a
    # paired gain over 10 questions, 6 of them unchanged, 81%: it reads the plug-in spread with
    # normal tails and never leaves the scores seen (benchmarks/interval_coverage.py).
    rng = np.random.default_rng(12)

    def gain(size):  # 60% of questions unchanged, the rest answered anew, better: mean 0.55
        before, anew = token_f1_like(rng, size), token_f1_like(rng, size, zero=0.2, one=0.3)
        return before, np.where(rng.random(size) < 0.6, before, anew)

    held = [mean_interval(token_f1_like(rng, 10)) for _ in range(300)]
    assert sum(d.low <= 0.45 <= d.high for d in held) / 300 >= 0.93
    gains = [paired_difference(*gain(10)) for _ in range(300)]
    assert sum(d.low <= 0.4 * (0.55 - 0.45) <= d.high for d in gains) / 300 >= 0.93
    assert all(0 <= d.low <= d.high <= 1 for d in held)  # a mean of F1s stays in [0, 1]
    assert all(-1 <= d.low <= d.high <= 1 for d in gains)


def test_from_a_few_hundred_questions_the_interval_is_the_percentile_bootstraps():
    # Widening for few questions is not kept where many questions need none of it.
    rng = np.random.default_rng(13)
    for scores in (token_f1_like(rng, 200), rng.exponential(1.0, 200)):
        drawn = scores[np.random.default_rng(0).integers(0, 200, (10_000, 200))].mean(1)
        low, high = np.percentile(drawn, [2.5, 97.5])
        ours = mean_interval(scores)
        assert ours.high - ours.low == pytest.approx(high - low, rel=0.04)
        assert (ours.low + ours.high) / 2 == pytest.approx(
            (low + high) / 2, abs=0.02 * (high - low)
        )


def test_one_score_changed_of_a_dozen_leaves_room_for_a_loss_as_wilson_bounds_it():
    # A percentile bootstrap read +0.04 [0, +0.125]: no resample can hold a loss, so it ruled
    # out every loss. A third of the resamples miss the one changed question (spread 0), so no
    # t can be read: Wilson's interval on the differences read as shares in [0, 1] bounds it, as
    # below 10 questions; the whole range [-1, +1] claimed the data bound nothing.
    one = paired_difference([0.5] * 12, [0.5] * 11 + [1.0])
    share = (11 * 0.5 + 0.75) / 12  # the differences (d + 1) / 2
    z, n = 1.959964, 12
    middle = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    assert one.low == pytest.approx(2 * (middle - half) - 1, abs=1e-4)
    assert one.high == pytest.approx(2 * (middle + half) - 1, abs=1e-4)
    assert -1 < one.low < 0 < one.high < 1 and one.verdict == NO_CLEAR_WINNER
    unbounded = mean_interval([0.0] * 11 + [6.0])  # scores of no known range: the scores seen
    assert (unbounded.low, unbounded.high) == (0.0, 6.0)
    assert mean_interval([0.0] * 8 + [0.1, 0.9]).low >= 0.0  # a mean of F1s is never below 0


def test_a_weak_arms_partial_scores_nearly_all_zero_get_an_interval_near_their_mean():
    # compare.json read a fact recall of 0.146 over 16 questions as [0, 0.66]: resamples of one
    # or two non-zero scores have tiny standard errors, blowing up the bootstrap-t. A percentile
    # bootstrap reads about [0.02, 0.33]; Wilson's at the mean (as wide as any such scores need)
    # bounds it.
    recall = [1.0, 1.0, 1 / 3] + [0.0] * 13
    weak = mean_interval(recall)
    assert weak.delta == pytest.approx(0.146, abs=1e-3)
    assert 0.0 < weak.low < weak.delta < weak.high < 0.45
    # Right/wrong scores as sparse keep Wilson's interval of their share right (2 of 16).
    sparse = mean_interval([1.0, 1.0] + [0.0] * 14)
    assert (sparse.low, sparse.high) == pytest.approx((0.0350, 0.3602), abs=1e-4)


def symmetric_bootstrap_t(scores: np.ndarray, resamples: int = 10_000) -> tuple[float, float]:
    """Hall's symmetric bootstrap-t 95% interval of the mean, as its definition reads: the mean
    +- the 95th percentile of |resampled mean - mean| / resampled standard error, times the
    standard error (tunelab's seed 0 draws the resamples)."""
    n = scores.size
    drawn = scores[np.random.default_rng(0).integers(0, n, (resamples, n))]
    far = np.abs(drawn.mean(1) - scores.mean()) / (drawn.std(1, ddof=1) / np.sqrt(n))
    half = np.quantile(far, 0.95, method="higher") * scores.std(ddof=1) / np.sqrt(n)
    return scores.mean() - half, scores.mean() + half


def test_a_bound_a_rounding_error_off_zero_touches_zero():
    # Recall in thirds: differences that sum to zero exactly left a bound of -5e-18, "worse".
    assert Difference(-0.1, -0.25, -5e-18, 30, p=0.001).verdict == NO_CLEAR_WINNER
    assert Difference(-0.1, -0.25, -0.01, 30, p=0.001).verdict == "worse"


def test_the_verdict_reads_a_lower_rate_as_the_better_one():
    fewer_hallucinations = paired_difference([1.0] * 20, [0.0] * 20)
    assert fewer_hallucinations.verdict == "worse"
    assert fewer_hallucinations.judged(lower_is_better=True) == "better"
    assert fewer_hallucinations.judged(lower_is_better=False) == "worse"


def test_one_models_share_right_has_a_wilson_interval_that_never_collapses():
    stats = pytest.importorskip("scipy.stats")
    for right, n in [(0, 20), (20, 20), (5, 5), (7, 20), (1, 1)]:
        ours = mean_interval([1.0] * right + [0.0] * (n - right))
        theirs = stats.binomtest(right, n).proportion_ci(method="wilson")
        assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high), abs=1e-9)
    assert mean_interval([0.0] * 20).high > 0.15  # a bootstrap said [0, 0]
    scores = [0.2, 0.5, 0.9, 0.4] * 5  # not right/wrong: a bootstrap
    ours, paired = mean_interval(scores), paired_difference([0.0] * 20, scores)
    assert (ours.delta, ours.low, ours.high, ours.n) == (paired.delta, paired.low, paired.high, 20)
    assert ours.p == 1.0  # one model's mean is tested against nothing


def test_a_large_test_set_is_resampled_in_blocks_to_the_same_interval(monkeypatch):
    # 10,000 resamples of a large test set in one index table would take gigabytes.
    from tunelab.evaluate import paired

    rng = np.random.default_rng(3)
    base, other = rng.random(500), rng.random(500) + 0.05
    whole = paired_difference(base, other, seed=1)
    monkeypatch.setattr(paired, "BLOCK_ENTRIES", 500 * 7)  # blocks of 7 resamples
    blocked = paired_difference(base, other, seed=1)
    assert blocked.delta == whole.delta and blocked.n == whole.n
    assert abs(blocked.low - whole.low) < 0.01 and abs(blocked.high - whole.high) < 0.01


def test_the_sign_flip_test_on_a_large_test_set_is_sampled_in_blocks():
    # Every flip of 50,000 changed questions cannot be counted: 10,000 sampled, in blocks.
    diffs = np.array([1.0] * 25_010 + [-1.0] * 24_990)
    assert sign_flip_p(diffs) == pytest.approx(0.93, abs=0.02)


def test_no_clear_winner_says_why_where_the_interval_alone_would_name_one():
    # "+7.1 [+1.8, +14.3] no clear winner" read as a contradiction: it names the test that did not
    # agree, or the questions too few.
    from tunelab.evaluate.paired import said_verdict
    from tunelab.evaluate.scores import comparison, summarize
    from tunelab.evaluate.suite import EvalResult

    # 5 of 20 questions gained, none lost: Newcombe's interval excludes zero, McNemar's p = 1/16.
    few = paired_difference([0.0] * 20, [1.0] * 5 + [0.0] * 15)
    assert few.low > 0 and few.unclear_because == "sign-flip test p = 0.062"
    assert paired_difference([0.0] * 5, [1.0] * 5).unclear_because == "5 questions, under 10"
    assert paired_difference([0.0] * 56, [1.0] * 6 + [0.0] * 50).unclear_because == ""  # better
    assert paired_difference([0.0] * 56, [1.0, -1.0] * 28).unclear_because == ""  # crosses zero
    pair = {"verdict": few.verdict, "unclear_because": few.unclear_because}
    assert said_verdict(pair) == "no clear winner (sign-flip test p = 0.062)"
    rows = [
        [
            {
                "scores": {"token_f1": 0.5},
                "facts": {"fact_accuracy": float(right)},
                "finish_reason": "stop",
            }
            for right in arm
        ]
        for arm in ([False] * 20, [i < 5 for i in range(20)])
    ]
    runs = [EvalResult(name, Path("."), arm, summarize(arm)) for name, arm in zip("ab", rows)]
    [line] = [line for line in comparison(runs) if line["metric"] == "fact_accuracy"]
    assert line["ahead"] == "no clear winner (sign-flip test p = 0.062)"


def test_paired_right_or_wrong_scores_get_newcombes_interval_never_a_point():
    # 18 off-topic questions, all refused by the run and none by its base: the bootstrap read
    # +100 [+100, +100], as though 18 questions had settled it (the README's demo table).
    all_gained = paired_difference([0.0] * 18, [1.0] * 18)
    # Each share's Wilson bound at 18 of 18 is 18 / (18 + z²); the two join as the root of a
    # sum of squares where one side has none right (no correlation to take into account).
    wilson_gap = 1 - 18 / (18 + 1.959964**2)
    assert all_gained.high == 1.0 and all_gained.low == pytest.approx(1 - 2**0.5 * wilson_gap)
    assert all_gained.low == pytest.approx(0.7513, abs=1e-4)
    assert all_gained.verdict == "better"

    # The correlation is continuity-corrected as in method 10 (R's contingencytables computes
    # the same): 59 both right, 6 lost, 16 gained, 80 neither gives [-0.119, -0.005] the other way
    # round; uncorrected it read [-0.117, -0.006], narrower than the method's.
    def table(both, lost, gained, neither):
        before = [1.0] * (both + lost) + [0.0] * (gained + neither)
        after = [1.0] * both + [0.0] * lost + [1.0] * gained + [0.0] * neither
        return paired_difference(before, after)

    assert (table(59, 16, 6, 80).low, table(59, 16, 6, 80).high) == pytest.approx(
        (-0.1186, -0.0046), abs=5e-5
    )
    assert (table(1, 7, 1, 12).low, table(1, 7, 1, 12).high) == pytest.approx(
        (-0.5069, -0.0256), abs=5e-5
    )
    # 4 of 56 gained beside 30 right both times: the interval reaches zero, as McNemar's p does.
    assert table(30, 0, 4, 22).low < 0 < table(30, 0, 4, 22).high
    # Swapping the models mirrors it.
    a, b = [1.0] * 12 + [0.0] * 2 + [1.0] + [0.0] * 16, [1.0] * 14 + [0.0] * 17
    ab, ba = paired_difference(a, b), paired_difference(b, a)
    assert (ba.low, ba.high) == pytest.approx((-ab.high, -ab.low)) and ab.low < 0 < ab.high
    # Simulated small test sets with a known true difference of +0.65 (20 questions, 5% right
    # before, 70% after): ~95% of intervals hold it (the percentile bootstrap's held it ~91%).
    rng = np.random.default_rng(0)
    assert 0.93 <= coverage(rng, 0.05, 0.7, questions=20, truth=0.65, resamples=200) <= 0.99


def test_none_right_or_all_right_is_a_bound_of_exactly_zero_or_one():
    # Computed, 0 of 10 gave a low bound of 2.8e-17: above the share of 0 (compare's chart drew
    # a negative error bar from it, and matplotlib stopped the command).
    for n in range(1, 60):
        assert mean_interval([0.0] * n).low == 0.0
        assert mean_interval([1.0] * n).high == 1.0
