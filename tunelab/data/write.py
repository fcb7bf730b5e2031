"""Write data sets back to disk as JSONL: the seeded train/test split, keeping each row as it was."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write one JSON object per line; returns how many rows were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def split_file(
    path: str | Path,
    output_dir: str | Path,
    test_size: float = 0.1,
    seed: int = 42,
    shape: str = "auto",
    dedupe: bool = True,
    on_error: str = "raise",
) -> tuple[Path, Path]:
    """Split `path` exactly as training does and write `train.jsonl` and `test.jsonl` in its shape."""
    from tunelab.data.load import load_examples, read_rows
    from tunelab.data.split import split_examples

    examples = load_examples(path, shape=shape, on_error=on_error)
    train, test = split_examples(examples, test_size=test_size, seed=seed, dedupe=dedupe)
    # The original rows (same columns, extra fields such as provenance kept), looked up by file:line.
    rows = dict(read_rows(Path(path)))
    output_dir = Path(output_dir)
    out_train, out_test = output_dir / "train.jsonl", output_dir / "test.jsonl"
    write_jsonl((rows[e.source] for e in train), out_train)
    write_jsonl((rows[e.source] for e in test), out_test)
    return out_train, out_test
