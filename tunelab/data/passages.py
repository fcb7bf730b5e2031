"""Training rows asked with retrieved passages (data.passages, as in RAFT, Zhang et al. 2024):
a chosen row's question becomes what `tunelab compare`'s RAG arms ask, passages found by BM25
among the other rows, so the model learns to read passages, and to refuse an off-topic question
beside on-topic ones. What is trained, the answer, stays as it was."""

from __future__ import annotations

import random
from collections.abc import Callable

from transformers import PreTrainedTokenizerBase

from tunelab.config import DataConfig
from tunelab.data.example import Example
from tunelab.data.question_keys import prompt_key
from tunelab.data.retrieval import (
    OwnRows,
    Passage,
    Retriever,
    fit_context,
    load_corpus,
    qa_passages,
)
from tunelab.data.tokenize import tokenize_example
from tunelab.errors import TunelabError


def with_passages(
    train: list[Example],
    tests: list[Example],
    config: DataConfig,
    tokenizer: PreTrainedTokenizerBase,
    own_rows: OwnRows | None = None,
) -> tuple[list[Example], int, int]:
    """The training rows with a data.passages.share of them (drawn by data.seed) asked with the
    passages found for them, how many were, and how many were drawn (a row BM25 finds nothing
    for, or that no passage fits beside, stays bare). A row's own rows (itself, and rows asking its
    question: `own_rows`, by default the same question word for word) are never its passages,
    or it would learn to copy its answer from them; rows of its fact asked otherwise are, as
    they are what retrieval finds at test time. No test row is ever a passage."""
    settings = config.passages
    own_rows = own_rows or same_question
    chosen = chosen_rows(train, settings.share, config.seed)
    if not chosen:
        return train, 0, 0
    corpus = load_corpus(settings.corpus) if settings.corpus else qa_passages(train)
    # The default corpus holds no test row (they were split off); a given one may.
    tested = set().union(*own_rows(corpus, tests)) if tests else set()
    retriever = Retriever(corpus)
    rows = [train[i] for i in chosen]
    out, asked = list(train), 0
    for i, row, own in zip(chosen, rows, own_rows(corpus, rows)):
        found = retriever.search(row.question, settings.k, own | tested)
        question, kept = fit_context(row.question, found, _fits(row, config, tokenizer))
        if kept:
            out[i] = row.with_question(question)
            asked += 1
    return out, asked, len(chosen)


def chosen_rows(train: list[Example], share: float, seed: int) -> list[int]:
    """Which rows get passages: `share` of the question/answer rows, the same for a seed."""
    rows = [i for i, ex in enumerate(train) if ex.text is None and ex.question and ex.answer]
    if not share or not rows:
        return []
    # A generator of its own: the split's draw, and so the test rows, stay as without passages.
    return sorted(random.Random(f"passages {seed}").sample(rows, round(share * len(rows))))


def same_question(passages: list[Passage], rows: list[Example]) -> list[set[int]]:
    """For each row, the passages asking its question as `data split` compares questions (case,
    punctuation and spacing aside); `own_rows` of tunelab.data.quality finds typos and near
    repeats too."""
    asked: dict[str, set[int]] = {}
    for i, passage in enumerate(passages):
        if passage.asks is not None:
            asked.setdefault(passage.asks, set()).add(i)
    return [set(asked.get(prompt_key(row), ())) for row in rows]


def _fits(
    row: Example, config: DataConfig, tokenizer: PreTrainedTokenizerBase
) -> Callable[[str], bool]:
    """Whether the row asked so, answer and all, fits data.max_length: a longer one would be cut
    (its first passages, or its answer) instead of losing its last passages."""

    def fits(question: str) -> bool:
        try:
            item = tokenize_example(
                row.with_question(question), tokenizer, config.template, config.system_prompt
            )
        except TunelabError:  # a row the template refuses stays as it was, for on_error to judge
            return False
        return len(item.input_ids) <= config.max_length

    return fits
