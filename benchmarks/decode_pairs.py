"""tunelab's generation with one change to its decoding batch (tunelab/generation/decode.py) and
without it, alternating in one process, the same questions, greedy; the texts must match.
`--change`:

- spare-columns: each step writes its keys and values into spare room (SpareColumns), against
  transformers' DynamicCache, which concatenates, copying the whole cache every step;
- prefill-runs: prompts of unlike lengths read in several passes (prefill_runs), against one
  pass padded to the longest.

Besides generate_speed.py's sets, `--passages` questions each after a passage of about
`--passage-tokens` tokens of lamini_docs answers, as a RAG prompt carries one (compare's
retrieval arms). Then, for spare-columns, single decoding steps: two batches of the same
prompts (`--steps` rows x context tokens, cut from lamini_docs' answers) stepped alternately,
the same greedy tokens required; for prefill-runs, the first join alone: each set's first 64
prompts, shortest first as generate() takes them, joined alternately 6 times each way.

    flock /tmp/bench.lock python benchmarks/decode_pairs.py --change spare-columns
    flock /tmp/bench.lock python benchmarks/decode_pairs.py --change prefill-runs --passages 0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import time

import torch
from generate_speed import LAMINI, test_sets
from transformers import DynamicCache

from tunelab.generation import decode
from tunelab.generation.decode import Batch, SpareColumnsCache
from tunelab.generation.generate import answer, asked, shared_prefix
from tunelab.models.load import EMBEDDED_NAME
from tunelab.run import load_model

CHANGES = {"spare-columns": "DynamicCache", "prefill-runs": "one pass"}


def timed_answers(model, tokenizer, questions, change: str, before: bool, max_new_tokens: int):
    """(seconds, texts) of tunelab's answers, without `change` where `before`."""
    with without(change, before):
        started = time.perf_counter()
        replies = answer(model, tokenizer, questions, max_new_tokens=max_new_tokens)
        return time.perf_counter() - started, [r.text for r in replies]


@contextlib.contextmanager
def without(change: str, before: bool):
    """Within it, tunelab's batches decode without `change` where `before`."""
    spare_init, per_forward = SpareColumnsCache.__init__, decode.FORWARD_TOKENS
    if before and change == "spare-columns":
        SpareColumnsCache.__init__ = DynamicCache.__init__
    if before and change == "prefill-runs":
        decode.FORWARD_TOKENS = math.inf
    try:
        yield
    finally:
        SpareColumnsCache.__init__, decode.FORWARD_TOKENS = spare_init, per_forward


@torch.inference_mode()
def paired_steps(
    model, tokenizer, answers: list[int], rows: int, context: int, steps: int = 24
) -> list[str]:
    """A table row: the median ms of a decoding step with each cache, stepped alternately;
    each row's prompt `context` tokens of `answers` (lamini_docs' answers, tokenized)."""
    prompts = [answers[50 * k : 50 * k + context] for k in range(rows)]
    state, times = {}, {True: [], False: []}
    for before in (True, False):
        with without("spare-columns", before):
            batch = Batch(model, tokenizer.pad_token_id)
            state[before] = (batch, batch.join(prompts).argmax(-1))
    for step in range(steps):
        for before in (True, False) if step % 2 == 0 else (False, True):
            batch, tokens = state[before]
            started = time.perf_counter()
            tokens = batch.step(tokens).argmax(-1)
            times[before].append(time.perf_counter() - started)
            state[before] = (batch, tokens)
    if not torch.equal(state[True][1], state[False][1]):
        raise SystemExit(f"{rows} rows x {context}: the two caches picked different tokens")
    ratios = [a / b for a, b in zip(times[True][4:], times[False][4:])]
    ms = [f"{1000 * statistics.median(times[c][4:]):.1f}" for c in (True, False)]
    spread = f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
    return [str(rows), str(context), *ms, spread]


@torch.inference_mode()
def paired_joins(model, tokenizer, questions: list[str], reps: int = 6) -> list[str]:
    """A table row: the median s of the first join of 64 prompts in one pass and in runs."""
    prompts = asked(tokenizer, questions[:64], "chat", None)
    encoded = sorted((tokenizer(p, add_special_tokens=False).input_ids for p in prompts), key=len)
    prefix = shared_prefix(encoded)
    times: dict[bool, list[float]] = {True: [], False: []}
    for rep in range(reps):
        for before in (True, False) if rep % 2 == 0 else (False, True):
            with without("prefill-runs", before):
                batch = Batch(model, tokenizer.pad_token_id, prefix)
                started = time.perf_counter()
                batch.join(encoded)
                times[before].append(time.perf_counter() - started)
    lengths = [len(e) - len(prefix) for e in encoded]
    runs = decode.prefill_runs(lengths)
    one, apart = (statistics.median(times[b]) for b in (True, False))
    return [
        str(len(encoded)),
        f"{max(lengths) * len(lengths)} / {sum(lengths)}",
        " ".join(f"{b - a}" for a, b in runs),
        f"{one:.2f}",
        f"{apart:.2f}",
        f"{one / apart:.2f}x",
    ]


def with_passages(count: int, tokens: int, tokenizer) -> dict[str, list[str]]:
    """`count` lamini_docs questions, each after its own passage of ~`tokens` tokens: the
    answers that follow it in the file, cut to length."""
    rows = [json.loads(line) for line in LAMINI.read_text().splitlines()]
    questions = []
    for k in range(count):
        ids = tokenizer(" ".join(r["answer"] for r in rows[100 + 40 * k : 140 + 40 * k])).input_ids
        passage = tokenizer.decode(ids[:tokens])
        question = rows[k]["question"].removeprefix("### Question:\n").removesuffix("### Answer:")
        questions.append(f"Context:\n{passage}\n\nQuestion: {question.strip()}")
    return {f"lamini_docs[:{count}] after ~{tokens}-token passages": questions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=int, default=None, help="first N demo questions (all)")
    parser.add_argument("--change", choices=sorted(CHANGES), default="spare-columns")
    parser.add_argument("--lamini", type=int, default=64, help="first N lamini_docs questions")
    parser.add_argument("--small", type=int, default=20, help="then the next N (a small eval)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--passages", type=int, default=16, help="questions after a passage")
    parser.add_argument("--passage-tokens", type=int, default=1000)
    parser.add_argument(
        "--steps", nargs="*", default=["64x64", "16x1000", "8x2000"], help="rows x context"
    )
    args = parser.parse_args()
    model, tokenizer = load_model(EMBEDDED_NAME)
    model.eval()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {EMBEDDED_NAME}, fp32")
    print(f"load average at the start: {os.getloadavg()[0]:.2f}\n")
    print(f"{args.change}: before = {CHANGES[args.change]}\n")
    print("| test set | n | before s | now s | speedup | same text |")
    print("|---|---|---|---|---|---|")
    sets = test_sets(args.demo, args.lamini, args.small)
    if args.passages:
        sets |= with_passages(args.passages, args.passage_tokens, tokenizer)
    for name, questions in sets.items():
        answer(model, tokenizer, questions[:2], max_new_tokens=4)  # warm-up
        times: dict[bool, list[float]] = {True: [], False: []}
        texts: dict[bool, list[str]] = {}
        for rep in range(args.reps):
            # Alternate which goes first, so that neither always follows the other.
            for before in (True, False) if rep % 2 == 0 else (False, True):
                seconds, texts[before] = timed_answers(
                    model, tokenizer, questions, args.change, before, args.max_new_tokens
                )
                times[before].append(seconds)
        ratios = [a / b for a, b in zip(times[True], times[False])]
        same = sum(a == b for a, b in zip(texts[True], texts[False]))
        cells = [
            name,
            str(len(questions)),
            *(
                f"{statistics.median(t):.1f} ({min(t):.1f}-{max(t):.1f})"
                for t in (times[True], times[False])
            ),
            f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})",
            f"{same}/{len(questions)}",
        ]
        print("| " + " | ".join(cells) + " |", flush=True)
    if args.change == "prefill-runs":
        print("\n| test set | prompts | one pass's tokens / real | runs' rows | one pass s | runs s |"
              " speedup |\n|---|---|---|---|---|---|---|")  # fmt: skip
        for name, questions in sets.items():
            print(f"| {name} | " + " | ".join(paired_joins(model, tokenizer, questions)) + " |")
    if args.change != "spare-columns":
        args.steps = []
    if args.steps:
        print("\n| rows | context | DynamicCache ms a step | spare columns ms | speedup |")
        print("|---|---|---|---|---|")
        # Every answer of lamini_docs, tokenized once, for the steps' prompts.
        text = " ".join(json.loads(line)["answer"] for line in LAMINI.open())
        answers = tokenizer(text).input_ids
    for shape in args.steps:
        rows, context = (int(n) for n in shape.split("x"))
        row = paired_steps(model, tokenizer, answers, rows, context)
        print("| " + " | ".join(row) + " |", flush=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
