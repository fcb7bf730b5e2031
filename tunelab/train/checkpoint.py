"""Checkpoints that resume to the same losses: trainable weights, optimizer, RNG states and data
position, written to a temporary folder and renamed into place (never half-written).

A checkpoint is data, never code: its .pt file holds only tensors and plain values and is loaded
with `weights_only=True`, so a run folder copied from someone else cannot run anything on resume.
The learning-rate schedule is not saved: it follows from the step and the run's settings."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from tunelab.errors import TunelabError
from tunelab.processes import pid_running
from tunelab.run_files import CHECKPOINT_PREFIX, CHECKPOINT_STATE, list_checkpoints, with_umask

WEIGHTS, OPTIMIZER, STATE = "trainable.safetensors", "optimizer.pt", CHECKPOINT_STATE


@dataclass
class TrainState:
    step: int = 0  # optimizer steps done
    epoch: int = 0  # data position: the next micro-batch is (epoch, batch)
    batch: int = 0
    tokens: int = 0  # trained tokens so far
    input_tokens: int = 0  # non-padding tokens seen so far (prompt included)
    best_eval: float | None = None
    evals_without_improvement: int = 0
    elapsed: float = 0.0  # seconds in the steps alone
    # Seconds in the loop, its evals and held-out answers included (0 in checkpoints from before
    # it was kept): a run mostly of eval loss took minutes where its steps took seconds.
    wall: float = 0.0
    # What a step took: processes x grad_accum micro-batches of batch_size rows (None in
    # checkpoints from before they were saved); a resume must keep the rows a step takes.
    processes: int | None = None
    grad_accum: int | None = None
    per_machine: int | None = None  # processes on each machine: the resume's torchrun launch
    # The tokenized training examples' digest (`pipeline.fingerprint`): a resume from an edited
    # data file would take other rows (and redraw a test_size split, held-out rows into it).
    data_digest: str | None = None
    # The rows an epoch takes (packed or not): with train.epochs alone a resume knows the run's
    # length from them before the model loads (None in checkpoints from before they were kept).
    rows: int | None = None


@dataclass
class Checkpoint:
    """One checkpoint's files, read whole before anything is put in place."""

    path: Path
    weights: dict[str, torch.Tensor]
    saved: dict
    state: TrainState


class DamagedCheckpoint(TunelabError):
    """A checkpoint file that is missing, cut short or unreadable (a save killed midway, a bad copy)."""


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {
        n: p.detach().contiguous().cpu() for n, p in model.named_parameters() if p.requires_grad
    }


def save_checkpoint(
    folder: Path, model, optimizer, state: TrainState, keep: int, rng: dict | list | None = None
) -> Path:
    """Write a checkpoint; `rng` is every process's RNG states by rank (`gather_rng`), else this
    process's."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{CHECKPOINT_PREFIX}{state.step:06d}"
    tmp = folder / f".tmp-{final.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(trainable_state(model), tmp / WEIGHTS)
    with_umask(tmp / WEIGHTS)
    torch.save({"optimizer": optimizer.state_dict(), "rng": rng or rng_states()}, tmp / OPTIMIZER)
    write_state(tmp, state)
    return put_in_place(tmp, final, keep)


def put_in_place(tmp: Path, final: Path, keep: int) -> Path:
    """Rename a completely written checkpoint folder to its name, then drop the ones too old."""
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    remove_partial_saves(final.parent)
    # One past this step is left from before a resume to an earlier checkpoint (the newest was
    # damaged): this run has moved on from it.
    step, saved = _step_of(final), list_checkpoints(final.parent)
    stale = [p for p in saved if _step_of(p) > step]
    kept = [p for p in saved if _step_of(p) <= step]
    for old in stale + (kept[:-keep] if keep > 0 else []):
        shutil.rmtree(old, ignore_errors=True)
    return final


def remove_partial_saves(folder: Path) -> None:
    """Remove the folders of saves killed midway (kill -9, a lost machine): a checkpoint's worth of
    disk each, under a name no later save reuses (it holds the writer's pid). One whose writer
    still runs on this machine is being written, and stays."""
    for partial in folder.glob(".tmp-*"):
        writer = partial.name.rsplit("-", 1)[-1]
        if not (writer.isdigit() and pid_running(int(writer))):
            shutil.rmtree(partial, ignore_errors=True)


def read_latest(folder: Path, reader=None) -> tuple[Checkpoint, list[str]]:
    """The newest checkpoint that reads whole (by `reader`, read_checkpoint by default), and what
    was wrong with any newer one skipped."""
    damaged = []
    for path in reversed(list_checkpoints(folder)):
        try:
            return (reader or read_checkpoint)(path), damaged
        except DamagedCheckpoint as err:
            damaged.append(str(err))
    if not damaged:
        raise TunelabError(f"{folder}: no checkpoint to resume from")
    raise TunelabError(
        f"{damaged[0]}; there is no earlier complete checkpoint: start the run again (--overwrite)"
    )


def read_checkpoint(path: Path) -> Checkpoint:
    """Read one checkpoint's files; DamagedCheckpoint names the first that does not read."""
    weights = read_file(path / WEIGHTS, load_file)
    saved = read_file(path / OPTIMIZER, load_tensors_and_values)
    return Checkpoint(path, weights, saved, read_state(path))


def read_state(path: Path) -> TrainState:
    return read_file(path / STATE, _state_of)


def _state_of(file: Path) -> TrainState:
    # A field a newer tunelab keeps is left out, as one an older tunelab never kept takes its
    # default: read as damage, it refused every checkpoint of a good run ("start the run again").
    kept = json.loads(file.read_text(encoding="utf-8"))
    known = {field.name for field in fields(TrainState)}
    return TrainState(**{key: value for key, value in kept.items() if key in known})


def write_state(folder: Path, state: TrainState) -> None:
    (folder / STATE).write_text(json.dumps(asdict(state), indent=1), encoding="utf-8")


def restore(checkpoint: Checkpoint, model, optimizer, rank: int = 0) -> TrainState:
    """Put a checkpoint's weights, optimizer state and RNG states in place; returns its position."""
    try:
        unexpected = model.load_state_dict(checkpoint.weights, strict=False).unexpected_keys
        optimizer.load_state_dict(checkpoint.saved["optimizer"])
    except (RuntimeError, ValueError) as err:  # shapes or parameter groups differ
        unexpected = [str(err).strip().splitlines()[0]]
    if unexpected:
        raise TunelabError(
            f"{checkpoint.path} does not fit this model and its training settings ({unexpected[0]})"
        )
    set_rng_states(rank_rng(checkpoint.saved["rng"], rank))
    return checkpoint.state


def rank_rng(saved: dict | list, rank: int) -> dict:
    """This process's RNG states from a checkpoint's: each process draws its own dropout masks,
    so a resumed run under torchrun draws the masks an uninterrupted one would. A process the
    checkpoint holds no states for (rank 0 alone saves after torchrun stops a run; a run of fewer
    processes) gets states of its own, derived from rank 0's and its rank: rank 0's own states
    gave every process the same masks."""
    states = [saved] if isinstance(saved, dict) else saved
    if rank < len(states):
        return states[rank]
    return _derived_states(states[0], rank)


def _derived_states(first: dict, rank: int) -> dict:
    # rank 0's torch state moves with every draw, so the derived states differ from step to step.
    digest = hashlib.sha256(first["torch"].numpy().tobytes() + rank.to_bytes(4, "little"))
    seed = int.from_bytes(digest.digest()[:4], "little")
    current = rng_states()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    derived = rng_states()
    set_rng_states(current)
    return derived


def missing_rng_note(
    saved: dict | list, processes: int, ran_on: int | None = None, dropout: bool = True
) -> str | None:
    """What a resume on `processes` processes says when it cannot draw the dropout masks an
    uninterrupted run would (see rank_rng): the checkpoint lacks some processes' RNG states
    (rank 0 alone saved it after torchrun stopped the run, or the run had `ran_on`, fewer,
    processes), or fewer processes take the micro-batches of more. None without `dropout`:
    then nothing is drawn and the losses are the uninterrupted run's."""
    held = 1 if isinstance(saved, dict) else len(saved)
    ran = ran_on or held  # checkpoints before the launch was saved: as many as held states
    if not dropout or held == ran == processes:
        return None
    if ran > processes:  # rank 0 alone may have saved: the run's size is what counts here
        return (
            f"the run had {ran} processes and resumes on {processes}: their micro-batches draw "
            f"dropout masks from {processes} generator(s), not {ran}, so the losses differ from "
            "those of an uninterrupted run"
        )
    lacking = (
        f"process {held} draws"
        if held == processes - 1
        else f"processes {held}-{processes - 1} draw"
    )
    why = (
        f"the run had {ran_on} process(es)"
        if ran_on is not None and ran_on < processes
        else "rank 0 alone saved it, after torchrun stopped the run"
    )
    return (
        f"the checkpoint holds the RNG states of {held} process(es) ({why}): {lacking} dropout "
        "masks of their own from here, so the losses differ from those of an uninterrupted run"
    )


def draws_dropout(model) -> bool:
    """Whether training draws dropout masks: a dropout layer (LoRA's too) or a model setting
    (attention_dropout, resid_pdrop...) above zero."""
    from torch import nn

    if any(isinstance(m, nn.Dropout) and m.p > 0 for m in model.modules()):
        return True
    settings = getattr(model, "config", None)
    settings = settings.to_dict() if hasattr(settings, "to_dict") else {}
    return any(
        isinstance(value, float) and value > 0 and ("dropout" in key or key.endswith("pdrop"))
        for key, value in settings.items()
    )


def read_file(file: Path, reader):
    try:
        return reader(file)
    except TunelabError:  # a refusal, not damage: no falling back to an older checkpoint
        raise
    except Exception as err:  # noqa: BLE001 -- any failure to read means the same: damaged
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0].split(". ")[0]
        raise DamagedCheckpoint(f"{file} is damaged or incomplete ({reason})") from None


def load_tensors_and_values(file: Path, needs=("optimizer", "rng")) -> dict:
    # Name what would run before refusing; weights_only=True is what guarantees nothing does.
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(file)
    if unsafe:
        raise TunelabError(
            f"{file} holds {', '.join(unsafe[:3])}: loading it could run code, so it is refused "
            "(a tunelab checkpoint holds only tensors and plain values)"
        )
    saved = torch.load(file, map_location="cpu", weights_only=True)
    missing = set(needs) - saved.keys()
    if missing:
        raise ValueError(f"it has no {' or '.join(sorted(missing))} state")
    return saved


def rng_states() -> dict:
    # Plain ints and tensors only, so the file loads with weights_only=True.
    version, internal, gauss = random.getstate()
    numpy_state = np.random.get_state(legacy=False)
    return {
        "python": [version, list(internal), gauss],
        "numpy": {
            "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
            "pos": numpy_state["state"]["pos"],
            "has_gauss": numpy_state["has_gauss"],
            "gauss": numpy_state["gauss"],
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }


def set_rng_states(rng: dict) -> None:
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))
    numpy = rng["numpy"]
    np.random.set_state(
        {
            "bit_generator": "MT19937",
            "state": {"key": numpy["key"].numpy().astype(np.uint32), "pos": numpy["pos"]},
            "has_gauss": numpy["has_gauss"],
            "gauss": numpy["gauss"],
        }
    )
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


def _step_of(path: Path) -> int:
    return int(path.name.removeprefix(CHECKPOINT_PREFIX))
