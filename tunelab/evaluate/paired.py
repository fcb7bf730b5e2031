"""How sure is a difference between two models scored on the same questions? A paired bootstrap
over questions: resample the questions, recompute the mean difference, read off the interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NO_CLEAR_WINNER = "no clear winner"
# A bootstrap over a handful of questions claims certainty it does not have (two questions that
# both improved give the interval [1, 1]): below this many, no side is called the winner.
MIN_QUESTIONS = 10
# Resample indices drawn at once: 10,000 resamples of 10,000 questions in one table would take
# 1.6 GB; in blocks of this many entries ~130 MB. Up to ~800 questions it is one block.
BLOCK_ENTRIES = 2**23


@dataclass(frozen=True)
class Difference:
    delta: float  # mean of (other - base) over the questions
    low: float
    high: float
    n: int

    @property
    def verdict(self) -> str:
        """'better' / 'worse' when the whole interval is on one side of zero."""
        if self.n >= MIN_QUESTIONS and self.low > 0:
            return "better"
        if self.n >= MIN_QUESTIONS and self.high < 0:
            return "worse"
        return NO_CLEAR_WINNER

    def __str__(self) -> str:
        return f"{self.delta:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"


def paired_difference(
    base: Sequence[float],
    other: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> Difference:
    """Mean of other − base with a percentile-bootstrap interval over the paired questions."""
    if len(base) != len(other):
        raise ValueError(f"paired scores differ in length: {len(base)} vs {len(other)}")
    diffs = np.asarray(other, dtype=float) - np.asarray(base, dtype=float)
    if diffs.size == 0:
        return Difference(0.0, 0.0, 0.0, 0)
    rng = np.random.default_rng(seed)
    rows = max(1, BLOCK_ENTRIES // diffs.size)
    means = np.concatenate(
        [
            diffs[rng.integers(0, diffs.size, size=(min(rows, resamples - s), diffs.size))].mean(1)
            for s in range(0, resamples, rows)
        ]
    )
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Difference(float(diffs.mean()), float(low), float(high), int(diffs.size))


def mean_interval(values: Sequence[float], confidence: float = 0.95, seed: int = 0) -> Difference:
    """The mean of one model's scores with its bootstrap interval over the questions (its
    difference from scoring zero everywhere)."""
    return paired_difference([0.0] * len(values), values, confidence, seed=seed)
