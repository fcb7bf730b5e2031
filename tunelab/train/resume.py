"""A resumed run's start: its newest complete checkpoint read (one cut short is named and
skipped for the one before), checked against the run as it is now, and put in place."""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from tunelab.config import Config, DataConfig
from tunelab.data.files.read import is_raw_text
from tunelab.data.load import load_examples
from tunelab.data.pipeline import PreparedData, fingerprint
from tunelab.data.question_keys import drop_duplicates
from tunelab.data.split import tails_held_out
from tunelab.data.tokenize import Tokenized
from tunelab.errors import TunelabError
from tunelab.run import Run
from tunelab.run_files import CHECKPOINTS, list_checkpoints
from tunelab.terminal import say_wrapped
from tunelab.train.checkpoint import (
    Checkpoint,
    DamagedCheckpoint,
    TrainState,
    draws_dropout,
    missing_rng_note,
    read_latest,
    read_state,
    restore,
)
from tunelab.train.parallel.distributed import World
from tunelab.train.parallel.sharded_checkpoint import read_sharded, restore_sharded
from tunelab.train.run_config import (
    check_rows_per_step,
    keep_rows_per_step,
    resume_changes_note,
    same_data,
)
from tunelab.train.schedule import step_counts


def resume_from_checkpoint(
    config: Config,
    world: World,
    model,
    optimizer,
    digest: str,
    total_steps: int,
    read_before: tuple[Checkpoint, list[str]] | None,
    console: Console,
) -> TrainState:
    """The state of the newest complete checkpoint (`read_before`, where read_at_its_end read
    it), its weights and optimizer state restored."""
    cfg, run_dir = config.train, config.run_dir
    sharded = cfg.parallel == "fsdp"
    checkpoint, damaged = read_before or _read_latest(config)
    for problem in damaged:
        said = f"warning: {problem}: resuming from the one before, {checkpoint.path.name}"
        say_wrapped(console, said, "yellow")
    ran_on = checkpoint.state.processes  # before this launch's replaces it
    same_data(checkpoint.state, digest, config, run_dir)
    keep_rows_per_step(checkpoint.state, cfg, world, run_dir)
    state = (restore_sharded if sharded else restore)(checkpoint, model, optimizer, world.rank)
    state.data_digest = digest  # a checkpoint from before digests were kept gets one
    console.print(f"[bold]resumed[/] from {escape(str(checkpoint.path))} (step {state.step})")
    if world.is_main and (changes := resume_changes_note(run_dir, config, state.step)):
        say_wrapped(console, f"note: {changes}", "yellow")
    saved_rng, dropout = checkpoint.saved["rng"], draws_dropout(model)
    if note := missing_rng_note(saved_rng, world.size, ran_on, dropout):
        say_wrapped(console, f"note: {note}", "yellow")
    _check_steps_left(config, state.step, total_steps)
    return state


def refuse_changed_data(config: Config, train: list[Tokenized]) -> None:
    """Refuse a resume whose training examples tokenize otherwise than its newest checkpoint's
    did, read by its state.json before the model loads. A damaged one is left to
    resume_from_checkpoint, which falls back to the one before and checks that."""
    newest = list_checkpoints(config.run_dir / CHECKPOINTS)[-1:]
    try:
        state = read_state(newest[0]) if newest else None
    except DamagedCheckpoint:
        return
    if state is not None:
        same_data(state, fingerprint(train), config, config.run_dir)


def _read_latest(config: Config) -> tuple[Checkpoint, list[str]]:
    sharded = config.train.parallel == "fsdp"
    return read_latest(config.run_dir / CHECKPOINTS, read_sharded if sharded else None)


def read_at_its_end(
    config: Config, resume: bool, processes: int
) -> tuple[Checkpoint, list[str]] | None:
    """A resumed run whose newest checkpoint is at the run's end, read before the model loads
    and refused there if no step is left (the embedded model took a minute to load before the
    refusal); None for any other run, read after the model as before. The end is train.max_steps,
    else train.epochs over the rows the checkpoint says an epoch takes on `processes` processes.
    Read whole, not by its state.json: a damaged newest checkpoint falls back to the one before,
    which may have steps left (tests/test_checkpoint_safety.py)."""
    newest = list_checkpoints(config.run_dir / CHECKPOINTS)[-1:] if resume else []
    try:
        if not newest or (state := read_state(newest[0])).step < _length(config, state, processes):
            return None
    except DamagedCheckpoint:
        return None
    read = _read_latest(config)
    # Steps of another size (grad_accum) counted the run's length short: "raise max_steps" misled.
    check_rows_per_step(read[0].state, config.train, processes, config.run_dir)
    _check_steps_left(config, read[0].state.step, _length(config, read[0].state, processes))
    return read


def _length(config: Config, state: TrainState, processes: int) -> float:
    """The run's length in steps as far as it is known before the model and data load."""
    if config.train.max_steps or state.rows is not None:
        return step_counts(config.train, state.rows or 0, processes)[2]
    return math.inf


def _check_steps_left(config: Config, step: int, total_steps: int) -> None:
    """Refuse a resume at `step` that has no step left to train."""
    cfg, run_dir = config.train, config.run_dir
    # At the end but not finished (killed or failed while writing model/, or Ctrl-C in the
    # last step): the resume writes the final model, training nothing more.
    finished = Run(run_dir, config).status["status"] == "finished"
    if step > total_steps or (step == total_steps and finished):
        # With max_steps set it alone sets the length: "or train.epochs" sent users to raise
        # epochs, which changed nothing.
        longer = (
            f"raise train.max_steps (set to {cfg.max_steps}: it caps the run, whatever "
            "train.epochs says)"
            if cfg.max_steps
            else "raise train.epochs (or set train.max_steps)"
        )
        raise TunelabError(
            f"{run_dir} is already at step {step} of {total_steps}: {longer} to train further"
        )


def split_as_checkpointed(
    config: Config,
    data: PreparedData,
    prepare_again: Callable[[DataConfig], PreparedData],
    console: Console,
) -> tuple[Config, PreparedData]:
    """A raw-text run of fewer texts than 1/data.test_size trained before tunelab held out each
    text's end (split.tails_held_out, 2026-12-06) held out whole texts: at least one, as
    data.test_size 1 does now. Its resume was refused as "the training data changed" though
    nothing had; where that split gives the checkpoint's tokens, the run goes on with it (its
    config.yaml says test_size 1 from here on) and says so. Else `config` and `data` as they are,
    for same_data to judge."""
    test_size = config.data.test_size
    if config.data.test_path or not tails_held_out(data.train_examples, test_size):
        return config, data
    newest = list_checkpoints(config.run_dir / CHECKPOINTS)[-1:]
    try:
        trained_on = read_state(newest[0]).data_digest if newest else None
    except DamagedCheckpoint:  # read_latest says so, and goes on from the one before
        return config, data
    if trained_on in (None, fingerprint(data.train)):
        return config, data
    whole = config.data.model_copy(update={"test_size": 1})
    again = prepare_again(whole)
    if fingerprint(again.train) != trained_on:
        return config, data
    say_wrapped(
        console,
        f"note: {config.run_dir} held out {len(again.test_examples)} "
        f"of its {len(data.train_examples)} texts whole, as tunelab did before it held out each "
        f"text's last {test_size:.0%} where there are fewer than 1/data.test_size: its checkpoint "
        "trained so, and it goes on so: data.test_size 1 from here on, in its config.yaml (a "
        f"config file saying {test_size:g} resumes it so too)",
        "yellow",
    )
    return config.model_copy(update={"data": whole}), again


def split_left_before_loading(config: Config) -> frozenset[str]:
    """`split_left_to_checkpoint`, where the texts at data.path (read here, before the model
    loads) say the checkpoint's split may decide: none where data.test_size holds out whole
    texts of them (0.2 of 6 texts), a split the whole-text fallback never drew at that
    fraction, so check_resume_changes refuses the change from 1 at once, where it came after
    the model had loaded (minutes on a CPU)."""
    left = split_left_to_checkpoint(config)
    if not left:
        return left
    data = config.data
    texts = load_examples(data.path, data.shape, data.fields, data.on_error, quiet=True)
    texts = drop_duplicates(texts)[0] if data.dedupe else texts  # as `prepare` splits them
    return left if tails_held_out(texts, data.test_size) else frozenset()


def split_left_to_checkpoint(config: Config) -> frozenset[str]:
    """{"data.test_size"} where `config` resumes at a fraction a raw-text run whose config.yaml
    says 1 (split_as_checkpointed set it so, or it trained so): the checkpoint's split decides
    once the data is read, as for `train RUN --resume`; else none. A config file saying the
    fraction it was written with was refused as a change of data.test_size 1.0 → 0.1."""
    data = config.data
    if data.test_path or not 0 < data.test_size < 1 or not Run.is_started(config.run_dir):
        return frozenset()
    saved = Run.open(config.run_dir).config.data
    if saved.test_size != 1 or saved.test_path or not is_raw_text(data.path, data.shape):
        return frozenset()
    return frozenset({"data.test_size"})
