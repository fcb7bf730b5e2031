"""One model's two arms of `tunelab compare`: its questions asked plain and with retrieved
passages, each answer scored, and what the RAG arm's prompts held (context recall, passages cut
or never found, reference answers quoted)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import Progress

from tunelab.compare.leaks import find_given
from tunelab.data.example import Example
from tunelab.data.prompts.templates import RAW_TEXT, Prompt
from tunelab.data.retrieval import Passage, fit_context
from tunelab.data.text import content_words
from tunelab.evaluate.calls import score_reply
from tunelab.evaluate.scores import TestChecks, reference_tokens, summarize
from tunelab.evaluate.suite import refuse_unrendered
from tunelab.evaluate.testset import source_keys
from tunelab.progress import counting

if TYPE_CHECKING:
    from tunelab.compare.run import CompareConfig
    from tunelab.run import Run
    from tunelab.work_log import AnswerLog


@dataclass
class Arm:
    name: str
    model: str
    rag: bool
    rows: list[dict[str, Any]]
    seconds: float
    summary: dict[str, float] = field(default_factory=dict)
    # A RAG arm's questions that the model's context held fewer of their passages than were found.
    passages_cut: int = 0
    passages_none: int = 0  # of those, the questions asked with none (as the plain arm asks them)
    # Questions retrieval found no passage for (BM25 returns only those that share a word): asked
    # as the plain arm asks them, which the report did not say.
    passages_unfound: int = 0
    # (test row, passage) of each question whose prompt held its reference answer word for word.
    answers_given: list[tuple[str, str]] = field(default_factory=list)
    # Of those, the ones whose passage held the question too: the test row itself.
    rows_given: list[tuple[str, str]] = field(default_factory=list)
    reference_tokens: int = 0  # the longest reference in this model's tokens (`cut_off_note`)
    from_log: int = 0  # answers read back from an interrupted compare's log, not made (or timed)
    # How its questions were asked, as the reports say it (`run_prompt.asked_with`): read off
    # the tokenizer the arm was asked with, not loaded again for it.
    asked_with: str = ""


def context_recall(reference: str, passages: list[Passage]) -> float | None:
    """How much of the reference the passages contain: what RAG could at best hand the model;
    None for a reference without a content word ("Yes."), which no passage can be found to hold."""
    wanted = set(content_words(reference))
    if not wanted:
        return None
    found = set(content_words(" ".join(p.text for p in passages)))
    return len(wanted & found) / len(wanted)


def ask(
    name: str | Run,
    label: str,
    examples: list,
    contexts: list[list[Passage]],
    checks: TestChecks,
    prompt: Prompt,
    cfg: CompareConfig,
    progress: Progress,
    log_path: Path,
) -> tuple[list[Arm], AnswerLog]:
    """The two arms of one model: its plain answers, then its answers with passages, each asked
    with the run's prompt (a model that is no run: its own chat template, or cfg's), so the arms
    differ only in weights and context. Each answer goes into the model's log as it is made, and a
    log left by an interrupted compare answers what it holds (tunelab.work_log)."""
    from tunelab.generation.generate import answer
    from tunelab.models.load import context_length
    from tunelab.run import load_model
    from tunelab.run_prompt import asked_with
    from tunelab.work_log import AnswerLog

    arms = []
    model, tokenizer = load_model(name)
    refuse_unrendered(examples, prompt, tokenizer)
    if next(model.parameters()).device.type == "cpu":
        from tunelab.kernels import build

        # Decoding on a CPU loads tunelab's kernels on its first call (compiling them the first
        # time, ~30 s): loaded here, the first arm's seconds per question are its own.
        build.available()
    log = AnswerLog.for_model(log_path, model, max_new_tokens=cfg.max_new_tokens)
    if note := log.resumed():
        progress.console.print(note, markup=False)  # its log's path, as the user named it
    room = context_length(model, tokenizer) - cfg.max_new_tokens

    def fits(example: Example, question: str) -> bool:
        rendered = prompt.question(example.with_question(question), tokenizer)
        # Measured, never run: transformers' warning of "indexing errors" (a prompt longer than
        # the model takes) is for prompts that reach the model, and these are cut until they fit.
        measured = tokenizer(rendered, add_special_tokens=False, verbose=False)
        return len(measured.input_ids) <= room

    longest = max(reference_tokens(examples, tokenizer), default=0)
    said = asked_with(prompt, tokenizer)
    keys = source_keys(examples, checks.refusals)  # the fact each row asks, for the intervals
    continued = prompt.template == RAW_TEXT  # the passages before a text to continue
    for rag in (False, True):
        # Each model's own tokenizer decides what fits; the passages asked with are the ones kept.
        asked = [
            fit_context(ex.question, ctx, partial(fits, ex), continued)
            if rag
            else (ex.question, [])
            for ex, ctx in zip(examples, contexts)
        ]
        # Each row's last reply, as it was trained (a chat's turns before it, its tools).
        questions = [ex.with_question(q) for ex, (q, _) in zip(examples, asked)]
        count = counting(progress, f"{label} + RAG" if rag else label, len(questions))
        started = time.perf_counter()
        generations = answer(
            model,
            tokenizer,
            questions,
            template=prompt.template,
            system_prompt=prompt.system_prompt,
            max_new_tokens=cfg.max_new_tokens,
            batch_size=cfg.batch_size,
            on_batch=count,
            on_step=count.step,
            log=log,
        )
        seconds = time.perf_counter() - started
        rows = [
            {
                "source": ex.source,
                "question": ex.question,
                "reference": ex.answer,
                "answer": g.text,
                "passages": [{"source": p.source, "text": p.text} for p in used],
                "finish_reason": g.finish_reason,
                "scores": score_reply(g.text, ex),
                **checks.fields(ex.source, g.text),
                **key,
            }
            for ex, (_, used), g, key in zip(examples, asked, generations, keys)
        ]
        arm = Arm(f"{label} + RAG" if rag else label, str(name), rag, rows, seconds)
        arm.reference_tokens = longest
        arm.asked_with = said
        logged = sum(g.from_log for g in generations)
        # A question no passage fit is the plain arm's very prompt, answered once in this run:
        # its answer is that one's, not read back from an interrupted compare (nor timed).
        arm.from_log = logged - sum(g.from_log for g, (_, used) in zip(generations, asked)
                                    if rag and not used)  # fmt: skip
        arm.summary = _summary(rows, seconds, len(rows) - logged)
        if rag:
            _count_kept(arm, examples, contexts, [used for _, used in asked])
        arms.append(arm)
    return arms, log


def _count_kept(
    arm: Arm, examples: list, found: list[list[Passage]], kept: list[list[Passage]]
) -> None:
    """A RAG arm's context recall over the passages its prompts held (not those found: a
    passage past the context was never given), and how many questions lost passages."""
    recalls = [context_recall(ex.answer, used) for ex, used in zip(examples, kept)]
    measured = [r for r in recalls if r is not None]  # a "Yes." counted as 0 halved it
    arm.summary["context_recall"] = sum(measured) / len(measured) if measured else None
    cut = [len(used) < len(ctx) for used, ctx in zip(kept, found)]
    arm.passages_cut = sum(cut)
    arm.passages_none = sum(c and not used for c, used in zip(cut, kept))
    arm.passages_unfound = sum(not ctx for ctx in found)
    find_given(arm, examples, kept)


def _summary(rows: list[dict[str, Any]], seconds: float, asked: int) -> dict[str, float | None]:
    """The facts (where the test rows name them) and overlap scores, the answers' length, and the
    time a question took among the `asked` ones (not read back from an interrupted run's log)."""
    out = summarize(rows)
    out["answer_words"] = sum(len(r["answer"].split()) for r in rows) / max(len(rows), 1)
    out["seconds_per_question"] = seconds / asked if asked else None
    return out
