"""How the loop stops early and keeps the steps done: Ctrl-C (save, then stop; a second one stops
within the step and keeps the last complete one; a third aborts), a crash (save what the process
can), a NaN/inf loss (stop, keep nothing), and SIGTERM (kill, docker stop, Slurm, k8s, or
torchrun because another process failed: save, as after a crash)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from rich.console import Console
from rich.markup import escape

from tunelab.errors import TunelabError
from tunelab.run_files import CHECKPOINT_PREFIX, CHECKPOINTS, list_checkpoints
from tunelab.train.checkpoint import TrainState
from tunelab.train.parallel import distributed
from tunelab.train.parallel.distributed import World


class CtrlCAgain(KeyboardInterrupt):
    """A second Ctrl-C: the loop stops within the step, and the last complete step is kept."""


class BeforeTraining:
    """Ctrl-C before the loop's own Ctrl-C handling takes over (`stepping`): one line saying what
    is on disk and how to go on, as the loop's Ctrl-C says which step it kept. While the model
    and data load, before the run folder is written (`started`), the folder is as it was; once
    written, it holds the config and the checkpoints a resume found. The command exited 130
    without a word (after the folder was written too)."""

    def __init__(self, run_dir: Path, console: Console, rerun: str = "") -> None:
        self.run_dir, self.console, self.rerun = run_dir, console, rerun
        self.started = self.stepping = False
        self.resume_hint = ""  # the command that continues the run, once it is `started`

    def going_on(self, resume: str) -> None:
        """The run folder is written from here on, and `resume` continues it; a caller's own
        `rerun` (the demo's) is named first, in one line: `A` or `B`, each sayer's backticks
        around the pair."""
        self.started = True
        self.resume_hint = f"{self.rerun}` or `{resume}" if self.rerun else resume

    def __enter__(self) -> BeforeTraining:
        return self

    def __exit__(self, kind, err, traceback) -> None:
        # A KeyboardInterrupt with words is the loop's own, already said.
        if kind is not KeyboardInterrupt or err.args or self.stepping:
            return
        if self.started:
            message = f"interrupted before the first step: {self._how_to_go_on()}"
        else:
            kept = "is left as it was" if self.run_dir.exists() else "was not created"
            message = f"interrupted before training started: {self.run_dir} {kept}"
        self.console.print(f"[yellow]{escape(message)}[/]", soft_wrap=True)
        raise KeyboardInterrupt(message) from None

    def _how_to_go_on(self) -> str:
        saved = list_checkpoints(self.run_dir / CHECKPOINTS)
        if not saved:
            return f"{self.run_dir} holds no checkpoint: train again with --overwrite"
        return f"the last checkpoint is {saved[-1].name}: `{self.resume_hint}` goes on from it"


class StopRequest:
    """First Ctrl-C asks the loop to save and stop after the current step; a second one stops it
    within the step as SIGTERM does (`launcher`), keeping the last complete step; a third aborts
    at once, saving nothing. The second used to abort, losing every step since the last
    checkpoint, the run recorded as interrupted all the same."""

    def __init__(self, console: Console, launcher: LauncherStop) -> None:
        self.console = console
        self.launcher = launcher
        self.requested = False
        self.interrupted = False
        self.presses = 0
        self._previous = None

    def __enter__(self):
        self._previous = _handle_signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.presses += 1
        if self.presses == 1:
            self.requested = self.interrupted = True
            self.console.print(
                "\n[yellow]Ctrl-C: finishing this step and saving a checkpoint… "
                "(Ctrl-C again stops at once, keeping the last complete step)[/]"
            )
        elif self.presses == 2:
            self.console.print(
                "\n[yellow]Ctrl-C again: stopping at once, keeping the last complete step "
                "(a third Ctrl-C aborts without saving anything)[/]"
            )
            self.launcher.stop_within_step(CtrlCAgain("Ctrl-C again"))
        else:
            raise KeyboardInterrupt(ABORTED)

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


ABORTED = "a third Ctrl-C aborted the run: the steps since the last checkpoint are lost"


class Terminated(Exception):
    """SIGTERM stopped this process: kill, docker stop, a scheduler; under torchrun, also another
    process failing."""

    def __init__(self, under_torchrun: bool) -> None:
        super().__init__(f"{'torchrun' if under_torchrun else 'SIGTERM'} stopped this process")
        self.under_torchrun = under_torchrun


class LauncherStop:
    """SIGTERM from whatever launched the process (a shell's kill, docker stop, Slurm, k8s, or
    torchrun, which sends it to every process when one fails, then SIGKILL 30 s later): it stops
    the loop as a crash would, raising Terminated, so that the process that saves keeps the last
    complete step; it used to die at once and lose the steps since the last checkpoint. Raised
    only inside `may_stop`, where the model is still that of the last complete step (not halfway
    through an optimizer update, nor in a save); one that comes elsewhere waits for the next. A
    second Ctrl-C stops the loop the same way. Nothing here waits for the other processes: they
    may be gone."""

    # Whether any SIGTERM reached this process, kept past the loop: under torchrun it means
    # another process already failed (see tunelab/train/cli.py's refusal).
    reached_process = False

    def __init__(self, enabled: bool, under_torchrun: bool) -> None:
        self.enabled = enabled
        self.under_torchrun = under_torchrun
        self.received = self._open = False
        self._stop_with: BaseException | None = None
        self._raised = False
        self._previous = None

    def __enter__(self) -> LauncherStop:
        LauncherStop.reached_process = False  # a new run in this process
        if self.enabled:
            self._previous = _handle_signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.received = LauncherStop.reached_process = True
        self.stop_within_step(Terminated(self.under_torchrun))

    def stop_within_step(self, error: BaseException) -> None:
        """Raise `error` now if inside `may_stop`, else at the next; the first one asked wins."""
        self._stop_with = self._stop_with or error
        if self._open:
            self._stop()

    def _stop(self) -> None:
        if self._stop_with is not None and not self._raised:
            self._raised = True
            raise self._stop_with

    @contextmanager
    def may_stop(self) -> Iterator[None]:
        """A stretch where SIGTERM or a second Ctrl-C may stop the loop (one received earlier
        stops it here)."""
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
    resume_command: str,
    enabled: bool,
    console: Console,
    launcher: LauncherStop | None = None,
    stop_command: str = "",
) -> Iterator[None]:
    """On an error, save the steps done since the last checkpoint, then let the error go on.
    Not on NaN/inf: a diverged state is not worth keeping. After SIGTERM (`launcher`) or a
    second Ctrl-C, say which step is kept, or why none could be, and `stop_command` (a caller's
    rerun first: the demo's, which goes on only from a run so stopped) else `resume_command`."""
    try:
        yield
    except NonFiniteLoss:
        raise
    except (Exception, CtrlCAgain) as err:
        done = checkpoints / f"{CHECKPOINT_PREFIX}{state.step:06d}"
        saved = None
        if enabled and state.step > 0 and not done.exists():
            try:
                saved = save()
            except Exception as error:  # noqa: BLE001 -- the original error is the one to report
                console.print(
                    f"[red]could not save a checkpoint after the crash: {escape(str(error))}[/]"
                )
                raise
        resume = f"Continue with `{resume_command}`"
        stopped_by = _stopped_by(err, launcher, state.step)
        if stopped_by:
            resume = f"Continue with `{stop_command or resume_command}`"
            message = f"{_kept(stopped_by, state.step, done, enabled, checkpoints)}. {resume}"
            console.print(f"[yellow]{escape(message)}[/]", soft_wrap=True)
            if isinstance(err, CtrlCAgain):  # the caller sees where to continue, as on Ctrl-C
                raise CtrlCAgain(message) from None
        elif saved:
            said = escape(f"saved {saved}. {resume}")
            console.print(f"[yellow]crashed after step {state.step}; {said}[/]")
        raise


@contextmanager
def ctrl_c_while_saving(
    checkpoints: Path, step: int, resume_hint: str, console: Console
) -> Iterator[None]:
    """Ctrl-C while the final model is written, out of the loop's Ctrl-C handling: say which
    checkpoint is kept and how to go on (it exited 130 without a word, model/ half written)."""
    try:
        yield
    except KeyboardInterrupt as err:
        if err.args:  # a second Ctrl-C after the loop's own line
            raise
        saved = list_checkpoints(checkpoints)
        if not saved:  # train.save_at_end: false, and no save_every reached
            kept = "no checkpoint was saved: train again with --overwrite"
        elif saved[-1].name == f"{CHECKPOINT_PREFIX}{step:06d}":
            kept = f"{saved[-1].name} is saved: `{resume_hint}` writes it"
        else:
            kept = f"the last checkpoint is {saved[-1].name}: `{resume_hint}` goes on from it"
        message = f"interrupted while writing the final model; {kept}"
        console.print(f"[yellow]{escape(message)}[/]", soft_wrap=True)
        raise KeyboardInterrupt(message) from None


def _stopped_by(err: BaseException, launcher: LauncherStop | None, step: int) -> str | None:
    """What stopped the loop within a step, in words; None for a crash."""
    if isinstance(err, CtrlCAgain):
        return f"Ctrl-C again: stopped within step {step + 1}"
    under_torchrun = isinstance(err, Terminated) and err.under_torchrun
    if launcher and launcher.received and launcher.under_torchrun or under_torchrun:
        return (
            f"torchrun stopped this process after step {step} (another process failed, see its "
            "error, or torchrun itself was stopped)"
        )
    if isinstance(err, Terminated):
        return f"SIGTERM stopped the run after step {step} (kill, docker stop, a job scheduler)"
    return None


def _kept(said: str, step: int, done: Path, saved: bool, checkpoints: Path) -> str:
    if step == 0:
        return f"{said}; no step was complete, nothing to keep"
    if saved:
        return f"{said}; step {step} is kept in {done}"
    older = list_checkpoints(checkpoints)
    kept = f"the last checkpoint is {older[-1]}" if older else "no checkpoint was saved yet"
    return (
        f"{said}; step {step} cannot be saved: with train.parallel=fsdp each process holds a "
        f"shard of the model, and each must write its own. {kept}"
    )


def ended_as(error: BaseException) -> str:
    """status.json's word for a run that `error` ended: interrupted when its last complete step
    is kept for a resume (a second Ctrl-C, a single process's SIGTERM), failed otherwise; a
    third Ctrl-C, which saves nothing, is no clean interruption."""
    if isinstance(error, CtrlCAgain):
        return "interrupted"
    if isinstance(error, Terminated) and not error.under_torchrun:
        return "interrupted"
    return "failed"
