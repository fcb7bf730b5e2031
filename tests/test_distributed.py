"""Training under torchrun: two processes (gloo, on CPU) learn exactly what one process learns
from the same micro-batches accumulated, and only rank 0 writes the run folder; a fault on one
process stops every one as what it was, keeping the steps done (refusals:
test_distributed_refusals.py; how a process leaves: test_distributed_exit.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import tiny_config
from tunelab.run_files import CLAIM_FILE
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
    # call the run finished, nor report the model as done. Rank 0 is made the last to leave the
    # final barrier: rank 1 exits 130 at once, and torchrun SIGTERMs rank 0 a moment later; its
    # "interrupted at step" line, said after the barrier, was never said, and its claim on the
    # run folder, given back after it, stayed: a --resume from another host was refused.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=10**5, save_every=10**5)
    config_path = tmp_path / "run.yaml"
    config.to_yaml(config_path)
    slow_after_barrier = """    import time
    barrier = loop.distributed.barrier
    def slow_after_barrier(world):
        barrier(world)
        time.sleep(5)
    loop.distributed.barrier = slow_after_barrier"""
    env = _fault_env(tmp_path, (0,), slow_after_barrier)
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
    assert not (config.run_dir / CLAIM_FILE).exists()
    assert "done" not in stdout and stdout.count("interrupted at step") == 1
    # Resumed on one process, it took half the rows a step: the hint is the launch it had.
    assert f"`torchrun --nproc_per_node 2 -m tunelab.cli train {config.run_dir} --resume`" in stdout
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
    # The same run stopped after its step-2 checkpoint (two launches, not three: ~18 s each).
    half = whole.model_copy(update={"output_dir": str(tmp_path / "half")})
    shutil.copytree(whole.run_dir, half.run_dir)
    shutil.rmtree(half.run_dir / "model")
    shutil.rmtree(half.run_dir / "checkpoints" / "step-000004")
    half.to_yaml(tmp_path / "half.yaml")
    _torchrun(str(tmp_path / "half.yaml"), "--resume")
    losses = [
        [r["loss"] for r in _records(run) if "loss" in r] for run in (whole.run_dir, half.run_dir)
    ]
    assert whole.train.lora.dropout > 0 and len(losses[0]) == 4
    assert losses[1] == losses[0]


# Faults injected into torchrun's workers: a sitecustomize on their path wraps a function of
# tunelab.train.loop (or of a module it imports: tunelab.train.session) as the loop is first
# imported, in the process of one rank.
FAULT_HOOK = """
import importlib.abc, importlib.util, os, sys

def fault(loop):
{body}

class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "tunelab.train.loop":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            fault(module)
        spec.loader.exec_module = exec_module
        return spec

if os.environ.get("RANK") in {ranks}:
    sys.meta_path.insert(0, Hook())
"""


def _fault_env(tmp_path: Path, ranks: tuple[int, ...], body: str) -> dict[str, str]:
    """torchrun's environment with FAULT_HOOK's `body` run in the processes of `ranks`."""
    site = tmp_path / "site"
    site.mkdir()
    hook = FAULT_HOOK.format(body=body, ranks=tuple(map(str, ranks)))
    (site / "sitecustomize.py").write_text(hook)
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": f"{site}:{os.getcwd()}"}


def _torchrun_with_fault(
    tmp_path: Path, config, rank: int | tuple[int, ...], body: str, status: bool = True
):
    config.to_yaml(tmp_path / "run.yaml")
    env = _fault_env(tmp_path, rank if isinstance(rank, tuple) else (rank,), body)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", "-m", "tunelab.cli", "train", str(tmp_path / "run.yaml")]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    return done, json.loads((config.run_dir / "status.json").read_text()) if status else None


def test_a_nan_loss_on_one_process_stops_every_process_as_a_nan(tmp_path, qa_file):
    # Rank 1 raising alone left rank 0 in the backward's collective: the run failed as a lost
    # connection ("remote worker crashing"), not as the NaN it was.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=20, save_every=2)
    body = """    forward, calls = loop.LossModule.forward, []
    def nan_on_the_fourth(self, batch):  # the step-0 eval loss takes the first
        calls.append(1)
        loss, tokens = forward(self, batch)
        return (loss * float("nan") if len(calls) == 4 else loss), tokens
    loop.LossModule.forward = nan_on_the_fourth"""
    done, status = _torchrun_with_fault(tmp_path, config, 1, body)
    assert status["status"] == "failed" and "NaN/inf at step 3" in status["error"], status
    assert "step-000002" in status["error"]


def test_a_crash_on_rank_0_under_ddp_keeps_the_steps_done(tmp_path, qa_file):
    # Rank 0 holds the whole model under DDP: a full disk writing step 3's metrics kept only
    # step 2's checkpoint, where one process keeps step 3.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=6, save_every=2)
    body = """    write = loop.write_metrics
    def full_disk_at_step_3(log, record):
        if record.get("step") == 3 and "loss" in record:
            raise OSError(28, "No space left on device")
        return write(log, record)
    loop.write_metrics = full_disk_at_step_3"""
    done, status = _torchrun_with_fault(tmp_path, config, 0, body)
    assert status["status"] == "failed" and "No space left" in status["error"], status
    checkpoints = sorted(p.name for p in (config.run_dir / "checkpoints").iterdir())
    assert checkpoints == ["step-000002", "step-000003"], done.stdout[-2000:]


def test_a_crash_on_another_process_under_ddp_keeps_rank_0s_last_step(tmp_path, qa_file):
    # torchrun stops the other processes with SIGTERM when one fails: rank 0 died at once and lost
    # the steps since its last checkpoint, though under DDP it holds the whole model.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=6, save_every=2)
    body = """    import time
    accumulate, steps = loop.accumulate_gradients, []
    def rank_1_fails_in_step_4(*args, **kwargs):
        steps.append(1)
        if len(steps) == 4 and os.environ["RANK"] == "1":
            raise RuntimeError("rank 1 fails in step 4")
        if len(steps) == 4:  # rank 0, in the same step: computing when torchrun stops it
            time.sleep(120)
        return accumulate(*args, **kwargs)
    loop.accumulate_gradients = rank_1_fails_in_step_4"""
    done, status = _torchrun_with_fault(tmp_path, config, (0, 1), body)
    assert "rank 1 fails in step 4" in done.stderr
    assert status["status"] == "failed" and status["step"] == 3, status
    checkpoints = sorted(p.name for p in (config.run_dir / "checkpoints").iterdir())
    assert checkpoints == ["step-000002", "step-000003"], done.stdout[-2000:]
    said = " ".join(done.stdout.split())
    resume = f"torchrun --nproc_per_node 2 -m tunelab.cli train {config.run_dir} --resume"
    assert "step 3 is kept in" in said and resume in said, said[-2000:]

    resumed = _torchrun(str(config.run_dir), "--resume")
    assert "(step 3)" in " ".join(resumed.stdout.split())
    assert [r["step"] for r in _records(config.run_dir) if "loss" in r] == [1, 2, 3, 4, 5, 6]
