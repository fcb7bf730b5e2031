"""The run folder around the loop: which folder a run is, checking it before a run (and what a
resume may change), its metrics log and the final model."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from tunelab.config import Config, DataConfig, TrainConfig
from tunelab.data.read import is_data
from tunelab.data.write import cannot_write
from tunelab.errors import TunelabError
from tunelab.model_names import folders_beside
from tunelab.run import Run, resume_command
from tunelab.run_files import (
    CHECKPOINTS,
    CLAIM_FILE,
    CONFIG_FILE,
    HELD_OUT,
    WEIGHTS,
    list_checkpoints,
    run_status,
    with_umask,
)
from tunelab.section import flatten
from tunelab.tokenizer_file import save_tokenizer
from tunelab.train.checkpoint import TrainState, remove_partial_saves
from tunelab.train.claim import being_trained
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

# What a step is: the rows it takes (batch_size; grad_accum, checked with the processes by
# check_rows_per_step) and the tokens of a row.
STEP_SETTINGS = frozenset({"train.batch_size", "data.max_length", "data.packing"})


def config_from(source: str | Path | None, overrides: list[str] | None = None) -> Config:
    """What `tunelab train SOURCE --set ...` trains: the defaults, a YAML file, or a run folder (or
    its config.yaml). A run folder is the run: a copy (`cp -r runs/a runs/b`) trains into itself,
    not into the folder its config.yaml names; with `--set name=...` (or output_dir) naming
    another folder, its settings start a new run there."""
    overrides = overrides or []
    if source is None:
        return Config.from_dict({}, overrides, source="--set")
    path = Path(source)
    if not path.exists():  # `tunelab train runs/mine --resume` with the run's name mistyped
        raise TunelabError(f"{source}: no such run folder or config file{folders_beside(path)}")
    run_dir = path if path.is_dir() else None
    if path.name == CONFIG_FILE and Run.is_started(path.parent):
        run_dir = path.parent
    # It was read as YAML: "expected '<document start>', but found '{'". A run is no data.
    if is_data(path) and not (path / CONFIG_FILE).is_file():
        raise TunelabError(
            f"{source} is data, not a config: train on it with `tunelab train --set "
            f"data.path={source}` (or a config file whose data.path names it)"
        )
    if run_dir is None:
        return Config.from_yaml(path, overrides)
    if any(o.partition("=")[0].strip() in ("name", "output_dir") for o in overrides):
        # `--set name=new`: a new run with this one's settings. Run.open put the folder's own
        # name back, and --overwrite then replaced the run given as the source.
        config = Config.from_yaml(run_dir / CONFIG_FILE, overrides)
        if (Path(config.output_dir) / config.name).resolve() != run_dir.resolve():
            return config
    return Run.open(run_dir, overrides).config


# The local files a config names, by their `--set` keys: read from other folders, they must not
# be relative to the one training ran in.
LOCAL_FILES = ("data.path", "data.test_path", "model.name")


def with_found_files(config: Config) -> Config:
    """`config` with its data files and local base model as absolute paths: a run folder's
    config.yaml is read from other folders (eval, compare, serve, export), where a path relative
    to the one training ran in found nothing, or another file of that name (compare retrieved
    from it; a LoRA run loaded onto another base). A hub name stays as it is."""
    update: dict[str, dict[str, str]] = {}
    for key in LOCAL_FILES:
        section, field = key.split(".")
        value = getattr(getattr(config, section), field)
        if value and Path(value).exists():  # absolute, not resolved: a link into a cache stays
            update.setdefault(section, {})[field] = os.path.abspath(value)
    sections = {
        name: getattr(config, name).model_copy(update=fields) for name, fields in update.items()
    }
    return config.model_copy(update=sections)


def write_held_out(run_dir: Path, data: DataConfig, test_examples: list) -> None:
    """held_out.jsonl: the question/answer rows data.test_size split off data.path, each as it
    was in the file (its facts and wrong answers too), so `tunelab eval RUN` and `compare RUN`
    ask them ("no test data" sent users to split the file again themselves)."""
    from tunelab.data.hub import is_hub
    from tunelab.data.load import source_rows
    from tunelab.data.write import write_jsonl

    # Written once: a resume holds the same split, and the data file is not read again for it.
    if (
        data.test_path
        or (run_dir / HELD_OUT).is_file()
        or not any(ex.answer for ex in test_examples)
    ):
        return
    wanted = {ex.source for ex in test_examples}
    # Read back as training read it (its shape and fields hold for them).
    readable = is_hub(data.path) or Path(data.path).exists()
    found = source_rows(data.path, quiet=True, fields=data.fields) if readable else ()
    rows = {source: row for source, row in found if source in wanted and isinstance(row, dict)}
    held = [rows.get(ex.source) or {"question": ex.question, "answer": ex.answer}
            for ex in test_examples]  # fmt: skip
    write_jsonl(held, run_dir / HELD_OUT)


def _moved(key: str, saved, new) -> bool:
    """A data file or base model named where it is now, the run's path gone (a project moved or
    copied to another machine): the same one, by the user's word."""
    return (
        key in LOCAL_FILES and bool(saved) and bool(new)
        and not Path(saved).exists() and Path(new).exists()
    )  # fmt: skip


def _saved_and_new(run_dir: Path, config: Config) -> tuple[dict, dict]:
    """run_dir's config.yaml and `config`, flattened to dotted keys, local files where they are
    (a run from before they were saved absolute, too)."""
    saved = flatten(with_found_files(Run.open(run_dir).config).model_dump())
    return saved, flatten(with_found_files(config).model_dump())


def check_resume_changes(run_dir: Path, config: Config, unknown: frozenset = frozenset()) -> None:
    """Refuse by name a setting changed since run_dir's config.yaml that its checkpoint cannot
    continue with (see MAY_CHANGE_ON_RESUME), rather than fail deep inside loading; the keys in
    `unknown` (data.max_length before the model's context is known) are left to a later check."""
    if not Run.is_started(run_dir):
        return
    saved, new = _saved_and_new(run_dir, config)
    changed = [
        key
        for key in sorted(saved.keys() | new.keys())
        if key not in MAY_CHANGE_ON_RESUME | unknown and saved.get(key) != new.get(key)
        and not _moved(key, saved.get(key), new.get(key))
    ]  # fmt: skip
    if changed:
        what = ", ".join(f"{key} {saved.get(key)!r} → {new.get(key)!r}" for key in changed)
        # A finished run's length counted in steps of another size read as too few steps left.
        step = [key for key in changed if key in STEP_SETTINGS]
        size = f" ({' and '.join(step)} set what a step is: its steps so far were of the old)"
        raise TunelabError(
            f"{run_dir}: cannot change {what} on resume{size if step else ''} (its checkpoint "
            "was trained with the old value): drop the change, or start a new run under another "
            "name (or --overwrite)"
        )


def resume_changes_note(run_dir: Path, config: Config, step: int) -> str | None:
    """The settings a resume changes (those it may: MAY_CHANGE_ON_RESUME) and that they apply
    from `step` on, or None. Said, as a Hugging Face Trainer resume keeps the checkpoint's
    schedule: a new train.lr or length went on silently from the resume step."""
    if not Run.is_started(run_dir):
        return None
    saved, new = _saved_and_new(run_dir, config)
    changed = [
        f"{key} {saved.get(key)} → {new.get(key)}"
        for key in sorted(MAY_CHANGE_ON_RESUME - {"name", "output_dir"})
        if saved.get(key) != new.get(key)
    ]
    if not changed:
        return None
    return (
        f"{', '.join(changed)}: they apply from step {step} on (the steps before it ran with the "
        f"old values; the learning-rate schedule is rebuilt from step {step})"
    )


def same_data(state: TrainState, digest: str, config: Config, run_dir: Path) -> None:
    """Refuse a resume whose data file changed since its checkpoint: the split would be drawn
    again (held-out rows into training, `held_out.jsonl` no longer what was held out) and the
    steps to come would take other rows. A checkpoint from before digests were kept is let be."""
    if state.data_digest is None or state.data_digest == digest:
        return
    redrawn = (
        ""
        if config.data.test_path
        else " (the train/test split drawn again: rows held out so far among them)"
    )
    raise TunelabError(
        f"{run_dir}: the training data changed since its last checkpoint ({config.data.path}: "
        f"its training examples tokenize to other tokens): the steps to come would take other "
        f"rows than the checkpoint's{redrawn}. Put the data back as it was, or start a new run "
        "(another name, or --overwrite)"
    )


def keep_rows_per_step(state: TrainState, cfg: TrainConfig, world: World, run_dir: Path) -> None:
    """Refuse a resume whose step takes other rows than the checkpoint's steps took, then note
    this run's in `state` for the checkpoints it saves."""
    check_rows_per_step(state, cfg, world.size, run_dir)
    state.processes, state.grad_accum = world.size, cfg.grad_accum
    state.per_machine = world.local_size


def check_rows_per_step(state: TrainState, cfg: TrainConfig, processes: int, run_dir: Path) -> None:
    """Refuse a resume on `processes` whose step takes other rows than the checkpoint's steps took
    (its step and the schedule count steps of that size: the lr jumped, the run got more, smaller
    steps), saying how to keep them. Other processes with grad_accum making up for them keep the
    rows (and the losses)."""
    if state.processes is not None and state.grad_accum is not None:
        before = state.processes * state.grad_accum * cfg.batch_size
        now = processes * cfg.grad_accum * cfg.batch_size
        if before != now:
            raise TunelabError(_rows_changed(state, cfg, processes, run_dir, before, now))


def _rows_changed(
    state: TrainState, cfg: TrainConfig, processes: int, run_dir: Path, before: int, now: int
) -> str:
    took = f"{state.processes} process(es) × grad_accum {state.grad_accum}"
    takes = f"{processes} × grad_accum {cfg.grad_accum}"
    same_launch = resume_command(run_dir, state.processes, state.per_machine)
    if cfg.grad_accum != state.grad_accum:
        same_launch += f" --set train.grad_accum={state.grad_accum}"
    ways = [f"`{same_launch}`"]
    micro_batches, left = divmod(before, processes * cfg.batch_size)
    if not left:
        ways.append(f"on these {processes}, --set train.grad_accum={micro_batches}")
    return (
        f"{run_dir}: the run took {took} × batch_size {cfg.batch_size} = {before} rows a step; "
        f"this resume takes {takes} × batch_size {cfg.batch_size} = {now}, and its steps and "
        f"learning-rate schedule count steps of {before}. Keep them: {', or '.join(ways)}"
    )


def check_run_dir(run_dir: Path, resume: bool, overwrite: bool) -> None:
    """Never train over an existing run by accident; --resume needs a checkpoint; a run folder
    that cannot be written is refused now, not by a traceback after the model has loaded."""
    _check_writable(run_dir)
    status = run_status(run_dir)
    if status["status"] == "running":
        # --overwrite deleted the folder under a run still training, which then went on
        # writing its checkpoints into the new run's; --resume trained it twice at once.
        raise TunelabError(being_trained(run_dir, status))
    has_checkpoints = bool(list_checkpoints(run_dir / CHECKPOINTS))
    # A run that stopped before its first checkpoint can only start again: say so at once
    # (the first answer sent to --resume, which then said there was nothing to resume).
    start_again = "--overwrite starts it again (it has no checkpoint to resume from)"
    if resume and not run_dir.exists():  # a mistyped name: "--overwrite starts it again" misled
        raise TunelabError(f"{run_dir}: no such run to resume; without --resume it starts anew")
    if resume and not has_checkpoints:
        raise TunelabError(f"{run_dir}: no checkpoint to resume from; --overwrite starts it again")
    if resume:
        remove_partial_saves(run_dir / CHECKPOINTS)
    # A claim alone is a launch killed while loading (a live one's was refused above).
    held = [p for p in run_dir.iterdir() if p.name != CLAIM_FILE] if run_dir.is_dir() else []
    if not resume and held:
        if not overwrite:
            if has_checkpoints:
                how = "use --resume to continue it (--overwrite starts it again)"
            elif Run.is_started(run_dir):
                how = start_again
            else:
                how = "it is no run (--overwrite would delete what it holds)"
            raise TunelabError(f"{run_dir} already exists: {how}; or give another run name")
        # Not deleted yet: `replace_run_dir` deletes it once the new run is about to be written,
        # so a refusal before that (its held-out rows all dropped, a model that does not load)
        # or a SIGTERM while loading leaves it as it was.


def _check_writable(run_dir: Path) -> None:
    """Fail, naming the folder, where `run_dir` cannot be made or written in: output_dir a file,
    a read-only place. Nothing is left behind (a refused run leaves no folder)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise TunelabError(f"{run_dir} is a file, not a run folder: give another run name")
    nearest = next(p for p in (run_dir, *run_dir.parents) if p.exists() or p == Path(p.anchor))
    try:
        # Permission bits say nothing for root, nor of a read-only disk: a folder made says all.
        with tempfile.TemporaryDirectory(dir=nearest):
            pass
    except OSError as err:
        raise cannot_write(run_dir, err) from None


def replace_run_dir(run_dir: Path) -> None:
    """`--overwrite`: the run there goes, as the new one's folder is written; the new one's
    claim on the folder stays."""
    for entry in run_dir.iterdir() if run_dir.exists() else []:
        if entry.name == CLAIM_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def write_metrics(log, record: dict) -> None:
    """One row of metrics: to metrics.jsonl and the trackers (a MetricsLog; None off rank 0)."""
    if log is not None:
        log.write(record)


def truncate_metrics(path: Path, step: int) -> None:
    """On resume, drop log lines past the checkpoint so the log reads like one straight run."""
    if path.exists():
        _write_rows(path, [r for r in read_metrics(path) if r.get("step", 0) <= step])


def add_eval_loss(path: Path, step: int, measure: Callable[[], float]) -> None:
    """`step`'s eval loss into its training row of the metrics log, measured now where the row
    was written without one (a stop during that eval)."""
    rows = read_metrics(path) if path.exists() else []
    row = next((r for r in reversed(rows) if r.get("step") == step and "loss" in r), None)
    if row is not None and "eval_loss" not in row:
        row["eval_loss"] = measure()
        _write_rows(path, rows)


def _write_rows(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def save_final(model, tokenizer, run_dir: Path, weights: dict | None = None) -> Path:
    """The adapter (LoRA) or full weights, plus the tokenizer, as a loadable HF folder; `weights`
    are the model's, gathered whole, when the model itself holds only a shard of them."""
    from tunelab.generate import stop_at_turn_end

    target = run_dir / WEIGHTS
    stop_at_turn_end(model, tokenizer)
    model.save_pretrained(target, safe_serialization=True, state_dict=weights)
    save_tokenizer(tokenizer, target, model.config)
    with_umask(target)
    return target


def write_config(run_dir: Path, config: Config, step: int) -> None:
    """config.yaml: the settings training goes on with from `step`. A resume that changes some
    (its length, learning rate, cadence) keeps the ones the steps before it were trained with
    beside it, as config.until-step-000015.yaml, so the folder still says how each step was
    trained (it held only the new ones)."""
    path = run_dir / CONFIG_FILE
    fresh = path.with_name(f".{CONFIG_FILE}.tmp")
    config.to_yaml(fresh)
    earlier = run_dir / f"config.until-step-{step:06d}.yaml"
    # A second resume from the same step (the first lost its steps after it) keeps the file the
    # first one kept: the settings the steps up to it were trained with.
    if step > 0 and path.exists() and not earlier.exists():
        if path.read_bytes() != fresh.read_bytes():
            shutil.copyfile(path, earlier)  # a copy: config.yaml is never missing
    fresh.replace(path)
