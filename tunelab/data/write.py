"""Write data sets back to disk as JSONL: the seeded train/test split, keeping each row as it was."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.data.files.jsonl_files import ends_a_line
from tunelab.data.files.split_folders import SPLIT_FILES, SPLIT_RECORD, held_out_beside
from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from tunelab.data.example import Example
    from tunelab.data.split import NearQuestions


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


def asked_anew(test: str | Path | None, held_out: str) -> bool:
    """Whether the test rows at `test` ask trained facts anew by design: held out as
    rephrasings by the split that wrote them, else by `held_out` (data.held_out). A training
    row giving a test row's answer to its question reworded is then no leak to drop."""
    return (held_out_beside(test) or held_out) == "rephrasings"


def split_file(
    path: str | Path,
    output_dir: str | Path,
    test_size: float = 0.1,
    seed: int = 42,
    shape: str = "auto",
    dedupe: bool = True,
    on_error: str = "raise",
    fields: dict[str, str] | None = None,
    test_path: str | None = None,
    *,
    near: NearQuestions | None,
    overwrite: bool = False,
    held_out: str = "questions",
) -> tuple[Path, Path, list[str]]:
    """Split `path` and write `train.jsonl` and `test.jsonl` in its shape (with `test_path`, its
    rows are the test set and the file's are all training, less any that asks one of its
    questions); and what was dropped, said. `near`: tunelab.data.quality.dedup.near_questions
    splits exactly as training and `tunelab data split` do (a typo'd repeat of a question goes
    with it); None by normalized text alone. `held_out`: which questions may be held out, as
    data.held_out says, recorded in SPLIT_RECORD beside them. Existing files are replaced only
    with `overwrite`, the files read never."""
    from tunelab.data.load import OPTION_SKIP_HINT, load_examples, source_rows
    from tunelab.data.question_keys import drop_duplicates
    from tunelab.data.split import drop_leaked, near_repeats_note, split_examples

    output_dir = Path(output_dir)
    out_train, out_test = (output_dir / name for name in SPLIT_FILES)
    out_record = output_dir / SPLIT_RECORD
    for out in (out_train, out_test, out_record):
        check_new_file(out, overwrite, [path] + ([test_path] if test_path else []))
    examples = load_examples(path, shape, fields, on_error, OPTION_SKIP_HINT)
    examples, removed = drop_duplicates(examples) if dedupe else (examples, 0)
    said = [f"{removed} exact duplicates removed"] if dedupe else []
    if test_path:
        test = load_examples(test_path, shape, fields, on_error, OPTION_SKIP_HINT)
        held_out = "rephrasings" if asked_anew(test_path, held_out) else "questions"
        train, leaked = (
            drop_leaked(examples, test, near, held_out == "questions") if dedupe else (examples, 0)
        )
        said += [f"{leaked} training rows asking a question of {test_path} removed"] * dedupe
    else:
        train, test = split_examples(examples, test_size, seed, False, near, held_out)
        if joined := near_repeats_note(examples, test, test_size):  # 0.1 gave 91%
            said.append(joined)
    if not train:  # as training refuses it: an empty train.jsonl is no split
        raise TunelabError(f"{path}: no training row left: {'; '.join(said)}")
    # The original rows (same columns, extra fields such as provenance kept), looked up by file:line.
    # quiet: the load above has already reported which files of a folder it read.
    rows = dict(source_rows(path, quiet=True, fields=fields))
    if test_path:
        rows |= dict(source_rows(test_path, quiet=True, fields=fields))
    # Both files or neither: a Ctrl-C between them left a new train.jsonl beside the old
    # test.jsonl, the test set of another split, whose rows it trains on.
    staged = {out: out.with_name(f".{out.name}.new") for out in (out_train, out_test, out_record)}
    record = {"held_out": held_out, "data": str(path), "test_path": test_path}
    record |= {} if test_path else {"test_size": test_size, "seed": seed}
    try:
        write_jsonl((_split_row(rows, e, fields) for e in train), staged[out_train])
        write_jsonl((_split_row(rows, e, fields) for e in test), staged[out_test])
        write_json(staged[out_record], record)
        for out, new in staged.items():
            new.replace(out)
    finally:
        for new in staged.values():
            # Under a file ("-o plain.txt") the unlink fails too, and would hide the write's
            # one-line error behind a NotADirectoryError.
            with contextlib.suppress(OSError):
                new.unlink(missing_ok=True)
    return out_train, out_test, said


def _split_row(rows: dict, example: Example, fields: dict[str, str] | None) -> dict:
    """`example`'s original row; a raw text the split cut (`split.held_out_tails`) with its own
    part of the text, as the row would otherwise carry both parts to both files."""
    row = rows[example.source]
    column = (fields or {}).get("text", "text")
    if example.text is None or row.get(column) == example.text:
        return row
    return {**row, column: example.text}
