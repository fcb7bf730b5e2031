"""Batched generation on a loaded model: the one path that data generation, training's held-out
answers, evaluation, compare, chat and the demo all use. Greedy replies are the text
`model.generate` gives each prompt alone; `benchmarks/generate_speed.py` measures the speed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.example import Example
from tunelab.data.prompts.templates import Prompt
from tunelab.errors import TunelabError
from tunelab.generation.decode import Batch
from tunelab.generation.next_token import (
    GREEDY_BELOW,
    choose,
    penalize_repeats,
    prompt_generators,
    repetition_penalty,
)
from tunelab.generation.reply_limit import DEFAULT_MAX_NEW_TOKENS
from tunelab.generation.reply_room import (
    PromptTooLong,
    refuse_empty,
    refuse_reply_limit,
    reply_budgets,
)
from tunelab.generation.reply_text import PROMPT_CONTEXT, ReplyText
from tunelab.generation.structured import Constraint, Reply
from tunelab.models.load import context_length

if TYPE_CHECKING:
    from tunelab.work_log import AnswerLog


@dataclass
class Generation:
    text: str
    # "stop" (EOS or a stop string), "length" (hit max_new_tokens or the end of the model's
    # context), or "repeat" (began saying a sentence again, with stop_repeats; the repeat is cut)
    finish_reason: str
    prompt_tokens: int
    # Every token generated, the EOS that ended the reply included, as the server's usage and
    # vLLM's count it (eval rows report it; the answering bar's tok/s counts it).
    completion_tokens: int
    index: int = -1  # its prompt's place in the list given to `generate` (for `on_batch`)
    from_log: bool = False  # read back from an interrupted run's answers (tunelab.work_log)


@torch.inference_mode()
def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    *,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    temperature: float = 0.0,
    top_p: float = 1.0,
    stop: list[str] | None = None,
    batch_size: int = 64,
    seed: int | None = None,
    on_batch: Callable[[list[Generation]], None] | None = None,
    on_step: Callable[[int], None] | None = None,
    on_text: Callable[[str], None] | None = None,
    stop_repeats: bool = False,
    schema: dict | None = None,
    too_long: Literal["raise", "skip"] = "raise",
    trim: Literal["ends", "gap", "end"] = "ends",
) -> list[Generation | None]:
    """Complete each prompt (already templated text); greedy when temperature is 0.
    Up to `batch_size` prompts decode together (a step reads all the weights however many rows
    it advances: on a CPU, 32 rows make over 2x the tokens a second that 8 do); a finished
    reply leaves the batch at once and waiting prompts take its place. `on_batch` is given the
    generations that finish at each step (for progress bars), `on_step` the tokens each step
    made, before its finished generations (a bar's rate, live); `on_text` each piece of the reply
    once no later token can take it back (one prompt only: a chat streams its reply): the pieces
    join to the reply's text. With `stop_repeats`, a reply ends when it starts saying a
    sentence or line again, or a clause twice in a row (the repeat is cut). A `seed` gives
    each prompt its own sample, the same whatever the batch size. With a JSON `schema`, each
    reply is compact JSON of it, closed before `max_new_tokens` run out (give at least
    reply_limit.CLOSING_TOKENS). A prompt that fills the model's context raises PromptTooLong
    before any step, or with `too_long="skip"` has the reply None (for a caller to whom it is one
    reply it cannot have: data generation, a judge). Each reply's text is without the whitespace
    around it, or with `trim="gap"` (a chat's) without only the gap its template left before it
    and the whitespace after it: a code answer keeps its first line's indentation
    (reply_text.template_gap), or with `trim="end"` (a text continued as written) without only the
    whitespace after it, its start read after the prompt's last tokens (" ships" keeps its space)."""
    if on_text is not None and len(prompts) != 1:
        raise ValueError("on_text streams one reply: give one prompt")
    refuse_reply_limit(max_new_tokens)
    if batch_size < 1:
        raise TunelabError(f"batch_size must be at least 1, not {batch_size}")
    if not temperature >= 0:  # nan too: it failed in torch's sampling; below 0 was greedy
        raise TunelabError(f"temperature must be 0 (greedy) or more, not {temperature}")
    if not 0 <= top_p <= 1:
        raise TunelabError(f"top_p must lie in [0, 1], not {top_p}")
    model.eval()
    rngs = prompt_generators(seed, len(prompts), next(model.parameters()).device)
    stop_ids = eos_ids(model, tokenizer)
    constraint = (
        Constraint(schema, tokenizer, model.config.vocab_size, stop_ids, compact=True)
        if schema is not None
        else None
    )
    encoded = [tokenizer(p, add_special_tokens=False).input_ids for p in prompts]
    refuse_empty(encoded)
    limit = context_length(model, tokenizer)
    fits = [i for i, ids in enumerate(encoded) if len(ids) < limit or too_long == "raise"]
    budgets = reply_budgets(limit, prompts, encoded, max_new_tokens, only=fits)
    # Shortest first: rows of like length share the batch, so little of it is padding.
    queue = sorted(fits, key=lambda i: len(encoded[i]), reverse=True)
    # Each reply's text and end.
    reply_text = partial(
        ReplyText,
        tokenizer,
        set(stop_ids),
        stop,
        repeats=stop_repeats,
        trim=trim,
        streamed=on_text is not None,
    )
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    penalty = repetition_penalty(model)
    prefix = shared_prefix([encoded[i] for i in fits]) if len(fits) > 1 else None
    batch = Batch(model, pad, prefix)
    if batch.alone:  # a model that carries state along a row reads each prompt by itself
        batch_size = 1
    rows: list[Row] = []
    results: list[Generation | None] = [None] * len(prompts)
    logits = None
    # A join copies the whole cache: prompts wait for a quarter of the batch to be free (or for
    # the last of them to fit), an idle slot costing less than a join per reply.
    group = max(1, batch_size // 4)
    while queue or rows:
        if batch_size - len(rows) >= min(group, len(queue)) > 0:
            width = batch.mask.shape[1] if rows and batch.mask is not None else 0
            joining = like_lengths(queue, encoded, batch_size - len(rows), width)
        else:
            joining = []
        if joining:
            rows += [
                Row(
                    i,
                    encoded[i],
                    constraint.start() if constraint else None,
                    reply_text(
                        budgets[i], context=encoded[i][-PROMPT_CONTEXT:] if trim == "end" else None
                    ),
                    rngs[i],
                )
                for i in joining
            ]
            fresh = batch.join([encoded[i] for i in joining])
            logits = fresh if logits is None else torch.cat([logits, fresh])
        for row, scores in zip(rows, logits):
            if penalty != 1.0:
                penalize_repeats(scores, row.prompt + row.tokens, penalty)
            if row.reply is not None:
                row.reply.mask(scores, remaining=row.text.max_tokens - len(row.tokens))
        tokens = pick(rows, logits, temperature, top_p)
        if on_step is not None:
            on_step(len(rows))
        done = []
        for row, token in zip(rows, tokens.tolist()):
            if row.reply is not None:
                row.reply.accept(token)
            over = row.text.add(token)
            if on_text is not None and (piece := row.text.take()):
                on_text(piece)
            if over:
                results[row.index] = row.generation()
                done.append(results[row.index])
        if done:
            keep = [k for k, row in enumerate(rows) if results[row.index] is None]
            rows, tokens = [rows[k] for k in keep], tokens[keep]
            batch.keep(keep)
            if on_batch is not None:
                on_batch(done)
        logits = batch.step(tokens) if rows else None
    return results


def like_lengths(queue: list[int], encoded: list[list[int]], free: int, width: int) -> list[int]:
    """The prompts to join the batch now, taken from the end of `queue` (shortest first), up to
    `free` of them: none much longer than the batch's `width` or the first one taken. A row's
    cache is as wide as the batch's longest prompt: one 7,800-token prompt among short ones
    had every row prefilled and decoded at that width (compare with RAG over a long document:
    6 minutes for 10 questions, 2 one at a time). A longer prompt waits for the rows before it
    to finish."""
    joining: list[int] = []
    while queue and len(joining) < free:
        base = width or (len(encoded[joining[0]]) if joining else 0)
        if base and len(encoded[queue[-1]]) > 2 * base + LENGTH_SLACK:
            break
        joining.append(queue.pop())
    return joining


LENGTH_SLACK = 64  # tokens a prompt may exceed twice the batch's width by and still join


def shared_prefix(encoded: list[list[int]]) -> list[int]:
    """The tokens every prompt starts with, short of each prompt's last one (its logits are
    the first reply token's)."""
    first = encoded[0]
    return first[: min(common_length(first, e[:-1]) for e in encoded)]


def common_length(a: list[int], b: list[int]) -> int:
    """How many tokens `a` and `b` start with in common."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def pick(rows: list[Row], logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """Each row's next token (see `choose`), a sample drawn from the row's own generator."""
    if temperature < GREEDY_BELOW or rows[0].rng is None:
        return choose(logits, temperature, top_p)
    return torch.cat(
        [choose(scores[None], temperature, top_p, row.rng) for row, scores in zip(rows, logits)]
    )


def answer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    questions: list[str | Example],
    *,
    template: str = "chat",
    system_prompt: str | None = None,
    log: AnswerLog | None = None,
    **generate_kwargs,
) -> list[Generation]:
    """Ask each question rendered with the same template the model was trained with (a test
    row's last reply: the prompt training trained it under); with a `log`, only the questions it
    has no answer for (tunelab.work_log)."""
    from tunelab.work_log import generate_logged

    prompts = asked(tokenizer, questions, template, system_prompt)
    with named_by_question(questions, prompts, template):
        return generate_logged(model, tokenizer, prompts, log, **generate_kwargs)


def asked(
    tokenizer: PreTrainedTokenizerBase,
    questions: list[str | Example],
    template: str,
    system_prompt: str | None,
) -> list[str]:
    """Each question as the model is asked it: rendered with the template it was trained with."""
    prompt = Prompt(template, system_prompt)
    return [prompt.question(q, tokenizer) for q in questions]


def check_questions_fit(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    questions: list[str | Example],
    *,
    template: str = "chat",
    system_prompt: str | None = None,
) -> None:
    """Raise PromptTooLong now for the questions `answer` would refuse (for a caller that asks
    them later, as training's held-out answers do after hours of steps)."""
    prompts = asked(tokenizer, questions, template, system_prompt)
    encoded = [tokenizer(p, add_special_tokens=False).input_ids for p in prompts]
    refuse_empty(encoded)
    with named_by_question(questions, prompts, template):
        reply_budgets(context_length(model, tokenizer), prompts, encoded, 0)


@contextmanager
def named_by_question(questions: list[str | Example], prompts: list[str], template: str):
    """A PromptTooLong from these questions' `prompts` names the questions instead: a test row
    by its source ("file:line"), as its whole conversation is asked, not its last question."""
    try:
        yield
    except PromptTooLong as err:
        said = [q if isinstance(q, str) else q.question for q in questions]
        sources = ["" if isinstance(q, str) else q.source for q in questions]
        question_of, source_of = dict(zip(prompts, said)), dict(zip(prompts, sources))
        raise PromptTooLong(
            [question_of[p] for p in err.prompts],
            err.lengths,
            err.limit,
            "question",
            f" (as {template!r})",
            [source_of[p] for p in err.prompts],
        ) from None


def stop_at_turn_end(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
    """Write every token a reply ends at into the model's generation config, as it is saved: a
    model trained through its chat template's turn end (Qwen2.5 base: "<|im_end|>", its EOS
    "<|endoftext|>") then stops there in transformers' generate() and vLLM too."""
    ids = eos_ids(model, tokenizer)
    if model.generation_config is not None and len(ids) > 1:
        model.generation_config.eos_token_id = ids


def eos_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The tokens a reply ends at: the EOS, the checkpoint's own, and the chat template's end of
    a turn (where it is no EOS, training ends replies with it: `chat_template.turn_end`)."""
    from tunelab.data.prompts.chat_template import turn_end

    ids = {tokenizer.eos_token_id}
    if end := turn_end(tokenizer):
        ids.add(tokenizer.convert_tokens_to_ids(end))
    configured = getattr(model.generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(configured)
    return sorted(i for i in ids if i is not None)


@dataclass
class Row:
    """One prompt being answered: its reply so far, and its place in the schema if it has one."""

    index: int
    prompt: list[int]
    reply: Reply | None
    text: ReplyText  # the reply's tokens, text and end
    rng: torch.Generator | None  # what its samples are drawn from (None: torch's global one)

    @property
    def tokens(self) -> list[int]:
        return self.text.tokens

    def generation(self) -> Generation:
        """The finished reply."""
        return Generation(
            self.text.text,
            self.text.finish_reason,
            len(self.prompt),
            len(self.text.sampled),
            self.index,
        )
