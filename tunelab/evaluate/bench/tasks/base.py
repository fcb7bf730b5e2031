"""What every benchmark task is: a loader that turns the published files into `Doc`s (a context and
its choices), and a scoring rule over the choices' log-likelihoods, both as the harness defines them;
with its name, metrics, few-shot source and description, which it registers here. A task is one
file in this folder; nothing else lists tasks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tunelab.data.files.jsonl_files import jsonl_records
from tunelab.errors import TunelabError

# What to do about a task's file with a broken line, after its `file:line` and what is wrong.
BROKEN_FILE = (
    "the file may be cut short (a download that stopped): download it again or fix that line, "
    "or point --data-dir (or TUNELAB_BENCH_DATA) at a whole copy"
)
# The harness puts this between a context and each choice.
TARGET_DELIMITER = " "
ACC = {"acc": "the likeliest choice is right"}
NORMED_ACC = {"acc_norm": "the choice likeliest per character is right", **ACC}


@dataclass
class Doc:
    """One question ready to score: `context + " " + choice` for each choice."""

    context: str
    choices: list[str]
    gold: int
    labels: list[int] = field(default_factory=list)  # truthfulqa_mc2: 1 for each true answer
    group: str = ""  # e.g. the MMLU subject
    source: str = ""  # "file:line" or "dataset[row]", for messages and per-question output

    @property
    def key(self) -> str:
        """The question as asked, a digest of its context (few-shot examples and all) and its
        choices: what pairs two models' scores on one question (`tunelab runs A B`), wherever
        the file was read from, and keeps a 5-shot question apart from the 0-shot one."""
        asked = "\x00".join([self.context, *self.choices])
        return hashlib.sha256(asked.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class HubSource:
    """Where the Hugging Face hub keeps a task's data: `datasets.load_dataset(repo, config,
    split=s)` for each split, saved (`save_to_disk`) as `folder`, which the task's `load` reads."""

    repo: str
    config: str | None
    splits: tuple[str, ...]
    folder: str


class Task(Protocol):
    """A benchmark: data + prompt (in `load`) + scoring rule (in `score`), described for people."""

    name: str
    description: str
    metrics: dict[str, str]  # what `score` returns, each with what it means; the first leads
    fewshot: str | None  # where few-shot examples come from; None: scored zero-shot only
    hub: HubSource | None  # where `tunelab bench` fetches the data when it is not found locally

    def load(self, data_dir: Path, limit: int | None = None, fewshot: int = 0) -> list[Doc]: ...

    def score(self, doc: Doc, lls: list[float]) -> dict[str, float]: ...

    def part(self, name: str) -> Task | None:
        """The task restricted to one part named `<task>_<name>` (an MMLU subject), if any."""
        ...


TASKS: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Make `task` known to `tunelab bench` by its name (and run by default)."""
    TASKS[task.name] = task
    return task


def main_metric(task: Task) -> str:
    """The metric a leaderboard shows for `task`."""
    return next(iter(task.metrics))


@dataclass(kw_only=True)
class ChoiceTask:
    """What most tasks are: scored zero-shot by the likeliest choice (acc, and acc_norm where
    `metrics` names it), with no parts. A task sets what differs."""

    metrics: dict[str, str] = field(default_factory=lambda: dict(NORMED_ACC))
    fewshot: str | None = None
    hub: HubSource | None = None

    def score(self, doc: Doc, lls: list[float]) -> dict[str, float]:
        return acc_scores(doc, lls, norm="acc_norm" in self.metrics)

    def part(self, name: str) -> Task | None:
        return None


def acc_scores(doc: Doc, lls: list[float], norm: bool = True) -> dict[str, float]:
    """acc: the most likely choice is gold; acc_norm: the same after dividing by its characters."""
    return {metric: float(pick == doc.gold) for metric, pick in picks(doc, lls, norm).items()}


def picks(doc: Doc, lls: list[float], norm: bool = True) -> dict[str, int]:
    """The choice each metric picks: acc the likeliest, acc_norm the likeliest per character."""
    values = np.array(lls)
    out = {"acc": int(np.argmax(values))}
    if norm:
        lengths = np.array([float(len(c)) for c in doc.choices])
        out["acc_norm"] = int(np.argmax(values / lengths))
    return out


def sourced_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a JSONL file with their `file:line`, failing on the first bad line by name."""
    return ((f"{path}:{number}", row) for number, row in jsonl_records(path, hint=BROKEN_FILE))


def field_of(row: dict[str, Any], key: str, source: str) -> Any:
    """row[key], or an error naming the row and the missing field."""
    if not isinstance(row, dict):  # `key in "some text"` read a string's letters as its fields
        raise TunelabError(
            f"{source}: expected an object with field {key!r}, got {type(row).__name__} "
            f"{str(row)[:60]!r}"
        )
    if key not in row:
        raise TunelabError(f"{source}: missing field {key!r} (has {sorted(row)})")
    return row[key]


def is_hf_dataset(path: Path) -> bool:
    """A folder written by `datasets.save_to_disk` (a Dataset or a DatasetDict)."""
    return (path / "dataset_dict.json").is_file() or (path / "state.json").is_file()


def hf_rows(path: Path, splits: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a Hugging Face dataset saved on disk, from the first of `splits` it has."""
    from datasets import DatasetDict, load_from_disk

    data = load_from_disk(str(path))
    if isinstance(data, DatasetDict):
        split = next((s for s in splits if s in data), None)
        if split is None:
            raise TunelabError(f"{path}: dataset has splits {list(data)}, expected one of {splits}")
        data = data[split]
    for i, row in enumerate(data):
        yield f"{path}[{i}]", row


class DataNotFound(TunelabError):
    """A task's data is not in the folder given (which `tunelab bench` may then fetch); `path`,
    where known, is the file or folder the task looked for."""

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path


def require(path: Path, task: str) -> Path:
    """`path` if it exists, else an error that says where the task looks for its data."""
    if not path.exists():
        raise DataNotFound(
            f"{task}: data not found at {path}. Point --data-dir (or TUNELAB_BENCH_DATA) at a folder "
            f"with the benchmark's original files or a saved Hugging Face dataset.",
            path,
        )
    return path


def first(rows: Iterator[tuple[str, dict[str, Any]]], limit: int | None) -> list:
    """The first `limit` rows (all when limit is None)."""
    out = []
    for item in rows:
        if limit is not None and len(out) >= limit:
            break
        out.append(item)
    return out
