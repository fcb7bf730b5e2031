"""Checkpoints that resume to the same losses: trainable weights, optimizer, scheduler, RNG states
and data position, written to a temporary folder and renamed into place (never half-written)."""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

PREFIX = "step-"


@dataclass
class TrainState:
    step: int = 0  # optimizer steps done
    epoch: int = 0  # data position: the next micro-batch is (epoch, batch)
    batch: int = 0
    tokens: int = 0  # trained tokens so far
    input_tokens: int = 0  # non-padding tokens seen so far (prompt included)
    best_eval: float | None = None
    evals_without_improvement: int = 0
    elapsed: float = 0.0


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {
        n: p.detach().contiguous().cpu() for n, p in model.named_parameters() if p.requires_grad
    }


def save_checkpoint(
    folder: Path, model, optimizer, scheduler, state: TrainState, keep: int
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{PREFIX}{state.step:06d}"
    tmp = folder / f".tmp-{final.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(trainable_state(model), tmp / "trainable.safetensors")
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": {
                "python": random.getstate(),
                "numpy": np.random.get_state(),
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            },
        },
        tmp / "optimizer.pt",
    )
    (tmp / "state.json").write_text(json.dumps(asdict(state), indent=1))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in list_checkpoints(folder)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.is_dir())


def load_checkpoint(path: Path, model, optimizer, scheduler) -> TrainState:
    weights = load_file(path / "trainable.safetensors")
    missing = model.load_state_dict(weights, strict=False)
    unexpected = set(missing.unexpected_keys)
    if unexpected:
        raise RuntimeError(f"{path}: checkpoint does not fit this model: {sorted(unexpected)[:3]}")
    blob = torch.load(path / "optimizer.pt", weights_only=False)
    optimizer.load_state_dict(blob["optimizer"])
    scheduler.load_state_dict(blob["scheduler"])
    random.setstate(blob["rng"]["python"])
    np.random.set_state(blob["rng"]["numpy"])
    torch.set_rng_state(blob["rng"]["torch"])
    if blob["rng"]["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(blob["rng"]["cuda"])
    return TrainState(**json.loads((path / "state.json").read_text()))
