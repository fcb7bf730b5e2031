"""A run's length in steps, and learning-rate schedules with linear warm-up, as multipliers of
the peak rate."""

from __future__ import annotations

import math

import torch

from tunelab.config import TrainConfig
from tunelab.data.pipeline import batches_per_epoch
from tunelab.data.split import training_set_rows
from tunelab.terminal import n_things


def step_counts(cfg: TrainConfig, rows: int, processes: int) -> tuple[int, int, int]:
    """The micro-batches an epoch of `rows` rows takes, the micro-batches an optimizer step takes
    (grad_accum on every process), and the run's length in steps: train.max_steps, else
    train.epochs of such steps. A resume reads its length from them before the model loads."""
    micro_per_epoch = batches_per_epoch(rows, cfg.batch_size)
    micro_per_step = cfg.grad_accum * processes
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * micro_per_epoch / micro_per_step))
    return micro_per_epoch, micro_per_step, total


def step_past_epoch(cfg: TrainConfig, rows: int, processes: int, packed: bool) -> str | None:
    """What a step that takes more micro-batches than an epoch has does, or None: its rows come
    from the next epochs, so a row repeats within one update and train.epochs runs as more."""
    micro_per_epoch, micro_per_step, total = step_counts(cfg, rows, processes)
    if micro_per_step <= micro_per_epoch:
        return None
    takes = f"train.grad_accum {cfg.grad_accum}" + (
        f" x {processes} processes" if processes > 1 else ""
    )
    runs_as = total * micro_per_step / micro_per_epoch
    epochs = "" if cfg.max_steps else f" (train.epochs {cfg.epochs:g} runs as {runs_as:g})"
    return (
        f"one step takes {micro_per_step} batches of train.batch_size {cfg.batch_size} "
        f"({takes}), but the training data makes {micro_per_epoch} an epoch "
        f"({n_things(rows, 'packed row' if packed else 'row')}): each step trains rows of "
        f"several epochs, the same rows more than once{epochs}. Use fewer processes "
        "(torchrun --nproc_per_node), a lower train.grad_accum, or more data"
    )


def batch_past_data(cfg: TrainConfig, rows: int, packed: bool) -> str | None:
    """What a batch holds when train.batch_size is more rows than the training set makes (every
    row, one batch an epoch), or None: the run trains on smaller batches than its setting says."""
    if cfg.batch_size <= rows:
        return None
    return f"train.batch_size {cfg.batch_size} → {rows}: {training_set_rows(rows, packed)}"


def lr_multiplier(step: int, total: int, warmup: int, kind: str) -> float:
    """Multiplier for the update made at `step` (0-based)."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if kind == "constant":
        return 1.0
    progress = (step - warmup) / max(1, total - warmup)
    progress = min(max(progress, 0.0), 1.0)
    if kind == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))  # cosine to zero


def make_scheduler(
    optimizer: torch.optim.Optimizer, lr: float, total: int, warmup: int, kind: str, start: int = 0
):
    """The schedule from step `start` on. A resumed run rebuilds it from its own settings rather
    than restoring the checkpoint's, so a changed lr or length applies from the resume step."""
    for group in optimizer.param_groups:
        group["initial_lr"] = lr  # not the rate a loaded optimizer state carries
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_multiplier(start + step, total, warmup, kind)
    )


def warmup_steps(total: int, steps: int | None, ratio: float) -> int:
    return steps if steps is not None else math.ceil(total * ratio)
