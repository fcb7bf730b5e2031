"""The chunks llm mode asked a model about, whatever came of them: a chunk whose pairs the filters
all dropped leaves no row to resume by, so a side file beside the output (`<output>.asked.jsonl`)
records each with the number of pairs kept, and a rerun does not ask about it again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tunelab.data.chunking import Chunk
from tunelab.data.generate.earlier import where_made
from tunelab.data.generate.shared import GenerateConfig
from tunelab.data.jsonl_files import drop_cut_end, read_jsonl

# What decides a chunk's answer and what is kept of it: asked under other settings (a prompt or a
# filter changed to keep more), it is asked again.
ASKED_UNDER = (
    "mode", "model", "endpoint", "pairs_per_chunk", "prompt", "temperature", "max_new_tokens",
    "max_answer_tokens", "min_grounding",
)  # fmt: skip
KEY = ("chunk_hash", *ASKED_UNDER, "max_chunk_tokens")


def asked_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.asked.jsonl")


class AskedChunks:
    """The side file of an output: read on a rerun, a line appended per chunk asked."""

    def __init__(self, config: GenerateConfig) -> None:
        self.output = Path(config.output)
        self.path = asked_path(self.output)
        self._settings = {name: getattr(config, name) for name in ASKED_UNDER}
        self._max_chunk_tokens = config.max_chunk_tokens
        drop_cut_end(self.path)  # a crash mid-line loses that chunk's record only
        self._read()

    def _read(self) -> None:
        self._records = [record for _, record in read_jsonl(self.path, skip_broken=True)]
        # The last record of a chunk counts: asked again, it may have kept what it had not.
        self._kept = {_key(record): record.get("kept") for record in self._records}

    def _record(self, chunk: Chunk) -> dict:
        return {
            "chunk_hash": chunk.hash,
            **self._settings,
            **where_made(chunk, self._max_chunk_tokens, self.output),
        }

    def kept_nothing(self, chunk: Chunk) -> bool:
        """Whether an earlier run asked about `chunk` under these settings and kept no pair of it.
        One that kept pairs but has no row now (a crash cut them from the output) is asked again."""
        return self._kept.get(_key(self._record(chunk))) == 0

    def add(self, chunk: Chunk, kept: int) -> None:
        """Record `chunk` as asked, `kept` of its pairs written, in one whole line (call once its
        rows are written: a crash between leaves it done by them)."""
        record = {**self._record(chunk), "kept": kept}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._kept[_key(record)] = kept

    def drop_stale(self, stale: Callable[[dict], bool]) -> None:
        """Forget the chunks `stale` says are gone from the documents (edited or removed), as
        their rows are: should the text come back, it is asked about again."""
        kept = [record for record in self._records if not stale(record)]
        if len(kept) == len(self._records):
            return
        partial = self.path.with_name(f"{self.path.name}.part")
        partial.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8"
        )
        partial.replace(self.path)  # a crash leaves the old file whole
        self._read()


def _key(record: dict) -> tuple:
    return tuple(record.get(field) for field in KEY)
