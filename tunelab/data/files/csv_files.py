"""A user's CSV or TSV file read into rows, each with its `file:line`: its delimiter told by its
first lines, a quoted field left open named by the line it opens on, one whose quote closes
before the field ends said (its quotes are dropped), a row that is no UTF-8 refused by itself."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from tunelab.data.files.file_text import DataError, console, utf8_text
from tunelab.errors import not_utf8
from tunelab.terminal import say_wrapped

# Python's csv refuses fields over 128 KiB; a long document in one cell is legitimate data.
CSV_FIELD_LIMIT = 2**31 - 1
CSV_SNIFF_LINES, CSV_SNIFF_CHARS = 20, 65536  # what the delimiter is told from, at most


def read_csv(
    path: Path, tsv: bool, quiet: bool = False
) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """(`file:line`, row dict or the DataError of an unusable row) of each row of a CSV file
    (a TSV file: `tsv`), a blank one left out; fields whose quotes are dropped said unless
    `quiet`."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    text = utf8_text(path, lenient=True)
    undecoded = _NOT_UTF8.search(text) is not None  # rows are searched only in such a file
    delimiter = "\t" if tsv else csv_delimiter(text)
    # A header written "question, answer" spaces every row so: the space is no part of a value.
    spaced = f"{delimiter} " in text.partition("\n")[0]
    quotes = _quotes(text, delimiter, spaced)
    if quotes.opened is not None:
        # The reader would take the rest of the file (or the lines up to a quote further on)
        # into that one cell, and say nothing.
        where = (
            "never closes, so the rest of the file would be one cell"
            if quotes.closed is None
            else f"closes only on line {quotes.closed}, with more text right after it (a new "
            "row's quote), so those lines would be one cell"
        )
        raise DataError(
            f"{path}:{quotes.opened}: a quoted field opens on this line and {where}; a field that "
            "starts with a quote must end with one, and a quote inside a quoted field is written "
            'twice ("")'
        )
    if quotes.cut and not quiet:
        say_wrapped(console, f"warning: {_cut_note(path, quotes.cut)}", "yellow")
    # restval: a short row's missing cells are empty text, as a spreadsheet shows them (None
    # read as a JSON null: "field 'answer' is empty (null)" for a cell the row never had).
    reader = csv.DictReader(
        io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=spaced, restval=""
    )
    try:
        if reader.fieldnames:  # "question, answer" names the column "answer", not " answer"
            reader.fieldnames = [name.strip() for name in reader.fieldnames]
        for row in reader:
            if _blank(row):  # ",,": a spreadsheet's emptied row is a blank line, skipped as one
                continue
            # line_num is where the row ends: one with a cell over several lines (quoted) starts
            # that many lines earlier, where an editor shows it (it named the row's last line).
            line = reader.line_num - sum(len(_LINE_BREAK.findall(cell)) for cell in _cells(row))
            if None in row:
                row = DataError(f"{path}:{line}: more fields than the header has")
            elif undecoded and (bad := _not_utf8(row)):
                row = DataError(not_utf8(path, line, bad))
            yield f"{path}:{line}", row
    except csv.Error as err:
        kind = "TSV" if tsv else "CSV"
        raise DataError(f"{path}:{reader.line_num}: unreadable {kind} ({err})") from None


def _blank(row: dict[str, Any]) -> bool:
    """Whether every cell of a CSV row is empty or spaces (a cell past the header's too)."""
    return not any(cell.strip() for cell in _cells(row))


def _cells(row: dict[str, Any]) -> list[str]:
    """A CSV row's cells, those past the header's (DictReader's list under None) too."""
    return [
        cell for value in row.values() for cell in (value if isinstance(value, list) else [value])
    ]


_LINE_BREAK = re.compile(r"\r\n?|\n")  # as the csv module counts lines (io's universal newlines)


_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # a byte `utf8_text(lenient=True)` could not decode


def _not_utf8(row: dict[str, Any]) -> int | None:
    """The first byte of a row's cells (or names) that was no UTF-8, or None."""
    for text in (*row, *row.values()):
        if isinstance(text, str) and (bad := _NOT_UTF8.search(text)):
            return ord(bad.group()) - 0xDC00
    return None


_CSV_MARKS = {delimiter: re.compile(rf'"|\r\n?|\n|{re.escape(delimiter)}') for delimiter in ",;\t|"}


class Quotes(NamedTuple):
    """What `_quotes` finds of a file's quoted fields."""

    opened: int | None  # the line of a quoted field left open, or None
    closed: int | None  # the line a later row's quote closes it on; None where none does
    cut: list[tuple[int, str, str]]  # (line, field, as read) where text follows a field's quote


def _quotes(text: str, delimiter: str, spaced: bool) -> Quotes:
    """A file's quoted fields, read as the csv module's lenient reader reads them (a quote opens a
    field only at its start; "" inside it is a quote; a quote closes it, whatever follows, and
    the text after that quote is the field's rest): the first left open, which the file never
    closes or a later line closes with more text right after its quote (`"unclosed,...` taking in
    the next row up to that row's own quoted cell), and each field with text after its closing
    quote (`"Quoted" word`, read as `Quoted word`)."""
    marks = _CSV_MARKS.get(delimiter) or re.compile(rf'"|\r\n?|\n|{re.escape(delimiter)}')
    ends = re.compile(rf"\r|\n|{re.escape(delimiter)}")
    line, field_start, quoted_since, quoted_at = 1, 0, None, 0
    cut: list[tuple[int, str, str]] = []
    position = 0
    while match := marks.search(text, position):
        mark, position = match.group(), match.end()
        if quoted_since is not None:
            if mark == '"':
                if text.startswith('"', position):  # "" inside a quoted field
                    position += 1
                    continue
                after = text[position : position + 1]
                if after not in ("", delimiter, "\r", "\n"):  # the field goes on after its quote
                    if line > quoted_since and after != " ":
                        return Quotes(quoted_since, line, cut)
                    found = ends.search(text, position)
                    end = found.start() if found else len(text)
                    if text[position:end].strip():
                        read = text[quoted_at + 1 : match.start()].replace('""', '"')
                        cut.append((quoted_since, text[quoted_at:end], read + text[position:end]))
                quoted_since = None
            elif mark[0] in "\r\n":
                line += 1
            continue
        if mark == '"':
            before = text[field_start : match.start()]
            if not before or (spaced and not before.strip(" ")):
                quoted_since, quoted_at = line, match.start()
        else:
            line += mark[0] in "\r\n"
        if mark != '"':
            field_start = position
    return Quotes(quoted_since, None, cut)


def _cut_note(path: Path, cut: list[tuple[int, str, str]]) -> str:
    """The fields whose quote closes before the field ends, the first as it is written and read,
    with how to write it so that its quotes are kept."""
    (line, field, read), others = cut[0], [str(c[0]) for c in cut[1:]]
    listed = ", ".join(others[:5]) + ", ..." * (len(others) > 5)
    return (
        f"{path}:{line}: a field opens with a quote that closes before the field ends: "
        f"{_shown(field)} is read as {_shown(read)}{f' (so on line(s) {listed} too)' * bool(others)}"
        "; to keep its quotes, quote the whole field and write each quote in it twice: "
        f"{_shown(_quoted(field))}"
    )


def _quoted(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


def _shown(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def csv_delimiter(text: str) -> str:
    """The delimiter of a CSV file: a comma, or the semicolon, tab or bar it uses instead
    (spreadsheets in many locales save "question;answer"), told by its first lines."""
    head = "".join(itertools.islice(io.StringIO(text), CSV_SNIFF_LINES))[:CSV_SNIFF_CHARS]
    try:
        found = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:  # one column, or rows that disagree (a bad one): the header's, or a comma
        named = [mark for mark in ",;\t|" if mark in head.partition("\n")[0]]
        return named[0] if len(named) == 1 else ","
    # The header names the columns: a delimiter it does not hold was a pattern in the values.
    return found if found in head.partition("\n")[0] else ","
