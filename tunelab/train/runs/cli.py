"""`tunelab runs`: the CLI face of the run folders' listing; imports stay light for `--help`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tunelab.run import Run

WIDE = 200  # columns `runs` prints in when not on a terminal


def runs_command(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Run folders, or folders holding them (default: runs)."),
    ] = None,
    plot: Annotated[
        bool,
        typer.Option(
            help="Overlay their loss curves in one PNG and list the settings that differ."
        ),
    ] = False,
    out: Annotated[
        str | None, typer.Option(help="Where --plot writes its PNG (default runs.png).")
    ] = None,
) -> None:
    """List run folders: model, method, data, steps, losses, best held-out score, time, status;
    under the table, each run's benchmark scores (`tunelab bench RUN`), and each run against the
    first over the questions both answered (eval, benchmarks), with a 95% paired interval."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from tunelab.evaluate.eval_folder import run_answered
    from tunelab.terminal import say_wrapped
    from tunelab.train.runs.run_pairs import pair_line, versus_first
    from tunelab.train.runs.runs import (
        PLOT_FILE,
        check_plot_out,
        differences,
        find_runs,
        names,
        plot_runs,
        summary,
    )
    from tunelab.train.runs.runs_table import runs_listing

    check_plot_out(plot, out)
    found = find_runs(paths or ["runs"])
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped or in CI, rich assumes 80 columns and cut every cell to "supp…": a log line
        # may be long.
        console = Console(width=WIDE)
    called = names(found)
    # Each run's eval folder read once, for its held-out cell and the notes on an empty one.
    answered = [run_answered(run) for run in found]
    rows = [summary(run, name, said) for run, name, said in zip(found, called, answered)]
    console.print(runs_listing(console, rows))
    for note in _empty_held_out_notes(found, rows, answered):
        say_wrapped(console, note, "dim")
    for line in _bench_lines(rows):  # under the table, which stays as wide without any
        say_wrapped(console, line)
    for row in rows:
        if "error" in row:
            say_wrapped(console, f"failed, {row['run']}: {row['error']}", "red")
    for pair in (pair for pairs in versus_first(found, rows) for pair in pairs):
        say_wrapped(console, pair_line(pair))
    if plot and found:
        plotted = plot_runs(found, Path(out or PLOT_FILE), called)
        console.print(f"loss curves: {plotted}", markup=False)
        changed = differences(found)
        if changed:
            diff = Table("setting", *map(escape, called), title="settings that differ")
            for key, values in changed.items():
                diff.add_row(key, *(escape(str(v)) for v in values))
            console.print(diff)


def _empty_held_out_notes(
    found: list, rows: list[dict], answered: list[tuple[str | None, bool]]
) -> list[str]:
    """Why a run's best held-out cell is empty: a raw-text run has no questions to answer, a run
    without test questions (no data.test_path, no held_out.jsonl) none to score, any other run
    answered none of its test questions yet (its eval folder holding, if anything, an eval of
    another file, named: `answered`, each run's `run_answered`)."""
    empty = [
        (run, row, said)
        for run, row, said in zip(found, rows, answered)
        if "best_heldout" not in row
    ]
    texts = [row["run"] for _, row, _ in empty if row["raw_text"]]
    notes = []
    if texts:
        notes.append(
            f"best held-out, empty for {', '.join(texts)}: trained on raw text, which holds no "
            "questions; its held-out texts give the eval loss. To score answers, give "
            "`tunelab eval RUN --data QA.jsonl` a file of question/answer rows"
        )
    not_text = [(run, row, said) for run, row, said in empty if not row["raw_text"]]
    # `tunelab eval RUN` refuses such a run ("no test data"): the note for the others sent
    # its user there, or said its eval of another file was not of "the run's test questions".
    notes += [
        _no_test_questions(run, row["run"], said[0])
        for run, row, said in not_text
        if not run.test_path
    ]
    unasked = [(run, row, said) for run, row, said in not_text if run.test_path]
    others = {}
    for run, row, (test_file, own) in unasked:
        if test_file and not own:  # `eval RUN --data other.jsonl`: no held-out score, named
            others[row["run"]] = (run.out_dir("eval"), test_file)
    if len(others) < len(unasked):
        notes.append(
            "best held-out, empty: training answered no held-out questions "
            "(train.eval_generate_every) and no `tunelab eval RUN` of the run's test questions "
            "is in RUN/eval"
        )
    for name, (folder, other) in others.items():
        notes.append(
            f"best held-out, empty for {name}: training answered no held-out questions "
            f"(train.eval_generate_every) and {folder} holds an eval of {other}, not of the "
            "run's test questions: `tunelab eval RUN` asks them"
        )
    return notes


def _no_test_questions(run: Run, name: str, answered: str | None) -> str:
    """The note of a run without test questions: how eval scores a file of them, or where its
    eval of another file (`answered`, `eval RUN --data x.jsonl`) is, which scores that file
    alone."""
    where = (
        f"its eval of {answered} (in {run.out_dir('eval')}) scores that file alone"
        if answered
        else "`tunelab eval RUN --data QA.jsonl` scores a file of them"
    )
    return (
        f"best held-out, empty for {name}: it has no test questions (no data.test_path, no "
        f"held_out.jsonl); {where}"
    )


def _bench_lines(rows: list[dict]) -> list[str]:
    """Each benchmarked run's scores, a line per run: "bench, demo: arc_easy acc_norm 52.0%
    (100 q)", a score from before the run trained again marked so."""
    from tunelab.evaluate.bench.run_scores import said

    lines = []
    for row in rows:
        scores = [
            said(task, score)
            + (" (before the last training: bench it again)" if score.get("stale") else "")
            for task, score in row.get("bench", {}).items()
        ]
        if scores:
            lines.append(f"bench, {row['run']}: " + "; ".join(scores))
    return lines
