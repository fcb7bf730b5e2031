"""Turn documents into Q&A training rows: by rules (`template`), by asking an LLM about each chunk
(`llm`), or by growing a few seed pairs into many (`self-instruct`). Every row records where it
came from; rerunning skips the chunks that already have rows, and in llm mode those a model was
asked about though it kept no pair, so a stopped run resumes (one at another chunk size too: the
text earlier rows cover is not asked again), and drops the rows of text since edited or removed."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tunelab.data.documents.chunking import Chunk, answer_location, count_tokens, readable_chunks
from tunelab.data.documents.sections import find_documents, unread_note
from tunelab.data.files.write_files import check_writable
from tunelab.data.generate.asked import AskedChunks
from tunelab.data.generate.earlier import EarlierRows, where_made
from tunelab.data.generate.llm import LLM, make_llm
from tunelab.data.generate.self_instruct import self_instruct
from tunelab.data.generate.shared import (
    UNUSED_BY_MODE,
    GenerateConfig,
    GenerateStats,
    Output,
    ask_pairs,
    fill,
    keep_or_drop,
    progress_bar,
    prompt_text,
)
from tunelab.data.generate.template.template_qa import code_leads, prose_sentences, template_pairs
from tunelab.data.generate.unasked import write_unasked
from tunelab.errors import TunelabError

CHUNK_PROMPT = """Read the text below and write {n} questions a user of it might ask, each with a \
short answer that uses only facts from the text.
Reply with only JSON, like {"pairs": [{"question": "...", "answer": "..."}]}.

Section: {heading}
Text:
{chunk}"""


def generate_dataset(
    config: GenerateConfig, llm: LLM | None = None, progress: bool = True
) -> GenerateStats:
    """Append generated rows to `config.output`; returns what was done and skipped."""
    if config.mode != "self-instruct" and not config.docs:
        raise TunelabError("give the documents to read: tunelab data generate DOCS... -o qa.jsonl")
    check_writable(config.output)  # before any generation is spent on a place it cannot go
    if config.mode != "self-instruct" and Path(config.output).exists():
        output = Path(config.output).resolve()
        if any(doc.resolve() == output for doc in find_documents(config.docs)):
            # Resuming would read the document as earlier rows: "fix or remove the line".
            raise TunelabError(
                f"{config.output} is one of the documents being read: write the pairs to "
                "another file (-o qa.jsonl)"
            )
    started = time.perf_counter()
    out = Output(Path(config.output), config.mode)
    stats = GenerateStats(cut_row_dropped=out.dropped_cut_row)
    if config.mode == "self-instruct":
        self_instruct(config, llm or make_llm(config), out, stats, progress)
    else:
        by_document = _chunks(config, stats)
        earlier = EarlierRows(out.path, config.docs, by_document, config.max_chunk_tokens)
        stats.stale = out.drop_stale(earlier.made_from_gone_text)
        cut_otherwise = earlier.covers(out.written())
        chunks = [chunk for of_document in by_document.values() for chunk in of_document]
        if config.mode == "llm":
            chunks = _long_enough(chunks, config.min_chunk_tokens, stats)
        if config.limit and len(chunks) > config.limit:
            step = len(chunks) / config.limit
            chunks = [chunks[int(i * step)] for i in range(config.limit)]
        stats.chunks = len(chunks)
        todo = [c for c in chunks if c.hash not in out.done]
        covered = [cut_otherwise(c) for c in todo]
        stats.cut_otherwise = sum(covered)
        todo = [c for c, skip in zip(todo, covered) if not skip]
        given = config.model_fields_set
        stats.unused = [name for name in UNUSED_BY_MODE[config.mode] if name in given]
        if config.mode == "template":
            stats.done_before = len(chunks) - len(todo)
            asked_now, there = {c.hash for c in todo}, {c.hash for c in chunks}
            try:
                _template(config, todo, out, stats)
            except KeyboardInterrupt:  # the chunks done keep their lines: a rerun skips them
                write_unasked(out.path, stats.unasked, asked_now, there)
                raise
            write_unasked(out.path, stats.unasked, asked_now, there)
        else:
            asked = AskedChunks(config)
            asked.drop_stale(earlier.made_from_gone_text)
            nothing_kept = [asked.kept_nothing(c) for c in todo]
            stats.asked_before = sum(nothing_kept)
            todo = [c for c, skip in zip(todo, nothing_kept) if not skip]
            stats.done_before = len(chunks) - len(todo)
            llm = llm or (make_llm(config) if todo else None)
            _llm_chunks(config, llm, todo, out, asked, stats, progress)
    stats.seconds = time.perf_counter() - started
    return stats


def _chunks(config: GenerateConfig, stats: GenerateStats) -> dict[Path, list[Chunk]]:
    """Every readable document's chunks, by the document's resolved path. An unreadable one (not
    UTF-8, a broken PDF) is noted in `stats.failed` and skipped: one bad file in a folder must
    not cost the others' rows. So is one with no text, which would leave no trace of why."""
    documents = list(find_documents(config.docs))
    by_document, unreadable = readable_chunks(documents, config.max_chunk_tokens)
    stats.failed += unreadable
    for doc in documents:
        if not by_document.get(doc.resolve(), True):
            stats.failed.append(f"{doc}: no text in it to ask about (an empty file?)")
    if stats.failed and not any(by_document.values()):
        raise TunelabError(stats.failed[0])
    stats.failed += _unread(config)
    return by_document


def _unread(config: GenerateConfig) -> list[str]:
    """A line per folder holding files of a kind not read; the output and its side files are
    not named."""
    output = Path(config.output).resolve()

    def written(p: Path) -> bool:
        return p.resolve().parent == output.parent and p.name.startswith(output.name)

    folders = filter(Path.is_dir, map(Path, config.docs))
    return list(filter(None, (unread_note(folder, written) for folder in folders)))


def _long_enough(chunks: list[Chunk], min_tokens: int, stats: GenerateStats) -> list[Chunk]:
    """The chunks with enough text to ask a model about; the others are counted per document in
    `stats.too_short`, so a document left out is named, not silently lost."""
    kept = []
    for chunk in chunks:
        if count_tokens(chunk.text) >= min_tokens:
            kept.append(chunk)
        else:
            stats.too_short[chunk.source] += 1
    return kept


def _template(
    config: GenerateConfig, chunks: list[Chunk], out: Output, stats: GenerateStats
) -> None:
    documents: dict[str, list[str] | None] = {}
    for chunk in chunks:
        kept_before, answers = stats.pairs, []
        # The section's heading grounds the setting it names: "The default of start time is
        # 06:00." under "### Start time" over "Defaults to 06:00."
        grounds = "\n".join([*chunk.headings[-1:], chunk.text])
        with out.chunk():
            for q, a in template_pairs(chunk, config.max_answer_tokens):
                meta = _meta(chunk, "rules", config)
                meta["location"] = answer_location(chunk, a, documents)
                kept = stats.pairs
                keep_or_drop(config, q, a, grounds, out, stats, meta)
                answers += [a] * (stats.pairs > kept)
        if stats.pairs == kept_before:
            stats.no_pairs[chunk.source] += 1
        # A sentence stating a number, or introducing code, no kept answer holds: a fact no row
        # teaches, said (a lead-in and its example were in no pair and nothing said so).
        told, shown = " ".join(answers), code_leads(chunk)
        stats.unasked += [
            {"chunk": chunk.hash, "source": chunk.source, "sentence": s}
            for s, stated in prose_sentences(chunk)
            if (_NUMBER.search(s) or s in shown) and stated not in told
        ]


# A number, not a model's (the "2" of "Never cover the Ember H2." states nothing to ask).
_NUMBER = re.compile(r"(?<![A-Za-z])\d")


def _llm_chunks(config, llm, chunks, out, asked: AskedChunks, stats, progress) -> None:
    template = prompt_text(config.prompt, CHUNK_PROMPT)
    step = config.prompts_per_ask
    whole = stats.done_before + len(chunks)
    with progress_bar(progress, whole, "chunks", stats.done_before) as advance:
        for start in range(0, len(chunks), step):
            batch = chunks[start : start + step]
            prompts = [
                [
                    {
                        "role": "user",
                        "content": fill(
                            template,
                            chunk=c.text,
                            n=config.pairs_per_chunk,
                            heading=" > ".join(c.headings),
                            source=c.source,
                        ),
                    }
                ]
                for c in batch
            ]
            for chunk, pairs in zip(batch, ask_pairs(config, llm, prompts, stats)):
                if pairs is None:
                    stats.malformed += 1
                    continue
                kept_before = stats.pairs
                with out.chunk():
                    for q, a in pairs[: config.pairs_per_chunk]:
                        meta = _meta(chunk, llm.name, config)
                        keep_or_drop(config, q, a, chunk.text, out, stats, meta)
                asked.add(chunk, kept=stats.pairs - kept_before)
            advance(len(batch))


def _meta(chunk: Chunk, generator: str, config: GenerateConfig) -> dict:
    return {
        "source": chunk.source,
        "location": chunk.location,
        "chunk": chunk.index,
        "heading": " > ".join(chunk.headings),
        "chunk_hash": chunk.hash,
        "generator": generator,
        **where_made(chunk, config.max_chunk_tokens, Path(config.output)),
    }
