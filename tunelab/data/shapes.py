"""A row's shape (qa, alpaca, messages, prompt_completion, text), told by its columns, and the
columns each shape reads: a column of text it leaves unread is said, not dropped in silence."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tunelab.data.files.file_text import DataError

# The columns that identify each shape, in the order auto-detection tries them.
SHAPES: dict[str, tuple[str, ...]] = {
    "messages": ("messages",),
    "alpaca": ("instruction", "output"),
    "qa": ("question", "answer"),
    "prompt_completion": ("prompt", "completion"),
    "text": ("text",),
}
# Each shape as `data inspect` and `data check` say what they read: the columns of the prompt
# and of the reply (`shape_said`).
SHAPE_WORDS = {
    "messages": "chat turns → assistant replies",
    "alpaca": "instruction + input → output",
    "qa": "question → answer",
    "prompt_completion": "prompt → completion",
    "text": "raw text",
}


def shape_said(shape: str) -> str:
    """The shape rows were read as, said with the columns it reads: an Alpaca file and a Q&A
    file looked alike ('shape qa (question → answer)')."""
    return f"shape {shape} ({SHAPE_WORDS[shape]})"


# Columns in which other formats keep text a row trains on (Dolly's and SQuAD's context,
# LLaMA-Factory's system and history, a preference set's chosen and rejected), and what a
# classification or summarization set trains a text to give (IMDB's label, XSum's summary):
# where the row's shape reads none of them, they are said, not dropped in silence.
CONTENT_COLUMNS = ("system", "context", "history", "instruction", "input", "chosen", "rejected")
OUTPUT_COLUMNS = ("label", "labels", "summary", "target")
# What other formats call the reply a row trains (Dolly's and LLaMA-Factory's response).
REPLY_COLUMNS = ("response", "reply", "answer", "output", "completion", "target")
# Where a chat's turns are kept: OpenAI's messages, ShareGPT's conversations, Gemini's contents.
CHAT_COLUMNS = ("messages", "conversations", "contents")


def read_columns(shape: str) -> tuple[str, ...]:
    """The columns a row of `shape` is read from: those that tell the shape, alpaca's input and
    a system column, its system prompt, in any row but a text (optional, so no sign of the
    shape)."""
    if shape == "text":
        return SHAPES[shape]
    read = ("instruction", "input", "output") if shape == "alpaca" else SHAPES[shape]
    return (*read, "system")


def unread_columns(row: dict[str, Any], shape: str) -> list[str]:
    """The CONTENT_COLUMNS of `row` that hold something its `shape` does not read."""
    read = read_columns(shape)
    return [c for c in (*CONTENT_COLUMNS, *OUTPUT_COLUMNS) if c not in read and holds(row.get(c))]


def holds(value: Any) -> bool:
    """Whether a cell holds something: not missing, null, NaN (pandas' null, in a Parquet file),
    blank text or an empty list."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, float):
        return not math.isnan(value)
    return value is not None and not (isinstance(value, (list, dict)) and not value)


def chat_column(row: dict[str, Any]) -> str | None:
    """The column of `row` that holds a chat's turns (CHAT_COLUMNS), or None; Gemini's
    `contents` only as a list: a column of that name elsewhere holds a text."""
    return next(
        (c for c in CHAT_COLUMNS if c in row and (c != "contents" or isinstance(row[c], list))),
        None,
    )


def _filled(row: dict[str, Any], shape: str) -> bool:
    """Whether the columns that tell `shape` all hold something in `row`."""
    keys = (chat_column(row) or "messages",) if shape == "messages" else SHAPES[shape]
    return all(holds(row.get(k)) for k in keys)


def unread_note(path: str | Path, unread: dict[str, int], shape: str) -> str:
    """What a file's `unread` columns (rows holding each) mean: text that trains nothing."""
    counts = ", ".join(f"'{c}' ({n} row(s))" for c, n in unread.items())
    if shape == "text" and (output := next((c for c in unread if c in OUTPUT_COLUMNS), None)):
        # A text beside its label read as a text to pretrain on: the labels were lost unsaid.
        return (
            f"{path}: {counts} not read: text rows are pretrained on their text alone; to train "
            f"each text's {output} as its answer, read the rows as question and answer: --set "
            f"data.fields.question=text --set data.fields.answer={output}"
        )
    as_input = ""
    if shape == "alpaca" and "context" in unread:  # Dolly's context: the passage asked of
        as_input = (
            "; a passage the instruction asks of is Alpaca's input: --set data.fields.input=context"
        )
    return (
        f"{path}: {counts} not read: {shape} rows are read from {'/'.join(read_columns(shape))} "
        "alone, so that text trains nothing; put it in those columns, or write the rows as chat "
        "messages (a system turn first; one system prompt for every row is data.system_prompt)"
        + as_input
    )


def detect_shape(row: dict[str, Any], source: str) -> str:
    if chat_column(row) not in (None, "messages"):  # ShareGPT's or Gemini's turns
        return "messages"
    shapes = [shape for shape, keys in SHAPES.items() if all(k in row for k in keys)]
    if shapes:
        # A table (CSV, Parquet) gives every row every column: a row of question/answer in a
        # file with instruction/output columns too is told by the cells it fills.
        return next((shape for shape in shapes if _filled(row, shape)), shapes[0])
    if mapped := _named_another_way(row):  # "Question"/"Answer": one setting per column
        shape, fields = mapped
        settings = " ".join(f"--set data.fields.{k}={v}" for k, v in fields.items() if k != v)
        raise DataError(
            f"{source}: columns {sorted(row)} are {shape}'s {'/'.join(fields)} but for their "
            f"case or name; map them: {settings}"
        )
    texts = [k for k, v in row.items() if isinstance(k, str) and isinstance(v, str)]
    half = [keys for keys in SHAPES.values() if 0 < sum(k in row for k in keys) < len(keys)]
    if len(half) == 1:  # "question" alone: the column missing is the one to name
        missing = [k for k in half[0] if k not in row]
        others = [k for k in texts if k not in half[0]]
        # A reply missing, among several others the one named as other formats name a reply:
        # Dolly's instruction, context, response and category asked for YOUR_COLUMN.
        replies = [k for k in others if k.lower() in REPLY_COLUMNS and missing[0] in REPLY_COLUMNS]
        named = others if len(others) == 1 else replies if len(replies) == 1 else []
        column = named[0] if named and len(missing) == 1 else "YOUR_COLUMN"
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


def _named_another_way(row: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The shape `row`'s columns are but for their case ("Question"/"Answer"), its reply perhaps
    as another format names it (Dolly's "Response" for Alpaca's output), and the data.fields
    that read them (alpaca's "Input" too); None where no shape's are, or where none is named but
    for its case (what is missing is then said by name)."""
    by_case = {k.lower(): k for k in row if isinstance(k, str)}
    for shape, keys in SHAPES.items():
        asked, reply = keys[0], keys[-1]
        if asked not in by_case:
            continue
        others = [by_case[k] for k in REPLY_COLUMNS if k in by_case and k != asked]
        column = by_case.get(reply) or (others[0] if len(others) == 1 else None)
        if column is None:
            continue
        fields = {asked: by_case[asked]}
        if shape == "alpaca" and "input" in by_case:
            fields["input"] = by_case["input"]
        fields[reply] = column
        if any(v != k == v.lower() for k, v in fields.items()):
            return shape, fields
    return None


def refuse_mixed(row: dict[str, Any], shape: str, source: str, first: str | None) -> None:
    """A row written in another shape than `shape`, which the row at `first` told (None: the
    user named it, data.shape), is refused as such: read in the data's shape, it was "missing
    field 'question'", which sent the user looking for a typo in one row."""
    other = _other_shape(row, shape)
    if other is None:
        return
    ours, theirs = SHAPES[shape], SHAPES[other]
    if first:
        told = f"the rows before it are {shape} ({'/'.join(ours)}, from {first})"
        told += ": the data mixes two shapes and is read in one"
        instead = "split the file, one shape each"
    else:
        told = f"data.shape is {shape} ({'/'.join(ours)}), which every row is read in"
        instead = "leave data.shape auto, for the rows' columns to tell it"
    if len(ours) == len(theirs) == 2:  # a question and its answer, both: one setting a column
        mapped = " ".join(f"--set data.fields.{o}={t}" for o, t in zip(ours, theirs))
        todo = f"read the {other} rows' columns as {shape}'s: {mapped} (data: {{fields: ...}} in a "
        todo += "config file)"
    else:
        todo = f"write the {other} rows as {shape} rows"
    raise DataError(
        f"{source}: this row is {other} ({'/'.join(theirs)}), but {told}; {todo}, or {instead}"
    )


def _other_shape(row: dict[str, Any], shape: str) -> str | None:
    """The shape `row` is written in where it is not `shape`: another shape's columns filled
    where `shape`'s are not, or, in a row without a column of `shape`, the shape its columns
    tell; None for a row of `shape` with a cell left empty (its own error says which)."""
    if _filled(row, shape):
        return None
    if filled := next((other for other in SHAPES if _filled(row, other)), None):
        return filled
    if all(k in row for k in SHAPES[shape]):
        return None
    try:
        told = detect_shape(row, "")
    except DataError:  # no shape at all: the missing field is the row's own problem
        return None
    return told if told != shape else None
