"""The JSONL files tunelab writes itself and appends to (answers, votes, verdicts, logs, metrics):
read back by the line reader that reads a user's JSONL, and mended at the end a crash cut short."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tunelab.data.files.file_text import DataError, json_lines, parse_json_line


def read_jsonl(
    path: Path, *, hint: str = "", skip_broken: bool = False
) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of a JSONL file tunelab writes (answers, votes,
    verdicts, logs, metrics); [] when there is no such file. A broken line (not JSON, not an
    object, not UTF-8: as the last one is when a crash cut it short while appending) raises a
    DataError naming `file:line`, then `hint`, what to do about it; with `skip_broken` it is left
    out instead: for a log whose lost lines are simply made again."""
    if not path.is_file():
        return []
    return list(jsonl_records(path, hint=hint, skip_broken=skip_broken))


def jsonl_records(
    path: Path, *, hint: str = "", skip_broken: bool = False
) -> Iterator[tuple[int, dict[str, Any]]]:
    """`read_jsonl`'s (line number, record) a line at a time, for a file read only as far as
    needed (a benchmark's first questions); the file must exist."""
    for number, row in json_lines(path):
        if not isinstance(row, DataError):
            yield number, row
        elif not skip_broken:
            raise DataError(f"{row}; {hint}" if hint else str(row))


def ends_a_line(path: Path) -> bool:
    """Whether `path` is missing, empty or ends with a newline: what is appended after a line a
    crash cut short must start a line of its own, or it would be lost with the damaged one."""
    if not path.exists():
        return True
    with path.open("rb") as handle:
        if handle.seek(0, os.SEEK_END) == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """One record on disk at once, a whole line (flushed and synced: a run cut short right after
    keeps it), on a line of its own: appended after a line a crash cut short, it would be lost
    with the damaged one."""
    start = "" if ends_a_line(path) else "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(start + json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def drop_cut_end(path: Path, unit: Callable[[dict[str, Any]], Any] | None = None) -> bool:
    """Mend the end of a JSONL file a crash may have cut while appending to it: a last line
    without its newline that does not parse is cut off, with the rows before it of the same
    `unit` (the chunk or source it was written for, whose rows are made again together); one
    that parses only gets its newline. Whether rows were cut off."""
    if ends_a_line(path):
        return False
    data = path.read_bytes()
    lines = data.split(b"\n")
    if isinstance(parse_json_line(lines[-1], False, ""), dict):
        with path.open("ab") as handle:
            handle.write(b"\n")
        return False
    keep = len(lines) - 1  # the complete lines

    def unit_of(raw: bytes) -> Any:
        row = parse_json_line(raw, False, "")
        return unit(row) if unit is not None and isinstance(row, dict) else None

    last = unit_of(lines[keep - 1]) if keep else None
    while keep and last is not None and unit_of(lines[keep - 1]) == last:
        keep -= 1
    with path.open("r+b") as handle:
        handle.truncate(sum(len(line) + 1 for line in lines[:keep]))
    return True
