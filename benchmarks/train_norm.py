"""Training's RMSNorm, forward and backward: transformers' module as written against tunelab's
closed form (autograd ops, tunelab/train/layers/rms_norm.py) and its kernel
(tunelab/kernels/rms_norm.cpp).

    python benchmarks/train_norm.py                      # 1 and 2 threads
    python benchmarks/train_norm.py --threads 2 --tokens 1200 --repeats 15

The embedded model's norm (576 wide) on random hidden states of one step's tokens (~1,200 in
train_throughput.py's steps); the weight trained (full finetuning) or frozen (LoRA). The three
ways are timed in turn, each 61 norms forward and backward (the model's count), repeated after 3
untimed rounds; a row is the medians, a ratio the module's time over the way's."""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers.models.llama.modeling_llama import LlamaRMSNorm

from tunelab.kernels import rms_norm as kernel
from tunelab.train.layers import rms_norm

WIDTH, NORMS = 576, 61


def _norms() -> dict[str, torch.nn.Module]:
    module = LlamaRMSNorm(WIDTH, eps=1e-5)
    closed, fused = LlamaRMSNorm(WIDTH, eps=1e-5), LlamaRMSNorm(WIDTH, eps=1e-5)
    rms_norm.use_for_training(closed)
    rms_norm.use_for_training(fused)
    return {"module": module, "closed form": closed, "kernel": fused}


def _time(norm, x, grad, weight_trained: bool, closed_form: bool) -> float:
    wanted = [x, norm.weight] if weight_trained else [x]
    usable = kernel.usable
    if closed_form:
        kernel.usable = lambda *_: False
    try:
        start = time.perf_counter()
        for _ in range(NORMS):
            torch.autograd.grad(norm(x), wanted, grad)
        return time.perf_counter() - start
    finally:
        kernel.usable = usable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tokens", type=int, default=1200)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    if not kernel.available():
        raise SystemExit("tunelab's kernels did not compile, or this CPU lacks AVX-512")
    torch.manual_seed(0)
    x = torch.randn(args.tokens, WIDTH, requires_grad=True)
    grad = torch.randn(args.tokens, WIDTH)
    norms = _norms()
    print(f"{NORMS} norms forward and backward, {args.tokens} tokens x {WIDTH}, medians ms")
    print(
        "| threads | weight | module | closed form | kernel | closed form speedup | kernel speedup |"
    )
    print("|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for trained in (True, False):
            for norm in norms.values():
                norm.weight.requires_grad_(trained)
            seconds = {name: [] for name in norms}
            for round_ in range(args.repeats + 3):
                for name, norm in norms.items():
                    took = _time(norm, x, grad, trained, closed_form=name == "closed form")
                    if round_ >= 3:
                        seconds[name].append(took)
            ms = {name: 1000 * statistics.median(s) for name, s in seconds.items()}
            print(
                f"| {threads} | {'trained' if trained else 'frozen'} | {ms['module']:.1f} | "
                f"{ms['closed form']:.1f} | {ms['kernel']:.1f} | "
                f"{ms['module'] / ms['closed form']:.2f}x | {ms['module'] / ms['kernel']:.2f}x |"
            )


if __name__ == "__main__":
    main()
