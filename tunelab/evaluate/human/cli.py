"""`tunelab rate`: judge answer sets blind in a browser, or print the ratings of the votes so far."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tunelab.evaluate.human.app import DEFAULT_PORT
from tunelab.evaluate.human.arena import VOTES_FILE
from tunelab.evaluate.human.pairing import RateConfig
from tunelab.options import AllowHost, options
from tunelab.web import LOCALHOST

console = Console()


@options(RateConfig, "pairs", source="tunelab rate")
def rate_command(
    answers: Annotated[
        list[str],
        typer.Argument(
            help="Answer sets: run, eval or compare folders (each arm), or JSONL files."
        ),
    ],
    votes: Annotated[str, typer.Option(help="Where judgements are appended.")] = VOTES_FILE,
    host: str = LOCALHOST,
    port: int = DEFAULT_PORT,
    allow_host: AllowHost = None,
    results: Annotated[
        bool, typer.Option("--results", help="Print the ratings from the votes so far; no server.")
    ] = False,
    *,
    config: RateConfig,
) -> None:
    """Judge answers side by side in a browser (blind, random sides); Bradley–Terry and Elo ratings."""
    from tunelab.data.write import check_writable
    from tunelab.evaluate.human.app import rate
    from tunelab.evaluate.human.arena import Arena, load_answers, unshared

    answer_sets = load_answers([Path(a) for a in answers])
    if note := unshared(answer_sets):
        console.print(f"[yellow]{note}[/]")
    arena = Arena(answer_sets, Path(votes), config=config)
    if arena.other_votes:
        console.print(
            f"[yellow]{arena.other_votes} vote(s) in {votes} judged other answers (other "
            "questions or models, or answers made again since): not counted here[/]"
        )
    if results:
        table = Table(title=f"{len(arena.records)} judgements ({votes})")
        columns = (
            "model", "rating", "95% interval", "Elo", "win rate", "votes", "questions", "vs next"
        )  # fmt: skip
        for column in columns:
            table.add_column(column, justify="left" if column in ("model", "vs next") else "right")
        for r in arena.ratings():
            table.add_row(
                r["model"], f"{r['bt']:.0f}", f"{r['low']:.0f}–{r['high']:.0f}", f"{r['elo']:.0f}",
                f"{100 * r['win_rate']:.0f}%", str(r["votes"]), str(r["questions"]), r["vs_next"],
            )  # fmt: skip
        console.print(table)
        return
    check_writable(arena.votes_path)  # before the line that invites judges to the page
    console.print(
        f"{len(arena.pairs)} answer pairs, {len(arena.records)} judged so far. Open "
        f"[bold]http://{host}:{port}/[/] (keys 1-4); ratings at /leaderboard; Ctrl-C to stop."
    )
    rate(arena, host, port, allow_host or ())
    # Each vote was written as it was cast; the judge leaving wants to know they all were.
    console.print(
        f"{len(arena.records)} votes in {arena.votes_path}; ratings: tunelab rate ... --results",
        markup=False,
    )
