"""`tunelab data split`: the seeded train/test split that training uses, written out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tunelab.config import DataConfig
from tunelab.options import options

console = Console()


@options(
    DataConfig,
    "test_size",
    "test_path",
    "held_out",
    "seed",
    "shape",
    "dedupe",
    "on_error",
    source="tunelab data split",
)
def split_command(
    path: Annotated[str, typer.Argument(help="Data file to split.")],
    output: Annotated[
        str, typer.Option("-o", "--output", help="Folder for train.jsonl, test.jsonl.")
    ],
    config: DataConfig,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace train.jsonl/test.jsonl if they exist.")
    ] = False,
) -> None:
    """Write the same seeded train/test split that training uses (data.fields: --set fields.x=y)."""
    from tunelab.data.quality.dedup import near_questions
    from tunelab.data.write import split_file

    train, test, said = split_file(
        path, output, config.test_size, config.seed, config.shape, config.dedupe,
        config.on_error, config.fields, config.test_path, near=near_questions,
        overwrite=overwrite, held_out=config.held_out,
    )  # fmt: skip
    for part in (train, test):
        console.print(f"{part}: {sum(1 for _ in part.open(encoding='utf-8'))} rows")
    if said:
        console.print("; ".join(said))
    if note := _untaught(train, test, config):
        console.print(f"[yellow]warning:[/] {escape(note)}", soft_wrap=True)


def _untaught(train: Path, test: Path, config: DataConfig) -> str | None:
    """Training's warning on test rows asking a fact no training row states, read off the
    files just written (their rows are the input's, so they read alike): each row named by its
    line in test.jsonl, where the user looks."""
    from tunelab.data.load import load_examples
    from tunelab.evaluate.facts_file import untaught_note

    read = [load_examples(part, config.shape, config.fields, "skip") for part in (train, test)]
    return untaught_note(test, *read)
