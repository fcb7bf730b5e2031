"""The `tunelab eval`, `tunelab bench` and `tunelab errors` commands: thin wrappers that read the
command line (and TUNELAB_BENCH_DATA) once and call the evaluate stage; heavy imports stay inside."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def eval_command(
    models: Annotated[
        list[str], typer.Argument(help="One or more runs or models; two are compared.")
    ],
    data: Annotated[
        str | None, typer.Option(help="Test file (default: the run's data.test_path).")
    ] = None,
    output: Annotated[str | None, typer.Option(help="Output folder (default: <run>/eval).")] = None,
    template: Annotated[
        str | None, typer.Option(help="Default: the run's template, else chat.")
    ] = None,
    max_new_tokens: int = 256,
    temperature: Annotated[float, typer.Option(help="0 = greedy.")] = 0.0,
    batch_size: int = 8,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N test questions.")
    ] = None,
    embeddings: Annotated[bool, typer.Option(help="Add MiniLM embedding similarity.")] = False,
) -> None:
    """Answer a test set and score it: exact/normalized match, token F1, ROUGE-L, error analysis."""
    from tunelab.evaluate.suite import EvalConfig, comparison, evaluate, run_settings

    # Base vs finetuned: a plain model is asked the run's test questions with the run's template
    # and system prompt, so the only difference between them is the weights.
    system_prompt = None
    for name in models:
        settings = run_settings(name)
        data = data or settings.get("test_path")
        template = template or settings.get("template")
        system_prompt = system_prompt or settings.get("system_prompt")
    # Several models with one --output each get a subfolder named after the model, so no file
    # is overwritten and `tunelab rate` shows the names; numbers only if two names clash.
    names = [re.sub(r"[^\w.-]+", "_", Path(m).name).strip("_") for m in models]
    if len(set(names)) < len(names):
        names = [f"model{i + 1}" for i in range(len(models))]
    results = []
    for name, folder in zip(models, names):
        out = str(Path(output) / folder) if output and len(models) > 1 else output
        cfg = EvalConfig(
            data=data,
            output=out,
            template=template,
            system_prompt=system_prompt,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            batch_size=batch_size,
            limit=limit,
            embeddings=embeddings,
        )
        result = evaluate(name, cfg)
        results.append(result)
        console.print(f"[green]{name}[/]: {len(result.rows)} answers → {result.out_dir}/")
        _print_errors(result)
    table = Table(title="evaluation" if len(results) == 1 else "comparison")
    table.add_column("metric")
    for r in results:
        table.add_column(r.model, justify="right")
    if len(results) > 1:
        table.add_column("Δ (last − first)", justify="right")
        table.add_column("verdict (95%)")
    for line in comparison(results):
        cells = [f"{v:.3f}" for v in line["values"]]
        if len(results) > 1:
            cells += [
                f"{line['delta']:+.3f} [{line['low']:+.2f}, {line['high']:+.2f}]",
                line["verdict"],
            ]
        table.add_row(line["metric"], *cells)
    console.print(table)
    if len(results) > 1:
        console.print(
            "[dim]Δ [95% interval]: paired bootstrap over the questions; 'no clear winner' when "
            "the interval crosses zero. hallucination_rate and cut_off_rate: lower is better.[/]"
        )


def _print_errors(result) -> None:
    from tunelab.evaluate.analysis import examples_of

    analysis = getattr(result, "analysis", None)
    if analysis is None or not analysis.counts:
        return
    for category, n in analysis.counts.items():
        console.print(f"[bold]{category}[/]: {n}")
        for ex in examples_of(analysis, category):
            console.print(f"  Q: {ex['question'][:80]!r} → {ex['answer'][:80]!r} ({ex['reason']})")
        for s in analysis.similar.get(category, [])[:2]:
            console.print(f"  [dim]similar training: {s['source']} {s['question'][:70]!r}[/]")
    console.print(f"reports: {result.out_dir / 'errors.md'}, {result.out_dir / 'errors.html'}")


def errors_command(
    run: Annotated[
        str, typer.Argument(help="Run folder (or an eval output folder) with predictions.")
    ],
    data: Annotated[
        str | None, typer.Option(help="Training data for retrieval (default: the run's).")
    ] = None,
) -> None:
    """Categorize the wrong or weak answers of the last `tunelab eval` and show similar training data."""
    from tunelab.evaluate.suite import (
        EvalResult,
        analyse_result,
        read_rows,
        summarize,
        write_outputs,
    )
    from tunelab.models import is_run_dir

    out_dir = Path(run) / "eval" if is_run_dir(run) else Path(run)
    rows = read_rows(out_dir / "predictions.jsonl")
    if data is None and is_run_dir(run):
        from tunelab.config import Config

        data = Config.from_yaml(Path(run) / "config.yaml").data.path
    result = EvalResult(run, out_dir, rows, summarize(rows))
    analyse_result(result, data)
    write_outputs(result)
    _print_errors(result)


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
    from tunelab.evaluate.bench import DEFAULT_TASKS, BenchConfig, available, bench, bench_data_dir

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


def rate_command(
    answers: Annotated[
        list[str],
        typer.Argument(help="Answer sets to compare: run folders, eval folders or JSONL files."),
    ],
    votes: Annotated[
        str, typer.Option(help="Where judgements are appended.")
    ] = "ratings/votes.jsonl",
    host: str = "127.0.0.1",
    port: int = 8008,
    results: Annotated[
        bool, typer.Option("--results", help="Print the ratings from the votes so far; no server.")
    ] = False,
) -> None:
    """Judge answers side by side in a browser (blind, random sides); Bradley–Terry and Elo ratings."""
    from tunelab.evaluate.human import Arena, create_app, load_answers

    arena = Arena(load_answers([Path(a) for a in answers]), Path(votes))
    if results:
        table = Table(title=f"{len(arena.records)} judgements ({votes})")
        for column in ("model", "rating", "95% interval", "Elo", "win rate", "votes"):
            table.add_column(column, justify="left" if column == "model" else "right")
        for r in arena.ratings():
            table.add_row(
                r["model"], f"{r['bt']:.0f}", f"{r['low']:.0f}–{r['high']:.0f}", f"{r['elo']:.0f}",
                f"{100 * r['win_rate']:.0f}%", str(r["votes"]),
            )  # fmt: skip
        console.print(table)
        return
    import uvicorn

    console.print(
        f"{len(arena.pairs)} answer pairs, {len(arena.records)} judged so far. Open "
        f"[bold]http://{host}:{port}/[/] (keys 1-4); ratings at /leaderboard; Ctrl-C to stop."
    )
    uvicorn.run(create_app(arena), host=host, port=port, log_level="warning")
