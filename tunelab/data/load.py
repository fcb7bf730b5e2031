"""Read a user's data file into `Example`s, whatever its format and shape, with errors that name
the file, line and field."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from tunelab.data.chunking import DOC_SUFFIXES, document_text
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
FIX_HINT = "fix the row, or set data.on_error: skip to skip bad rows"
DATA_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet"}
REPORT_LINES = 20  # files listed by name when a folder is read; skipped ones are all listed
# Python's csv refuses fields over 128 KiB; a long document in one cell is legitimate data.
CSV_FIELD_LIMIT = 2**31 - 1
_console = Console(stderr=True)


class DataError(TunelabError):
    """A row of a data file is unusable; the message starts with `file:line`."""


@dataclass
class Loaded:
    """The rows of a file that load as examples, the raw rows beside them (to write them back as
    they were), and the loader's `file:line: why` of each row that does not load."""

    path: Path
    examples: list[Example]
    rows: list[dict[str, Any]]
    rejected: list[str]


def load_examples(
    path: str | Path,
    shape: str = "auto",
    fields: dict[str, str] | None = None,
    on_error: str = "raise",
) -> list[Example]:
    """Load every row of `path` as an Example; with on_error='skip', bad rows are counted and shown."""
    loaded = read_examples(path, shape, fields, on_error)
    problems = loaded.rejected
    if problems:
        _console.print(f"[yellow]skipped {len(problems)} bad row(s) of {escape(str(path))}:[/]")
        for line in problems[:5]:
            _console.print(f"  {line}", markup=False, highlight=False)
        if len(problems) > 5:
            _console.print(f"  ... and {len(problems) - 5} more")
    if not loaded.examples:
        raise TunelabError(f"{path}: no usable rows")
    return loaded.examples


def read_examples(
    path: str | Path,
    shape: str = "auto",
    fields: dict[str, str] | None = None,
    on_error: str = "skip",
) -> Loaded:
    """Every row of `path` as an Example, through data.shape and data.fields as training reads
    them; a bad row stops the reading (on_error='raise') or is kept in `rejected` ('skip')."""
    path = Path(path)
    if not path.exists():
        raise TunelabError(f"data file not found: {path}")
    loaded = Loaded(path, [], [], [])
    detected = None if shape == "auto" else shape
    if detected is not None and detected not in SHAPES:
        raise TunelabError(f"unknown data shape {shape!r}: use one of {['auto', *SHAPES]}")
    for source, row in read_rows(path):
        try:
            if isinstance(row, DataError):  # an unreadable line, yielded so reading goes on
                raise row
            renamed = _rename(row, fields or {}, source)
            detected = detected or detect_shape(renamed, source)
            loaded.examples.append(to_example(renamed, detected, source))
            loaded.rows.append(row)
        except DataError as err:
            if on_error != "skip":
                raise DataError(f"{err}; {FIX_HINT}") from None
            loaded.rejected.append(str(err))
    return loaded


def read_rows(path: Path, quiet: bool = False) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """Yield (`file:line` or `file:row N`, row dict or the DataError of an unreadable row).
    A folder's report of files read and skipped is printed unless `quiet`."""
    suffix = path.suffix.lower()
    if path.is_dir() and not _is_dataset_dir(path):
        yield from _read_folder(path, quiet)
    elif path.is_dir():
        yield from _read_dataset_dir(path)
    elif suffix in DOC_SUFFIXES:
        yield str(path), {"text": document_text(path)}
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
            f"{path}: unsupported file type {suffix!r}; use .jsonl, .json, .csv, .tsv, .parquet, "
            "a datasets.save_to_disk folder, or documents (.md, .txt, .html, .pdf) to pretrain on"
        )


def _read_folder(folder: Path, quiet: bool) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    """Every data file, dataset folder and document under `folder`. What is read and what is
    skipped is always printed: a file left out without a word is data silently lost."""
    sources, skipped = _folder_contents(folder)
    shapes = {source: _first_shape(source) for source in sources}
    if not quiet:
        _report_folder(folder, shapes, skipped)
    if not sources:
        raise TunelabError(
            f"{folder}: no file to read in it; use .jsonl, .json, .csv, .tsv, .parquet, "
            f"or documents ({', '.join(sorted(DOC_SUFFIXES))})"
        )
    # data.shape and data.fields hold for the whole data set, so a folder must hold one shape:
    # Q&A rows beside documents (raw text) would be read with the first file's columns.
    if len({shape for shape in shapes.values() if shape}) > 1:
        listed = ", ".join(f"{_name(s, folder)}: {shape}" for s, shape in shapes.items() if shape)
        raise TunelabError(
            f"{folder} mixes data shapes ({listed}); one data set has one shape: move the "
            "other files out, or convert them (documents are raw text for continued pretraining)"
        )
    for source in sources:
        yield from read_rows(source)


def _folder_contents(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(readable files and dataset folders, [(skipped path, why)]), recursively, sorted."""
    sources: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if path.name.startswith("."):
            skipped.append((path, "hidden"))
        elif path.is_dir() and _is_dataset_dir(path):
            sources.append(path)
        elif path.is_dir() and path.is_symlink():  # a link back up would never end
            skipped.append((path, "link to a folder, not followed"))
        elif path.is_dir():
            more, more_skipped = _folder_contents(path)
            sources += more
            skipped += more_skipped
        elif suffix in DATA_SUFFIXES or suffix in DOC_SUFFIXES:
            sources.append(path)
        else:
            skipped.append(
                (path, f"unsupported extension {suffix!r}" if suffix else "no extension")
            )
    return sources, skipped


def _first_shape(source: Path) -> str | None:
    """The shape of a file's first good row ('text' for a document); None when none tells."""
    if source.suffix.lower() in DOC_SUFFIXES:
        return "text"
    rows = read_rows(source)
    try:
        for where, row in rows:
            if not isinstance(row, DataError):
                return detect_shape(row, where)
    except DataError:  # unknown columns or an unreadable file: reading it names the problem
        return None
    finally:
        rows.close()
    return None


def _report_folder(
    folder: Path, shapes: dict[Path, str | None], skipped: list[tuple[Path, str]]
) -> None:
    lines = [f"{_name(s, folder)} ({shape or 'shape unknown'})" for s, shape in shapes.items()]
    _console.print(f"{escape(str(folder))}: reading {len(lines)} file(s):", highlight=False)
    for line in lines[:REPORT_LINES]:
        _console.print(f"  {line}", markup=False, highlight=False)
    if len(lines) > REPORT_LINES:
        _console.print(f"  ... and {len(lines) - REPORT_LINES} more", highlight=False)
    if skipped:
        _console.print(f"[yellow]skipped {len(skipped)} file(s):[/]", highlight=False)
        for path, why in skipped:
            _console.print(f"  {_name(path, folder)}: {why}", markup=False, highlight=False)


def _name(path: Path, folder: Path) -> str:
    return str(path.relative_to(folder))


def _read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    # Bytes, decoded line by line: a non-UTF-8 line is then named like any other bad line.
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            row = _parse_json_line(raw, number == 1, f"{path}:{number}")
            if row is not None:  # a blank line
                yield f"{path}:{number}", row


def _parse_json_line(raw: bytes, first: bool, source: str) -> dict[str, Any] | DataError | None:
    try:
        line = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as err:
        return DataError(f"{source}: not UTF-8 text ({err.reason}); re-save the file as UTF-8")
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        return DataError(f"{source}: not valid JSON ({err.msg}, column {err.colno})")
    if not isinstance(row, dict):
        return DataError(f"{source}: expected a JSON object, got {type(row).__name__}")
    return row


def _read_json(path: Path) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    text = _read_text(path)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and text.lstrip().startswith("{"):
            # One object per line under a .json name: what datasets' to_json() writes by default.
            yield from _read_jsonl(path)
            return
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
        source = f"{path}:item {i}"
        if not isinstance(row, dict):
            row = DataError(f"{source}: expected an object, got {type(row).__name__}")
        yield source, row


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); re-save it as UTF-8"
        ) from None


def _read_csv(path: Path, delimiter: str) -> Iterator[tuple[str, dict[str, Any] | DataError]]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""), delimiter=delimiter)
    try:
        for row in reader:
            # line_num is where the row ends; quoted newlines make that the honest line to show.
            if None in row:
                row = DataError(f"{path}:{reader.line_num}: more fields than the header has")
            yield f"{path}:{reader.line_num}", row
    except csv.Error as err:
        raise DataError(f"{path}:{reader.line_num}: unreadable CSV ({err})") from None


def _is_dataset_dir(path: Path) -> bool:
    markers = ("dataset_info.json", "dataset_dict.json", "state.json")
    return any((path / marker).exists() for marker in markers)


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
    if name not in row:
        if required:
            raise DataError(
                f"{source}: missing field {name!r} (the row has {sorted(row)}; if another column "
                f"holds it, map it with data.fields, e.g. {{{name}: your_column}})"
            )
        return ""
    if row[name] is None:
        if required:
            raise DataError(f"{source}: field {name!r} is empty (null)")
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
        given = turn.get("role", turn.get("from"))
        role = SHAREGPT_ROLES.get(given)
        content = turn.get("content", turn.get("value"))
        if role is None:
            raise DataError(
                f"{source}: messages[{i}] has unknown role {given!r}; use one of "
                f"{sorted(SHAREGPT_ROLES)}"
            )
        content = _text_content(content)
        if content is None:
            raise DataError(
                f"{source}: messages[{i}].content must be text or a list of text parts "
                '({"type": "text", "text": ...})'
            )
        messages.append({"role": role, "content": content})
    replies = [m for m in messages if m["role"] == "assistant"]
    if not replies:
        raise DataError(f"{source}: messages has no assistant turn to train on")
    if not replies[-1]["content"].strip():
        raise DataError(f"{source}: the last assistant turn is empty")
    return messages


def _text_content(content: Any) -> str | None:
    """Plain text, or OpenAI-style parts [{"type": "text", "text": ...}] joined; None otherwise."""
    if isinstance(content, str):
        return content
    if (
        isinstance(content, list)
        and content
        and all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
    ):
        return "".join(p["text"] for p in content)
    return None
