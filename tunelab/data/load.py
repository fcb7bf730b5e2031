"""Read a user's data file into `Example`s, whatever its format and shape, with errors that name
the file, line and field."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from tunelab.data.templates import Example
from tunelab.errors import TunelabError

# The columns that identify each shape, in the order auto-detection tries them.
SHAPES: dict[str, tuple[str, ...]] = {
    "messages": ("messages",),
    "alpaca": ("instruction", "output"),
    "qa": ("question", "answer"),
    "prompt_completion": ("prompt", "completion"),
    "text": ("text",),
}
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}
_console = Console(stderr=True)


class DataError(TunelabError):
    """A row of a data file is unusable; the message starts with `file:line`."""


def load_examples(
    path: str | Path,
    shape: str = "auto",
    fields: dict[str, str] | None = None,
    on_error: str = "raise",
) -> list[Example]:
    """Load every row of `path` as an Example; with on_error='skip', bad rows are counted and shown."""
    path = Path(path)
    if not path.exists():
        raise TunelabError(f"data file not found: {path}")
    examples: list[Example] = []
    problems: list[str] = []
    detected = None if shape == "auto" else shape
    if detected is not None and detected not in SHAPES:
        raise TunelabError(f"unknown data shape {shape!r}: use one of {['auto', *SHAPES]}")
    for source, row in read_rows(path):
        try:
            if isinstance(row, DataError):
                raise row
            row = _rename(row, fields or {}, source)
            detected = detected or detect_shape(row, source)
            examples.append(to_example(row, detected, source))
        except DataError as err:
            if on_error != "skip":
                raise
            problems.append(str(err))
    if problems:
        _console.print(f"[yellow]skipped {len(problems)} bad row(s) of {path}:[/]")
        for line in problems[:5]:
            _console.print(f"  {line}")
        if len(problems) > 5:
            _console.print(f"  ... and {len(problems) - 5} more")
    if not examples:
        raise TunelabError(f"{path}: no usable rows")
    return examples


def read_rows(path: Path) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """Yield (`file:line` or `file:row N`, row dict or the DataError of an unreadable row)."""
    suffix = path.suffix.lower()
    if path.is_dir():
        yield from _read_dataset_dir(path)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path)
    elif suffix == ".json":
        yield from _read_json(path)
    elif suffix in (".csv", ".tsv"):
        yield from _read_csv(path, delimiter="\t" if suffix == ".tsv" else ",")
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        for i, row in enumerate(pq.read_table(path).to_pylist()):
            yield f"{path}:row {i + 1}", row
    else:
        raise TunelabError(
            f"{path}: unsupported file type {suffix!r}; use .jsonl, .json, .csv, .tsv, .parquet "
            "or a datasets.save_to_disk folder"
        )


def _read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            # A bad line is yielded as its error, so skip mode can go on reading the next lines.
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                row = DataError(f"{path}:{number}: not valid JSON ({err.msg}, column {err.colno})")
            if not isinstance(row, (dict, DataError)):
                row = DataError(
                    f"{path}:{number}: expected a JSON object, got {type(row).__name__}"
                )
            yield f"{path}:{number}", row


def _read_json(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    if (
        isinstance(payload, dict)
        and len(payload) == 1
        and isinstance(next(iter(payload.values())), list)
    ):
        payload = next(iter(payload.values()))  # {"data": [...]} wrappers
    if not isinstance(payload, list):
        raise DataError(f"{path}: expected a JSON array of objects (or use .jsonl, one per line)")
    for i, row in enumerate(payload):
        if not isinstance(row, dict):
            raise DataError(f"{path}: item {i}: expected an object, got {type(row).__name__}")
        yield f"{path}:item {i}", row


def _read_csv(path: Path, delimiter: str) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        for row in reader:
            # line_num is where the row ends; quoted newlines make that the honest line to show.
            if None in row:
                row = DataError(f"{path}:{reader.line_num}: more fields than the header has")
            yield f"{path}:{reader.line_num}", row


def _read_dataset_dir(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except FileNotFoundError:
        raise TunelabError(f"{path}: a folder must be a datasets.save_to_disk folder") from None
    if isinstance(loaded, datasets.DatasetDict):
        split = "train" if "train" in loaded else next(iter(loaded))
        loaded = loaded[split]
    for i, row in enumerate(loaded):
        yield f"{path}:row {i + 1}", row


def _rename(row: dict[str, Any], fields: dict[str, str], source: str) -> dict[str, Any]:
    """Apply `fields` as {shape_name: column_in_file}."""
    if not fields:
        return row
    renamed = dict(row)
    for wanted, column in fields.items():
        if column not in row:
            raise DataError(f"{source}: column {column!r} (mapped to {wanted!r}) is missing")
        renamed[wanted] = row[column]
    return renamed


def detect_shape(row: dict[str, Any], source: str) -> str:
    if "conversations" in row:
        return "messages"
    for shape, keys in SHAPES.items():
        if all(k in row for k in keys):
            return shape
    raise DataError(
        f"{source}: cannot tell the data shape from columns {sorted(row)}; expected one of "
        + ", ".join("/".join(k) for k in SHAPES.values())
        + " (set data.shape and data.fields to map your columns)"
    )


def to_example(row: dict[str, Any], shape: str, source: str) -> Example:
    if shape == "text":
        return Example(text=_field(row, "text", source), source=source)
    if shape == "messages":
        return Example(messages=_messages(row, source), source=source)
    if shape == "alpaca":
        instruction = _field(row, "instruction", source)
        extra = _field(row, "input", source, required=False)
        question = f"{instruction}\n\n{extra}" if extra else instruction
        example = Example.qa(question, _field(row, "output", source), source)
        example.instruction, example.input = instruction, extra
        return example
    q, a = ("question", "answer") if shape == "qa" else ("prompt", "completion")
    return Example.qa(_field(row, q, source), _field(row, a, source), source)


def _field(row: dict[str, Any], name: str, source: str, required: bool = True) -> str:
    if name not in row or row[name] is None:
        if required:
            raise DataError(f"{source}: missing field {name!r}")
        return ""
    value = row[name]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise DataError(f"{source}: field {name!r} must be text, got {type(value).__name__}")
    if required and not value.strip():
        raise DataError(f"{source}: field {name!r} is empty")
    return value


def _messages(row: dict[str, Any], source: str) -> list[dict[str, str]]:
    raw = row.get("messages", row.get("conversations"))
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{source}: field 'messages' must be a non-empty list of turns")
    messages = []
    for i, turn in enumerate(raw):
        if not isinstance(turn, dict):
            raise DataError(f"{source}: messages[{i}] must be an object with role and content")
        role = SHAREGPT_ROLES.get(turn.get("role", turn.get("from", "")))
        content = turn.get("content", turn.get("value"))
        if role is None:
            raise DataError(f"{source}: messages[{i}] has unknown role {turn.get('role')!r}")
        if not isinstance(content, str):
            raise DataError(f"{source}: messages[{i}].content must be text")
        messages.append({"role": role, "content": content})
    replies = [m for m in messages if m["role"] == "assistant"]
    if not replies:
        raise DataError(f"{source}: messages has no assistant turn to train on")
    if not replies[-1]["content"].strip():
        raise DataError(f"{source}: the last assistant turn is empty")
    return messages
