"""Seeded random examples through the data stage, on the tiny tokenizer and the embedded SmolLM2
one: the mask, the ids, truncation and packing each agree with a reference built independently
(mostly from `apply_chat_template` and plain tokenizing); the split and the file formats:
test_data_random_files.py."""

from __future__ import annotations

import random

import pytest
import torch
from tokenizers import processors

from tunelab.data.example import Example
from tunelab.data.load import to_example
from tunelab.data.pack import collate, pack_rows
from tunelab.data.pipeline import make_rows
from tunelab.data.prompts.templates import render_prompt
from tunelab.data.tokenize import (
    IGNORE,
    Tokenized,
    text_windows,
    tokenize_all,
    tokenize_example,
)
from tunelab.models.random_weights import tiny_tokenizer

SEED = 20240611
# Pieces random text is made of: scripts, emoji (with modifiers), digits, punctuation, contractions
# and every kind of whitespace, which is where tokenizers and templates usually disagree.
PIECES = [
    *["a", "b", "Z", "word", " the", "ß", "é", "中文", "日本語", "한국", "😀", "👍🏽", "👩‍💻"],
    *["1", "23", "007", ".", "!", "?", "'s", "-", '"', "{", "}", "#", "<", ">"],
    *[" ", "  ", "\n", "\n\n", "\t", "\r\n", " \n", "\u00a0", "\u3000"],
]  # no bare "\r": CSV writers leave it unquoted, and every CSV reader then ends the line there
WORDY = [p for p in PIECES if not any(c.isspace() for c in p)]


def text(rng: random.Random, lo: int = 0, hi: int = 12) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(lo, hi)))


def reply(rng: random.Random, hi: int = 12) -> str:
    """Text with something that is not whitespace: the loader refuses a blank last reply and a
    blank user turn."""
    body = text(rng, 1, hi)
    return body if body.strip() else body + rng.choice(["ok", "😀", "中"])


def conversation(rng: random.Random, long_reply: bool = False) -> list[dict[str, str]]:
    """A chat of one to three exchanges, maybe after a system turn or an opening greeting, maybe
    ending on an unanswered user turn (as chat dumps often do)."""
    messages = [{"role": "system", "content": text(rng)}] if rng.random() < 0.3 else []
    if rng.random() < 0.15:
        messages.append({"role": "assistant", "content": reply(rng)})
    for _ in range(rng.randint(1, 3)):
        messages.append({"role": "user", "content": reply(rng)})
        messages.append({"role": "assistant", "content": reply(rng)})
    if long_reply:
        messages[-1]["content"] = reply(rng, 200)
    if rng.random() < 0.2:
        messages.append({"role": "user", "content": reply(rng)})
    return messages


def last_exchange(messages: list[dict[str, str]]) -> tuple[int, str]:
    """(index of the last reply, the user turn it answers)."""
    last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    asked = [m["content"] for m in messages[:last] if m["role"] == "user"]
    return last, asked[-1] if asked else ""


@pytest.fixture(scope="module")
def smollm2():
    from tunelab.run import load_tokenizer

    return load_tokenizer("smollm2-135m-instruct")


def bos_tiny():
    """The tiny tokenizer made to add a BOS itself, with a template that writes one too (as Llama
    3's and Gemma's do): a chat example must still hold exactly one."""
    tokenizer = tiny_tokenizer()
    bos = "<|endoftext|>"
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", special_tokens=[(bos, tokenizer.convert_tokens_to_ids(bos))]
    )
    tokenizer.bos_token = bos
    tokenizer.chat_template = "{{ bos_token }}" + tokenizer.chat_template
    assert tokenizer("x").input_ids[0] == tokenizer.bos_token_id
    return tokenizer


@pytest.fixture(scope="module", params=["tiny", "bos-tiny", "smollm2"])
def tokenizer(request, smollm2):
    return {"tiny": tiny_tokenizer, "bos-tiny": bos_tiny, "smollm2": lambda: smollm2}[
        request.param
    ]()


def ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False).input_ids


def chat(tokenizer, messages, **kwargs) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, **kwargs)


def reference(tokenizer, messages) -> list[tuple[str, bool]]:
    """The conversation as (text, trained) parts, from the chat template alone: before each reply
    the template's prompt for it (masked), then the reply and the end-of-turn marker (trained).
    A reply opening the chat has no prompt (context only); turns after the last reply are left
    out: nothing answers them."""
    parts, done = [], ""
    for i, message in enumerate(messages):
        if message["role"] != "assistant" or i == 0:
            continue
        prompt = chat(tokenizer, messages[:i], add_generation_prompt=True)
        answer = message["content"] + tokenizer.eos_token
        assert prompt.startswith(done)
        assert chat(tokenizer, messages[: i + 1]).startswith(prompt + answer)
        parts += [(prompt[len(done) :], False), (answer, True)]
        done = prompt + answer
    return parts


def trained_runs(item: Tokenized) -> list[list[int]]:
    runs, current = [], []
    for token, label in zip(item.input_ids, item.labels, strict=True):
        if label != IGNORE:
            assert label == token
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    return runs + [current] * bool(current)


def test_chat_mask_and_ids_match_the_chat_template(tokenizer):
    rng = random.Random(SEED)
    for _ in range(150):
        messages = conversation(rng)
        system = text(rng, 1) if rng.random() < 0.3 else None
        seen = messages
        if system is not None and messages[0]["role"] != "system":
            seen = [{"role": "system", "content": system}, *messages]
        item = tokenize_example(Example(messages=messages), tokenizer, "chat", system)
        parts = reference(tokenizer, seen)

        # Trained: each reply and its end-of-turn marker, nothing else; prompts are masked.
        last, _ = last_exchange(seen)
        seen = seen[: last + 1]
        replies = [m["content"] + tokenizer.eos_token for m in seen[1:] if m["role"] == "assistant"]
        assert [tokenizer.decode(run) for run in trained_runs(item)] == replies
        # The last reply against the conversation with and without it.
        before = chat(tokenizer, seen[:-1], add_generation_prompt=True)
        last = trained_runs(item)[-1]
        assert item.input_ids[-len(last) :] == last
        assert tokenizer.decode(item.input_ids[: -len(last)]) == before
        assert chat(tokenizer, seen).startswith(before + tokenizer.decode(last))

        # The ids: each part encoded alone (a reply continues its prompt as in generation), so
        # no token spans a boundary, and the text is exactly the templated conversation.
        expected = [(t, trained) for text_, trained in parts for t in ids(tokenizer, text_)]
        assert item.input_ids == [t for t, _ in expected]
        assert item.labels == [t if trained else IGNORE for t, trained in expected]
        full = "".join(text_ for text_, _ in parts)
        assert tokenizer.decode(item.input_ids) == full
        assert item.input_ids.count(tokenizer.bos_token_id) == full.count(tokenizer.bos_token)
        if not any(m["content"][:1].isspace() for m in seen if m["role"] == "assistant"):
            # Only a reply opening with whitespace may tokenize apart from the whole text.
            assert item.input_ids == ids(tokenizer, full)


@pytest.mark.parametrize("template", ["qa", "alpaca", "Q: {{ question }}\nA:"])
def test_plain_templates_train_the_answer_alone(tokenizer, template):
    rng = random.Random(SEED + 1)
    for _ in range(40):
        row = {"instruction": text(rng, 1) + "x", "input": text(rng), "output": reply(rng)}
        example = to_example(row, "alpaca", "row:1")
        item = tokenize_example(example, tokenizer, template, system_prompt="Be brief.")
        prompt = render_prompt(example, tokenizer, template, "Be brief.")
        # As generation encodes it; plain templates write the tokenizer's own BOS into it.
        start = tokenizer(prompt, add_special_tokens=False).input_ids
        assert item.input_ids[: len(start)] == start
        assert item.labels[: len(start)] == [IGNORE] * len(start)
        (answer,) = trained_runs(item)
        assert tokenizer.decode(answer) == row["output"] + tokenizer.eos_token
        assert len(start) + len(answer) == len(item.input_ids)

    # A chat under a one-exchange template: its last reply, asked the question it answers.
    for _ in range(40):
        messages = conversation(rng)
        last, question = last_exchange(messages)
        item = tokenize_example(Example(messages=messages), tokenizer, template)
        prompt = render_prompt(Example.qa(question), tokenizer, template)
        start = tokenizer(prompt, add_special_tokens=False).input_ids
        assert item.input_ids[: len(start)] == start
        (answer,) = trained_runs(item)
        assert tokenizer.decode(answer) == messages[last]["content"] + tokenizer.eos_token
        assert len(start) + len(answer) == len(item.input_ids)


@pytest.mark.parametrize("policy", ["keep_response", "right", "drop"])
def test_truncation_keeps_what_the_policy_says(tokenizer, policy):
    rng = random.Random(SEED + 2)
    examples = [
        Example(messages=conversation(rng, long_reply=rng.random() < 0.5)) for _ in range(80)
    ]
    whole = [tokenize_example(e, tokenizer, "chat") for e in examples]
    max_length = rng.choice([24, 50, 97])
    out, report = tokenize_all(examples, tokenizer, max_length=max_length, truncation=policy)
    assert all(len(item.input_ids) <= max_length for item in out)
    assert all(item.trained_tokens for item in out)
    kept = iter(out)
    dropped = truncated = 0
    for item in whole:
        n = len(item.input_ids)
        if n <= max_length:
            assert next(kept) == item
            continue
        if policy == "drop":
            dropped += 1
            continue
        last = trained_runs(item)[-1]  # the last reply, through its end-of-turn marker
        if policy == "right":
            expected = (item.input_ids[:max_length], item.labels[:max_length])
        elif len(last) < max_length:  # the oldest tokens go; the last reply stays whole
            expected = (item.input_ids[-max_length:], item.labels[-max_length:])
        else:  # a reply too long for a row: some context, then as much of the reply as fits
            start = n - len(last) - min(n - len(last), max_length // 4)
            expected = (
                item.input_ids[start : start + max_length],
                item.labels[start : start + max_length],
            )
        if all(label == IGNORE for label in expected[1]):
            dropped += 1
            continue
        truncated += 1
        cut = next(kept)
        assert (cut.input_ids, cut.labels) == expected
        if policy == "keep_response" and len(last) < max_length:
            assert trained_runs(cut)[-1] == last
    assert next(kept, None) is None
    assert (report.dropped, report.truncated, report.examples) == (dropped, truncated, len(out))


def test_raw_text_windows_cover_the_text_once(tokenizer):
    rng = random.Random(SEED + 3)
    for _ in range(40):
        words = ["".join(rng.choices(WORDY, k=rng.randint(1, 3))) for _ in range(30)]
        example = Example(text=" ".join(words))
        max_length = rng.randint(2, 40)
        # Small pieces, each cut before a space between words: the ids of the whole text.
        windows = list(text_windows(example, tokenizer, max_length, piece_chars=16))
        every = tokenizer(example.text + tokenizer.eos_token).input_ids
        # Each window starts at the one before's last token, so every token but the text's first
        # is predicted once (a window's first token never is: nothing comes before it).
        predicted = [t for w in windows for t in w.input_ids[1:]]
        assert windows[0].input_ids[:1] + predicted == every[: len(predicted) + 1]
        assert all(a.input_ids[-1] == b.input_ids[0] for a, b in zip(windows, windows[1:]))
        # Windows in order, none over max_length; only a lone last token (nothing to predict
        # from it) is left out.
        assert len(every) - len(predicted) - 1 in (0, 1)
        assert all(1 < len(w.input_ids) <= max_length and w.labels == w.input_ids for w in windows)


def _documents(batch: dict[str, torch.Tensor], b: int) -> list[tuple[int, int]]:
    """(start, end) of each document of row b, read back from where position_ids restart."""
    positions = batch["position_ids"][b].tolist()
    starts = [t for t, p in enumerate(positions) if p == 0]
    return list(zip(starts, starts[1:] + [len(positions)], strict=True))


def pairs(batch: dict[str, torch.Tensor], b: int, start: int, end: int) -> list[tuple[int, int]]:
    return list(
        zip(
            batch["input_ids"][b, start:end].tolist(),
            batch["targets"][b, start:end].tolist(),
            strict=True,
        )
    )


def test_packing_keeps_every_document_whole_and_apart(tokenizer):
    rng = random.Random(SEED + 4)
    examples = [Example(messages=conversation(rng, rng.random() < 0.2)) for _ in range(60)]
    examples += [Example(text=text(rng, 2, 30)) for _ in range(10)]
    max_length = 64
    items, _ = tokenize_all(examples, tokenizer, max_length=max_length)
    pad = tokenizer.pad_token_id
    alone = {}
    for i, item in enumerate(items):
        batch = collate([[item]], pad)
        n = len(item.input_ids)
        assert batch["position_ids"][0, :n].tolist() == list(range(n))
        assert (batch["targets"][0, n - 1 :] == IGNORE).all()
        alone[i] = pairs(batch, 0, 0, n)

    rows = pack_rows(items, max_length)
    assert sorted(i for row in rows for i in row) == list(range(len(items)))
    packed = make_rows(items, max_length, packing=True)
    assert [[id(it) for it in row] for row in packed] == [[id(items[i]) for i in r] for r in rows]
    for s in range(0, len(rows), 4):
        batch = collate(packed[s : s + 4], pad)
        for b, row in enumerate(rows[s : s + 4]):
            lengths = [len(items[i].input_ids) for i in row]
            assert sum(lengths) <= max_length
            # One document per restart of the positions, each the example, in the row's order.
            documents = _documents(batch, b)
            offsets = [sum(lengths[:k]) for k in range(len(row) + 1)]
            assert [start for start, _ in documents] == offsets[:-1]
            for k, i in enumerate(row):
                start, end = offsets[k], offsets[k + 1]
                assert batch["position_ids"][b, start:end].tolist() == list(range(end - start))
                assert pairs(batch, b, start, end) == alone[i]
            # Padding (and anything past the row's examples) is never a target.
            assert (batch["targets"][b, offsets[-1] :] == IGNORE).all()
            assert (batch["input_ids"][b, offsets[-1] :] == pad).all()
            assert batch["real_tokens"].item() == sum(
                len(items[i].input_ids) for r in rows[s : s + 4] for i in r
            )
