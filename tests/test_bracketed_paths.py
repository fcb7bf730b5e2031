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


def test_bench_s_bars_name_a_model_as_given(tmp_path, monkeypatch):
    # The bar of runs/exp[v2]'s arc_easy read "runs/exp arc_easy".
    from tunelab import progress
    from tunelab.models.random_weights import tiny_random

    named = tmp_path / "exp[v2]"
    model, tok = tiny_random()
    model.save_pretrained(named)
    tok.save_pretrained(named)
    made, real = [], progress.progress_bars
    monkeypatch.setattr(progress, "progress_bars", lambda **kw: made.append(real(**kw)) or made[0])
    fixtures = Path(__file__).parent / "fixtures" / "eval"
    args = ["bench", str(named), "--tasks", "arc_easy", "--data-dir", str(fixtures)]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "board")])
    assert result.exit_code == 0, result.output
    labels = [made[0].columns[0].render(task).plain for task in made[0].tasks]
    assert labels == [f"{named} arc_easy"]


def test_tokenizing_a_long_text_names_its_file_as_given(capfd, monkeypatch):
    # "tokenizing manual [v2].md (MB)" read "tokenizing manual .md (MB)".
    from tunelab.data import tokenize
    from tunelab.data.example import Example
    from tunelab.models.random_weights import tiny_tokenizer

    monkeypatch.setattr(tokenize, "PROGRESS_CHARS", 100)  # a bar for this text, not 4 MB ones
    manual = Example(text="A long manual. " * 20, source="manual [v2].md")
    tokenize.tokenize_all([manual], tiny_tokenizer(), max_length=32)
    assert "tokenizing manual [v2].md (MB)" in capfd.readouterr().err


def test_training_s_data_line_names_a_dropped_row_s_file_as_given(tmp_path, capsys, monkeypatch):
    # "(.../data [v2].jsonl:3: '<|im_end|>')" read "(.../data .jsonl:3: '<|im_end|>')".
    from tests.conftest import tiny_config
    from tunelab import train

    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    rows[2]["answer"] = "It ends with <|im_end|> here."
    data = write_jsonl(tmp_path / "data [v2].jsonl", rows)
    monkeypatch.setenv("COLUMNS", "300")  # the path on one line
    train(tiny_config(tmp_path, data, max_steps=1, eval_every=100))
    assert f"({data}:3: '<|im_end|>')" in capsys.readouterr().out
