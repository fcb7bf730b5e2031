"""A second Ctrl-C stops the loop within the step and keeps the last complete one, which a
resume continues from to the uninterrupted run's losses; a third Ctrl-C aborts, and the run is
recorded as failed."""

from __future__ import annotations

import json
import signal

import pytest

from tests.conftest import tiny_config
from tests.test_checkpoint_interrupt import _press_ctrl_c_during_step
from tests.test_distributed import _records
from tunelab.train import loop


def _losses(run) -> list[float]:
    return [r["loss"] for r in _records(run) if "loss" in r]


def _status(config) -> dict:
    return json.loads((config.run_dir / "status.json").read_text())


def _checkpoints(config) -> list[str]:
    return sorted(p.name for p in (config.run_dir / "checkpoints").iterdir())


def test_a_second_ctrl_c_within_a_step_keeps_the_last_complete_step(tmp_path, qa_file, monkeypatch):
    # It raised a bare KeyboardInterrupt mid-step: nothing saved since the last checkpoint, the
    # run recorded as interrupted all the same, and --resume found no checkpoint.
    whole = loop.train(tiny_config(tmp_path / "whole", qa_file, save_every=100))
    config = tiny_config(tmp_path / "stopped", qa_file, save_every=100)
    _press_ctrl_c_during_step(monkeypatch, 3, times=2)
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
