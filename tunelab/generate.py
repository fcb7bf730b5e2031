"""Batched generation on a loaded model: the one path that data generation, training's held-out
answers, evaluation, compare, chat and the demo all use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, StoppingCriteria

from tunelab.data.templates import Prompt


@dataclass
class Generation:
    text: str
    finish_reason: str  # "stop" (EOS or a stop string) or "length" (hit max_new_tokens)
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
    on_batch: Callable[[int], None] | None = None,
) -> list[Generation]:
    """Complete each prompt (already templated text); greedy when temperature is 0.
    `on_batch(n)` is told after each batch how many prompts it finished (for progress bars)."""
    if seed is not None:
        torch.manual_seed(seed)
    model.eval()
    device = next(model.parameters()).device
    encoded = [tokenizer(p, add_special_tokens=False).input_ids for p in prompts]
    # Sorting by length keeps left-padding (and wasted compute) small within each batch.
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    results: list[Generation | None] = [None] * len(prompts)
    stop_ids = eos_ids(model, tokenizer)
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
        stopping = {"stopping_criteria": [StopStrings(tokenizer, stop, width)]} if stop else {}
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
        if on_batch is not None:
            on_batch(len(idx))
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
