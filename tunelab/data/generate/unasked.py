"""The sentences template mode left in no answer (a number stated, code introduced), kept beside
the output in `<output>.unasked.jsonl`, one a line with its document: the summary shows a few,
this file all of them. A rerun asks only the chunks not done, so the file keeps an earlier run's
lines of the chunks it did not ask again, and drops those of text since edited or removed."""

from __future__ import annotations

from pathlib import Path

from tunelab.data.files.jsonl_files import read_jsonl
from tunelab.data.files.write_files import write_jsonl


def unasked_path(output: Path) -> Path:
    """`qa.jsonl.unasked.jsonl` beside `qa.jsonl`: JSONL, so no run reads it as a document."""
    return output.with_name(f"{output.name}.unasked.jsonl")


def write_unasked(output: Path, found: list[dict], asked: set[str], chunks: set[str]) -> int:
    """Write the sentences in no answer: this run's `found` (`GenerateStats.unasked`), after an
    earlier run's of the `chunks` still there that this run did not ask about again (`asked`).
    Returns how many the file holds; with none, there is no file."""
    path = unasked_path(output)
    earlier = [r for _, r in read_jsonl(path, skip_broken=True)]
    kept = [r for r in earlier if r.get("chunk") in chunks and r.get("chunk") not in asked]
    if not kept + found:
        path.unlink(missing_ok=True)
        return 0
    return write_jsonl(kept + found, path)
