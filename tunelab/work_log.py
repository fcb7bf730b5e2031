"""Work written to disk as it is done, so that a command cut short (Ctrl-C, a crash, a closed
laptop) does only what is left when it is run again: `eval` and `compare` keep each answer,
`bench` each scored choice. lm-evaluation-harness caches its requests for the same reason.

A log is one JSONL file in the command's output folder: a header naming the model's weights and
the settings the work depends on, then one line per result, under a key (a prompt's text, a
scored continuation's digest). A log made with other weights or settings is started afresh, so a
retrained run is never scored with its old results. The command deletes its log once its own
outputs are written."""

from __future__ import annotations

import hashlib
import json
import math
import weakref
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.files.jsonl_files import ends_a_line, read_jsonl
from tunelab.generation.generate import Generation, generate
from tunelab.generation.next_token import repetition_penalty

# What an answer depends on besides its prompt and weights; batch_size is not among them: a
# greedy reply is the same however many rows share its batch, a sampled one has its own seed.
SETTINGS = ("max_new_tokens", "temperature", "top_p", "stop", "seed", "stop_repeats", "schema")


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A digest of every parameter's and buffer's name, shape and an evenly spaced sample of its
    values: training moves every value it trains, so other weights give another digest, read in
    milliseconds where hashing all of a model's bytes would take seconds. Buffers count because
    some quantized layers (GPTQ, AWQ) keep their weights there."""
    digest = hashlib.sha256()
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        flat = tensor.detach().reshape(-1)
        sample = flat[:: _stride(flat.numel(), tensor.shape[-1] if tensor.dim() else 1)]
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
        digest.update(sample.float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def _stride(numel: int, columns: int) -> int:
    """A step giving about 256 samples that meets every column: a step that is a multiple of
    the row length would read one column only (the first of a LoRA B of 16 columns)."""
    step = max(1, numel // 256)
    while columns > 1 and step < numel and math.gcd(step, columns) > 1:
        step += 1
    return step


# The logs of this process in use and not removed: what a Ctrl-C leaves to the next run
# (`interrupted`). Weak: a log its command no longer holds (bench deletes its files itself, a
# notebook runs many commands) is not kept alive with its records.
OPEN_LOGS: weakref.WeakSet[WorkLog] = weakref.WeakSet()


def interrupted(again: str = "the same command") -> str | None:
    """What a command cut short keeps for its rerun, in words (it exited 130 saying nothing),
    and that `again` (the command as typed) goes on from it; None when it keeps nothing."""
    kept = [log for log in OPEN_LOGS if log.records and log.path.exists()]
    if not kept:
        return None
    parts = ", ".join(f"{len(log.records)} {log.what} in {log.path}" for log in kept)
    return f"interrupted; kept {parts}: {again} goes on from there"


class WorkLog:
    """Results already made, each under a key (a prompt's text, a scored continuation), for the
    weights and settings its header names; a log with another header is started afresh."""

    def __init__(self, path: Path, header: dict[str, Any], what: str = "results"):
        self.path, self.header, self.what = path, header, what  # what: what it holds, for the user
        OPEN_LOGS.add(self)
        # Each result carries its header's digest: a second command started on the same folder
        # with other settings rewrites the header, and the first one's results must not pass
        # for the second's.
        self.tag = hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()[:12]
        self.records: dict[str, Any] = {}
        self.restarted = False  # a log for other weights or settings was found and dropped
        # A line cut short by a crash is left out (and its result made again); it stays in the
        # file, so it is a middle line on the next run.
        found = [record for _, record in read_jsonl(path, skip_broken=True)]
        if found and found[0] == header:
            for record in found[1:]:
                if record.get("log") == self.tag and (value := self.read(record)) is not None:
                    self.records[record["key"]] = value
        else:
            self.restarted = bool(found)
        if not self.records:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(header) + "\n", encoding="utf-8")
        elif not ends_a_line(path):  # cut mid-line: the next result starts a line of its own
            with path.open("a", encoding="utf-8") as handle:
                handle.write("\n")

    def read(self, record: dict) -> Any:
        """A line's value (None for a line that is not one)."""
        return record.get("value")

    def write(self, value: Any) -> dict:
        return {"value": value}

    def add(self, key: str, value: Any) -> None:
        """Keep one result; on disk at once, so a crash right after loses nothing."""
        self.records[key] = value
        with self.path.open("a", encoding="utf-8") as handle:
            record = {"key": key, "log": self.tag, **self.write(value)}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def remove(self) -> None:
        """The command's outputs are written: the log is no longer needed."""
        self.path.unlink(missing_ok=True)
        OPEN_LOGS.discard(self)

    def resumed(self) -> str | None:
        """What to tell the user about the results found, if any."""
        if n := len(self.records):
            what = self.what.removesuffix("s") if n == 1 else self.what  # not "1 answers"
            return f"{n} {what} kept from an interrupted run ({self.path}): making the rest"
        if self.restarted:
            return f"{self.path} held {self.what} of other weights or settings: starting afresh"
        return None


class AnswerLog(WorkLog):
    """The answers already made for one model and one set of generation settings, by prompt."""

    @classmethod
    def for_model(cls, path: Path, model: PreTrainedModel, **settings: Any) -> AnswerLog:
        kept = {k: settings.get(k) for k in SETTINGS}
        # The checkpoint's own repetition penalty applies too (tunelab.generation.generate), and
        # lives in its generation config, beside the weights.
        kept["repetition_penalty"] = repetition_penalty(model)
        return cls(path, {"weights": weights_fingerprint(model), "settings": kept}, "answers")

    @property
    def answers(self) -> dict[str, Generation]:
        return self.records

    def read(self, record: dict) -> Generation | None:
        try:
            return Generation(**record["value"], from_log=True)
        except (KeyError, TypeError):
            return None

    def write(self, value: Generation) -> dict:
        fields = asdict(value)
        del fields["index"], fields["from_log"]
        return {"value": fields}


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
    # Found in the log, from an earlier run or an earlier call of this one (compare's RAG arm
    # asking a question no passage fit, as its plain arm did): not made now, nor timed as such.
    results: list[Generation | None] = [
        replace(found, from_log=True) if (found := log.answers.get(p)) else None for p in prompts
    ]
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
