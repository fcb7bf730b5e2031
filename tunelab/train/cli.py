"""`tunelab train`: the CLI face of tunelab.train.loop.train; imports stay light for `--help`."""

from __future__ import annotations

from typing import Annotated

import typer


def train_command(
    config: Annotated[
        str | None,
        typer.Argument(
            help="YAML config (see examples/) or a run folder (the run, even a copy); "
            "omitted: defaults."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override: train.lr=1e-4, data.path=qa.jsonl")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the run's last checkpoint.")] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Delete an existing run folder of the same name first.")
    ] = False,
) -> None:
    """Finetune a model as the config says; writes runs/<name>/ (Ctrl-C: checkpoint, exit 130)."""
    from tunelab.train.loop import train
    from tunelab.train.run_folder import config_from

    try:
        train(config_from(config, set_ or []), resume=resume, overwrite=overwrite)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None  # what shells expect after Ctrl-C
