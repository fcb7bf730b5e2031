"""Decoding under a JSON schema, so that a reply always parses whatever the model: llguidance
compiles the schema into a grammar over the model's tokens, and before each token is chosen a
matcher per reply masks every token that would break it. Data generation asks local models for
pairs this way; the server's `response_format` is the same engine."""

from __future__ import annotations

import json
import weakref

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from tunelab.errors import TunelabError
from tunelab.generation.reply_limit import CLOSING_TOKENS

ANY_OBJECT: dict = {"type": "object"}
# Between JSON tokens: nothing, one space, or a newline and an indent of up to 16. A small model
# can otherwise loop on newlines inside an object until it runs out of tokens.
BOUNDED_WHITESPACE = r"(?:\n[ \t]{0,16}|[ ])"
# In this order: a string (or a question's "?" where a pattern wants one), an object, a list,
# a value. Inside a string, "}" "]" "," are text: '"' comes first wherever it is allowed.
_CLOSERS = ('"', "?", "}", "]", ",")
# Outside a string '"' opens one: just after "{" or "[" it would start a first member (an
# optional property, a list item, however long) where "}" or "]" closes at once.
_CLOSERS_OUTSIDE_STRINGS = ("}", "]", '"', ",")
_tokenizers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Constraint:
    """A JSON schema (or a Lark grammar, its JSON parts written by `lark_json`) compiled for one
    tokenizer; `start()` gives each reply its own matcher.

    `compact` allows no whitespace at all (the bound on a reply's length is then the schema's);
    `lenient` ignores keywords llguidance cannot enforce instead of refusing the schema."""

    def __init__(
        self,
        schema: dict | str,
        tokenizer: PreTrainedTokenizerBase,
        vocab_size: int,
        eos_ids: list[int],
        compact: bool = False,
        lenient: bool = False,
    ) -> None:
        import llguidance

        self.tokenizer = _ll_tokenizer(tokenizer, vocab_size, eos_ids)
        self.vocab_size, self.eos = vocab_size, set(eos_ids)
        what = "the JSON schema"
        try:
            if isinstance(schema, str):  # a Lark grammar: its JSON parts carry their options
                what, self.grammar = "the grammar", llguidance.LLMatcher.grammar_from_lark(schema)
            else:
                self.grammar = llguidance.LLMatcher.grammar_from_json_schema(
                    json.dumps(schema), defaults=_options(compact, lenient)
                )
        except (TypeError, ValueError) as err:
            raise TunelabError(f"{what} cannot be used: {err}") from None
        if error := llguidance.LLMatcher.validate_grammar(self.grammar, self.tokenizer):
            raise TunelabError(f"{what} cannot be used: {error}")
        # A closing mark that is one token on its own, for `Reply.mask(..., remaining=...)`.
        eos = sorted(self.eos)[0]
        self.closers = [eos] + _single_tokens(tokenizer, _CLOSERS)
        self.closers_outside_strings = [eos] + _single_tokens(tokenizer, _CLOSERS_OUTSIDE_STRINGS)
        self.quote = next(iter(_single_tokens(tokenizer, ('"',))), None)
        self.whitespace = _whitespace_tokens(tokenizer, vocab_size, eos_ids)

    def start(self) -> Reply:
        import llguidance

        return Reply(self, llguidance.LLMatcher(self.tokenizer, self.grammar))


class Reply:
    """One reply being decoded under a Constraint: mask its next token's logits, then accept it."""

    def __init__(self, constraint: Constraint, matcher) -> None:
        self.constraint, self.matcher = constraint, matcher
        words = (constraint.vocab_size + 31) // 32
        self.bitmask = torch.zeros(1, words, dtype=torch.int32)
        self.ended = False  # an end-of-text token was accepted: nothing more to mask
        self.in_string = False  # inside a key or a string value, where '"' closes and "}" is text
        self.escaped = False  # just after a backslash in a string: its '"' is text

    def mask(self, logits: torch.Tensor, remaining: int | None = None) -> torch.Tensor:
        """Set the logits (one row) of every token the schema forbids next to -inf, in place.
        With `remaining` tokens left and no more than CLOSING_TOKENS, only a closing mark is
        allowed wherever one can come, so a compact reply closes before its budget runs out."""
        if self.ended:
            return logits
        from llguidance.torch import fill_next_token_bitmask

        fill_next_token_bitmask(self.matcher, self.bitmask, 0)
        bits = np.unpackbits(self.bitmask.numpy().view(np.uint8), bitorder="little")
        allowed = bits[: logits.shape[-1]].astype(bool)
        if remaining is not None and remaining <= CLOSING_TOKENS:
            if (closer := self.closer(allowed)) is not None:
                allowed = np.zeros_like(allowed)
                allowed[closer] = True
            elif (text := allowed & ~self.constraint.whitespace).any():
                # Where no mark can close (after a key), whitespace would spend the budget.
                allowed = text
        # numpy, on one thread, where the logits are on the CPU: a small threaded torch op takes
        # ~16 ms on a busy 2-core machine (threads waiting on each other), numpy's 0.1 ms.
        if logits.device.type == "cpu" and logits.is_contiguous():
            logits.numpy()[~allowed] = -np.inf
            return logits
        return logits.masked_fill_(~torch.from_numpy(allowed).to(logits.device), float("-inf"))

    def closer(self, allowed: np.ndarray) -> int | None:
        """The closing mark to force next, if one can come. In a string, a mark that is text
        there (a question's "?") only where '"' may follow it: a pattern that never lets the
        string end after it (an email's) would take it again and again until the budget is out."""
        if not self.in_string:
            return next((c for c in self.constraint.closers_outside_strings if allowed[c]), None)
        quote = self.constraint.quote
        for c in self.constraint.closers:
            if allowed[c] and (c == quote or self.closes_after(c)):
                return c
        return None

    def closes_after(self, token: int) -> bool:
        """Whether '"' may come right after `token` (tried, then undone)."""
        if self.constraint.quote is None:
            return False
        consumed = self.matcher.try_consume_tokens([token, self.constraint.quote])
        self.matcher.rollback(consumed)
        return consumed == 2

    def accept(self, token: int) -> None:
        if self.ended:
            return
        # A token after a whole value (padding, once a stop string ended the row) ends it too.
        if token in self.constraint.eos or self.matcher.is_stopped():
            self.ended = True
        elif not self.matcher.consume_token(token):
            raise TunelabError(f"token {token} broke the schema: {self.matcher.get_error()}")
        else:
            self.read(self.constraint.tokenizer.decode_bytes([token]))

    def read(self, text: bytes) -> None:
        """Follow whether the reply is inside a string, which orders the closing marks."""
        for byte in text:
            if self.escaped:
                self.escaped = False
            elif self.in_string and byte == ord("\\"):
                self.escaped = True
            elif byte == ord('"'):
                self.in_string = not self.in_string

    @property
    def complete(self) -> bool:
        """The reply so far is a whole value of the schema."""
        return self.ended or self.matcher.is_accepting()


def lark_json(schema: dict, lenient: bool = False) -> str:
    """`schema` as a part of a Lark grammar, whitespace bounded as a Constraint bounds it."""
    return "%json " + json.dumps({**schema, "x-guidance": _options(False, lenient)})


def _options(compact: bool, lenient: bool) -> dict:
    """llguidance's JSON options: no whitespace when `compact`, else BOUNDED_WHITESPACE."""
    options = {"whitespace_flexible": False} if compact else {}
    options |= {"whitespace_pattern": BOUNDED_WHITESPACE} if not compact else {}
    return options | ({"lenient": True} if lenient else {})


def _single_tokens(tokenizer: PreTrainedTokenizerBase, marks: tuple[str, ...]) -> list[int]:
    """The token of each mark that is one token on its own, in order."""
    ids = [tokenizer.encode(c, add_special_tokens=False) for c in marks]
    return [i[0] for i in ids if len(i) == 1]


def _whitespace_tokens(
    tokenizer: PreTrainedTokenizerBase, vocab_size: int, eos_ids: list[int]
) -> np.ndarray:
    """Which token ids are whitespace alone (made once per tokenizer, as its llguidance view)."""
    key = ("whitespace", vocab_size, tuple(eos_ids))
    made = _tokenizers.setdefault(tokenizer, {})
    if key not in made:
        decode = _ll_tokenizer(tokenizer, vocab_size, eos_ids).decode_bytes
        made[key] = np.array(
            [(b := decode([i])) != b"" and b.isspace() for i in range(vocab_size)], dtype=bool
        )
    return made[key]


def _ll_tokenizer(tokenizer: PreTrainedTokenizerBase, vocab_size: int, eos_ids: list[int]):
    """llguidance's view of a tokenizer (about a second to build), made once per tokenizer."""
    import llguidance.hf

    key = (vocab_size, tuple(eos_ids))
    made = _tokenizers.setdefault(tokenizer, {})
    if key not in made:
        try:
            made[key] = llguidance.hf.from_tokenizer(tokenizer, vocab_size, list(eos_ids))
        except ValueError as err:  # only "fast" (Rust) tokenizers can be read
            raise TunelabError(f"structured output needs a fast tokenizer: {err}") from None
    return made[key]
