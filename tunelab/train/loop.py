"""The training loop, written out: every step of an optimizer update is visible here. What comes
before the first step is in session.py (start_session), what comes after the last in finish.py."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from pathlib import Path

import torch
from rich.console import Console

from tunelab.config import Config
from tunelab.data.files.file_text import console as data_notes
from tunelab.data.pipeline import iterate_batches
from tunelab.data.tokenize import IGNORE
from tunelab.section import set_values
from tunelab.terminal import say_wrapped
from tunelab.train.checkpoint import (
    TrainState,
    list_checkpoints,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from tunelab.train.claim import RunClaim
from tunelab.train.clipping import clip_gradients
from tunelab.train.eval_loss import evaluate_loss
from tunelab.train.finish import finish_session
from tunelab.train.heldout import best_up_to, higher_better, keep_if_best, score_heldout
from tunelab.train.memory import peak_memory
from tunelab.train.metrics_log import MetricsLog
from tunelab.train.parallel import distributed
from tunelab.train.parallel.distributed import SINGLE, LossModule, World
from tunelab.train.parallel.sharded_checkpoint import save_sharded
from tunelab.train.plot import read_metrics
from tunelab.train.progress import TrainProgress
from tunelab.train.run_folder import add_eval_loss, write_metrics
from tunelab.train.session import TrainSession, start_session
from tunelab.train.setup import pick_device
from tunelab.train.stopping import (
    BeforeTraining,
    LauncherStop,
    NonFiniteLoss,
    StopRequest,
    checkpoint_on_crash,
)

console = Console()


def train(config: Config, resume: bool = False, overwrite: bool = False, rerun: str = "") -> Path:
    """Finetune as `config` says; returns the run folder runs/<name>/.

    resume: continue from the run folder's newest complete checkpoint; the length and the
    learning-rate schedule may change (see MAY_CHANGE_ON_RESUME), anything else is refused.
    Ctrl-C finishes the current step, saves a checkpoint and the model so far, then raises
    KeyboardInterrupt (the caller stops, as it would without tunelab; `tunelab train` exits 130).
    rerun: the caller's own command that goes on from there too (`tunelab demo` as typed), named
    first where a stop says how to go on.
    Under torchrun, every process runs this; rank 0 alone writes the run folder and the log."""
    # Checked whole again: a notebook's field-by-field changes (`c.model.quantize = "int8"` then
    # `c.train.method = "full"`) and `model_copy(update=...)` each skip the checks across sections.
    config = Config.from_dict(set_values(config))
    world, device = distributed.start(pick_device(config.train.device), config.train.parallel)
    console.quiet = not world.is_main
    # The data's notes (bad rows skipped, a DatasetDict's split) too: each process reads the
    # same data, and under torchrun every note came once per process.
    data_notes_quiet, data_notes.quiet = data_notes.quiet, data_notes.quiet or not world.is_main
    try:
        # The claim is given back first: a refused new run's folder is gone when `before` says so.
        with (
            BeforeTraining(config.run_dir, console, rerun) as before,
            RunClaim(config.run_dir) as claim,
        ):
            session = start_session(
                config, resume, overwrite, world, device, before, claim, console
            )
            log, last_loss, interrupted = _run_steps(session, before)
            return finish_session(session, log, last_loss, interrupted, claim, console)
    finally:
        data_notes.quiet = data_notes_quiet
        distributed.stop(world, config.train.parallel)


def _run_steps(
    session: TrainSession, before: BeforeTraining
) -> tuple[MetricsLog | None, float, bool]:
    """The steps, from the session's state to its last step or a stop; returns the metrics log
    (rank 0's, for finish_session), the last step's loss and whether Ctrl-C stopped it. Ctrl-C
    is `before`'s to report until the loop's own handling (`stop`) takes over."""
    config, world, device, state = session.config, session.world, session.device, session.state
    model, tokenizer, loss_module = session.model, session.tokenizer, session.loss_module
    optimizer, scheduler, heldout = session.optimizer, session.scheduler, session.heldout
    test_rows, total_steps = session.test_rows, session.total_steps
    micro_per_epoch, micro_per_step = session.micro_per_epoch, session.micro_per_step
    cfg, run_dir, checkpoints = config.train, session.run_dir, session.checkpoints
    sharded = session.sharded
    sharded_over = world if sharded else None  # keep_if_best gathers the best step's weights

    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    )
    # Every process walks the same batch order; process r trains on micro-batches r, r+world, ...
    stream = iterate_batches(
        session.rows,
        cfg.batch_size,
        cfg.seed,
        session.packing,
        tokenizer.pad_token_id,
        state.epoch,
        state.batch,
        batches_per_step=micro_per_step,
    )
    last_loss, record = float("nan"), {}
    progress = TrainProgress(total_steps, state.step, visible=world.is_main)

    def save_now(rng=None) -> Path:
        if sharded:  # every process writes its shard
            keep = cfg.keep_checkpoints
            return save_sharded(checkpoints, model, optimizer, state, keep, world, rng)
        return save_checkpoint(checkpoints, model, optimizer, state, cfg.keep_checkpoints, rng)

    # A crash inside a step has already drawn that step's dropout masks: the crash checkpoint
    # holds the RNG states the step began with, so the resumed step draws the same masks.
    step_start = {"step": state.step, "rng": rng_states()}

    def save_after_crash() -> Path:
        if state.step == step_start["step"]:
            set_rng_states(step_start["rng"])
        return save_now()

    # A crash (out of memory, a full disk, a bug) keeps the steps already done: rank 0 alone,
    # which holds the whole model under DDP, as the others may be blocked in a collective (its
    # RNG states stand for theirs); a sharded model needs every process, so only in one.
    crash_saves = world.size == 1 or (world.is_main and not sharded)
    # SIGTERM (kill, docker stop, Slurm; torchrun's when another process failed) is such a crash
    # on rank 0, and so is a second Ctrl-C: the loop stops where the model is the last complete
    # step's (launcher.may_stop), and that step is kept.
    launcher = LauncherStop(enabled=world.is_main, under_torchrun=world.size > 1)
    stop = StopRequest(console, launcher)
    on_crash = checkpoint_on_crash(
        save_after_crash, state, checkpoints, session.resume_hint, crash_saves, console, launcher,
        session.stop_hint,
    )  # fmt: skip

    def eval_loss() -> float:
        """The held-out loss now, its batches counted on a second bar; a stop within it stops
        as within a step."""
        with launcher.may_stop(), progress.eval_bar() as on_batch:
            value = evaluate_loss(loss_module, test_rows, cfg, tokenizer, device, world, on_batch)
        return round(value, 5)

    def measure_eval_loss() -> float:
        """The held-out loss now, and what follows from it: early stopping, the best step."""
        value = eval_loss()
        progress.note(f"step {state.step}: eval loss {value:.4f}")
        if _early_stop(state, value, cfg.early_stop_patience):
            progress.note("eval loss stopped improving: early stop")
            stop.requested = True
        if cfg.select_best == "eval_loss" and (world.is_main or sharded):
            best = higher_better("eval_loss", value)
            keep_if_best(run_dir, model, state.step, "eval_loss", best, sharded_over)
        return value

    # A checkpoint from before `wall` was kept (0) resumes from its steps' time: counted from 0
    # its wall was the resumed part alone, shorter than the steps, and `tunelab runs` fell back
    # to the steps' time.
    wall_before, loop_started = state.wall or state.elapsed, time.perf_counter()
    with stop, launcher, progress, on_crash, ExitStack() as files:
        before.stepping = True
        log = (
            files.enter_context(MetricsLog(config, total_steps, state.step))
            if world.is_main
            else None
        )
        _before_first_step(session, log, progress, eval_loss, measure_eval_loss)
        stopping = interrupted = False
        while state.step < total_steps and not stopping:
            started = time.perf_counter()
            step_start.update(step=state.step, rng=rng_states())
            micro_batches = [next(stream) for _ in range(micro_per_step)]
            mine = [batch for _, _, batch in micro_batches[world.rank :: world.size]]
            with launcher.may_stop():  # the optimizer has not touched the model yet
                loss_sum, n_tokens = accumulate_gradients(
                    model, mine, device, autocast, state, checkpoints, world, loss_module
                )
            grad_norm = clip_gradients(
                [p for p in model.parameters() if p.requires_grad], cfg.max_grad_norm, optimizer
            )
            # A finite loss can still give an overflowing gradient: stepping with it writes NaN
            # into every weight, and the next checkpoint, "the last good one", holds them. The
            # norm is of the gradients every process shares: all stop together.
            grad_norm = float(grad_norm)  # one host sync a step, for the check and the log
            if not math.isfinite(grad_norm):
                _fail_non_finite(state, checkpoints, "gradient norm")
            lr = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)

            epoch, batch_index, _ = micro_batches[-1]
            state.step += 1
            state.epoch, state.batch = epoch, batch_index + 1
            state.tokens += n_tokens
            state.input_tokens += sum(int(b["real_tokens"]) for _, _, b in micro_batches)
            state.elapsed += time.perf_counter() - started
            last_loss = loss_sum / max(n_tokens, 1)
            record = {
                "step": state.step,
                "epoch": round(epoch + (batch_index + 1) / micro_per_epoch, 4),
                "loss": round(last_loss, 5),
                "lr": lr,
                "grad_norm": round(grad_norm, 4),
                "tokens": state.tokens,
                "tokens_per_s": round(state.tokens / state.elapsed, 1),
                "input_tokens": state.input_tokens,
                "elapsed": round(state.elapsed, 3),
                **peak_memory(device),
            }
            progress.update(state.step, last_loss, lr, record["tokens_per_s"])

            # A stop (SIGTERM, a second Ctrl-C) or a crash within these evals keeps this step in
            # its checkpoint, so its row is written all the same: the resume starts at the next
            # step, and the missing row was a gap in metrics.jsonl and loss.png. The row holds
            # only the evals that finished; the resume measures a missed eval loss first (one
            # process), held-out answers stay missing.
            last_step = state.step == total_steps
            try:
                if test_rows and (state.step % cfg.eval_every == 0 or last_step):
                    record["eval_loss"] = measure_eval_loss()
                if heldout and (state.step % cfg.eval_generate_every == 0 or last_step):
                    with launcher.may_stop(), session.answering():
                        value = score_heldout(heldout, model, tokenizer, state.step, progress)
                    record[heldout.key] = value
                    if cfg.select_best == heldout.metric:
                        keep_if_best(
                            run_dir, model, state.step, heldout.metric, value, sharded_over
                        )
            finally:
                write_metrics(log, record)
            stopping, interrupted = stop.agreed(world, device)
            # A Ctrl-C during the last step stops nothing: the run is done, not to be resumed.
            interrupted = interrupted and state.step < total_steps
            finished = state.step == total_steps and cfg.save_at_end  # continued with --resume
            state.wall = wall_before + time.perf_counter() - loop_started
            if state.step % cfg.save_every == 0 or stopping or finished:
                rng = distributed.gather_rng(world)  # every process: each has its own masks
                if world.is_main or sharded:
                    save_now(rng)
        if interrupted and test_rows and world.size == 1 and "eval_loss" not in record:
            # Interrupted between evals: one eval loss still says whether the run improved (and
            # the plot shows it). A second Ctrl-C skips it; the checkpoint is already saved.
            progress.note("Ctrl-C: measuring the eval loss once (Ctrl-C again to skip)")
            try:
                value = eval_loss()
                write_metrics(log, {"step": state.step, "eval_loss": value})
                progress.note(f"step {state.step}: eval loss {value:.4f}")
            except KeyboardInterrupt:
                progress.note("eval loss skipped")
    return log, last_loss, interrupted


def _before_first_step(
    session: TrainSession,
    log: MetricsLog | None,
    progress: TrainProgress,
    eval_loss: Callable[[], float],
    measure_eval_loss: Callable[[], float],
) -> None:
    """The eval loss the run starts from; on a resume, an eval loss a stop left unmeasured and a
    note on the best step so far."""
    cfg, state, world = session.config.train, session.state, session.world
    model, tokenizer, heldout = session.model, session.tokenizer, session.heldout
    test_rows = session.test_rows
    if test_rows and state.step == 0:
        # The starting point: how far the model is from the data before any update.
        base_eval = eval_loss()
        start_record = {"step": 0, "eval_loss": base_eval}
        progress.note(f"step 0: eval loss {base_eval:.4f}")
        if heldout:
            with session.answering():
                start_record[heldout.key] = score_heldout(heldout, model, tokenizer, 0, progress)
        write_metrics(log, start_record)
    if session.resume and test_rows and world.size == 1 and state.step % cfg.eval_every == 0:
        # A stop during this step's eval kept the step, not its eval loss: measured now, on
        # the checkpoint's weights, for the curve, early stopping and select_best.
        add_eval_loss(session.metrics_path, state.step, measure_eval_loss)
    if session.resume and cfg.select_best != "last" and (world.is_main or session.sharded):
        # Under FSDP every process takes part (the weights a stand-in keeps are gathered from all);
        # rank 0 alone reads the run folder.
        rows = read_metrics(session.metrics_path) if world.is_main else []
        sharded_over = world if session.sharded else None
        if note := best_up_to(
            session.run_dir, rows, state.step, cfg.select_best, model, sharded_over
        ):
            say_wrapped(console, f"note: {note}", "yellow")


def accumulate_gradients(
    model,
    batches,
    device,
    autocast=None,
    state=None,
    checkpoints=None,
    world: World = SINGLE,
    loss_module=None,
):
    """Backward over micro-batches; returns (summed loss, trained tokens) over all of them, on
    every process.

    Each micro-batch's summed loss is divided by the trained tokens of the whole accumulated
    batch (all processes together), so accumulating micro-batches, on one process or several,
    gives exactly the gradient of one big batch. DDP averages gradients over processes, hence
    the factor world.size.
    """
    loss_module = loss_module or LossModule(model)
    local_tokens = sum(int((b["targets"] != IGNORE).sum()) for b in batches)
    (n_tokens,) = distributed.total([float(local_tokens)], world, device)
    model.train()
    loss_sum = 0.0
    for i, batch in enumerate(batches):
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        # Gradients are exchanged once, on the last micro-batch, not after each.
        last = i == len(batches) - 1
        sync = (
            nullcontext() if last or not hasattr(loss_module, "no_sync") else loss_module.no_sync()
        )
        with sync:
            with autocast or nullcontext():
                micro_loss, _ = loss_module(batch)
            # A step whose targets are all ignored trains nothing: zero gradients, not 0/0's NaN.
            (micro_loss * world.size / max(n_tokens, 1)).backward()
        loss_sum += micro_loss.item()
    (loss_sum,) = distributed.total([loss_sum], world, device)
    # A NaN/inf anywhere makes the sum over every process so: all stop together (one raising
    # alone left the others in the backward's collective, failing as a lost connection).
    if not math.isfinite(loss_sum):
        _fail_non_finite(state or TrainState(), checkpoints or Path("."))
    return loss_sum, int(n_tokens)


def _early_stop(state: TrainState, eval_loss: float, patience: int | None) -> bool:
    if state.best_eval is None or eval_loss < state.best_eval:
        state.best_eval, state.evals_without_improvement = eval_loss, 0
        return False
    state.evals_without_improvement += 1
    return patience is not None and state.evals_without_improvement >= patience


def _fail_non_finite(state: TrainState, checkpoints: Path, what: str = "loss") -> None:
    saved = list_checkpoints(checkpoints)
    where = f"the last good checkpoint is {saved[-1]}" if saved else "no checkpoint was saved yet"
    raise NonFiniteLoss(
        f"the {what} became NaN/inf at step {state.step + 1}; the run stopped and {where}. "
        "Lower train.lr or check the data for broken rows."
    )
