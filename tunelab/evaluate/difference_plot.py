"""A forest plot of paired differences, one picture for compare, the demo and `eval RUN BASE`:
each comparison a row, its difference in points a dot on its 95% paired interval, zero marked,
and its verdict told by colour and marker, so "no clear winner" shows at a glance. Bars of each
side with its own interval overlap where the paired interval excludes zero, and mislead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.evaluate.paired import NO_CLEAR_WINNER, over_facts, said_verdict
from tunelab.evaluate.scores import LOWER_IS_BETTER, METRIC_NAMES
from tunelab.terminal import n_things

if TYPE_CHECKING:
    from tunelab.evaluate.suite import EvalResult

EVAL_DIFFERENCES = "comparison_differences.png"  # `eval A B`'s, beside comparison.md
# How each verdict is drawn: its colour, and a filled dot for a winner, a hollow one for none
# (told apart in grey print and by colour-blind readers too).
MARKS = {
    "better": ("#1a9850", True),
    "worse": ("#d73027", True),
    NO_CLEAR_WINNER: ("#7f7f7f", False),
}


@dataclass(frozen=True)
class PlottedDifference:
    """One row of the plot: what is compared, the difference in points with its 95% paired
    interval, the verdict in the metric's own direction, and the questions it is over."""

    label: str
    delta: float
    low: float
    high: float
    verdict: str
    n: int
    lower_is_better: bool = False
    unclear_because: str = ""
    facts: int | None = None  # the facts the interval resamples, where fewer than the questions

    @classmethod
    def of(cls, label: str, pair: dict[str, Any], metric: str, scale: float = 1.0):
        """A row of a table of differences as its table has it (compare's pairs, the demo's
        changes, eval's comparison lines: delta, low, high, verdict, n), `scale`d to points."""
        return cls(label, scale * pair["delta"], scale * pair["low"], scale * pair["high"],
                   pair["verdict"], pair["n"], metric in LOWER_IS_BETTER,
                   pair.get("unclear_because", ""), pair.get("facts"))  # fmt: skip

    @property
    def numbers(self) -> str:
        """The difference and interval as the tables write them: "+85.7 [+72.2, +92.2]"."""
        said = f"{self.delta:+.1f} [{self.low:+.1f}, {self.high:+.1f}]"
        return said + over_facts(self.facts)

    @property
    def said(self) -> str:
        return said_verdict({"verdict": self.verdict, "unclear_because": self.unclear_because})

    @property
    def name(self) -> str:
        """The row's label with what it is over and, where a drop is the gain, which way is
        better: a hallucination rate's dot left of zero is the better model's."""
        which = "; lower is better (left of 0)" if self.lower_is_better else ""
        return f"{self.label}\n{n_things(self.n, 'question')}{which}"


def plot_differences(rows: list[PlottedDifference], path: Path, title: str) -> Path:
    """Draw `rows` top to bottom into the PNG `path` (headless), titled `title`, which names the
    two sides and how many questions."""
    import matplotlib

    matplotlib.use("Agg")  # headless: runs on servers and in CI
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    height = 1.4 + 0.55 * max(len(rows), 1)  # inches
    # Wider for longer labels, so the axes keep their room ("finetuned + RAG − prompting + RAG").
    longest = max((len(line) for row in rows for line in row.name.splitlines()), default=0)
    fig, ax = plt.subplots(figsize=(min(6.5 + 0.08 * longest, 13), height), dpi=110)
    beside = blended_transform_factory(ax.transAxes, ax.transData)  # right of the axes, per row
    for y, row in enumerate(rows):
        colour, filled = MARKS[row.verdict]
        ax.plot([row.low, row.high], [y, y], color=colour, linewidth=2.5, solid_capstyle="butt")
        ax.plot([row.low, row.high], [y, y], "|", color=colour, markersize=9)
        ax.plot(row.delta, y, "o", markersize=8, color=colour,
                markerfacecolor=colour if filled else "white", markeredgewidth=2)  # fmt: skip
        ax.text(1.02, y, f"{row.numbers}  {row.said}", transform=beside, va="center",
                fontsize=8, color=colour)  # fmt: skip
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(range(len(rows)), [row.name for row in rows], fontsize=8)
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)  # the first row at the top, as in the tables
    reach = max([abs(v) for row in rows for v in (row.low, row.high)] + [1.0])
    ax.set_xlim(-1.08 * reach, 1.08 * reach)  # zero in the middle: each side's gains alike
    ax.set_xlabel("difference in points, with its 95% paired interval")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour, markersize=7,
               markerfacecolor=colour if filled else "white", markeredgewidth=2, label=verdict)
        for verdict, (colour, filled) in MARKS.items()
    ]  # fmt: skip
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0))  # fmt: skip
    fig.tight_layout(rect=(0, 0.3 / height, 1, 1))  # under the axis' label, the legend
    fig.savefig(path)
    plt.close(fig)
    return path


def comparison_rows(table: list[dict[str, Any]]) -> list[PlottedDifference]:
    """Eval's comparison lines (`scores.comparison`: first − last, as fractions) in points."""
    return [
        PlottedDifference.of(
            METRIC_NAMES.get(line["metric"], line["metric"]), line, line["metric"], scale=100
        )  # fmt: skip
        for line in table
    ]


def plot_comparison(results: list[EvalResult], table: list[dict[str, Any]], folder: Path) -> Path:
    """`eval A ... B`'s comparison table as a forest plot, EVAL_DIFFERENCES in `folder`."""
    first, last = results[0].label, results[-1].label
    title = f"{first} − {last}, {n_things(len(results[0].rows), 'question')}"
    return plot_differences(comparison_rows(table), folder / EVAL_DIFFERENCES, title)
