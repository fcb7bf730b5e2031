"""`tunelab data augment`: rewrite each training question several ways (and optionally restate its
answer), so a model learns a fact rather than one string. A small model extracts a trained fact
for a new phrasing only when it saw diverse phrasings of it (Allen-Zhu & Li, "Physics of Language
Models 3.1"). It can also ask each fact from its other end, and two facts of a topic at once
(data/generate/augment/reverse.py). Every new row records where it came from; no new question
matches a test question; an interrupted run resumes where it stopped."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from tunelab.config import LocalPath, OnError, OptionalLocalPath
from tunelab.data.files.jsonl_files import drop_cut_end, read_jsonl
from tunelab.data.files.write_files import is_read
from tunelab.data.generate.asked import AskedLog
from tunelab.data.generate.augment.new_rows import (
    asked_questions,
    in_frame,
    source_key,
    system_column,
)
from tunelab.data.generate.augment.rephrase import rule_rewrites
from tunelab.data.generate.augment.reverse import ASKED_KEY, related_rows, related_todo
from tunelab.data.generate.augment.rewrite_checks import (
    TestQuestions,
    keeps_literals,
    kept_question,
    normalized,
    strays_from,
)
from tunelab.data.generate.llm import LLM, AskConfig, Conversation, make_llm
from tunelab.data.load import OPTION_SKIP_HINT, load_data, rewrite_key
from tunelab.data.markers import plain_question
from tunelab.data.shapes import SHAPES, read_columns
from tunelab.errors import TunelabError

PARAPHRASE_PROMPT = """Rewrite the question below in {n} different ways. Each rewrite must ask \
for exactly the same information, in other words: vary the question word, the vocabulary and \
the length. Keep names, commands, numbers and code exactly as written.
Reply with only JSON, like {{"questions": ["...", "..."]}}, with {n} questions.

Question: {question}"""

RESTATE_PROMPT = """Say the answer below in other words. Keep every name, command, number and \
piece of code exactly as written, and add nothing. Reply with only the new answer.

Answer: {answer}"""


# A question's and its answer's names, by shape: augment writes its rows in the pair data.fields
# maps, in the file's own columns, so that the same setting reads the output back.
ASKED_PAIRS = [SHAPES[shape] for shape in ("qa", "prompt_completion", "alpaca")]


class AugmentConfig(AskConfig):
    """Settings of `tunelab data augment`, the same from the CLI or Python."""

    run_section: ClassVar[str | None] = "data"  # `--set data.fields.question=Query`, as in a run
    # data.seed splits, seed samples; data.on_error is read as training reads it
    run_keys: ClassVar[frozenset[str]] = frozenset({"fields", "on_error"})

    data: LocalPath
    """The question/answer rows to augment: what the loader reads
    (tunelab.data.files.read.formats)."""
    fields: dict[str, str] = Field(default_factory=dict)
    """As data.fields: the data's (and test file's) columns renamed to a shape's question and
    answer, e.g. {question: Query, answer: Response}; every row is written in those columns."""
    output: LocalPath = "augmented.jsonl"
    """JSONL to append to (a rerun resumes it)."""
    on_error: OnError = "raise"
    """A bad row (of the data or the test file): raise stops at it, naming file and line; skip
    skips and counts it."""
    mode: Literal["llm", "rules"] = "llm"
    """llm: a model rewrites each question; rules: rewrites by the question's form, no model
    ("What is the default X?" -> "What does X default to?"; data/generate/augment/rephrase.py)."""
    paraphrases: int = Field(3, ge=0)
    """New phrasings asked for per question (fewer are kept when some repeat or leak)."""
    reverse: int = Field(0, ge=0)
    """Questions per fact (the rows sharing one answer) that ask it from its other end ("Which
    setting defaults to 32?"), answered by the fact's answer. Rules mode asks only answers of the
    form "X defaults to V", "The default X is V" or "X is V by default"."""
    combine: int = Field(0, ge=0)
    """Questions per pair of neighbouring facts sharing a topic word that ask both at once,
    answered by their two answers joined."""
    restate_answers: bool = False
    """Also restate each answer; a restatement that loses a number, flag or name is not used."""
    test: OptionalLocalPath = None
    """A test file: a new question matching one of its questions is dropped and counted."""
    max_test_similarity: float = 0.8
    """Word-shingle Jaccard similarity to a test question above which a rewrite counts as it."""
    temperature: float = 0.7
    """How freely the model words its rewrites: 0 is greedy (the same rewrite each time), higher
    varies them more."""
    max_new_tokens: int = 256
    """The longest reply, in tokens (a question's rewrites are short)."""
    batch_size: int = 8
    """Questions rewritten together."""

    @model_validator(mode="after")
    def _rules_restate_nothing(self):
        if self.mode == "rules" and self.restate_answers:
            raise ValueError("restate_answers needs a model: mode llm, or leave the answers")
        return self

    @model_validator(mode="after")
    def _fields_written_back(self):
        # A mapped column its rows lack: the same setting could not read the output back.
        if other := sorted(set(self.fields) - set(_mapped_pair(self.fields) or ())):
            raise ValueError(
                f"fields: augment writes only a question and its answer a row, so {other} would be "
                "in no row and the same setting could not read the output back: map one of "
                f"{[list(p) for p in ASKED_PAIRS]} (another column's text joined into the question)"
            )
        return self


def written_columns(fields: dict[str, str]) -> dict[str, str]:
    """The columns a row's question and answer are written in: those `fields` maps (a name it
    leaves as it is, its shape's own), or question and answer where it maps none."""
    pair = _mapped_pair(fields)
    return dict(zip(("question", "answer"), (fields.get(n, n) for n in pair))) if pair else {}


def _mapped_pair(fields: dict[str, str]) -> tuple[str, ...] | None:
    return next((pair for pair in ASKED_PAIRS if set(fields) & set(pair)), None)


@dataclass
class AugmentStats:
    questions: int = 0
    done_before: int = 0  # source rows an earlier run already augmented
    written: int = 0  # new rows (the originals are written too, not counted here)
    reversed: int = 0  # of them, questions asking a fact from its other end
    combined: int = 0  # of them, questions asking two facts at once
    # Facts (or pairs) not asked again: an earlier run asked the same and kept no question.
    asked_before: int = 0
    replies: int = 0
    unparsed: int = 0  # replies in which no question could be read
    dropped: Counter = field(default_factory=Counter)
    # Rewrites asked for (--paraphrases per question) that were never made, by why: none dropped.
    unmade: Counter = field(default_factory=Counter)
    # Source rows written with no new question: their facts keep one phrasing.
    unrephrased: list[str] = field(default_factory=list)
    seconds: float = 0.0


def done_sources(path: Path) -> set[str]:
    """Source keys an earlier run finished. Each source's rows are appended in one write, so a
    torn last line can only be an unfinished source: it is cut off, with the rows of its source
    before it, and asked again."""
    drop_cut_end(path, unit=rewrite_key)
    done = set()
    hint = "not a row `tunelab data augment` wrote; use another --output"
    for number, row in read_jsonl(path, hint=hint):
        key = rewrite_key(row)
        if not key:
            raise TunelabError(f"{path}:{number}: {hint}")
        done.add(key)
    return done


def augment(cfg: AugmentConfig, llm: LLM | None = None, on_progress=None) -> AugmentStats:
    """Write every row of cfg.data and its rewrites to cfg.output (appending; resumable).
    `on_progress(done, total)` after each batch of source rows (for a progress bar)."""
    started = time.perf_counter()
    out = Path(cfg.output)
    if is_read(out, [cfg.data]):
        # A rerun reads it back as data (the data file itself: "not a row `tunelab data augment`
        # wrote"; a file in the data folder: its rewrites rewritten again).
        raise TunelabError(
            f"--output {out} is the data being augmented ({cfg.data}): write to a file outside "
            "it (its rows and their rewrites are appended there)"
        )
    loaded = load_data(
        cfg.data, fields=cfg.fields, on_error=cfg.on_error, skip_hint=OPTION_SKIP_HINT
    )
    sources = [
        (ex, kept_columns(row, loaded.shape, cfg.fields))
        for ex, row in zip(loaded.examples, loaded.rows)
        if ex.question and ex.answer
    ]
    examples = [ex for ex, _ in sources]
    if not examples:
        raise TunelabError(f"{cfg.data}: no question/answer rows to augment")
    out.parent.mkdir(parents=True, exist_ok=True)
    done = done_sources(out)
    tests = TestQuestions(cfg.test, cfg.max_test_similarity, cfg.fields, cfg.on_error)
    write = partial(_append_group, out, columns=written_columns(cfg.fields))
    stats = AugmentStats(questions=len(examples))
    todo = [(ex, rest) for ex, rest in sources if source_key(ex.question, ex.answer) not in done]
    stats.done_before = len(examples) - len(todo)
    taken = {normalized(ex.question) for ex in examples}
    related, log = ([], []), None
    if cfg.reverse or cfg.combine:
        # A group whose questions the checks all dropped writes no row to resume by: logged.
        log = AskedLog(out, ASKED_KEY)
        related = related_todo(examples, cfg, done, log, stats)
    # Loaded only for something left to ask: a resumed run with none loads no model.
    if cfg.mode == "llm" and (todo and cfg.paraphrases or any(related)):
        llm = llm or make_llm(cfg)
    for start in range(0, len(todo), cfg.batch_size):
        batch = todo[start : start + cfg.batch_size]
        if not cfg.paraphrases:
            rewritten = [[] for _ in batch]
        elif cfg.mode == "rules":
            rewritten = [
                rule_rewrites(plain_question(ex.question), cfg.paraphrases) for ex, _ in batch
            ]
        else:
            asks: list[Conversation] = [
                [{"role": "user", "content": PARAPHRASE_PROMPT.format(n=cfg.paraphrases, question=plain_question(ex.question))}]
                for ex, _ in batch
            ]  # fmt: skip
            rewritten = asked_questions(asks, cfg.paraphrases, cfg, llm, stats)
        for (ex, rest), rewrites in zip(batch, rewritten):
            write(_rows_for(ex, rest, rewrites, cfg, llm, tests, taken, stats))
        if on_progress:
            on_progress(start + len(batch), len(todo))
    if log is not None:
        keep = partial(kept_question, tests=tests, taken=taken, stats=stats)
        for record, rows in related_rows(related, examples, cfg, llm, keep, stats):
            write(rows)
            if record is not None:
                log.add(record, kept=len(rows))
    stats.seconds = time.perf_counter() - started
    return stats


def _append_group(out: Path, rows: list[dict], columns: dict[str, str]) -> None:
    """A source's (or a reversed fact's, a combined pair's) rows in one write (see done_sources),
    question and answer in the `columns` the data was read from."""
    rows = [{columns.get(key, key): value for key, value in row.items()} for row in rows]
    with out.open("a", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def kept_columns(row: dict, shape: str, fields: dict[str, str]) -> dict:
    """What augment writes back of a source row besides its question and answer: every column
    the loader did not read as its text, its `meta` among them (`data generate`'s mode and
    location: its originals were counted "real" by `data check`, beside their rewrites)."""
    read = {*read_columns(shape), *(fields.get(name, name) for name in read_columns(shape))}
    return {key: value for key, value in row.items() if key not in read}


def _rows_for(ex, rest, rewrites, cfg, llm, tests, taken, stats) -> list[dict]:
    key = source_key(ex.question, ex.answer)
    rules = cfg.mode == "rules"
    meta = {"source": ex.source, "source_key": key, "generator": "rules" if rules else llm.name}
    own = system_column(ex)
    # The original with its other columns and its own meta as they were (where it came from),
    # and the key a resume reads.
    original = {**own, "question": ex.question, "answer": ex.answer}
    original |= {column: value for column, value in rest.items() if column not in original}
    mine = rest.get("meta")
    mine = {**mine, "source_key": key} if isinstance(mine, dict) else meta
    rows = [{**original, "meta": {**mine, "kind": "original"}}]
    kept = []
    if tests.matches(ex.question):
        # The original itself asks a test question: its rewrites would be that leak again, a
        # few times over (--test caught rewrites only, and the command said nothing of it).
        stats.dropped["its source asks a test question (data check --test names it)"] += len(
            rewrites[: cfg.paraphrases]
        )
        return rows
    for question in rewrites[: cfg.paraphrases]:
        if kept_question(question, tests, taken, stats, strays=strays_from(question, ex)):
            kept.append(question)
    if len(rewrites) < cfg.paraphrases:
        by = "no rule for the question's form" if rules else "not given by the model"
        stats.unmade[by] += cfg.paraphrases - len(rewrites)
    if not kept:
        stats.unrephrased.append(ex.source)
    answers = [ex.answer] * len(kept)
    if cfg.restate_answers and kept:
        ask = [{"role": "user", "content": RESTATE_PROMPT.format(answer=ex.answer)}]
        restated = llm.complete([ask] * len(kept), cfg.temperature)
        for i, text in enumerate(restated):
            if text and text.strip() and keeps_literals(ex.answer, text):
                answers[i] = text.strip()
            else:
                stats.dropped["restatement lost a literal (original answer kept)"] += 1
    for question, answer in zip(kept, answers):
        rows.append(
            {**own, "question": in_frame(ex.question, question), "answer": answer,
             "meta": {**meta, "kind": "paraphrase", "original_question": ex.question}}
        )  # fmt: skip
    stats.written += len(kept)
    return rows
