"""The run folder around the loop: which folder a run is, checking it before a run (and what a
resume may change), its metrics log, the final model, and stopping cleanly on Ctrl-C so that a
checkpoint is saved."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from rich.console import Console

from tunelab.config import Config, apply_overrides
from tunelab.errors import TunelabError
from tunelab.run import CHECKPOINT_PREFIX, CONFIG_FILE, WEIGHTS, Run, list_checkpoints
from tunelab.train import distributed
from tunelab.train.checkpoint import TrainState
from tunelab.train.distributed import World
from tunelab.train.plot import read_metrics

# What a resumed run may change: its length, how often it evaluates and saves, its learning-rate
# schedule (rebuilt from the resume step on), and how it runs; grad_accum too, as the number of
# processes may change (fewer GPUs accumulate more to keep the batch). Anything else changes what
# the checkpoint holds (model, method, LoRA shape, train.parallel's layout of it) or what its data
# position means (data, batch_size).
MAY_CHANGE_ON_RESUME = frozenset(
    {
        "name",
        "output_dir",
        "train.epochs",
        "train.max_steps",
        "train.grad_accum",
        "train.eval_every",
        "train.save_every",
        "train.save_at_end",
        "train.keep_checkpoints",
        "train.early_stop_patience",
        "train.eval_generate_every",
        "train.eval_questions",
        "train.eval_max_new_tokens",
        "train.lr",
        "train.scheduler",
        "train.warmup_steps",
        "train.warmup_ratio",
        "train.max_grad_norm",
        "train.device",
        "train.compile",
        "train.attention",
        "train.gradient_checkpointing",
        "train.report_to",
    }
)


def config_from(source: str | Path | None, overrides: list[str] | None = None) -> Config:
    """What `tunelab train SOURCE --set ...` trains: the defaults, a YAML file, or a run folder (or
    its config.yaml). A run folder is the run: a copy (`cp -r runs/a runs/b`) trains into itself,
    not into the folder its config.yaml names."""
    overrides = overrides or []
    if source is None:
        return Config.from_dict(apply_overrides({}, overrides), source="--set")
    path = Path(source)
    if path.is_dir():
        return Run.open(path, overrides).config
    if path.name == CONFIG_FILE and Run.is_started(path.parent):
        return Run.open(path.parent, overrides).config
    return Config.from_yaml(path, overrides)


def check_resume_changes(run_dir: Path, config: Config) -> None:
    """Refuse by name a setting changed since run_dir's config.yaml that its checkpoint cannot
    continue with (see MAY_CHANGE_ON_RESUME), rather than fail deep inside loading."""
    if not Run.is_started(run_dir):
        return
    saved = flatten(Run.open(run_dir).config.model_dump())
    new = flatten(config.model_dump())
    changed = [
        key
        for key in sorted(saved.keys() | new.keys())
        if key not in MAY_CHANGE_ON_RESUME and saved.get(key) != new.get(key)
    ]
    if changed:
        what = ", ".join(f"{key} {saved.get(key)!r} → {new.get(key)!r}" for key in changed)
        raise TunelabError(
            f"{run_dir}: cannot change {what} on resume (its checkpoint was trained with the old "
            "value): drop the change, or start a new run under another name"
        )


def check_run_dir(run_dir: Path, resume: bool, overwrite: bool) -> None:
    """Never train over an existing run by accident; --resume needs a checkpoint."""
    has_checkpoints = bool(list_checkpoints(run_dir / "checkpoints"))
    if resume and not has_checkpoints:
        raise TunelabError(f"{run_dir}: no checkpoint to resume from")
    if not resume and run_dir.exists() and any(run_dir.iterdir()):
        if not overwrite:
            raise TunelabError(
                f"{run_dir} already exists: use --resume to continue it, or another run name"
            )
        shutil.rmtree(run_dir)


def write_metrics(log, record: dict) -> None:
    """One row of metrics: to metrics.jsonl and the trackers (a MetricsLog; None off rank 0)."""
    if log is not None:
        log.write(record)


def truncate_metrics(path: Path, step: int) -> None:
    """On resume, drop log lines past the checkpoint so the log reads like one straight run."""
    if path.exists():
        kept = [r for r in read_metrics(path) if r.get("step", 0) <= step]
        path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")


def save_final(model, tokenizer, run_dir: Path, weights: dict | None = None) -> Path:
    """The adapter (LoRA) or full weights, plus the tokenizer, as a loadable HF folder; `weights`
    are the model's, gathered whole, when the model itself holds only a shard of them."""
    target = run_dir / WEIGHTS
    model.save_pretrained(target, safe_serialization=True, state_dict=weights)
    tokenizer.save_pretrained(target)
    return target


class StopRequest:
    """First Ctrl-C asks the loop to save and stop after the current step; a second one aborts."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.requested = False
        self.interrupted = False
        self._previous = None

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._previous = None
        return self

    def _handle(self, signum, frame) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.requested = self.interrupted = True
        self.console.print("\n[yellow]Ctrl-C: finishing this step and saving a checkpoint…[/]")

    def agreed(self, world: World, device: torch.device) -> tuple[bool, bool]:
        """Whether every process stops now, and whether as interrupted: Ctrl-C reaches every
        process, not always within the same step, nor at all on another machine, and rank 0
        would call a run stopped by another's Ctrl-C finished. This process's own flags stay as
        they are: a Ctrl-C handled while the sum runs counts at the next step (writing the sums
        back lost it, and the run went on for good)."""
        flags = [float(self.requested), float(self.interrupted)]
        requested, interrupted = distributed.total(flags, world, device)
        return requested > 0, interrupted > 0

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class NonFiniteLoss(TunelabError):
    """The loss became NaN/inf: the run stops at once, its message naming the last checkpoint."""


@contextmanager
def checkpoint_on_crash(
    save: Callable[[], Path],
    state: TrainState,
    checkpoints: Path,
    run_dir: Path,
    enabled: bool,
    console: Console,
) -> Iterator[None]:
    """On an error, save the steps done since the last checkpoint, then let the error go on.
    Not on NaN/inf: a diverged state is not worth keeping."""
    try:
        yield
    except NonFiniteLoss:
        raise
    except Exception:
        if (
            enabled
            and state.step > 0
            and not (checkpoints / f"{CHECKPOINT_PREFIX}{state.step:06d}").exists()
        ):
            try:
                path = save()
            except Exception as err:  # noqa: BLE001 -- the original error is the one to report
                console.print(f"[red]could not save a checkpoint after the crash: {err}[/]")
                raise
            console.print(
                f"[yellow]crashed after step {state.step}; saved {path}. "
                f"Continue with `tunelab train {run_dir} --resume`[/]"
            )
        raise


def flatten(tree: dict, prefix: str = "") -> dict:
    """{"train": {"lr": 1}} → {"train.lr": 1}, the keys `--set` uses."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
