"""The `tunelab compare` command: reads the command line and calls the compare stage."""

from __future__ import annotations

import io
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.compare.run import CompareConfig
from tunelab.options import options
from tunelab.terminal import fits, say_wrapped

console = Console()


@options(
    CompareConfig,
    *("data", "corpus", "base", "template", "system_prompt", "k", "limit", "max_new_tokens"),
    *("batch_size", "output"),
    source="tunelab compare",
)
def compare_command(
    model: Annotated[
        str,
        typer.Argument(
            help="A run folder (runs/<name>): all four arms. Or, before training, a model (a "
            "Hugging Face folder or hub id, or the embedded default's name, as eval takes one) "
            "with --data and --corpus: "
            "prompting vs prompting+RAG alone, in its own chat template (or --template).",
        ),
    ],
    config: CompareConfig,
) -> None:
    """Prompting vs prompting+RAG vs finetuned vs finetuned+RAG, on one test set (of a model that
    is no run: its two prompting arms)."""

    from tunelab.compare.report import (
        COMPARE_DIFFERENCES,
        context_note,
        questions_scored,
        retrieval,
        test_set,
    )
    from tunelab.compare.run import compare
    from tunelab.compare.verdicts import (
        headline,
        main_metric,
        rate_differences,
        verdict,
    )
    from tunelab.evaluate.paired import over_facts, said_verdict
    from tunelab.evaluate.scores import METRIC_NAMES

    result = compare(model, config)
    table, left = _fitted_table(result.arms, f"{escape(model)}: {questions_scored(result.arms)}")
    console.print(table)
    if left:
        left = ", ".join(d.removesuffix(" [95%]") for d in left)
        console.print(f"({left}: in compare.md, or in a wider terminal)")
    metric = METRIC_NAMES[main_metric(result.arms)]
    diffs = _pairs_table(result.arms, metric, " ")
    if not fits(console, diffs):
        # "(over 10 facts)" under its interval: on one line, the verdict had no room left (an
        # empty column at 80 columns).
        diffs = _pairs_table(result.arms, metric, "\n")
    console.print(diffs)
    if rates := rate_differences(result.arms):
        lower = Table(title=f"false statements: arm − {rates[0]['vs']} (points; lower is better)")
        for column in ("arm", "rate", "rows", "Δ", "interval", "verdict"):
            lower.add_column(
                column, justify="left" if column in ("arm", "rate", "verdict") else "right"
            )
        for p in rates:
            interval = f"[{p['low']:+.1f}, {p['high']:+.1f}]{over_facts(p['facts'])}"
            rate = METRIC_NAMES[p["metric"]]
            lower.add_row(p["arm"], rate, str(p["n"]), f"{p['delta']:+.1f}", interval,
                          said_verdict(p))  # fmt: skip
        console.print(lower)
    for line in headline(result.arms):  # the question the comparison is run for
        say_wrapped(console, line.removeprefix("- ").replace("**", ""))
    console.print(verdict(result.arms).replace("**", ""))
    for note in result.notes:
        say_wrapped(console, f"note: {note}", "yellow")
    # The corpus, named in compare.md alone, went unsaid where the RAG arms' scores were read.
    said = (
        f"Questions {test_set(result, config)}. RAG {retrieval(result, config)}. "
        f"{context_note(result)}"
    )
    pictured = f"the differences as a picture: {result.out_dir}/{COMPARE_DIFFERENCES}"
    say_wrapped(console, f"{said} Report: {result.out_dir}/compare.md; {pictured}")


def _fitted_table(arms: list, title: str) -> tuple[Table, list[str]]:
    """The per-arm table as wide as the terminal takes, and the columns left to compare.md: the
    details first, then, where every rate is shown (six score columns), the last scores too;
    rich cropped such a table at 80 columns mid-word ("toke"), its title with it."""
    from tunelab.compare.report import DETAILS, columns

    every = columns(arms)
    table = _arms_table(arms, title, len(every))
    if fits(console, table):
        return table, []
    for kept in range(len(every) - len(DETAILS), 1, -1):
        table = _arms_table(arms, title, kept)
        if _drawn_width(table) <= console.width:
            break
    return table, every[len(table.columns) - 1 :]


def _drawn_width(table: Table) -> int:
    """The widest line of `table` drawn in the terminal's width, uncropped: a rich measurement's
    minimum leaves out the columns' min_width (75 where 86 were drawn)."""
    probe = Console(width=console.width, file=io.StringIO(), color_system=None)
    probe.print(table, crop=False)
    return max(map(len, probe.file.getvalue().splitlines()), default=0)


def _arms_table(arms: list, title: str, kept: int) -> Table:
    """Each arm's scores under the first `kept` of `report.columns` (its scores, then DETAILS)."""
    from tunelab.compare.report import cells, columns

    narrow = kept < len(columns(arms))
    # Narrow, each header's words whole ("hallucinati…" in 80 columns), their padding shared.
    table = Table(title=title, collapse_padding=narrow)
    # An arm's name is never cut ("prompti…" was both prompting arms in 80 columns): the
    # numbers wrap instead.
    table.add_column("arm", no_wrap=True)
    for column in columns(arms)[:kept]:
        whole = max(map(len, column.split())) if narrow else None
        table.add_column(column, justify="right", min_width=whole)
    for arm in arms:
        table.add_row(arm.name, *cells(arm, arms)[:kept])
    return table


def _pairs_table(arms: list, metric: str, facts_sep: str) -> Table:
    """Every two arms' difference by `metric` with its paired interval, kept on one line, and
    `facts_sep` before its "(over N facts)"; and the verdict."""
    from tunelab.compare.verdicts import pairs
    from tunelab.evaluate.paired import over_facts, said_verdict

    diffs = Table(title=f"{metric}: arm − other arm (points, 95% paired interval)")
    for column in ("arm", "vs", "Δ", "interval", "verdict"):
        right = column in ("Δ", "interval")
        diffs.add_column(column, justify="right" if right else "left", no_wrap=column != "verdict")
    for p in pairs(arms):
        interval = f"[{p['low']:+.1f}, {p['high']:+.1f}]{over_facts(p['facts'], facts_sep)}"
        diffs.add_row(p["arm"], p["vs"], f"{p['delta']:+.1f}", interval, said_verdict(p))
    return diffs
