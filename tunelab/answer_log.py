"""Answers written to disk as they are made, so that an `eval` or `compare` cut short (Ctrl-C, a
crash, a closed laptop) asks only the questions left when it is run again. lm-evaluation-harness
keeps its requests in a cache for the same reason.

A log is one JSONL file in the command's output folder: a header naming the model's weights and
the generation settings, then one line per answer, keyed by the prompt's text (which holds the
template and system prompt). A log made with other weights or settings is started afresh, so a
retrained run is never scored with its old answers. The command deletes its log once its own
outputs are written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.read import jsonl_lines
from tunelab.generate import Generation, generate

# What an answer depends on besides its prompt and weights; batch_size is not among them: a
# greedy reply is the same however many rows share its batch, a sampled one has its own seed.
SETTINGS = ("max_new_tokens", "temperature", "top_p", "stop", "seed", "stop_repeats", "schema")


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A digest of every parameter's name, shape and an evenly spaced sample of its values:
    training moves every value it trains, so other weights give another digest, read in
    milliseconds where hashing all of a model's bytes would take seconds."""
    digest = hashlib.sha256()
    for name, param in model.named_parameters():
        flat = param.detach().reshape(-1)
        sample = flat[:: max(1, flat.numel() // 256)].float().cpu()
        digest.update(f"{name}{tuple(param.shape)}".encode())
        digest.update(sample.numpy().tobytes())
    return digest.hexdigest()[:16]


class AnswerLog:
    """The answers already made for one model and one set of generation settings."""

    def __init__(self, path: Path, header: dict[str, Any]):
        self.path, self.header = path, header
        self.answers: dict[str, Generation] = {}
        self.restarted = False  # a log for other weights or settings was found and dropped
        if path.exists():
            lines = [line for line in jsonl_lines(path) if line.strip()]
            if lines and _parse(lines[0]) == header:
                for line in lines[1:]:  # a line cut short by the crash is asked again
                    if (found := _answer(line)) is not None:
                        self.answers[found[0]] = found[1]
            else:
                self.restarted = True
        if not self.answers:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(header) + "\n", encoding="utf-8")

    @classmethod
    def for_model(cls, path: Path, model: PreTrainedModel, **settings: Any) -> AnswerLog:
        kept = {k: settings.get(k) for k in SETTINGS}
        return cls(path, {"weights": weights_fingerprint(model), "settings": kept})

    def add(self, prompt: str, generation: Generation) -> None:
        """Keep one answer; on disk at once, so a crash right after loses nothing."""
        self.answers[prompt] = generation
        record = {"prompt": prompt, **asdict(generation)}
        del record["index"], record["from_log"]
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def remove(self) -> None:
        """The command's outputs are written: the log is no longer needed."""
        self.path.unlink(missing_ok=True)

    def resumed(self) -> str | None:
        """What to tell the user about the answers found, if any."""
        if self.answers:
            return f"{len(self.answers)} answers kept from an interrupted run ({self.path}): asking the rest"
        if self.restarted:
            return f"{self.path} held answers of other weights or settings: asking every question"
        return None


def _parse(line: str) -> dict | None:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _answer(line: str) -> tuple[str, Generation] | None:
    """(prompt, answer) of one line of a log; None for a line that is not one."""
    record = _parse(line)
    if not isinstance(record, dict):
        return None
    try:
        return record.pop("prompt"), Generation(**record, from_log=True)
    except (KeyError, TypeError):
        return None


def generate_logged(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    log: AnswerLog | None,
    *,
    on_batch: Callable[[list[Generation]], None] | None = None,
    **generate_kwargs: Any,
) -> list[Generation]:
    """`generate`, asking only the prompts `log` has no answer for and adding each new answer to
    it as it finishes. `on_batch` is first given the answers found in the log (a progress bar
    counts them as done)."""
    if log is None or generate_kwargs.get("seed") is not None:
        # A seeded prompt's sample follows from its place in the whole list, which the prompts
        # left to ask would not keep: those are asked afresh.
        return generate(model, tokenizer, prompts, on_batch=on_batch, **generate_kwargs)
    results: list[Generation | None] = [log.answers.get(p) for p in prompts]
    todo = [i for i, g in enumerate(results) if g is None]
    found = [g for g in results if g is not None]
    if found and on_batch is not None:
        on_batch(found)

    def keep(batch: list[Generation]) -> None:
        for g in batch:
            log.add(prompts[todo[g.index]], g)
        if on_batch is not None:
            on_batch(batch)

    fresh = generate(model, tokenizer, [prompts[i] for i in todo], on_batch=keep, **generate_kwargs)
    for i, g in zip(todo, fresh):
        results[i] = g
    return results  # type: ignore[return-value]
