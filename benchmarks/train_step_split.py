"""Where a training step's time goes, timed without the profiler.

    python benchmarks/train_step_split.py                 # full finetuning, 6 steps after 2
    python benchmarks/train_step_split.py --method lora --steps 10

The profiler misled twice here (benchmarks/README.md): its own cost around many small ops made
the transposed copies look 2x and SwiGLU's backward 7x what they take. This times each kind of
work with perf_counter around the function that does it (the products, the attention kernel,
the norms, rotary, SwiGLU, the fused head and loss, clipping, AdamW, the batch's making) in one
process, on the batches of train_throughput.py, and prints each kind's median ms a step; the
products' rate; the step's model FLOP/s (train_limits.model_flops) as a share of the matmul
probe, measured in the same process right after; and the fixed cost of the step's ops (the
same forward and backward on 16 tokens, less its products), which bounds its Python overhead."""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

import torch
from train_limits import gemm_probe, model_flops, model_shape
from train_peers import SHAPES, document_stats, load_documents, rows_per_step

import tunelab.kernels as kernels
from tunelab.config import TrainConfig
from tunelab.data.pipeline import iterate_batches, make_rows
from tunelab.kernels import attention, rms_norm, swiglu
from tunelab.run import load_model
from tunelab.train import clipping, loss, memory
from tunelab.train.layers import lora_layers, rotary
from tunelab.train.loop import accumulate_gradients
from tunelab.train.setup import make_optimizer, prepare_model, set_attention

PRODUCTS = "products (decoder and head)"
THIN_PRODUCTS = "of which LoRA's thin products"
TINY = 16  # tokens of the step that measures its ops' fixed cost
# Each kind's seconds this step, disjoint, so that they and "rest" sum to the step.
spent: dict[str, float] = defaultdict(float)
# Within the products: those with the LoRA rank as one of their sizes, and the products' work.
thin_seconds, product_flops = [0.0], [0.0]


def _timed_products(rank: int) -> None:
    real = kernels.training_linear

    def timed(a, b, bias=None):
        start = time.perf_counter()
        out = real(a, b, bias)
        seconds = time.perf_counter() - start
        spent[PRODUCTS] += seconds
        if min(a.numel() // a.shape[-1], a.shape[-1], b.shape[0]) <= rank:
            thin_seconds[0] += seconds
        product_flops[0] += 2 * a.numel() * b.shape[0]
        return out

    # Each module looks the name up at call time (loss.py and lora_layers.py imported it by name).
    kernels.training_linear = loss.training_linear = lora_layers.training_linear = timed


def _timed_functions() -> None:
    functions = {
        "attention kernel": attention._DocumentAttention,
        "rms norm": rms_norm.RMSNorm,
        "rotary": rotary.RotaryFunction,
        "swiglu": swiglu.SwiGLU,
        "head + loss, less its products": loss.LinearCrossEntropy,
        "LoRA layers, less their products": lora_layers.LoraLinearFunction,
    }
    for label, function in functions.items():
        for way in ("forward", "backward"):
            setattr(function, way, staticmethod(_timer(getattr(function, way), label)))


def _timer(real, label):
    def timed(ctx, *args):
        start, products = time.perf_counter(), spent[PRODUCTS]
        out = real(ctx, *args)
        # The fused head's and the LoRA layers' products run inside their functions: counted
        # once, as products.
        spent[label] += time.perf_counter() - start - (spent[PRODUCTS] - products)
        return out

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="full", choices=["lora", "full"])
    parser.add_argument("--steps", type=int, default=6, help="timed steps (+2 untimed)")
    args = parser.parse_args()
    torch.manual_seed(0)
    cfg = TrainConfig(method=args.method, lora={"dropout": 0.0})
    device = torch.device("cpu")
    model, tokenizer = load_model(SHAPES["smollm2-135m"])
    set_attention(model, cfg.attention, device)
    model = prepare_model(model, cfg)
    optimizer = make_optimizer(model, cfg, device)
    items = load_documents(tokenizer, 160, 256)
    rows = make_rows(items, 256, packing=True)
    stream = iterate_batches(rows, rows_per_step(rows, items), 0, True, tokenizer.pad_token_id)
    trained_params = [p for p in model.parameters() if p.requires_grad]
    memory.keep_freed_memory()  # as the training loop does on a CPU
    _timed_products(cfg.lora.r)
    _timed_functions()
    steps: dict[str, list[float]] = defaultdict(list)
    trained_tokens, step_tokens = [], 0
    for step in range(args.steps + 2):
        spent.clear()
        thin_seconds[0] = product_flops[0] = 0.0
        start = time.perf_counter()  # the loop times its batch's making too
        _, _, batch = next(stream)
        spent["data: the batch made"] = time.perf_counter() - start
        _, trained = accumulate_gradients(model, [batch], device)
        backward_done = time.perf_counter()
        clipping.clip_gradients(trained_params, 1.0, optimizer)
        clipped = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        end = time.perf_counter()
        spent["clipping's norm"] = clipped - backward_done
        spent["AdamW (and zero_grad)"] = end - clipped
        spent["rest: autograd, adds, embedding, Python"] = (end - start) - sum(spent.values())
        if step >= 2:
            for kind, seconds in spent.items():
                steps[kind].append(seconds)
            steps["step"].append(end - start)
            if args.method == "lora":
                steps[THIN_PRODUCTS].append(thin_seconds[0])
            steps["products GFLOP/s"].append(product_flops[0] / spent[PRODUCTS])
            trained_tokens.append(int(trained))
            step_tokens = batch["input_ids"].numel()
    fixed = [_fixed_cost(model, batch, device) for _ in range(5)]
    shape = model_shape(SHAPES["smollm2-135m"])
    lengths, trained_docs = document_stats(items)
    per_trained = model_flops(shape, args.method, lengths, trained_docs) / sum(trained_docs)
    rates = [per_trained * t / s for t, s in zip(trained_tokens, steps["step"])]
    probe = gemm_probe(
        shape, args.method, step_tokens, round(statistics.median(trained_tokens)), "cpu"
    )
    step = statistics.median(steps["step"])
    print(f"{args.method}, {args.steps} steps of {step_tokens} tokens, one process")
    print("| kind of work | ms a step (range) | share of the step |")
    print("|---|---|---|")
    for kind, values in sorted(steps.items(), key=lambda kv: -statistics.median(kv[1])):
        if kind in ("step", "products GFLOP/s"):
            continue
        m = statistics.median(values)
        print(
            f"| {kind} | {m * 1e3:.0f} ({min(values) * 1e3:.0f}–{max(values) * 1e3:.0f}) | {100 * m / step:.0f}% |"
        )
    print(
        f"| step | {step * 1e3:.0f} ({min(steps['step']) * 1e3:.0f}–{max(steps['step']) * 1e3:.0f}) | 100% |"
    )
    print(f"products at {statistics.median(steps['products GFLOP/s']) / 1e9:.0f} GFLOP/s; "
          f"the step's model GFLOP/s {statistics.median(rates) / 1e9:.0f} "
          f"({min(rates) / 1e9:.0f}–{max(rates) / 1e9:.0f}); probe {probe / 1e9:.0f}: "
          f"{100 * statistics.median(rates) / probe:.0f}% of it")  # fmt: skip
    print(
        f"fixed cost of the step's ops (Python, autograd, dispatch): the same forward and backward "
        f"on {TINY} tokens, less its products, {statistics.median(fixed) * 1e3:.0f} ms "
        f"({min(fixed) * 1e3:.0f}–{max(fixed) * 1e3:.0f}), {100 * statistics.median(fixed) / step:.0f}% "
        "of the step: an upper bound on its Python overhead"
    )


def _fixed_cost(model, batch, device) -> float:
    """Seconds a forward and backward on TINY tokens takes outside its products: at that size
    each op costs what it costs whatever its size (Python, autograd, dispatch, each op's setup)."""
    tiny = {
        "input_ids": batch["input_ids"][:1, :TINY],
        "position_ids": batch["position_ids"][:1, :TINY],
        "targets": batch["input_ids"][:1, 1 : TINY + 1].clone(),  # every token trained
        "real_tokens": torch.tensor(TINY),
    }
    spent.clear()
    start = time.perf_counter()
    accumulate_gradients(model, [tiny], device)
    seconds = time.perf_counter() - start - spent[PRODUCTS]
    model.zero_grad(set_to_none=True)
    return seconds


if __name__ == "__main__":
    main()
