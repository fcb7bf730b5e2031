"""`tunelab bench`: reads the command line (and TUNELAB_BENCH_DATA) once, calls the bench stage
(which fetches a benchmark from the hub into its cache when it is not found locally) and prints
its leaderboard; heavy imports stay inside."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tunelab.evaluate.bench.leaderboard import NO_STDERR
from tunelab.evaluate.bench.score import BenchConfig
from tunelab.options import options

console = Console()


@options(
    BenchConfig,
    *("tasks", "data_dir", "cache", "fetch", "limit", "fewshot", "batch_size", "output"),
    "log_samples",
    source="tunelab bench",
)
def bench_command(
    models: Annotated[
        list[str],
        typer.Argument(
            help="One or more models or runs: one row each. `bench RUN BASE` also shows each "
            "task's difference from the first with a 95% interval (what finetuning cost)."
        ),
    ],
    config: BenchConfig,
) -> None:
    """Score models on standard benchmarks exactly as lm-evaluation-harness does (every task in
    tunelab/evaluate/bench/tasks/ by default), one leaderboard row per model."""
    from rich.markup import escape

    from tunelab.evaluate.bench.score import bench
    from tunelab.evaluate.bench.tasks import with_shots
    from tunelab.progress import progress_bars

    bars = progress_bars(console=console)
    shown: dict[tuple[str, str], object] = {}

    def scoring(model: str, task: str, done: int, total: int) -> None:
        if (model, task) not in shown:
            # Told first before any scoring: what a resumed bench's log held is done before,
            # so its time left is estimated from the questions scored now, not those too.
            # Escaped: a model's name as given ("runs/exp[v2]"), not read as markup.
            label = escape(f"{model} {task}")
            shown[model, task] = bars.add_task(label, total=total, completed=done, done_before=done)
        bars.update(shown[model, task], completed=done)

    def finished(model: str, r) -> None:
        # ± the standard error, as lm-evaluation-harness prints it: 40.00 of 20 questions is
        # anything from ~18 to ~62, which two decimals alone do not say.
        # No standard error (the harness's N/A) is said, not left out: "acc 31.58 (57 questions)"
        # of MMLU's first question per subject read as exact.
        spread, why = " ± n/a", f"; ± n/a: {NO_STDERR}"
        if r.stderr is not None:
            spread, why = f" ± {100 * r.stderr:.2f}", ""
        bars.console.print(
            f"[dim]{escape(model)} {with_shots(r.task, config.fewshot)}: {r.main_metric} "
            f"{100 * r.main:.2f}{spread} "
            f"({r.counted}, {r.seconds:.1f}s{why})[/]"
        )

    def skipped(task: str, why: str) -> None:
        console.print(f"[yellow]skipping {escape(f'{task}: {why}')}[/]")

    def noted(note: str) -> None:  # a resumed log, or where a run's own scores were kept
        bars.console.print(escape(note))

    with bars:
        rows = bench(models, config, finished, scoring, skipped, noted)
    console.print(_leaderboard_table(rows, config.fewshot))
    for row in rows[1:]:
        diffs = Table(title=escape(f"{rows[0]['model']} − {row['model']} (points)"))
        for column in ("task", "Δ", "95% interval", "ahead"):
            diffs.add_column(column, justify="left" if column in ("task", "ahead") else "right")
        for task, d in row["vs_first"].items():
            diffs.add_row(
                task, f"{d['delta']:+.2f}", f"[{d['low']:+.2f}, {d['high']:+.2f}]", d["ahead"]
            )
        console.print(diffs)
    console.print(
        f"saved {config.output / 'leaderboard.md'} and {config.output / 'leaderboard.json'}",
        markup=False,
    )


def _leaderboard_table(rows: list[dict], fewshot: int) -> Table:
    """A row per task and metric, as lm-evaluation-harness prints them (ARC's acc_norm and acc
    differ by 20 points on ARC-Easy; only the leading one, averaged, was shown), a column per
    model: a column per task cut "truthfulqa_mc1" and "truthfulqa_mc2" both to "truthfulqa…" at
    80 columns, and the Average off with 5 tasks."""
    from rich.markup import escape

    from tunelab.evaluate.bench.tasks import get_task, with_shots

    caption = "Average: of each task's first metric; n and ± stderr: above and in leaderboard.md"
    table = Table(title="leaderboard (%)", caption=caption)
    table.add_column("Task")
    table.add_column("Metric")
    ordered = sorted(rows, key=lambda r: -r["average"])
    for row in ordered:
        table.add_column(escape(row["model"]), justify="right", overflow="fold")
    for task in list(rows[0]["scores"]) if rows else []:
        shown = with_shots(task, fewshot)
        for metric in get_task(task).metrics:  # the leading one first
            if all(metric in row["details"][task] for row in ordered):
                scores = (f"{100 * row['details'][task][metric]:.2f}" for row in ordered)
                table.add_row(shown, metric, *scores)
                shown = ""  # the task named once, on its first row
    table.add_section()
    table.add_row("Average", "", *(f"{row['average']:.2f}" for row in ordered))
    return table
