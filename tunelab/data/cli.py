"""`tunelab data split`: the seeded train/test split that training uses, written out."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

console = Console()


def split_command(
    path: Annotated[str, typer.Argument(help="Data file to split.")],
    output: Annotated[
        str, typer.Option("-o", "--output", help="Folder for train.jsonl, test.jsonl.")
    ],
    test_size: Annotated[float, typer.Option(help="Fraction (or a count if >= 1) held out.")] = 0.1,
    seed: int = 42,
    shape: str = "auto",
    dedupe: Annotated[
        bool, typer.Option(help="Drop exact repeats first, as training does.")
    ] = True,
    on_error: Annotated[
        str, typer.Option(help="raise | skip bad rows, as data.on_error.")
    ] = "raise",
) -> None:
    """Write the same seeded train/test split that training uses."""
    from tunelab.data.write import split_file

    train, test = split_file(
        path, output, test_size=test_size, seed=seed, shape=shape, dedupe=dedupe, on_error=on_error
    )
    for part in (train, test):
        console.print(f"{part}: {sum(1 for _ in part.open())} rows")
