"""Training under torchrun: two processes (gloo, on CPU) learn exactly what one process learns
from the same micro-batches accumulated, and only rank 0 writes the run folder."""

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
    # call the run finished, nor report the model as done.
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=10**5, save_every=10**5)
    config_path = tmp_path / "run.yaml"
    config.to_yaml(config_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
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


def _torchrun_with_fault(
    tmp_path: Path, config, rank: int | tuple[int, ...], body: str, status: bool = True
):
    site = tmp_path / "site"
    site.mkdir()
    ranks = tuple(map(str, rank if isinstance(rank, tuple) else (rank,)))
    (site / "sitecustomize.py").write_text(FAULT_HOOK.format(body=body, ranks=ranks))
    config.to_yaml(tmp_path / "run.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": f"{site}:{os.getcwd()}"}
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


def test_the_process_group_waits_for_rank_0s_own_work(monkeypatch):
    # Rank 0 alone answers held-out questions and writes checkpoints while the others wait in a
    # collective: NCCL's default 10 minutes killed such a run.
    from datetime import timedelta

    from tunelab.train import distributed

    joined = {}
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: joined.update(k))
    for name, value in {"WORLD_SIZE": "2", "RANK": "1", "MASTER_ADDR": "localhost",
                        "MASTER_PORT": "29500"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)  # what torchrun sets
    world, _ = distributed.start(torch.device("cpu"))
    assert world.rank == 1 and joined["timeout"] >= timedelta(hours=1)


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


@pytest.mark.parametrize(
    "outcome, code, rank",
    [(None, 0, 0), (KeyboardInterrupt, 130, 0), ("terminated", 143, 0), ("refusal", 2, 0),
     ("refusal", 2, 1)],  # a refusal torchrun did not stop on the second process too
)  # fmt: skip
def test_a_torchrun_process_leaves_without_the_interpreters_teardown(
    monkeypatch, outcome, code, rank
):
    # FSDP's DTensor caches keep the gloo group and its threads alive past
    # destroy_process_group; tearing it down with the interpreter aborted rank 1 of a finished
    # run once in CI (SIGABRT), and torchrun then failed the run. Every outcome leaves at once.
    from tunelab.errors import TunelabError
    from tunelab.train import cli, distributed, loop, run_folder
    from tunelab.train.stopping import Terminated

    raised = {"terminated": Terminated(True), "refusal": TunelabError("no such file")}.get(
        outcome, outcome
    )

    def fake_train(*args, **kwargs):
        if raised is not None:
            raise raised

    left = []

    def leave(code):
        left.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(loop, "train", fake_train)
    monkeypatch.setattr(run_folder, "config_from", lambda *args: None)
    monkeypatch.setattr(distributed.os, "_exit", leave)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("LOCAL_RANK", str(rank))
    monkeypatch.setattr(distributed, "leave_refusal_to_first_process", lambda: None)
    with pytest.raises(SystemExit):
        cli.train_command(None)
    assert left == [code]


def test_a_refusal_after_torchruns_sigterm_leaves_at_once_without_saying_it(monkeypatch, capsys):
    # Rank 0 shared its refusal, said it and left; torchrun's SIGTERM reached rank 1 while it was
    # still on its way to the same refusal (in the collective that shares it), was taken by the
    # loop's handler, and rank 1 then waited the 30 s meant for a SIGTERM still to come, until
    # torchrun's SIGKILL (a refusal test took 40 s instead of 10, now and then).
    import signal

    from tunelab.errors import TunelabError
    from tunelab.train import cli, distributed, loop, run_folder
    from tunelab.train.stopping import LauncherStop

    def fake_train(*args, **kwargs):
        with LauncherStop(enabled=True, under_torchrun=True):
            os.kill(os.getpid(), signal.SIGTERM)
            raise TunelabError("no such file")

    left = []

    def leave(code):
        left.append(code)
        raise SystemExit(code)

    def wait_for_sigterm():
        pytest.fail("waited for a SIGTERM that had already come")

    monkeypatch.setattr(loop, "train", fake_train)
    monkeypatch.setattr(run_folder, "config_from", lambda *args: None)
    monkeypatch.setattr(distributed.os, "_exit", leave)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(distributed, "leave_refusal_to_first_process", wait_for_sigterm)
    with pytest.raises(SystemExit):
        cli.train_command(None)
    assert left == [2]
    assert "no such file" not in capsys.readouterr().err  # rank 0 said it


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
    from tunelab.train import distributed

    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(TunelabError) as refused:
        distributed.start(torch.device("cpu"))
    said = str(refused.value)
    assert f"WORLD_SIZE=2 is set but not {missing}" in said
    assert "torchrun --nproc_per_node=2" in said and "unset WORLD_SIZE" in said
