"""Everything after a training session's last step: the final model (the best step's where
train.select_best asks), the loss plot, and the line that says how the run ended."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from tunelab.evaluate.scores import score_said
from tunelab.run_base import keep_base
from tunelab.terminal import duration, n_things
from tunelab.train.checkpoint import TrainState
from tunelab.train.claim import RunClaim
from tunelab.train.heldout import higher_better, restore_best
from tunelab.train.memory import describe_peak, peak_memory
from tunelab.train.metrics_log import MetricsLog
from tunelab.train.parallel import distributed
from tunelab.train.parallel.sharding import gather_weights
from tunelab.train.plot import plot_losses, read_metrics
from tunelab.train.run_folder import name_embedded_base, save_final
from tunelab.train.session import TrainSession
from tunelab.train.stopping import ctrl_c_while_saving, ended_as


def finish_session(
    session: TrainSession,
    log: MetricsLog | None,
    last_loss: float,
    interrupted: bool,
    claim: RunClaim,
    console: Console,
) -> Path:
    """Write the final model and plot, then say so; after a Ctrl-C, raise KeyboardInterrupt."""
    config, world, model, state = session.config, session.world, session.model, session.state
    run_dir = session.run_dir
    weights = gather_weights(model) if session.sharded else None  # every process takes part
    if world.is_main:
        try:
            with ctrl_c_while_saving(session.checkpoints, state.step, session.stop_hint, console):
                if config.train.select_best != "last":
                    _restore_best(session, weights, console)
                saved = save_final(model, session.tokenizer, run_dir, weights)
                keep_base(run_dir, saved)  # recorded at the start, not the base as it is now
                name_embedded_base(saved, config.model.name)
                plot_losses(session.metrics_path, run_dir / "loss.png", title=config.name)
                log.finish(interrupted=interrupted)  # the trackers get the model and plot
        except BaseException as err:
            # Else status.json said "running" while the process lived, and a resume in it was
            # refused as of a run still training. Ctrl-C here keeps the steps: interrupted.
            ended = "interrupted" if isinstance(err, KeyboardInterrupt) else ended_as(err)
            log.close(ended, f"{type(err).__name__}: {err}")
            raise
    if interrupted:
        # Ctrl-C means stop: the caller stops too (a shell sees 130), with the checkpoint saved.
        peak = describe_peak(peak_memory(session.device))
        message = (
            f"interrupted at step {state.step}; checkpoint saved; {peak}. "
            f"Continue with `{session.stop_hint}`"
        )
        # Said before the barrier (rich flushes each print): past it the other processes exit
        # 130 at once, torchrun SIGTERMs rank 0 within its 0.1 s poll of the first exit, and
        # SIGTERM's default, under torchrun, killed rank 0 before it said this line.
        console.print(f"[yellow]{escape(message)}[/]", soft_wrap=True)
        # The claim likewise: else left behind, it refused a --resume from another host (a
        # process there is not known dead) until deleted by hand.
        claim.give_back()
        distributed.barrier(world)
        raise KeyboardInterrupt(message)
    distributed.barrier(world)
    # A resume of a finished run trains no step: it has no loss of its own to show (it said nan).
    trained = f"final train loss {last_loss:.4f}" if math.isfinite(last_loss) else "no step left"
    if world.is_main and (evals := _eval_losses(session.metrics_path)):
        # One batch's train loss swings (3.19 to 4.18 between steps pretraining on docs/): the
        # held-out loss from step 0 to the last says whether the run learned.
        trained += f", eval loss {evals[0]:.4f} → {evals[-1]:.4f}"
    console.print(
        f"[bold green]done[/] {n_things(state.step, 'step')}, {trained}, "
        f"{state.tokens} trained tokens in {time_said(state)}, "
        f"{describe_peak(peak_memory(session.device))} → {escape(str(run_dir))}"
    )
    return run_dir


def time_said(state: TrainState) -> str:
    """The steps' time, and the loop's beside it where evals took much of it: "17 s" alone said
    a run of 2 min 49 s, mostly eval loss, took 17 s."""
    steps = duration(state.elapsed)
    if state.wall < 2 * state.elapsed or state.wall - state.elapsed < 10:
        return steps
    return f"{steps} of training ({duration(state.wall)} in all, evals included)"


def _restore_best(session: TrainSession, weights: dict | None, console: Console) -> None:
    """The best step's weights into the model (or a sharded model's gathered `weights`), said."""
    if best := restore_best(session.run_dir, session.model, weights):
        last = ", the last step" if best["step"] == session.state.step else ", not the last step"
        console.print(
            f"model/ holds step {best['step']}, the best by "
            f"{score_said(best['metric'], higher_better(best['metric'], best['value']))}{last}"
        )


def _eval_losses(metrics: Path) -> list[float]:
    """The run's eval losses, first to last (a resume's earlier session's too)."""
    rows = read_metrics(metrics) if metrics.is_file() else []
    return [row["eval_loss"] for row in rows if "eval_loss" in row]
