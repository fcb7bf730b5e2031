"""A resume keeps the rows an optimizer step takes (processes × grad_accum × batch_size): its step
count and learning-rate schedule count steps of that size."""

from __future__ import annotations

import json

import pytest

from tests.conftest import tiny_config
from tunelab.errors import TunelabError
from tunelab.run import resume_command
from tunelab.train.loop import train


def _as_if_launched_on(run, processes: int | None, grad_accum: int | None) -> None:
    """Make run's checkpoint say it was written by `processes` processes on one machine (None: a
    checkpoint from before tunelab saved them)."""
    for state_file in (run / "checkpoints").glob("step-*/state.json"):
        state = json.loads(state_file.read_text())
        state.update(processes=processes, grad_accum=grad_accum, per_machine=processes)
        state_file.write_text(json.dumps(state))


def test_a_resume_that_changes_the_rows_of_a_step_is_refused_saying_how_to_keep_them(
    tmp_path, qa_file
):
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    state = json.loads((run / "checkpoints/step-000002/state.json").read_text())
    assert (state["processes"], state["grad_accum"]) == (1, 1)

    longer = tiny_config(tmp_path, qa_file, max_steps=4, save_every=2, grad_accum=2)
    with pytest.raises(TunelabError) as refusal:
        train(longer, resume=True)
    message = str(refusal.value)
    assert "1 process(es) × grad_accum 1 × batch_size 2 = 2 rows a step" in message
    assert "1 × grad_accum 2 × batch_size 2 = 4" in message
    assert f"`tunelab train {run} --resume --set train.grad_accum=1`" in message


def test_a_torchrun_checkpoint_resumed_on_one_process_names_torchrun_or_grad_accum(
    tmp_path, qa_file
):
    # `tunelab train runs/x --resume`, as a stopped torchrun run printed, trained half the batch
    # for twice the steps from the old step on: the lr jumped and nothing was said.
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    _as_if_launched_on(run, processes=2, grad_accum=1)
    with pytest.raises(TunelabError) as refusal:
        train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    message = str(refusal.value)
    assert "2 process(es) × grad_accum 1 × batch_size 2 = 4 rows a step" in message
    assert f"`torchrun --nproc_per_node 2 -m tunelab.cli train {run} --resume`" in message
    assert "on these 1, --set train.grad_accum=2" in message

    # Fewer processes accumulating more keep the rows: that resume goes on.
    train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2, grad_accum=2), resume=True)
    state = json.loads((run / "checkpoints/step-000004/state.json").read_text())
    assert (state["step"], state["processes"], state["grad_accum"]) == (4, 1, 2)


def test_a_checkpoint_from_before_the_batch_was_saved_still_resumes(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    _as_if_launched_on(run, processes=None, grad_accum=None)
    train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2, grad_accum=2), resume=True)
    assert (run / "checkpoints/step-000004").is_dir()


def test_the_resume_command_is_the_launch_the_run_had(tmp_path):
    run = tmp_path / "runs/x"
    assert resume_command(run, 1) == f"tunelab train {run} --resume"
    assert (
        resume_command(run, 2) == f"torchrun --nproc_per_node 2 -m tunelab.cli train {run} --resume"
    )
    assert resume_command(run, 16, 8).startswith("torchrun --nnodes 2 --nproc_per_node 8 -m")


def test_a_finished_run_resumed_with_another_step_size_is_told_the_setting_not_to_train_longer(
    tmp_path, qa_file, monkeypatch
):
    # Its length counted in steps of the new size read as no step left: "raise
    # train.max_steps", which changed nothing.
    from tunelab.train import session

    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(session, "load_model", no_load)
    with pytest.raises(TunelabError) as refusal:
        train(tiny_config(tmp_path, qa_file, max_steps=2, batch_size=4), resume=True)
    message = str(refusal.value)
    assert "cannot change train.batch_size 2 → 4 on resume" in message
    assert (
        "(its checkpoint was trained with the old value; train.batch_size sets what a step is,"
        in message
    )
    assert "max_steps" not in message

    with pytest.raises(TunelabError) as refusal:
        train(tiny_config(tmp_path, qa_file, max_steps=2, grad_accum=2), resume=True)
    message = str(refusal.value)
    assert "grad_accum 1 × batch_size 2 = 2 rows a step" in message
    assert f"`tunelab train {run} --resume --set train.grad_accum=1`" in message


def test_a_run_resumed_on_another_base_model_is_refused_before_the_model_loads(
    tmp_path, qa_file, monkeypatch
):
    # `tunelab train runs/a --resume --set model.name=runs/b` went on: the built-in name saved was
    # taken for a base model's folder since moved, and the run continued on other weights.
    from tunelab.train import session

    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    other_base = train(tiny_config(tmp_path, qa_file, max_steps=1).model_copy(update={"name": "b"}))

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(session, "load_model", no_load)
    resumed = tiny_config(tmp_path, qa_file, max_steps=3)
    resumed = resumed.model_copy(
        update={"model": resumed.model.model_copy(update={"name": str(other_base)})}
    )
    with pytest.raises(TunelabError) as refusal:
        train(resumed, resume=True)
    assert f"{run}: cannot change model.name 'tiny-random' → '{other_base}'" in str(refusal.value)
