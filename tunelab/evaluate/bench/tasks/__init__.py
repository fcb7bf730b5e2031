"""The benchmark tasks: every module in this folder registers its own (see base.py), so adding a
task is adding a file; `get_task` resolves a name given on the command line."""

from __future__ import annotations

import difflib
import importlib
import pkgutil

from tunelab.errors import TunelabError
from tunelab.evaluate.bench.tasks.base import TASKS, Doc, Task, main_metric, register

__all__ = ["TASKS", "Doc", "Task", "get_task", "main_metric", "register", "shots", "with_shots"]

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


def get_task(name: str) -> Task:
    """A registered task by name, or `<task>_<part>` for one part of a task (an MMLU subject)."""
    name = name.strip()
    if name in TASKS:
        return TASKS[name]
    for task_name, task in TASKS.items():
        if name.startswith(f"{task_name}_") and (part := task.part(name[len(task_name) + 1 :])):
            return part
    # Every task of a family named alone ("truthfulqa": mc1 and mc2, "arc": easy and challenge),
    # else every name as close: one of two equally close was suggested as the only one.
    close = [t for t in TASKS if t.startswith(f"{name}_")]
    close = close or difflib.get_close_matches(name, [*TASKS, *_parts()], n=3, cutoff=0.8)
    # A subject's last word alone ("mmlu_algebra", "mmlu_physics") is too short to be close.
    task, _, word = name.partition("_")
    close = close or [p for p in _parts() if p.startswith(f"{task}_") and p.endswith(f"_{word}")]
    raise TunelabError(
        f"unknown benchmark task {name!r}"
        + (f" (did you mean {' or '.join(close)}?)" if close else "")
        + f": use {', '.join(TASKS)}, or <task>_<part> for a part of one (mmlu_<subject>)"
    )


def _parts() -> list[str]:
    """Every `<task>_<part>` name the tasks know (MMLU's subjects)."""
    from tunelab.evaluate.bench.tasks.mmlu import SUBJECTS

    return [f"mmlu_{subject}" for subject in sorted(SUBJECTS)]


def shots(names: list[str] | None, fewshot: int) -> dict[str, int]:
    """The few-shot examples each named task is asked with, for the tasks that take any (the
    others are scored zero-shot whatever --fewshot says)."""
    return {name: fewshot for name in names or [] if fewshot and get_task(name).fewshot}


def with_shots(name: str, fewshot: int) -> str:
    """A task's name with the few-shot examples it was asked with, where it takes some: "mmlu
    (0-shot)", "mmlu (5-shot)", "arc_easy". An MMLU score read beside published ones, often
    5-shot, did not say it was zero-shot."""
    return f"{name} ({fewshot}-shot)" if get_task(name).fewshot else name
