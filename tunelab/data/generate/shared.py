"""What every data generator shares: its settings, the JSONL it appends to (and resumes from),
asking a model with retries, and keeping the pairs that pass the quality filters (filters.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from tunelab.config import LocalPath, OnError, OptionalLocalPath
from tunelab.data.files.jsonl_files import drop_cut_end, read_jsonl
from tunelab.data.generate.filters import drop_reason
from tunelab.data.generate.llm import LLM, AskConfig, Conversation, pairs_schema, parse_pairs
from tunelab.data.generate.same_ask import asked_keys
from tunelab.data.quality.dedup import shingles
from tunelab.section import Limit

# Settings only a model is asked by: given to template mode, which asks none, they go unused,
# and it says so (`--model` alone could read as a model having written the pairs).
MODEL_ONLY_SETTINGS = (
    "model", "endpoint", "max_new_tokens", "batch_size", "concurrency", "timeout",
    "min_chunk_tokens", "pairs_per_chunk", "prompt", "temperature", "retries",
    "retry_temperature", "seeds", "on_error", "count", "seeds_per_prompt",
)  # fmt: skip
# Settings only self-instruct reads: llm mode asks about documents, not seed pairs (`--seeds`
# given to it went unread without a word).
SEEDING = ("seeds", "on_error", "count", "seeds_per_prompt", "max_similarity")
# The settings each mode that reads documents leaves unused: given, they are named as such.
UNUSED_BY_MODE = {"template": MODEL_ONLY_SETTINGS, "llm": SEEDING}


class GenerateConfig(AskConfig):
    """Settings of `tunelab data generate`, the same from the CLI or Python."""

    run_section: ClassVar[str | None] = "data"  # `--set data.fields.question=Query`, as in a run
    # data.seed splits, seed samples; data.on_error is read as training reads it
    run_keys: ClassVar[frozenset[str]] = frozenset({"fields", "on_error"})

    docs: list[LocalPath] = []
    """Files or folders of documents to read (sections.DOC_SUFFIXES); self-instruct reads none."""
    output: LocalPath = "qa.jsonl"
    """JSONL to append to (a rerun resumes it)."""
    mode: Literal["template", "llm", "self-instruct"] = "template"
    """template (rules, no model), llm (a model asked about each chunk) or self-instruct."""
    max_chunk_tokens: int = 400
    """Chunk budget in approximate tokens (words and punctuation)."""
    min_chunk_tokens: int = 20
    """`llm` mode skips chunks shorter than this: too little to ask about."""
    limit: Limit = None
    """Use at most this many chunks, spread evenly over the documents (a quick trial)."""
    max_answer_tokens: int = 300
    pairs_per_chunk: int = 3
    """Q&A pairs to ask for per chunk (or per prompt)."""
    prompt: OptionalLocalPath = None
    """A prompt file or text; placeholders {chunk} {n} {heading} {source} ({examples} for self-instruct)."""
    temperature: float = 0.0
    """Sampling temperature of the first ask (0: greedy)."""
    retries: int = 2
    """Asks again (at retry_temperature) when a reply has no readable pairs, then skips."""
    retry_temperature: float = 0.7
    """Sampling temperature of those asks again (above 0, so a retry is not the same reply)."""
    seeds: OptionalLocalPath = None
    """Self-instruct: a data file of seed question/answer pairs."""
    on_error: OnError = "raise"
    """Self-instruct: a bad seed row: raise stops at it, naming file and line; skip skips and
    counts it."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Self-instruct: as data.fields, the seeds' columns renamed to a shape's names, e.g.
    {question: Query, answer: Response}; the other modes refuse them."""
    count: int = 20
    """Self-instruct: how many new pairs to end with."""
    seeds_per_prompt: int = 3
    min_grounding: float = 0.7
    """Share of an answer's content words that must occur in its chunk; its numbers and names
    must all occur there (template and llm modes)."""
    max_similarity: float = 0.7
    """Self-instruct drops a question this similar (shingle Jaccard) to one it already has, and
    an answer this similar to a seed's or another new pair's."""
    seed: int = 0

    @model_validator(mode="after")
    def _fields_rename_seeds(self):
        # Documents have no columns to rename: given to template or llm mode, they went unused
        # without a word, and the rows were written in question/answer all the same.
        if self.fields and self.mode != "self-instruct":
            raise ValueError(
                f"fields (--set data.fields...) rename the columns of the --seeds file, which "
                f"only --mode self-instruct reads; {self.mode} mode reads documents, which have "
                "no columns, and writes question/answer rows: leave the fields out"
            )
        return self


@dataclass
class GenerateStats:
    chunks: int = 0
    done_before: int = 0  # chunks (or pairs, for self-instruct) an earlier run already did
    pairs: int = 0
    retried: int = 0
    malformed: int = 0  # prompts whose replies never parsed, after retries
    replies: int = 0  # every reply asked for, retries included
    unparsed: int = 0  # replies in which no pair could be read
    dropped: Counter = field(default_factory=Counter)
    # How the replies ended ("length": cut by --max-new-tokens; None: not said), each counted.
    finish_reasons: Counter = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)  # documents that could not be read, and why
    # Per document, its chunks under min_chunk_tokens, which llm mode does not ask about.
    too_short: Counter = field(default_factory=Counter)
    # Per document, its chunks template mode kept no pair of (no rule found a question, or the
    # filters dropped those found): text a model trained on the output never sees.
    no_pairs: Counter = field(default_factory=Counter)
    # Template mode: sentences stating a number or introducing code that no kept pair holds, each
    # {"chunk", "source", "sentence"}, as `<output>.unasked.jsonl` keeps them (generate/unasked.py).
    unasked: list[dict] = field(default_factory=list)
    cut_row_dropped: bool = False  # the output's last row, cut short by a crash, was dropped
    stale: int = 0  # rows an earlier run made from text since edited or removed, dropped
    # Chunks not asked about: their text has rows an earlier run made at another chunk size.
    cut_otherwise: int = 0
    # Chunks not asked about: an earlier run asked the same model about them and kept no pair.
    asked_before: int = 0
    # The settings given that the mode does not use (`UNUSED_BY_MODE`), by their field names,
    # as the Python API gives them (the CLI names its options).
    unused: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def pairs_per_minute(self) -> float:
        return 60 * self.pairs / self.seconds if self.seconds else 0.0

    @property
    def parse_rate(self) -> float:
        """Share of the model's replies from which pairs could be read."""
        return 1 - self.unparsed / self.replies if self.replies else 1.0

    @property
    def ungrounded(self) -> int:
        return sum(n for reason, n in self.dropped.items() if reason.startswith("not grounded"))

    @property
    def grounded_rate(self) -> float:
        """Share of the pairs checked against their chunk (the last filter) found grounded."""
        checked = self.pairs + self.ungrounded
        return self.pairs / checked if checked else 1.0


def _chunk_of(row: dict) -> tuple | None:
    meta = row.get("meta")
    return (meta.get("mode"), meta.get("chunk_hash")) if isinstance(meta, dict) else None


class Output:
    """The JSONL being written: what earlier runs wrote there (for resuming) and appending to it."""

    def __init__(self, path: Path, mode: str) -> None:
        self.path, self.mode = path, mode
        self.pending: list[dict] = []
        # A chunk's rows go out in one write (`chunk`), so a chunk with a row on disk is done; a
        # crash inside that write leaves a cut row, dropped here with its chunk's rows before it.
        self.dropped_cut_row = drop_cut_end(path, unit=_chunk_of)
        self._read()

    def _read(self) -> None:
        self.done: set[str] = set()
        self.questions: set[str] = set()
        self.shingles: list[set[str]] = []
        self.rows_of_mode = 0
        # Earlier runs' rows (line number, row), read once: a large file was parsed up to 4 times.
        self.earlier = read_jsonl(self.path, hint="fix or remove the line to resume")
        for _, row in self.earlier:
            self._remember(row)

    def written(self) -> list[dict]:
        """The rows of this mode an earlier run wrote (after any dropped)."""
        return [row for _, row in self.earlier if self._of_mode(row)]

    def _of_mode(self, row: dict) -> bool:
        meta = row.get("meta")
        return isinstance(meta, dict) and meta.get("mode") == self.mode

    def drop_stale(self, stale: Callable[[dict], bool]) -> int:
        """Remove the rows of this mode whose meta `stale` says were made from text the documents no
        longer hold, so the file says what they say now (and a new pair of an edited chunk is not
        refused as a duplicate of its old one); how many rows went. The rest stay byte for byte."""
        gone = {number for number, row in self.earlier if self._of_mode(row) and stale(row["meta"])}
        if not gone:
            return 0
        with self.path.open("rb") as handle:  # lines split at b"\n" only, as read_jsonl counts
            lines = handle.readlines()
        partial = self.path.with_name(f"{self.path.name}.part")
        partial.write_bytes(b"".join(line for n, line in enumerate(lines, 1) if n not in gone))
        partial.replace(self.path)  # a crash leaves the old file whole, never half of it
        self._read()
        return len(gone)

    def _remember(self, row: dict) -> None:
        if self._of_mode(row):
            self.done.add(row["meta"].get("chunk_hash"))
            self.rows_of_mode += 1
        self.remember_question(row.get("question", ""), str(row.get("answer", "")))

    def remember_question(self, question: str, answer: str = "") -> None:
        """Count `question` as taken: later pairs asking it (or nearly it, or in other words that
        `answer` shows ask the same: `asked_keys`) are dropped."""
        self.questions.update(asked_keys(question, answer))
        self.shingles.append(shingles(question))

    def add(self, question: str, answer: str, meta: dict) -> None:
        """Keep a pair of the chunk being made; it is written when the chunk is (`chunk`)."""
        row = {"question": question, "answer": answer, "meta": {**meta, "mode": self.mode}}
        self.pending.append(row)
        self._remember(row)

    @contextmanager
    def chunk(self):
        """Write the pairs added inside, in one write when the block ends without an error: a
        crash between two of a chunk's pairs must not leave the chunk counted done."""
        self.pending = []
        yield
        if self.pending:
            # Its folder is made with its first rows: a run stopped before any (a model that does
            # not load, a document not found) leaves none behind.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(
                    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.pending)
                )
        self.pending = []


def ask_pairs(config, llm: LLM, prompts: list[Conversation], stats: GenerateStats):
    """Parsed pairs per prompt; prompts whose reply does not parse are asked again. A local model
    replies under the pairs' JSON schema, so its replies always parse. A prompt given no reply
    at all (too long for a local model; an endpoint that gave none after its own retries) is
    not asked again: the same would follow."""
    schema = pairs_schema(config.pairs_per_chunk)
    replies = llm.complete(prompts, config.temperature, schema=schema)
    _count_endings(llm, replies, stats)
    parsed = _parsed(replies, stats)
    for _ in range(config.retries):
        failed = [i for i, p in enumerate(parsed) if p is None and replies[i] is not None]
        if not failed:
            break
        stats.retried += len(failed)
        again = llm.complete([prompts[i] for i in failed], config.retry_temperature, schema=schema)
        _count_endings(llm, again, stats)
        for i, reply, pairs in zip(failed, again, _parsed(again, stats)):
            replies[i], parsed[i] = reply, pairs
    return parsed


def _count_endings(llm: LLM, replies: list[str | None], stats: GenerateStats) -> None:
    """How each reply ended, as its model said (a stand-in that says nothing: None each)."""
    ended = getattr(llm, "finish_reasons", None) or [None] * len(replies)
    stats.finish_reasons.update(
        reason for reply, reason in zip(replies, ended) if reply is not None
    )


def _parsed(replies: list[str | None], stats: GenerateStats) -> list:
    parsed = [parse_pairs(r) for r in replies]
    stats.replies += len(parsed)
    stats.unparsed += sum(p is None for p in parsed)
    return parsed


def keep_or_drop(
    config, q, a, chunk_text, out: Output, stats, meta, similar=False, verdicts_ok=False,
    copy_of: Callable[[str], str | None] | None = None,
) -> bool:  # fmt: skip
    """Keep a pair or count why it is dropped; whether it was kept. `copy_of(answer)`, asked
    last (a pair failing a filter is counted by that): why the answer copies another, or None."""
    reason = drop_reason(config, q, a, chunk_text, out, similar, verdicts_ok) or (
        copy_of(a) if copy_of else None
    )
    if reason:
        stats.dropped[reason] += 1
        return False
    out.add(q, a, meta)
    stats.pairs += 1
    return True


def fill(template: str, **values) -> str:
    """Replace only the known {placeholders}, so JSON braces in a prompt need no escaping."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def prompt_text(prompt: str | None, default: str) -> str:
    if prompt and Path(prompt).is_file():
        return Path(prompt).read_text(encoding="utf-8")
    return prompt or default


class progress_bar:
    """tunelab's progress bar (`tunelab.progress.progress_bars`: done/total, time spent and
    left), or nothing: `with progress_bar(...) as advance: advance(n)`. `done_before` of
    `total` an earlier run did show as done, and the time left is paced by this run's alone."""

    def __init__(self, enabled: bool, total: int, unit: str, done_before: int = 0) -> None:
        self.enabled, self.total, self.unit = enabled, total, unit
        self.done_before = min(done_before, total)

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from tunelab.progress import progress_bars

        # Rich's own columns showed no count and paced the time left by the last 30 s: a CPU
        # batch of chunks takes minutes, so it never showed one.
        self.bar = progress_bars()
        self.bar.start()
        task = self.bar.add_task(
            f"generating ({self.unit})",
            total=self.total,
            completed=self.done_before,
            done_before=self.done_before,
        )
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.stop()
