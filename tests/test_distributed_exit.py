"""A torchrun process joins its group with time for rank 0's own work, and leaves at once with its
outcome's exit code, without the interpreter's teardown or a wait for a SIGTERM already come."""

from __future__ import annotations

import os

import pytest
import torch


def test_the_process_group_waits_for_rank_0s_own_work(monkeypatch):
    # Rank 0 alone answers held-out questions and writes checkpoints while the others wait in a
    # collective: NCCL's default 10 minutes killed such a run.
    from datetime import timedelta

    from tunelab.train.parallel import distributed

    joined = {}
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: joined.update(k))
    for name, value in {"WORLD_SIZE": "2", "RANK": "1", "MASTER_ADDR": "localhost",
                        "MASTER_PORT": "29500"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)  # what torchrun sets
    world, _ = distributed.start(torch.device("cpu"))
    assert world.rank == 1 and joined["timeout"] >= timedelta(hours=1)


@pytest.mark.parametrize(
    "outcome, code, rank",
    [(None, 0, 0), (KeyboardInterrupt, 130, 0), ("terminated", 143, 0), ("refusal", 2, 0),
     ("refusal", 2, 1)],  # a refusal torchrun did not stop on the second process too
)  # fmt: skip
def test_a_torchrun_process_leaves_without_the_interpreters_teardown(
    monkeypatch, tmp_path, outcome, code, rank
):
    # FSDP's DTensor caches keep the gloo group and its threads alive past
    # destroy_process_group; tearing it down with the interpreter aborted rank 1 of a finished
    # run once in CI (SIGABRT), and torchrun then failed the run. Every outcome leaves at once.
    from tunelab.errors import TunelabError
    from tunelab.train import cli, loop, run_config
    from tunelab.train.parallel import distributed
    from tunelab.train.stopping import Terminated

    raised = {"terminated": Terminated(True), "refusal": TunelabError("no such file")}.get(
        outcome, outcome
    )

    def fake_train(*args, **kwargs):
        if raised is not None:
            raise raised
        # The run folder: the next-step line asks whether it trained on questions.
        (tmp_path / "config.yaml").write_text("name: r\n", encoding="utf-8")
        (tmp_path / "data_shape.json").write_text('{"shape": "qa"}', encoding="utf-8")
        return str(tmp_path)

    left = []

    def leave(code):
        left.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(loop, "train", fake_train)
    monkeypatch.setattr(run_config, "config_from", lambda *args: None)
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
    from tunelab.train import cli, loop, run_config
    from tunelab.train.parallel import distributed
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
    monkeypatch.setattr(run_config, "config_from", lambda *args: None)
    monkeypatch.setattr(distributed.os, "_exit", leave)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(distributed, "leave_refusal_to_first_process", wait_for_sigterm)
    with pytest.raises(SystemExit):
        cli.train_command(None)
    assert left == [2]
    assert "no such file" not in capsys.readouterr().err  # rank 0 said it


def test_a_left_group_lives_until_the_process_ends():
    # Freeing a gloo group joins its threads while holding the GIL, and a thread still dropping
    # the last collective's tensors waits for the GIL: a torchrun process hung as train()
    # returned and DDP freed the group (a CI run stopped at its 300 s timeout).
    import gc
    import weakref

    from tunelab.train.parallel import distributed

    world, _ = distributed.start(torch.device("cpu"), "fsdp")  # a group of one process
    group = weakref.ref(distributed.dist.group.WORLD)
    distributed.stop(world, "fsdp")
    gc.collect()
    assert not distributed.dist.is_initialized() and group() is not None
