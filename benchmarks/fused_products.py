"""Products that share an input, separate (as the model runs them) vs fused into one product of
the concatenated weights: q/k/v and gate/up, and LoRA's rank-r A products of q/k/v, at the
embedded 135M model's shapes and a training step's 768 tokens, side by side in one run.

    python benchmarks/fused_products.py            # --repeats 9 --tokens 768

Each way runs `training_linear` (MKL or oneDNN, as training picks on this CPU): the forward and
the input gradient (LoRA's frozen weights), and with the weights' gradients too (full
finetuning). The fused input gradient starts from the parts' gradients concatenated, as
attention's and SwiGLU's backward give them separately. Reported: each way's median ms for one
layer, separate ÷ fused, and what the difference comes to over the model's layers."""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from train_limits import model_shape
from train_peers import SHAPES

from tunelab.kernels import training_linear


def separate(x, weights, grads, with_weights: bool):
    """Each part's product; the input gradient summed over the parts; each weight's gradient."""
    outputs = [training_linear(x, w) for w in weights]
    grad_x = training_linear(grads[0], weights[0].t())
    for w, g in zip(weights[1:], grads[1:], strict=True):
        grad_x += training_linear(g, w.t())
    weight_grads = [training_linear(g.t(), x.t()) for g in grads] if with_weights else None
    return outputs, grad_x, weight_grads


def fused(x, weight, grads, with_weights: bool):
    """One product of the concatenated weights, one input gradient, one weight gradient."""
    output = training_linear(x, weight)
    grad = torch.cat(grads, dim=1)
    grad_x = training_linear(grad, weight.t())
    weight_grad = training_linear(grad.t(), x.t()) if with_weights else None
    return output, grad_x, weight_grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=768)
    parser.add_argument("--rank", type=int, default=16)
    args = parser.parse_args()
    shape = model_shape(SHAPES["smollm2-135m"])
    # A Llama layer's linears in the order it declares them: q, k, v, o, then gate, up, down.
    outs = [out for _, out in shape.linears]
    hidden = shape.linears[0][0]
    groups = {"q/k/v": outs[0:3], "gate/up": outs[4:6]}
    torch.manual_seed(0)
    x = torch.randn(args.tokens, hidden)
    cases = []  # (label, separate call, fused call)
    for group, widths in groups.items():
        weights = [torch.randn(w, hidden) * 0.02 for w in widths]
        grads = [torch.randn(args.tokens, w) for w in widths]
        joined = torch.cat(weights)
        for mode, with_weights in (("LoRA (frozen)", False), ("full", True)):
            cases.append(
                (
                    f"{group}, {mode}",
                    lambda w=weights, g=grads, f=with_weights: separate(x, w, g, f),
                    lambda w=joined, g=grads, f=with_weights: fused(x, w, g, f),
                )
            )
    thin = [torch.randn(args.rank, hidden) * 0.02 for _ in groups["q/k/v"]]
    thin_joined = torch.cat(thin)
    cases.append(
        (
            f"q/k/v LoRA A (rank {args.rank}), forward",
            lambda: [training_linear(x, a) for a in thin],
            lambda: training_linear(x, thin_joined),
        )
    )
    seconds = {label: ([], []) for label, *_ in cases}
    for _ in range(2):  # warm: oneDNN's primitives made, pages touched
        for _, *calls in cases:
            for call in calls:
                call()
    for _ in range(args.repeats):  # alternating, so a change in the machine's load falls on both
        for label, *calls in cases:
            for times, call in zip(seconds[label], calls, strict=True):
                start = time.perf_counter()
                for _ in range(10):
                    call()
                times.append((time.perf_counter() - start) / 10)
    print(
        f"{args.tokens} tokens, {torch.get_num_threads()} threads, {args.repeats} repeats "
        f"of 10 calls; the model has {shape.layers} layers"
    )
    print("| products | separate ms | fused ms | separate ÷ fused | saved a step, ms |")
    print("|---|---|---|---|---|")
    for label, (apart, together) in seconds.items():
        a, b = statistics.median(apart) * 1e3, statistics.median(together) * 1e3
        print(f"| {label} | {a:.2f} | {b:.2f} | {a / b:.3f} | {(a - b) * shape.layers:.1f} |")


if __name__ == "__main__":
    main()
