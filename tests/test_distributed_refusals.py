"""A refusal under torchrun (a bad setting, a run folder taken, other data on one process, held-out
questions that name no facts, WORLD_SIZE without torchrun) stops every process alike and is said
once, naming why."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from tests.conftest import tiny_config
from tests.test_distributed import _torchrun_with_fault


@pytest.mark.parametrize(
    "refusal, setting",
    [
        ("already exists: it is no run", None),  # rank 0 alone reads the run folder
        ("longer than tiny-random's context", "data.max_length=4096"),  # every process refuses
    ],
)
def test_a_refusal_under_torchrun_is_said_once(tmp_path, qa_file, refusal, setting):
    # Every process printed it, and the others' tracebacks (a collective left by rank 0) buried it.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=2)
    config.to_yaml(tmp_path / "run.yaml")
    if not setting:  # another run's folder, under the same name
        config.run_dir.mkdir(parents=True)
        (config.run_dir / "notes.txt").write_text("another run")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", "-m", "tunelab.cli", "train", str(tmp_path / "run.yaml"),
               *(["--set", setting] if setting else [])]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0 and said.count(refusal) == 1, said[-3000:]
    assert said.count("Traceback") == 1  # torchrun's own, saying a process failed


def test_processes_that_read_other_data_are_refused_at_once(tmp_path, qa_file):
    # A relative data.path read each machine's own copy: the processes counted different steps,
    # and one waited for good in a collective the other never entered.
    config = tiny_config(tmp_path, qa_file, method="full", epochs=2, save_every=100)
    body = """    session = sys.modules["tunelab.train.session"]  # loop imported it
    prepare = session.prepare
    def another_copy_of_the_file(*args, **kwargs):
        data = prepare(*args, **kwargs)
        data.train = data.train + data.train
        return data
    session.prepare = another_copy_of_the_file"""
    done, _ = _torchrun_with_fault(tmp_path, config, 1, body, status=False)
    said = done.stdout + done.stderr
    assert "process 1 sees other data than process 0: training examples 12 against 6" in said
    assert not (config.run_dir / "model").exists()


def test_a_held_out_refusal_stops_every_process_alike(tmp_path, qa_file):
    # Rank 0 alone checked the held-out questions: its refusal left rank 1 to die in a
    # collective ("Connection closed by peer"), a second error that hid the first.
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"question": "Tell me fact 1.", "answer": "Fact 1 is 7."}) + "\n")
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=2, eval_generate_every=2,
                         select_best="fact_accuracy")  # fmt: skip
    config = config.model_copy(
        update={"data": config.data.model_copy(update={"test_path": str(test)})}
    )
    config.to_yaml(tmp_path / "run.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", "-m", "tunelab.cli", "train", str(tmp_path / "run.yaml")]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0 and "name no facts: use select_best: token_f1" in said
    assert "Connection closed" not in said


def test_a_refusal_of_one_process_reading_its_own_data_is_said_by_every_process(tmp_path, qa_file):
    # Rank 1 could not read its machine's copy of the data and left; rank 0 died in DDP's first
    # collective with a gloo traceback ("Connection closed by peer") that never said why, and
    # rank 1, not a machine's first process, said nothing before torchrun stopped it.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=2)
    body = """    from tunelab.errors import TunelabError
    def unreadable(*args, **kwargs):
        raise TunelabError("data.jsonl:3: not valid JSON")
    sys.modules["tunelab.train.session"].prepare = unreadable  # loop imported it"""
    done, _ = _torchrun_with_fault(tmp_path, config, 1, body, status=False)
    said = " ".join((done.stdout + done.stderr).split())
    assert "process 1 of 2 stopped before training: data.jsonl:3: not valid JSON" in said, said[
        -3000:
    ]
    assert "Connection closed by peer" not in said and said.count("Traceback") <= 1


@pytest.mark.parametrize(
    "env, missing",
    [({"WORLD_SIZE": "2"}, "RANK, MASTER_ADDR, MASTER_PORT"),
     ({"WORLD_SIZE": "2", "RANK": "0"}, "MASTER_ADDR, MASTER_PORT")],
)  # fmt: skip
def test_world_size_without_torchrun_names_what_is_missing_and_how_to_launch(
    monkeypatch, env, missing
):
    # A WORLD_SIZE left exported in a shell (or set by a job script) without torchrun's other
    # variables stopped on a bare KeyError 'RANK', or torch's MASTER_ADDR ValueError.
    from tunelab.errors import TunelabError
    from tunelab.train.parallel import distributed

    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(TunelabError) as refused:
        distributed.start(torch.device("cpu"))
    said = str(refused.value)
    assert f"WORLD_SIZE=2 is set but not {missing}" in said
    assert "torchrun --nproc_per_node=2" in said and "unset WORLD_SIZE" in said


def test_a_note_on_the_data_is_said_once_under_torchrun(tmp_path, qa_file):
    # Each process reads the data, and each said the bad rows it skipped: 8 times on 8 GPUs.
    from tests.test_distributed import _torchrun

    with_bad_row = tmp_path / "qa.jsonl"
    with_bad_row.write_text(qa_file.read_text() + '{"question": "Cut short", "answer": \n')
    config = tiny_config(tmp_path, with_bad_row, max_steps=1)
    config.data.on_error = "skip"
    config.to_yaml(tmp_path / "run.yaml")
    done = _torchrun(str(tmp_path / "run.yaml"))
    said = " ".join((done.stdout + done.stderr).split())
    assert said.count("skipped 1 bad row(s)") == 1, said[-3000:]
