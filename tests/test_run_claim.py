"""A run folder is claimed by the process that trains it before its model loads: a second
`tunelab train --overwrite` or `--resume` of the run is refused from the first moment, not only
once status.json says "running" (after the model and data have loaded)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import tiny_config
from tunelab.errors import TunelabError
from tunelab.run_files import CLAIM_FILE, claim_holder, run_status
from tunelab.train.loop import train

# Trains the run of tiny_config(tmp_path, qa_file) with its model load held until killed.
LOADS_FOREVER = """
import sys, time
from pathlib import Path
import tunelab.train.session as session
from tests.conftest import tiny_config
from tunelab.train.loop import train

def load_model(*args, **kwargs):
    Path(sys.argv[3]).touch()
    time.sleep(300)

session.load_model = load_model
train(tiny_config(Path(sys.argv[1]), Path(sys.argv[2])), overwrite=True)
"""


def test_a_run_loading_its_model_in_another_process_is_not_trained_beside_it(tmp_path, qa_file):
    run = train(tiny_config(tmp_path, qa_file, max_steps=2))
    loading = tmp_path / "loading"
    other = subprocess.Popen(
        [sys.executable, "-c", LOADS_FOREVER, str(tmp_path), str(qa_file), str(loading)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    try:
        waited = 0.0
        while not loading.exists() and other.poll() is None and waited < 240:
            time.sleep(0.2)
            waited += 0.2
        assert loading.exists(), "the other process never reached its model load"
        assert run_status(run)["status"] == "running"  # `tunelab runs` says so too
        for again in ({"overwrite": True}, {"resume": True}):
            with pytest.raises(TunelabError, match=f"being trained now \\(process {other.pid} "):
                train(tiny_config(tmp_path, qa_file, max_steps=3), **again)
        assert (run / "model").is_dir()  # the finished run is as it was
    finally:
        other.kill()
        other.wait()
    # Killed, it never gave its claim back: that claim holds nothing, and the run trains.
    assert claim_holder(run) is None
    train(tiny_config(tmp_path, qa_file, max_steps=2), overwrite=True)
    assert run_status(run)["status"] == "finished" and not (run / CLAIM_FILE).exists()


def no_links(*_):
    raise PermissionError("hard links are not supported here")


# A file system without hard links (os.link refused) still claims, though not atomically.
@pytest.mark.parametrize("link", [os.link, no_links], ids=["hard links", "no hard links"])
def test_the_claim_comes_before_the_model_loads_and_a_refused_run_leaves_no_folder(
    tmp_path, qa_file, monkeypatch, link
):
    import tunelab.train.session as session

    monkeypatch.setattr(os, "link", link)
    config = tiny_config(tmp_path, qa_file)
    held_by = []

    def refused(*args, **kwargs):
        held_by.append(claim_holder(config.run_dir, others_only=False))
        raise TunelabError("no such model")

    monkeypatch.setattr(session, "load_model", refused)
    with pytest.raises(TunelabError, match="no such model"):
        train(config)
    assert held_by[0]["pid"] == os.getpid()
    assert not config.run_dir.exists()


def test_overwrite_keeps_its_claim_while_it_replaces_the_run(tmp_path, qa_file, monkeypatch):
    import tunelab.train.session as session

    run = train(tiny_config(tmp_path, qa_file, max_steps=2))
    replace = session.replace_run_dir

    def replaced_then_seen(run_dir):
        replace(run_dir)
        assert sorted(p.name for p in run_dir.iterdir()) == [CLAIM_FILE]
        assert json.loads((run_dir / CLAIM_FILE).read_text())["pid"] == os.getpid()

    monkeypatch.setattr(session, "replace_run_dir", replaced_then_seen)
    train(tiny_config(tmp_path, qa_file, max_steps=1), overwrite=True)
    assert run_status(run)["step"] == 1 and not (run / CLAIM_FILE).exists()


def test_a_launch_killed_while_loading_leaves_a_claim_the_next_launch_takes_over(tmp_path, qa_file):
    import socket

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    config = tiny_config(tmp_path, qa_file, max_steps=1)
    config.run_dir.mkdir(parents=True)
    claim = {"pid": ended.pid, "host": socket.gethostname(), "time": time.time()}
    (config.run_dir / CLAIM_FILE).write_text(json.dumps(claim))
    # Not "runs/t already exists: it is no run": a claim alone is a launch that never trained.
    run = train(config)
    assert run_status(run)["status"] == "finished" and not (run / CLAIM_FILE).exists()


def test_a_claim_cut_short_is_no_claim_and_the_run_trains(tmp_path, qa_file):
    config = tiny_config(tmp_path, qa_file, max_steps=1)
    config.run_dir.mkdir(parents=True)
    (config.run_dir / CLAIM_FILE).write_text('{"pid": 12', encoding="utf-8")  # a full disk
    assert claim_holder(config.run_dir) is None
    train(config)
    assert run_status(config.run_dir)["status"] == "finished"
