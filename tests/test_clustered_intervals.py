"""Paired intervals over facts, not over rephrasings of them: where a test set asks one fact
several ways (`tunelab data augment`), its questions are not independent evidence, and the
interval and the sign-flip test resample whole facts (clusters)."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab.evaluate.paired import NO_CLEAR_WINNER, paired_difference


def _asked(scores, times: int) -> list[float]:
    """Each fact's score, repeated for each of the `times` ways it is asked."""
    return [s for s in scores for _ in range(times)]


def test_without_clusters_or_with_one_question_a_fact_the_difference_is_as_before():
    rng = np.random.default_rng(3)
    for base, other in [
        (rng.integers(0, 2, 30), rng.integers(0, 2, 30)),  # right/wrong: Newcombe's
        (rng.random(30), rng.random(30)),  # partial: the bootstrap-t over questions
        (rng.random(6), rng.random(6)),  # a few: Wilson's
    ]:
        today = paired_difference(base, other)
        assert today.clusters is None
        assert paired_difference(base, other, clusters=None) == today
        assert paired_difference(base, other, clusters=[f"q{i}" for i in range(len(base))]) == today


def test_a_fact_asked_more_times_alike_adds_no_certainty():
    rng = np.random.default_rng(0)
    base, other = rng.random(12), np.clip(rng.random(12) + 0.1, 0, 1)
    twice = paired_difference(_asked(base, 2), _asked(other, 2), clusters=_asked(range(12), 2))
    four = paired_difference(_asked(base, 4), _asked(other, 4), clusters=_asked(range(12), 4))
    assert (four.n, four.clusters) == (48, 12)
    assert four.delta == pytest.approx(twice.delta)
    assert (four.low, four.high, four.p) == pytest.approx((twice.low, twice.high, twice.p))
    # Read as 48 independent questions (today without clusters) it is about half as wide.
    rows = paired_difference(_asked(base, 4), _asked(other, 4))
    assert rows.high - rows.low < 0.6 * (four.high - four.low)


def test_five_facts_asked_four_ways_name_no_winner_however_many_questions():
    before, after = [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]
    rows = paired_difference(_asked(before, 4), _asked(after, 4))
    assert rows.verdict == "better"  # 20 "independent" questions, 16 of them gained
    facts = paired_difference(_asked(before, 4), _asked(after, 4), clusters=_asked("abcde", 4))
    assert facts.verdict == NO_CLEAR_WINNER and facts.low < 0 < facts.high
    assert facts.high - facts.low > 2 * (rows.high - rows.low)


def test_under_ten_facts_name_no_winner_and_say_so():
    # 9 facts asked 3 ways, every one gained: 27 questions would be a winner, 9 facts are not.
    base = np.linspace(0.1, 0.5, 9)
    other = base + np.linspace(0.2, 0.4, 9)
    assert paired_difference(_asked(base, 3), _asked(other, 3)).verdict == "better"
    facts = paired_difference(_asked(base, 3), _asked(other, 3), clusters=_asked(range(9), 3))
    assert facts.low > 0 and facts.verdict == NO_CLEAR_WINNER
    assert facts.said == "no clear winner (9 facts, under 10)"


def test_with_no_true_difference_the_clustered_interval_seldom_names_a_winner():
    # 200 test sets of 15 facts asked 4 ways each, two models of the same skill whose answers
    # to one fact's rephrasings are mostly right or wrong together.
    rng = np.random.default_rng(1)
    facts, ways, sets = 15, 4, 200
    called = {"questions": 0, "facts": 0}
    for trial in range(sets):
        base, other = (
            np.clip(0.5 + np.repeat(rng.normal(0, 0.3, facts), ways)
                    + rng.normal(0, 0.05, facts * ways), 0, 1)
            for _ in range(2)
        )  # fmt: skip
        clusters = np.repeat(np.arange(facts), ways).tolist()
        for said, groups in (("questions", None), ("facts", clusters)):
            diff = paired_difference(base, other, resamples=1000, seed=trial, clusters=groups)
            called[said] += diff.verdict != NO_CLEAR_WINNER
    assert called["facts"] <= 0.10 * sets
    assert called["questions"] >= 0.20 * sets


def test_facts_all_gained_alike_are_no_surer_than_the_same_facts_asked_once():
    # 11 held-out rephrasings of 7 facts, all wrong before finetuning and right after: the
    # interval read [+1.00, +1.00], where the 7 facts asked once read [+0.50, +1].
    facts = [1, 1, 2, 3, 3, 4, 5, 6, 7, 7, 7]
    for before, after in ([0, 1], [0, 0], [1, 1]):
        asked = paired_difference([before] * 11, [after] * 11, clusters=facts)
        once = paired_difference([before] * 7, [after] * 7)
        assert asked.delta == once.delta
        assert asked.low <= once.low and asked.high >= once.high, (before, after)
        assert asked.verdict == NO_CLEAR_WINNER  # 7 facts, under 10
