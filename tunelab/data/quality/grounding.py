"""Is a generated answer grounded in the text it was made from? Every number and every name or
literal (code, a flag, a dotted key, a snake_case name, a path, a capitalised name) it states
must appear whole in the source, and most of its content words too; no setting's snake_case
name with words the source never says beside it. A model that adds a fact the source never
stated teaches the finetuned model to invent; such a pair is dropped, and the reason counted."""

from __future__ import annotations

import functools
import re

from tunelab.data.text import STOPWORDS, sentences, stems, worded_stems, words

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
# A snake_case name: a setting, a key, a function ("black_mark", "print_speed").
SNAKE_CASE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
# A line break inside a paragraph, which a sentence runs across: not before a list item, a table
# row, a heading, a quote or a blank line.
WRAPPED = re.compile(r"\n(?![ \t]*(?:[-*+|#>]|\d+[.)][ \t]|\n))")
TABLE_RULE = re.compile(r"^\|?[\s:|-]*-[\s:|-]*$")

NUMBER_MISSING = "not grounded: a number not in the source"
NAME_MISSING = "not grounded: a name or literal not in the source"
WORDS_MISSING = "not grounded: too few of its words in the source"
MISPLACED = "not grounded: a setting's name with words the source never says beside it"


def ungrounded(
    answer: str, source: str, min_share: float = 0.7, settings_placed: bool = True
) -> str | None:
    """Why `answer` is not grounded in `source`, or None when it is. `min_share` is the share of
    the answer's content words (crudely stemmed) that must occur in the source; `settings_placed`
    also checks each setting's name stands with words the source says of it (`misplaced_name`):
    an answer states a fact of it, where a question asks of it in words of its own ("What is the
    purpose of target_humidity?")."""
    numbers = set(NUMBER.findall(source))
    if any(n not in numbers for n in NUMBER.findall(answer)):
        return NUMBER_MISSING
    if any(not states(source, literal) for literal in literals(answer)):
        return NAME_MISSING
    source_said = worded_stems(source)
    source_words = {w for w, _ in source_said}
    if any(name.lower() not in source_words for name in CAPITALISED.findall(answer.strip())):
        return NAME_MISSING
    said = worded_stems(answer)
    content = [s for w, s in said if w not in STOPWORDS and not w.isdigit()]
    source_stems = {s for _, s in source_said}
    if content and sum(w in source_stems for w in content) / len(content) < min_share:
        return WORDS_MISSING
    if settings_placed and misplaced_name(answer, source):
        return MISPLACED
    return None


def misplaced_name(answer: str, source: str) -> str | None:
    """A snake_case name the answer states in a sentence none of whose other content words the
    source says in any sentence about it (`_about`; a table row read with its header), or None.
    "Hold black_mark" passed on a chunk saying "Hold the FEED button" in one sentence and "set
    media_type to black_mark" in another: every word there, the fact wrong."""
    spans = _source_sentences(source)
    for said in sentences(answer):
        said_words = worded_stems(said)
        for name in dict.fromkeys(SNAKE_CASE.findall(said)):
            left_out = STOPWORDS | set(words(name))
            other = {s for w, s in said_words if w not in left_out and not w.isdigit()}
            beside = [set(stems(s)) for s in _about(spans, name)]
            if other and beside and not any(other & near for near in beside):
                return name
    return None


def _about(spans: list[str], name: str) -> list[str]:
    """The source's sentences about setting `name`: each naming it, and those after it that go on
    in "It" and "Its" ("### tear_offset" over "Its default is 12 mm. It ranges from 0 to 30 mm."),
    up to a heading, a table row or a sentence naming another setting. Read by the sentences
    naming it alone, the default and range of a setting's own section were dropped."""
    about, on = [], False
    for span in spans:
        if states(span, name):
            on = True
        elif SNAKE_CASE.search(span) or span.lstrip().startswith(("#", "|")):
            on = False
        if on:
            about.append(span)
    return about


def _source_sentences(source: str) -> list[str]:
    """The source's sentences, a wrapped one joined again, and each table row with its header
    row's words (a "Default" column's row states a default)."""
    found, header = [], ""
    lines = WRAPPED.sub(" ", source).splitlines()
    for line, below in zip(lines, [*lines[1:], ""]):
        row = line.strip().startswith("|")
        if row and TABLE_RULE.match(below.strip()):
            header = line
        if not row:
            header = ""
        if row and not TABLE_RULE.match(line.strip()):
            found.append(f"{line} {header}" if line is not header else line)
        elif not row:
            found += sentences(line)
    return found


def literals(text: str) -> list[str]:
    """The code spans, flags, dotted keys, paths, snake_case and technical names `text` states."""
    found = [next(g for g in m.groups() if g) for m in LITERAL.finditer(text)]
    rest = LITERAL.sub(" ", text)
    return found + SNAKE_CASE.findall(rest) + NAME.findall(SNAKE_CASE.sub(" ", rest))


def states(text: str, literal: str) -> bool:
    """Whether `text` states `literal` whole, case and line breaks aside: "black_flag" is not
    stated by "black" and "flag" apart, nor by "black_flags"; "data.path" not by "data.paths"."""
    return _whole(literal).search(text) is not None


@functools.lru_cache(maxsize=4096)
def _whole(literal: str) -> re.Pattern:
    """`literal` as a pattern of itself whole, compiled once: `states` is asked of one literal in
    every sentence of a source (`_about`); built each call, the 3,706 calls of lamini_docs'
    answers took 28 ms, 15 ms with it made once."""
    whole = r"\s+".join(re.escape(part) for part in literal.split())
    before = r"(?<!\w)" if re.match(r"\w", literal) else ""  # "--lr" ends, not starts, a word
    after = r"(?!\w)" if re.search(r"\w$", literal) else ""
    return re.compile(before + whole + after, re.IGNORECASE)
