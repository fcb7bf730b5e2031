"""pandas' row numbers left in a table as a column (a CSV, a Parquet file, a saved or hub
dataset): told by the first rows, said, and left out of every row."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from tunelab.data.files.file_text import console
from tunelab.terminal import say_wrapped

ROW_NUMBER_ROWS = 1000  # the rows that tell a column of pandas' row numbers, at most
# How pandas' index became a column, said where it is left out.
WRITTEN = (
    "which df.to_csv writes unless index=False, and Dataset.from_pandas unless preserve_index=False"
)
RESET = "which df.reset_index() keeps as a column 'index' unless drop=True"


def _row_numbers(rows: list[dict[str, Any]], keep: Collection[str]) -> list[str]:
    """The columns of a table's first `rows` in which pandas kept a frame's index: row numbers,
    no data, which `data split` wrote into every row of its train.jsonl and test.jsonl. A column
    of no name (`to_csv` writes one, pandas reads it back as "Unnamed: 0", and so a dataset made
    of that frame), `__index_level_0__` (`to_parquet` and `Dataset.from_pandas` of a filtered
    frame) or `index` (`reset_index()`'s, a name no shape reads), told by whole numbers in every
    row; an `index` of distinct ones, so that a field of counts is read. A column the user's
    data.fields name (`keep`) is theirs, whatever it holds."""
    found = []
    for column in rows[0] if rows else ():
        numbers = [str(row.get(column)).strip() for row in rows]
        if column in keep or not all(n.isdecimal() for n in numbers):
            continue
        if re.fullmatch(r"__index_level_\d+__|Unnamed: \d+|", column) or (
            column == "index" and len({int(n) for n in numbers}) == len(numbers)
        ):
            found.append(column)
    return found


def without_row_numbers(
    rows: Iterator[tuple[str, Any]], path: str | Path, quiet: bool, keep: Collection[str] = ()
) -> Iterator[tuple[str, Any]]:
    """The rows of a table (a CSV, a Parquet file, a saved or hub dataset) without pandas' index
    (`_row_numbers`), told by its first ROW_NUMBER_ROWS rows: a column of no name that holds
    text is the user's, read as before."""
    rows = iter(rows)
    head = list(itertools.islice(rows, ROW_NUMBER_ROWS))
    index = _row_numbers([row for _, row in head if isinstance(row, dict)], keep)
    if index and not quiet:
        said = ", ".join(repr(c) if c else "the unnamed first column" for c in index)
        made = "; ".join(dict.fromkeys(RESET if c == "index" else WRITTEN for c in index))
        say_wrapped(
            console,
            f"note: {path}: {said} hold{'s' * (len(index) == 1)} row numbers (pandas' index, "
            f"{made}), not data: left out",
        )
    for where, row in itertools.chain(head, rows):
        if index and isinstance(row, dict):
            row = {k: v for k, v in row.items() if k not in index}
        yield where, row
