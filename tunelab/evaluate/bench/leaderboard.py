"""The leaderboard of `tunelab bench`: a row per model, a column per task and an Average, each
model after the first shown against it with a paired interval; saved as Markdown and JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.files.write_files import write_json

if TYPE_CHECKING:
    from tunelab.evaluate.bench.score import BenchConfig, TaskResult


# A task's details that are not scores.
NOT_METRICS = ("n", "of", "questions", "seconds", "stderr")
# Why a score has no standard error, as the harness's "N/A" does not say.
NO_STDERR = "none from under 2 questions in a task or MMLU subject"


def leaderboard(rows: dict[str, list[TaskResult]]) -> list[dict]:
    """One record per model: each task's main metric (in %) and their average; every model after
    the first also gets `vs_first`: per task, the first model's score less its own in points,
    with a 95% paired interval over the same questions (`bench RUN BASE`: what finetuning
    gained, positive, or cost, as `eval RUN BASE` shows it)."""
    table = []
    first = next(iter(rows.values()), [])
    for i, (model, results) in enumerate(rows.items()):
        scores = {r.task: round(100 * r.main, 2) for r in results}
        # Of the unrounded scores: rounded first, two equal averages read 16.67 and 16.66.
        average = round(100 * sum(r.main for r in results) / len(results), 2) if results else 0.0
        details = {
            r.task: {
                **r.metrics,
                **{"n": r.n, "of": r.of, "questions": r.counted},
                **{"seconds": round(r.seconds, 2), "stderr": r.stderr},
            }
            for r in results
        }
        record = {"model": model, "scores": scores, "average": average, "details": details}
        if i:
            record["vs_first"] = {
                r.task: difference(r, f, model, table[0]["model"]) for f, r in zip(first, results)
            }
        table.append(record)
    return table


def difference(base: TaskResult, other: TaskResult, base_name: str, other_name: str) -> dict:
    """other − base on one task, in points, with its interval, verdict and the model it favours
    by name (`ahead`)."""
    from tunelab.evaluate.paired import paired_difference

    diff = paired_difference(base.per_question, other.per_question)
    return {
        "delta": round(100 * diff.delta, 2),
        "low": round(100 * diff.low, 2),
        "high": round(100 * diff.high, 2),
        "verdict": diff.verdict,
        "said": diff.said,  # with why there is no clear winner, where it needs saying
        "ahead": diff.ahead(other_name, base_name),
    }


def to_markdown(table: list[dict], fewshot: int = 0) -> str:
    """The leaderboard as a Markdown table, then each task's metrics, so a reader can check them."""
    tasks = list(dict.fromkeys(t for row in table for t in row["scores"]))
    lines = ["| Model | " + " | ".join(tasks) + " | Average |", "|---" * (len(tasks) + 2) + "|"]
    for row in sorted(table, key=lambda r: -r["average"]):
        cells = [f"{row['scores'][t]:.2f}" if t in row["scores"] else "" for t in tasks]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + f" | {row['average']:.2f} |")
    lines += ["", "Scores in %, by each task's leading metric:", ""]
    lines += described(tasks, fewshot) + [""]
    if any(d.get("of") for row in table for d in row["details"].values()):
        lines += [
            "--limit: each task's first questions (each MMLU subject's), as lm-evaluation-"
            "harness's --limit takes them; a score of those, not of the whole task (the "
            "questions column says how many of how many).",
            "",
        ]
    base = table[0]["model"] if table else ""
    for row in table[1:]:
        lines += [f"{base} − {row['model']} (points, 95% paired interval over the questions):", ""]
        lines += ["| Task | Δ | interval | ahead |", "|---|---|---|---|"]
        lines += [
            f"| {t} | {d['delta']:+.2f} | [{d['low']:+.2f}, {d['high']:+.2f}] | {d['ahead']} |"
            for t, d in row["vs_first"].items()
        ]
        lines.append("")
    lines += ["| Model | Task | questions | ± stderr | Metrics |", "|---|---|---|---|---|"]
    for row in table:
        for task, d in row["details"].items():
            metrics = ", ".join(f"{k} {100 * v:.2f}" for k, v in d.items() if k not in NOT_METRICS)
            err = f"{100 * d['stderr']:.2f}" if d.get("stderr") is not None else "n/a"
            said = d.get("questions", d["n"])  # a leaderboard.json saved before it had them
            lines.append(f"| {row['model']} | {task} | {said} | {err} | {metrics} |")
    lines.append(
        "± stderr: the leading metric's standard error over the questions, as "
        "lm-evaluation-harness reports it (MMLU's pooled over its subjects); about 2 of them "
        f"either side make a 95% interval; n/a: {NO_STDERR}."
    )
    return "\n".join(lines) + "\n"


def described(tasks: list[str], fewshot: int = 0) -> list[str]:
    """What each task asks and how it is scored, as its registration says (a Markdown table)."""
    from tunelab.evaluate.bench.tasks import get_task, main_metric

    lines = ["| Task | Scored by | What it asks |", "|---|---|---|"]
    for name in tasks:
        task = get_task(name)
        metric = main_metric(task)
        scored = f"{metric}: {task.metrics[metric]}"
        if task.fewshot:
            scored += f"; {fewshot}-shot, examples from {task.fewshot}"
        lines.append(f"| {name} | {scored} | {task.description} |")
    return lines


def save(table: list[dict], cfg: BenchConfig) -> tuple[Path, Path]:
    """Write leaderboard.md and leaderboard.json into cfg.output."""
    cfg.output.mkdir(parents=True, exist_ok=True)
    md, js = cfg.output / "leaderboard.md", cfg.output / "leaderboard.json"
    md.write_text(to_markdown(table, cfg.fewshot), encoding="utf-8")
    from tunelab.evaluate.bench.tasks import shots

    settings = {
        "tasks": cfg.tasks,
        "limit": cfg.limit,
        "fewshot": shots(cfg.tasks, cfg.fewshot),  # only the tasks asked with examples
        "data_dir": str(cfg.data_dir),
    }
    write_json(js, {"settings": settings, "models": table})
    return md, js
