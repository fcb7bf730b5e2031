"""What a generator asked a model about, whatever came of it: a chunk (or a fact to reverse, a
pair of facts to combine) whose questions the filters all dropped leaves no row to resume by, so
a side file beside the output (`<output>.asked.jsonl`) records each with the number of rows kept,
and a rerun does not ask about it again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tunelab.data.documents.chunking import Chunk
from tunelab.data.files.jsonl_files import drop_cut_end, read_jsonl
from tunelab.data.generate.earlier import where_made
from tunelab.data.generate.shared import GenerateConfig

# What decides a chunk's answer and what is kept of it: asked under other settings (a prompt or a
# filter changed to keep more), it is asked again.
ASKED_UNDER = (
    "mode", "model", "endpoint", "pairs_per_chunk", "prompt", "temperature", "max_new_tokens",
    "max_answer_tokens", "min_grounding",
)  # fmt: skip
KEY = ("chunk_hash", *ASKED_UNDER, "max_chunk_tokens")


def asked_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.asked.jsonl")


class AskedLog:
    """The side file of an output: read on a rerun, a line appended per thing asked about. A
    record is a dict; its `key` fields (what was asked, and the settings it was asked under)
    tell one from another."""

    def __init__(self, output: Path, key: tuple[str, ...]) -> None:
        self.path = asked_path(output)
        self._fields = key
        drop_cut_end(self.path)  # a crash mid-line loses that record only
        self._read()

    def _read(self) -> None:
        self._records = [record for _, record in read_jsonl(self.path, skip_broken=True)]
        # The last record of a key counts: asked again, it may have kept what it had not.
        self._kept = {self._key(record): record.get("kept") for record in self._records}

    def _key(self, record: dict) -> tuple:
        return tuple(record.get(field) for field in self._fields)

    def kept_nothing(self, record: dict) -> bool:
        """Whether an earlier run asked what `record` names and kept no row of it. One that kept
        rows but has none now (a crash cut them from the output) is asked again."""
        return self._kept.get(self._key(record)) == 0

    def add(self, record: dict, kept: int) -> None:
        """Record what `record` names as asked, `kept` of its rows written, in one whole line
        (call once its rows are written: a crash between leaves it done by them)."""
        record = {**record, "kept": kept}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._kept[self._key(record)] = kept

    def drop_stale(self, stale: Callable[[dict], bool]) -> None:
        """Forget the records `stale` says name what is gone (text edited or removed), so that
        should it come back, it is asked about again."""
        kept = [record for record in self._records if not stale(record)]
        if len(kept) == len(self._records):
            return
        partial = self.path.with_name(f"{self.path.name}.part")
        partial.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8"
        )
        partial.replace(self.path)  # a crash leaves the old file whole
        self._read()


class AskedChunks:
    """The chunks llm mode asked about, under a `GenerateConfig`'s settings."""

    def __init__(self, config: GenerateConfig) -> None:
        self.output = Path(config.output)
        self._log = AskedLog(self.output, KEY)
        self._settings = {name: getattr(config, name) for name in ASKED_UNDER}
        self._max_chunk_tokens = config.max_chunk_tokens

    def _record(self, chunk: Chunk) -> dict:
        return {
            "chunk_hash": chunk.hash,
            **self._settings,
            **where_made(chunk, self._max_chunk_tokens, self.output),
        }

    def kept_nothing(self, chunk: Chunk) -> bool:
        """Whether an earlier run asked about `chunk` under these settings and kept no pair of it."""
        return self._log.kept_nothing(self._record(chunk))

    def add(self, chunk: Chunk, kept: int) -> None:
        self._log.add(self._record(chunk), kept)

    def drop_stale(self, stale: Callable[[dict], bool]) -> None:
        """Forget the chunks `stale` says are gone from the documents (edited or removed), as
        their rows are."""
        self._log.drop_stale(stale)
