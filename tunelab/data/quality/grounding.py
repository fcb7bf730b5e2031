"""Is a generated answer grounded in the text it was made from? Every number and every name or
literal (code, a flag, a dotted key, a path, a capitalised name) it states must appear in the
source, and most of its content words too. A model that adds a fact the source never stated
teaches the finetuned model to invent; such a pair is dropped, and the reason counted."""

from __future__ import annotations

import re

from tunelab.data.text import STOPWORDS, stem, words

# A number as a reader reads one: not the digits of a name ("SmolLM2", "x86", "Llama-3") nor part
# of another number ("5e-4" is one): "3 epochs" was grounded by "Llama-3" or "5e-4"'s digits alike.
# A range's second end ("3-5") is a number.
NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z]-)\d+(?:[.,]\d+)*(?:[eE]-?\d+)?")
# `code`, --flags, dotted.keys, paths/like/this, and words with capitals or digits after the
# first letter (LoRA, SmolLM2, GGUF), or a hyphen and digits (Llama-3: its version is no number).
LITERAL = re.compile(r"`([^`\n]+)`|(?<![\w-])(--?[A-Za-z][\w-]*)|\b(\w+(?:[./]\w+)+)\b")
NAME = re.compile(r"\b[A-Za-z]\w*(?:[A-Z0-9]\w*|-\d\w*)\b")
# A capitalised word that is not the first of its sentence names something ("Paris", "Adam").
CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-z]+\b")

NUMBER_MISSING = "not grounded: a number not in the source"
NAME_MISSING = "not grounded: a name or literal not in the source"
WORDS_MISSING = "not grounded: too few of its words in the source"


def ungrounded(answer: str, source: str, min_share: float = 0.7) -> str | None:
    """Why `answer` is not grounded in `source`, or None when it is. `min_share` is the share of
    the answer's content words (crudely stemmed) that must occur in the source."""
    numbers = set(NUMBER.findall(source))
    if any(n not in numbers for n in NUMBER.findall(answer)):
        return NUMBER_MISSING
    lowered = " ".join(source.lower().split())
    source_words = set(words(source))
    for literal in literals(answer):
        if " ".join(literal.lower().split()) not in lowered:
            return NAME_MISSING
    if any(name.lower() not in source_words for name in CAPITALISED.findall(answer.strip())):
        return NAME_MISSING
    content = [stem(w) for w in words(answer) if w not in STOPWORDS and not w.isdigit()]
    stems = {stem(w) for w in source_words}
    if content and sum(w in stems for w in content) / len(content) < min_share:
        return WORDS_MISSING
    return None


def literals(text: str) -> list[str]:
    """The code spans, flags, dotted keys, paths and technical names `text` states."""
    found = [next(g for g in m.groups() if g) for m in LITERAL.finditer(text)]
    return found + NAME.findall(LITERAL.sub(" ", text))
