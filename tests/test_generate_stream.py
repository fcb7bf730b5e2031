"""What `generate` streams joins to the reply it returns: a stop string is looked for in whole
characters, and no piece is sent that a stop string or a repeated sentence later cuts."""

from __future__ import annotations

import functools
import random
from collections import Counter

import pytest
import torch

from tunelab.generation import generate as generate_module
from tunelab.generation.generate import generate
from tunelab.models.random_weights import tiny_random


def byte_tokens(tokenizer, data: bytes) -> list[int]:
    """The tiny byte-level tokenizer's tokens for `data`, one a byte, UTF-8 or not."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    token_of = bytes_to_unicode()
    return tokenizer.convert_tokens_to_ids([token_of[b] for b in data])


@pytest.mark.parametrize(
    ("said", "stop", "expected"),
    [
        # 日 is three tokens; the first two decode as U+FFFD on their own, but it is not one.
        ("日abc".encode(), "\ufffd", ("日abc", "length", 6)),
        # Three characters, twelve tokens: more than the last few tokens once searched.
        ("x🙂🙂🙂yyyyyyy".encode(), "🙂🙂🙂", ("x", "stop", 13)),
        # A byte no character starts with is U+FFFD for good: it stops the reply once the
        # next token comes (the server's engine reads it so too).
        (b"a\x80bbbbbbb", "\ufffd", ("a", "stop", 3)),
    ],
)
def test_a_stop_string_is_looked_for_in_whole_characters(monkeypatch, said, stop, expected):
    model, tokenizer = tiny_random()
    script = iter(byte_tokens(tokenizer, said))
    # The model says `said`, a byte a step, whatever its logits.
    monkeypatch.setattr(generate_module, "choose", lambda logits, *_: torch.tensor([next(script)]))
    (reply,) = generate(model, tokenizer, ["hi"], max_new_tokens=len(said), stop=[stop])
    assert (reply.text, reply.finish_reason, reply.completion_tokens) == expected


@functools.cache
def saying_model():
    """tiny-random, built once for every `said_by_the_model`: what it says is set there, not by
    its weights, and generate() changes nothing of it."""
    return tiny_random()


def said_by_the_model(monkeypatch, said: str | list[int], **kwargs):
    """generate()'s reply when the model says `said` (text, a byte a step, or tokens), and what
    it streams: the reply to the same prompt unstreamed, and the pieces, each with the number of
    tokens said when it came."""
    model, tokenizer = saying_model()
    tokens = byte_tokens(tokenizer, said.encode()) if isinstance(said, str) else said
    steps = []

    def choose(logits, *_):
        steps.append(1)
        return torch.tensor([tokens[len(steps) - 1]])

    def ask(**streaming):
        steps.clear()
        kwargs.setdefault("max_new_tokens", len(tokens))
        return generate(model, tokenizer, ["hi"], **kwargs, **streaming)[0]

    monkeypatch.setattr(generate_module, "choose", choose)
    pieces = []
    streamed = ask(on_text=lambda piece: pieces.append((len(steps), piece)))
    assert ask() == streamed  # streaming changes nothing of the reply
    return streamed, pieces


def joined(pieces: list[tuple[int, str]], by: int | None = None) -> str:
    """The streamed text, all of it or what came by step `by`."""
    return "".join(piece for step, piece in pieces if by is None or step <= by)


@pytest.mark.parametrize(
    ("said", "settings", "expected"),
    [
        ("Hello world END and more", {"stop": ["END"]}, ("Hello world", "stop")),
        # Of two stops one token completes together, the first given cuts.
        ("xx pb yy", {"stop": ["b", "pb"]}, ("xx p", "stop")),
        ("Yes 日本 END", {"stop": ["END"], "stop_repeats": True}, ("Yes 日本", "stop")),
        (
            "One two three. Four five six. One two three. Seven eight",
            {"stop_repeats": True},
            ("One two three. Four five six.", "repeat"),
        ),
        # A repeated line is cut too, though its end ("\n") is whitespace.
        (
            "one two three\nfour five six\none two three\nseven",
            {"stop_repeats": True},
            ("one two three\nfour five six", "repeat"),
        ),
        # "3." may go on "3.6": no repeat of "Set it to version 3." (streaming waits a token).
        ("Set it to version 3. Set it to version 3.6 for GPU.", {"stop_repeats": True}, None),
        # Started as an earlier sentence, but another one: no repeat.
        ("One two three.. One two three. End", {"stop_repeats": True}, None),
        ("One two three. One two four. Done", {"stop_repeats": True}, None),
        ("  Hi there.  \n\n", {}, ("Hi there.", "length")),
    ],
)
def test_the_streamed_pieces_join_to_the_reply(monkeypatch, said, settings, expected):
    reply, pieces = said_by_the_model(monkeypatch, said, **settings)
    assert (reply.text, reply.finish_reason) == (expected or (said, "length"))
    # Never a piece the reply cuts (a stop string, a repeat) nor the whitespace it strips.
    assert joined(pieces) == reply.text and all(piece for _, piece in pieces)


def test_text_is_streamed_once_no_stop_or_repeat_can_take_it_back(monkeypatch):
    said = "One two three. One two four. Done END"
    reply, pieces = said_by_the_model(monkeypatch, said, stop=["END"], stop_repeats=True)
    assert reply.text == "One two three. One two four. Done"
    # No earlier sentence to repeat: the first is sent as it is said.
    assert joined(pieces, by=len("One two")) == "One two"
    # The second begins as the first did: held until its word "four" is whole.
    assert joined(pieces, by=len("One two three. One two fou")) == "One two three."
    assert joined(pieces, by=len("One two three. One two four ")) == "One two three."
    assert joined(pieces, by=len("One two three. One two four. ")) == (
        "One two three. One two four."
    )
    # The start of a stop string waits for the next token.
    assert joined(pieces, by=len("One two three. One two four. Done E")) == reply.text


def test_a_streamed_reply_ends_with_the_characters_an_eos_completes(monkeypatch):
    model, tokenizer = tiny_random()
    tokens = byte_tokens(tokenizer, "Oh 日".encode())[:-1] + [tokenizer.eos_token_id]
    reply, pieces = said_by_the_model(monkeypatch, tokens, max_new_tokens=10, stop=["x"])
    assert (reply.text, reply.finish_reason) == ("Oh \ufffd", "stop")
    assert joined(pieces) == reply.text


def test_random_streams_join_to_their_replies(monkeypatch):
    # Sentences of a few words, so that some repeat; stop strings cut from what is said.
    rng, endings = random.Random(0), Counter()
    starts = ["One two three", "one two four", "ΑΣ é日 one", "Two", "one two"]
    ends = [". ", ".\n", "!", "\n", " ", "..", ". \n", ", ", "，"]  # "three.one" is one word
    for _ in range(40):
        sentences = [rng.choice(starts) + rng.choice(ends) for _ in range(rng.randint(1, 6))]
        said = "".join(sentences)[: rng.randint(1, 60)]
        stops = []
        for _ in range(rng.choice([0, 0, 1, 2])):
            start = rng.randrange(len(said))
            stops.append(said[start : start + rng.randint(1, 4)])
        settings = {"stop": stops, "stop_repeats": rng.random() < 0.6}
        reply, pieces = said_by_the_model(monkeypatch, said, **settings)
        assert joined(pieces) == reply.text, (said, settings)
        endings[reply.finish_reason] += 1
    assert all(endings[reason] for reason in ("stop", "repeat", "length")), endings
