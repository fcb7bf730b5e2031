"""A checkpoint is data, never code: resume loads only tensors and plain values, and a damaged
checkpoint is named and skipped for the one before it."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
import torch

from tests.conftest import tiny_config
from tunelab.errors import TunelabError
from tunelab.train import session
from tunelab.train.loop import train


class TouchesAFile:
    """A pickle payload: unpickled, it creates `path` (harmless, but proof that code ran)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (self.path,))


def _losses(run):
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if "loss" in r]


def test_a_checkpoint_carrying_code_is_refused_and_the_code_never_runs(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    marker = tmp_path / "code-ran"
    optimizer_file = run / "checkpoints" / "step-000002" / "optimizer.pt"
    torch.save({"optimizer": TouchesAFile(marker)}, optimizer_file)

    with pytest.raises(TunelabError, match=r"step-000002/optimizer\.pt") as err:
        train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    assert "\n" not in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("damaged", ["trainable.safetensors", "optimizer.pt"])
def test_a_cut_short_newest_checkpoint_falls_back_to_the_one_before(
    tmp_path, qa_file, damaged, capsys
):
    settings = dict(max_steps=6, save_every=3, batch_size=2)
    straight = train(tiny_config(tmp_path / "a", qa_file, **settings))

    # A copy of that run whose last save was cut short (a full disk, a killed copy).
    config = tiny_config(tmp_path / "b", qa_file, **settings)
    shutil.copytree(straight, config.run_dir)
    shutil.rmtree(config.run_dir / "model")
    cut = config.run_dir / "checkpoints" / "step-000006" / damaged
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    capsys.readouterr()

    resumed = train(config, resume=True)
    said = " ".join(capsys.readouterr().out.split())  # the warning wrapped at the terminal's width
    assert said.count(f"warning: {cut}") == 1
    assert "resuming from the one before, step-000003" in said
    assert _losses(resumed) == pytest.approx(_losses(straight), abs=1e-5)


def test_with_no_complete_checkpoint_resume_names_the_damaged_file(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    (run / "checkpoints" / "step-000002" / "trainable.safetensors").write_bytes(b"")

    with pytest.raises(TunelabError, match=r"step-000002/trainable\.safetensors") as err:
        train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    assert "\n" not in str(err.value)


def test_after_a_fall_back_the_damaged_checkpoint_never_outlives_good_ones(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=6, save_every=3, keep_checkpoints=5))
    cut = run / "checkpoints" / "step-000006" / "optimizer.pt"
    cut.write_bytes(cut.read_bytes()[:100])

    # Back from step 6 to step 3, then on to step 5, keeping one checkpoint: the good one, of
    # the last step.
    train(
        tiny_config(tmp_path, qa_file, max_steps=5, save_every=2, keep_checkpoints=1), resume=True
    )
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["step-000005"]


def test_a_metrics_line_cut_short_by_a_crash_does_not_stop_the_resume(tmp_path, qa_file):
    config = tiny_config(tmp_path, qa_file, max_steps=4, save_every=2)
    run = train(config)
    straight = _losses(run)
    shutil.rmtree(run / "checkpoints" / "step-000004")
    with (run / "metrics.jsonl").open("a") as log:
        log.write('{"step": 5, "lo')  # the disk filled up mid-line

    train(config, resume=True)
    assert _losses(run) == pytest.approx(straight, abs=1e-5)


def test_a_resume_from_an_edited_data_file_is_refused_not_a_new_split(tmp_path, qa_file):
    # Rows added to the file redrew the split on resume: 7 of 8 held-out questions went into
    # training, and held_out.jsonl (written once) named rows the model then trained on.
    run = train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    state = json.loads((run / "checkpoints" / "step-000002" / "state.json").read_text())
    assert state["data_digest"]
    original = qa_file.read_text()
    added = [{"question": f"What is item {i}?", "answer": f"Item {i}."} for i in range(8)]
    qa_file.write_text(original + "".join(json.dumps(row) + "\n" for row in added))
    with pytest.raises(
        TunelabError,
        match=r"the training data changed since its last checkpoint.*split drawn again",
    ):
        train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    qa_file.write_text(original)  # put back: the resume goes on
    train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    assert _losses(run)[:2] == _losses(train(tiny_config(tmp_path / "b", qa_file, max_steps=4)))[:2]


def test_a_resume_from_an_edited_data_file_is_refused_before_the_model_loads(
    tmp_path, qa_file, monkeypatch
):
    # It was refused once the model had loaded: 16.8 s with the 135M model, minutes with a 7B.
    config = tiny_config(tmp_path, qa_file, max_steps=2, save_every=2)
    train(config)
    qa_file.write_text(qa_file.read_text() + '{"question": "Q?", "answer": "A."}\n')
    loaded = []
    monkeypatch.setattr(session, "load_model", lambda *a, **k: loaded.append(a) or 1 / 0)
    with pytest.raises(TunelabError, match="the training data changed since its last checkpoint"):
        train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2), resume=True)
    assert not loaded


def test_a_refused_setting_leaves_no_run_folder_and_a_resume_cannot_go_back_in_steps(
    tmp_path, qa_file
):
    # early_stop_patience with nothing held out was ignored; select_best refused, but only
    # after config.yaml was written, and the next try called the folder "no run".
    for setting in ({"early_stop_patience": 2}, {"select_best": "eval_loss"}):
        config = tiny_config(tmp_path, qa_file, **setting)
        config.data.test_size = 0
        with pytest.raises(TunelabError, match="needs held-out data"):
            train(config)
        assert not config.run_dir.exists()
    # Refused before --overwrite deletes the run already there (it deleted it, then refused).
    kept = train(tiny_config(tmp_path / "kept", qa_file, max_steps=2))
    config = tiny_config(tmp_path / "kept", qa_file, early_stop_patience=2)
    config.data.test_size = 0
    with pytest.raises(TunelabError, match="needs held-out data"):
        train(config, overwrite=True)
    assert (kept / "model").is_dir()
    # A resume with max_steps below the steps done ran nothing and said "finished".
    run = train(tiny_config(tmp_path, qa_file, max_steps=4, save_every=2))
    (run / "model").rename(run / "model-was")  # as a run stopped while writing model/
    with pytest.raises(TunelabError, match=r"already at step 4 of 2"):
        train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2), resume=True)


def test_a_resume_after_a_separate_test_file_changed_goes_on(tmp_path, qa_file):
    # The digest held the test rows too: a fixed typo in data.test_path's answers refused the
    # resume, saying a split would be drawn again where there is none.
    test = tmp_path / "test.jsonl"
    test.write_text('{"question": "What is held out?", "answer": "This row."}\n')
    config = tiny_config(tmp_path, qa_file, max_steps=2, save_every=2)
    config.data.test_path = str(test)
    train(config)
    test.write_text('{"question": "What is held out?", "answer": "This row, fixed."}\n')
    longer = config.model_copy(update={"train": config.train.model_copy(update={"max_steps": 3})})
    assert (train(longer, resume=True) / "model").is_dir()


def test_overwrite_puts_the_old_run_back_when_the_new_one_is_refused_before_it_is_written(
    tmp_path, qa_file
):
    # --overwrite deleted the run first; the new one was then refused (every held-out row
    # dropped as too long) and the old run, checkpoints and all, was gone.
    kept = train(tiny_config(tmp_path, qa_file, max_steps=2))
    long = tmp_path / "long.jsonl"
    long.write_text('{"question": "Why?", "answer": "' + "because " * 300 + '"}\n')
    config = tiny_config(tmp_path, qa_file, max_steps=2, select_best="eval_loss")
    config.data.test_path, config.data.truncation = str(long), "drop"
    with pytest.raises(TunelabError, match="needs held-out data"):
        train(config, overwrite=True)
    assert (kept / "model").is_dir() and (kept / "config.yaml").exists()
    # A SIGTERM (docker stop, Slurm) while the new run loads leaves it too: nothing is deleted
    # before the new run's folder is written.
    import signal

    import tunelab.train.session as session

    def terminated(*args, **kwargs):
        signal.raise_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(SystemExit(143)))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(session, "load_model", terminated)
            with pytest.raises(SystemExit):
                train(tiny_config(tmp_path, qa_file, max_steps=1), overwrite=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert (kept / "model").is_dir() and sorted(p.name for p in kept.parent.iterdir()) == ["t"]
    # A new run that is written replaces it.
    train(tiny_config(tmp_path, qa_file, max_steps=1), overwrite=True)
    assert json.loads((kept / "status.json").read_text())["status"] == "finished"


def test_a_run_still_training_is_neither_replaced_nor_resumed_beside_itself(tmp_path, qa_file):
    # --overwrite deleted the folder of a run still training here, which went on writing its
    # checkpoints into the new run's folder: a config of 2 steps beside a step-5 checkpoint.
    import os
    import socket

    run = train(tiny_config(tmp_path, qa_file, max_steps=2))
    status = {"status": "running", "step": 1, "pid": os.getpid(), "host": socket.gethostname()}
    (run / "status.json").write_text(json.dumps(status))
    for again in ({"overwrite": True}, {"resume": True}):
        with pytest.raises(
            TunelabError, match=f"{run} is being trained now \\(process {os.getpid()}"
        ):
            train(tiny_config(tmp_path, qa_file, max_steps=3), **again)
        assert (run / "model").is_dir() and json.loads((run / "status.json").read_text()) == status
