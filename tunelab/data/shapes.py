"""A row's shape (qa, alpaca, messages, prompt_completion, text), told by its columns, and the
columns each shape reads: a column of text it leaves unread is said, not dropped in silence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunelab.data.file_text import DataError

# The columns that identify each shape, in the order auto-detection tries them.
SHAPES: dict[str, tuple[str, ...]] = {
    "messages": ("messages",),
    "alpaca": ("instruction", "output"),
    "qa": ("question", "answer"),
    "prompt_completion": ("prompt", "completion"),
    "text": ("text",),
}
# Columns in which other formats keep text a row trains on (Dolly's and SQuAD's context,
# LLaMA-Factory's system and history, a preference set's chosen and rejected): where the row's
# shape reads none of them, they are said, not dropped in silence.
CONTENT_COLUMNS = ("system", "context", "history", "instruction", "input", "chosen", "rejected")


def read_columns(shape: str) -> tuple[str, ...]:
    """The columns a row of `shape` is read from: those that tell the shape, and alpaca's input
    (optional, so no sign of the shape)."""
    return ("instruction", "input", "output") if shape == "alpaca" else SHAPES[shape]


def unread_columns(row: dict[str, Any], shape: str) -> list[str]:
    """The CONTENT_COLUMNS of `row` that hold something its `shape` does not read."""
    read = read_columns(shape)
    return [c for c in CONTENT_COLUMNS if c not in read and row.get(c) not in (None, "", [], {})]


def unread_note(path: str | Path, unread: dict[str, int], shape: str) -> str:
    """What a file's `unread` columns (rows holding each) mean: text that trains nothing."""
    counts = ", ".join(f"'{c}' ({n} row(s))" for c, n in unread.items())
    return (
        f"{path}: {counts} not read: {shape} rows are read from {'/'.join(read_columns(shape))} "
        "alone, so that text trains nothing; put it in those columns, or write the rows as chat "
        "messages (a system turn first; one system prompt for every row is data.system_prompt)"
    )


def detect_shape(row: dict[str, Any], source: str) -> str:
    if "conversations" in row:
        return "messages"
    for shape, keys in SHAPES.items():
        if all(k in row for k in keys):
            return shape
    by_case = {k.lower(): k for k in row if isinstance(k, str)}
    for shape, keys in SHAPES.items():  # "Question"/"Answer": the fix is one setting per column
        if all(k in by_case for k in keys):
            fields = " ".join(f"--set data.fields.{k}={by_case[k]}" for k in keys)
            raise DataError(
                f"{source}: columns {sorted(row)} are {shape}'s {'/'.join(keys)} but for their "
                f"case; map them: {fields}"
            )
    texts = [k for k, v in row.items() if isinstance(k, str) and isinstance(v, str)]
    half = [keys for keys in SHAPES.values() if 0 < sum(k in row for k in keys) < len(keys)]
    if len(half) == 1:  # "question" alone: the column missing is the one to name
        missing = [k for k in half[0] if k not in row]
        others = [k for k in texts if k not in half[0]]
        column = others[0] if len(others) == 1 and len(missing) == 1 else "YOUR_COLUMN"
        present = [k for k in half[0] if k in row]
        raise DataError(
            f"{source}: columns {sorted(row)} have {' and '.join(present)} of "
            f"{'/'.join(half[0])} but no {' or '.join(missing)}: add that column, or map the one "
            f"that holds it (--set data.fields.{missing[0]}={column})"
        )
    # Two text columns are most likely a question and its answer, in that order.
    example = (
        f"--set data.fields.question={texts[0]} --set data.fields.answer={texts[1]}"
        if len(texts) == 2 and " " not in "".join(texts)
        else "--set data.fields.question=YOUR_COLUMN --set data.fields.answer=YOUR_COLUMN"
    )
    raise DataError(
        f"{source}: cannot tell the data shape from columns {sorted(row)}; expected one of "
        + ", ".join("/".join(k) for k in SHAPES.values())
        + f" (map your columns: {example}, or data: {{fields: ...}} in a config file)"
    )
