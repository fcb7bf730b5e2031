"""A user's CSV or TSV file read into rows, each with its `file:line`: its delimiter told by its
first lines, a quoted field left open named by the line it opens on, a row that is no UTF-8
refused by itself."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tunelab.data.file_text import DataError, utf8_text

# Python's csv refuses fields over 128 KiB; a long document in one cell is legitimate data.
CSV_FIELD_LIMIT = 2**31 - 1
CSV_SNIFF_LINES, CSV_SNIFF_CHARS = 20, 65536  # what the delimiter is told from, at most


def read_csv(path: Path, tsv: bool) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """(`file:line`, row dict or the DataError of an unusable row) of each row of a CSV file
    (a TSV file: `tsv`), a blank one left out."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    text = utf8_text(path, lenient=True)
    undecoded = _NOT_UTF8.search(text) is not None  # rows are searched only in such a file
    delimiter = "\t" if tsv else csv_delimiter(text)
    # A header written "question, answer" spaces every row so: the space is no part of a value.
    spaced = f"{delimiter} " in text.partition("\n")[0]
    opened, closed = _quote_left_open(text, delimiter, spaced)
    if opened is not None:
        # The reader would take the rest of the file (or the lines up to a quote further on)
        # into that one cell, and say nothing.
        where = (
            "never closes, so the rest of the file would be one cell"
            if closed is None
            else f"closes only on line {closed}, with more text right after it (a new row's "
            "quote), so those lines would be one cell"
        )
        raise DataError(
            f"{path}:{opened}: a quoted field opens on this line and {where}; a field that starts "
            'with a quote must end with one, and a quote inside a quoted field is written twice ("")'
        )
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
                row = DataError(
                    f"{path}:{line}: not UTF-8 text (byte {bad:#04x}); re-save the file as UTF-8 "
                    "(a spreadsheet's 'CSV UTF-8')"
                )
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


def _quote_left_open(text: str, delimiter: str, spaced: bool) -> tuple[int | None, int | None]:
    """(the line where a quoted field opens that the file never closes, None), or (that line,
    the line it closes on) for one that spans lines and closes with more text right after its
    quote (`"unclosed,...` taking in the next row up to that row's own quoted cell), read as the
    csv module's lenient reader reads (a quote opens a field only at its start; "" inside it is a
    quote; a quote closes it, whatever follows); (None, None) for a file without either."""
    marks = _CSV_MARKS.get(delimiter) or re.compile(rf'"|\r\n?|\n|{re.escape(delimiter)}')
    line, field_start, quoted_since = 1, 0, None
    position = 0
    while match := marks.search(text, position):
        mark, position = match.group(), match.end()
        if quoted_since is not None:
            if mark == '"':
                if text.startswith('"', position):  # "" inside a quoted field
                    position += 1
                else:
                    after = text[position : position + 1]
                    if line > quoted_since and after not in ("", delimiter, "\r", "\n", " "):
                        return quoted_since, line
                    quoted_since = None
            elif mark[0] in "\r\n":
                line += 1
            continue
        if mark == '"':
            before = text[field_start : match.start()]
            if not before or (spaced and not before.strip(" ")):
                quoted_since = line
        else:
            line += mark[0] in "\r\n"
        if mark != '"':
            field_start = position
    return quoted_since, None


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
