"""Training under torchrun: two processes (gloo, on CPU) learn exactly what one process learns
from the same micro-batches accumulated, and only rank 0 writes the run folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import tiny_config
from tunelab.train.loop import train


def _records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_two_processes_equal_one_process_accumulating_their_batches(tmp_path, qa_file):
    settings = dict(method="full", max_steps=4, batch_size=2, eval_every=2, save_every=2)
    # One process, 2 micro-batches per step: the same batches torchrun gives ranks 0 and 1.
    single = train(tiny_config(tmp_path / "one", qa_file, grad_accum=2, **settings))

    config = tiny_config(tmp_path / "two", qa_file, grad_accum=1, **settings)
    config_path = tmp_path / "two.yaml"
    config.to_yaml(config_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", "-m", "tunelab.cli", "train", str(config_path)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    two = config.run_dir

    one_log, two_log = _records(single), _records(two)
    assert [r["step"] for r in two_log] == [r["step"] for r in one_log]
    for a, b in zip(one_log, two_log):
        for key in ("loss", "eval_loss", "tokens", "input_tokens"):
            if key in a:
                assert b[key] == pytest.approx(a[key], abs=1e-4), (key, a["step"])
    a = load_file(single / "model" / "model.safetensors")
    b = load_file(two / "model" / "model.safetensors")
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-5, rtol=1e-4)
    # Rank 0 alone wrote the log (one line per step, no duplicates) and the checkpoints.
    assert sorted(p.name for p in (two / "checkpoints").iterdir()) == ["step-000002", "step-000004"]
    assert done.stdout.count("done") == 1


def _worker_of_rank(launcher: subprocess.Popen, rank: int) -> int:
    """The pid of torchrun's worker process of this rank (Linux: read from its environment)."""
    children = subprocess.run(["pgrep", "-P", str(launcher.pid)], capture_output=True, text=True)
    for pid in map(int, children.stdout.split()):
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        if f"RANK={rank}".encode() in environ:
            return pid
    raise AssertionError(f"no worker of rank {rank}")


def test_ctrl_c_reaching_one_other_process_stops_the_run_as_interrupted(tmp_path, qa_file):
    # Ctrl-C in another machine's terminal reaches its processes, not rank 0: rank 0 must not
    # call the run finished, nor report the model as done.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=10**5, save_every=10**5)
    config_path = tmp_path / "run.yaml"
    config.to_yaml(config_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", "-m", "tunelab.cli", "train", str(config_path)]  # fmt: skip
    launcher = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        metrics = config.run_dir / "metrics.jsonl"
        deadline = time.monotonic() + 240
        while not metrics.exists() or len(metrics.read_text().splitlines()) < 3:
            assert launcher.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        os.kill(_worker_of_rank(launcher, 1), signal.SIGINT)
        stdout, _ = launcher.communicate(timeout=120)
    finally:
        launcher.kill()
    status = json.loads((config.run_dir / "status.json").read_text())
    assert status["status"] == "interrupted"
    assert "done" not in stdout and stdout.count("interrupted at step") == 1
    assert [p.name for p in (config.run_dir / "checkpoints").iterdir()] == [
        f"step-{status['step']:06d}"
    ]


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", "-m", "tunelab.cli", "train", *args]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_a_resumed_run_under_torchrun_draws_each_processs_own_dropout_masks(tmp_path, qa_file):
    # LoRA's dropout draws masks from each process's own RNG: a checkpoint that kept rank 0's
    # states alone gave rank 1 rank 0's masks after a resume, and other losses.
    settings = dict(method="lora", max_steps=4, save_every=2, eval_every=10, scheduler="constant")
    whole = tiny_config(tmp_path / "whole", qa_file, **settings)
    whole.to_yaml(tmp_path / "whole.yaml")
    _torchrun(str(tmp_path / "whole.yaml"))
    half = tiny_config(tmp_path / "half", qa_file, **{**settings, "max_steps": 2})
    half.to_yaml(tmp_path / "half.yaml")
    _torchrun(str(tmp_path / "half.yaml"))
    _torchrun(str(half.run_dir), "--resume", "--set", "train.max_steps=4")
    losses = [
        [r["loss"] for r in _records(run) if "loss" in r] for run in (whole.run_dir, half.run_dir)
    ]
    assert whole.train.lora.dropout > 0 and len(losses[0]) == 4
    assert losses[1] == losses[0]
