"""The standard benchmarks, one file per task; `get_task` resolves a name given on the command line."""

from __future__ import annotations

from tunelab.errors import TunelabError
from tunelab.evaluate.bench.tasks.arc import ARC_CHALLENGE, ARC_EASY
from tunelab.evaluate.bench.tasks.base import Doc, Task
from tunelab.evaluate.bench.tasks.hellaswag import HELLASWAG
from tunelab.evaluate.bench.tasks.mmlu import MMLU, Mmlu
from tunelab.evaluate.bench.tasks.truthfulqa import TRUTHFULQA_MC1, TRUTHFULQA_MC2

TASKS: dict[str, Task] = {
    t.name: t for t in (ARC_EASY, ARC_CHALLENGE, HELLASWAG, MMLU, TRUTHFULQA_MC1, TRUTHFULQA_MC2)
}

__all__ = ["TASKS", "Doc", "Task", "get_task"]


def get_task(name: str) -> Task:
    """A task by name; `mmlu_<subject>` is MMLU restricted to one subject."""
    name = name.strip()
    if name in TASKS:
        return TASKS[name]
    if name.startswith("mmlu_"):
        return Mmlu(name=name, subject=name[len("mmlu_") :])
    raise TunelabError(f"unknown benchmark task {name!r}: use {', '.join(TASKS)} or mmlu_<subject>")
