"""`tunelab eval RUN --data FILE` of rows the run trained on says so: their scores are memory."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.config import Config

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_eval_of_the_runs_own_training_rows_says_their_scores_are_memory(tmp_path):
    # From a walk: `tunelab eval runs/x --data lamini_docs.jsonl`, the whole file the run split,
    # scored 54 of its 60 rows as though held out, without a word.
    run = tiny_run(tmp_path, QA)
    args = ["eval", str(run), "--max-new-tokens", "2", "--data"]

    result = CliRunner().invoke(app, [*args, str(QA / "train.jsonl"), "--limit", "3"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "3 of 3 test rows ask a question demo trained on" in said
    assert f"{QA / 'train.jsonl'}:1" in said
    summary = json.loads((run / "eval" / "summary.json").read_text(encoding="utf-8"))
    assert any("memorised" in note for note in summary["notes"])

    held_out = CliRunner().invoke(app, [*args, str(QA / "test.jsonl")])
    assert held_out.exit_code == 0, held_out.output
    assert "memorised" not in held_out.output


def test_the_eval_its_note_suggests_pastes_whole_from_a_folder_with_a_space(tmp_path):
    # "`tunelab eval /tmp/my work/runs/demo` without --data" pasted as two runs: /tmp/my and work/...
    run = tiny_run(tmp_path / "my work", QA)
    args = ["eval", str(run), "--max-new-tokens", "2", "--limit", "1"]
    result = CliRunner().invoke(app, [*args, "--data", str(QA / "train.jsonl")])
    assert result.exit_code == 0, result.output
    summary = json.loads((run / "eval" / "summary.json").read_text(encoding="utf-8"))
    assert any(f"`tunelab eval '{run}'` without --data" in note for note in summary["notes"])


def test_eval_of_a_run_whose_config_names_no_training_data_scores_without_the_note(tmp_path):
    # A run folder written by a script (a config without data.path) failed inside eval with
    # "expected str ... not NoneType" while looking for rows it trained on.
    run = tiny_run(tmp_path, QA)
    config = Config.from_yaml(run / "config.yaml")
    config.data.path = None
    config.to_yaml(run / "config.yaml")

    result = CliRunner().invoke(
        app,
        [
            "eval",
            str(run),
            "--max-new-tokens",
            "2",
            "--limit",
            "2",
            "--data",
            str(QA / "train.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "memorised" not in result.output
