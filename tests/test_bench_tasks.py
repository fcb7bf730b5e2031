"""A benchmark task is one file: it declares its name, metrics, few-shot source and description
and registers itself; `tunelab bench` (its default tasks, scoring and leaderboard) reads the rest
from the registry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.evaluate.bench.score import BenchConfig, bench
from tunelab.evaluate.bench.tasks import TASKS, get_task
from tunelab.evaluate.bench.tasks.base import ChoiceTask, Doc, acc_scores, register


# Everything below, in a file of tunelab/evaluate/bench/tasks/, is a new task.
@dataclass
class Parity(ChoiceTask):
    name: str = "parity"
    description: str = "is a small number even"
    metrics: dict[str, str] = field(default_factory=lambda: {"acc": "the right answer is likelier"})

    def load(self, data_dir, limit=None, fewshot=0) -> list[Doc]:
        numbers = range(limit or 6)
        return [Doc(f"Is {n} even? Answer:", ["yes", "no"], n % 2, source=f"{n}") for n in numbers]

    def score(self, doc: Doc, lls: list[float]) -> dict[str, float]:
        return acc_scores(doc, lls, norm=False)


@pytest.fixture
def parity():
    yield register(Parity())
    del TASKS["parity"]


def test_a_registered_task_is_run_by_default_and_described_in_the_leaderboard(parity, tmp_path):
    # No other task finds its data under tmp_path: they are skipped, parity is run.
    skipped = []
    cfg = BenchConfig(data_dir=tmp_path, output=tmp_path / "board", limit=4)
    table = bench(["tiny-random"], cfg, on_skip=lambda task, why: skipped.append(task))
    assert get_task("parity") is parity
    assert list(table[0]["scores"]) == ["parity"] and table[0]["details"]["parity"]["n"] == 4
    assert set(skipped) == set(TASKS) - {"parity"}
    markdown = (tmp_path / "board" / "leaderboard.md").read_text()
    assert "| parity | acc: the right answer is likelier | is a small number even |" in markdown


def test_the_command_line_names_a_registered_task(parity, tmp_path):
    out = tmp_path / "board"
    args = ["bench", "tiny-random", "--tasks", "parity", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--output", str(out), "--set", "limit=2"])
    assert result.exit_code == 0, result.output
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["settings"]["tasks"] == ["parity"] and board["settings"]["limit"] == 2
