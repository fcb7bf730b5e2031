"""A run's own benchmark scores, kept in its folder (RUN/bench/scores.json) beside the
leaderboard `tunelab bench` writes where it is told: the leaderboard compares one bench's models,
this file is what was measured of the run, by task, for `tunelab runs` to list with the run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.files.write_files import cannot_write, write_json

if TYPE_CHECKING:
    from tunelab.evaluate.bench.score import TaskResult
    from tunelab.run import Run

SCORES = "scores.json"


def keep_run_scores(run: Run, results: list[TaskResult], fewshot: int = 0) -> Path:
    """Each task's leading metric over the questions scored, and each question's score by its
    key (`Doc.key`), into the run's bench folder: a task benched again replaces its earlier
    score, the other tasks' stay. A folder that cannot be written (read-only) raises
    TunelabError naming the file."""
    from tunelab.evaluate.bench.tasks import with_shots

    path = run.out_dir("bench") / SCORES
    kept = run_scores(run)
    for r in results:
        kept[r.task] = {
            "asked": with_shots(r.task, fewshot),  # "mmlu (5-shot)": as the leaderboard names it
            "metric": r.main_metric,
            "value": r.main,
            "questions": r.n,
            "of": r.of,  # the task's questions, where --limit scored only the first
            "measured": time.time(),  # a run trained again after it no longer has this score
            # What `tunelab runs A B` pairs two runs' scores over: the questions both were
            # asked (by key, so runs benched on other questions or shots pair none).
            "per_question": dict(zip(r.keys, r.per_question)),
        }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, {"tasks": kept})
    except OSError as err:
        raise cannot_write(path, err) from None
    return path


def run_scores(run: Run) -> dict[str, dict]:
    """The benchmark scores kept in the run's folder, by task ({} where none are, or where the
    file is damaged: it costs the run its scores, not the listing)."""
    path = run.out_dir("bench") / SCORES
    try:
        tasks = json.loads(path.read_text(encoding="utf-8")).get("tasks")
    except (FileNotFoundError, ValueError, AttributeError):
        return {}
    return tasks if isinstance(tasks, dict) else {}


def said(task: str, score: dict) -> str:
    """One task's score as `tunelab runs` lists it: "arc_easy acc_norm 52.0% (100 of 2,376 q)"."""
    of = f" of {score['of']:,}" if score.get("of") else ""
    name = score.get("asked") or task
    return f"{name} {score['metric']} {score['value']:.1%} ({score['questions']}{of} q)"
