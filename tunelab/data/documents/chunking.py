"""Cut a document's sections (tunelab.data.documents.sections) into chunks that fit a token budget
along paragraph boundaries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tunelab.data.documents.fields import NAMED
from tunelab.data.documents.sections import (
    FENCE,
    LIST_ITEM,
    fenced_parts,
    lines_in_code,
    read_sections,
)
from tunelab.errors import TunelabError


@dataclass
class Chunk:
    source: str  # the document's path
    index: int  # position among the document's chunks
    headings: list[str]
    text: str
    line: int
    part: int = 0  # 0 for a section's first chunk; later parts continue the same section
    title: str = ""  # the document's name, as its text spells it (document_names.py)
    # the whole document's text (one string all its chunks share), for what a section alone
    # does not tell: how the document says its name ("## Security" under "the K9 Router")
    document: str = field(default="", repr=False, compare=False)

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def hash(self) -> str:
        """Identifies the chunk's content, so a rerun can skip chunks already turned into rows."""
        key = "\n".join([*self.headings, self.text])
        return hashlib.sha256(key.encode()).hexdigest()[:16]


def count_tokens(text: str) -> int:
    """Approximate tokens (words and punctuation marks): a budget that needs no tokenizer."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def chunk_document(path: Path, max_tokens: int = 400) -> list[Chunk]:
    """The document's sections cut into chunks of at most `max_tokens` (approximate) each."""
    chunks: list[Chunk] = []
    sections = read_sections(path)
    document = "\n\n".join(section.text for section in sections)
    for section in sections:
        for part, text in enumerate(split_text(section.text, max_tokens)):
            chunks.append(
                Chunk(
                    str(path),
                    len(chunks),
                    section.headings,
                    text,
                    section.line,
                    part,
                    section.title,
                    document,
                )
            )
    return chunks


def readable_chunks(
    documents: Iterable[Path], max_tokens: int
) -> tuple[dict[Path, list[Chunk]], list[str]]:
    """Each readable document's chunks, by its resolved path, and why each unreadable one (not
    UTF-8, a binary file, a broken PDF) was not read: `data generate` skips them, `compare
    --corpus` names them; read on past the first, so one message names every bad file."""
    chunks: dict[Path, list[Chunk]] = {}
    unreadable: list[str] = []
    for document in documents:
        try:
            chunks[document.resolve()] = chunk_document(document, max_tokens)
        except TunelabError as err:
            unreadable.append(str(err))
    return chunks, unreadable


def split_text(text: str, max_tokens: int) -> list[str]:
    """Greedy packing of paragraphs (a code block counts as one) into pieces under the budget;
    a paragraph over the budget is cut between its list items, then at sentences, line ends and
    words (PROSE_CUTS)."""
    pieces, current = [], []
    for para in _paragraphs(text):
        for unit in [para] if count_tokens(para) <= max_tokens else _cut(para, max_tokens):
            if current and count_tokens("\n\n".join([*current, unit])) > max_tokens:
                pieces.append("\n\n".join(current))
                current = []
            current.append(unit)
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def _cut_table(lines: list[str], max_tokens: int) -> list[str]:
    """A Markdown table cut between its rows, each piece under the table's header and rule, so
    that each is a table its rows are read by (a row over the budget alone stays whole)."""
    ruled = set(lines[1].replace("|", "").strip()) <= set("-: ")
    head, rows = (lines[:2], lines[2:]) if ruled else ([], lines)
    pieces: list[list[str]] = []
    for row in rows:
        if pieces and count_tokens("\n".join([*pieces[-1], row])) <= max_tokens:
            pieces[-1].append(row)
        else:
            pieces.append([*head, row])
    return ["\n".join(piece) for piece in pieces]


def _paragraphs(text: str) -> list[str]:
    paras, current = [], []
    for line, in_code in zip(text.splitlines(), lines_in_code(text)):
        if not line.strip() and not in_code:
            if current:
                paras.append("\n".join(current))
                current = []
        else:
            current.append(line)
    if current:
        paras.append("\n".join(current))
    return paras


def _cut(para: str, max_tokens: int) -> list[str]:
    lines = para.splitlines()
    if len(lines) > 2 and all(line.lstrip().startswith("|") for line in lines):
        return _cut_table(lines, max_tokens)
    if FENCE.match(para):  # code and help text keep their lines, each piece in its fences
        (_, code), *after = fenced_parts(para)  # a line may follow the closing fence
        rest = "".join(part for _, part in after).strip("\n")
        return _cut_code(code.splitlines(), max_tokens) + split_text(rest, max_tokens)
    seps, units = zip(*_prose_units(para, max_tokens, PROSE_CUTS))
    out, current = [], ""
    for unit, sep in zip(units, seps):
        while count_tokens(unit) > max_tokens:  # one endless sentence: cut by words
            words = unit.split()
            head = _words_within(words, max_tokens)
            out.append(" ".join(words[:head]))
            unit = " ".join(words[head:])
        joined = f"{current}{sep}{unit}" if current else unit
        if current and count_tokens(joined) > max_tokens:
            out.append(current)
            joined = unit
        current = joined
    return [*out, current] if current else out


def _cut_code(lines: list[str], max_tokens: int) -> list[str]:
    """A fenced code block over the budget cut between its lines, each piece fenced as the block
    was: a piece without its opening fence was read as prose, and a sample pair in it as the
    document's FAQ ("What is ordered_dict?" of a docstring's parameters)."""
    closed = len(lines) > 1 and FENCE.match(lines[-1]) is not None
    opening = lines[0]
    closing = lines[-1] if closed else FENCE.match(opening)[1]  # an unclosed block, closed
    body = lines[1:-1] if closed else lines[1:]
    budget = max(max_tokens - count_tokens(f"{opening}\n{closing}"), 1)
    pieces: list[list[str]] = [[]]
    for line in body:
        if pieces[-1] and count_tokens("\n".join([*pieces[-1], line])) > budget:
            pieces.append([])
        pieces[-1].append(line)
    return ["\n".join([opening, *piece, closing]) for piece in pieces]


# Where prose over the budget is cut, each tried only on a piece still over it: between a list's
# items, at sentence ends, at line ends. A line end inside a wrapped item or sentence is no cut
# before those ("parses whatever the" ended one answer, "model; ..." began the next chunk).
PROSE_CUTS = (
    re.compile(rf"(\n)(?={LIST_ITEM.pattern.removeprefix('^')})"),
    re.compile(r"((?<=[.!?])\s+)"),
    re.compile(r"(\n)"),
)


def _prose_units(text: str, max_tokens: int, cuts: tuple[re.Pattern, ...]) -> list[tuple[str, str]]:
    """The text's pieces, each after what joined it to the one before (nothing first, then a line
    break where one was, else a space), so that packed again they read as written: a list's
    items one a line ("- `--mode llm`: ..." ran into the item before it when joined by spaces)."""
    if not cuts or count_tokens(text) <= max_tokens:
        return [("", text)]
    parts = cuts[0].split(text)  # pieces, each after its separator
    units = []
    for i, piece in enumerate(parts[::2]):
        if not piece:  # after a last line's trailing spaces
            continue
        sep = "" if i == 0 else "\n" if "\n" in parts[2 * i - 1] else " "
        (_, first), *rest = _prose_units(piece, max_tokens, cuts[1:])
        units += [(sep, first), *rest]
    return units


def _words_within(words: list[str], max_tokens: int) -> int:
    """How many leading words fit the budget (at least one): words differ in tokens ("a" is one,
    "a.b.c" five), so a share of the words is no share of the tokens."""
    total = 0
    for n, word in enumerate(words):
        total += count_tokens(word)
        if total > max_tokens:
            return max(n, 1)
    return len(words)


# Documents whose text is their file's, line for line: an answer's words can be found there.
PLAIN_TEXT = (".md", ".markdown", ".txt", ".rst")


def answer_location(chunk: Chunk, answer: str, documents: dict[str, list[str] | None]) -> str:
    """`file:line` of where the answer's first words are in its document, at or after the chunk's
    heading (a FAQ's fourth entry cited at the FAQ's first line sends a reader searching), or a
    table row's line; the chunk's own line where neither is found as written (a PDF's or HTML
    page's text). `documents` caches each file's lines."""
    path = Path(chunk.source)
    if chunk.source not in documents:
        plain = path.suffix.lower() in PLAIN_TEXT and path.is_file()
        documents[chunk.source] = (
            path.read_text(encoding="utf-8", errors="replace").splitlines() if plain else None
        )
    lines = documents[chunk.source]
    answer = re.sub(rf"^{NAMED}:\s*", "", answer)  # a field's text, not the name it is given
    first = re.findall(r"\w+", answer)[:4]
    if not lines or len(first) < 2:
        return chunk.location
    pattern = re.compile(r"\W+".join(map(re.escape, first)), re.IGNORECASE)
    text = "\n".join(lines[chunk.line - 1 :])
    found = pattern.search(text)
    if found is not None:
        return f"{chunk.source}:{chunk.line + text.count(chr(10), 0, found.start())}"
    # A table row's value said as a sentence ("The default grind_size is 12."): the first line
    # holding all its names and numbers.
    terms = [re.compile(rf"\b{re.escape(w)}\b", re.I) for w in re.findall(r"\w*[\d_]\w*", answer)]
    for offset, line in enumerate(lines[chunk.line - 1 :]):
        if terms and all(term.search(line) for term in terms):
            return f"{chunk.source}:{chunk.line + offset}"
    return chunk.location
