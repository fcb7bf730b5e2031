"""`tunelab data split`'s files written: the seeded train/test split as JSONL, keeping each row as
it was, and the split.json beside them recording how its test rows were held out."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.files.split_folders import SPLIT_FILES, SPLIT_RECORD, asked_anew
from tunelab.data.files.write_files import check_new_file, write_json, write_jsonl
from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from tunelab.data.example import Example
    from tunelab.data.split import NearQuestions


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
