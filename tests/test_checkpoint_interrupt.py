"""Ctrl-C saves a checkpoint, then stops the caller: `tunelab train` exits 130 as shells expect,
and the Python API raises KeyboardInterrupt."""

from __future__ import annotations

import json
import signal
import sys

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_config
from tunelab.cli import app
from tunelab.train import finish, loop, session
from tunelab.train.parallel import distributed


def _press_ctrl_c_during_step(monkeypatch, step: int, times: int = 1) -> None:
    real, calls = loop.accumulate_gradients, []

    def presses_ctrl_c(*args, **kwargs):
        calls.append(1)
        if len(calls) == step:
            for _ in range(times):
                signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "accumulate_gradients", presses_ctrl_c)


def _ctrl_c_on_entering(real):
    """`real`, pressing Ctrl-C as it is called (and then running it, as after a keypress)."""

    def presses_ctrl_c(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    return presses_ctrl_c


def test_ctrl_c_saves_a_checkpoint_and_the_command_exits_130(tmp_path, qa_file, monkeypatch):
    config = tiny_config(tmp_path, qa_file, max_steps=50, save_every=100)
    config.to_yaml(tmp_path / "run.yaml")
    _press_ctrl_c_during_step(monkeypatch, 3)

    result = CliRunner().invoke(app, ["train", str(tmp_path / "run.yaml")])
    assert result.exit_code == 130, result.output
    assert [p.name for p in (config.run_dir / "checkpoints").iterdir()] == ["step-000003"]


def test_ctrl_c_while_the_model_loads_says_training_had_not_started(tmp_path, qa_file, monkeypatch):
    # It exited 130 without a word: the loop's own line comes only once steps run.
    config = tiny_config(tmp_path, qa_file)
    config.to_yaml(tmp_path / "run.yaml")
    presses_ctrl_c = _ctrl_c_on_entering(session.load_model)
    monkeypatch.setattr(session, "load_model", presses_ctrl_c)
    result = CliRunner().invoke(app, ["train", str(tmp_path / "run.yaml")])
    assert result.exit_code == 130
    said = " ".join(result.output.split())
    assert f"interrupted before training started: {config.run_dir} was not created" in said
    assert not config.run_dir.exists()

    monkeypatch.undo()
    loop.train(config)
    monkeypatch.setattr(session, "load_model", presses_ctrl_c)
    # Longer: a resume with no step left is refused before the model loads.
    with pytest.raises(KeyboardInterrupt, match="is left as it was"):
        loop.train(tiny_config(tmp_path, qa_file, max_steps=9), resume=True)


def test_ctrl_c_after_the_run_folder_is_written_says_how_to_go_on(tmp_path, qa_file, monkeypatch):
    # Between the run folder's writing and the loop's own Ctrl-C handling it stopped without a
    # word, the folder holding a config and no step.
    config = tiny_config(tmp_path, qa_file)
    config.to_yaml(tmp_path / "run.yaml")
    presses_ctrl_c = _ctrl_c_on_entering(loop.iterate_batches)
    monkeypatch.setattr(loop, "iterate_batches", presses_ctrl_c)
    result = CliRunner().invoke(app, ["train", str(tmp_path / "run.yaml")])
    assert result.exit_code == 130
    said = " ".join(result.output.split())
    assert f"interrupted before the first step: {config.run_dir} holds no checkpoint" in said
    assert "train again with --overwrite" in said

    monkeypatch.undo()
    loop.train(config, overwrite=True)
    monkeypatch.setattr(loop, "iterate_batches", presses_ctrl_c)
    with pytest.raises(KeyboardInterrupt, match="before the first step") as stop:
        loop.train(tiny_config(tmp_path, qa_file, max_steps=9), resume=True)
    assert f"the last checkpoint is step-000006: `tunelab train {config.run_dir} --resume`" in str(
        stop.value
    )


def test_ctrl_c_while_the_final_model_is_written_says_how_to_write_it(
    tmp_path, qa_file, monkeypatch
):
    # It exited 130 without a word, model/ half written.
    config = tiny_config(tmp_path, qa_file)
    config.to_yaml(tmp_path / "run.yaml")

    def presses_ctrl_c(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(finish, "save_final", presses_ctrl_c)
    result = CliRunner().invoke(app, ["train", str(tmp_path / "run.yaml")])
    assert result.exit_code == 130
    said = " ".join(result.output.split())
    assert "interrupted while writing the final model; step-000006 is saved" in said
    assert f"`tunelab train {config.run_dir} --resume` writes it" in said
    assert json.loads((config.run_dir / "status.json").read_text())["status"] == "interrupted"

    monkeypatch.undo()
    assert CliRunner().invoke(app, ["train", str(config.run_dir), "--resume"]).exit_code == 0
    assert (config.run_dir / "model" / "adapter_config.json").is_file()


def test_ctrl_c_in_python_raises_keyboard_interrupt_after_saving(tmp_path, qa_file, monkeypatch):
    config = tiny_config(tmp_path, qa_file, max_steps=6, save_every=100)
    _press_ctrl_c_during_step(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt, match="step 2"):
        loop.train(config)
    assert (config.run_dir / "checkpoints" / "step-000002").is_dir()

    monkeypatch.undo()
    run = loop.train(config, resume=True)
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["step"] == 6


def test_ctrl_c_between_evals_still_measures_the_eval_loss_once(tmp_path, qa_file, monkeypatch):
    config = tiny_config(tmp_path, qa_file, max_steps=50, eval_every=10, save_every=100)
    _press_ctrl_c_during_step(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        loop.train(config)
    records = [json.loads(line) for line in (config.run_dir / "metrics.jsonl").open()]
    assert records[-2]["step"] == 2 and "eval_loss" not in records[-2]
    assert records[-1] == {"step": 2, "eval_loss": records[-1]["eval_loss"]}
    assert (config.run_dir / "loss.png").is_file()  # the plot shows it beside the start


def test_a_second_ctrl_c_skips_that_eval(tmp_path, qa_file, monkeypatch):
    config = tiny_config(tmp_path, qa_file, max_steps=50, eval_every=10, save_every=100)
    _press_ctrl_c_during_step(monkeypatch, 2)
    real_eval = loop.evaluate_loss

    def pressed_again(model, rows, *args, **kwargs):
        if len(rows) and (config.run_dir / "checkpoints" / "step-000002").exists():
            signal.raise_signal(signal.SIGINT)
        return real_eval(model, rows, *args, **kwargs)

    monkeypatch.setattr(loop, "evaluate_loss", pressed_again)
    with pytest.raises(KeyboardInterrupt, match="checkpoint saved"):
        loop.train(config)
    records = [json.loads(line) for line in (config.run_dir / "metrics.jsonl").open()]
    assert records[-1]["step"] == 2 and "eval_loss" not in records[-1]


def test_ctrl_c_handled_while_the_processes_agree_stops_the_run_at_the_next_step(
    tmp_path, qa_file, monkeypatch
):
    # Python runs a signal handler when the collective summing the stop flags returns: writing
    # the sums back over the process's own flags lost that Ctrl-C, and the run went on for good
    # (the torchrun test of a Ctrl-C on rank 1 timed out on CI).
    config = tiny_config(tmp_path, qa_file, max_steps=50, save_every=100)
    real_total, calls = distributed.total, []

    def ctrl_c_during_the_sum(values, world, device):
        calls.append(sys._getframe(1).f_code.co_name)  # the eval loss sums its own
        summed = real_total(values, world, device)
        if calls.count("agreed") == 3 and calls[-1] == "agreed":
            signal.raise_signal(signal.SIGINT)
        return summed

    monkeypatch.setattr(distributed, "total", ctrl_c_during_the_sum)
    with pytest.raises(KeyboardInterrupt, match="step 4"):
        loop.train(config)
    assert [p.name for p in (config.run_dir / "checkpoints").iterdir()] == ["step-000004"]
    status = json.loads((config.run_dir / "status.json").read_text())
    assert status["status"] == "interrupted" and status["step"] == 4


def test_ctrl_c_during_the_last_step_finishes_the_run(tmp_path, qa_file, monkeypatch):
    # The run had trained every step, yet said "interrupted at step 4 ... Continue with --resume"
    # and exited 130: a resume then trained nothing.
    config = tiny_config(tmp_path, qa_file, max_steps=4, save_every=100)
    config.to_yaml(tmp_path / "run.yaml")
    _press_ctrl_c_during_step(monkeypatch, 4)

    result = CliRunner().invoke(app, ["train", str(tmp_path / "run.yaml")])
    assert result.exit_code == 0, result.output
    assert "done 4 steps" in " ".join(result.output.split())
    assert json.loads((config.run_dir / "status.json").read_text())["status"] == "finished"
