"""The demo's scores: facts first (does the answer state the facts, does it state a known wrong
answer; then, apart, the facts of questions that combine two trained facts or ask one in reverse),
refusals, then the overlap scores; each change from base to finetuned with a 95% paired
interval over the questions, and what finetuning cost on a general benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.evaluate.difference_plot import PlottedDifference, plot_differences
from tunelab.evaluate.facts.score import parse_fact_check, score_facts
from tunelab.evaluate.metrics import score_texts
from tunelab.evaluate.paired import paired_difference, said_verdict
from tunelab.evaluate.refusals import OFF_TOPIC, Refusals
from tunelab.evaluate.scores import (
    FACT_MEASURES,
    FACT_RATES,
    LOWER_NOTE,
    metric_label,
    metric_verdict,
)

if TYPE_CHECKING:
    from tunelab.evaluate.bench.score import TaskResult

GENERAL_TASK, GENERAL_QUESTIONS = "arc_easy", 100
# Test kinds that use trained facts otherwise than one at a time as stored: two combined in one
# answer, or one asked from its other end ("Which setting defaults to 32?"). Models that state a
# fact asked as trained often fail these (Allen-Zhu & Li, "Physics of Language Models 3.2";
# Berglund et al., "the reversal curse"). Each kind is its own fact accuracy, so the headline stays
# the retrieval of one fact, and its rows count in no refusal or overlap score.
MANIPULATED = ("two_facts", "reverse")
KIND_NAMES = {"two_facts": "two facts combined", "reverse": "asked in reverse"}


def per_question(tests: list[dict], answers: list[str]) -> dict[str, list[float]]:
    """Each metric's value on each question it applies to, in test order."""
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "fact_accuracy", *FACT_RATES,
            *(f"fact_accuracy_{kind}" for kind in MANIPULATED),
            "refusal_rate_off_topic", "refusal_rate_on_topic",
            "normalized_match", "token_f1", "rouge_l",
        )
    }  # fmt: skip
    # Refusing is saying what the off-topic rows answer, as `tunelab eval` scores it.
    refusals = Refusals.of_rows((str(i), t, t["answer"]) for i, t in enumerate(tests))
    for i, (test, answer) in enumerate(zip(tests, answers)):
        if test["kind"] == OFF_TOPIC:
            out["refusal_rate_off_topic"].append(float(refusals.refuses(answer)))
            continue
        facts = score_facts(answer, parse_fact_check(test, f"demo test:{i + 1}"))
        if test["kind"] in MANIPULATED:
            if "fact_accuracy" in facts:
                out[f"fact_accuracy_{test['kind']}"].append(facts["fact_accuracy"])
            continue
        for measure in FACT_MEASURES:  # fact recall is no row of the demo's
            if measure.metric in out and measure.score in facts:
                out[measure.metric].append(facts[measure.score])
        out["refusal_rate_on_topic"].append(float(refusals.refuses(answer)))
        texts = score_texts(answer, test["answer"])
        for key in ("normalized_match", "token_f1", "rouge_l"):
            out[key].append(texts[key])
    return {k: v for k, v in out.items() if v}


def means(values: dict[str, list[float]]) -> dict[str, float]:
    """Each metric's mean in %."""
    return {k: round(100 * sum(v) / len(v), 1) for k, v in values.items() if v}


def score(tests: list[dict], answers: list[str]) -> dict[str, float]:
    """Each metric's mean in %, over the questions it applies to."""
    return means(per_question(tests, answers))


def changes(before: dict[str, list[float]], after: dict[str, list[float]]) -> dict[str, dict]:
    """Per metric, after − before in points with its 95% paired interval and verdict."""
    out = {}
    for key in before:
        diff = paired_difference(before[key], after[key])
        out[key] = {
            "delta": round(100 * diff.delta, 1),
            "low": round(100 * diff.low, 1),
            "high": round(100 * diff.high, 1),
            "verdict": metric_verdict(diff, key),
            "n": diff.n,
            "unclear_because": diff.unclear_because,
        }
    return out


def general_ability(model, tokenizer, data_dir=None) -> TaskResult | None:
    """acc_norm on a fixed GENERAL_QUESTIONS ARC-Easy questions (each in its per_question), as
    `tunelab bench` scores it, or None (with a message) where the benchmark files are absent."""
    from tunelab.errors import TunelabError
    from tunelab.evaluate.bench.score import BenchConfig, bench_data_dir, run_task

    cfg = BenchConfig(
        data_dir=bench_data_dir(data_dir), tasks=[GENERAL_TASK], limit=GENERAL_QUESTIONS
    )
    try:
        return run_task(model, tokenizer, GENERAL_TASK, cfg)
    except TunelabError as err:
        Console().print(f"[yellow]general-ability check skipped: {escape(str(err))}[/]")
        return None


def print_table(scores: dict, n: int, console: Console) -> None:
    table = Table(
        title=f"{_held_out(n)}; 95% paired intervals",
        caption=f"verdict: the finetuned model against the base. {LOWER_NOTE}",
    )
    for column in ("metric (%)", "base", "finetuned", "change [95% interval]", "verdict"):
        table.add_column(column, justify="left" if column in ("metric (%)", "verdict") else "right")
    for key, change in scores["change"].items():
        name = f"{_label(key)} ({change['n']} q)"
        table.add_row(
            name,
            f"{scores['base'][key]:.1f}",
            f"{scores['finetuned'][key]:.1f}",
            f"{change['delta']:+.1f} [{change['low']:+.1f}, {change['high']:+.1f}]",
            said_verdict(change),
        )
    console.print(table)


def difference_rows(scores: dict) -> list[PlottedDifference]:
    """The table's changes, row for row and number for number, as the plot draws them."""
    return [
        PlottedDifference.of(_label(key).removesuffix(" ↓"), change, key)
        for key, change in scores["change"].items()
    ]


def plot_changes(scores: dict, n: int, path: Path) -> Path:
    """The table's changes as a forest plot (demo_differences.png): which moved, and which could
    be no change at all."""
    title = f"finetuned − base model, {_held_out(n)}"
    return plot_differences(difference_rows(scores), path, title)


def _held_out(n: int) -> str:
    return f"held-out test set ({n} questions never trained on)"


def _label(key: str) -> str:
    """A row's name as eval's table says it ("hallucination ↓"; the demo's own kinds of fact
    question by what they ask): the keys were cut short in an 80-column terminal."""
    if key == GENERAL_TASK:  # the task's name said as the README's table says it
        return "ARC-Easy acc_norm"
    kind = key.removeprefix("fact_accuracy_")
    return f"fact accuracy, {KIND_NAMES[kind]}" if kind in KIND_NAMES else metric_label(key)
