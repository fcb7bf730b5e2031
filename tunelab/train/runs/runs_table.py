"""`tunelab runs`' table, laid out for the terminal it is printed in: every column where they all
fit; else a run's model, method and data under its name, its losses in one cell and its steps and
time under its status; else one block of lines per run. Squeezed into 80 columns, rich broke the
headers mid-word ("metho d", "statu s") and the losses with them ("5.558" over "6")."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tunelab.evaluate.scores import score_said
from tunelab.terminal import duration, fits, n_things

COLUMNS = ("run", "model", "method", "data", "steps", "train loss", "eval loss", "best held-out",
           "time", "status")  # fmt: skip


def runs_listing(console: Console, rows: list[dict]) -> RenderableType:
    """The runs (`runs.summary` rows) as wide as `console` takes, no word broken: the whole
    table (a stale eval's note under its score where it is too wide on one line), the stacked
    one, or a block per run (`run_block`)."""
    tables = [_whole_table(rows), _whole_table(rows, stale_below=True), _stacked_table(rows)]
    for table in tables if any(map(_stale, rows)) else tables[::2]:
        if fits(console, table):
            return table
    return Group(*(run_block(row) for row in rows))


def _whole_table(rows: list[dict], stale_below: bool = False) -> Table:
    """A column each; with `stale_below`, the note of an eval before the last training wrapped
    under its score, at its words."""
    shown = [_held_out(row.get("best_heldout")) for row in rows if not _stale(row)]
    scores = [_score(row.get("best_heldout")) for row in rows]
    held_out = max(map(len, [*shown, *scores, "best held-out"])) if stale_below else None
    table = Table()
    for name in COLUMNS:
        table.add_column(name, max_width=held_out if name == "best held-out" else None)
    for row in rows:
        table.add_row(
            escape(row["run"]),
            escape(row["model"]),
            row["method"],
            escape(row["data"]),
            _steps(row),
            _number(row["train_loss"]),
            _eval_loss(row),
            _held_out(row.get("best_heldout")),
            _duration(row["time_s"], compact=True),  # a column: "2m 49s" keeps the table narrow
            row["status"],
        )
    return table


def _stacked_table(rows: list[dict]) -> Table:
    """Four columns: the run with what it trained under its name, its losses, its best held-out
    score (its source wrapped under it, at its words) and how it ended."""
    table = Table(show_lines=True)  # a run's lines apart from the next run's
    table.add_column("run")
    table.add_column("loss")
    # As wide as the widest score: "(tunelab eval, 30 questions)" goes on the lines below it.
    widest = max((len(_score(row.get("best_heldout"))) for row in rows), default=0)
    table.add_column("best held-out", max_width=max(widest, len("held-out")))
    table.add_column("status")
    for row in rows:
        trained = ", ".join(filter(None, (row["method"], row["data"])))
        ended = (row["status"], _steps(row, worded=True), _duration(row["time_s"]))
        table.add_row(
            Text.assemble(row["run"], ("\n" + row["model"] + "\n" + trained, "dim")),
            "\n".join(_losses(row, "", "\n")),
            _held_out(row.get("best_heldout"), "\n"),
            "\n".join(filter(None, ended)),
        )
    return table


def run_block(row: dict) -> Group:
    """One run in a few lines, wrapped at its words (indented) however narrow the terminal."""
    took = f" in {_duration(row['time_s'])}" if row["time_s"] is not None else ""
    lines = [", ".join(filter(None, (row["model"], row["method"], row["data"])))]
    if losses := _losses(row, " loss"):
        lines.append(", ".join(losses))
    if held_out := _held_out(row.get("best_heldout")):
        lines.append(f"best held-out: {held_out}")
    return Group(
        Text(f"{row['run']}: {row['status']}, {_steps(row, worded=True)}{took}"),
        Padding(Text("\n".join(lines)), (0, 0, 0, 2), expand=False),
    )


def _losses(row: dict, word: str = "", before_step: str = " ") -> list[str]:
    """'train 5.3621', 'eval 5.2652 (step 3)' (`word` after train and eval)."""
    losses = [f"train{word} {_number(row['train_loss'])}"] if row["train_loss"] is not None else []
    if row["eval_loss"] is not None:
        losses.append(f"eval{word} {_eval_loss(row, before_step)}")
    return losses


def _eval_loss(row: dict, before_step: str = " ") -> str:
    """The eval loss, and its step where it is not the last (a run stopped before its next
    eval showed step 44's train loss beside the untrained model's step-0 eval loss)."""
    at = row["eval_step"]
    step = f"{before_step}(step {at})" if at not in (None, row["steps"]) else ""
    return _number(row["eval_loss"]) + step


def _steps(row: dict, worded: bool = False) -> str:
    """The steps done, out of those planned while the run has not ended ("8/40"): running, or
    interrupted and so resumable to its end; `worded`, said with the word ("1 step", "8/40
    steps"), where no column header names them."""
    total = row.get("total_steps")
    if row["status"] in ("running", "interrupted") and total and total >= row["steps"]:
        return f"{row['steps']}/{total}" + " steps" * worded
    return n_things(row["steps"], "step") if worded else str(row["steps"])


def _stale(row: dict) -> bool:
    return bool(row.get("best_heldout", {}).get("stale"))


def _score(best: dict | None) -> str:
    """The score as `score_said` says it, with its 95% interval where an eval measured one."""
    if not best:
        return ""
    said = score_said(best["metric"], best["value"])
    if "step" not in best and not best.get("stale") and (interval := best.get("interval")):
        said += f" [{interval[0]:.1%}, {interval[1]:.1%}]"
    return said


def _held_out(best: dict | None, before_source: str = " ") -> str:
    """The best held-out score and where it is from: a step of training's held-out answers, or
    the last `tunelab eval` of the run (`runs.evaluated`)."""
    if not best:
        return ""
    if "step" in best:
        source = f"(step {best['step']})"
    elif best.get("stale"):
        source = "(tunelab eval of the model before the last training: eval it again)"
    else:
        over, questions = best.get("over"), best["questions"]
        counted = n_things(questions, "question")
        if over is not None and over != questions:
            counted = f"{over} of {counted}"
        source = f"(tunelab eval, {counted})"
    return _score(best) + before_source + source


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _duration(seconds: float | None, compact: bool = False) -> str:
    """The run's time as `duration` says it; nothing where no step recorded one."""
    return "" if seconds is None else duration(seconds, compact)
