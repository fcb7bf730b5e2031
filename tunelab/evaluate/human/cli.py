"""`tunelab rate`: judge answer sets blind in a browser, or print the ratings of the votes so far."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tunelab.evaluate.human import DEFAULT_PORT, VOTES_FILE
from tunelab.evaluate.human.pairing import RateConfig
from tunelab.options import AllowHost, Port, options
from tunelab.web import LOCALHOST

console = Console()


@options(RateConfig, "pairs", "public_url", source="tunelab rate")
def rate_command(
    answers: Annotated[
        list[str],
        typer.Argument(
            help="Answer sets: run, eval or compare folders (each arm), or JSONL files."
        ),
    ],
    votes: Annotated[
        str,
        typer.Option(help="Where judgements are appended (and read back from, across restarts)."),
    ] = VOTES_FILE,
    host: Annotated[
        str,
        typer.Option(
            help="Interface to listen on; any but loopback needs --raters (or --insecure)."
        ),
    ] = LOCALHOST,
    port: Port = DEFAULT_PORT,
    allow_host: AllowHost = None,
    results: Annotated[
        bool, typer.Option("--results", help="Print the ratings from the votes so far; no server.")
    ] = False,
    raters: Annotated[
        str | None,
        typer.Option(
            help="Only these judge (alice,bob): each gets a private link with a random key; "
            "votes without one are refused."
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure", help="Listen on a non-loopback --host without --raters: anyone judges."
        ),
    ] = False,
    *,
    config: RateConfig,
) -> None:
    """Judge answers side by side in a browser (blind, random sides); Bradley–Terry and Elo ratings."""
    from tunelab import rate

    names = raters.split(",") if raters is not None else None
    rate(
        answers, votes, host, port, allow_host, results, config, console=console, raters=names,
        insecure=insecure,
    )  # fmt: skip
