"""`tunelab bench`: reads the command line (and TUNELAB_BENCH_DATA) once, calls the bench stage and
prints its leaderboard; heavy imports stay inside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def bench_command(
    models: Annotated[
        list[str],
        typer.Argument(
            help="One or more models or runs: one row each. `bench RUN BASE` also shows each "
            "task's difference from the first with a 95% interval (what finetuning cost)."
        ),
    ],
    tasks: Annotated[
        str | None,
        typer.Option(help="Comma-separated; mmlu_<subject> for one subject. Default: all six."),
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Benchmark files (or $TUNELAB_BENCH_DATA).")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="At most N questions per task (per MMLU subject)."),
    ] = None,
    fewshot: Annotated[
        int, typer.Option(min=0, max=5, help="MMLU examples from the dev split (harness: 0 or 5).")
    ] = 0,
    batch_size: int = 16,
    output: Annotated[
        str, typer.Option(help="Folder for leaderboard.md and leaderboard.json.")
    ] = "bench",
) -> None:
    """Score models on ARC, HellaSwag, MMLU and TruthfulQA exactly as lm-evaluation-harness does."""
    from tunelab.evaluate.bench.score import (
        DEFAULT_TASKS,
        BenchConfig,
        available,
        bench,
        bench_data_dir,
    )

    chosen = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    if chosen is None:
        # Unasked-for tasks whose files are absent (HellaSwag often is) are skipped, not fatal.
        chosen, missing = available(DEFAULT_TASKS, bench_data_dir(data_dir))
        for name, why in missing.items():
            console.print(f"[yellow]skipping {name}: {why}[/]")
    cfg = BenchConfig(
        data_dir=bench_data_dir(data_dir),
        tasks=chosen,
        limit=limit,
        fewshot=fewshot,
        batch_size=batch_size,
        output=Path(output),
    )

    from tunelab.progress import progress_bars

    bars = progress_bars(console=console)
    shown: dict[tuple[str, str], object] = {}

    def scoring(model: str, task: str, done: int, total: int) -> None:
        if (model, task) not in shown:
            shown[model, task] = bars.add_task(f"{model} {task}", total=total)
        bars.update(shown[model, task], completed=done)

    def finished(model: str, r) -> None:
        bars.console.print(
            f"[dim]{model} {r.task}: {r.main_metric} {100 * r.main:.2f} ({r.n} questions, {r.seconds:.1f}s)[/]"
        )

    with bars:
        rows = bench(models, cfg, on_task=finished, on_progress=scoring)
    table = Table(title="leaderboard (%)")
    table.add_column("Model")
    for task in cfg.tasks:
        table.add_column(task, justify="right")
    table.add_column("Average", justify="right")
    for row in sorted(rows, key=lambda r: -r["average"]):
        table.add_row(
            row["model"], *(f"{row['scores'][t]:.2f}" for t in cfg.tasks), f"{row['average']:.2f}"
        )
    console.print(table)
    for row in rows[1:]:
        diffs = Table(title=f"{row['model']} − {rows[0]['model']} (points)")
        for column in ("task", "Δ", "95% interval", "verdict"):
            diffs.add_column(column, justify="left" if column in ("task", "verdict") else "right")
        for task, d in row["vs_first"].items():
            diffs.add_row(
                task, f"{d['delta']:+.2f}", f"[{d['low']:+.2f}, {d['high']:+.2f}]", d["verdict"]
            )
        console.print(diffs)
    console.print(f"saved {cfg.output / 'leaderboard.md'} and {cfg.output / 'leaderboard.json'}")
