"""How the loop stops early and keeps the steps done: Ctrl-C (save, then stop), a crash (save what
the process can), a NaN/inf loss (stop, keep nothing), and torchrun stopping rank 0 because
another process failed (save, as after a crash)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from rich.console import Console

from tunelab.errors import TunelabError
from tunelab.run import CHECKPOINT_PREFIX, list_checkpoints
from tunelab.train import distributed
from tunelab.train.checkpoint import TrainState
from tunelab.train.distributed import World


class StopRequest:
    """First Ctrl-C asks the loop to save and stop after the current step; a second one aborts."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.requested = False
        self.interrupted = False
        self._previous = None

    def __enter__(self):
        self._previous = _handle_signal(signal.SIGINT, self._handle)
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
        _restore_signal(signal.SIGINT, self._previous)


def _handle_signal(signum: int, handler: Callable):
    """Install `handler` for `signum`; the handler it replaces, None outside the main thread
    (where signals are left alone)."""
    try:
        return signal.signal(signum, handler)
    except ValueError:
        return None


def _restore_signal(signum: int, previous) -> None:
    if previous is not None:
        signal.signal(signum, previous)


class Terminated(Exception):
    """torchrun stopped this process (SIGTERM): another process failed, or torchrun was stopped."""


class LauncherStop:
    """SIGTERM on rank 0 under torchrun, which sends it to every process when one fails (then
    SIGKILL 30 s later): it stops the loop as a crash would, raising Terminated, so that rank 0
    keeps the last complete step; it used to die at once and lose the steps since the last
    checkpoint. Raised only inside `may_stop`, where the model is still that of the last complete
    step (not halfway through an optimizer update, nor in a save); one that comes elsewhere waits
    for the next. Nothing here waits for the other processes: they may be gone."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.received = self._open = self._raised = False
        self._previous = None

    def __enter__(self) -> LauncherStop:
        if self.enabled:
            self._previous = _handle_signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.received = True
        if self._open:
            self._stop()

    def _stop(self) -> None:
        if self.received and not self._raised:
            self._raised = True
            raise Terminated("torchrun stopped this process (SIGTERM)")

    @contextmanager
    def may_stop(self) -> Iterator[None]:
        """A stretch where SIGTERM may stop the loop (one received earlier stops it here)."""
        self._stop()
        self._open = True
        try:
            yield
        finally:
            self._open = False

    def __exit__(self, *exc) -> None:
        _restore_signal(signal.SIGTERM, self._previous)


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
    launcher: LauncherStop | None = None,
) -> Iterator[None]:
    """On an error, save the steps done since the last checkpoint, then let the error go on.
    Not on NaN/inf: a diverged state is not worth keeping. After torchrun's SIGTERM (`launcher`),
    say which step is kept, or why none could be."""
    try:
        yield
    except NonFiniteLoss:
        raise
    except Exception as err:
        done = checkpoints / f"{CHECKPOINT_PREFIX}{state.step:06d}"
        saved = None
        if enabled and state.step > 0 and not done.exists():
            try:
                saved = save()
            except Exception as error:  # noqa: BLE001 -- the original error is the one to report
                console.print(f"[red]could not save a checkpoint after the crash: {error}[/]")
                raise
        resume = f"Continue with `tunelab train {run_dir} --resume`"
        if isinstance(err, Terminated) or (launcher and launcher.received):
            console.print(
                f"[yellow]{_stopped(state.step, done, enabled, checkpoints)}. {resume}[/]"
            )
        elif saved:
            console.print(f"[yellow]crashed after step {state.step}; saved {saved}. {resume}[/]")
        raise


def _stopped(step: int, done: Path, saved: bool, checkpoints: Path) -> str:
    said = (
        f"torchrun stopped this process after step {step} (another process failed, see its "
        "error, or torchrun itself was stopped)"
    )
    if step == 0:
        return f"{said}; no step was complete, nothing to keep"
    if saved:
        return f"{said}; step {step} is kept in {done}"
    older = list_checkpoints(checkpoints)
    kept = f"the last checkpoint is {older[-1]}" if older else "no checkpoint was saved yet"
    return (
        f"{said}; step {step} cannot be saved: with train.parallel=fsdp each process holds a "
        f"shard of the model, and the others are gone. {kept}"
    )
