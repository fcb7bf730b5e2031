"""Batched generation on a loaded model: the one path that data generation, training's held-out
answers, evaluation, compare, chat and the demo all use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, StoppingCriteria, TextStreamer

from tunelab.data.templates import Prompt
from tunelab.data.text import repeat_start
from tunelab.structured import Constraint, SchemaProcessor


@dataclass
class Generation:
    text: str
    # "stop" (EOS or a stop string), "length" (hit max_new_tokens), or "repeat" (began saying a
    # sentence again, with stop_repeats; the repeat is cut)
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


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
    batch_size: int = 8,
    seed: int | None = None,
    on_batch: Callable[[list[Generation]], None] | None = None,
    on_text: Callable[[str], None] | None = None,
    stop_repeats: bool = False,
    schema: dict | None = None,
) -> list[Generation]:
    """Complete each prompt (already templated text); greedy when temperature is 0.
    `on_batch` is given each batch's generations as they finish (for progress bars); `on_text`
    each piece of text as it is made (one prompt only: a chat streams its reply). With
    `stop_repeats`, a reply ends when it starts saying a sentence or line again. With a JSON
    `schema`, each reply is compact JSON of it, closed before `max_new_tokens` run out (give at
    least structured.CLOSING_TOKENS)."""
    if on_text is not None and len(prompts) != 1:
        raise ValueError("on_text streams one reply: give one prompt")
    if seed is not None:
        torch.manual_seed(seed)
    model.eval()
    device = next(model.parameters()).device
    encoded = [tokenizer(p, add_special_tokens=False).input_ids for p in prompts]
    # Sorting by length keeps left-padding (and wasted compute) small within each batch.
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    results: list[Generation | None] = [None] * len(prompts)
    stop_ids = eos_ids(model, tokenizer)
    constraint = (
        Constraint(schema, tokenizer, model.config.vocab_size, stop_ids, compact=True)
        if schema is not None
        else None
    )
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        width = max(len(encoded[i]) for i in idx)
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(encoded[i])) + encoded[i] for i in idx])
        attention = torch.tensor(
            [[0] * (width - len(encoded[i])) + [1] * len(encoded[i]) for i in idx]
        )
        sampling = (
            dict(do_sample=True, temperature=temperature, top_p=top_p)
            if temperature > 0
            else {"do_sample": False}
        )
        # Stop strings end a row's decoding as soon as they appear, not at EOS or max_new_tokens.
        criteria = [StopStrings(tokenizer, stop, width)] if stop else []
        criteria += [StopRepeats(tokenizer, width)] if stop_repeats else []
        stopping = {"stopping_criteria": criteria} if criteria else {}
        if on_text is not None:
            stopping["streamer"] = Streamer(tokenizer, on_text)
        if constraint is not None:
            processor = SchemaProcessor(constraint, len(idx), width, max_new_tokens)
            stopping["logits_processor"] = [processor]
        out = model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention.to(device),
            max_new_tokens=max_new_tokens,
            eos_token_id=stop_ids,
            pad_token_id=pad,
            top_k=None,
            **sampling,
            **stopping,
        )
        for row, i in zip(out[:, width:].tolist(), idx):
            results[i] = _finish(row, stop_ids, pad, tokenizer, stop, len(encoded[i]))
            if stop_repeats and (cut := repeat_start(results[i].text)) is not None:
                results[i].text, results[i].finish_reason = results[i].text[:cut].strip(), "repeat"
        if on_batch is not None:
            on_batch([results[i] for i in idx])
    return results  # type: ignore[return-value]


def answer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    questions: list[str],
    *,
    template: str = "chat",
    system_prompt: str | None = None,
    **generate_kwargs,
) -> list[Generation]:
    """Ask each question rendered with the same template the model was trained with."""
    prompt = Prompt(template, system_prompt)
    prompts = [prompt.question(q, tokenizer) for q in questions]
    return generate(model, tokenizer, prompts, **generate_kwargs)


def eos_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    ids = {tokenizer.eos_token_id}
    configured = getattr(model.generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(configured)
    return sorted(i for i in ids if i is not None)


def _finish(row, stop_ids, pad, tokenizer, stop, prompt_len) -> Generation:
    n = len(row)
    ended = False
    for pos, token in enumerate(row):
        if token in stop_ids:
            n, ended = pos, True
            break
    while (
        n and row[n - 1] == pad
    ):  # a row that hit a stop string early is padded to the batch's end
        n -= 1
    text = tokenizer.decode(row[:n], skip_special_tokens=True)
    for s in stop or []:
        if s and s in text:
            text, ended = text[: text.index(s)], True
    return Generation(text.strip(), "stop" if ended else "length", prompt_len, n)


class StopStrings(StoppingCriteria):
    """Ends each row once its generated text holds a stop string. transformers' own
    `stop_strings` also match across the end of the prompt, so a prompt ending in "\n" would stop
    at once on a first "\n" when the stop string is "\n\n"; only generated tokens count here."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, stops: list[str], prompt_width: int):
        self.tokenizer, self.stops, self.start = tokenizer, [s for s in stops if s], prompt_width
        # A stop string completed by the newest token lies within its last few tokens.
        self.window = max(len(s) for s in self.stops) + 8 if self.stops else 0

    def __call__(self, input_ids: torch.Tensor, scores, **kwargs) -> torch.Tensor:
        generated = input_ids[:, self.start :][:, -self.window :]
        texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        hits = [any(s in text for s in self.stops) for text in texts]
        return torch.tensor(hits, dtype=torch.bool, device=input_ids.device)


class StopRepeats(StoppingCriteria):
    """Ends each row once it repeats a sentence (see `repeat_start`); `generate` cuts the repeat."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, prompt_width: int):
        self.tokenizer, self.start = tokenizer, prompt_width

    def __call__(self, input_ids: torch.Tensor, scores, **kwargs) -> torch.Tensor:
        texts = self.tokenizer.batch_decode(input_ids[:, self.start :], skip_special_tokens=True)
        hits = [repeat_start(text) is not None for text in texts]
        return torch.tensor(hits, dtype=torch.bool, device=input_ids.device)


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
