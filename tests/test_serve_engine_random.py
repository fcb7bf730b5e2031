"""Random workloads on the batching engine: every greedy reply equals `generate()`'s for its
prompt alone, whatever the batch does around it. Each workload draws the engine's shape (max_batch
1-6, prefill chunk, prompts prefilled at once, first cache width, so the cache doubles), 1-7
prompts of 1 token to the context's end that share starts with earlier ones (exact prefixes and
repeats too), max_tokens 1-40 within the context, stop strings cut from what generate() says,
repetition penalties, arrivals mid-reply and cancellations, on four tiny models: Llama
(grouped-query attention), Mistral (a sliding window, one key/value head), Qwen2 (full and windowed
layers) and Gemma 2 (eager attention, additive masks), each with a common byte as a second EOS.

Arrivals and cancellations happen in the emit callbacks, on the engine's thread, at a request's
n-th event, so a seed gives the same interleaving every run. The models are float64, so that a
reply that differs is a wrong cache or mask, not rounding: generate() still picks from float32
logits, which flipped one near tie (1.9e-7 apart) in 6,000 workloads.

TUNELAB_RANDOM_WORKLOADS=N runs N workloads (a longer hunt: 1,000 take about 90 s)."""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field

import pytest

from tests.conftest import tiny_architectures
from tunelab.generation.generate import Generation, generate
from tunelab.serve import engine as engine_module
from tunelab.serve import slots
from tunelab.serve.engine import Engine
from tunelab.serve.request import Event, Request
from tunelab.serve.sampling import Sampling

CONTEXT = 96  # the models' context: some prompts and replies run up to it
# 28: seven workloads a model, in which each model meets every kind of request that 40 gave it
# (an arrival mid-reply, a cancellation before and after it is taken, a stop string, an EOS, a
# length, a penalty, a cache grown); the engine's lines and branches all run by the sixth.
WORKLOADS = int(os.environ.get("TUNELAB_RANDOM_WORKLOADS", "28"))
# The prompts' characters: a token each on the tiny byte-level tokenizer, the last three several.
ALPHABET = "abcdefghij klmnop" * 3 + ".,?!\n" + "é日🙂"


@pytest.fixture(scope="module")
def models() -> dict:
    return {
        name: (model.double(), tokenizer)
        for name, (model, tokenizer) in tiny_architectures(CONTEXT).items()
    }


@dataclass
class Planned:
    """One request of a workload, and when it arrives and is cancelled: at the start (None), or
    when request k has had e events, (k, e)."""

    prompt: str
    max_tokens: int
    stop: list[str]
    penalty: float
    arrive: tuple[int, int] | None
    cancel: tuple[int, int] | None | str = "never"


@dataclass
class Client:
    """What one request heard, on the engine's thread."""

    plan: Planned
    request: Request | None = None
    text: str = ""
    events: int = 0
    finish: str | None = None
    cancelled: bool = False  # by the workload, before it finished
    late_finish: bool = False  # the engine finished it in the step it was cancelled in
    triggers: list = field(default_factory=list)  # (events, action) on this client's events


class Expected:
    """generate()'s answer to each prompt alone, computed once."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer, self.memo = model, tokenizer, {}

    def __call__(self, plan: Planned, stop: list[str] | None = None) -> Generation:
        stop = plan.stop if stop is None else stop
        key = (plan.prompt, plan.max_tokens, tuple(stop), plan.penalty)
        if key not in self.memo:
            # generate() applies the checkpoint's penalty; a request to the engine gives its own.
            config = self.model.generation_config
            config.repetition_penalty = plan.penalty
            try:
                self.memo[key] = generate(
                    self.model,
                    self.tokenizer,
                    [plan.prompt],
                    max_new_tokens=plan.max_tokens,
                    stop=list(stop) or None,
                )[0]
            finally:
                config.repetition_penalty = 1.0
        return self.memo[key]


def draw_prompt(rng: random.Random, prompts: list[str]) -> str:
    """A prompt of 1 token to the context's end; half of them start as an earlier one does."""
    room = CONTEXT - 1
    size = rng.choice([(1, 3), (4, 20), (20, 60), (room - 30, room)])
    target = rng.randint(*size)
    text = ""
    if prompts and rng.random() < 0.5:
        base = rng.choice(prompts)
        cut = rng.choice([len(base), rng.randint(1, len(base))])  # all of it: an exact prefix
        text = base[:cut]
        if rng.random() < 0.3:
            return text  # the same prompt again, or a prefix of it
    while len((text + "x").encode()) <= target:
        text += rng.choice(ALPHABET)
    return text or rng.choice(ALPHABET)


def draw_stop(rng: random.Random, reply: str) -> list[str]:
    """Stop strings: pieces of what generate() says (some never said), U+FFFD among them: both
    look for stops in whole characters, a character not yet whole being no U+FFFD."""
    stops = []
    for _ in range(rng.choice([1, 1, 1, 2])):
        stop = rng.choice(["zq~", "\n\n", "日本"])  # never said
        for _ in range(8 if rng.random() < 0.85 else 0):
            start = rng.randrange(len(reply)) if reply else 0
            piece = reply[start : start + rng.randint(1, 4)]
            if piece:
                stop = piece
                break
        stops.append(stop)
    return stops


def draw_workload(rng: random.Random, expected: Expected) -> list[Planned]:
    n = rng.randint(1, 7)
    prompts: list[str] = []
    plans = []
    for i in range(n):
        prompt = draw_prompt(rng, prompts)
        # As the server and generate() allow: prompt and reply fit the context, in tokens (a
        # tokenizer may make more of them than the prompt has bytes).
        while (
            room := CONTEXT - len(expected.tokenizer(prompt, add_special_tokens=False).input_ids)
        ) < 1:
            prompt = prompt[:-1]
        prompts.append(prompt)
        max_tokens = min(rng.randint(1, 40), room)
        penalty = rng.choice([1.0, 1.0, 1.0, 1.3])
        arrive = None if i == 0 or rng.random() < 0.4 else (rng.randrange(i), rng.randint(1, 8))
        plan = Planned(prompt, max_tokens, [], penalty, arrive)
        if rng.random() < 0.35:
            plan.stop = draw_stop(rng, expected(plan, stop=[]).text)
        plans.append(plan)
    for i, plan in enumerate(plans):
        roll = rng.random()
        if roll < 0.04:
            plan.cancel = None  # before it is taken from the queue
        elif roll < 0.2:
            plan.cancel = (rng.choice([i, rng.randrange(n)]), rng.randint(1, 6))
    return plans


def run_workload(model, tokenizer, plans: list[Planned], max_batch: int, chunk: int):
    """Serve `plans` on a fresh engine; the clients once every one finished or was cancelled."""
    clients = [Client(p) for p in plans]
    lock = threading.Lock()  # the main thread starts; the engine's thread runs the rest
    settled = threading.Semaphore(0)
    # The engine's thread starts once the requests due at the start are queued: it takes them
    # in one go, the same every run.
    gate = threading.Event()
    run = Engine._run

    def gated(self):
        gate.wait()
        run(self)

    def fire(client: Client) -> None:
        """The actions waiting on this client's events, up to its count (all once it is over)."""
        over = client.finish is not None or client.cancelled
        due = [t for t in client.triggers if over or t[0] <= client.events]
        client.triggers = [t for t in client.triggers if t not in due]
        for _, action in due:
            action()

    def settle(client: Client) -> None:
        settled.release()
        fire(client)

    def submit(client: Client) -> None:
        engine.submit(client.request)

    def cancel(client: Client) -> None:
        if client.finish is None and not client.cancelled:
            client.cancelled = True
            client.request.cancel()
            settle(client)

    def emitter(client: Client):
        def emit(event: Event) -> None:
            with lock:
                if client.cancelled or client.finish is not None:
                    # The step under way when it was cancelled: it may still finish in it.
                    client.late_finish = client.late_finish or event.finish_reason is not None
                    return
                client.events += 1
                client.text += event.text
                if event.finish_reason:
                    client.finish = event.finish_reason
                    settle(client)
                else:
                    fire(client)

        return emit

    Engine._run = gated
    try:
        engine = Engine(model, tokenizer, name="random", max_batch=max_batch, prefill_chunk=chunk)
    finally:
        Engine._run = run
    try:
        with lock:
            for c in clients:
                sampling = Sampling(
                    c.plan.max_tokens, 0, stop=c.plan.stop, repetition_penalty=c.plan.penalty
                )
                c.request = Request(engine.encode(c.plan.prompt), sampling, emitter(c))
            at_start = []
            for c in clients:
                for when, act in ((c.plan.arrive, submit), (c.plan.cancel, cancel)):
                    if when is None:
                        at_start.append(lambda c=c, act=act: act(c))
                    elif when != "never":
                        k, e = when
                        clients[k].triggers.append((e, lambda c=c, act=act: act(c)))
            for act in at_start:
                act()
        gate.set()
        for _ in clients:
            assert settled.acquire(timeout=60), "a request never finished"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            load = engine.load()
            if load["active"] == 0 and load["queued"] == 0:
                break
            time.sleep(0.005)
        return clients, engine.load()
    finally:
        gate.set()
        engine.close()


def check(name: str, seed: int, models, expected_of: dict) -> None:
    model, tokenizer = models[name]
    expected = expected_of.setdefault(name, Expected(model, tokenizer))
    rng = random.Random(seed)
    max_batch = rng.randint(1, 6)
    chunk = rng.choice([1, 2, 3, 5, 8, 16, 64])
    prefill_slots = rng.randint(1, 4)
    first_capacity = rng.choice([1, 5, 16, 256])
    plans = draw_workload(rng, expected)
    where = (
        f"{name} seed={seed} max_batch={max_batch} chunk={chunk} prefill_slots={prefill_slots} "
        f"first_capacity={first_capacity}\n" + "\n".join(map(repr, plans))
    )
    saved = engine_module.PREFILL_SLOTS, slots.FIRST_CAPACITY
    engine_module.PREFILL_SLOTS, slots.FIRST_CAPACITY = prefill_slots, first_capacity
    try:
        clients, load = run_workload(model, tokenizer, plans, max_batch, chunk)
    finally:
        engine_module.PREFILL_SLOTS, slots.FIRST_CAPACITY = saved
    for i, c in enumerate(clients):
        want = expected(c.plan)
        if c.cancelled:  # what it heard before it left is the start of the reply
            assert want.text.startswith(c.text.strip()), f"request {i} (cancelled)\n{where}"
            continue
        assert c.text == c.request.text.text, f"request {i}: its events join to its reply\n{where}"
        got = (c.text.strip(), c.finish)
        assert got == (want.text, want.finish_reason), f"request {i}: {got!r}\n{where}"
    abandoned = sum(c.cancelled and not c.late_finish for c in clients)
    assert (load["active"], load["queued"], load["abandoned"]) == (0, 0, abandoned), where


def test_random_workloads_answer_as_generate_alone(models):
    expected_of: dict = {}
    names = list(models)
    for seed in range(WORKLOADS):
        check(names[seed % len(names)], seed, models, expected_of)
