"""What `tunelab compare` writes: compare.md (each arm's scores with a 95% interval, every pair of
arms with a paired-bootstrap interval over the questions, and a verdict that says "no clear
winner" when the difference could be zero), compare.json, each arm's answers, and a bar chart."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.evaluate.paired import NO_CLEAR_WINNER, mean_interval, paired_difference

if TYPE_CHECKING:
    from tunelab.compare.run import Arm, CompareConfig, Comparison

# The metric arms are ranked and paired by, and the ones charted.
MAIN = "token_f1"
CHARTED = {"normalized_match": "normalized match", "token_f1": "token F1", "rouge_l": "ROUGE-L"}


def scores(arm: Arm, metric: str = MAIN) -> list[float]:
    return [row["scores"][metric] for row in arm.rows]


def pairs(arms: list[Arm], metric: str = MAIN) -> list[dict]:
    """Every pair of arms: the later arm minus the earlier over the same questions, in points,
    with its 95% paired-bootstrap interval and verdict ('better', 'worse', 'no clear winner')."""
    out = []
    for a, b in combinations(arms, 2):
        diff = paired_difference(scores(a, metric), scores(b, metric))
        out.append(
            {"arm": b.name, "vs": a.name, "delta": 100 * diff.delta, "low": 100 * diff.low,
             "high": 100 * diff.high, "verdict": diff.verdict}
        )  # fmt: skip
    return out


def verdict(arms: list[Arm], metric: str = MAIN) -> str:
    """The best arm by `metric` when it is clearly ahead of every other, else which arms it cannot
    be told apart from: a mean over a few questions is not a winner."""
    best = max(arms, key=lambda a: a.summary[metric])
    tied = [
        other.name
        for other in arms
        if other is not best
        and paired_difference(scores(other, metric), scores(best, metric)).verdict != "better"
    ]
    if not tied:
        return f"Best by token F1: **{best.name}**, ahead of every other arm (95% paired interval)."
    return (
        f"{NO_CLEAR_WINNER.capitalize()} by token F1: {best.name} has the highest mean, but its "
        f"difference from {', '.join(tied)} could be zero (95% paired interval over "
        f"{len(best.rows)} questions)."
    )


def to_markdown(result: Comparison, cfg: CompareConfig) -> str:
    n = len(result.arms[0].rows) if result.arms else 0
    lines = [
        f"# Prompting vs RAG vs finetuning: {result.run}",
        "",
        f"{n} test questions; passages: top {cfg.k} by BM25 from "
        f"{cfg.corpus or 'the run training data'}; context recall {100 * result.context_recall:.1f}% "
        "(share of each reference's content words found in its passages).",
        "",
        "| arm | model | normalized match | token F1 [95% interval] | ROUGE-L | answer words "
        "| s/question |",
        "|---|---|---|---|---|---|---|",
    ]
    for arm in result.arms:
        s, f1 = arm.summary, mean_interval(scores(arm))
        lines.append(
            f"| {arm.name} | {arm.model} | {100 * s['normalized_match']:.1f} | "
            f"{100 * s['token_f1']:.1f} [{100 * f1.low:.1f}, {100 * f1.high:.1f}] | "
            f"{100 * s['rouge_l']:.1f} | {s['answer_words']:.1f} | "
            f"{s['seconds_per_question']:.2f} |"
        )
    lines += [
        "",
        "Token F1 differences, arm by arm (points; 95% paired bootstrap over the questions):",
        "",
        "| arm | vs | Δ | interval | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p['arm']} | {p['vs']} | {p['delta']:+.1f} | [{p['low']:+.1f}, {p['high']:+.1f}] "
        f"| {p['verdict']} |"
        for p in pairs(result.arms)
    ]
    return "\n".join([*lines, "", verdict(result.arms)]) + "\n"


def write_report(result: Comparison, cfg: CompareConfig) -> None:
    """compare.md, compare.json, compare.png and each arm's answers as JSONL."""
    out = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(to_markdown(result, cfg))
    payload = {
        "run": result.run,
        "context_recall": result.context_recall,
        "arms": [
            {"name": a.name, "model": a.model, "rag": a.rag, **a.summary} for a in result.arms
        ],
        "pairs": pairs(result.arms),
        "verdict": verdict(result.arms).replace("**", ""),
    }
    (out / "compare.json").write_text(json.dumps(payload, indent=2))
    for arm in result.arms:
        slug = re.sub(r"\W+", "_", arm.name).strip("_")
        with (out / f"{slug}.jsonl").open("w", encoding="utf-8") as handle:
            for row in arm.rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    plot(result, out / "compare.png")


def plot(result: Comparison, path: Path) -> Path:
    """Grouped bars: each metric, one bar per arm."""
    import matplotlib

    matplotlib.use("Agg")  # headless: runs on servers and in CI
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    width = 0.8 / max(len(result.arms), 1)
    for i, arm in enumerate(result.arms):
        xs = [m + (i - (len(result.arms) - 1) / 2) * width for m in range(len(CHARTED))]
        ax.bar(xs, [100 * arm.summary[m] for m in CHARTED], width, label=arm.name)
    ax.set_xticks(range(len(CHARTED)), list(CHARTED.values()))
    ax.set_ylabel("score (%)")
    ax.set_title(f"{Path(result.run).name}: prompting vs RAG vs finetuning")
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
