"""Experiment trackers (`train.report_to`) get what metrics.jsonl gets: read back from TensorBoard's
event files, MLflow's local store and wandb's offline run, offline; and status.json says how the run
ended."""

from __future__ import annotations

import importlib.util
import json
import struct

import pytest

from tests.conftest import tiny_config
from tunelab.errors import TunelabError
from tunelab.run import Run
from tunelab.train import loop, metrics_log, session
from tunelab.train.plot import read_metrics


def _same(logged: list[tuple[int, float]], rows: list[dict], key: str) -> None:
    """The tracker holds `key` at the steps metrics.jsonl has it, with its values."""
    steps, values = zip(*sorted(logged))
    assert list(steps) == [r["step"] for r in rows if key in r]
    assert list(values) == pytest.approx([r[key] for r in rows if key in r], rel=1e-6)


def test_tensorboard_and_mlflow_get_the_config_every_row_and_the_files(
    tmp_path, qa_file, monkeypatch
):
    pytest.importorskip("tensorboard")
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.chdir(tmp_path)  # mlflow keeps artefacts in ./mlruns
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    config = tiny_config(tmp_path, qa_file, max_steps=4, report_to=["tensorboard", "mlflow"])
    run = loop.train(config)
    rows = read_metrics(run / "metrics.jsonl")

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    for key in ("loss", "eval_loss", "lr", "tokens_per_s"):
        _same([(e.step, e.value) for e in events.Scalars(key)], rows, key)
    assert [e.step for e in events.Scalars("eval_loss")] == [0, 3, 4]
    assert "loss_plot" in events.Tags()["images"]
    config_text = events.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| train.lr | 0.003 |" in config_text

    client = mlflow.MlflowClient()
    (found,) = client.search_runs(experiment_ids=["0"])
    assert found.info.run_name == "t" and found.info.status == "FINISHED"
    assert found.data.params["train.lr"] == "0.003"
    assert found.data.params["model.name"] == "tiny-random"
    for key in ("loss", "eval_loss"):
        history = client.get_metric_history(found.info.run_id, key)
        _same([(m.step, m.value) for m in history], rows, key)
    artefacts = {a.path for a in client.list_artifacts(found.info.run_id)}
    assert {"loss.png", "config.yaml", "model"} <= artefacts
    model_files = {a.path for a in client.list_artifacts(found.info.run_id, "model")}
    assert "model/adapter_model.safetensors" in model_files  # LoRA: the adapter
    assert Run.open(run).status["status"] == "finished"


@pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason="wandb is not installed")
def test_wandb_offline_gets_the_config_and_the_last_values(tmp_path, qa_file, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    config = tiny_config(tmp_path, qa_file, max_steps=3, report_to="wandb")
    run = loop.train(config)
    rows = read_metrics(run / "metrics.jsonl")
    (log,) = (run / "wandb").glob("offline-run-*/*.wandb")
    records = _wandb_records(log.read_bytes())
    history = [
        {_key(i): json.loads(i.value_json) for i in r.history.item} for r in records["history"]
    ]
    assert [h["loss"] for h in history if "loss" in h] == [r["loss"] for r in rows if "loss" in r]
    assert [h["_step"] for h in history if "eval_loss" in h] == [0, 3]
    assert any(key.startswith("loss_plot/") for h in history for key in h)  # the image
    (started,) = records["run"]
    logged_config = {_key(i): i.value_json for i in started.run.config.update}
    assert started.run.display_name == "t" and json.loads(logged_config["train"])["lr"] == 0.003
    assert records["artifact"][0].artifact.type == "model"
    assert records["exit"][0].exit.exit_code == 0


def _key(item) -> str:
    return item.key or "/".join(item.nested_key)


def _wandb_records(data: bytes) -> dict[str, list]:
    """The records of an offline .wandb file (LevelDB's log format: 32 KiB blocks of chunks, each
    a 7-byte header, after wandb's own 7-byte header), by kind."""
    from wandb.proto import wandb_internal_pb2

    records, chunks, pos = {}, b"", 7
    while pos + 7 <= len(data):
        if (left := 32768 - pos % 32768) < 7:
            pos += left  # a block's tail too short for a header is padding
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunks += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # a record whole, or its last chunk
            record = wandb_internal_pb2.Record.FromString(chunks)
            records.setdefault(record.WhichOneof("record_type"), []).append(record)
            chunks = b""
    return records


def test_a_crash_ends_the_trackers_and_the_status_as_failed(tmp_path, qa_file, monkeypatch):
    pytest.importorskip("tensorboard")
    real, calls = loop.accumulate_gradients, []

    def breaks_at_step_3(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("CUDA out of memory (pretend)")
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "accumulate_gradients", breaks_at_step_3)
    config = tiny_config(tmp_path, qa_file, max_steps=6, report_to="tensorboard")
    with pytest.raises(RuntimeError):
        loop.train(config)
    status = Run.open(config.run_dir).status
    assert status["status"] == "failed" and status["step"] == 2
    assert "out of memory" in status["error"]


def _statuses_seen_by_each_step(config, monkeypatch, resume=False) -> list[tuple[str, int]]:
    """Trains `config` (or resumes it), noting what status.json says as each step begins."""
    real, seen = loop.accumulate_gradients, []

    def notes_the_status(*args, **kwargs):
        status = json.loads((config.run_dir / "status.json").read_text(encoding="utf-8"))
        seen.append((status["status"], status["step"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "accumulate_gradients", notes_the_status)
    loop.train(config, resume=resume)
    return seen


def test_status_json_says_the_step_a_running_training_has_reached(tmp_path, qa_file, monkeypatch):
    """Someone reading status.json mid-run (a dashboard, `cat`) sees the step it is at, not the
    step it started from (here with steps seconds apart)."""
    monkeypatch.setattr(metrics_log, "STATUS_EVERY_S", 0.0)
    seen = _statuses_seen_by_each_step(tiny_config(tmp_path, qa_file, max_steps=4), monkeypatch)
    assert seen == [("running", 0), ("running", 1), ("running", 2), ("running", 3)]


def test_a_fast_run_rewrites_status_json_every_few_seconds_not_every_step(
    tmp_path, qa_file, monkeypatch
):
    """Steps closer together than STATUS_EVERY_S leave status.json as it was (a rewrite per
    step costs a fast GPU run a few %); the end of the run still says its last step."""
    monkeypatch.setattr(metrics_log, "STATUS_EVERY_S", 3600.0)
    config = tiny_config(tmp_path, qa_file, max_steps=4)
    assert _statuses_seen_by_each_step(config, monkeypatch) == [("running", 0)] * 4
    status = Run.open(config.run_dir).status
    assert (status["status"], status["step"]) == ("finished", 4)


def test_a_resumed_run_s_status_json_says_the_step_it_goes_on_from(tmp_path, qa_file, monkeypatch):
    """From its start, not once a row comes: 'running, step 0' at step 2 of 4 (and a Ctrl-C
    before its first step ended said 'interrupted at step 0', what the demo told its user)."""
    monkeypatch.setattr(metrics_log, "STATUS_EVERY_S", 3600.0)
    loop.train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=2))
    config = tiny_config(tmp_path, qa_file, max_steps=4, save_every=2)
    seen = _statuses_seen_by_each_step(config, monkeypatch, resume=True)
    assert seen == [("running", 2), ("running", 2)]


def test_a_missing_tracker_library_names_its_extra_before_any_work(tmp_path, qa_file, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else find_spec(name)
    )
    config = tiny_config(tmp_path, qa_file, report_to=["mlflow"])
    with pytest.raises(TunelabError, match=r"pip install 'tunelab\[mlflow\]'"):
        loop.train(config)
    assert not config.run_dir.exists()


def test_a_tracker_that_cannot_start_is_left_out_with_a_warning(tmp_path, qa_file, monkeypatch):
    # MLflow refusing its store crashed the run after the model and data were loaded, and left a
    # run folder that neither a rerun nor --resume would take.
    from tunelab.train import trackers

    class Refuses:
        def __init__(self, config):
            raise RuntimeError("file store is not supported (pretend)")

    monkeypatch.setattr(trackers, "MLflow", Refuses)
    monkeypatch.setattr(session, "check_trackers", lambda names: None)  # its library is there
    config = tiny_config(tmp_path, qa_file, max_steps=2, report_to="mlflow")
    run = loop.train(config)
    assert Run.open(run).status["status"] == "finished"


def test_a_run_stopped_before_its_first_checkpoint_says_overwrite_starts_it_again(
    tmp_path, qa_file, monkeypatch
):
    def breaks(*args, **kwargs):
        raise RuntimeError("pretend")

    monkeypatch.setattr(loop, "accumulate_gradients", breaks)
    config = tiny_config(tmp_path, qa_file, max_steps=2)
    with pytest.raises(RuntimeError):
        loop.train(config)
    with pytest.raises(TunelabError, match="--overwrite starts it again"):
        loop.train(config)
    with pytest.raises(TunelabError, match="--overwrite starts it again"):
        loop.train(config, resume=True)


def test_report_to_all_is_every_tracker_installed_as_in_transformers(monkeypatch):
    # It asked for all three and refused the run for a wandb it did not have.
    from tunelab.config import TrainConfig

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else find_spec(name)
    )
    names = TrainConfig.model_validate({"report_to": "all"}).report_to
    assert "wandb" not in names
    assert names == [n for n in ("tensorboard", "mlflow") if find_spec(n)]
    assert TrainConfig.model_validate({"report_to": "none"}).report_to == []


def test_report_to_takes_a_comma_list_as_set_writes_one():
    # "tensorboard,mlflow" was one name, refused as "should be 'tensorboard', 'mlflow' or 'wandb'".
    from tunelab.config import Config

    config = Config.from_dict({}, ["train.report_to=tensorboard, mlflow"])
    assert config.train.report_to == ["tensorboard", "mlflow"]
    assert Config.from_dict({}, ["train.report_to=tensorboard,"]).train.report_to == ["tensorboard"]
