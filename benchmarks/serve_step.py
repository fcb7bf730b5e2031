"""Where one decoding step of the serving engine goes, at several batch sizes: the step as the
engine ran it before (a growing DynamicCache, the mask concatenated every step, MKL's matmul) and
as it runs now (the preallocated slot cache, with MKL's matmul, with oneDNN's, with oneDNN's
on weights packed once into its blocked layout, and with tunelab's thin kernel on weights packed
once into panels), and the
profiler's split of a step into matmuls, attention, cache writes and the rest.

    python benchmarks/serve_step.py --threads 1
"""

from __future__ import annotations

import argparse
import contextlib
import time

import torch
from torch.profiler import ProfilerActivity, profile
from transformers import DynamicCache

from tunelab.kernels import OneDnnLinear, thin
from tunelab.run import load_model
from tunelab.serve import slot_attention
from tunelab.serve.slots import SlotCache

CONTEXT = 64  # tokens already in each row's cache: a chat prompt and the start of its reply
NO_MASK = torch.ones((1, 1, 1, 1), dtype=torch.bool)


class Before:
    """The step of the engine before issue 19: the cache grows by concatenation."""

    def __init__(self, model, rows: int):
        self.model, self.cache = model, DynamicCache()
        self.mask = torch.ones(rows, CONTEXT, dtype=torch.long)
        model(
            input_ids=torch.randint(0, min(1000, model.config.vocab_size), (rows, CONTEXT)),
            cache=self.cache,
            use_cache=True,
        )

    def step(self, tokens: torch.Tensor) -> None:
        self.mask = torch.cat([self.mask, torch.ones_like(self.mask[:, :1])], dim=1)
        positions = self.mask.sum(-1, keepdim=True) - 1
        self.model(
            input_ids=tokens[:, None],
            attention_mask=self.mask,
            position_ids=positions,
            cache=self.cache,
            use_cache=True,
            logits_to_keep=1,
        )


class Now:
    """The engine's step now: each row writes its own column of a preallocated cache."""

    def __init__(self, model, rows: int):
        slot_attention.use(model)
        self.model, self.lengths = model, [CONTEXT] * rows
        self.cache = SlotCache(model.config.num_hidden_layers, rows, 1, 2048)
        for slot in range(rows):
            self.cache.plan([], [(rows, 0, CONTEXT)], "cpu")
            ids = torch.randint(0, min(1000, model.config.vocab_size), (1, CONTEXT))
            self.forward(ids, torch.arange(CONTEXT), 1)
            self.cache.copy(rows, slot, CONTEXT)

    def step(self, tokens: torch.Tensor) -> None:
        self.cache.plan(self.lengths, [], "cpu")
        self.forward(tokens[None], torch.tensor(self.lengths), len(self.lengths))
        self.lengths = [n + 1 for n in self.lengths]

    def forward(self, ids: torch.Tensor, positions: torch.Tensor, logits: int) -> None:
        self.model(
            input_ids=ids,
            attention_mask=NO_MASK,  # the cache gives each part its own
            position_ids=positions[None],
            cache=self.cache,
            use_cache=True,
            logits_to_keep=logits,
        )


def time_steps(make, model, rows: int, kernels, steps: int = 12) -> float:
    """The median time of a step, in ms."""
    with torch.inference_mode():
        state, tokens, times = make(model, rows), torch.zeros(rows, dtype=torch.long), []
        with kernels():
            for _ in range(steps + 2):
                start = time.perf_counter()
                state.step(tokens)
                times.append(time.perf_counter() - start)
    return sorted(times[2:])[steps // 2] * 1000


def split(model, rows: int, make, kernels, steps: int = 6) -> dict[str, float]:
    """ms per step in matmuls, attention, cache writes/concatenation and the rest."""
    groups = {
        "matmul": ("aten::mm", "aten::addmm", "mkldnn::_linear_pointwise", "tunelab_thin::linear"),
        "attention": ("aten::_scaled_dot_product_flash_attention_for_cpu",),
        "cache": ("aten::cat", "aten::_index_put_impl_", "aten::copy_"),
    }
    with torch.inference_mode():
        state, tokens = make(model, rows), torch.zeros(rows, dtype=torch.long)
        with kernels():
            state.step(tokens)
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(steps):
                    state.step(tokens)
    totals = {name: 0.0 for name in groups} | {"rest": 0.0}
    for event in prof.key_averages():
        group = next((g for g, ops in groups.items() if event.key in ops), "rest")
        totals[group] += event.self_cpu_time_total / 1000 / steps
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 2, 8, 16])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--split-rows", type=int, default=8, help="rows of the profiled step")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model, _ = load_model(args.model)
    model.eval()
    setups = [
        ("before: DynamicCache + MKL", Before, contextlib.nullcontext),
        ("slot cache + MKL", Now, contextlib.nullcontext),
        ("slot cache + oneDNN", Now, OneDnnLinear),
        ("slot cache + packed oneDNN", Now, lambda: OneDnnLinear(packed=True, thin_kernel=False)),
    ]
    if thin.available():
        setups.append(("slot cache + thin kernel (now)", Now, lambda: OneDnnLinear(packed=True)))
    print(f"\n{args.model}, {torch.get_num_threads()} thread(s), {CONTEXT} tokens in each row")
    print(f"{'ms per decoding step':34}" + "".join(f"{f'{n} rows':>9}" for n in args.rows))
    for label, make, kernels in setups:
        cells = [time_steps(make, model, n, kernels) for n in args.rows]
        print(f"{label:34}" + "".join(f"{c:9.1f}" for c in cells))
    title = f"ms of a step at {args.split_rows} rows"
    print(f"\n{title:34}{'matmul':>9}{'attention':>10}{'cache':>7}{'rest':>7}")
    for label, make, kernels in setups:
        parts = split(model, args.split_rows, make, kernels)
        print(f"{label:34}" + "".join(f"{parts[k]:>{w}.1f}" for k, w in zip(parts, (9, 10, 7, 7))))


if __name__ == "__main__":
    main()
