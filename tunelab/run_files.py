"""A run folder's files, and what they say without its config (a run being replaced is read
so): whether it is running, finished, interrupted or failed, which process claims it, its
checkpoints; and the permissions of the files written into it. `tunelab.run.Run` reads a run
through these."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from tunelab.processes import pid_running

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.jsonl"
WEIGHTS = "model"  # the final adapter or weights, with the tokenizer
CHECKPOINTS = "checkpoints"
CHECKPOINT_PREFIX = "step-"
CHECKPOINT_STATE = "state.json"  # a checkpoint's step, counters and launch (train.checkpoint)
BEST = "best"  # the best step's trainable weights, with train.select_best
# The rows data.test_size held out of data.path, as they were there (eval's and compare's test).
HELD_OUT = "held_out.jsonl"
# The shape training read its data as ({"shape": "text"} for raw text): data.shape auto is told
# from the data file, which may since have moved or gone.
DATA_SHAPE = "data_shape.json"
STATUS_FILE = "status.json"  # running, finished, interrupted or failed, and where it stopped
CLAIM_FILE = "claim.json"  # the process training the run, from before its model loads (train.claim)


def run_status(path: Path) -> dict:
    """Run.status of the run folder `path`, read without its config (a run being replaced): as
    status.json says, or running while another live process holds its claim."""
    file = path / STATUS_FILE
    if not file.is_file():
        status = {"status": "finished" if (path / WEIGHTS).is_dir() else "unknown"}
    else:
        status = json.loads(file.read_text(encoding="utf-8"))
        if status["status"] == "running" and not _alive(status.get("host"), status.get("pid")):
            status |= {"status": "failed", "error": "the training process ended unannounced"}
    if holder := claim_holder(path):
        status |= {"status": "running", "pid": holder.get("pid"), "host": holder.get("host")}
        status.pop("error", None)
    return status


def claim_holder(path: Path, others_only: bool = True) -> dict | None:
    """The live process that claimed the run folder `path` to train it (pid, host), else None.
    With others_only, never this process: its own resume reads the status the run is at."""
    try:
        holder = json.loads((path / CLAIM_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except ValueError:  # cut short (a full disk): no claim to honour, and no reason to crash
        return None
    if not isinstance(holder, dict):
        return None
    host, pid = holder.get("host"), holder.get("pid")
    if others_only and host == socket.gethostname() and pid == os.getpid():
        return None
    return holder if _alive(host, pid) else None


def list_checkpoints(folder: Path) -> list[Path]:
    """The step-N folders in a run's checkpoints/ folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.name.startswith(CHECKPOINT_PREFIX) and p.is_dir()
    )


def checkpoint_state(checkpoint: Path) -> dict:
    """A checkpoint's state.json as training wrote it (step, elapsed, wall, launch), read without
    torch; {} where it is missing or damaged (the listing and messages that read it go on)."""
    try:
        state = json.loads((checkpoint / CHECKPOINT_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _alive(host: str | None, pid: int | None) -> bool:
    """Whether the process that wrote a status still runs (unknown on another machine: yes)."""
    if host != socket.gethostname() or pid is None:
        return True
    return pid_running(pid)


def with_umask(path: Path) -> None:
    """Give `path` (or the files in the folder `path`) the permissions the user's umask gives new
    files: safetensors writes through a private temp file (0600), so a teammate or a container
    of another user could read a run's config but not its weights."""
    umask = os.umask(0)
    os.umask(umask)
    for file in path.iterdir() if path.is_dir() else [path]:
        if file.is_file():
            file.chmod(0o666 & ~umask)
