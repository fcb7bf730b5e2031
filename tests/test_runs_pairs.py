"""`tunelab runs A B` answers "did the change help?": each run against the first over the questions
both answered in their evals and benchmarks, with a 95% paired interval and the run it favours."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from typer.testing import CliRunner

import tunelab
from tests.conftest import tiny_config, tiny_run, write_jsonl
from tunelab.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def run_folder(tmp_path: Path, name: str) -> Path:
    """A run folder as training leaves it, with a test file of its own."""
    folder = tmp_path / "runs" / name
    folder.mkdir(parents=True)
    config = tiny_config(tmp_path, tmp_path / "qa.jsonl")
    test = write_jsonl(folder / "test.jsonl", [{"question": "Port?", "answer": "8080"}])
    data = config.data.model_copy(update={"test_path": str(test), "test_size": 0})
    config.model_copy(update={"name": name, "data": data}).to_yaml(folder / "config.yaml")
    (folder / "metrics.jsonl").write_text('{"step": 3, "loss": 2.0}\n', encoding="utf-8")
    return folder


def evaluated(run: Path, right: list[int], questions: int = 12) -> None:
    """RUN/eval as `tunelab eval` leaves it: question i answered with its fact where i is in
    `right`, each row's source the run's own copy of the test file."""
    rows = [
        {"source": f"{run / 'test.jsonl'}:{i + 1}", "question": f"Which port does service {i} use?",
         "reference": f"Port {8000 + i}.", "answer": "?", "finish_reason": "stop",
         "scores": {"token_f1": 0.5}, "facts": {"fact_accuracy": float(i in right)}}
        for i in range(questions)
    ]  # fmt: skip
    (run / "eval").mkdir()
    write_jsonl(run / "eval" / "predictions.jsonl", rows)
    accuracy = {"fact_accuracy": len(right) / questions}
    summary = {"examples": questions, "metrics": accuracy, "n": {"fact_accuracy": questions}}
    (run / "eval" / "summary.json").write_text(json.dumps(summary), encoding="utf-8")


def benched(run: Path, scores: dict[str, float] | None) -> None:
    """RUN/bench/scores.json as `tunelab bench` keeps it; None: as an older tunelab kept it,
    each task's mean alone."""
    task = {"asked": "arc_easy", "metric": "acc_norm", "value": 0.5, "questions": 4,
            "of": None, "measured": 4e9}  # fmt: skip
    if scores is not None:
        task["per_question"] = scores
    (run / "bench").mkdir()
    scores_file = run / "bench" / "scores.json"
    scores_file.write_text(json.dumps({"tasks": {"arc_easy": task}}), encoding="utf-8")


def listed(*runs: Path) -> str:
    result = CliRunner().invoke(app, ["runs", *map(str, runs)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_second_run_that_states_more_facts_is_named_ahead_of_the_first(tmp_path):
    three, four = run_folder(tmp_path, "epochs3"), run_folder(tmp_path, "epochs4")
    evaluated(three, right=[0, 1])
    evaluated(four, right=list(range(11)))
    out = listed(three, four)
    assert (
        "epochs4 against epochs3, eval fact accuracy: +75.0 points [+36.0, +88.8] over 12 shared "
        "questions: epochs4 is ahead"
    ) in out
    [pair] = tunelab.runs([three, four])[1]["vs_first"]
    assert (pair["n"], pair["verdict"]) == (12, "better")
    # Trained again after its eval, the second run's answers are an earlier model's.
    later = time.time() + 5
    os.utime(four / "metrics.jsonl", (later, later))
    assert "epochs4 is ahead (epochs4 trained again since: measure again)" in listed(three, four)


def test_a_difference_whose_interval_crosses_zero_names_no_clear_winner(tmp_path):
    three, four = run_folder(tmp_path, "epochs3"), run_folder(tmp_path, "epochs4")
    evaluated(three, right=[0, 1, 2, 3, 4])
    evaluated(four, right=[0, 1, 2, 3, 4, 5])
    out = listed(three, four)
    assert "+8.3 points [" in out
    assert "over 12 shared questions: no clear winner (the interval reaches zero)" in out


def test_only_the_questions_both_evals_answered_are_paired(tmp_path):
    # One run answered 12 questions, the other the first 10 of them and nothing else.
    three, four = run_folder(tmp_path, "epochs3"), run_folder(tmp_path, "epochs4")
    evaluated(three, right=[])
    evaluated(four, right=list(range(10)), questions=10)
    assert "+100.0 points [+60.8, +100.0] over 10 shared questions" in listed(three, four)


def test_runs_that_share_no_question_say_how_to_pair_them(tmp_path):
    one, other = run_folder(tmp_path, "one"), run_folder(tmp_path, "other")
    evaluated(one, right=[0])
    evaluated(other, right=[0])
    answers = other / "eval" / "predictions.jsonl"
    rows = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines()]
    write_jsonl(answers, [{**r, "reference": "?"} for r in rows])  # asked of other references
    benched(one, {"q1": 1.0})
    benched(other, {"q2": 1.0})  # with another --limit
    out = listed(one, other)
    assert "(other test files): eval each on one file to pair them (tunelab eval RUN" in out
    assert "none shared: bench both alike (the same --limit and --fewshot) to pair them" in out


def test_benchmark_scores_pair_over_the_shared_questions_and_old_files_still_list(tmp_path):
    first, second, old = (run_folder(tmp_path, n) for n in ("first", "second", "old"))
    benched(first, {"q1": 1.0, "q2": 0.0, "q3": 1.0, "q4": 0.0})
    benched(second, {"q1": 1.0, "q2": 1.0, "q3": 1.0, "q5": 0.0})  # q5: another question
    benched(old, None)
    out = listed(first, second, old)
    assert "bench, old: arc_easy acc_norm 50.0% (4 q)" in out  # still listed, as before
    # Over q1-q3: +1 right of 3, too few questions to name a winner.
    assert "second against first, arc_easy acc_norm: +33.3 points" in out
    assert "over 3 shared questions: no clear winner" in out
    assert "old against first, arc_easy: no per-question scores kept for old (an older" in out
    # Trained again after its bench, the second run's scores are an earlier model's.
    os.utime(second / "metrics.jsonl", (5e9, 5e9))
    again = "(the interval reaches zero) (second trained again since: measure again)"
    assert again in listed(first, second)


def test_runs_that_share_one_question_say_it_in_the_singular(tmp_path):
    # Two evals with --limit that overlapped in one question printed "over 1 shared questions".
    first, second = run_folder(tmp_path, "first"), run_folder(tmp_path, "second")
    benched(first, {"q1": 1.0, "q2": 0.0})
    benched(second, {"q1": 1.0, "q3": 1.0})
    assert "+0.0 points [-79.3, +79.3] over 1 shared question: no clear winner" in listed(
        first, second
    )


def test_two_benched_runs_pair_by_question_not_by_position(tmp_path):
    # `tunelab bench RUN` keeps each question's score under its key: 2 questions and 3 of the
    # same task pair over the 2 both were asked.
    a = tiny_run(tmp_path, tmp_path)
    b = tmp_path / "runs" / "demo-b"
    shutil.copytree(a, b)
    bench = ["bench", "--data-dir", str(FIXTURES), "--tasks", "arc_easy", "--output"]
    board = str(tmp_path / "board")
    assert CliRunner().invoke(app, [*bench, board, str(a), "--limit", "2"]).exit_code == 0
    assert CliRunner().invoke(app, [*bench, board, str(b), "--limit", "3"]).exit_code == 0
    kept = json.loads((b / "bench" / "scores.json").read_text(encoding="utf-8"))["tasks"][
        "arc_easy"
    ]
    assert len(kept["per_question"]) == 3
    # The same weights: the same score on each shared question.
    assert "demo-b against demo, arc_easy acc_norm: +0.0 points [" in listed(a, b)
    assert "over 2 shared questions: no clear winner" in listed(a, b)


def test_two_runs_of_one_name_in_two_folders_are_told_apart_by_their_folders(tmp_path):
    # Two demos, each in its own clone: "demo against demo" said which was ahead of which?
    first, second = run_folder(tmp_path / "monday", "demo"), run_folder(tmp_path / "friday", "demo")
    evaluated(first, right=[0, 1])
    evaluated(second, right=list(range(11)))
    out = listed(first, second)
    assert "friday/runs/demo against monday/runs/demo, eval fact accuracy: +75.0 points" in out
    assert "friday/runs/demo is ahead" in out
    rows = tunelab.runs([first, second])
    assert [row["run"] for row in rows] == ["monday/runs/demo", "friday/runs/demo"]
    # Alone, or beside runs of other names, a run keeps its folder's name.
    assert tunelab.runs([first])[0]["run"] == "demo"


def test_each_runs_benchmark_scores_are_read_once_for_the_listing_and_its_pairs(
    tmp_path, monkeypatch
):
    # `tunelab runs A B` read each run's bench/scores.json twice: once for its row of the
    # listing, once again for its pair with the first.
    from tunelab.evaluate.bench import run_scores

    first, second = run_folder(tmp_path, "first"), run_folder(tmp_path, "second")
    benched(first, {"q1": 1.0, "q2": 0.0})
    benched(second, {"q1": 1.0, "q2": 1.0})
    read = []
    kept = run_scores.run_scores
    monkeypatch.setattr(run_scores, "run_scores", lambda run: read.append(run.name) or kept(run))
    assert "second against first, arc_easy acc_norm: +50.0 points" in listed(first, second)
    [_, row] = tunelab.runs([first, second])
    assert row["vs_first"][0]["delta"] == 50.0
    assert sorted(read) == ["first", "first", "second", "second"]  # once a listing each
