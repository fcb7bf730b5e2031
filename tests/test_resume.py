"""Checkpoints resume to the same losses and weights as an uninterrupted run."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import tiny_config
from tunelab.errors import TunelabError
from tunelab.train.loop import train


def _losses(run):
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if "loss" in r]


def test_ten_steps_straight_equal_five_then_resume_five(tmp_path, qa_file):
    settings = dict(max_steps=10, save_every=5, keep_checkpoints=5, batch_size=2)
    straight = train(tiny_config(tmp_path / "a", qa_file, **settings))

    # A run that stopped after step 5: its step-5 checkpoint is all that survives.
    config = tiny_config(tmp_path / "b", qa_file, **settings)
    shutil.copytree(straight, config.run_dir)
    for extra in ["model", "checkpoints/step-000010"]:
        shutil.rmtree(config.run_dir / extra)
    resumed = train(config, resume=True)

    assert _losses(resumed) == pytest.approx(_losses(straight), abs=1e-5)
    a = load_file(straight / "model" / "adapter_model.safetensors")
    b = load_file(resumed / "model" / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-6, rtol=1e-5)


def test_checkpoints_are_complete_and_pruned(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=6, save_every=2, keep_checkpoints=2))
    kept = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert kept == ["step-000004", "step-000006"]
    state = json.loads((run / "checkpoints/step-000006/state.json").read_text())
    assert state["step"] == 6 and state["tokens"] > 0
    assert (run / "loss.png").stat().st_size > 1000
    assert (run / "config.yaml").exists()
    first = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    assert first["step"] == 0 and first["eval_loss"] > 0  # the model before any update


def test_existing_run_is_not_overwritten_by_accident(tmp_path, qa_file):
    config = tiny_config(tmp_path, qa_file, max_steps=1)
    train(config)
    with pytest.raises(TunelabError, match="already exists"):
        train(config)


def test_a_run_folder_that_cannot_be_written_is_refused_before_training(tmp_path, qa_file):
    # An output_dir that is a file was a NotADirectoryError traceback, after the model loaded.
    (tmp_path / "runs").write_text("not a folder")
    with pytest.raises(TunelabError, match=r"cannot write .*runs/t: .*runs is a file, not a"):
        train(tiny_config(tmp_path, qa_file, max_steps=1))
    config = tiny_config(tmp_path / "elsewhere", qa_file, max_steps=1)
    config.run_dir.parent.mkdir(parents=True)
    config.run_dir.write_text("a file named as the run")
    with pytest.raises(TunelabError, match=r"runs/t is a file, not a run folder"):
        train(config)


def test_resuming_a_run_that_is_not_there_says_so(tmp_path, qa_file):
    # It said "no checkpoint to resume from; --overwrite starts it again" of a mistyped name.
    with pytest.raises(TunelabError, match=r"runs/t: no such run to resume; without --resume"):
        train(tiny_config(tmp_path, qa_file, max_steps=1), resume=True)


def test_nan_loss_stops_with_a_clear_message(tmp_path, qa_file):
    config = tiny_config(tmp_path, qa_file, max_steps=4, lr=1e30, save_every=1, method="full")
    with pytest.raises(TunelabError, match="NaN/inf at step") as err:
        train(config)
    assert "last good checkpoint" in str(err.value)


def test_a_crash_keeps_the_steps_done_and_resume_finishes_like_a_straight_run(
    tmp_path, qa_file, monkeypatch
):
    settings = dict(max_steps=6, save_every=100, batch_size=2)
    straight = train(tiny_config(tmp_path / "a", qa_file, **settings))

    from tunelab.train import loop

    real, calls = loop.accumulate_gradients, []

    def fails_on_step_5(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("CUDA out of memory (simulated)")
        return real(*args, **kwargs)

    config = tiny_config(tmp_path / "b", qa_file, **settings)
    monkeypatch.setattr(loop, "accumulate_gradients", fails_on_step_5)
    with pytest.raises(RuntimeError, match="simulated"):
        train(config)
    # No checkpoint was due before step 100; the crash saved the 4 steps done.
    assert [p.name for p in (config.run_dir / "checkpoints").iterdir()] == ["step-000004"]

    monkeypatch.setattr(loop, "accumulate_gradients", real)
    resumed = train(config, resume=True)
    assert _losses(resumed) == pytest.approx(_losses(straight), abs=1e-5)


def test_a_crash_inside_a_step_resumes_with_that_steps_dropout(tmp_path, qa_file, monkeypatch):
    # The crash comes after the step's forward passes drew their dropout masks from the RNG.
    settings = dict(max_steps=4, save_every=100, lora={"dropout": 0.3})
    straight = train(tiny_config(tmp_path / "a", qa_file, **settings))

    from tunelab.train import loop

    real, calls = loop.accumulate_gradients, []

    def fails_after_step_3s_backward(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        if len(calls) == 3:
            raise RuntimeError("CUDA out of memory (simulated)")
        return result

    config = tiny_config(tmp_path / "b", qa_file, **settings)
    monkeypatch.setattr(loop, "accumulate_gradients", fails_after_step_3s_backward)
    with pytest.raises(RuntimeError, match="simulated"):
        train(config)
    monkeypatch.setattr(loop, "accumulate_gradients", real)
    resumed = train(config, resume=True)
    assert _losses(resumed) == pytest.approx(_losses(straight), abs=1e-5)


def test_a_finished_run_continues_with_resume_like_one_straight_run(tmp_path, qa_file):
    # The README's "continue a run" failed on a run shorter than save_every ("no checkpoint to
    # resume from"), and a longer one went back to its last scheduled checkpoint.
    settings = dict(save_every=100, scheduler="constant", batch_size=2)
    straight = train(tiny_config(tmp_path / "a", qa_file, max_steps=6, **settings))
    config = tiny_config(tmp_path / "b", qa_file, max_steps=4, **settings)
    train(config)
    assert sorted(p.name for p in (config.run_dir / "checkpoints").iterdir()) == ["step-000004"]
    resumed = train(config.model_copy(update={"train": config.train.model_copy(
        update={"max_steps": 6})}), resume=True)  # fmt: skip
    losses = [
        [r["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()
         if "loss" in (r := json.loads(line))]
        for run in (straight, resumed)
    ]  # fmt: skip
    assert losses[1] == losses[0] and len(losses[0]) == 6


def test_save_at_end_may_change_on_resume(tmp_path, qa_file):
    # It decides what is saved, not what a checkpoint holds: the demo's runs (off) could not be
    # resumed with it on.
    config = tiny_config(tmp_path, qa_file, max_steps=4, save_every=2, save_at_end=False)
    train(config)
    longer = config.train.model_copy(update={"max_steps": 5, "save_at_end": True})
    run = train(config.model_copy(update={"train": longer}), resume=True)
    assert sorted(p.name for p in (run / "checkpoints").iterdir())[-1] == "step-000005"


def test_a_resume_that_only_writes_the_model_says_so_not_a_nan_loss(tmp_path, qa_file, capsys):
    # Killed while writing model/ after the last step: the resume trains nothing more.
    config = tiny_config(tmp_path, qa_file, max_steps=2, save_every=100)
    train(config)
    status = config.run_dir / "status.json"
    status.write_text(json.dumps({**json.loads(status.read_text()), "status": "failed"}))
    capsys.readouterr()
    train(config, resume=True)
    said = " ".join(capsys.readouterr().out.split())
    assert "done 2 steps, no step left" in said and "nan" not in said


def test_a_resume_that_changes_settings_keeps_the_ones_before_it(tmp_path, qa_file):
    # config.yaml ("everything needed to reproduce it") held only the resume's settings.
    config = tiny_config(tmp_path, qa_file, max_steps=2, save_every=100, lr=3e-3)
    train(config)
    before = (config.run_dir / "config.yaml").read_text()
    longer = config.train.model_copy(update={"max_steps": 4, "lr": 1e-3})
    train(config.model_copy(update={"train": longer}), resume=True)
    assert (config.run_dir / "config.until-step-000002.yaml").read_text() == before
    assert "lr: 0.001" in (config.run_dir / "config.yaml").read_text()
    names = sorted(p.name for p in config.run_dir.glob("config*.yaml"))
    assert names == ["config.until-step-000002.yaml", "config.yaml"]
    # Resumed from step 2 again (the first resume lost its steps): step 2's settings stay.
    shutil.rmtree(config.run_dir / "checkpoints" / "step-000004")
    status = config.run_dir / "status.json"
    status.write_text(json.dumps({**json.loads(status.read_text()), "status": "failed"}))
    other = config.train.model_copy(update={"max_steps": 4, "lr": 5e-4})
    train(config.model_copy(update={"train": other}), resume=True)
    assert (config.run_dir / "config.until-step-000002.yaml").read_text() == before


def test_an_overflowing_gradient_stops_before_it_reaches_the_weights(tmp_path, qa_file):
    # A finite loss, a NaN gradient norm: the step wrote NaN into every weight, and the next
    # checkpoint, named "the last good one", held them.
    from safetensors.torch import load_file

    config = tiny_config(
        tmp_path, qa_file, max_steps=4, lr=1e30, max_grad_norm=1e30, save_every=1, method="full"
    )
    with pytest.raises(TunelabError, match=r"NaN/inf at step \d") as err:
        train(config)
    good = str(err.value).split("the last good checkpoint is ")[1].split(".")[0]
    weights = load_file(next((config.run_dir / "checkpoints" / good).glob("*.safetensors")))
    assert all(torch.isfinite(w).all() for w in weights.values())
