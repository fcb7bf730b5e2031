"""`tunelab bench`: score models on standard benchmarks and show them as a leaderboard (a row per
model, a column per task, an Average), saved as Markdown and JSON."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.errors import TunelabError
from tunelab.evaluate.benchmarks import Doc, Task, get_task
from tunelab.evaluate.benchmarks.base import TARGET_DELIMITER
from tunelab.evaluate.loglik import Request, loglikelihoods

DEFAULT_TASKS = [
    "arc_easy",
    "arc_challenge",
    "hellaswag",
    "mmlu",
    "truthfulqa_mc1",
    "truthfulqa_mc2",
]

# The shared benchmark copies sit next to the repository: <repo>/../shared/data/benchmarks.
DEFAULT_BENCH_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "benchmarks"


def bench_data_dir(option: str | None = None) -> Path:
    """--data-dir, else $TUNELAB_BENCH_DATA, else the shared folder beside the repository."""
    return Path(option or os.environ.get("TUNELAB_BENCH_DATA") or DEFAULT_BENCH_DATA)


@dataclass
class BenchConfig:
    """Everything `tunelab bench` needs besides the models."""

    data_dir: Path
    tasks: list[str] = field(default_factory=lambda: list(DEFAULT_TASKS))
    limit: int | None = None
    fewshot: int = 0  # MMLU only; the harness scores the others zero-shot
    batch_size: int = 16
    output: Path = Path("bench")


@dataclass
class TaskResult:
    task: str
    main_metric: str
    metrics: dict[str, float]  # mean over questions, 0-1
    n: int
    seconds: float
    per_question: list[float] = field(default_factory=list)  # the main metric of each question

    @property
    def main(self) -> float:
        return self.metrics[self.main_metric]


def score_docs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    task: Task,
    docs: list[Doc],
    batch_size: int = 16,
    on_progress=None,
) -> list[dict[str, float]]:
    """Each doc's scores under the task's rule, from one batched log-likelihood pass."""
    requests = [Request(d.context, [TARGET_DELIMITER + c for c in d.choices]) for d in docs]
    lls = loglikelihoods(model, tokenizer, requests, batch_size=batch_size, on_progress=on_progress)
    return [task.score(doc, ll) for doc, ll in zip(docs, lls)]


def run_task(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    name: str,
    cfg: BenchConfig,
    on_progress=None,
) -> TaskResult:
    """Load one task's questions and score them; metrics are micro-averages over questions."""
    task = get_task(name)
    docs = task.load(
        cfg.data_dir, limit=cfg.limit, fewshot=cfg.fewshot if name.startswith("mmlu") else 0
    )
    start = time.perf_counter()
    scores = score_docs(model, tokenizer, task, docs, cfg.batch_size, on_progress)
    seconds = time.perf_counter() - start
    keys = scores[0].keys() if scores else [task.main_metric]
    metrics = {k: sum(s[k] for s in scores) / max(len(scores), 1) for k in keys}
    per_question = [s[task.main_metric] for s in scores]
    return TaskResult(name, task.main_metric, metrics, len(docs), seconds, per_question)


def available(tasks: list[str], data_dir: Path) -> tuple[list[str], dict[str, str]]:
    """The tasks whose data can be read, and for the others the reason why not."""
    ok, missing = [], {}
    for name in tasks:
        try:
            get_task(name).load(data_dir, limit=1)  # an unknown name raises here too
            ok.append(name)
        except TunelabError as err:
            missing[name] = str(err)
    return ok, missing


def bench_model(name: str, cfg: BenchConfig, on_task=None, on_progress=None) -> list[TaskResult]:
    """Load a model (any source tunelab knows) and run every task of `cfg` on it.
    `on_task(model, result)` after each task; `on_progress(model, task, done, total)` during it."""
    import torch

    from tunelab.models import load_model

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, tokenizer = load_model(name, device=device)
    results = []
    for task in cfg.tasks:
        report = None
        if on_progress is not None:

            def report(done, total, task=task):
                on_progress(name, task, done, total)

        results.append(run_task(model, tokenizer, task, cfg, report))
        if on_task is not None:
            on_task(name, results[-1])
    return results


def leaderboard(rows: dict[str, list[TaskResult]]) -> list[dict]:
    """One record per model: each task's main metric (in %) and their average; every model after
    the first also gets `vs_first`: per task, its difference from the first model in points with
    a 95% paired-bootstrap interval over the same questions (a run against its base: what the
    finetuning cost or gained)."""
    table = []
    first = next(iter(rows.values()), [])
    for i, (model, results) in enumerate(rows.items()):
        scores = {r.task: round(100 * r.main, 2) for r in results}
        average = round(sum(scores.values()) / len(scores), 2) if scores else 0.0
        details = {r.task: {**r.metrics, "n": r.n, "seconds": round(r.seconds, 2)} for r in results}
        record = {"model": model, "scores": scores, "average": average, "details": details}
        if i:
            record["vs_first"] = {r.task: difference(f, r) for f, r in zip(first, results)}
        table.append(record)
    return table


def difference(base: TaskResult, other: TaskResult) -> dict:
    """other − base on one task, in points, with its interval and verdict."""
    from tunelab.evaluate.paired import paired_difference

    diff = paired_difference(base.per_question, other.per_question)
    return {
        "delta": round(100 * diff.delta, 2),
        "low": round(100 * diff.low, 2),
        "high": round(100 * diff.high, 2),
        "verdict": diff.verdict,
    }


def to_markdown(table: list[dict], fewshot: int = 0) -> str:
    """The leaderboard as a Markdown table, then each task's metrics, so a reader can check them."""
    tasks = list(dict.fromkeys(t for row in table for t in row["scores"]))
    lines = ["| Model | " + " | ".join(tasks) + " | Average |", "|---" * (len(tasks) + 2) + "|"]
    for row in sorted(table, key=lambda r: -r["average"]):
        cells = [f"{row['scores'][t]:.2f}" if t in row["scores"] else "" for t in tasks]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + f" | {row['average']:.2f} |")
    lines += [
        "",
        (
            "Scores in %: acc_norm for arc and hellaswag, acc for mmlu and truthfulqa "
            f"(mc2: probability on true answers). MMLU {fewshot}-shot."
        ),
        "",
    ]
    base = table[0]["model"] if table else ""
    for row in table[1:]:
        lines += [f"{row['model']} − {base} (points, 95% paired interval over the questions):", ""]
        lines += ["| Task | Δ | interval | verdict |", "|---|---|---|---|"]
        lines += [
            f"| {t} | {d['delta']:+.2f} | [{d['low']:+.2f}, {d['high']:+.2f}] | {d['verdict']} |"
            for t, d in row["vs_first"].items()
        ]
        lines.append("")
    lines += ["| Model | Task | n | Metrics |", "|---|---|---|---|"]
    for row in table:
        for task, d in row["details"].items():
            metrics = ", ".join(
                f"{k} {100 * v:.2f}" for k, v in d.items() if k not in ("n", "seconds")
            )
            lines.append(f"| {row['model']} | {task} | {d['n']} | {metrics} |")
    return "\n".join(lines) + "\n"


def save(table: list[dict], cfg: BenchConfig) -> tuple[Path, Path]:
    """Write leaderboard.md and leaderboard.json into cfg.output."""
    cfg.output.mkdir(parents=True, exist_ok=True)
    md, js = cfg.output / "leaderboard.md", cfg.output / "leaderboard.json"
    md.write_text(to_markdown(table, cfg.fewshot))
    settings = {
        "tasks": cfg.tasks,
        "limit": cfg.limit,
        "fewshot": cfg.fewshot,
        "data_dir": str(cfg.data_dir),
    }
    js.write_text(json.dumps({"settings": settings, "models": table}, indent=2))
    return md, js


def check_tasks(cfg: BenchConfig) -> None:
    """Fail on an unknown task name or missing data before any model loads, not after the
    first tasks have run; an empty task list would save an empty leaderboard."""
    if not cfg.tasks:
        raise TunelabError(
            f"no benchmark to run: no task's data was found under {cfg.data_dir}. Point "
            "--data-dir (or TUNELAB_BENCH_DATA) at the benchmark files, or name --tasks."
        )
    if cfg.limit is not None and cfg.limit < 1:
        raise TunelabError(f"limit must be at least 1, got {cfg.limit}")
    _, missing = available(cfg.tasks, cfg.data_dir)
    if missing:
        raise TunelabError(next(iter(missing.values())))


def bench(models: list[str], cfg: BenchConfig, on_task=None, on_progress=None) -> list[dict]:
    """The Python API of `tunelab bench`: run, save, and return the leaderboard records."""
    check_tasks(cfg)
    rows = {name: bench_model(name, cfg, on_task, on_progress) for name in models}
    table = leaderboard(rows)
    save(table, cfg)
    return table
