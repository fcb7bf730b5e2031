"""The `tunelab compare` command: reads the command line and calls the compare stage."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tunelab.compare.run import CompareConfig
from tunelab.options import options

console = Console()


@options(
    CompareConfig,
    *("data", "corpus", "base", "k", "limit", "max_new_tokens", "batch_size", "output"),
    source="tunelab compare",
)
def compare_command(
    run: Annotated[str, typer.Argument(help="A run folder (runs/<name>).")],
    config: CompareConfig,
) -> None:
    """Prompting vs prompting+RAG vs finetuned vs finetuned+RAG, on one test set."""
    from tunelab.compare.run import compare

    result = compare(run, config)
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
