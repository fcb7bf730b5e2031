"""Resume acts on the run folder given, applies the settings that may change (length, schedule)
and refuses by name those that change what the checkpoint holds."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_config
from tunelab.cli import app
from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.train.loop import train


def _records(run):
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if "loss" in r]


def _tunelab(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("given", ["folder", "its config.yaml"])
def test_a_copied_run_resumes_into_the_folder_given(tmp_path, qa_file, given):
    a = train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2, keep_checkpoints=5))
    b = a.parent / "b"  # cp -r runs/t runs/b, then b stopped at step 2
    shutil.copytree(a, b)
    shutil.rmtree(b / "checkpoints" / "step-000004")
    shutil.rmtree(b / "model")
    a_log = (a / "metrics.jsonl").read_text()

    result = _tunelab("train", b if given == "folder" else b / "config.yaml", "--resume")
    assert result.exit_code == 0, result.output
    assert (b / "checkpoints" / "step-000004").is_dir() and (b / "model").is_dir()
    assert [r["step"] for r in _records(b)] == [1, 2, 3, 4]
    assert (a / "metrics.jsonl").read_text() == a_log
    assert Config.from_yaml(b / "config.yaml").run_dir == b


@pytest.mark.parametrize("given", ["folder", "its config.yaml"])
def test_a_new_name_for_a_run_folder_starts_a_new_run_and_leaves_the_source_as_it_was(
    tmp_path, qa_file, given
):
    # The folder's own name was put back over --set name=fresh: refused as "exists", and with
    # --overwrite the source run was trained again from step 0 into itself, its checkpoints lost.
    src = train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2, keep_checkpoints=5))
    kept = {p.relative_to(src): p.read_bytes() for p in src.rglob("*") if p.is_file()}
    source = src if given == "folder" else src / "config.yaml"
    for extra in ([], ["--overwrite"]):
        result = _tunelab(
            "train", source, "--set", "name=fresh", "--set", "train.max_steps=2", *extra
        )
        assert result.exit_code == 0, result.output
        fresh = src.parent / "fresh"
        assert [r["step"] for r in _records(fresh)] == [1, 2]
        assert (
            Config.from_yaml(fresh / "config.yaml").data.path
            == Config.from_yaml(src / "config.yaml").data.path
        )
        assert {p.relative_to(src): p.read_bytes() for p in src.rglob("*") if p.is_file()} == kept
    elsewhere = tmp_path / "other"
    result = _tunelab(
        "train", source, "--set", f"output_dir={elsewhere}", "--set", "train.max_steps=1"
    )
    assert result.exit_code == 0, result.output
    assert (elsewhere / src.name / "model").is_dir()
    # Its own name again is the run itself: refused without --resume or --overwrite, as before.
    result = _tunelab("train", source, "--set", f"name={src.name}")
    assert isinstance(result.exception, TunelabError) and "--resume" in str(result.exception)


def test_more_steps_and_a_new_lr_on_resume_apply_from_the_resume_step(tmp_path, qa_file):
    run = train(
        tiny_config(tmp_path, qa_file, max_steps=3, save_every=3, lr=3e-3, scheduler="constant")
    )
    result = _tunelab(
        "train", run, "--resume", "--set", "train.lr=1e-3", "--set", "train.max_steps=6"
    )
    assert result.exit_code == 0, result.output
    # Said, as a Hugging Face Trainer user expects the checkpoint's schedule to go on.
    said = " ".join(result.output.split())
    assert "train.lr 0.003 → 0.001, train.max_steps 3 → 6: they apply from step 3 on" in said
    lrs = [r["lr"] for r in _records(run)]
    assert lrs == pytest.approx([3e-3] * 3 + [1e-3] * 3)
    assert Config.from_yaml(run / "config.yaml").train.lr == 1e-3


def test_more_epochs_on_resume_continue_training(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=None, epochs=1, batch_size=1))
    one_epoch = _records(run)[-1]["step"]

    result = _tunelab("train", run, "--resume", "--set", "train.epochs=2")
    assert result.exit_code == 0, result.output
    records = _records(run)
    assert records[-1]["step"] == 2 * one_epoch and records[-1]["epoch"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    "change",
    ["train.lora.r=4", "train.method=full", "data.max_length=64", "train.batch_size=1"],
)
def test_a_change_to_what_the_checkpoint_holds_is_refused_by_name(tmp_path, qa_file, change):
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    saved = (run / "config.yaml").read_text()
    key = change.split("=")[0]

    config = Config.from_yaml(run / "config.yaml", [change, "train.max_steps=4"])
    with pytest.raises(TunelabError, match=re.escape(key)) as err:
        train(config, resume=True)
    assert "\n" not in str(err.value) and "max_steps" not in str(err.value)
    assert (run / "config.yaml").read_text() == saved


def test_a_run_that_died_writing_its_final_model_resumes_to_write_it(
    tmp_path, qa_file, monkeypatch
):
    from tunelab.train import finish, session

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device (simulated)")

    config = tiny_config(tmp_path, qa_file, max_steps=2, save_every=2)
    monkeypatch.setattr(finish, "save_final", disk_full)
    with pytest.raises(OSError, match="simulated"):
        train(config)
    status = json.loads((config.run_dir / "status.json").read_text())  # it said "running"
    assert status["status"] == "failed" and "No space left on device" in status["error"]
    monkeypatch.undo()

    run = train(config, resume=True)  # its last checkpoint is at the end: nothing to train
    assert (run / "model" / "adapter_model.safetensors").is_file()
    assert [r["step"] for r in _records(run)] == [1, 2]

    # Finished now. Its length is max_steps's: raising train.epochs would change nothing, and
    # the message said to raise either. Said before the model loads (the embedded model's load
    # took a minute first).
    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(session, "load_model", no_load)
    with pytest.raises(
        TunelabError, match=r"already at step 2 of 2: raise train.max_steps \(set to 2"
    ):
        train(config, resume=True)


def test_a_run_of_epochs_all_done_is_refused_a_resume_before_its_model_loads(
    tmp_path, qa_file, monkeypatch
):
    # With train.epochs alone the run's length was known only once the data was tokenized,
    # after the model had loaded (a minute for the embedded model) to be refused.
    from tunelab.train import session

    config = tiny_config(tmp_path, qa_file, max_steps=None, epochs=1)
    run = train(config)
    steps = len(_records(run))

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(session, "load_model", no_load)
    with pytest.raises(TunelabError) as refused:
        train(config, resume=True)
    assert str(refused.value) == (
        f"{run} is already at step {steps} of {steps}: raise train.epochs (or set "
        "train.max_steps) to train further"
    )
    monkeypatch.undo()

    longer = config.model_copy(update={"train": config.train.model_copy(update={"epochs": 2})})
    train(longer, resume=True)
    assert [r["step"] for r in _records(run)] == list(range(1, 2 * steps + 1))


def test_a_checkpoint_a_newer_tunelab_wrote_resumes_its_fields_unknown_here_left_out(
    tmp_path, qa_file
):
    # An older tunelab read a field it did not know (as `wall` once was) as damage, and refused
    # every checkpoint of the run: "start the run again (--overwrite)".
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    state = run / "checkpoints" / "step-000002" / "state.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "kept_later": 1}))
    train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    assert [r["step"] for r in _records(run)] == [1, 2, 3, 4]


def test_a_run_resumed_from_a_checkpoint_without_wall_counts_its_steps_before_in_its_time(
    tmp_path, qa_file
):
    # A checkpoint an older tunelab wrote kept its steps' time (here 1000 s) but no `wall`: the
    # resume's wall counted the resumed part alone, and `tunelab runs` listed the steps' time.
    import tunelab

    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    state = run / "checkpoints" / "step-000002" / "state.json"
    older = {k: v for k, v in json.loads(state.read_text()).items() if k != "wall"}
    state.write_text(json.dumps({**older, "elapsed": 1000.0}))
    train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    kept = json.loads((run / "checkpoints" / "step-000004" / "state.json").read_text())
    assert kept["wall"] > kept["elapsed"] > 1000.0  # the resumed loop's evals on top
    [row] = tunelab.runs([run])
    assert row["time_s"] == pytest.approx(kept["wall"], abs=0.001)  # metrics round to ms
