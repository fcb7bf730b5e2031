"""What the rows an earlier run wrote say about this one: which were made from text since edited or
removed (dropped), and which of this run's chunks they already cover though cut otherwise (a rerun
with another max_chunk_tokens keeps them and does not ask about that text again)."""

from __future__ import annotations

import os
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from tunelab.data.documents.chunking import Chunk, chunk_document


def where_made(chunk: Chunk, max_chunk_tokens: int, output: Path) -> dict:
    """The meta fields a rerun finds a row's chunk again by, from any directory: its document,
    relative to the output's folder (the two move together), and the size it was cut at."""
    document = os.path.relpath(Path(chunk.source).resolve(), output.resolve().parent)
    return {"document": document, "max_chunk_tokens": max_chunk_tokens}


def _flat(text: str) -> str:
    """Text with its whitespace as one space: chunks cut at another size join paragraphs and
    sentences with other whitespace."""
    return " ".join(text.split())


class EarlierRows:
    """This run's documents, read now, beside the rows an earlier run made of them."""

    def __init__(
        self,
        output: Path,
        docs: list[str],
        by_document: dict[Path, list[Chunk]],
        max_chunk_tokens: int,
    ) -> None:
        self._base = output.resolve().parent
        self._folders = [Path(doc).resolve() for doc in docs if Path(doc).is_dir()]
        self._max_chunk_tokens = max_chunk_tokens
        self._cut: dict[tuple[Path, int], list[Chunk]] = {
            (doc, max_chunk_tokens): chunks for doc, chunks in by_document.items()
        }

    def _made_from(self, meta: dict) -> tuple[Path, int] | None:
        """The document and chunk size a row's (or an asked chunk's) `meta` records; None for a
        row of an older version, which kept only the path as given, relative to a directory
        unknown now: such rows are never dropped."""
        document, tokens = meta.get("document"), meta.get("max_chunk_tokens")
        if not isinstance(document, str) or not isinstance(tokens, int):
            return None
        return (self._base / document).resolve(), tokens

    def _chunks(self, document: Path, tokens: int) -> list[Chunk]:
        """The document as read now, cut the way a row's chunk was."""
        if (document, tokens) not in self._cut:
            self._cut[document, tokens] = chunk_document(document, tokens)
        return self._cut[document, tokens]

    def _read_now(self, document: Path) -> bool:
        return (document, self._max_chunk_tokens) in self._cut

    def made_from_gone_text(self, meta: dict) -> bool:
        """Whether the chunk a row's `meta` records is gone: its document, read now and cut at the
        row's size, no longer yields it (edited since), or the document is gone from a folder
        being read. Only a change of the text counts, not of the chunk size; the rows of documents
        this run does not read (another run's input, one unreadable now) are kept."""
        made_from = self._made_from(meta)
        if made_from is None:
            return False
        document, tokens = made_from
        if self._read_now(document):
            hashes = {chunk.hash for chunk in self._chunks(document, tokens)}
            return meta.get("chunk_hash") not in hashes
        return not document.exists() and any(document.is_relative_to(f) for f in self._folders)

    def covers(self, rows: list[dict]) -> Callable[[Chunk], bool]:
        """Whether a chunk of this run lies in text that `rows`, made at another chunk size, were
        made from (unchanged since): it is not asked about again, as its text has rows already."""
        stretches = self._stretches_with_rows(rows)

        def covered(chunk: Chunk) -> bool:
            key = (Path(chunk.source).resolve(), tuple(chunk.headings))
            return any(_flat(chunk.text) in stretch for stretch in stretches.get(key, []))

        return covered

    def _stretches_with_rows(
        self, rows: list[dict]
    ) -> dict[tuple[Path, tuple[str, ...]], list[str]]:
        """By document and headings, the text of each run of consecutive chunks with rows made at
        a chunk size other than this run's, whitespace flattened."""
        with_rows: dict[tuple[Path, int], set[str]] = {}
        for row in rows:
            made_from = self._made_from(row["meta"])
            if (
                made_from
                and made_from[1] != self._max_chunk_tokens
                and self._read_now(made_from[0])
            ):
                with_rows.setdefault(made_from, set()).add(row["meta"].get("chunk_hash"))
        stretches: dict[tuple[Path, tuple[str, ...]], list[str]] = {}
        for (document, tokens), hashes in with_rows.items():
            chunks = self._chunks(document, tokens)
            for headings, of_section in groupby(chunks, key=lambda chunk: tuple(chunk.headings)):
                for has_rows, stretch in groupby(
                    of_section, key=lambda chunk: chunk.hash in hashes
                ):
                    if has_rows:
                        text = _flat(" ".join(chunk.text for chunk in stretch))
                        stretches.setdefault((document, headings), []).append(text)
        return stretches
