"""Load test of `tunelab serve`: N concurrent clients on loopback stream chat requests to a server
run three ways — the naive baseline (one request at a time through generate(), the rest wait in
line), tunelab's batching engine, and with --llama-cpp the peer a CPU user would pick: llama.cpp's
OpenAI-compatible server (llama-cpp-python) serving the GGUF that `tunelab export --gguf` writes.
A table per client count: requests/s, tokens/s, time to first token, gaps between streamed pieces,
latency, the speedup over the baseline, and how many greedy replies equal generate()'s alone.

    python benchmarks/serve_load.py --threads 1                   # 8 and 16 clients
    python benchmarks/serve_load.py --threads 1 --llama-cpp       # + pip install 'llama-cpp-python[server]'
    python benchmarks/serve_load.py --model tiny-random --clients 4 --requests 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import httpx
import torch

from tunelab.data.prompts.templates import Prompt
from tunelab.generation.generate import generate
from tunelab.run import load_model
from tunelab.serve.engine import Engine
from tunelab.serve.request import Event
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


@dataclass
class Reply:
    question: str
    start: float
    pieces: list[float] = field(default_factory=list)  # when each non-empty piece arrived
    text: str = ""
    tokens: int = 0
    end: float = 0.0


def ask(http: httpx.Client, url: str, model: str, question: str, max_tokens: int) -> Reply:
    """One streamed, greedy chat request; the reply with when each piece of it arrived."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": question}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
        # llama-cpp-python's server penalises repeats unless told not to (1.1); tunelab ignores it.
        "repeat_penalty": 1.0,
    }
    reply = Reply(question, time.perf_counter())
    with http.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            chunk = json.loads(line[5:])
            piece = chunk["choices"][0]["delta"].get("content") if chunk.get("choices") else ""
            if piece:
                reply.pieces.append(time.perf_counter())
                reply.text += piece
            if chunk.get("usage"):
                reply.tokens = chunk["usage"]["completion_tokens"]
    reply.end = time.perf_counter()
    reply.tokens = reply.tokens or len(reply.pieces)  # a server that sends no usage: a piece each
    return reply


def run_load(url: str, model: str, clients: int, per_client: int, max_tokens: int):
    """Every client sends `per_client` requests back to back; returns the figures and replies."""
    replies: list[Reply] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        with httpx.Client(timeout=600) as http:
            for r in range(per_client):
                question = QUESTIONS[(c * per_client + r) % len(QUESTIONS)]
                reply = ask(http, url, model, question, max_tokens)
                with lock:
                    replies.append(reply)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    first = [r.pieces[0] - r.start for r in replies if r.pieces]
    gaps = [b - a for r in replies for a, b in zip(r.pieces, r.pieces[1:])]
    latency = [r.end - r.start for r in replies]
    figures = {
        "req/s": len(replies) / wall,
        "tok/s": sum(r.tokens for r in replies) / wall,
        "ttft": (pct(first, 50), pct(first, 99)),
        "gap": (pct(gaps, 50), pct(gaps, 99)),
        "latency": (pct(latency, 50), pct(latency, 99)),
    }
    return figures, replies


def pct(values: list[float], q: float) -> float:
    """The q-th percentile by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextlib.contextmanager
def tunelab_server(engine: Engine, model: str):
    try:
        with running(create_app({model: engine})) as url:
            yield url
    finally:
        engine.close()


@contextlib.contextmanager
def llama_cpp_server(model: str, gguf_type: str, threads: int):
    """llama-cpp-python's server on the GGUF `tunelab export` writes, on a free loopback port."""
    import tunelab

    with tempfile.TemporaryDirectory() as folder:
        gguf = tunelab.export(model, gguf=f"{folder}/model.gguf", gguf_type=gguf_type)["gguf"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # interrupt_requests off: by default a waiting request cuts the running one short.
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf)]
        command += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
        command += ["--n_ctx", "2048", "--port", str(port), "--interrupt_requests", "False"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                        break
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"llama.cpp's server did not start: {shlex.join(command)}")
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--requests", type=int, default=3, help="per client")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=None, help="torch (and llama.cpp) threads")
    parser.add_argument("--llama-cpp", action="store_true", help="add llama.cpp's server")
    parser.add_argument("--gguf-type", default="f16", help="the GGUF llama.cpp serves")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    load_before = os.getloadavg()

    # The clients run in a process of their own, as real ones would: in the server's process their
    # parsing of streamed replies would compete with the engine for Python's one lock (the GIL).
    clients_process = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    model, tokenizer = load_model(args.model)
    reference = {  # each question answered alone by generate(): what every server should say
        q: generate(
            model,
            tokenizer,
            [Prompt().chat([{"role": "user", "content": q}], tokenizer)],
            max_new_tokens=args.max_tokens,
        )[0].text
        for q in QUESTIONS
    }

    def measure(server, clients: int, per_client: int):
        with server as url:
            load = (url, args.model, clients, per_client, args.max_tokens)
            run_load(url, args.model, 1, 1, 4)  # warm-up: first-call allocations out of the numbers
            figures, replies = clients_process.submit(run_load, *load).result()
        same = sum(r.text.strip() == reference[r.question] for r in replies)
        return {**figures, "same": f"{same}/{len(replies)}"}

    def engine(max_batch: int) -> Engine:
        return Engine(model, tokenizer, args.model, max_batch=max_batch)

    # A lone client asks every question in turn: the same mix as the loaded runs.
    lone = measure(tunelab_server(engine(1), args.model), 1, len(QUESTIONS))
    tables = []
    for clients in args.clients:
        rows = [
            (
                "one at a time (generate() in line)",
                measure(
                    tunelab_server(OneAtATime(model, tokenizer, args.model), args.model),
                    clients,
                    args.requests,
                ),
            ),
            (
                f"tunelab engine, max_batch={clients}",
                measure(tunelab_server(engine(clients), args.model), clients, args.requests),
            ),
        ]
        if args.llama_cpp:
            server = llama_cpp_server(args.model, args.gguf_type, threads)
            label = f"llama.cpp server, {args.gguf_type} GGUF"
            rows.append((label, measure(server, clients, args.requests)))
        tables.append((clients, rows))
    clients_process.shutdown()

    print(f"\n$ python {shlex.join(sys.argv)}")
    print(
        f"{args.model}: streamed chat requests, max_tokens={args.max_tokens}, greedy, loopback "
        f"HTTP, {threads} thread(s); load average {load_before[0]:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(
        f"a lone request (engine, 1 client x {len(QUESTIONS)}): latency p50 "
        f"{lone['latency'][0]:.2f} s, first token {lone['ttft'][0]:.2f} s, "
        f"gap {lone['gap'][0] * 1000:.0f} ms"
    )
    for clients, rows in tables:
        print(f"\n{clients} concurrent clients x {args.requests} requests")
        header = (
            f"{'server':36} {'req/s':>6} {'tok/s':>6} {'TTFT p50/p99 s':>15} "
            f"{'gap p50/p99 ms':>15} {'latency p50/p99 s':>18} {'vs naive':>8} {'p99/lone':>8} "
            f"{'=generate()':>11}"
        )
        print(header + "\n" + "-" * len(header))
        base = rows[0][1]["req/s"]
        for label, r in rows:
            gap = (
                "—"
                if r["gap"][0] != r["gap"][0]
                else f"{r['gap'][0] * 1000:.0f}/{r['gap'][1] * 1000:.0f}"
            )
            print(
                f"{label:36} {r['req/s']:6.2f} {r['tok/s']:6.1f} "
                f"{r['ttft'][0]:7.2f}/{r['ttft'][1]:<7.2f} {gap:>15} "
                f"{r['latency'][0]:9.2f}/{r['latency'][1]:<8.2f} {r['req/s'] / base:7.2f}x "
                f"{r['latency'][1] / lone['latency'][0]:7.2f}x {r['same']:>11}"
            )


if __name__ == "__main__":
    main()
