"""`tunelab judge`: an LLM judge compares answer sets pairwise; its verdicts go beside the human
votes and give the same leaderboard, with its agreement with the humans. With --grade it grades
each answer alone against its reference instead: judged-right and judged-false rates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.evaluate.judge.asking import JudgeConfig
from tunelab.options import options
from tunelab.terminal import n_things

if TYPE_CHECKING:
    from tunelab.evaluate.judge.grades import Grading
    from tunelab.evaluate.paired import Difference

console = Console()


@options(
    JudgeConfig,
    *("judge", "judge_model", "api_key", "grade", "votes", "limit", "max_new_tokens"),
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
    """Have a model judge answer sets pairwise (both orders; fixed rubric): ratings, agreement;
    or, with --grade, grade each answer's facts alone: judged-right and judged-false rates."""
    from tunelab.evaluate.human.answers import load_answers, unshared
    from tunelab.evaluate.judge.asking import asker
    from tunelab.evaluate.judge.grades import grade
    from tunelab.evaluate.judge.verdicts import judge

    answer_sets = load_answers([Path(a) for a in answers], at_least=1 if config.grade else 2)
    if not config.grade and (note := unshared(answer_sets)):
        console.print(f"[yellow]{escape(note)}[/]")
    try:
        if config.grade:
            return print_grades(grade(answer_sets, config, asker(config)), config)
        result = judge(answer_sets, config, asker(config))
    except KeyboardInterrupt as stop:  # Ctrl-C: say what was kept, then stop as Ctrl-C does
        if stop.args:  # one before any was asked (the judge loading) is "interrupted", no more
            console.print(f"[yellow]{escape(str(stop))}[/]")
        raise
    # A judge that gave no verdict printed an empty table and "0 pairs judged differently".
    if result.ratings:
        console.print(_ratings_table(result, config.judge))
    else:
        console.print(f"no verdicts of {config.judge} in {result.path}: no ratings", markup=False)
    if result.already:  # a rerun: what it took from the file rather than asked again
        console.print(
            f"{n_things(result.already, 'pair')} already judged in {result.path.name}: "
            "not asked again",
            markup=False,
        )
    if result.ratings:
        console.print(
            f"{result.inconsistent} pairs judged differently in the two orders: each counted "
            "as a tie"
        )
    if result.alike:
        console.print(
            f"{result.alike} pairs whose two answers are the same text (both empty, say) were "
            "not judged: a verdict on them would be a coin flip (`tunelab rate` shows none)"
        )
    if result.no_verdict:
        console.print(
            f"[yellow]{len(result.no_verdict)} pairs with no verdict (a reply without "
            f"{escape('[[A]], [[B]] or [[C]]')}): left out of the ratings and asked again on "
            f"the next run; {_why_none(config, result.no_verdict)}[/]"
        )
    if result.agreement:
        a = result.agreement
        console.print(
            f"agreement with the human votes on the same pairs: Cohen's kappa {a['kappa']:.2f} "
            f"({a['agree']} of {a['pairs']} the same)"
        )


def print_grades(result: Grading, config: JudgeConfig) -> None:
    """Each answer set's judged rates, every two sets' paired differences, and what was left."""
    from tunelab.evaluate.paired import over_facts

    said = escape(f"{config.judge} ({result.path})")  # names as given: "runs/exp[v2]"
    table = Table(title=f"{len(result.records)} answers graded by {said}")
    for column in ("model", "graded", "judged right (95%)", "judged false (95%)", "vs fact score"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for s in result.sets:
        a = s["agreement"]
        agreed = f"kappa {a['kappa']:.2f} ({a['agree']} of {a['answers']} the same)" if a else ""
        rates = _rate(s["right"]), _rate(s["false"])
        table.add_row(escape(s["model"]), str(s["graded"]), *rates, agreed)
    console.print(table)
    if result.already:
        console.print(
            f"{n_things(result.already, 'answer')} already graded in {result.path.name}: "
            "not asked again",
            markup=False,
        )
    if result.differences:
        pairs = Table(title="paired differences over the questions both had graded")
        for column in ("rate", "first − second", "Δ [95%]", "n", "ahead"):
            pairs.add_column(column, justify="right" if column in ("Δ [95%]", "n") else "left")
        for d in result.differences:
            diff = d["difference"]
            pairs.add_row(f"judged {d['measure']}", f"{d['first']} − {d['second']}",
                          f"{100 * diff.delta:+.0f} [{100 * diff.low:+.0f}, {100 * diff.high:+.0f}]"
                          f"{over_facts(diff.clusters)}",
                          str(diff.n), d["ahead"])  # fmt: skip
        console.print(pairs)
    if result.no_verdict:
        console.print(
            f"[yellow]{len(result.no_verdict)} answers with no grade (a reply that does not say "
            f"{escape('[[RIGHT]] or [[WRONG]], and [[FALSE]] or [[NO FALSE]]')}, one way each): left "
            "out of the rates and asked again on the next run; "
            f"{_why_none(config, result.no_verdict)}[/]"
        )
    if result.no_reference:
        console.print(f"{result.no_reference} answers without a reference answer: not graded")


def _why_none(config: JudgeConfig, records: list[dict]) -> str:
    """Why a judge gave no verdict, and what to do: an endpoint's reply was cut short, or ended
    without one (a raised --max-new-tokens changes nothing then), or a local judge (which
    chooses a verdict whenever it reads the prompt) could not read the prompt whole."""
    from tunelab import remote
    from tunelab.evaluate.judge.asking import cut_short

    if not remote.is_endpoint(config.judge):
        return "the prompt was longer than the judge's context: judge with a model that reads more"
    raise_it = f"a judge cut short needs a larger --max-new-tokens (now {config.max_new_tokens})"
    cut = cut_short(records)
    if cut is None:  # the server did not say why its replies ended
        return raise_it
    if cut:
        return f"its server says they were cut short: {raise_it}"
    return (
        "its server says each reply ended before --max-new-tokens: the judge does not keep to "
        "the reply format; judge with a model that does, or with a local model, which chooses "
        "its verdict by likelihood"
    )


def _rate(share: Difference) -> str:
    if not share.n:
        return "–"
    return f"{100 * share.delta:.0f}% ({100 * share.low:.0f}–{100 * share.high:.0f})"


def _ratings_table(result, judge: str) -> Table:
    from tunelab.evaluate.paired import over_facts

    said = escape(f"{judge} ({result.path})")  # names as given: "runs/exp[v2]"
    table = Table(title=f"{len(result.records)} verdicts of {said}")
    for column in ("model", "Bradley–Terry (95%)", "win rate", "pairs", "vs next"):
        table.add_column(column, justify="left" if column in ("model", "vs next") else "right")
    for r in result.ratings:
        interval = f"{r['bt']:.0f} ({r['low']:.0f}–{r['high']:.0f}){over_facts(r['facts'])}"
        won = f"{100 * r['win_rate']:.0f}%"
        table.add_row(escape(r["model"]), interval, won, str(r["votes"]), escape(r["vs_next"]))
    return table
