"""Training under torchrun: two processes (gloo, on CPU) learn exactly what one process learns
from the same micro-batches accumulated, and only rank 0 writes the run folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
