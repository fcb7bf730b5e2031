"""How sure is a difference between two models scored on the same questions? Where every score
is right or wrong, Newcombe's paired score interval; for fewer than MIN_QUESTIONS scores in [0, 1],
Wilson's, which is at least as wide as such scores need; otherwise a paired bootstrap over
questions (resample the questions, recompute the mean difference and its standard error, read
off a symmetric bootstrap-t interval: at 10 questions it held the true difference 92-98% of the
time where a percentile bootstrap held 81-90%). A winner is named only when a paired sign-flip
test agrees (exact for few changed questions, where the bootstrap claims certainty it does not
have). Where several questions ask one fact (`tunelab data augment`'s rephrasings, rows that
share a reference answer: `tunelab.evaluate.testset.asked_facts`), the interval and the test resample whole facts instead: a cluster bootstrap and a sign flip per
fact (`_clustered`)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

NO_CLEAR_WINNER = "no clear winner"
# A bootstrap over a handful of questions claims certainty it does not have (two questions that
# both improved give the interval [1, 1]): below this many, no side is called the winner.
MIN_QUESTIONS = 10
# Resample indices drawn at once: 10,000 resamples of 10,000 questions in one table would take
# 1.6 GB; in blocks of this many entries ~130 MB. Up to ~800 questions it is one block.
BLOCK_ENTRIES = 2**23
# Scores are sums of a few fractions: a difference or bound this close to zero is zero (a bound
# of -5e-18 read as "worse").
EPSILON = 1e-9
# Up to this many questions that changed, the sign-flip test counts every flip (65,536).
EXACT_FLIPS = 16


@dataclass(frozen=True)
class Difference:
    delta: float  # mean of (other - base) over the questions
    low: float
    high: float
    n: int
    p: float = 1.0  # two-sided paired sign-flip test that the mean difference is zero
    confidence: float = 0.95
    clusters: int | None = None  # the facts the n questions ask, where some ask one together

    @property
    def verdict(self) -> str:
        """'better' / 'worse' (other against base) when the whole interval is on one side of zero
        and the sign-flip test agrees: a percentile bootstrap over 4 of 56 questions that all
        improved excludes zero, where their 4 differences' signs, flipped at random, sum as high
        one time in 8."""
        if (self.clusters or self.n) < MIN_QUESTIONS or self.p >= 1 - self.confidence:
            return NO_CLEAR_WINNER
        if self.low > EPSILON:
            return "better"
        if self.high < -EPSILON:
            return "worse"
        return NO_CLEAR_WINNER

    @property
    def unclear_because(self) -> str:
        """Why there is no clear winner where the interval alone would name one ("+25 [+10, +45]
        no clear winner" read as a contradiction), else ""."""
        if self.verdict != NO_CLEAR_WINNER or not (self.low > EPSILON or self.high < -EPSILON):
            return ""
        return why_no_winner(self.clusters or self.n, self.p, facts=bool(self.clusters))

    @property
    def said(self) -> str:
        """The verdict as shown: with why there is no clear winner, where that needs saying."""
        return said_verdict({"verdict": self.verdict, "unclear_because": self.unclear_because})

    def judged(self, lower_is_better: bool) -> str:
        """The verdict for a metric where a lower score is the better one (a hallucination rate)."""
        if not lower_is_better or self.verdict == NO_CLEAR_WINNER:
            return self.verdict
        return "worse" if self.verdict == "better" else "better"

    def ahead(self, other: str, base: str, lower_is_better: bool = False) -> str:
        """The model this difference (other − base) favours, by name, else the verdict as said:
        a bare "better" left the reader to work out which side of the − it meant."""
        verdict = self.judged(lower_is_better)
        return {"better": other, "worse": base}.get(verdict) or self.said

    def __str__(self) -> str:
        return f"{self.delta:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"


def why_no_winner(questions: int, p: float, facts: bool = False) -> str:
    """Why an interval on one side of zero names no winner: too few questions (`facts`: the
    facts they ask, where rephrasings ask one together), or a sign-flip test that does not agree
    (the rating leaderboard's "vs next" says it the same way)."""
    if questions < MIN_QUESTIONS:
        return f"{questions} {'facts' if facts else 'questions'}, under {MIN_QUESTIONS}"
    return f"sign-flip test p = {p:.2g}"


def no_winner(diff: Difference) -> str:
    """ "no clear winner" and why, as a headline says it: the interval reaches zero, or why one
    on one side of zero names no winner (`Difference.unclear_because`)."""
    return f"{NO_CLEAR_WINNER} ({diff.unclear_because or 'the interval reaches zero'})"


def over_facts(facts: int | None, sep: str = " ") -> str:
    """ " (over 7 facts)" after an interval resampled over fewer facts than questions (its
    Difference's clusters, a pair's "facts"), else ""; `sep` "\n" puts it under the interval,
    where a terminal table too narrow for both on one line would wrap the interval."""
    return f"{sep}(over {facts} facts)" if facts else ""


def said_verdict(pair: dict) -> str:
    """A pair's verdict as shown, with why there is no clear winner where its interval alone
    is on one side of zero."""
    why = pair.get("unclear_because")
    return f"{pair['verdict']} ({why})" if why else pair["verdict"]


def sign_flip_p(diffs: np.ndarray, resamples: int = 10_000, seed: int = 0) -> float:
    """Two-sided p of a paired sign-flip (permutation) test: if the two models were
    exchangeable, each question's difference would be as likely negated; how often do the
    differences, signs flipped at random, sum at least as far from zero? Exact over every flip
    for up to EXACT_FLIPS questions that changed (4 all one way: 2 of 16 flips, 0.125; for
    right/wrong scores this is McNemar's exact test), sampled beyond."""
    changed = diffs[np.abs(diffs) > EPSILON]
    if changed.size == 0:
        return 1.0
    observed = abs(changed.sum()) - EPSILON * changed.size  # ties count as as far
    if changed.size <= EXACT_FLIPS:
        flips = 1 - 2 * ((np.arange(2**changed.size)[:, None] >> np.arange(changed.size)) & 1)
        return float((np.abs(flips @ changed) >= observed).mean())
    rng, far = np.random.default_rng(seed), 0
    for rows in _blocks(resamples, changed.size):
        flips = rng.integers(0, 2, size=(rows, changed.size)) * 2 - 1
        far += int((np.abs(flips @ changed) >= observed).sum())
    return (far + 1) / (resamples + 1)


def _blocks(resamples: int, width: int) -> list[int]:
    """Resamples drawn `width` entries each, in blocks of at most BLOCK_ENTRIES entries."""
    rows = max(1, BLOCK_ENTRIES // width)
    return [min(rows, resamples - start) for start in range(0, resamples, rows)]


def _bootstrap(
    diffs: np.ndarray, confidence: float, resamples: int, seed: int, limits: tuple[float, float]
) -> tuple[float, float]:
    """The symmetric bootstrap-t interval of the mean of `diffs` (Hall 1988, "On symmetric
    bootstrap confidence intervals", JRSS B 50(1)): mean +- q se, q the `confidence` quantile of
    |resampled mean - mean| / its own standard error over resamples of the questions. A
    percentile bootstrap reads the plug-in spread (divisor n) with normal tails and never leaves
    the scores seen: at 10 questions its 95% interval held the true mean of F1-like scores 90%
    of the time, of paired differences mostly zero 81%; this one, 92-98%, and as wide as a
    percentile one from a few hundred questions on (benchmarks/interval_coverage.py). Clipped
    to `limits`, the means the scores can have."""
    mean = float(diffs.mean())
    if np.ptp(diffs) == 0:  # every question scored alike: so is every resample
        return mean, mean
    rng = np.random.default_rng(seed)
    studentized = np.concatenate(
        [_studentized(diffs[rng.integers(0, diffs.size, size=(rows, diffs.size))], mean)
         for rows in _blocks(resamples, diffs.size)]
    )  # fmt: skip
    # "higher": a quantile among resamples of no spread (an infinite t) is infinite, not NaN.
    q = float(np.quantile(studentized, confidence, method="higher"))
    if not math.isfinite(q):
        # Over 1 - confidence of the resamples repeat one score (nearly every question scored
        # alike): no t to read. Scores of a known range take Wilson's interval on it, as wide as
        # any scores of that mean need (`_wilson_bounded`; the whole range, [-1, +1] for one
        # changed question of 12, claimed no bound the data give); others, the scores seen.
        if math.isfinite(limits[1] - limits[0]):
            return _wilson_bounded(diffs, confidence, limits)
        return float(diffs.min()), float(diffs.max())
    half = q * float(diffs.std(ddof=1)) / math.sqrt(diffs.size)
    low, high = max(limits[0], mean - half), min(limits[1], mean + half)
    if math.isfinite(limits[1] - limits[0]):
        # Scores nearly all at one end (a weak arm's fact recall: 13 of 16 zero) draw many
        # resamples of one or two non-zero scores, whose tiny standard errors blow the t up:
        # [0, 0.66] for a mean of 0.146. Wilson's at their mean is as wide as any scores of
        # that range need (`_wilson_bounded`), so a wider interval claims nothing: read it.
        wilson = _wilson_bounded(diffs, confidence, limits)
        if high - low > wilson[1] - wilson[0]:
            return wilson
    return low, high


def _studentized(resampled: np.ndarray, mean: float) -> np.ndarray:
    """|mean of each resample - `mean`| over that resample's standard error of its mean; a
    resample of one score repeated is infinitely far (0 where that score is the mean)."""
    error = resampled.std(1, ddof=1) / math.sqrt(resampled.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.abs(resampled.mean(1) - mean) / error
    return np.nan_to_num(far, nan=0.0, posinf=np.inf)


def paired_difference(
    base: Sequence[float],
    other: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
    clusters: Sequence[Hashable] | None = None,
) -> Difference:
    """Mean of other − base with an interval over the paired questions: Newcombe's where every
    score is right or wrong (0 or 1); for fewer than MIN_QUESTIONS scores in [0, 1], Wilson's
    on the differences read as shares (`_wilson_bounded`); a symmetric bootstrap-t otherwise
    (`_bootstrap`). `clusters` names each question's fact: where some share one, the interval
    and p resample facts, not questions (`_clustered`)."""
    if len(base) != len(other):
        raise ValueError(f"paired scores differ in length: {len(base)} vs {len(other)}")
    before, after = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
    diffs = after - before
    if diffs.size == 0:
        return Difference(0.0, 0.0, 0.0, 0, confidence=confidence)
    if clusters is not None and len(clusters) != diffs.size:
        raise ValueError(f"{len(clusters)} clusters for {diffs.size} paired scores")
    if clusters is not None and len(set(clusters)) < diffs.size:
        bounded = _within_0_1(before) and _within_0_1(after)
        return _clustered(diffs, clusters, confidence, resamples, seed, bounded)
    if _right_or_wrong(before) and _right_or_wrong(after):
        low, high = _newcombe(before, after, confidence)
    elif not (_within_0_1(before) and _within_0_1(after)):
        low, high = _bootstrap(diffs, confidence, resamples, seed, (-math.inf, math.inf))
    elif diffs.size < MIN_QUESTIONS:
        low, high = _wilson_bounded(diffs, confidence, (-1.0, 1.0))
    else:
        low, high = _bootstrap(diffs, confidence, resamples, seed, (-1.0, 1.0))
    p = sign_flip_p(diffs, resamples, seed + 1)  # its own draws: the interval stays as it was
    return Difference(float(diffs.mean()), low, high, int(diffs.size), p, confidence)


def _clustered(
    diffs: np.ndarray,
    clusters: Sequence[Hashable],
    confidence: float,
    resamples: int,
    seed: int,
    bounded: bool,
) -> Difference:
    """The paired difference where questions ask facts together (a fact's rephrasings are mostly
    right or wrong together): still the mean over the questions, but its interval a symmetric
    bootstrap-t over resampled facts, each resample's mean over the questions it drew and its
    standard error the clustered one, and p a sign flip of each fact's summed differences. The
    closed forms (Newcombe's, Wilson's) assume independent questions, so this serves every kind
    of score: 5 facts asked 4 ways alike are as sure as 5 facts asked once, not 20."""
    ids = {c: i for i, c in enumerate(dict.fromkeys(clusters))}
    which = np.fromiter((ids[c] for c in clusters), dtype=int, count=diffs.size)
    sums = np.bincount(which, weights=diffs)
    sizes = np.bincount(which).astype(float)
    mean, limits = float(diffs.mean()), (-1.0, 1.0) if bounded else (-math.inf, math.inf)
    q = math.inf  # every question's difference alike: no spread, no t to read
    if np.ptp(diffs) > 0:
        rng = np.random.default_rng(seed)
        studentized = np.concatenate(
            [_cluster_studentized(sums, sizes, rng.integers(0, sums.size, size=(rows, sums.size)),
                                  mean)
             for rows in _blocks(resamples, sums.size)]
        )  # fmt: skip
        q = float(np.quantile(studentized, confidence, method="higher"))
    if math.isfinite(q):
        half = q * _cluster_error(sums[None], sizes[None], np.array([mean]))[0]
        low, high = max(limits[0], mean - half), min(limits[1], mean + half)
    elif bounded:
        # As `_bootstrap`: Wilson's over the facts. 7 facts all gained read [+1, +1], certainty
        # the same 7 asked once (Newcombe's, [+0.50, +1]) did not claim; this reads [+0.29, +1].
        share = _wilson((mean + 1) / 2, sums.size, confidence)
        low, high = 2 * share[0] - 1, 2 * share[1] - 1
    else:
        low, high = float(diffs.min()), float(diffs.max())
    p = sign_flip_p(sums, resamples, seed + 1)
    return Difference(mean, low, high, int(diffs.size), p, confidence, int(sums.size))


def _cluster_error(sums: np.ndarray, sizes: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The clustered standard error of each row's mean of questions (sum of `sums` over sum of
    `sizes`, the facts' summed differences and question counts): the spread of the facts'
    residual sums, with the small-sample factor C / (C - 1)."""
    facts = sums.shape[1]
    residuals = sums - means[:, None] * sizes
    spread = facts / (facts - 1) * (residuals**2).sum(1)
    return np.sqrt(spread) / sizes.sum(1)


def _cluster_studentized(
    sums: np.ndarray, sizes: np.ndarray, drawn: np.ndarray, mean: float
) -> np.ndarray:
    """|mean of each resample of facts - `mean`| over its clustered standard error; a resample
    of one fact's mean repeated is infinitely far (0 where that is the mean)."""
    means = sums[drawn].sum(1) / sizes[drawn].sum(1)
    error = _cluster_error(sums[drawn], sizes[drawn], means)
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.abs(means - mean) / error
    return np.nan_to_num(far, nan=0.0, posinf=np.inf)


def mean_interval(values: Sequence[float], confidence: float = 0.95, seed: int = 0) -> Difference:
    """The mean of one model's scores with its interval over the questions: Wilson's score
    interval where every score is 0 or 1 (a bootstrap of 0 right out of 20 is [0, 0]; Wilson's
    reaches 16%), for fewer than MIN_QUESTIONS scores in [0, 1] Wilson's at their mean
    (`_wilson_bounded`), else a symmetric bootstrap-t (`_bootstrap`). No test: one model's mean
    has nothing to be told from."""
    scores = np.asarray(values, dtype=float)
    if scores.size and _right_or_wrong(scores):
        low, high = _wilson(float(scores.mean()), scores.size, confidence)
        return Difference(float(scores.mean()), low, high, scores.size, confidence=confidence)
    if not scores.size:
        return Difference(0.0, 0.0, 0.0, 0, confidence=confidence)
    if not _within_0_1(scores):
        low, high = _bootstrap(scores, confidence, 10_000, seed, (-math.inf, math.inf))
    elif scores.size < MIN_QUESTIONS:
        low, high = _wilson_bounded(scores, confidence)
    else:
        low, high = _bootstrap(scores, confidence, 10_000, seed, (0.0, 1.0))
    return Difference(float(scores.mean()), low, high, scores.size, confidence=confidence)


def _right_or_wrong(scores: np.ndarray) -> bool:
    return bool(np.isin(scores, (0.0, 1.0)).all())


def _within_0_1(scores: np.ndarray) -> bool:
    return bool(((scores >= 0) & (scores <= 1)).all())


def _wilson_bounded(
    scores: np.ndarray, confidence: float, limits: tuple[float, float] = (0.0, 1.0)
) -> tuple[float, float]:
    """Wilson's interval at the mean of scores in `limits` (token F1 and ROUGE-L in [0, 1], their
    paired differences in [-1, 1]), read as shares of that range and back, for fewer than
    MIN_QUESTIONS of them: a bootstrap of one question's F1 of 0.28 read [0.28, 0.28], of five
    equal scores as narrow, certainty so few questions do not give. A score in [0, 1] of mean p
    varies at most as a right/wrong one of share p does, so this interval is at least as wide
    as the scores need."""
    low, width = limits[0], limits[1] - limits[0]
    bounds = _wilson(float(((scores - low) / width).mean()), scores.size, confidence)
    return low + bounds[0] * width, low + bounds[1] * width


def _wilson(share: float, n: int, confidence: float) -> tuple[float, float]:
    """Wilson's score interval of a share of n right/wrong answers. None right is a bound of
    exactly 0 (and all right of 1): computed, 0 of 10 gave a low of 2.8e-17, above the share,
    and matplotlib refused the negative error bar, ending `tunelab compare` in a traceback."""
    z = float(NormalDist().inv_cdf(0.5 + confidence / 2))
    middle = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    low = 0.0 if share <= 0 else max(0.0, middle - half)
    return low, 1.0 if share >= 1 else min(1.0, middle + half)


def _newcombe(before: np.ndarray, after: np.ndarray, confidence: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for the difference of two paired shares right (his
    method 10, 1998): each share's Wilson interval, joined through their correlation. A
    bootstrap of 18 questions that all went from wrong to right read [+1, +1], certainty that 18
    questions do not give; this one reads [+0.75, +1]."""
    n = before.size
    both = float((before * after).sum())
    gained, lost = float(((1 - before) * after).sum()), float((before * (1 - after)).sum())
    neither = n - both - gained - lost
    share_after, share_before = (both + gained) / n, (both + lost) / n
    low_after, high_after = _wilson(share_after, n, confidence)
    low_before, high_before = _wilson(share_before, n, confidence)
    margins = (both + gained) * (lost + neither) * (both + lost) * (gained + neither)
    # The correlation, continuity-corrected as Newcombe's method 10 has it (a positive one less
    # n/2, and none below that); a margin of zero (everyone right, or wrong, on one side) leaves
    # it undefined: 0. Uncorrected, intervals came out narrower than the method's (Altman's
    # "Statistics with Confidence" examples).
    agreement = both * neither - gained * lost
    if agreement > n / 2:
        agreement -= n / 2
    elif agreement > 0:
        agreement = 0.0
    phi = agreement / math.sqrt(margins) if margins else 0.0
    down_after, up_before = share_after - low_after, high_before - share_before
    up_after, down_before = high_after - share_after, share_before - low_before
    below = math.sqrt(max(0.0, down_after**2 - 2 * phi * down_after * up_before + up_before**2))
    above = math.sqrt(max(0.0, up_after**2 - 2 * phi * up_after * down_before + down_before**2))
    delta = share_after - share_before
    return delta - below, delta + above
