"""The `tunelab eval` and `tunelab errors` commands: thin wrappers that read the command line once
and call the evaluate stage; heavy imports stay inside."""

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
