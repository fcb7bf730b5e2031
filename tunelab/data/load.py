"""Turn a user's data file (or hub dataset: tunelab.data.files.hub) into `Example`s, whatever its
format (read by tunelab.data.files.read) and shape (a chat's turns: tunelab.data.turns), with the
renaming of data.fields: the one loader for training, inspect, check and split, with errors that
name the file, line and field."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.data.example import Example
from tunelab.data.files.file_text import DataError, console
from tunelab.data.files.hub import hub_rows, is_hub, meant_hub
from tunelab.data.files.read import no_rows, read_rows
from tunelab.data.files.row_numbers import without_row_numbers
from tunelab.data.shapes import (
    SHAPES,
    detect_shape,
    holds,
    refuse_mixed,
    unread_columns,
    unread_note,
)
from tunelab.data.tool_calls import read_tools
from tunelab.data.turns import (
    read_messages,
    system_column_unread,
    system_unread_note,
    with_system_column,
)
from tunelab.errors import TunelabError
from tunelab.meant import meant_file
from tunelab.next_step import command
from tunelab.terminal import n_things, say_wrapped

# How a user skips bad rows depends on the command: training reads data.on_error from its run
# config; `data split`, `data facts` and `eval` have --on-error; compare has no such choice (eval's
# and compare's hints: tunelab.evaluate.testset). A command passes its own hint.
TRAINING_SKIP_HINT = (  # a setting's YAML spelling alone left how to give it on `train` unsaid
    "or skip bad rows: --set data.on_error=skip, or on_error: skip under data: in the config"
)
OPTION_SKIP_HINT = "or pass --on-error skip to leave bad rows out"  # commands with that option


@dataclass
class Loaded:
    """The rows of a file that load as examples, the raw rows beside them (to write them back as
    they were), and the loader's `file:line: why` of each row that does not load."""

    path: Path
    examples: list[Example]
    rows: list[dict[str, Any]]
    rejected: list[str]
    unread: Counter[str] = field(default_factory=Counter)  # rows of each column left unread
    system_unread: list[str] = field(default_factory=list)  # `system_column_unread` rows
    shape: str = ""  # the shape the rows were read as
    cut: bool = False  # the limit left a row that loads unread


def load_examples(
    path: str | Path,
    shape: str = "auto",
    fields: dict[str, str] | None = None,
    on_error: str = "raise",
    skip_hint: str = TRAINING_SKIP_HINT,
    limit: int | None = None,
    quiet: bool = False,
) -> list[Example]:
    """Load every row of `path` as an Example (the first `limit`); with on_error='skip', bad
    rows are counted and shown; 'raise' stops at one with `skip_hint` (how this command's user
    can skip it). `quiet`: read again, what the reading says already said."""
    return load_data(path, shape, fields, on_error, skip_hint, limit, quiet).examples


def load_data(
    path: str | Path,
    shape: str = "auto",
    fields: dict[str, str] | None = None,
    on_error: str = "raise",
    skip_hint: str = TRAINING_SKIP_HINT,
    limit: int | None = None,
    quiet: bool = False,
) -> Loaded:
    """load_examples' reading, its notes said (unless `quiet`), with the shape its rows were
    read as."""
    loaded = read_examples(path, shape, fields, on_error, skip_hint, limit, quiet)
    problems = [] if quiet else grouped_rejects(loaded.rejected)
    if problems:
        # Wrapped at words: rich folded a long path mid-name ("test.j sonl"), which no longer pastes.
        say_wrapped(console, f"skipped {len(loaded.rejected)} bad row(s) of {path}:", "yellow")
        for line in problems[:5]:
            console.print(f"  {line}", markup=False, highlight=False)
        if len(problems) > 5:
            console.print(f"  ... and {len(problems) - 5} more")
    if loaded.unread and not quiet:
        said = unread_note(path, loaded.unread, loaded.shape)
        say_wrapped(console, f"warning: {said}", "yellow")
    if loaded.system_unread and not quiet:
        said = system_unread_note(loaded.system_unread)
        say_wrapped(console, f"warning: {said}", "yellow")
    if not loaded.examples and not loaded.rejected:
        raise TunelabError(holds_no_rows(path))
    if not loaded.examples:
        raise TunelabError(f"{path}: no usable rows (every row was skipped, as said above)")
    return loaded


def holds_no_rows(path: str | Path) -> str:
    """The error for a file, folder or hub dataset that yields no row at all."""
    return f"{path}: no rows" if is_hub(path) else no_rows(Path(path))


def grouped_rejects(rejected: list[str]) -> list[str]:
    """The loader's rejects, each reason once with the rows it holds for ("file:1 and 119 more
    rows: cannot tell the data shape..." where every row of a file of unmapped columns was said
    apart, 120 times)."""
    rows: dict[str, list[str]] = {}
    for message in rejected:
        where, sep, why = message.partition(": ")
        rows.setdefault(why if sep else message, []).append(where if sep else "")
    grouped = []
    for why, where in rows.items():
        more = f" and {n_things(len(where) - 1, 'more row')}" if len(where) > 1 else ""
        grouped.append(f"{where[0]}{more}: {why}" if where[0] else why)
    return grouped


def has_columns(path: str | Path, fields: dict[str, str] | None) -> bool:
    """Whether the first row of `path` has every column `fields` maps: another file of a run's
    own columns ("Query"/"Response") is read through its data.fields too."""
    if not fields or not Path(path).is_file():
        return False
    try:
        first = next(iter(read_rows(Path(path), quiet=True, keep=fields.values())), None)
    except (OSError, DataError):  # unreadable here: the loader says why
        return False
    return (
        first is not None and isinstance(first[1], dict) and set(fields.values()) <= set(first[1])
    )


def read_examples(
    path: str | Path,
    shape: str = "auto",
    fields: dict[str, str] | None = None,
    on_error: str = "skip",
    skip_hint: str = TRAINING_SKIP_HINT,
    limit: int | None = None,
    quiet: bool = False,
) -> Loaded:
    """Every row of `path` as an Example, through data.shape and data.fields as training reads
    them; a bad row stops the reading (on_error='raise') or is kept in `rejected` ('skip').
    With `limit`, the reading stops at that many examples: a bad row past them is not asked
    (`eval --limit 5` failed on line 424 of lamini_docs); `cut` says whether a row past them
    loads (bad ones passed over), which compare's report says. `quiet`: a folder's files
    unlisted."""
    detected = None if shape == "auto" else shape
    if detected is not None and detected not in SHAPES:
        raise TunelabError(f"unknown data shape {shape!r}: use one of {['auto', *SHAPES]}")
    if not is_hub(path) and not Path(path).exists():
        raise TunelabError(not_found(path))
    rows = source_rows(path, quiet, fields)
    loaded = Loaded(Path(path), [], [], [])
    first = None  # the row whose columns told the shape
    for source, row in rows:
        full = limit is not None and len(loaded.examples) >= limit  # past it: is one more there?
        of_shapes = False
        try:
            if isinstance(row, DataError):  # an unreadable line, yielded so reading goes on
                raise row
            renamed = _rename(row, fields or {}, source)
            of_shapes = True  # an error of the data's shapes, which fixing one row cannot mend
            if detected is None:
                detected, first = detect_shape(renamed, source), source
            refuse_mixed(renamed, detected, source, first)
            of_shapes = False
            example = to_example(renamed, detected, source)
            if full:
                loaded.cut = True
                break
            loaded.examples.append(example)
            loaded.rows.append(row)
            loaded.unread.update(unread_columns(renamed, detected))
            if detected == "messages" and system_column_unread(renamed, source):
                loaded.system_unread.append(source)
            loaded.shape = detected
        except DataError as err:
            if full:  # not asked: it neither stops the command nor counts as skipped
                continue
            if on_error != "skip" and of_shapes:  # it says what to do itself
                raise
            if on_error != "skip":  # the first bad row stops it: the check names every one
                check = "" if is_hub(path) else f"`{command('data', 'check', path)}` lists all; "
                raise DataError(f"{err}; fix the row ({check}{skip_hint})") from None
            loaded.rejected.append(str(err))
    return loaded


def source_rows(
    path: str | Path, quiet: bool = False, fields: dict[str, str] | None = None
) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """The raw rows of a data file or folder (`read_rows`), or of a hub dataset (hf://org/name
    [:config][@split]), each with its source, as the loader reads them through `fields`."""
    keep = (fields or {}).values()
    if is_hub(path):
        return without_row_numbers(hub_rows(str(path)), str(path), quiet, keep)
    return read_rows(Path(path), quiet, keep)


def _rename(row: dict[str, Any], fields: dict[str, str], source: str) -> dict[str, Any]:
    """Apply `fields` as {shape_name: column_in_file}: each column moves to its name (an `input`
    column mapped to `instruction` is no Alpaca input as well, asked twice). A row without the
    column (or with it empty) that holds the name itself keeps it: the rows of a file mixing two
    shapes read in one, as refuse_mixed tells its user to map them."""
    if not fields:
        return row
    renamed = dict(row)
    for wanted, column in fields.items():
        if not holds(row.get(column)) and holds(row.get(wanted)):
            continue
        if column not in row:
            raise DataError(
                f"{source}: column {column!r} (mapped to {wanted!r}) is missing; the row has "
                f"{sorted(row)}"
            )
        renamed[wanted] = row[column]
    for column in set(fields.values()) - set(fields):
        renamed.pop(column, None)
    return renamed


def rewrite_key(row: dict[str, Any]) -> str | None:
    """The source key `tunelab data augment` writes in a row's meta (None in any other row)."""
    meta = row.get("meta")
    return meta.get("source_key") if isinstance(meta, dict) else None


def to_example(row: dict[str, Any], shape: str, source: str) -> Example:
    example = _shaped(row, shape, source)
    example.rewrite_of = rewrite_key(row) or ""
    return example


def _shaped(row: dict[str, Any], shape: str, source: str) -> Example:
    if shape == "text":
        return Example(text=_field(row, "text", source), source=source)
    if shape == "messages":
        return Example(
            messages=read_messages(row, source), tools=read_tools(row, source), source=source
        )
    if shape == "alpaca":
        instruction = _field(row, "instruction", source)
        extra = _field(row, "input", source, required=False)
        question = f"{instruction}\n\n{extra}" if extra else instruction
        example = Example.qa(question, _field(row, "output", source), source)
        example.instruction, example.input = instruction, extra
    else:
        q, a = ("question", "answer") if shape == "qa" else ("prompt", "completion")
        example = Example.qa(_field(row, q, source), _field(row, a, source), source)
    # A row's own system prompt ("You answer as Acme support.") is asked under as a chat's is.
    example.messages = with_system_column(example.messages, row.get("system"), source)
    return example


def _field(row: dict[str, Any], name: str, source: str, required: bool = True) -> str:
    if name not in row:
        if required:
            raise DataError(
                f"{source}: missing field {name!r} (the row has {sorted(row)}; if another column "
                f"holds it, map it with data.fields, e.g. {{{name}: your_column}})"
            )
        return ""
    value = row[name]
    # NaN is how pandas and NumPy write a missing value (json.dumps writes it so, and a
    # datasets float column holds it): a null, not the answer "nan" to train on.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if required:
            raise DataError(
                f"{source}: field {name!r} is empty ({'null' if value is None else 'NaN'})"
            )
        return ""
    if isinstance(value, float) and math.isinf(value):
        raise DataError(f"{source}: field {name!r} is {value}, no text (quote it if it is meant)")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise DataError(f"{source}: field {name!r} must be text, got {type(value).__name__}")
    if required and not value.strip():
        raise DataError(f"{source}: field {name!r} is empty")
    return value


def not_found(path: str | Path) -> str:
    """What every command says of a data file that is not there, with the file it likely meant;
    of a Q&A file with no name close to it, the command that makes one from documents (README's
    tour starts from them: `data inspect qa.jsonl` before any said "not found" and no more)."""
    meant = meant_file(Path(path)) or meant_hub(Path(path))
    if not meant and Path(path).suffix in (".jsonl", ".json", ".csv"):
        make = command("data", "generate", "DOCS/", "-o", path, "--mode", "template")
        meant = f" (no Q&A pairs yet? `{make}` makes them from documents)"
    return f"data file not found: {path}{meant}"
