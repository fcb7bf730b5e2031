"""How often does the 95% bootstrap interval of a mean hold the true mean? For scores that are not
all right or wrong (token F1, ROUGE-L, scores outside [0, 1]), from MIN_QUESTIONS questions on,
`eval` and `compare` read a bootstrap over the questions (`paired._bootstrap`). This simulates
many test sets of n questions from score distributions of known mean, and counts how many
intervals hold it: the percentile interval tunelab read before against the symmetric
bootstrap-t it reads now (`paired._bootstrap`), both from the same resamples.

    python benchmarks/interval_coverage.py                  # markdown table for benchmarks/README.md
    python benchmarks/interval_coverage.py --sets 5000 --resamples 10000 --n 10,20
"""

from __future__ import annotations

import argparse

import numpy as np

from tunelab.evaluate.paired import _bootstrap, _wilson_bounded

CONFIDENCE = 0.95
# Each true mean is taken from this many draws: its own error (~1e-4) is far below a coverage's.
TRUTH_DRAWS = 4_000_000
BLOCK_ENTRIES = 2**24  # resampled scores held at once


def token_f1(rng, size):
    """F1-like: 30% of answers share no word with the reference, 20% match it, the rest between."""
    u = rng.random(size)
    return np.where(u < 0.3, 0.0, np.where(u < 0.5, 1.0, rng.beta(2, 2, size)))


def weak_f1(rng, size):
    """A weak model's F1: half the answers score 0, the rest mostly low (Beta(1.2, 4))."""
    return np.where(rng.random(size) < 0.5, 0.0, rng.beta(1.2, 4, size))


def mostly_zero(rng, size):
    """A weak arm's fact recall: 80% of answers recall nothing, the rest 1/3, 2/3 or all."""
    return np.where(rng.random(size) < 0.8, 0.0, rng.integers(1, 4, size) / 3)


def skewed(rng, size):
    """Strongly skewed scores in [0, 1] (Beta(0.4, 3), skewness 1.8)."""
    return rng.beta(0.4, 3, size)


def gain(unchanged):
    def paired(rng, size):
        """F1 of one model minus another's on the same questions; on `unchanged` of them both
        answered alike (a difference of 0), on the rest the other model is a little better."""
        base, other = token_f1(rng, size), np.clip(token_f1(rng, size) + 0.15, 0, 1)
        return np.where(rng.random(size) < unchanged, 0.0, other - base)

    paired.__doc__ = f"paired F1 difference, {unchanged:.0%} of questions unchanged"
    return paired


def exponential(rng, size):
    """Unbounded scores (an exponential: skewness 2), as a score outside [0, 1] may be."""
    return rng.exponential(1.0, size)


# Each with the means its scores can have: tunelab clips its intervals to those.
DISTRIBUTIONS = {
    "token F1 (0s, 1s, between)": (token_f1, (0.0, 1.0)),
    "weak model's F1 (half 0)": (weak_f1, (0.0, 1.0)),
    "paired F1 difference, 30% zero": (gain(0.3), (-1.0, 1.0)),
    "paired F1 difference, 60% zero": (gain(0.6), (-1.0, 1.0)),
    "weak arm's fact recall (80% zero)": (mostly_zero, (0.0, 1.0)),
    "skewed, Beta(0.4, 3)": (skewed, (0.0, 1.0)),
    "unbounded, exponential": (exponential, (-np.inf, np.inf)),
}


def intervals(
    sets: np.ndarray, resamples: int, seed: int, limits: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Each set's percentile and symmetric bootstrap-t intervals (2 x sets each), from the
    resamples `_bootstrap` draws: every set of one size resampled by the same questions, as
    tunelab's fixed seed does."""
    n = sets.shape[1]
    drawn = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    rows = max(1, BLOCK_ENTRIES // (resamples * n))
    before, after = [], []
    for start in range(0, len(sets), rows):
        chunk = sets[start : start + rows]
        resampled = chunk[:, drawn]  # sets x resamples x n
        means, mean = resampled.mean(2), chunk.mean(1, keepdims=True)
        tail = 100 * (1 - CONFIDENCE) / 2
        before.append(np.percentile(means, [tail, 100 - tail], axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            far = np.abs(means - mean) / (resampled.std(2, ddof=1) / np.sqrt(n))
        q = np.quantile(
            np.nan_to_num(far, nan=0.0, posinf=np.inf), CONFIDENCE, axis=1, method="higher"
        )
        half = q * chunk.std(1, ddof=1) / np.sqrt(n)
        with np.errstate(invalid="ignore"):  # inf * 0: every question scored alike
            half = np.where(np.ptp(chunk, axis=1) == 0, 0.0, half)
        low, high = mean[:, 0] - half, mean[:, 0] + half
        low, high = np.maximum(low, limits[0]), np.minimum(high, limits[1])
        for i in np.flatnonzero(~np.isfinite(half)):
            # No spread in most resamples: no t to read; tunelab's own fallback (Wilson's on the
            # scores' range, or the scores seen), a few sets of the smallest n.
            low[i], high[i] = _bootstrap(chunk[i], CONFIDENCE, resamples, seed, limits)
        for i in np.flatnonzero(np.isfinite(half)) if np.isfinite(limits[1] - limits[0]) else ():
            # Never wider than Wilson's at the mean, as `_bootstrap` caps it.
            wilson = _wilson_bounded(chunk[i], CONFIDENCE, limits)
            if high[i] - low[i] > wilson[1] - wilson[0]:
                low[i], high[i] = wilson
        after.append(np.stack([low, high]))
    before, after = np.concatenate(before, axis=1), np.concatenate(after, axis=1)
    # The same numbers as tunelab's own path (one block of draws while resamples * n <= 2**23).
    for i in range(3):
        assert np.allclose(after[:, i], _bootstrap(sets[i], CONFIDENCE, resamples, seed, limits))
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="10,12,15,20,30,50,200", help="questions per test set")
    parser.add_argument("--sets", type=int, default=2000, help="simulated test sets per cell")
    parser.add_argument(
        "--resamples", type=int, default=2000, help="bootstrap resamples (eval: 10000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    truth = {name: draw(rng, TRUTH_DRAWS).mean() for name, (draw, _) in DISTRIBUTIONS.items()}
    print(
        f"{args.sets} simulated test sets a row, {args.resamples} resamples each, 95% intervals\n"
    )
    print("| n | scores | coverage before | coverage after | mean width before | after |")
    print("|---|---|---|---|---|---|")
    for n in (int(v) for v in args.n.split(",")):
        for name, (draw, limits) in DISTRIBUTIONS.items():
            sets = draw(rng, (args.sets, n))
            widths, held = [], []
            for low, high in intervals(sets, args.resamples, 0, limits):
                held.append(((low <= truth[name]) & (truth[name] <= high)).mean())
                widths.append((high - low).mean())
            print(
                f"| {n} | {name} | {held[0]:.1%} | **{held[1]:.1%}** | {widths[0]:.3f} "
                f"| {widths[1]:.3f} ({widths[1] / widths[0] - 1:+.0%}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
