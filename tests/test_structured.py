"""Decoding under a JSON schema: whatever the model (here a random one), every reply is JSON of
the schema, and it closes within the token budget."""

from __future__ import annotations

from typing import Literal

import pytest
import torch
from pydantic import BaseModel, ConfigDict, Field

from tunelab.data.generate.llm import pairs_schema, parse_pairs
from tunelab.errors import TunelabError
from tunelab.generation.generate import generate
from tunelab.generation.structured import CLOSING_TOKENS, Constraint
from tunelab.models.random_weights import tiny_random


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=200)
    answer: str = Field(min_length=1, max_length=600)


class Pairs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pairs: list[Pair] = Field(min_length=1, max_length=3)


class Setting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["lr", "epochs", "batch_size"]
    value: float
    enabled: bool
    note: str | None = Field(max_length=30)
    tags: list[str] = Field(max_length=2)


@pytest.fixture(scope="module")
def tiny():
    return tiny_random()


def prompts(tokenizer, n: int = 4) -> list[str]:
    return [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": f"Reply in JSON, please ({i})."}],
            tokenize=False,
            add_generation_prompt=True,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("shape", "temperature", "budget"),
    # 64 tokens: the least data generation allows; a byte-level model needs 70 for a Setting.
    [(Pairs, 0.0, 300), (Pairs, 1.5, 64), (Setting, 0.0, 300), (Setting, 1.5, 128)],
)
def test_a_random_model_always_replies_with_json_of_the_schema(tiny, shape, temperature, budget):
    model, tokenizer = tiny
    replies = generate(
        model,
        tokenizer,
        prompts(tokenizer),
        max_new_tokens=budget,
        temperature=temperature,
        seed=3,
        schema=shape.model_json_schema(),
    )
    for reply in replies:
        shape.model_validate_json(reply.text)  # raises unless it is JSON of the schema
        assert reply.finish_reason == "stop" and reply.completion_tokens <= budget


def test_a_schema_llguidance_cannot_enforce_is_a_user_error(tiny):
    model, tokenizer = tiny
    with pytest.raises(TunelabError, match="the JSON schema cannot be used: .*strin"):
        Constraint({"type": "strin"}, tokenizer, model.config.vocab_size, [2])
    with pytest.raises(TunelabError, match="Unknown format"):
        Constraint({"type": "string", "format": "postcode"}, tokenizer, 259, [2])
    # lenient: what cannot be enforced is ignored rather than refused
    Constraint({"type": "string", "format": "postcode"}, tokenizer, 259, [2], lenient=True)


def test_data_generation_replies_parse_into_pairs_whose_questions_ask(tiny):
    model, tokenizer = tiny
    replies = generate(
        model, tokenizer, prompts(tokenizer), max_new_tokens=64, temperature=1.5, seed=5,
        schema=pairs_schema(3),
    )  # fmt: skip
    for reply in replies:
        pairs = parse_pairs(reply.text)
        assert pairs and all(question.endswith("?") for question, _ in pairs)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "items": {"const": "x" * 60}},
        {"type": "object", "properties": {"a": {"const": "x" * 60}}, "additionalProperties": False},
    ],
)
def test_closing_prefers_an_empty_object_or_list_to_a_first_member(tiny, schema):
    # '"' came first of the closing marks everywhere: after "{" or "[" it opened a 60-byte
    # member the budget had no room for, where "}" or "]" would have closed at once.
    model, tokenizer = tiny
    (reply,) = generate(model, tokenizer, ["hi"], max_new_tokens=CLOSING_TOKENS, schema=schema)
    assert reply.text in ("[]", "{}") and reply.finish_reason == "stop"


def test_closing_never_forces_a_mark_after_which_a_string_cannot_end(tiny):
    # "?" is text in this string but never its end: forced, it came again until the budget ran out.
    model, tokenizer = tiny
    constraint = Constraint({"type": "string", "pattern": "^[?x]*y$"}, tokenizer, 259, [2], True)
    reply = constraint.start()
    reply.accept(tokenizer.encode('"', add_special_tokens=False)[0])
    logits = torch.zeros(259)
    reply.mask(logits, remaining=CLOSING_TOKENS)
    assert (logits == 0).sum() > 1  # no mark forced: the model still chooses among ?, x and y
