"""What makes two rows "the same question" (the keys `data split`, training's split and
`data check` compare by), and exact repeats dropped by them."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

from tunelab.data.example import Example
from tunelab.data.markers import plain_question
from tunelab.data.text import UNSPACED, unspaced


def normalize_text(text: str) -> str:
    """Text as "the same question" compares it: one form of each character (full-width "？" and
    "ＡＢＣ" are "?" and "abc", NFKC), spaces collapsed, lower case."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


# The marks that punctuate a sentence (not C#, 50%, @, a_b or --flag, which are its words).
_SENTENCE_MARKS = frozenset(".,;:!?…\"'“”‘’()[]{}«»¿¡。、「」『』《》【】।॥")


def question_key(text: str) -> str:
    """A prompt as "the same question" compares it: `normalize_text`, and the marks punctuating
    it a space ("Do I have to pay?" asks what "do I have to pay" does, as `data check`'s leak
    search finds); a mark inside a word stays ("3.5" is not "35", "don't" not "don t"), and so do
    the marks that are words' own ("C#" is not "C", "50%" not "50")."""
    text = unicodedata.normalize("NFKC", text)  # full-width marks as the others: "？" is "?"
    kept = [
        " " if ch in _SENTENCE_MARKS and not (0 < i < len(text) - 1 and _inside(text, i)) else ch
        for i, ch in enumerate(text)
    ]
    # Chinese and Japanese put no space between words: the space a mark left there goes too.
    return normalize_text(unspaced("".join(kept)))


def _inside(text: str, i: int) -> bool:
    """Whether the mark at `i` is inside a word of a spaced script (3.5, don't)."""
    return all(ch.isalnum() and not UNSPACED.match(ch) for ch in (text[i - 1], text[i + 1]))


def prompt_parts(example: Example) -> list[str]:
    """What a row asks, part by part: an Alpaca row's instruction and input, a chat's turns
    before its last reply but its system turns (a system prompt says how to answer, not what:
    every row of a support set carries the same one, and the same question under another system
    prompt, or none, is the same question)."""
    if example.instruction is not None:
        return [part for part in (example.instruction, example.input) if part]
    turns = [m["content"] for m in example.messages[:-1] if m["role"] != "system"]
    return turns or [example.question]


def system_text(example: Example) -> str:
    """A chat's system turns, joined ("" for none)."""
    return "\n".join(m["content"] for m in example.messages if m["role"] == "system")


def example_key(example: Example) -> str:
    """What makes two examples 'the same question': the prompt side (or the text for raw text)."""
    if example.text is not None:
        return normalize_text(example.text)
    return question_key("\n".join(prompt_parts(example)))


def prompt_key(example: Example) -> str:
    """What a row asks as `data split` compares it (`example_key`), without prompt markup: all
    of a chat's prompt turns, as two chats that end in the same "Why?" are not one question."""
    return without_markup(example, example_key(example))


def without_markup(example: Example, key: str) -> str:
    """A key of `example` without prompt markup (`### Question:`), but a raw text row's as it
    is: its markers are its text."""
    return key if example.text is not None else plain_question(key)


# A part of what rows ask (an instruction, a chat's opening turn) that this share of them, and
# at least SHARED_ROWS, carry is the set's boilerplate, not what any one row asks.
SHARED_SHARE, SHARED_ROWS = 0.2, 3


def near_keys(examples: list[Example]) -> list[str]:
    """Each example's `example_key` as near matches compare it: without prompt markup (as
    `prompt_key`), and less the parts of what it asks that many of `examples` share. A 30-word
    instruction every row carries before a short input made any two rows near repeats (a test
    set's "Do you sell hats?" leaked into "Do you ship to Canada?"), and the rows asking them
    were dropped as leaks. A row all of whose parts are shared keeps them all."""
    if not examples:
        return []
    parts = [
        [question_key(p) for p in prompt_parts(e)] if e.text is None else [example_key(e)]
        for e in examples
    ]
    carried = Counter(part for row in parts for part in set(row))
    shared = max(SHARED_ROWS, SHARED_SHARE * len(examples))
    keys = []
    for row, example in zip(parts, examples):
        own = normalize_text(" ".join([part for part in row if carried[part] < shared] or row))
        # "### Question: ... ### Answer:" around every row of lamini_docs dragged two questions
        # one word apart below the threshold: split kept them apart, and `data check` found a leak.
        keys.append(without_markup(example, own))
    return keys


def asked_key(example: Example) -> str:
    """What a row asks its answer under, as exact repeats compare it: what it asks
    (`example_key`), its system prompt (no part of the question, but rows that differ in it
    differ) and the tools it offers (likewise). Two rows of one key and two answers answer one
    question two ways (`data check`'s conflicts)."""
    tools = json.dumps(example.tools, sort_keys=True) if example.tools else ""
    return "\x00".join((example_key(example), system_text(example), tools))


def duplicate_key(example: Example) -> str:
    """A row as exact repeats compare it (`drop_duplicates`, `data check`): `asked_key` and its
    answer to the character but for its edges' whitespace ("True" is no "true", nor a two-line
    function its one-line form)."""
    return f"{asked_key(example)}\x00{(example.answer or '').strip()}"


def drop_duplicates(examples: list[Example]) -> tuple[list[Example], int]:
    """Drop exact repeats (`duplicate_key`); returns (kept, number dropped)."""
    seen: set[str] = set()
    kept = []
    for example in examples:
        key = duplicate_key(example)
        if key not in seen:
            seen.add(key)
            kept.append(example)
    return kept, len(examples) - len(kept)
