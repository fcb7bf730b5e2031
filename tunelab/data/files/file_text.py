"""A data file's text, decoded as UTF-8 whole (utf8_text) or a JSON object per line
(json_lines), a problem named by `file:line` as a DataError: what every reader of a data file
stands on, a user's (tunelab.data.files.read, tunelab.data.files.csv_files) or tunelab's own
(tunelab.data.files.jsonl_files)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from tunelab.errors import TunelabError, is_utf16, undecoded, utf16_said

console = Console(stderr=True)  # where a reader's notes and warnings on a user's file are said


class DataError(TunelabError):
    """A row of a data file is unusable; the message starts with `file:line`."""


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | DataError]]:
    """(line number, object or the DataError of a broken line) of each non-blank line."""
    # Bytes, split at b"\n" only (str.splitlines also splits at U+2028, U+0085 and the like, which
    # json.dumps(ensure_ascii=False) writes raw in strings), decoded line by line: a non-UTF-8
    # line, or one a crash cut inside a character, is then named like any other bad line.
    with path.open("rb") as handle:
        refuse_utf16(path, handle.read(2))  # its every line would be "not UTF-8"
        handle.seek(0)
        for number, raw in enumerate(handle, start=1):
            row = parse_json_line(raw, number == 1, f"{path}:{number}")
            if row is not None:  # a blank line
                yield number, row


def refuse_utf16(path: Path, start: bytes) -> None:
    """A file saved as UTF-16 (Windows' "Unicode") is named once as such, not byte by byte."""
    if is_utf16(start):
        raise DataError(utf16_said(path))


def parse_json_line(raw: bytes, first: bool, source: str) -> dict[str, Any] | DataError | None:
    try:
        line = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as err:
        return DataError(f"{source}: not UTF-8 text ({err.reason}); re-save the file as UTF-8")
    if not line.strip():
        return None
    try:
        # Without its line end: JSON cut short would be reported past it, at column 1 of no line.
        row = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as err:
        return not_json(source, err)
    if not isinstance(row, dict):
        return DataError(f"{source}: expected a JSON object, got {type(row).__name__}")
    return row


def not_json(source: str, err: json.JSONDecodeError) -> DataError:
    """`source` (`file:line`) is not valid JSON: what is wrong, in `json_problem`'s words, and the
    column, as every reader of a JSON or JSONL file says it."""
    return DataError(f"{source}: not valid JSON ({json_problem(err)}, column {err.colno})")


def json_problem(err: json.JSONDecodeError) -> str:
    """What is wrong with a JSON text, in the words of the slip that most often makes it (the
    parser names only what it expected next: "Extra data", "Expecting property name")."""
    before, after = err.doc[: err.pos].rstrip(), err.doc[err.pos :].strip()
    if err.msg == "Extra data" and after.startswith(","):
        return "a comma after the row: JSON Lines puts none between rows"
    if err.msg.startswith("Expecting") and before.endswith(",") and after[:1] in ("}", "]"):
        return f"a comma before the closing {after[0]}: JSON allows none there"
    if err.msg.startswith("Expecting") and after[:1] == "'":
        return "text in single quotes: JSON's take double quotes, as json.dumps writes them"
    return err.msg


def utf8_text(path: Path, lenient: bool = False) -> str:
    """The file's text. `lenient`: a byte that is no UTF-8 is kept as a lone surrogate, for the
    row holding it to be refused by itself (a CSV's rows are read one by one, as a JSONL's)."""
    # Decoded from bytes, not read_text(): its newline translation would turn a "\r\n" inside a
    # quoted CSV cell into "\n", changing the data (the csv module finds line ends itself).
    data = path.read_bytes()
    refuse_utf16(path, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if lenient:
            return data.decode("utf-8-sig", errors="surrogateescape")
        raise DataError(undecoded(path, data, err)) from None
