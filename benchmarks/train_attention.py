"""Training's attention inside packed documents: torch's sdpa per document (its CPU flash kernel)
against tunelab's own kernel (tunelab/kernels/attention.cpp), forward and backward.

    python benchmarks/train_attention.py                 # 1 and 2 threads, 3 draws of documents
    python benchmarks/train_attention.py --threads 2 --draws 5

Documents are drawn from lamini_docs as train_throughput.py tokenizes them (qa template,
max_length 256), 9 at a time (one optimizer step's worth); the embedded model's attention shape
(9 query heads, 3 key heads, 64 dims). Each call is timed alternately with the other, 25 times
after 3 untimed; a row is the medians. GFLOP/s counts causal attention's own work, as
train_limits.model_flops does: 6 * heads * dim * sum(length^2) for forward and backward.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch
import torch.nn.functional as F
from train_peers import SHAPES, document_stats, load_documents

from tunelab.kernels import attention
from tunelab.run import load_tokenizer

HEADS, KV_HEADS, DIM = 9, 3, 64


def by_sdpa(query, key, value, documents):
    """sdpa's flash kernel once per document, as tunelab trained before its own kernel."""
    sizes = [length for _, _, length in documents]
    parts = [
        F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=True, enable_gqa=True)[
            0
        ]
        for q, k, v in zip(
            query[0].split(sizes, 1), key[0].split(sizes, 1), value[0].split(sizes, 1)
        )
    ]
    return torch.cat(parts, 1).transpose(0, 1).contiguous()[None]


def by_kernel(query, key, value, documents):
    return attention.attend(query, key, value, documents, DIM**-0.5)


def draw(lengths: list[int], rng: random.Random):
    sizes = rng.sample(lengths, 9)
    total = sum(sizes)

    def make(heads):  # transformers' layout: [rows, heads, T, D] over [rows, T, heads, D]
        return torch.randn(1, total, heads, DIM).transpose(1, 2).requires_grad_()

    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    documents = [(0, start, size) for start, size in zip(starts, sizes)]
    return make(HEADS), make(KV_HEADS), make(KV_HEADS), documents


def timed(fns, inputs, repeats: int = 25, untimed: int = 3) -> list[float]:
    query, key, value, documents = inputs
    grad = torch.randn(1, query.shape[2], HEADS, DIM)
    seconds = [[] for _ in fns]
    for rep in range(untimed + repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn(query, key, value, documents).backward(grad)
            if rep >= untimed:
                seconds[i].append(time.perf_counter() - start)
            query.grad = key.grad = value.grad = None
    return [statistics.median(s) for s in seconds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--draws", type=int, default=3)
    args = parser.parse_args()
    if not attention.usable(torch.zeros(1), 0.0):
        raise SystemExit(
            "tunelab's attention kernel does not compile or this CPU lacks AVX2 and FMA"
        )
    tokenizer = load_tokenizer(SHAPES["smollm2-135m"])
    lengths, _ = document_stats(load_documents(tokenizer, 160, 256))
    print(
        "| threads | documents (tokens) | sdpa per document ms | GFLOP/s | tunelab's kernel ms "
        "| GFLOP/s | sdpa ÷ kernel |\n|---|---|---|---|---|---|---|"
    )
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        rng = random.Random(0)
        for _ in range(args.draws):
            inputs = draw(lengths, rng)
            sizes = [length for _, _, length in inputs[3]]
            flops = 6 * HEADS * DIM * sum(n * n for n in sizes)
            sdpa_s, kernel_s = timed([by_sdpa, by_kernel], inputs)
            print(
                f"| {threads} | {len(sizes)} ({sum(sizes)}) | {sdpa_s * 1e3:.2f} | "
                f"{flops / sdpa_s / 1e9:.0f} | {kernel_s * 1e3:.2f} | {flops / kernel_s / 1e9:.0f} "
                f"| {sdpa_s / kernel_s:.2f}x |"
            )


if __name__ == "__main__":
    main()
