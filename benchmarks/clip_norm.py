"""Clipping's total norm: torch's get_total_norm vs a BLAS dot per gradient vs tunelab's
`total_norm` (chunks by one batched product, partial sums in float64), on the gradients' shapes
of the embedded 135M model (272 tensors), side by side in one run.

    python benchmarks/clip_norm.py            # --repeats 9

Reported: each one's median time, that time over get_total_norm's, and its relative error
against a float64 sum of the same gradients (random values of a gradient's size, mean 1e-3,
where a float32 running sum over the embedding's 28M squares drifts)."""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from train_limits import meta_model
from train_peers import SHAPES

from tunelab.train.clipping import total_norm


def gradient_shapes() -> list[tuple[int, ...]]:
    """The embedded model's parameters' shapes, read from its config (no weights loaded)."""
    return [tuple(p.shape) for p in meta_model(SHAPES["smollm2-135m"]).parameters()]


def blas_dots(grads: list[torch.Tensor]) -> torch.Tensor:
    """What total_norm was until session 35: one dot over each whole gradient."""
    return torch.stack([torch.dot(f, f) for f in (g.reshape(-1) for g in grads)]).sum().sqrt()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    torch.manual_seed(0)
    grads = [torch.randn(*shape) * 1e-3 + 1e-3 for shape in gradient_shapes()]
    exact = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
    ways = {
        "torch get_total_norm": torch.nn.utils.get_total_norm,
        "BLAS dot per gradient": blas_dots,
        "tunelab total_norm": total_norm,
    }
    seconds = {name: [] for name in ways}
    errors = {}
    for _ in range(args.repeats):  # alternating, so a change in the machine's load falls on all
        for name, norm in ways.items():
            start = time.perf_counter()
            value = float(norm(grads))
            seconds[name].append(time.perf_counter() - start)
            errors[name] = abs(value - exact) / exact
    anchor = statistics.median(seconds["torch get_total_norm"])
    print(f"{len(grads)} gradients, {torch.get_num_threads()} threads, {args.repeats} repeats")
    print("| norm | median ms | time ÷ get_total_norm | relative error vs float64 |")
    print("|---|---|---|---|")
    for name in ways:
        median = statistics.median(seconds[name])
        print(f"| {name} | {median * 1e3:.1f} | {median / anchor:.2f} | {errors[name]:.1e} |")


if __name__ == "__main__":
    main()
