"""The demo's trained facts stay true of tunelab: where an answer states something the code
decides (a config default, the command names, the benchmark names, a listening address), the
code is asked, so the demo data fails here the day it goes stale."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
import typer

from tunelab.cli import app
from tunelab.config import Config

TRAIN = Path(__file__).resolve().parent.parent / "tunelab" / "demo" / "tunelab_qa_train.jsonl"
ANSWERS = {json.loads(line)["answer"] for line in TRAIN.read_text().splitlines()}

# A trained answer (a pattern with one group: the value it states) and the config field it is about.
DEFAULTS = [
    (r"The default model is (\S+), the embedded", "model.name"),
    (r"model\.dtype defaults to (\w+);", "model.dtype"),
    (r"train\.device is (\w+) by default", "train.device"),
    (r"Runs go under (\w+)/ by default", "output_dir"),
    (r"The default run name is (\w+);", "name"),
    (r"train\.keep_checkpoints defaults to (\d+),", "train.keep_checkpoints"),
    (r"train\.method is (\w+) by default", "train.method"),
    (r"The LoRA rank r defaults to (\d+)\.", "train.lora.r"),
    (r"LoRA alpha defaults to (\d+)\.", "train.lora.alpha"),
    (r"LoRA dropout defaults to ([\d.]+)\.", "train.lora.dropout"),
    (r"LoRA targets all linear layers by default \(([\w-]+)\)", "train.lora.target_modules"),
    (r"The default learning rate is ([\de.-]+)\.", "train.lr"),
    (r"The default scheduler is (\w+);", "train.scheduler"),
    (r"warmup_ratio defaults to ([\d.]+);", "train.warmup_ratio"),
    (r"The default is ([\d.]+) epochs;", "train.epochs"),
    (r"The default batch_size is (\d+) rows", "train.batch_size"),
    (r"Set train\.grad_accum; it defaults to (\d+)\.", "train.grad_accum"),
    (r"eval_every defaults to (\d+) steps", "train.eval_every"),
    (r"save_every defaults to (\d+) steps", "train.save_every"),
    (r"weight_decay defaults to ([\d.]+)\.", "train.weight_decay"),
    (r"clipped to max_grad_norm ([\d.]+) by default", "train.max_grad_norm"),
    (r"The seed is (\d+) by default", "data.seed"),
    (r"The seed is (\d+) by default", "train.seed"),
    (r"data\.shape defaults to (\w+),", "data.shape"),
    (r"^(\w+) \(the default, the model's own template\)", "data.template"),
    (r"data\.max_length defaults to (\d+) tokens", "data.max_length"),
    (r"data\.truncation is (\w+) by default", "data.truncation"),
    (r"test_size defaults to ([\d.]+),", "data.test_size"),
    (r"data\.on_error is (\w+) by default", "data.on_error"),
]


def _stated(pattern: str) -> str:
    values = {m.group(1) for a in ANSWERS if (m := re.search(pattern, a))}
    assert len(values) == 1, f"no single trained answer matches {pattern!r}: {values}"
    return values.pop()


@pytest.mark.parametrize("pattern, key", DEFAULTS, ids=[k for _, k in DEFAULTS])
def test_a_trained_default_is_the_configs_default(pattern, key):
    value = Config()
    for part in key.split("."):
        value = getattr(value, part)
    stated = _stated(pattern)
    if isinstance(value, float):
        assert float(stated) == value, f"the demo data says {key} = {stated}; the code: {value}"
    else:
        assert stated == str(value), f"the demo data says {key} = {stated}; the code: {value}"


def _listed(pattern: str) -> set[str]:
    return set(re.split(r",\s*|\s+and\s+", _stated(pattern)))


def test_the_trained_command_list_is_the_clis():
    commands = set(typer.main.get_command(app).commands)
    assert _listed(r"^The commands are (.+)\.$") == commands


def test_the_trained_data_commands_are_the_clis():
    data = typer.main.get_command(app).commands["data"]
    assert _listed(r"^The data commands are (.+)\.$") == {f"data {c}" for c in data.commands}


def test_the_trained_benchmark_list_is_the_default_tasks():
    from tunelab.evaluate.bench.tasks import TASKS

    assert _listed(r"^((?:arc_easy|\w+)(?:, \w+)* and \w+)\.$") == set(TASKS)


def test_the_trained_gguf_types_are_the_exporters():
    from tunelab.export.to_gguf import FILE_TYPES

    assert _listed(r"^GGUF export supports (.+)\.$") == set(FILE_TYPES)


def test_the_trained_serve_address_is_the_commands_default():
    from tunelab.serve.cli import serve_command

    default_host = inspect.signature(serve_command).parameters["host"].default
    assert _stated(r"^serve listens on ([\d.]+) by default\.$") == default_host
