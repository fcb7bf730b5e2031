"""`tunelab judge`: an LLM judge compares answer sets pairwise; its verdicts go beside the human
votes and give the same leaderboard, with its agreement with the humans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.evaluate.judge.verdicts import JudgeConfig
from tunelab.options import options

console = Console()


@options(
    JudgeConfig,
    *("judge", "judge_model", "api_key", "votes", "limit", "max_new_tokens"),
    envvars={"api_key": "TUNELAB_API_KEY"},
    source="tunelab judge",
)
def judge_command(
    answers: Annotated[
        list[str],
        typer.Argument(
            help="Answer sets: run, eval or compare folders (each arm), or JSONL files."
        ),
    ],
    config: JudgeConfig,
) -> None:
    """Have a model judge answer sets pairwise (both orders; fixed rubric): ratings, agreement."""
    from tunelab.evaluate.human.arena import load_answers, unshared
    from tunelab.evaluate.judge.verdicts import asker, judge

    answer_sets = load_answers([Path(a) for a in answers])
    if note := unshared(answer_sets):
        console.print(f"[yellow]{note}[/]")
    try:
        result = judge(answer_sets, config, asker(config))
    except KeyboardInterrupt as stop:  # Ctrl-C: say what was kept, then stop as Ctrl-C does
        console.print(f"[yellow]{escape(str(stop))}[/]")
        raise
    table = Table(title=f"{len(result.records)} verdicts of {config.judge} ({result.path})")
    for column in ("model", "Bradley–Terry (95%)", "win rate", "pairs", "vs next"):
        table.add_column(column, justify="left" if column in ("model", "vs next") else "right")
    for r in result.ratings:
        interval = f"{r['bt']:.0f} ({r['low']:.0f}–{r['high']:.0f})"
        won = f"{100 * r['win_rate']:.0f}%"
        table.add_row(r["model"], interval, won, str(r["votes"]), r["vs_next"])
    console.print(table)
    console.print(
        f"{result.inconsistent} pairs judged differently in the two orders: each counted as a tie"
    )
    if result.no_verdict:
        console.print(
            f"[yellow]{len(result.no_verdict)} pairs with no verdict (a reply without "
            f"{escape('[[A]], [[B]] or [[C]]')}): left out of the ratings and asked again on "
            f"the next run; a judge cut short needs a larger --max-new-tokens "
            f"(now {config.max_new_tokens})[/]"
        )
    if result.agreement:
        a = result.agreement
        console.print(
            f"agreement with the human votes on the same pairs: Cohen's kappa {a['kappa']:.2f} "
            f"({a['agree']} of {a['pairs']} the same)"
        )
