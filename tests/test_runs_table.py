"""`tunelab runs` in any terminal: the whole table where it fits, a stacked one at 80 columns, a
block per run narrower; never a word broken (at 80 columns rich drew "metho d", "statu s")."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

import tunelab
from tests.conftest import tiny_config
from tunelab.cli import app
from tunelab.run_files import STATUS_FILE
from tunelab.train.runs.runs_table import run_block, runs_listing

RUNS = {  # name: method, status, steps trained, eval loss's last step, best fact accuracy
    "tunelab-qa-full": ("full", "finished", 270, 270, 0.714),
    "tunelab-qa-lora-r16": ("lora", "interrupted", 44, 40, 0.25),
    "smoke": ("lora", "failed", 3, 3, 0.0),
}


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """Three run folders as training leaves them, the smollm2 model on lamini_docs' train.jsonl."""
    root = tmp_path_factory.mktemp("listed")
    for name, (method, status, steps, eval_step, best) in RUNS.items():
        config = tiny_config(root, root / "lamini_docs" / "train.jsonl")
        config.name, config.model.name, config.train.method = name, "smollm2-135m-instruct", method
        folder = root / "runs" / name
        folder.mkdir(parents=True)
        config.to_yaml(folder / "config.yaml")
        metrics = [{"step": s, "loss": 2.5 / s, "elapsed": 2.7 * s} for s in range(1, steps + 1)]
        metrics += [{"step": eval_step, "eval_loss": 1.2345, "eval_fact_accuracy": best}]
        (folder / "metrics.jsonl").write_text(
            "".join(json.dumps(row) + "\n" for row in metrics), encoding="utf-8"
        )
        planned = {"total_steps": 60} if status == "interrupted" else {}
        (folder / STATUS_FILE).write_text(
            json.dumps({"status": status, **planned}), encoding="utf-8"
        )
    return root / "runs"


def _words(text: str) -> set[str]:
    """The words of `text`, outside the table's lines (box drawing)."""
    return {word.rstrip(",:") for word in re.sub("[\u2500-\u257f]", " ", text).split()}


@pytest.mark.parametrize("columns", [200, 80, 50])
def test_runs_fits_the_terminal_and_breaks_no_word(runs_dir, columns):
    listed = CliRunner().invoke(app, ["runs", str(runs_dir)], env={"COLUMNS": str(columns)})
    assert listed.exit_code == 0, listed.output
    table = listed.output.split("best held-out, empty")[0]  # the notes wrap in the terminal
    assert max(map(len, table.splitlines())) <= columns
    # Every word is one the widest table or a run's block shows whole.
    rows = tunelab.runs([runs_dir])
    wide = Console(width=1000, color_system=None)
    with wide.capture() as blocks:
        wide.print(*(run_block(row) for row in rows))
    whole = CliRunner().invoke(app, ["runs", str(runs_dir)], env={"COLUMNS": "1000"}).output
    assert _words(table) - _words(whole) - _words(blocks.get()) == set()
    for name, (_, status, _, _, best) in RUNS.items():
        assert {name, status, f"{best:.1%}"} <= _words(table)


def test_runs_at_200_columns_is_one_table_a_column_each(runs_dir):
    listed = CliRunner().invoke(app, ["runs", str(runs_dir)], env={"COLUMNS": "200"}).output
    header = next(line for line in listed.splitlines() if "run" in line)
    assert re.findall(r"┃ ([^┃]+?) +(?=┃)", header) == [
        "run", "model", "method", "data", "steps", "train loss", "eval loss", "best held-out",
        "time", "status",
    ]  # fmt: skip
    assert "fact accuracy 71.4% (step 270)" in listed and "1.2345 (step 40)" in listed
    assert re.search(r"│ 12m 09s +│ finished", listed)  # 270 steps of 2.7 s, compact in its column


def test_runs_at_80_columns_stacks_what_a_run_trained_under_its_name(runs_dir):
    listed = CliRunner().invoke(app, ["runs", str(runs_dir)], env={"COLUMNS": "80"}).output
    lines = [re.split(r" *│ *", line.strip("│ ")) for line in listed.splitlines()]
    at = lines.index(["tunelab-qa-lora-r16", "train 0.0568", "fact accuracy 25.0%", "interrupted"])
    assert lines[at + 1] == ["smollm2-135m-instruct", "eval 1.2345", "(step 40)", "44/60 steps"]
    assert lines[at + 2] == ["lora, train.jsonl", "(step 40)", "", "1 min 59 s"]


def test_a_stale_evals_note_goes_under_its_score_where_the_table_would_not_fit_else():
    row = {"run": "resumed", "model": "smollm2-135m-instruct", "method": "lora", "steps": 300,
           "data": "lamini_docs_train.jsonl", "train_loss": 0.5, "eval_loss": 1.1, "time_s": 4e3,
           "eval_step": 300, "status": "finished",
           "best_heldout": {"metric": "fact_accuracy", "value": 0.7, "questions": 74, "stale": True}}  # fmt: skip
    console = Console(width=200, color_system=None)
    with console.capture() as shown:
        console.print(runs_listing(console, [row]))
    lines = shown.get().splitlines()
    assert max(map(len, lines)) <= 200 and "┃ best held-out " in lines[1]  # the whole table
    note = "(tunelab eval of the model before the last training: eval it again)"
    cells = [line.split("│")[8].strip() for line in lines[3:-1]]
    assert cells[0] == "fact accuracy 70.0%" and " ".join(cells[1:]) == note


def test_a_run_still_training_shows_its_steps_out_of_those_planned(tmp_path):
    # It showed "2" while training, not how far along the run is.
    import os

    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        "".join(json.dumps({"question": f"Q{i}?", "answer": f"A{i}."}) + "\n" for i in range(8))
    )
    tunelab.train(tiny_config(tmp_path, qa, max_steps=3).model_copy(update={"name": "busy"}))
    run = tmp_path / "runs" / "busy"
    status = json.loads((run / STATUS_FILE).read_text(encoding="utf-8"))
    status |= {"status": "running", "pid": os.getpid()}  # as training leaves it mid-run
    (run / STATUS_FILE).write_text(json.dumps(status), encoding="utf-8")
    metrics = (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    first_two = [line for line in metrics if json.loads(line).get("step", 0) <= 2]
    (run / "metrics.jsonl").write_text("\n".join(first_two) + "\n", encoding="utf-8")
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert re.search(r"│ 2/3 +│", listed.output) and "running" in listed.output


def test_a_run_of_one_step_says_step_and_names_its_score_as_eval_does():
    # A smoke run (--set train.max_steps=1) read "smoke: finished, 1 steps" and its score
    # "token_f1 52.0%", where the runs' pair lines and eval say "token F1".
    row = {"run": "smoke", "model": "smollm2-135m-instruct", "method": "lora", "steps": 1,
           "data": "train.jsonl", "train_loss": 2.5, "eval_loss": 2.4, "time_s": 12.0,
           "eval_step": 1, "status": "finished",
           "best_heldout": {"metric": "token_f1", "value": 0.52, "step": 1}}  # fmt: skip
    console = Console(width=60, color_system=None)
    with console.capture() as shown:
        console.print(run_block(row), run_block({**row, "run": "longer", "steps": 2}))
    lines = [line.rstrip() for line in shown.get().splitlines()]
    assert lines[0] == "smoke: finished, 1 step in 12 s"
    assert "  best held-out: token F1 52.0% (step 1)" in lines
    assert "longer: finished, 2 steps in 12 s" in lines


def test_a_runs_time_reads_as_training_s_done_line_says_it():
    # The done line said "2 min 49 s" and `tunelab runs` "2m 49s" of one run: two formatters.
    row = {"run": "long", "model": "smollm2-135m-instruct", "method": "full", "steps": 900,
           "data": "train.jsonl", "train_loss": 0.5, "eval_loss": None, "time_s": 169.4,
           "eval_step": None, "status": "finished"}  # fmt: skip
    console = Console(width=80, color_system=None)
    with console.capture() as shown:
        console.print(run_block(row), run_block({**row, "run": "longer", "time_s": 4e3}))
    lines = shown.get().splitlines()
    assert lines[0] == "long: finished, 900 steps in 2 min 49 s"  # as the done line said it
    assert "longer: finished, 900 steps in 1 h 06 min" in lines
