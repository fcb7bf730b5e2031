"""Random schemas (nested objects and lists, enums and keys with quotes, backslashes, newlines
and non-ASCII, optional properties) on random models, greedy and sampled, with budgets down to
CLOSING_TOKENS: every reply is compact JSON of its schema, closed in time. Seeded: reproducible."""

from __future__ import annotations

import json
import random
import re

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaForCausalLM

from tunelab.errors import TunelabError
from tunelab.generation.generate import generate
from tunelab.generation.structured import CLOSING_TOKENS, Constraint
from tunelab.models.random_weights import (
    TINY_SPECIAL_TOKENS,
    chatml_tokenizer,
    tiny_config,
    tiny_random,
)

# Tokens of several JSON marks at once, escapes, and characters whole or split over tokens.
MERGED = ['",', "}}", '":', '":"', '"}', "},", '],"', '"]', "[{", '\\"', "\\\\", "\\n", "é", "日"]
ENUM_WORDS = [
    "a",
    'q"uote',
    "back\\slash",
    "new\nline",
    "tab\t",
    "é",
    "日本",
    "🙂",
    "",
    "}",
    '",',
    'ü"}',
]
KEYS = ["k", 'q"', "b\\", "n\n", "é", "日", "🙂", "x y", "", "a,b"]


def leaf(r):
    kind = r.choice(
        ["string", "smax", "integer", "number", "boolean", "null", "enum", "const", "imin"]
    )
    if kind == "string":
        return {"type": "string"}
    if kind == "smax":
        return {"type": "string", "minLength": r.randint(0, 2), "maxLength": r.randint(2, 6)}
    if kind == "integer":
        return {"type": "integer"}
    if kind == "imin":
        return {"type": "integer", "minimum": -5, "maximum": 100}
    if kind == "enum":
        return {"enum": r.sample(ENUM_WORDS, r.randint(1, 3))}
    if kind == "const":
        return {"const": r.choice(ENUM_WORDS)}
    return {"type": kind}


def schema(r, depth):
    c = r.random()
    if depth == 0 or c < 0.35:
        return leaf(r)
    if c < 0.7:
        keys = r.sample(KEYS, r.randint(0, 3))
        props = {k: schema(r, depth - 1) for k in keys}
        req = [k for k in keys if r.random() < 0.5]
        s = {"type": "object", "properties": props, "additionalProperties": False}
        if req:
            s["required"] = req
        return s
    if c < 0.9:
        lo = r.randint(0, 2)
        hi = lo + r.randint(0, 2)
        return {"type": "array", "items": schema(r, depth - 1), "minItems": lo, "maxItems": hi}
    return {"anyOf": [schema(r, depth - 1), schema(r, depth - 1)]}


def validate(v, s, path="$"):
    if "anyOf" in s:
        errs = []
        for sub in s["anyOf"]:
            try:
                validate(v, sub, path)
                return
            except AssertionError as e:
                errs.append(str(e))
        raise AssertionError(f"{path}: no anyOf branch: {errs}")
    if "const" in s:
        assert v == s["const"] and type(v) is type(s["const"]), f"{path}: const {v!r}"
    if "enum" in s:
        assert v in s["enum"], f"{path}: enum {v!r}"
    t = s.get("type")
    if t == "string":
        assert isinstance(v, str), path
        assert len(v) >= s.get("minLength", 0) and len(v) <= s.get("maxLength", 1e9), (
            f"{path}: len {v!r}"
        )
    elif t == "integer":
        assert isinstance(v, int) and not isinstance(v, bool), f"{path}: int {v!r}"
        assert s.get("minimum", -1e99) <= v <= s.get("maximum", 1e99), f"{path}: range {v}"
    elif t == "number":
        assert isinstance(v, (int, float)) and not isinstance(v, bool), path
    elif t == "boolean":
        assert isinstance(v, bool), path
    elif t == "null":
        assert v is None, path
    elif t == "object":
        assert isinstance(v, dict), f"{path}: obj {v!r}"
        for k in s.get("required", []):
            assert k in v, f"{path}: missing {k!r}"
        for k, x in v.items():
            assert k in s.get("properties", {}), f"{path}: extra {k!r}"
            validate(x, s["properties"][k], f"{path}.{k}")
    elif t == "array":
        assert isinstance(v, list), path
        assert s.get("minItems", 0) <= len(v) <= s.get("maxItems", 1e9), f"{path}: items {len(v)}"
        for i, x in enumerate(v):
            validate(x, s["items"], f"{path}[{i}]")


def compact(text):
    return not re.search(r"\s", re.sub(r'"(?:[^"\\]|\\.)*"', '""', text))


def dumps(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def minimal(s):
    """The bytes of the shortest instance of s (compact)."""
    if "anyOf" in s:
        return min(minimal(x) for x in s["anyOf"])
    if "const" in s:
        return len(dumps(s["const"]).encode())
    if "enum" in s:
        return min(len(dumps(e).encode()) for e in s["enum"])
    t = s["type"]
    if t == "string":
        return 2 + s.get("minLength", 0)
    if t in ("integer", "number"):
        return 1
    if t == "boolean":
        return 4
    if t == "null":
        return 4
    if t == "object":
        req = s.get("required", [])
        return (
            2
            + sum(len(dumps(k).encode()) + 1 + minimal(s["properties"][k]) for k in req)
            + max(0, len(req) - 1)
        )
    if t == "array":
        n = s.get("minItems", 0)
        return 2 + n * minimal(s["items"]) + max(0, n - 1)


def _bytes_to_unicode():  # GPT-2's table of bytes to printable characters
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE = _bytes_to_unicode()


def bl(s):  # a string's byte-level symbols
    return "".join(BYTE[b] for b in s.encode())


MERGED = ['",', "}}", '":', '":"', '"}', "},", '],"', '"]', "[{", '\\"', "\\\\", "\\n", "é", "日"]


def merged_tokenizer():
    vocab = {tok: i for i, tok in enumerate(TINY_SPECIAL_TOKENS)}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(ch, len(vocab))
    merges = []
    for word in MERGED:
        sym = bl(word)
        if word == "日":
            sym = sym[:2]  # a token of two of its three bytes: the character splits over tokens
        cur = sym[0]
        for ch in sym[1:]:
            merges.append((cur, ch))
            cur += ch
            vocab.setdefault(cur, len(vocab))
    merges = list(dict.fromkeys(merges))
    core = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(TINY_SPECIAL_TOKENS)
    return chatml_tokenizer(core)


def merged_model(seed=0):
    tok = merged_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(tiny_config(len(tok)))
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model, tok


@pytest.fixture(scope="module", params=["byte-level", "merged"])
def model_and_tokenizer(request):
    return tiny_random() if request.param == "byte-level" else merged_model()


def _two_replies(model, tokenizer, schema_, budget: int, temperature: float, seed: int):
    """Replies to two prompts under `schema_`, each within `budget` new tokens."""
    return generate(
        model, tokenizer, ["hi", "json please"], max_new_tokens=budget,
        temperature=temperature, seed=seed, schema=schema_,
    )  # fmt: skip


@pytest.mark.parametrize("first", [0, 100])
def test_random_schemas_give_compact_json_of_the_schema_in_time(model_and_tokenizer, first):
    model, tokenizer = model_and_tokenizer
    tried = 0
    for seed in range(first, first + 40):
        schema_ = schema(random.Random(seed), 3)
        if minimal(schema_) > 30:  # the closing budget is for compact schemas
            continue
        tried += 1
        budget, temperature = random.Random(seed).choice(
            [(CLOSING_TOKENS, 0.0), (CLOSING_TOKENS, 1.0), (CLOSING_TOKENS + 8, 1.0), (160, 1.0)]
        )
        for reply in _two_replies(model, tokenizer, schema_, budget, temperature, seed):
            where = f"seed {seed}: {reply.text!r} for {json.dumps(schema_, ensure_ascii=False)}"
            validate(json.loads(reply.text), schema_)
            assert compact(reply.text) and reply.finish_reason == "stop", where
    assert tried >= 10


@pytest.mark.parametrize(
    "schema_",
    [
        {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
        {"not": {"type": "string"}},
        {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        {"type": "array", "contains": {"const": 1}},
        {"type": "object", "properties": {"a": {"type": "null"}}, "minProperties": 1},
        {"type": "object", "unevaluatedProperties": False},
    ],
)
def test_keywords_that_cannot_be_enforced_are_refused(schema_):
    _, tokenizer = tiny_random()
    with pytest.raises(TunelabError, match="the JSON schema cannot be used"):
        Constraint(schema_, tokenizer, len(tokenizer), [2], compact=True)


FREE = [
    {"type": "string"},
    {"type": "number"},
    {"type": "array", "items": {"type": "number"}},
    {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
    {"type": "object"},  # any keys, any values
    {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["a", "b"],
    },
]


@pytest.mark.parametrize("schema_", FREE, ids=lambda s: json.dumps(s)[:40])
def test_free_strings_numbers_lists_and_objects_never_take_more_than_max_new_tokens(
    model_and_tokenizer, schema_
):
    # Room for more at every step: a reply stops at the budget ("length") or closes before it,
    # and from CLOSING_TOKENS up it always closes.
    model, tokenizer = model_and_tokenizer
    for budget in (1, 7, CLOSING_TOKENS, 100):
        for temperature in (0.0, 1.5):
            for reply in _two_replies(model, tokenizer, schema_, budget, temperature, budget):
                where = f"budget {budget}, temperature {temperature}: {reply}"
                assert reply.completion_tokens <= budget, where
                assert reply.finish_reason in ("stop", "length"), where
                if reply.finish_reason == "stop" or budget >= CLOSING_TOKENS:
                    assert reply.finish_reason == "stop" and compact(reply.text), where
                    json.loads(reply.text)
