"""`tunelab runs` shows what a user measured of each run: its fact accuracy where its test rows
name facts, the demo's score, and its benchmark results."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from typer.testing import CliRunner

import tunelab
from tests.conftest import tiny_config, tiny_run, write_jsonl
from tunelab.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def run_folder(tmp_path: Path, name: str, metrics: list[dict]) -> Path:
    """A run folder as training leaves it, its test questions in test.jsonl beside it."""
    test = write_jsonl(tmp_path / "test.jsonl", [{"question": "Port?", "answer": "Port 8080."}])
    folder = tmp_path / "runs" / name
    folder.mkdir(parents=True)
    config = tiny_config(tmp_path, tmp_path / "qa.jsonl")
    data = config.data.model_copy(update={"test_path": str(test), "test_size": 0})
    config.model_copy(update={"name": name, "data": data}).to_yaml(folder / "config.yaml")
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in metrics))
    return folder


def evaluated_as(run: Path, metrics: dict, questions: int = 1) -> None:
    """The files `tunelab eval RUN` leaves in RUN/eval after answering the run's test file."""
    eval_dir = run / "eval"
    eval_dir.mkdir()
    source = f"{run.parent.parent / 'test.jsonl'}:1"
    write_jsonl(eval_dir / "predictions.jsonl", [{"source": source, "answer": "8080"}])
    summary = {"examples": questions, "metrics": metrics}
    (eval_dir / "summary.json").write_text(json.dumps(summary))


def test_a_run_scored_by_facts_after_a_resume_shows_its_fact_accuracy_not_its_token_f1(tmp_path):
    # Trained to step 4 before its test rows named facts, then resumed once they did: the
    # listing took the token F1 of the first steps over the fact accuracy of the later ones.
    run = run_folder(
        tmp_path,
        "resumed",
        [
            {"step": 2, "eval_token_f1": 0.9},
            {"step": 4, "eval_token_f1": 0.95},
            {"step": 6, "eval_fact_accuracy": 0.5},
        ],
    )
    [row] = tunelab.runs([run])
    assert row["best_heldout"] == {"metric": "fact_accuracy", "value": 0.5, "step": 6}


def test_an_eval_of_facts_after_training_scored_token_f1_shows_the_fact_accuracy(tmp_path):
    # Trained with eval_generate_every on rows without facts, then `data facts` and `tunelab
    # eval RUN`: the cell kept training's token F1, a style score, over the facts measured since.
    run = run_folder(tmp_path, "facts-later", [{"step": 3, "eval_token_f1": 0.8}])
    evaluated_as(run, {"fact_accuracy": 0.25, "token_f1": 0.6})
    [row] = tunelab.runs([run])
    assert (row["best_heldout"]["metric"], row["best_heldout"]["value"]) == ("fact_accuracy", 0.25)
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "300"})
    assert "fact accuracy 25.0% (tunelab eval, 1 question)" in listed.output
    # An eval of overlap alone does not replace training's own score of the same metric.
    (tmp_path / "b").mkdir()
    other = run_folder(tmp_path / "b", "overlap", [{"step": 3, "eval_token_f1": 0.8}])
    evaluated_as(other, {"token_f1": 0.6})
    assert tunelab.runs([other])[0]["best_heldout"] == {
        "metric": "token_f1",
        "value": 0.8,
        "step": 3,
    }


def test_a_benched_run_lists_its_scores_under_the_table_as_wide_as_before(tmp_path):
    # `tunelab bench RUN` wrote its leaderboard to ./bench alone: `tunelab runs` never showed
    # what the run kept of its general ability.
    run = tiny_run(tmp_path, tmp_path)
    (run / "metrics.jsonl").write_text(json.dumps({"step": 3, "loss": 2.0}) + "\n")
    before = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "80"})
    board = tmp_path / "board"
    bench = ["bench", str(run), "--data-dir", str(FIXTURES), "--limit", "2", "--output", str(board)]
    assert CliRunner().invoke(app, [*bench, "--tasks", "arc_easy,mmlu"]).exit_code == 0
    [row] = tunelab.runs([run])
    arc = row["bench"]["arc_easy"]
    assert (arc["metric"], arc["questions"], arc["of"]) == ("acc_norm", 2, 3)
    leaderboard = json.loads((board / "leaderboard.json").read_text())["models"][0]
    assert round(100 * arc["value"], 2) == leaderboard["scores"]["arc_easy"]
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "80"})
    assert listed.output.startswith(before.output)  # the table and its notes, unchanged
    line = listed.output[len(before.output) :]
    assert line.startswith(f"bench, demo: arc_easy acc_norm {arc['value']:.1%} (2 of 3 q); mmlu")
    # Trained again since, the scores are the earlier model's; a task benched again replaces
    # its own score alone.
    later = time.time() + 5
    os.utime(run / "metrics.jsonl", (later, later))
    assert (
        "(before the last training: bench it again)"
        in CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "300"}).output
    )
    os.utime(run / "metrics.jsonl", (later - 10, later - 10))
    assert CliRunner().invoke(app, [*bench, "--tasks", "arc_easy"]).exit_code == 0
    assert set(tunelab.runs([run])[0]["bench"]) == {"arc_easy", "mmlu"}


def test_a_read_only_run_is_benched_its_scores_in_the_leaderboard_and_a_warning(
    tmp_path, monkeypatch
):
    # The run's folder refused scores.json after the benchmark minutes: bench ended in an
    # OSError traceback, though the leaderboard was saved.
    from tunelab.evaluate.bench import run_scores

    def refused(path, payload):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run_scores, "write_json", refused)
    run = tiny_run(tmp_path, tmp_path)
    board = tmp_path / "board"
    bench = ["bench", str(run), "--data-dir", str(FIXTURES), "--limit", "2", "--output", str(board)]
    result = CliRunner().invoke(app, [*bench, "--tasks", "arc_easy"])
    assert result.exit_code == 0, result.output
    assert json.loads((board / "leaderboard.json").read_text())["models"][0]["scores"]
    said = f"warning: cannot write {run / 'bench' / 'scores.json'}: Permission denied; demo's"
    unwrapped = "".join(result.output.split())  # the console's width may wrap a long path
    assert "".join(f"{said} scores are in {board} alone".split()) in unwrapped


def test_the_lines_under_the_table_wrap_at_words_on_a_narrow_terminal(tmp_path):
    # Printed as one soft-wrapped line each, a 50-column terminal split words at its edge.
    from tunelab.evaluate.eval_folder import run_answered
    from tunelab.run import Run
    from tunelab.train.runs.cli import _bench_lines, _empty_held_out_notes

    run = tiny_run(tmp_path, tmp_path)
    (run / "metrics.jsonl").write_text(json.dumps({"step": 3, "loss": 2.0}) + "\n")
    bench = ["bench", str(run), "--data-dir", str(FIXTURES), "--limit", "2", "--tasks", "mmlu"]
    assert CliRunner().invoke(app, [*bench, "--output", str(tmp_path / "board")]).exit_code == 0
    rows = tunelab.runs([run])
    expected = " ".join(
        [
            *_empty_held_out_notes([Run.open(run)], rows, [run_answered(Run.open(run))]),
            *_bench_lines(rows),
        ]
    ).split()
    assert "(train.eval_generate_every)" in expected and "bench," in expected
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "50"}).output
    words, under = [], []
    for line in reversed(listed.splitlines()):
        if len(words) >= len(expected):
            break
        words[:0] = line.split()
        under.append(line)
    assert words == expected  # each word whole, in order
    assert max(len(line) for line in under) <= 50


def test_a_run_without_test_questions_is_told_so_not_sent_to_eval_them(tmp_path):
    # Trained with data.test_size 0 and no data.test_path: the note sent its user to `tunelab
    # eval RUN` (which says "no test data ... pass --data"), or said the eval of another file in
    # RUN/eval was "not of the run's test questions", as though it had some.
    qa = write_jsonl(tmp_path / "qa.jsonl", [{"question": "Port?", "answer": "Port 8080."}])
    other = write_jsonl(tmp_path / "other.jsonl", [{"question": "Q?", "answer": "A."}])
    for name in ("plain", "other-eval"):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        config = tiny_config(tmp_path, qa)
        data = config.data.model_copy(update={"test_size": 0})
        config.model_copy(update={"name": name, "data": data}).to_yaml(folder / "config.yaml")
        (folder / "metrics.jsonl").write_text(json.dumps({"step": 3, "loss": 2.0}) + "\n")
    eval_dir = tmp_path / "runs" / "other-eval" / "eval"
    eval_dir.mkdir()  # as `tunelab eval RUN --data other.jsonl` leaves it
    write_jsonl(eval_dir / "predictions.jsonl", [{"source": f"{other}:1", "answer": "A."}])
    listed = CliRunner().invoke(app, ["runs", str(tmp_path / "runs")], env={"COLUMNS": "400"})
    assert (
        "best held-out, empty for plain: it has no test questions (no data.test_path, no "
        "held_out.jsonl); `tunelab eval RUN --data QA.jsonl` scores a file of them"
    ) in listed.output
    assert (
        "best held-out, empty for other-eval: it has no test questions (no data.test_path, no "
        f"held_out.jsonl); its eval of {other} (in {eval_dir}) scores that file alone"
    ) in listed.output
    assert "of the run's test questions" not in listed.output


def test_runs_reads_each_runs_eval_once_for_its_cell_and_the_note_on_an_empty_one(
    tmp_path, monkeypatch
):
    # A run whose eval answered another file had that eval's first line read twice: for its
    # held-out cell, then again for the note saying why the cell is empty.
    import tunelab.evaluate.eval_folder as eval_folder

    run = run_folder(tmp_path, "fast", [{"step": 3, "loss": 2.0}])
    other = write_jsonl(tmp_path / "other.jsonl", [{"question": "Q?", "answer": "A."}])
    (run / "eval").mkdir()  # as `tunelab eval RUN --data other.jsonl` leaves it
    write_jsonl(run / "eval" / "predictions.jsonl", [{"source": f"{other}:1", "answer": "A."}])
    read = []
    first_row = eval_folder.answered_file
    monkeypatch.setattr(
        eval_folder, "answered_file", lambda out: read.append(out) or first_row(out)
    )
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "400"})
    assert f"{run / 'eval'} holds an eval of {other}, not of the run's test questions" in (
        listed.output
    )
    assert read == [run / "eval"]
