"""A second Ctrl-C, or SIGTERM to a single process (kill, docker stop, Slurm, k8s), stops the
loop within the step and keeps the last complete one, which a resume continues from to the
uninterrupted run's losses; a third Ctrl-C aborts, and the run is recorded as failed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import QA_PAIRS, tiny_config, write_jsonl
from tests.test_distributed import FAULT_HOOK, _records
from tests.test_train_heldout import _config as heldout_config
from tunelab.train import loop
from tunelab.train.stopping import Terminated


def _losses(run) -> list[float]:
    return [r["loss"] for r in _records(run) if "loss" in r]


def _status(config) -> dict:
    return json.loads((config.run_dir / "status.json").read_text())


def _checkpoints(config) -> list[str]:
    return sorted(p.name for p in (config.run_dir / "checkpoints").iterdir())


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """The run a stopped one, resumed, must match: tiny_config's 6 steps, uninterrupted (one run
    for the tests that stop it alike, each on its own copy of the data)."""
    root = tmp_path_factory.mktemp("whole")
    qa = write_jsonl(root / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])
    return loop.train(tiny_config(root, qa, save_every=100))


def test_a_second_ctrl_c_within_a_step_keeps_the_last_complete_step(
    tmp_path, qa_file, monkeypatch, whole
):
    # It raised a bare KeyboardInterrupt mid-step: nothing saved since the last checkpoint, the
    # run recorded as interrupted all the same, and --resume found no checkpoint.
    config = tiny_config(tmp_path / "stopped", qa_file, save_every=100)
    _signal_during_call(monkeypatch, "accumulate_gradients", 3, signal.SIGINT, times=2)
    with pytest.raises(KeyboardInterrupt, match="step 2 is kept"):
        loop.train(config)
    assert _checkpoints(config) == ["step-000002"]
    assert _status(config)["status"] == "interrupted" and _status(config)["step"] == 2

    monkeypatch.undo()
    assert _losses(loop.train(config, resume=True)) == _losses(whole)


def test_a_third_ctrl_c_aborts_and_the_run_is_recorded_as_failed(tmp_path, qa_file, monkeypatch):
    # Pressed where the loop cannot stop (writing a step's row), the second waits for the next
    # stretch; a third aborts at once, saving nothing: no clean interruption.
    config = tiny_config(tmp_path, qa_file, max_steps=50, save_every=100)
    write = loop.write_metrics

    def ctrl_c_three_times_at_step_3(log, record):
        if record.get("step") == 3:
            for _ in range(3):
                signal.raise_signal(signal.SIGINT)
        return write(log, record)

    monkeypatch.setattr(loop, "write_metrics", ctrl_c_three_times_at_step_3)
    with pytest.raises(KeyboardInterrupt, match="third Ctrl-C"):
        loop.train(config)
    assert not (config.run_dir / "checkpoints").exists()
    status = _status(config)
    assert status["status"] == "failed"
    assert "steps since the last checkpoint are lost" in status["error"]


# SIGTERM in the middle of step 4, from a sitecustomize on the process's path.
SIGTERM_IN_STEP_4 = """    import signal
    accumulate, steps = loop.accumulate_gradients, []
    def sigterm_in_step_4(*args, **kwargs):
        steps.append(1)
        if len(steps) == 4:
            os.kill(os.getpid(), signal.SIGTERM)
        return accumulate(*args, **kwargs)
    loop.accumulate_gradients = sigterm_in_step_4"""


def test_sigterm_to_a_single_process_keeps_the_last_complete_step(tmp_path, qa_file, whole):
    # Only torchrun's SIGTERM was handled: one process died with 143 and lost up to save_every
    # steps, recorded as failed.
    config = tiny_config(tmp_path / "stopped", qa_file, save_every=100)
    config.to_yaml(tmp_path / "run.yaml")
    site = tmp_path / "site"
    site.mkdir()
    hook = FAULT_HOOK.format(body=SIGTERM_IN_STEP_4, ranks="(None,)")  # RANK: unset
    (site / "sitecustomize.py").write_text(hook)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": f"{site}:{os.getcwd()}"}
    command = [sys.executable, "-m", "tunelab.cli", "train", str(tmp_path / "run.yaml")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 143, done.stderr[-3000:]
    said = " ".join(done.stdout.split())
    assert "step 3 is kept in" in said and f"tunelab train {config.run_dir} --resume" in said
    assert _checkpoints(config) == ["step-000003"]
    assert _status(config)["status"] == "interrupted" and _status(config)["step"] == 3
    assert _losses(loop.train(config, resume=True)) == _losses(whole)


def _signal_during_call(monkeypatch, name: str, call: int, signum: int, times: int = 1) -> None:
    """Send `signum` `times` times inside the `call`-th call of loop.<name> (an eval, say)."""
    real, calls = getattr(loop, name), []

    def signals(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            for _ in range(times):
                signal.raise_signal(signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, name, signals)


def _train_rows(run) -> list[tuple]:
    """What a step trained, row by row: equal between a resumed and an uninterrupted run."""
    return [(r["step"], r["loss"], r["lr"], r["tokens"]) for r in _records(run) if "loss" in r]


def _row(run, step: int) -> dict:
    return next(r for r in _records(run) if r["step"] == step and "loss" in r)


CTRL_C_TWICE = (signal.SIGINT, 2, KeyboardInterrupt)
SIGTERM = (signal.SIGTERM, 1, Terminated)


@pytest.mark.parametrize("signum, times, raised", [CTRL_C_TWICE, SIGTERM], ids=["ctrl-c", "term"])
def test_a_stop_during_a_steps_eval_keeps_its_row(
    tmp_path, qa_file, monkeypatch, signum, times, raised
):
    # The stop kept step 4's checkpoint but not its row (written after the eval): the resume
    # went on at step 5, and metrics.jsonl and loss.png had no step 4.
    settings = dict(max_steps=6, eval_every=2, save_every=100)
    whole = loop.train(tiny_config(tmp_path / "whole", qa_file, **settings))
    config = tiny_config(tmp_path / "stopped", qa_file, **settings)
    _signal_during_call(monkeypatch, "evaluate_loss", 3, signum, times)  # steps 0, 2, then 4
    with pytest.raises(raised):
        loop.train(config)
    assert _checkpoints(config) == ["step-000004"]
    assert "eval_loss" not in _row(config.run_dir, 4)  # unfinished

    monkeypatch.undo()
    assert _train_rows(loop.train(config, resume=True)) == _train_rows(whole)
    # The resume measures it on the checkpoint's weights: the curve had a hole at step 4.
    assert _row(config.run_dir, 4)["eval_loss"] == _row(whole, 4)["eval_loss"]


def test_a_stop_during_held_out_answers_keeps_the_eval_loss_already_measured(tmp_path, monkeypatch):
    config = heldout_config(tmp_path, max_steps=6, eval_every=2, save_every=100)
    _signal_during_call(monkeypatch, "score_heldout", 3, signal.SIGTERM)  # steps 0, 2, then 4
    with pytest.raises(Terminated):
        loop.train(config)
    assert _checkpoints(config) == ["step-000004"]
    row = _row(config.run_dir, 4)
    assert "eval_loss" in row and "eval_fact_accuracy" not in row
