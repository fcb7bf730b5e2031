"""Batched generation on a loaded model: the one path that data generation, training's held-out
answers, evaluation, compare, chat and the demo all use. Greedy replies are the text
`model.generate` gives each prompt alone; `benchmarks/generate_speed.py` measures the speed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TextStreamer

from tunelab.data.templates import Prompt
from tunelab.data.text import repeat_start
from tunelab.decode import Batch
from tunelab.structured import Constraint, Reply

if TYPE_CHECKING:
    from tunelab.work_log import AnswerLog


@dataclass
class Generation:
    text: str
    # "stop" (EOS or a stop string), "length" (hit max_new_tokens), or "repeat" (began saying a
    # sentence again, with stop_repeats; the repeat is cut)
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    index: int = -1  # its prompt's place in the list given to `generate` (for `on_batch`)
    from_log: bool = False  # read back from an interrupted run's answers (tunelab.work_log)


@torch.inference_mode()
def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    *,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    top_p: float = 1.0,
    stop: list[str] | None = None,
    batch_size: int = 64,
    seed: int | None = None,
    on_batch: Callable[[list[Generation]], None] | None = None,
    on_text: Callable[[str], None] | None = None,
    stop_repeats: bool = False,
    schema: dict | None = None,
) -> list[Generation]:
    """Complete each prompt (already templated text); greedy when temperature is 0.
    Up to `batch_size` prompts decode together (a step reads all the weights however many rows
    it advances: on a CPU, 32 rows make over 2x the tokens a second that 8 do); a finished
    reply leaves the batch at once and waiting prompts take its place. `on_batch` is given the
    generations that finish at each step (for progress bars); `on_text` each piece of text as
    it is made (one prompt only: a chat streams its reply). With `stop_repeats`, a reply ends
    when it starts saying a sentence or line again. A `seed` gives each prompt its own sample,
    the same whatever the batch size. With a JSON `schema`, each reply is compact
    JSON of it, closed before `max_new_tokens` run out (give at least
    structured.CLOSING_TOKENS)."""
    if on_text is not None and len(prompts) != 1:
        raise ValueError("on_text streams one reply: give one prompt")
    model.eval()
    rngs = prompt_generators(seed, len(prompts), next(model.parameters()).device)
    stop_ids = eos_ids(model, tokenizer)
    constraint = (
        Constraint(schema, tokenizer, model.config.vocab_size, stop_ids, compact=True)
        if schema is not None
        else None
    )
    encoded = [tokenizer(p, add_special_tokens=False).input_ids for p in prompts]
    # Shortest first: rows of like length share the batch, so little of it is padding.
    queue = sorted(range(len(prompts)), key=lambda i: len(encoded[i]), reverse=True)
    ending = Ending(tokenizer, stop_ids, stop, stop_repeats, max_new_tokens)
    streamer = Streamer(tokenizer, on_text) if on_text is not None else None
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    penalty = repetition_penalty(model)
    batch = Batch(model, pad, shared_prefix(encoded) if len(prompts) > 1 else None)
    rows: list[Row] = []
    results: list[Generation | None] = [None] * len(prompts)
    logits = None
    # A join copies the whole cache: prompts wait for a quarter of the batch to be free (or for
    # the last of them to fit), an idle slot costing less than a join per reply.
    group = max(1, batch_size // 4)
    while queue or rows:
        if batch_size - len(rows) >= min(group, len(queue)) > 0:
            joining = [queue.pop() for _ in range(min(batch_size - len(rows), len(queue)))]
            rows += [
                Row(
                    i,
                    encoded[i],
                    constraint.start() if constraint else None,
                    Detokenizer(tokenizer),
                    rngs[i],
                )
                for i in joining
            ]
            fresh = batch.join([encoded[i] for i in joining])
            logits = fresh if logits is None else torch.cat([logits, fresh])
            if streamer is not None:
                streamer.put(torch.tensor([encoded[0]]))
        for row, scores in zip(rows, logits):
            if penalty != 1.0:
                penalize_repeats(scores, row.prompt + row.tokens, penalty)
            if row.reply is not None:
                row.reply.mask(scores, remaining=max_new_tokens - len(row.tokens))
        tokens = pick(rows, logits, temperature, top_p)
        done = []
        for row, token in zip(rows, tokens.tolist()):
            if streamer is not None:
                streamer.put(torch.tensor([token]))
            if row.reply is not None:
                row.reply.accept(token)
            if (reason := ending.check(row, token)) is not None:
                results[row.index] = ending.finish(row, reason)
                done.append(results[row.index])
        if done:
            keep = [k for k, row in enumerate(rows) if results[row.index] is None]
            rows, tokens = [rows[k] for k in keep], tokens[keep]
            batch.keep(keep)
            if on_batch is not None:
                on_batch(done)
        logits = batch.step(tokens) if rows else None
    if streamer is not None:
        streamer.end()
    return results  # type: ignore[return-value]


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


def prompt_generators(
    seed: int | None, n: int, device: torch.device
) -> list[torch.Generator | None]:
    """Each prompt's own random generator, seeded from `seed` and the prompt's place in the list
    (None for all without a seed: torch's global generator). One generator drawn from by every
    row would give a prompt a different sample for each batch size."""
    if seed is None:
        return [None] * n
    # Seeds drawn from `seed`, not seed + i: generate(seed=2)'s first prompt must not replay
    # generate(seed=1)'s second (data generation retries with the next seed).
    seeds = torch.randint(2**62, (n,), generator=torch.Generator().manual_seed(seed)).tolist()
    return [torch.Generator(device).manual_seed(s) for s in seeds]


def pick(rows: list[Row], logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """Each row's next token (see `choose`), a sample drawn from the row's own generator."""
    if temperature < GREEDY_BELOW or rows[0].rng is None:
        return choose(logits, temperature, top_p)
    return torch.cat(
        [choose(scores[None], temperature, top_p, row.rng) for row, scores in zip(rows, logits)]
    )


# A temperature this low picks what greedy decoding picks, and far lower ones overflow the logits
# (divided by 1e-40) into NaN probabilities, which fail a server's whole batch: greedy below it,
# where vLLM draws the line too.
GREEDY_BELOW = 1e-5


def choose(
    logits: torch.Tensor, temperature: float, top_p: float, rng: torch.Generator | None = None
) -> torch.Tensor:
    """Each row's next token: the most likely one, or a sample at `temperature` (drawn from
    `rng`, else torch's global generator) from the smallest set of tokens whose probability
    reaches `top_p` (always at least the top one)."""
    if temperature < GREEDY_BELOW:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        ranked, order = probs.sort(dim=-1, descending=True)
        beyond = ranked.cumsum(-1) - ranked >= top_p
        beyond[..., 0] = False  # the top one stays even at a top_p of 0 (OpenAI's greedy)
        ranked[beyond] = 0.0
        probs = torch.zeros_like(probs).scatter_(-1, order, ranked)
    return torch.multinomial(probs, 1, generator=rng)[:, 0]


def answer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    questions: list[str],
    *,
    template: str = "chat",
    system_prompt: str | None = None,
    log: AnswerLog | None = None,
    **generate_kwargs,
) -> list[Generation]:
    """Ask each question rendered with the same template the model was trained with; with a
    `log`, only the questions it has no answer for (tunelab.work_log)."""
    from tunelab.work_log import generate_logged

    prompt = Prompt(template, system_prompt)
    prompts = [prompt.question(q, tokenizer) for q in questions]
    return generate_logged(model, tokenizer, prompts, log, **generate_kwargs)


def repetition_penalty(model: PreTrainedModel) -> float:
    """The checkpoint's repetition penalty: model.generate applies it even when greedy (Qwen2.5
    ships 1.05-1.1), so a reply here and from `serve` is the one it gives."""
    return getattr(model.generation_config, "repetition_penalty", None) or 1.0


def penalize_repeats(scores: torch.Tensor, seen: list[int], penalty: float) -> None:
    """Make every token already in the text less likely, in place, as transformers'
    RepetitionPenaltyLogitsProcessor does: a positive score divided, a negative one multiplied."""
    index = torch.tensor(seen, device=scores.device)
    picked = scores[index]
    scores[index] = torch.where(picked < 0, picked * penalty, picked / penalty)


def eos_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    ids = {tokenizer.eos_token_id}
    configured = getattr(model.generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(configured)
    return sorted(i for i in ids if i is not None)


@dataclass
class Row:
    """One prompt being answered: its tokens so far, and its place in the schema if it has one."""

    index: int
    prompt: list[int]
    reply: Reply | None
    text: Detokenizer  # the reply's whole characters, where stop strings are looked for
    rng: torch.Generator | None  # what its samples are drawn from (None: torch's global one)
    tokens: list[int] = field(default_factory=list)


class Ending:
    """When a reply is over, and what its text is then."""

    def __init__(self, tokenizer, stop_ids, stops, stop_repeats: bool, max_new_tokens: int):
        self.tokenizer, self.stop_ids = tokenizer, set(stop_ids)
        self.stops = [s for s in stops or [] if s]
        self.repeats, self.max_new_tokens = stop_repeats, max_new_tokens
        self.longest = max((len(s) for s in self.stops), default=0)

    def check(self, row: Row, token: int) -> str | None:
        """Add `token` to the reply; why the reply is over now, or None."""
        eos = token in self.stop_ids
        if not eos:
            row.tokens.append(token)
        full = len(row.tokens) >= self.max_new_tokens
        # At the reply's end a character still split is final (U+FFFD), and may complete a stop.
        stopped = bool(self.stops) and self.stopped(row, final=eos or full)
        if eos or stopped:
            return "stop"
        if self.repeats:
            if not self.stops:  # the text is read a token at a time, not decoded whole each time
                row.text.update(row.tokens, final=full)
            if repeat_start(row.text.text) is not None:
                return "repeat"
        return "length" if full else None

    def stopped(self, row: Row, final: bool) -> bool:
        """Whether the newest token completed a stop string. Only generated tokens count (a
        prompt ending in "\n" must not stop "\n\n" at once), and only whole characters, as the
        server's engine reads them: until its last byte comes, a character split over tokens
        decodes as U+FFFD, which a stop string must not match (unless the reply ends there)."""
        before = len(row.text.text)
        row.text.update(row.tokens, final=final)
        # A stop string completed now starts at most its length before the new text.
        recent = row.text.text[max(0, before - self.longest) :]
        return any(s in recent for s in self.stops)

    def finish(self, row: Row, reason: str) -> Generation:
        """The reply's text, cut at a stop string or where it began repeating itself."""
        # Cut at a stop string, the text is what it was found in: the characters whole by then.
        text = row.text.text if reason == "stop" and self.stops else self.text(row)
        for s in self.stops:
            if s in text:
                text, reason = text[: text.index(s)], "stop"
        text = text.strip()
        if self.repeats and (cut := repeat_start(text)) is not None:
            text, reason = text[:cut].strip(), "repeat"
        return Generation(text, reason, len(row.prompt), len(row.tokens), row.index)

    def text(self, row: Row) -> str:
        return self.tokenizer.decode(row.tokens, skip_special_tokens=True)


class Detokenizer:
    """The text of a growing list of token ids, read the same way here and in the server's engine
    (tunelab/serve/engine.py), so that both cut a reply at the same stop strings. A new token's
    text is what decoding it with the tokens since the last emitted piece adds to decoding those
    tokens alone: that context keeps a word's leading space, and a character split over tokens
    is held until it is whole. Decoding the whole reply again after every token would cost time
    that grows with its length."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.tokenizer = tokenizer
        self.text = ""
        self._prefix = 0  # ids[_prefix:_read] were decoded already: the context of what follows
        self._read = 0

    def update(self, ids: list[int], final: bool = False) -> str:
        """The text `ids` (the whole reply so far) add since the last call; `final` gives a
        half-decoded character at the end too, as U+FFFD, rather than holding it back."""
        if len(ids) == self._read:
            return ""
        decode = self.tokenizer.decode
        before = decode(ids[self._prefix : self._read], skip_special_tokens=True)
        after = decode(ids[self._prefix :], skip_special_tokens=True)
        if len(after) <= len(before) or (after.endswith("\ufffd") and not final):
            return ""  # a skipped special token, or a character not yet whole
        piece = after[len(before) :]
        self._prefix, self._read = self._read, len(ids)
        self.text += piece
        return piece


class Streamer(TextStreamer):
    """Hands each finished piece of the reply to `on_text` as transformers decodes it, without
    the prompt and without the reply's leading space (`generate` strips it too)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, on_text: Callable[[str], None]):
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.on_text, self.started = on_text, False

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if not self.started:
            text = text.lstrip()
            self.started = bool(text)
        if text:
            self.on_text(text)
