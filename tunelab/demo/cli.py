"""`tunelab demo`: the CLI face of tunelab.demo.run.run_demo."""

from __future__ import annotations

import shlex
import sys
from typing import Annotated

import typer


def demo_command(
    steps: Annotated[
        int | None,
        typer.Option(
            # run.EPOCHS, not imported: it loads torch (tests/test_demo_run.py holds them equal)
            min=1,
            help="Optimizer steps (default: the demo recipe's 4 epochs of its data).",
        ),
    ] = None,
    output_dir: Annotated[
        str, typer.Option(help="Folder the run is written in, as OUTPUT_DIR/demo.")
    ] = "runs",
) -> None:
    """Finetune the embedded model on tunelab's own docs and show base vs finetuned, offline."""
    from tunelab.demo.run import run_demo

    run_demo(steps=steps, output_dir=output_dir, again=shlex.join(["tunelab", *sys.argv[1:]]))
