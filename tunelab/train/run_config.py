"""The settings a run trains with: read from the defaults, a YAML file or a run folder, its local
files found from any folder, and what a resume may change of them (its settings, its data, the
rows a step takes) against its checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

from tunelab.config import Config, TrainConfig
from tunelab.data.files.read import is_data
from tunelab.errors import TunelabError, exists
from tunelab.models.names import beside_said, looks_like_path
from tunelab.run import Run, resume_command
from tunelab.run_files import CONFIG_FILE
from tunelab.section import flatten
from tunelab.train.checkpoint import TrainState
from tunelab.train.parallel.distributed import World

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
    if not exists(source):  # `tunelab train runs/mine --resume` with the run's name mistyped
        raise TunelabError(f"{source}: no such run folder or config file{beside_said(path)}")
    run_dir = path if path.is_dir() else None
    if path.name == CONFIG_FILE and Run.is_started(path.parent):
        run_dir = path.parent
    # It was read as YAML: "expected '<document start>', but found '{'". A run is no data.
    # A run folder this user may not enter is said so (exists), not read as data and crashed on.
    if not exists(path / CONFIG_FILE) and is_data(path):
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
        if value and exists(value):  # absolute, not resolved: a link into a cache stays
            update.setdefault(section, {})[field] = _absolute(value)
    sections = {
        name: getattr(config, name).model_copy(update=fields) for name, fields in update.items()
    }
    return config.model_copy(update=sections)


def _absolute(path: str) -> str:
    """`path` from the root, naming the file it names here. A config's path beside it reads
    "examples/../data/x.jsonl", and where `examples` is a symlinked folder the file system reads
    its `..` as the link target's parent; os.path.abspath drops "examples/.." by the letters and
    named a file in the current folder. There the folder is resolved, the file's own link kept."""
    lexical = os.path.abspath(path)
    if os.path.exists(lexical) and os.path.samefile(lexical, path):
        return lexical
    folder, name = os.path.split(path.rstrip("/\\") or path)
    return os.path.join(os.path.realpath(folder), name)


def _moved(key: str, saved, new) -> bool:
    """A data file or base model named where it is now, the run's path gone (a project moved or
    copied to another machine): the same one, by the user's word. A base saved by a name that is
    no path (the embedded model's, a hub id) never moved: a run resumed with `--set model.name=`
    another model went on, its checkpoint put on weights it never saw."""
    return (
        key in LOCAL_FILES and bool(saved) and bool(new)
        and (key != "model.name" or looks_like_path(saved))
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
        sets = "set" if len(step) > 1 else "sets"
        size = f"; {' and '.join(step)} {sets} what a step is, and its steps so far were of the old"
        values = "values" if len(changed) > 1 else "value"
        raise TunelabError(
            f"{run_dir}: cannot change {what} on resume (its checkpoint was trained with the old "
            f"{values}{size if step else ''}): drop the change, or start a new run under another "
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
