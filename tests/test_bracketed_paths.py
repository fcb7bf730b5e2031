"""A path, run or model name holding brackets ("out [v2]", "runs/exp[v2]") is printed as given:
rich read "[v2]" as markup and dropped it, so a command said a folder that is not there."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import QA_PAIRS, tiny_run, write_jsonl
from tunelab.cli import app


def qa_folder(root):
    qa = root / "qa"
    qa.mkdir()
    write_jsonl(qa / "train.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])
    write_jsonl(qa / "test.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS[:2]])
    return qa


def test_export_says_the_folder_it_wrote_as_given(tmp_path):
    # It said "merged weights (float32): .../out /merged", a folder that is not there.
    run = tiny_run(tmp_path, qa_folder(tmp_path))
    merged = tmp_path / "out [v2]" / "merged"
    args = ["export", str(run), "--merged", str(merged)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"merged weights (float32): {merged}\n" in result.output


def test_data_check_says_its_report_and_cleaned_file_as_given(tmp_path):
    data = write_jsonl(
        tmp_path / "data [v2].jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS]
    )
    report, cleaned = tmp_path / "report [v2].md", tmp_path / "clean [v2].jsonl"
    args = ["data", "check", str(data), "--report", str(report), "--output", str(cleaned)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"report written to {report}\n" in result.output
    assert f"wrote {len(QA_PAIRS)} rows to {cleaned}\n" in result.output


def test_eval_says_the_folder_it_wrote_as_given(tmp_path):
    run = tiny_run(tmp_path, qa_folder(tmp_path))
    out = tmp_path / "eval [v2]"
    args = ["eval", str(run), "--output", str(out), "--max-new-tokens", "4"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"{run}: 2 answers → {out}/ (predictions.csv" in result.output
    assert f"{out / 'errors.md'}, {out / 'errors.html'}" in result.output


def test_serve_says_the_run_it_loads_as_named(tmp_path, monkeypatch):
    from tunelab.errors import TunelabError
    from tunelab.serve import launch

    def loaded(*args, **kwargs):
        raise TunelabError("not loaded here: the line before it is the one tested")

    run = tiny_run(tmp_path, qa_folder(tmp_path))
    named = run.rename(run.parent / "exp[v2]")
    monkeypatch.setattr(launch, "load_engines", loaded)
    with socket.socket() as probe:  # a port free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(app, ["serve", str(named), "--port", str(port)])
    assert result.output.startswith("loading exp[v2]\n")


def test_the_ratings_tables_name_models_and_the_votes_file_as_given():
    # `tunelab rate --results` and `tunelab judge` printed "runs/exp" for runs/exp[v2].
    from types import SimpleNamespace

    from rich.console import Console

    from tunelab.evaluate.human.app import leaderboard_table
    from tunelab.evaluate.judge.cli import _ratings_table

    rated = dict(bt=1010, low=990, high=1030, facts=None, elo=1010, win_rate=0.6, votes=5)
    rows = [dict(rated, model="runs/exp[v2]", questions=5, vs_next="ahead of runs/exp[v1]")]
    judged = SimpleNamespace(records=[{}] * 5, path=Path("verdicts [v2].jsonl"), ratings=rows)
    tables = {
        "votes [v2].jsonl": leaderboard_table(rows, 5, "votes [v2].jsonl"),
        "verdicts [v2].jsonl": _ratings_table(judged, "judge"),
    }
    for file, table in tables.items():
        console = Console(width=300, record=True)
        console.print(table)
        shown = console.export_text()
        assert f"({file})" in shown
        assert "│ runs/exp[v2] " in shown and "ahead of runs/exp[v1]" in shown
