"""`tunelab bench`: several models give several leaderboard rows, saved as Markdown and JSON."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def test_two_models_make_two_rows_with_an_average(tmp_path):
    other = tmp_path / "tiny-seed1"
    model, tok = tiny_random(seed=1)
    model.save_pretrained(other)
    tok.save_pretrained(other)
    out = tmp_path / "board"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "tiny-random",
            str(other),
            "--tasks",
            "arc_easy,hellaswag,mmlu,truthfulqa_mc2",
            "--data-dir",
            str(FIXTURES),
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    board = json.loads((out / "leaderboard.json").read_text())
    assert [m["model"] for m in board["models"]] == ["tiny-random", str(other)]
    row = board["models"][0]
    assert set(row["scores"]) == {"arc_easy", "hellaswag", "mmlu", "truthfulqa_mc2"}
    assert row["average"] == round(sum(row["scores"].values()) / 4, 2)
    # The first model is shown against the second, task by task, with an interval (`bench RUN
    # BASE`: the run's gain positive, as eval shows it).
    diff = board["models"][1]["vs_first"]["arc_easy"]
    scores = [m["scores"]["arc_easy"] for m in board["models"]]
    assert abs(diff["delta"] - (scores[0] - scores[1])) <= 0.011  # each score rounded apart
    assert diff["low"] <= diff["delta"] <= diff["high"] and diff["verdict"]
    assert "tiny-random −" in result.output and "(points)" in result.output
    assert "ahead" in result.output  # the column naming the model each task favours
    assert row["details"]["mmlu"]["n"] == 4 and row["details"]["arc_easy"]["n"] == 3
    # A single model's score carries its standard error, as lm-evaluation-harness reports it: a
    # user read "acc_norm 40.00" of 20 questions as exact.
    # (MMLU's pools its subjects: see test_mmlu_s_stderr_pools_its_subjects_as_the_harness_does.)
    details = row["details"]["arc_easy"]
    p = details["acc_norm"]
    assert details["stderr"] == pytest.approx((p * (1 - p) / 2) ** 0.5)  # 0/1 scores, n - 1 = 2
    assert "± " in result.output and "± stderr" in (out / "leaderboard.md").read_text()
    assert not (out / "scores.partial").exists()  # kept only while a bench is unfinished
    markdown = (out / "leaderboard.md").read_text()
    assert markdown.startswith("| Model | arc_easy | hellaswag | mmlu | truthfulqa_mc2 | Average |")
    assert "Average" in result.output
    # The terminal's table names each task's metric (acc_norm or acc), as leaderboard.md does.
    said = [" ".join(line.split()) for line in result.output.splitlines()]
    assert any(line.startswith("│ arc_easy │ acc_norm │") for line in said)
    assert any(line.startswith("│ mmlu (0-shot) │ acc │") for line in said)


def test_data_dir_comes_from_the_environment_when_not_given(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNELAB_BENCH_DATA", str(FIXTURES))
    result = CliRunner().invoke(
        app, ["bench", "tiny-random", "--tasks", "arc_challenge", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert (
        json.loads((tmp_path / "leaderboard.json").read_text())["models"][0]["details"][
            "arc_challenge"
        ]["n"]
        == 1
    )


def test_a_misspelt_task_fails_before_any_model_loads(tmp_path):
    # The model does not exist: had it been loaded first, the error would name it instead.
    result = CliRunner().invoke(
        app,
        ["bench", "no-such-model", "--tasks", "arc_easy,arc_esay", "--data-dir", str(FIXTURES)],
    )
    assert isinstance(result.exception, TunelabError)
    assert "unknown benchmark task 'arc_esay'" in str(result.exception)


@pytest.mark.parametrize(
    "given, meant",
    [("truthfulqa", "truthfulqa_mc1 or truthfulqa_mc2"), ("arc", "arc_easy or arc_challenge")],
)
def test_a_family_named_alone_suggests_each_of_its_tasks(given, meant):
    # "--tasks truthfulqa" suggested truthfulqa_mc2 alone, as if mc1 were no task.
    result = CliRunner().invoke(app, ["bench", "tiny-random", "--tasks", given])
    assert isinstance(result.exception, TunelabError)
    assert f"unknown benchmark task {given!r} (did you mean {meant}?)" in str(result.exception)


def test_a_mistyped_model_path_fails_before_the_models_before_it_are_scored(tmp_path, monkeypatch):
    from tunelab.evaluate.bench import score

    def scored(name, *args, **kwargs):
        raise AssertionError(f"{name} was scored")

    monkeypatch.setattr(score, "bench_model", scored)
    result = CliRunner().invoke(
        app,
        ["bench", "tiny-random", "./runs/typo", "--tasks", "arc_easy", "--data-dir", str(FIXTURES)],
    )
    assert isinstance(result.exception, TunelabError)
    assert "model './runs/typo': no such file or folder" in str(result.exception)
    # A run killed before it wrote model/ was found only once tiny-random had been scored.
    killed = tmp_path / "runs" / "killed"
    killed.mkdir(parents=True)
    (killed / "config.yaml").write_text("name: killed\n")
    (killed / "metrics.jsonl").write_text('{"step": 0, "loss": 5.0}\n')
    args = ["bench", "tiny-random", str(killed), "--tasks", "arc_easy"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(FIXTURES)])
    assert isinstance(result.exception, TunelabError)
    assert "is a run that has saved no model yet" in str(result.exception)


def test_a_data_dir_without_any_benchmark_is_an_error_not_an_empty_leaderboard(tmp_path):
    out = tmp_path / "board"
    result = CliRunner().invoke(
        app, ["bench", "tiny-random", "--data-dir", str(tmp_path / "none"), "--output", str(out)]
    )
    assert isinstance(result.exception, TunelabError)
    assert "no task's data was found" in str(result.exception)
    assert not out.exists()


def test_an_empty_task_list_is_named_as_such(tmp_path):
    result = CliRunner().invoke(
        app, ["bench", "tiny-random", "--tasks", ",", "--data-dir", str(FIXTURES)]
    )
    assert isinstance(result.exception, TunelabError)
    assert "tasks ',' names no task" in str(result.exception)
    assert "no task's data was found" not in str(result.exception)


def test_a_task_named_twice_is_scored_once_and_the_average_is_the_row_s_mean(tmp_path):
    out = tmp_path / "board"
    args = ["bench", "tiny-random", "--tasks", "arc_easy,mmlu,arc_easy", "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(FIXTURES)])
    assert result.exit_code == 0, result.output
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["settings"]["tasks"] == ["arc_easy", "mmlu"]
    (row,) = board["models"]
    assert list(row["details"]) == ["arc_easy", "mmlu"]
    assert row["average"] == pytest.approx(sum(row["scores"].values()) / 2, abs=0.01)


def test_fewshot_without_a_task_that_takes_examples_is_refused(tmp_path):
    args = ["bench", "no-such-model", "--tasks", "arc_easy", "--data-dir", str(FIXTURES)]
    result = CliRunner().invoke(app, [*args, "--fewshot", "3"])
    assert isinstance(result.exception, TunelabError)
    assert "none of arc_easy takes few-shot examples" in str(result.exception)
    assert "mmlu" in str(result.exception)  # the task that would take them


def test_shots_are_labelled_only_on_the_tasks_that_used_them(tmp_path):
    out = tmp_path / "board"
    args = ["bench", "tiny-random", "--tasks", "arc_easy,mmlu", "--data-dir", str(FIXTURES)]
    result = CliRunner().invoke(app, [*args, "--fewshot", "1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "leaderboard.json").read_text())["settings"]["fewshot"] == {"mmlu": 1}
    lines = (out / "leaderboard.md").read_text().splitlines()
    assert "1-shot" in next(line for line in lines if line.startswith("| mmlu |"))
    assert "shot" not in next(line for line in lines if line.startswith("| arc_easy |"))


def test_the_terminal_says_how_many_shots_mmlu_was_asked_with(tmp_path):
    # "tiny-random mmlu: acc 25.00" was read beside published 5-shot figures; it was zero-shot.
    args = ["bench", "tiny-random", "--tasks", "arc_easy,mmlu", "--data-dir", str(FIXTURES)]
    for given, said in (([], "mmlu (0-shot): acc"), (["--fewshot", "5"], "mmlu (5-shot): acc")):
        out = ["--output", str(tmp_path / said[6])]
        result = CliRunner().invoke(app, [*args, *given, *out], env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
        assert f"tiny-random {said}" in result.output
        assert "tiny-random arc_easy: acc_norm" in result.output  # it takes no examples


def test_names_a_folder_cannot_tell_apart_get_folders_of_their_own():
    from tunelab.models.load import model_folder

    # A hub id or a plain name stays readable, as the samples and work-log folders are named.
    assert model_folder("tiny-random") == "tiny-random"
    assert model_folder("Qwen/Qwen2.5-0.5B") == "Qwen__Qwen2.5-0.5B"
    # Names the old mapping folded into one folder ("a__b"), or into "." and "..".
    names = ["a/b", "a b", "a__b", "a?b", "a_/b", "a/_b", "/a/b", "a/b/", "a//b", ".", "..", ""]
    folders = [model_folder(name) for name in names]
    assert len(set(folders)) == len(names)
    assert all(folder.startswith(("a__b", "a___b", "model")) for folder in folders)
    assert all("/" not in folder and not folder.startswith(".") for folder in folders)
    # A relative path is no hidden folder ("./tiny" wrote eval/.__tiny/), nor the folder of the
    # built-in or hub model of the same name ("tiny-random" and "./tiny-random" shared samples).
    assert model_folder("./tiny").startswith("tiny-") and model_folder("./tiny") != "tiny"
    assert model_folder("../tiny").startswith("tiny-") and model_folder("../tiny") != "tiny"
    assert model_folder(".cache/m").startswith("cache__m-")
    long = [model_folder("x" * 300), model_folder("x" * 301)]
    assert long[0] != long[1] and all(len(folder) < 100 for folder in long)


def test_two_models_whose_names_differ_in_a_space_log_samples_apart(tmp_path):
    spaced, underscored = tmp_path / "tiny model", tmp_path / "tiny__model"
    for seed, folder in enumerate([spaced, underscored]):
        model, tok = tiny_random(seed=seed)
        model.save_pretrained(folder)
        tok.save_pretrained(folder)
    out = tmp_path / "board"
    args = ["bench", str(spaced), str(underscored), "--tasks", "arc_easy", "--log-samples"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(FIXTURES), "--output", str(out)])
    assert result.exit_code == 0, result.output
    logs = [(folder / "arc_easy.jsonl").read_text() for folder in (out / "samples").iterdir()]
    assert len(logs) == 2 and logs[0] != logs[1]  # each model's own log-likelihoods


def test_the_leaderboard_averages_unrounded_scores_and_says_why_no_winner():
    # Rounded first, two models with the same 4 of 24 read 16.67 and 16.66: a ranking of nothing.
    from tunelab.evaluate.bench.leaderboard import leaderboard, to_markdown
    from tunelab.evaluate.bench.score import TaskResult

    def result(task, right, n):
        per = [1.0] * right + [0.0] * (n - right)
        return TaskResult(task, "acc", {"acc": right / n}, n, 0.0, per)

    a = [result("arc_easy", 3, 12), result("mmlu", 1, 12)]
    b = [result("arc_easy", 1, 12), result("mmlu", 3, 12)]
    c = [result("arc_easy", 8, 12), result("mmlu", 1, 12)]
    table = leaderboard({"a": a, "b": b, "c": c})
    assert table[0]["average"] == table[1]["average"] == 16.67
    arc = table[2]["vs_first"]["arc_easy"]  # 5 of 12 fewer right, 0 more: p = 1/16 > 0.05
    assert arc["verdict"] == "no clear winner" and arc["high"] < 0
    assert arc["said"] == "no clear winner (sign-flip test p = 0.062)"
    assert "no clear winner (sign-flip test p = 0.062)" in to_markdown(table)


def test_mmlu_s_stderr_pools_its_subjects_as_the_harness_does():
    # lm-evaluation-harness reports MMLU's stderr pooled over its subjects, weighted by size
    # (pooled_sample_stderr); the standard deviation of all questions at once came out larger.
    metrics = pytest.importorskip("lm_eval.api.metrics")
    import random

    from tunelab.evaluate.bench.score import TaskResult

    rng = random.Random(0)
    sizes = {"anatomy": 7, "astronomy": 12, "virology": 3, "sociology": 20}
    right = {"anatomy": 0.2, "astronomy": 0.5, "virology": 0.9, "sociology": 0.7}
    per = {s: [float(rng.random() < right[s]) for _ in range(n)] for s, n in sizes.items()}
    scores = [x for s in sizes for x in per[s]]
    groups = [s for s, n in sizes.items() for _ in range(n)]
    result = TaskResult("mmlu", "acc", {"acc": sum(scores) / 42}, 42, 0.0, scores, groups=groups)
    theirs = metrics.pooled_sample_stderr(
        [metrics.mean_stderr(per[s]) for s in sizes], list(sizes.values())
    )
    assert result.stderr == pytest.approx(theirs)
    # One subject alone (mmlu_anatomy) is one task to the harness: its plain stderr.
    anatomy = TaskResult("mmlu_anatomy", "acc", {}, 7, 0.0, per["anatomy"], groups=["anatomy"] * 7)
    assert anatomy.stderr == pytest.approx(metrics.mean_stderr(per["anatomy"]))
    # A subject of one question has no stderr, so neither has the pool ("N/A" in the harness).
    one = TaskResult("mmlu", "acc", {}, 3, 0.0, [1.0, 0.0, 1.0], groups=["a", "a", "b"])
    assert one.stderr is None


def test_a_limited_bench_says_it_scored_the_first_questions_of_how_many(tmp_path):
    # "(20 questions)" under --limit 20 was read as ARC-Easy's score; it is its first 20 of 2,376.
    out = tmp_path / "board"
    args = ["bench", "tiny-random", "--tasks", "arc_easy,mmlu,arc_challenge", "--limit", "1"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(FIXTURES), "--output", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert re.search(
        r"arc_easy: acc_norm [\d.]+( ± n/a)? \(1 of 3 questions: the first 1 \(--limit\)", said
    )
    assert "(2 of 4 questions: the first 1 of each of 2 subjects (--limit)" in said
    assert re.search(
        r"arc_challenge: acc_norm [\d.]+( ± n/a)? \(1 questions, ", said
    )  # the whole task
    markdown = (out / "leaderboard.md").read_text(encoding="utf-8")
    assert "| tiny-random | arc_easy | 1 of 3 questions: the first 1 (--limit) |" in markdown
    assert "--limit: each task's first questions" in markdown
    details = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))["models"][0]
    assert details["details"]["arc_easy"]["of"] == 3
    assert details["details"]["arc_challenge"]["of"] is None


def test_the_terminal_table_tells_truthfulqa_mc1_from_mc2_at_80_columns(tmp_path, monkeypatch):
    # A column per task showed "truthfulqa…" twice and cut the Average off.
    from tunelab.evaluate.bench.cli import console

    monkeypatch.setattr(console, "width", 80)
    tasks = "arc_easy,arc_challenge,mmlu,truthfulqa_mc1,truthfulqa_mc2"
    args = ["bench", "tiny-random", "--tasks", tasks, "--data-dir", str(FIXTURES)]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = result.output[result.output.index("leaderboard (%)") :]
    assert "│ truthfulqa_mc1 │ acc" in table and "│ truthfulqa_mc2 │ acc" in table
    assert "│ Average" in table and "…" not in table


def test_a_score_without_a_standard_error_says_so(tmp_path):
    # MMLU --limit 1 printed "acc 31.58 (57 questions)" and nothing more, read as exact: one
    # question per subject has no spread within subjects, which the harness reports as N/A.
    args = ["bench", "tiny-random", "--tasks", "mmlu", "--limit", "1", "--data-dir", str(FIXTURES)]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert re.search(
        r"acc [\d.]+ ± n/a \(2 of 4 questions: .*; ± n/a: none from under 2 ques", said
    )
    assert "| mmlu | 2 of 4 questions: the first 1 of each of 2 subjects (--limit) | n/a |" in (
        tmp_path / "leaderboard.md"
    ).read_text(encoding="utf-8")


def test_a_resumed_bench_s_time_left_counts_only_the_questions_scored_now(tmp_path, monkeypatch):
    # The bar counted arc_easy's logged questions as done in this run's pace: "0:00:00 left"
    # after a second, whatever was left.
    from tunelab import progress
    from tunelab.evaluate.bench.score import BenchConfig, bench

    out = tmp_path / "cut"
    cfg = BenchConfig(tasks=["arc_easy", "mmlu"], data_dir=FIXTURES, output=out)

    def stop_after_first_task(model, result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bench(["tiny-random"], cfg, on_task=stop_after_first_task)
    made, real = [], progress.progress_bars
    monkeypatch.setattr(progress, "progress_bars", lambda **kw: made.append(real(**kw)) or made[0])
    args = ["bench", "tiny-random", "--tasks", "arc_easy,mmlu", "--data-dir", str(FIXTURES)]
    result = CliRunner().invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    bars = {task.description: task for task in made[0].tasks}
    assert bars["tiny-random arc_easy"].fields["done_before"] == 3  # all from the log
    assert bars["tiny-random mmlu"].fields["done_before"] == 0


def test_each_difference_names_the_model_it_favours():
    # "better" alone left the reader to check the title for which side of the − it meant.
    from tunelab.evaluate.bench.leaderboard import leaderboard, to_markdown
    from tunelab.evaluate.bench.score import TaskResult

    def result(right, n=40):
        return TaskResult(
            "arc_easy", "acc", {"acc": right / n}, n, 0.0, [1.0] * right + [0.0] * (n - right)
        )

    table = leaderboard({"base": [result(30)], "run": [result(5)]})
    assert table[1]["vs_first"]["arc_easy"]["ahead"] == "base"
    assert "| arc_easy | +62.50 | " in to_markdown(table) and "| base |" in to_markdown(table)
    table = leaderboard({"run": [result(5)], "base": [result(30)]})
    assert table[1]["vs_first"]["arc_easy"]["ahead"] == "base"


def test_the_terminal_table_shows_acc_and_acc_norm_where_a_task_has_both(tmp_path, monkeypatch):
    # lm-evaluation-harness prints ARC's acc and acc_norm; the table showed acc_norm alone, and
    # a user comparing with the harness's acc read the two as disagreeing.
    from tunelab.evaluate.bench.cli import console

    monkeypatch.setattr(console, "width", 80)
    args = ["bench", "tiny-random", "--tasks", "arc_easy,mmlu", "--data-dir", str(FIXTURES)]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    details = json.loads((tmp_path / "leaderboard.json").read_text())["models"][0]["details"]
    table = result.output[result.output.index("leaderboard (%)") :]
    said = [" ".join(line.split()) for line in table.splitlines()]
    arc = details["arc_easy"]
    at = said.index(f"│ arc_easy │ acc_norm │ {100 * arc['acc_norm']:.2f} │")
    assert said[at + 1] == f"│ │ acc │ {100 * arc['acc']:.2f} │"  # the task named once
    assert not any("mmlu" in line and "acc_norm" in line for line in said)  # acc alone
    assert max(map(len, table.splitlines())) <= 80
