"""Random batches through generate(): every greedy reply is the one its prompt gets alone (the first
prompt's streamed), and the one plain `model.generate` gives it (greedy, the same
max_new_tokens), cut at stop strings as the server's engine cuts them. Each workload draws 1-9
prompts of 1 token to the context's end, many starting as an earlier one does (repeats and exact
prefixes too), a batch size of 1-9, max_new_tokens 1-40, and often stop strings: pieces of what
the model says alone (spanning tokens, U+FFFD or characters of several bytes among them),
sometimes two, sometimes one never said. Four tiny float32 models: Llama (grouped-query
attention), Mistral (a sliding window, one key/value head), Qwen2 (full and windowed layers) and
Gemma 2 (eager attention), each with a common byte as a second EOS, so replies also end early; a
quarter of the workloads with a repetition penalty. Every fifth workload also samples, with a
seed: the same text whatever the batch size. Not float64: there, eager attention (Gemma 2's)
turns a padding row's mask into NaN, in model.generate's batches too (its softmax runs in
float32, where float64's lowest value is -inf), and tunelab loads no model in float64.

The tiny tokenizer gives each byte a token, so a character of several bytes is split over tokens.
A stop string is looked for in the reply's whole characters: a character not yet whole decodes as
U+FFFD, which is not in the reply (unless the reply ends there).

TUNELAB_RANDOM_GENERATIONS=N runs N workloads (a longer hunt: 1,000 take about 5 minutes)."""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest
import torch

from tests.conftest import tiny_architectures
from tunelab.generation.generate import Generation, eos_ids, generate

CONTEXT = 96  # the models' context: prompt and reply fit in it
# 16: four workloads a model, one of them sampled; every kind of ending `tally` counts comes by the
# eighth, and the lines and branches of generate() and the decoding under it by the fifth.
WORKLOADS = int(os.environ.get("TUNELAB_RANDOM_GENERATIONS", "16"))
# The prompts' characters: a token each on the tiny byte-level tokenizer, the last three several.
ALPHABET = "abcdefghij klmnop" * 3 + ".,?!\n" + "é日🙂"
NEVER_SAID = ["zq~", "日本", "\n\n\n"]


@pytest.fixture(scope="module")
def models() -> dict:
    return tiny_architectures(CONTEXT)


class Reference:
    """What plain `model.generate` says to a prompt alone, and the reply generate() owes for it."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer, self.said = model, tokenizer, {}
        self.eos = set(eos_ids(model, tokenizer))

    def tokens(self, prompt: str, max_new_tokens: int) -> list[int]:
        """Its greedy tokens, EOS included (computed once for the most asked), under the
        checkpoint's repetition penalty."""
        key = (prompt, self.model.generation_config.repetition_penalty)
        if len(self.said.get(key, [])) < max_new_tokens:
            ids = self.tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
            out = self.model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=sorted(self.eos),
                pad_token_id=self.tokenizer.pad_token_id,
            )
            self.said[key] = out[0, ids.shape[1] :].tolist()
        return self.said[key][:max_new_tokens]

    def text(self, prompt: str, max_new_tokens: int) -> str:
        """The reply without stop strings, not stripped: where stops are cut from."""
        tokens = self.tokens(prompt, max_new_tokens)
        return self.decode(tokens[: self.end(tokens)])

    def reply(self, prompt: str, max_new_tokens: int, stops: list[str]) -> tuple:
        """(text, finish_reason, prompt_tokens, completion_tokens) as generate() gives them: the
        tokens counted are those generated, the EOS a reply ended at included."""
        tokens = self.tokens(prompt, max_new_tokens)
        n = self.end(tokens)
        at_eos = n < len(tokens)
        prompt_tokens = len(self.tokenizer(prompt, add_special_tokens=False).input_ids)
        for k in range(1, n + 1):
            text = self.decode(tokens[:k])
            # Stops are looked for in whole characters: all of the text once the reply is over.
            whole = text if k == n else text.rstrip("\ufffd")
            if any(s in whole for s in stops):
                for s in stops:  # in the order given, each cutting what the last one left
                    if s in whole:
                        whole = whole[: whole.index(s)]
                # A stop that only the EOS's last, whole characters complete ends at the EOS.
                late = k == n and at_eos and not any(s in text.rstrip("\ufffd") for s in stops)
                return whole.strip(), "stop", prompt_tokens, k + late
        finish = "stop" if at_eos else "length"
        return self.decode(tokens[:n]).strip(), finish, prompt_tokens, n + at_eos

    def end(self, tokens: list[int]) -> int:
        return next((k for k, t in enumerate(tokens) if t in self.eos), len(tokens))

    def decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)


def draw_prompt(rng: random.Random, prompts: list[str], room: int) -> str:
    """A prompt of 1 to `room` bytes (a token each); half of them start as an earlier one does."""
    target = rng.randint(*rng.choice([(1, 3), (4, 20), (20, 60), (room - 30, room)]))
    text = ""
    if prompts and rng.random() < 0.5:
        base = rng.choice(prompts)
        text = base[: rng.choice([len(base), rng.randint(1, len(base))])]
        if rng.random() < 0.3:
            return text  # the same prompt again, or a prefix of it
    while len((text + "x").encode()) <= target:
        text += rng.choice(ALPHABET)
    while len(text.encode()) > room:
        text = text[:-1]
    return text or rng.choice("abc")


def draw_stops(rng: random.Random, replies: list[str]) -> list[str]:
    """One or two stop strings, mostly pieces of what the model says alone, some starting at a
    character of several bytes (rare in a random model's bytes)."""
    stops = []
    for _ in range(rng.choice([1, 1, 2])):
        stop = rng.choice(NEVER_SAID)
        reply = rng.choice(replies)
        if reply and rng.random() < 0.85:
            wide = [i for i, c in enumerate(reply) if len(c.encode()) > 1 and c != "\ufffd"]
            start = rng.choice(wide) if wide and rng.random() < 0.5 else rng.randrange(len(reply))
            stop = reply[start : start + rng.randint(1, 4)]
        stops.append(stop)
    return stops


def as_tuple(g: Generation) -> tuple:
    return g.text, g.finish_reason, g.prompt_tokens, g.completion_tokens


def check(name: str, seed: int, models, references: dict, seen: Counter) -> None:
    model, tokenizer = models[name]
    reference = references.setdefault(name, Reference(model, tokenizer))
    rng = random.Random(seed)
    # A checkpoint's repetition penalty: generate() and model.generate both apply it.
    model.generation_config.repetition_penalty = rng.choice([1.0, 1.0, 1.0, 1.3])
    try:
        run(rng, name, seed, model, tokenizer, reference, seen)
    finally:
        model.generation_config.repetition_penalty = 1.0


def run(rng, name, seed, model, tokenizer, reference: Reference, seen: Counter) -> None:
    max_new_tokens = rng.randint(1, 40)
    prompts: list[str] = []
    for _ in range(rng.randint(1, 9)):
        prompts.append(draw_prompt(rng, prompts, CONTEXT - max_new_tokens))
    stops = None
    if rng.random() < 0.6:
        stops = draw_stops(rng, [reference.text(p, max_new_tokens) for p in prompts])
    batch_size = rng.randint(1, 9)
    where = (
        f"{name} seed={seed} max_new_tokens={max_new_tokens} batch_size={batch_size} "
        f"stop={stops!r} penalty={model.generation_config.repetition_penalty}\n"
        f"prompts={prompts!r}"
    )

    def ask(asked: list[str], size: int, **sampling) -> list[tuple]:
        replies = generate(
            model,
            tokenizer,
            asked,
            max_new_tokens=max_new_tokens,
            stop=stops,
            batch_size=size,
            **sampling,
        )
        return [as_tuple(r) for r in replies]

    batched = ask(prompts, batch_size)
    pieces: list[str] = []
    for i, prompt in enumerate(prompts):
        want = reference.reply(prompt, max_new_tokens, stops or [])
        assert batched[i] == want, f"prompt {i} in the batch\n{where}"
        streamed = {"on_text": pieces.append} if i == 0 else {}  # prompt 0's reply streams
        assert ask([prompt], 1, **streamed) == [want], f"prompt {i} alone\n{where}"
        tally(seen, want, reference.tokens(prompt, max_new_tokens), stops, reference)
    assert "".join(pieces) == batched[0][0], f"prompt 0's pieces\n{where}"
    seen["shared start"] += len({p[:4] for p in prompts}) < len(prompts)
    if seed % 5 == 0:  # each model in turn
        sampling = {"temperature": rng.choice([0.7, 1.0, 1.5]), "top_p": 0.9, "seed": seed}
        sampled = ask(prompts, batch_size, **sampling)
        assert sampled == ask(prompts, 1, **sampling), f"sampled, by batch size\n{where}"
        assert sampled[:1] == ask(prompts[:1], 1, **sampling), f"sampled, alone\n{where}"


def tally(seen: Counter, want: tuple, tokens: list[int], stops, reference: Reference) -> None:
    """Count the kinds of ending the workloads reached, so that the test knows it saw them."""
    _, finish, _, n = want
    said = reference.decode(tokens[: min(n, reference.end(tokens))])  # the EOS not its text
    if finish != "stop" or not any(s in said for s in stops or []):
        seen["eos" if finish == "stop" else "length"] += 1
        return
    cut = next(s for s in stops if s in said)
    seen["stop"] += 1
    seen["stop with U+FFFD"] += "\ufffd" in cut
    seen["stop of several-byte characters"] += any(
        len(c.encode()) > 1 and c != "\ufffd" for c in cut
    )
    seen["two stops"] += len(stops) > 1


def test_random_batches_reply_as_each_prompt_alone_and_as_model_generate(models):
    references: dict = {}
    seen: Counter = Counter()
    names = list(models)
    for seed in range(WORKLOADS):
        check(names[seed % len(names)], seed, models, references, seen)
    kinds = ["eos", "length", "stop", "stop with U+FFFD", "stop of several-byte characters"]
    kinds += ["two stops", "shared start"]
    assert all(seen[k] for k in kinds), seen
