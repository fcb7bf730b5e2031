"""What a save killed midway left (a .tmp- folder named with its writer's pid, never reused) is
removed by a later save or a resume; one still being written stays."""

from __future__ import annotations

import subprocess
import sys

import torch

from tests.conftest import tiny_config
from tunelab.train.checkpoint import TrainState, save_checkpoint
from tunelab.train.loop import train


def _dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def test_a_save_killed_midway_is_cleaned_up_by_the_resume_and_later_saves(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    checkpoints = run / "checkpoints"
    killed = checkpoints / f".tmp-step-000003-{_dead_pid()}"
    killed_sharded = checkpoints / ".tmp-step-000003-sharded"
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as writer:
        being_written = checkpoints / f".tmp-step-000003-{writer.pid}"
        for partial in (killed, killed_sharded, being_written):
            (partial / "trainable.safetensors").parent.mkdir()
            (partial / "trainable.safetensors").write_bytes(b"x" * 100)

        train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
        writer.kill()
    assert not killed.exists() and not killed_sharded.exists()
    assert being_written.exists()
    assert sorted(p.name for p in checkpoints.iterdir() if not p.name.startswith(".tmp")) == [
        "step-000002",
        "step-000004",
    ]


def test_a_save_removes_what_a_killed_save_left(tmp_path):
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    killed = tmp_path / f".tmp-step-000001-{_dead_pid()}"
    killed.mkdir()
    save_checkpoint(tmp_path, model, optimizer, TrainState(step=2), keep=2)
    assert [p.name for p in tmp_path.iterdir()] == ["step-000002"]
