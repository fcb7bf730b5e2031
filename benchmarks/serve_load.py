"""Load test of `tunelab serve`: N concurrent clients on loopback against the same HTTP server run
three ways — the naive baseline (one request at a time through generate(), the rest wait in line),
the engine with a batch of 1, and the batching engine — and a table of requests/s, tokens/s and
p50/p99 latency, with the speedup over the baseline.

    python benchmarks/serve_load.py                       # the embedded model, 8 clients
    python benchmarks/serve_load.py --model tiny-random --clients 16 --requests 4
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import httpx
import torch

from tunelab.generate import generate
from tunelab.run import load_model
from tunelab.serve.engine import Engine, Event
from tunelab.serve.server import create_app
from tunelab.web import running

QUESTIONS = [
    "What is the capital of France?",
    "Explain photosynthesis in one sentence.",
    "Write a haiku about the sea.",
    "What is 12 times 7?",
    "Name three primary colors.",
    "Why do cats purr?",
    "Give me a tip for learning Python.",
    "What does a CPU do?",
    "Describe a rainy day.",
    "How many legs does a spider have?",
    "What is the boiling point of water?",
    "Suggest a name for a pet turtle.",
]


class OneAtATime(Engine):
    """The naive server: a single worker runs generate() per request; everyone else waits."""

    def _run(self) -> None:
        while (request := self._queue.get()) is not None:
            if request.cancelled.is_set():
                continue
            s = request.sampling
            prompt = self.tokenizer.decode(request.prompt_ids)
            out = generate(
                self.model,
                self.tokenizer,
                [prompt],
                max_new_tokens=s.max_tokens,
                temperature=s.temperature,
                top_p=s.top_p,
                stop=s.stop,
                seed=s.seed,
            )[0]
            request.emit(
                Event(out.text, out.finish_reason, out.prompt_tokens, out.completion_tokens)
            )


def run_load(url: str, model: str, clients: int, per_client: int, max_tokens: int) -> dict:
    """Every client sends `per_client` chat requests back to back; returns throughput and latency."""
    latencies: list[float] = []
    tokens = [0]
    lock = threading.Lock()

    def client(c: int) -> None:
        with httpx.Client(timeout=600) as http:
            for r in range(per_client):
                question = QUESTIONS[(c * per_client + r) % len(QUESTIONS)]
                body = {
                    "model": model,
                    "messages": [{"role": "user", "content": question}],
                    "max_tokens": max_tokens,
                    "temperature": 0,
                }
                start = time.perf_counter()
                reply = http.post(f"{url}/v1/chat/completions", json=body)
                reply.raise_for_status()
                with lock:
                    latencies.append(time.perf_counter() - start)
                    tokens[0] += reply.json()["usage"]["completion_tokens"]

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "requests/s": len(latencies) / wall,
        "tokens/s": tokens[0] / wall,
        "p50 s": statistics.median(latencies),
        "p99 s": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
        "wall s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3, help="per client")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model, tokenizer = load_model(args.model)
    setups = [
        ("one at a time (generate() in line)", lambda: OneAtATime(model, tokenizer, args.model)),
        ("engine, max_batch=1", lambda: Engine(model, tokenizer, args.model, max_batch=1)),
        (
            f"engine, max_batch={args.max_batch}",
            lambda: Engine(model, tokenizer, args.model, max_batch=args.max_batch),
        ),
    ]
    rows = []
    for label, make in setups:
        engine = make()
        with running(create_app({args.model: engine})) as url:
            run_load(url, args.model, 1, 1, 4)  # warm-up: first-call allocations out of the numbers
            rows.append(
                (label, run_load(url, args.model, args.clients, args.requests, args.max_tokens))
            )
        engine.close()

    base = rows[0][1]["requests/s"]
    print(
        f"\n{args.model}: {args.clients} concurrent clients x {args.requests} chat requests, "
        f"max_tokens={args.max_tokens}, greedy, loopback HTTP, "
        f"{torch.get_num_threads()} torch threads\n"
    )
    header = f"{'server':38} {'req/s':>7} {'tok/s':>7} {'p50 s':>7} {'p99 s':>7} {'vs naive':>9}"
    print(header + "\n" + "-" * len(header))
    for label, r in rows:
        print(
            f"{label:38} {r['requests/s']:7.2f} {r['tokens/s']:7.1f} {r['p50 s']:7.2f} "
            f"{r['p99 s']:7.2f} {r['requests/s'] / base:8.2f}x"
        )


if __name__ == "__main__":
    main()
