"""A user's JSON or JSON Lines data file read into rows, each with its `file:line` or `file:item
N`: an array saved as .jsonl read as the .json it is, indented objects refused once (not a bad row
per line), several lists of rows in one file refused, an object a line under a .json name read
as JSON Lines. tunelab's own JSON Lines files (logs, answers) are read by
tunelab.data.files.jsonl_files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tunelab.data.files.file_text import DataError, json_lines, not_json, utf8_text


def jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """A JSON Lines file's rows, each with its `file:line` (a JSON array saved as .jsonl: its
    items, as `json_rows` reads them)."""
    if _one_document(path):
        # A JSON array saved as .jsonl is read as the .json it is; objects indented over several
        # lines (one or many) are refused once, not as a bad row per line (every line of it).
        if utf8_text(path).lstrip().startswith("{"):
            raise DataError(
                f"{path}:1: a row is written over several lines (indented JSON); JSON Lines "
                "holds each row on one line: write each with json.dumps(row), no indent, or "
                "the rows as one JSON array in a .json file"
            )
        yield from json_rows(path)
        return
    for number, row in json_lines(path):
        yield f"{path}:{number}", row


def _one_document(path: Path) -> bool:
    """Whether a .jsonl file opens as one JSON text over many lines ("[" or "{" alone on its
    first line, or an array that does not close on it), or is one array on one line (what
    `json.dump(rows, file)` writes), not as a row per line."""
    with path.open("rb") as handle:
        lines = (raw for raw in handle if raw.strip())
        first = next(lines, b"")
        alone = next(lines, None) is None
    line = first.decode("utf-8-sig", errors="replace").strip()
    if line in ("[", "{"):
        return True
    try:
        return line.startswith("[") and (alone or not isinstance(json.loads(line), list))
    except json.JSONDecodeError:
        return line.startswith("[")


def json_rows(path: Path) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """A JSON file's rows: its array's items (`file:item N`), of a {"data": [...]} wrapper too,
    or an object a line as datasets' to_json() writes them (`file:line`)."""
    text = utf8_text(path)
    if not text.strip():
        return  # no rows: `no_rows` says so, not "not valid JSON (Expecting value)"
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and text.lstrip().startswith("{"):
            # One object per line under a .json name: what datasets' to_json() writes by default.
            for number, row in json_lines(path):
                yield f"{path}:{number}", row
            return
        raise not_json(f"{path}:{err.lineno}", err) from None
    if (
        isinstance(payload, dict)
        and len(payload) == 1
        and isinstance(next(iter(payload.values())), list)
    ):
        payload = next(iter(payload.values()))  # {"data": [...]} wrappers
    if isinstance(payload, dict) and payload and all(isinstance(v, list) for v in payload.values()):
        # {"train": [...], "test": [...]}: which list is the training data is the user's call.
        raise DataError(
            f"{path}: holds several lists of rows ({', '.join(map(str, payload))}); one file "
            "holds one data set: save each list as a file of its own (the training rows for "
            "data.path, the test rows for data.test_path)"
        )
    if not isinstance(payload, list):
        raise DataError(f"{path}: expected a JSON array of objects (or use .jsonl, one per line)")
    for i, row in enumerate(payload):
        source = f"{path}:item {i + 1}"
        if not isinstance(row, dict):
            row = DataError(f"{source}: expected an object, got {type(row).__name__}")
        yield source, row
