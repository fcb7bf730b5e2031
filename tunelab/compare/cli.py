"""The `tunelab compare` command: reads the command line and calls the compare stage."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def compare_command(
    run: Annotated[str, typer.Argument(help="A run folder (runs/<name>).")],
    data: Annotated[
        str | None, typer.Option(help="Test file (default: the run's data.test_path).")
    ] = None,
    corpus: Annotated[
        str | None,
        typer.Option(
            help="What RAG retrieves from: a Q&A file or documents (default: the run's training data)."
        ),
    ] = None,
    base: Annotated[
        str | None, typer.Option(help="The model to prompt (default: the run's base model).")
    ] = None,
    k: Annotated[int, typer.Option(help="Passages per question.")] = 3,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N test questions.")
    ] = None,
    max_new_tokens: int = 128,
    batch_size: int = 8,
    output: Annotated[
        str | None, typer.Option(help="Output folder (default: <run>/compare).")
    ] = None,
) -> None:
    """Prompting vs prompting+RAG vs finetuned vs finetuned+RAG, on one test set."""
    from tunelab.compare.run import CompareConfig, compare

    cfg = CompareConfig(data, corpus, base, k, limit, max_new_tokens, batch_size, output)
    result = compare(run, cfg)
    table = Table(title=f"{run}: {len(result.arms[0].rows)} questions")
    for column in ("arm", "normalized match", "token F1", "ROUGE-L", "answer words", "s/question"):
        table.add_column(column, justify="left" if column == "arm" else "right")
    for arm in result.arms:
        s = arm.summary
        table.add_row(
            arm.name,
            f"{100 * s['normalized_match']:.1f}",
            f"{100 * s['token_f1']:.1f}",
            f"{100 * s['rouge_l']:.1f}",
            f"{s['answer_words']:.1f}",
            f"{s['seconds_per_question']:.2f}",
        )
    console.print(table)
    console.print(
        f"context recall {100 * result.context_recall:.1f}% · report {result.out_dir}/compare.md"
    )
