"""`tunelab runs`: the run folders at a glance (model, method, data, steps, losses, best held-out
score, time, status, benchmark scores), and for a few runs their loss curves in one plot and the
settings that differ between them, so comparing runs does not mean opening folders one by one."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tunelab.errors import TunelabError
from tunelab.models.names import folder_listing, folders_beside, meant_beside
from tunelab.run import Run, failure, unstarted
from tunelab.run_files import (
    CHECKPOINTS,
    CONFIG_FILE,
    METRICS_FILE,
    STATUS_FILE,
    WEIGHTS,
    checkpoint_state,
)
from tunelab.section import flatten
from tunelab.terminal import say_wrapped
from tunelab.train.plot import read_metrics

# The first a run has is its score: facts are what a run is measured by, the overlap with the
# reference words only where its test rows name none.
HELD_OUT_KEYS = ("eval_fact_accuracy", "eval_token_f1")
# The metrics themselves, as an eval's summary and its rows name them.
HELD_OUT_METRICS = tuple(key.removeprefix("eval_") for key in HELD_OUT_KEYS)
# Always different between runs, and shown as the row's name anyway.
NOT_COMPARED = {"name", "output_dir"}
PLOT_FILE = "runs.png"  # where --plot draws, unless --out says


def find_runs(paths: list[str | Path]) -> list[Run]:
    """Each path as a run folder, or the run folders inside it (oldest first, as `ls -tr`)."""
    found: list[Run] = []
    for path in map(Path, paths):
        if said := unstarted(path):
            raise TunelabError(f"{path} is {said}")
        if (path / CONFIG_FILE).is_file():
            found.append(open_run(path))
        elif path.is_dir():
            folders = sorted(path.iterdir())
            inside = [p for p in folders if (p / CONFIG_FILE).is_file()]
            inside.sort(key=lambda p: ((p / CONFIG_FILE).stat().st_mtime, p.name))
            for folder in folders:  # no config yet: said, not left out unsaid
                if said := unstarted(folder):
                    say_wrapped(Console(stderr=True), f"not listed: {folder} is {said}", "yellow")
            before = len(found)
            for folder in inside:
                try:
                    found.append(open_run(folder))
                except TunelabError as err:  # one unreadable folder does not hide the others
                    say_wrapped(Console(stderr=True), f"skipped {err}", "yellow")
            if len(found) == before:  # an empty table and exit 0 read as "no runs, all is well"
                raise TunelabError(
                    f"{path}: holds no run folder (one with the {CONFIG_FILE} and "
                    f"{METRICS_FILE} `tunelab train` writes); name the folder training wrote "
                    "to: tunelab runs DIR"
                )
        elif not path.exists():
            # The runs beside it and the one it likely meant, as eval's refusal names them; the
            # parent listed once for both.
            listing = folder_listing(path.parent)
            raise TunelabError(
                f"{path}: no such folder here{folders_beside(path, listing)}; name the folder "
                f"training wrote to: tunelab runs DIR{meant_beside(path, listing or [])}"
            )
        else:
            raise TunelabError(f"{path}: neither a run folder (no {CONFIG_FILE}) nor a folder")
    return found


def open_run(folder: Path) -> Run:
    """The run in `folder`: training wrote more than a config there (a log, checkpoints or the
    model), else a config.yaml alone, empty or never trained, would list as a run of blanks."""
    if not (Run.is_started(folder) or Run.is_run(folder)):
        raise TunelabError(
            f"{folder}: not a run: its {CONFIG_FILE} has no {METRICS_FILE}, {CHECKPOINTS}/ or "
            f"{WEIGHTS}/ beside it, as `tunelab train` writes"
        )
    return Run.open(folder)


def names(runs: list[Run]) -> list[str]:
    """What each run is called in a listing: its folder's name, or as many of the folders above
    it as tell it from another listed run of that name (`a/demo`, `b/demo`): two rows and a
    comparison "demo against demo" left the reader to guess which was which."""
    parts = [run.path.resolve().parts for run in runs]
    named = []
    for own in parts:
        depth = 1
        while depth < len(own) and any(
            other != own and other[-depth:] == own[-depth:] for other in parts
        ):
            depth += 1
        named.append("/".join(own[-depth:]))
    return named


def summary(
    run: Run, name: str | None = None, answered: tuple[str | None, bool] | None = None
) -> dict:
    """One row of the listing: what the run trained, how far it got and how well, how it ended;
    `name` where the folder's own is another listed run's too (`names`); `answered`, the test
    file its eval answered and whether it is the run's own (`run_answered`), where the caller
    read it for its notes too (read here otherwise)."""
    from tunelab.evaluate.eval_folder import run_answered

    rows = read_metrics(run.path / METRICS_FILE)
    _, own = answered or run_answered(run)
    config, status = run.config, run.status
    row = {
        "run": name or run.name,
        "model": _as_read_here(config.model.name),
        "method": config.train.method,
        "data": Path(config.data.path).name if config.data.path else "",
        "steps": max((r.get("step", 0) for r in rows), default=0),
        "train_loss": _last(rows, "loss"),
        "eval_loss": _last(rows, "eval_loss"),
        # The eval loss's own step where it is not the last: a run stopped before its next
        # eval showed step 44's train loss beside the untrained model's step-0 eval loss.
        "eval_step": _last(rows, "step", having="eval_loss"),
        "time_s": run_time(run, rows),
        "status": status["status"],
        # Where a run that has not ended is going: `tunelab runs` shows "8/40", not "8".
        "total_steps": status.get("total_steps", config.train.max_steps),
        "raw_text": run.trained_on_text,  # no questions to answer: held-out texts, eval loss
    }
    if error := failure(status):
        # Why, under the table: "failed" alone sent the user to read status.json.
        row["error"] = error
    if best := best_held_out(run, rows, own):
        row["best_heldout"] = best
    if benched := benchmarked(run):
        row["bench"] = benched
    return row


def run_time(run: Run, rows: list[dict]) -> float | None:
    """The run's whole time, its evals and held-out answers included: its last checkpoint's
    `wall`, with the steps logged after it (a run that died unsaved). A run mostly of eval loss
    listed its steps' 17 s where it took 2 min 49 s. Its steps' time alone (metrics.jsonl's
    `elapsed`) where no checkpoint kept a wall (one from before it was kept, or none saved)."""
    steps = _last(rows, "elapsed")
    checkpoints = run.checkpoints
    state = checkpoint_state(checkpoints[-1]) if checkpoints else {}
    if steps is None or not state.get("wall"):
        return steps
    return state["wall"] + max(0.0, steps - state.get("elapsed", steps))


def benchmarked(run: Run) -> dict[str, dict]:
    """The run's benchmark scores by task, as the last `tunelab bench` of each task kept them in
    its folder; "stale" where the run trained again after that bench."""
    from tunelab.evaluate.bench.run_scores import run_scores

    scores = run_scores(run)
    trained = trained_at(run) if scores else 0.0
    return {
        task: {**score, "stale": True} if score.get("measured", 0) < trained else score
        for task, score in scores.items()
    }


def best_held_out(run: Run, rows: list[dict], own: bool) -> dict | None:
    """The run's best held-out score: its fact accuracy wherever one was measured, in training
    or by the last `tunelab eval` of its test questions (`evaluated`), else its token F1;
    training's own before an eval's of the same metric. A run trained before its test rows named
    their facts (`tunelab data facts`) showed training's token F1 beside an eval's fact accuracy.
    `own`: whether the run's eval answered its test questions (`run_answered`); another test
    file's answers there (`eval RUN --data other.jsonl`) are not held out."""
    trained = {}
    for key in HELD_OUT_KEYS:
        # Training keeps the best trained step in model/ (best/best.json), never the base
        # model's step-0 score, which can be the highest when training did not help.
        scored = [(r[key], r["step"]) for r in rows if key in r and r["step"] > 0]
        if scored:
            # A tie goes to the earlier step, as training keeps it.
            value, step = max(scored, key=lambda p: (p[0], -p[1]))
            metric = key.removeprefix("eval_")
            trained[metric] = {"metric": metric, "value": value, "step": step}
    eval_score = evaluated(run) if own else None
    for metric in HELD_OUT_METRICS:
        if metric in trained:
            return trained[metric]
        if eval_score and eval_score["metric"] == metric:
            return eval_score
    return None


def evaluated(run: Run) -> dict | None:
    """The score of the run's last `tunelab eval` (its <run>/eval), which answered the run's own
    test questions (`best_held_out` asks only then: where training answered none, no
    train.eval_generate_every, or scored no facts): fact accuracy where the rows name facts,
    else token F1, the questions it was over and the summary it is read from; "stale" where
    the run trained again after that eval."""
    from tunelab.evaluate.eval_folder import earlier_summary

    folder = run.out_dir("eval")
    try:
        summary = earlier_summary(folder)
    except ValueError:  # a damaged summary.json costs this cell, not the listing
        return None
    metrics = summary.get("metrics") or {}
    metric = next((m for m in HELD_OUT_METRICS if m in metrics), None)
    if metric is None:
        return None
    scored = {
        "metric": metric,
        "value": metrics[metric],
        "questions": summary.get("examples"),
        # The questions the metric is over, and its interval: fact accuracy over the rows that
        # name facts, 4 of lamini_docs' 30, read "25.0% (tunelab eval, 30 questions)".
        "over": (summary.get("n") or {}).get(metric),
        "interval": (summary.get("interval95") or {}).get(metric),
        "eval": str(folder / "summary.json"),
    }
    # A resume after the eval (`train --resume` with more steps) kept the earlier model's score
    # beside the new step count, as if it were the new model's.
    if eval_stale(run):
        scored["stale"] = True
    return scored


def eval_stale(run: Run) -> bool:
    """Whether the run trained again after its last eval (RUN/eval: its answers and summary are
    an earlier model's)."""
    from tunelab.evaluate.eval_folder import ANSWERS_FILE

    folder = run.out_dir("eval")
    written = [p.stat().st_mtime for p in (folder / "summary.json", folder / ANSWERS_FILE)
               if p.exists()]  # fmt: skip
    return max(written, default=0.0) < trained_at(run)


def trained_at(run: Run) -> float:
    """When training last wrote into the run: its status.json, written as a training starts and
    again, last of all, as it ends; its metrics or model/ for a run from before status.json."""
    written = [run.path / STATUS_FILE, run.path / METRICS_FILE, *run.weights.glob("*")]
    return max((p.stat().st_mtime for p in written if p.exists()), default=0.0)


def _as_read_here(model: str) -> str:
    """A base model named by its folder (a run trained on another run), from the current folder
    where it lies under it: config.yaml keeps the absolute path, and the column showed
    /home/me/project/runs/b where the user typed runs/b."""
    path = Path(model)
    if not path.is_absolute():
        return model
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:  # elsewhere: the path as stored
        return model


def differences(runs: list[Run]) -> dict[str, list]:
    """The settings (by their `--set` keys) whose values are not the same in every run."""
    flat = [flatten(run.config.model_dump()) for run in runs]
    keys = sorted(set().union(*flat) - NOT_COMPARED) if flat else []
    values = {key: [f.get(key) for f in flat] for key in keys}
    if "model.name" in values:  # a base run as the listing's model column names it
        values["model.name"] = [_as_read_here(name) for name in values["model.name"]]
    return {key: row for key, row in values.items() if len({repr(v) for v in row}) > 1}


def check_plot_out(plot: bool, out: str | Path | None) -> None:
    """Refuse an image named without --plot: `tunelab runs A B --out cmp.png` drew nothing and
    said nothing, and the PNG looked for was not there (`--out runs.png`, the default's own
    name, too)."""
    if not plot and out is not None:
        raise TunelabError(
            f"--out {out} names the image --plot draws, and --plot was not given: "
            f"tunelab runs ... --plot --out {out}"
        )


def plot_runs(runs: list[Run], out: Path, called: list[str]) -> Path:
    """Every run's train loss (line) and eval loss (dots) on one chart, a colour per run, each
    by its name in the listing (`names`)."""
    import matplotlib

    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    # A folder gets runs.png inside it, a name without a suffix a PNG (matplotlib adds .png
    # and the path said was the one without), a suffix it cannot write one line.
    if out.is_dir():
        out = out / PLOT_FILE
    elif not out.suffix:
        out = out.with_suffix(".png")
    formats = fig.canvas.get_supported_filetypes()
    if out.suffix.lstrip(".").lower() not in formats:
        plt.close(fig)
        raise TunelabError(
            f"--out {out}: not an image format matplotlib writes ({', '.join(formats)})"
        )
    for i, (run, name) in enumerate(zip(runs, called)):
        rows = read_metrics(run.path / METRICS_FILE)
        colour = f"C{i % 10}"
        train = [(r["step"], r["loss"]) for r in rows if "loss" in r]
        evals = [(r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r]
        if train:
            ax.plot(*zip(*train), color=colour, linewidth=1.1, alpha=0.6, label=f"{name} train")
        if evals:
            ax.plot(*zip(*evals), "o-", color=colour, linewidth=1.8, label=f"{name} eval")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats per trained token)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def _last(rows: list[dict], key: str, having: str | None = None) -> float | None:
    """The last row's `key` (of the rows that have `having` too)."""
    return next((r[key] for r in reversed(rows) if key in r and (having or key) in r), None)
