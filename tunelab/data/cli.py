"""`tunelab data split`: the seeded train/test split that training uses, written out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tunelab.config import DataConfig
from tunelab.options import options

console = Console()


@options(
    DataConfig, "test_size", "seed", "shape", "dedupe", "on_error", source="tunelab data split"
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
        config.on_error, config.fields, config.test_path, near_questions, overwrite,
    )  # fmt: skip
    for part in (train, test):
        console.print(f"{part}: {sum(1 for _ in part.open(encoding='utf-8'))} rows")
    if said:
        console.print("; ".join(said))
    if note := untaught_note(train, test, config):
        console.print(note, style="yellow", markup=False)


def untaught_note(train: Path, test: Path, config: DataConfig) -> str | None:
    """What the test side asks that no training answer states: a fact held out with the one pair
    that taught it can only be guessed (generated data has one pair a fact)."""
    from tunelab.data.load import load_examples
    from tunelab.data.read import read_rows
    from tunelab.errors import first_few
    from tunelab.evaluate.derive_facts import untaught

    held = load_examples(test, config.shape, config.fields, "skip")
    raw = dict(read_rows(test, quiet=True))
    found = untaught(held, raw, load_examples(train, config.shape, config.fields, "skip"))
    if not found:
        return None
    named = first_few([f"{source} ({fact!r})" for source, fact in found], 4)
    return (
        f"{len(found)} of {len(held)} test rows ask for a fact no training answer states: "
        f"{named}. The model can only guess those; give each fact two or more phrasings "
        "(`tunelab data augment`) before splitting, so that one is left to train on."
    )
