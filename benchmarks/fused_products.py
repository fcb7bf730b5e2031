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

from tunelab.kernels import training_linear


def model_shapes() -> dict[str, int]:
    """The embedded model's widths and layer count, read from its config (no weights loaded)."""
    from transformers import AutoConfig

    from tunelab.models import embedded_model_dir

    config = AutoConfig.from_pretrained(embedded_model_dir())
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return {
        "hidden": config.hidden_size,
        "kv": config.num_key_value_heads * head_dim,
        "intermediate": config.intermediate_size,
        "layers": config.num_hidden_layers,
    }


def separate(x, weights, grads, with_weights: bool):
    """Each part's product, input gradient summed over the parts, each weight's gradient."""
    outputs = [training_linear(x, w) for w in weights]
    grad_x = training_linear(grads[0], weights[0].t())
    for w, g in zip(weights[1:], grads[1:], strict=True):
        grad_x += training_linear(g, w.t())
    if with_weights:
        outputs += [training_linear(g.t(), x.t()) for g in grads]
    return outputs, grad_x


def fused(x, weight, grads, with_weights: bool):
    """One product of the concatenated weights, one input gradient, one weight gradient."""
    output = training_linear(x, weight)
    grad = torch.cat(grads, dim=1)
    grad_x = training_linear(grad, weight.t())
    weight_grad = training_linear(grad.t(), x.t()) if with_weights else None
    return output, grad_x, weight_grad


def thin_separate(x, weights, *_):
    return [training_linear(x, w) for w in weights]


def thin_fused(x, weight, *_):
    return training_linear(x, weight)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=768)
    parser.add_argument("--rank", type=int, default=16)
    args = parser.parse_args()
    shapes = model_shapes()
    torch.manual_seed(0)
    x = torch.randn(args.tokens, shapes["hidden"])
    hidden, kv, inter = shapes["hidden"], shapes["kv"], shapes["intermediate"]
    groups = {
        "q/k/v": [hidden, kv, kv],
        "gate/up": [inter, inter],
    }
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
            lambda: thin_separate(x, thin),
            lambda: thin_fused(x, thin_joined),
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
        f"of 10 calls; the model has {shapes['layers']} layers"
    )
    print("| products | separate ms | fused ms | separate ÷ fused | saved a step, ms |")
    print("|---|---|---|---|---|")
    for label, (apart, together) in seconds.items():
        a, b = statistics.median(apart) * 1e3, statistics.median(together) * 1e3
        print(f"| {label} | {a:.2f} | {b:.2f} | {a / b:.3f} | {(a - b) * shapes['layers']:.1f} |")


if __name__ == "__main__":
    main()
