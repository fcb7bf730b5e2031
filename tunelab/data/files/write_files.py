"""Files written whole or not at all (a JSONL data set, a report's JSON), and the checks made
before a command's work starts: that its output can be written, and replaces nothing unasked."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tunelab.errors import TunelabError


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write one JSON object per line; returns how many rows were written. The file appears
    whole or not at all: rows go to a temporary file beside it, renamed once all are written."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, default=as_text) + "\n")
                count += 1
        partial.replace(path)
    except OSError as err:
        raise cannot_write(path, err) from None
    finally:
        if partial.is_file():  # what was written before a failure
            partial.unlink()
    return count


def as_text(value: Any) -> Any:
    """A value JSON has no type for: Parquet and hub data sets hold dates (written in ISO 8601, as
    "2024-05-01T12:00:00"), NumPy numbers and arrays (a data set saved in NumPy format: written
    as numbers and lists), decimals, bytes (as text)..."""
    import numpy as np

    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value, unit="s"))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def write_json(path: str | Path, payload: Any) -> None:
    """A report's JSON, indented, its text as written (not as \\u escapes), in UTF-8."""
    Path(path).write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")


def check_writable(path: str | Path) -> None:
    """Fail now, naming the path, if a file cannot be written at `path`: before minutes of work
    end in a traceback. Nothing is made to find out (a command stopped after the check left the
    folders it had made, empty): its writer makes them when it writes."""
    path = Path(path)
    if path.is_dir():
        raise TunelabError(f"{path} is a folder: give the path of a file (inside it, say)")
    check_can_make(path)


def check_can_make(path: Path) -> None:
    """Fail, naming `path`, where it cannot be written or made, creating nothing: `path` itself
    must be writable if it is there, else the nearest folder above it that is (a file there is
    named: it blocks the folders to make). os.access answers for root and read-only disks too."""
    nearest = path if path.exists() else next(p for p in path.parents if p.exists())
    if nearest != path and not nearest.is_dir():
        raise TunelabError(f"cannot write {path}: {nearest} is a file, not a folder")
    if not os.access(nearest, os.W_OK | (os.X_OK if nearest.is_dir() else 0)):
        raise TunelabError(
            f"cannot write {path}: {nearest} is not writable (its permissions, or a read-only disk)"
        )


def check_new_file(path: str | Path, overwrite: bool, reads: Iterable[str | Path] = ()) -> None:
    """Fail, naming the path, before a command replaces a file it reads (always: its rows would be
    lost half-read) or one that exists (unless `overwrite`): a user's data is never replaced
    unasked, and `-o data/` beside the input is an easy slip."""
    path = Path(path)
    if not path.exists():
        return
    if is_read(path, reads):
        raise TunelabError(f"{path} is the data being read: write to another file or folder")
    if not overwrite:
        raise TunelabError(f"{path} exists: pass --overwrite to replace it, or write elsewhere")


def is_read(path: str | Path, reads: Iterable[str | Path]) -> bool:
    """Whether `path` is a file of `reads` or inside a folder of them: a file written there is
    read back as data by the next command given that folder."""
    path = Path(path).resolve()
    for source in map(Path, reads):
        source = source.resolve()
        if path == source or (source.is_dir() and path.is_relative_to(source)):
            return True
    return False


def cannot_write(path: Path, err: OSError) -> TunelabError:
    """An OSError as one line naming the path the user gave, and what stood in the way."""
    for above in path.parents:  # the nearest existing folder above: a file there blocks mkdir
        if above.exists():
            if not above.is_dir():
                return TunelabError(f"cannot write {path}: {above} is a file, not a folder")
            break
    return TunelabError(f"cannot write {path}: {err.strerror or err}")
