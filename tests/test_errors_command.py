"""`tunelab errors` on an eval folder: it reads predictions.jsonl back whole or names the bad line,
finds the training data of the run it names or says why not, and says when no answer is in a
category."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import shut_to_this_user, tiny_run
from tunelab.cli import app
from tunelab.errors import TunelabError

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_answers_with_unicode_line_separators_read_back_whole(tmp_path):
    # json.dumps(ensure_ascii=False) leaves U+2028 and U+0085 raw; splitlines() split at them.
    import json

    from tunelab.evaluate.eval_folder import read_rows
    from tunelab.evaluate.judge.asking import read_records

    fields = {"reference": "r", "finish_reason": "stop", "scores": {}}
    rows = [{"question": "a\u2028b", "answer": "c\x85d\u2029e", **fields},
            {"question": "f", "answer": "g", **fields}]  # fmt: skip
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    assert read_rows(path) == rows
    assert read_records(path) == rows


def test_a_damaged_predictions_file_is_named_by_line_not_a_traceback(tmp_path):
    # `tunelab errors` read it with a bare json.loads: a JSONDecodeError naming no file.
    from tunelab.evaluate.eval_folder import read_rows

    path = tmp_path / "predictions.jsonl"
    path.write_text('{"question": "q", "answer": "a"}\n{"question": "cut\n')
    with pytest.raises(TunelabError, match=r"predictions.jsonl:2: not valid JSON.*tunelab eval"):
        read_rows(path)


def test_a_predictions_row_missing_a_field_is_named_by_line_not_a_traceback(tmp_path):
    # `tunelab errors` indexed row["finish_reason"] and row["scores"]: a KeyError, exit 1.
    import json

    from tunelab.cli import app

    whole = {"source": "t.jsonl:1", "question": "q", "reference": "r", "answer": "a",
             "finish_reason": "stop", "completion_tokens": 1, "scores": {"token_f1": 0.0}}  # fmt: skip
    for name, value in (("finish_reason", None), ("scores", None), ("scores", [0.5])):
        broken = {k: v for k, v in whole.items() if k != name}
        if value is not None:
            broken[name] = value
        (tmp_path / "predictions.jsonl").write_text(json.dumps(whole) + "\n" + json.dumps(broken))
        result = CliRunner().invoke(app, ["errors", str(tmp_path)])
        # tunelab.cli.main prints a TunelabError as one line and exits 2.
        assert isinstance(result.exception, TunelabError), result.exception
        said = str(result.exception)
        assert f"predictions.jsonl:2: '{name}'" in said and "tunelab eval" in said


def test_errors_says_when_the_training_data_is_not_found_and_refuses_a_mistyped_one(
    tmp_path, monkeypatch
):
    # A typo in --data, or a run's relative data path read from another folder, gave a report
    # with no similar training rows and no word why (and replaced one that had them).
    monkeypatch.chdir(tmp_path)
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(app, ["eval", str(run), "--max-new-tokens", "2", "--limit", "2"])
    assert result.exit_code == 0, result.output
    model = json.loads((run / "eval" / "summary.json").read_text())["model"]
    mistyped = CliRunner().invoke(app, ["errors", str(run), "--data", "nope.jsonl"])
    assert isinstance(mistyped.exception, TunelabError)
    assert "nope.jsonl: no such training data file" in str(mistyped.exception)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace(str(QA / "train.jsonl"), "train.jsonl"))
    moved = CliRunner().invoke(app, ["errors", str(run)], env={"COLUMNS": "300"})
    assert moved.exit_code == 0, moved.output
    assert "the run's training data train.jsonl is not found from" in moved.output
    # eval of the run says it too, and keeps its answers (it failed after answering them all).
    args = ["eval", str(run), "--max-new-tokens", "2", "--limit", "2"]
    again = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert again.exit_code == 0, again.output
    assert "the run's training data train.jsonl is not found from" in again.output
    # summary.json keeps the model's name, not the path `errors` was given.
    assert json.loads((run / "eval" / "summary.json").read_text())["model"] == model


def test_errors_with_no_answer_in_a_category_says_so(tmp_path, monkeypatch):
    # It printed nothing and exited 0: an empty screen that reads as a crash or a missing eval.
    from tunelab.evaluate import suite

    monkeypatch.chdir(tmp_path)
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(app, ["eval", str(run), "--max-new-tokens", "2", "--limit", "1"])
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(suite, "analyse_result", _analysed_clean)
    said = CliRunner().invoke(app, ["errors", str(run)], env={"COLUMNS": "300"})
    assert said.exit_code == 0 and "no answer falls in an error category" in said.output


def _analysed_clean(result, training_path, named=False, runs=()):
    from tunelab.evaluate.analysis import Analysis

    result.analysis = Analysis(result.rows, {})


def test_errors_on_an_eval_folder_reads_the_training_data_of_the_run_it_names(
    tmp_path, monkeypatch
):
    # Given an eval folder (which its help allows), it rewrote errors.md with no training data
    # and said nothing: the "(in N training answers)" counts and closest rows were gone.
    import shutil

    from tunelab.evaluate.suite import errors

    monkeypatch.chdir(tmp_path)
    run = tiny_run(tmp_path, QA)
    args = ["eval", str(run), "tiny-random", "--max-new-tokens", "2", "--limit", "2"]
    assert CliRunner().invoke(app, args).exit_code == 0
    copied = tmp_path / "copied"
    shutil.copytree(run / "eval", copied, ignore=shutil.ignore_patterns("tiny-random"))
    for folder in (copied, run / "eval" / "tiny-random"):  # the run's answers; the base's
        result = errors(str(folder))
        assert not [n for n in result.notes if "training data" in n], result.notes
        assert any(result.analysis.closest.values())
    (copied / "summary.json").write_text(json.dumps({"model": "tiny-random"}))
    alone = errors(str(copied))
    assert "no training data is known for" in " ".join(alone.notes)


def test_errors_on_a_run_that_is_not_there_says_so_and_names_the_one_meant(tmp_path, monkeypatch):
    # It said "runs/demo/predictions.jsonl not found: run `tunelab eval` on this run first", as
    # though the run were there, for a run given by its name alone or a mistyped folder.
    monkeypatch.chdir(tmp_path)
    tiny_run(tmp_path, QA)
    for given in ("demo", "run/demo"):
        said = CliRunner().invoke(app, ["errors", given])
        assert isinstance(said.exception, TunelabError)
        assert (
            str(said.exception) == f"{given}: no such run or eval folder. Did you mean runs/demo?"
        )


def test_errors_on_a_run_mistyped_past_guessing_lists_the_runs_beside_it(tmp_path, monkeypatch):
    # A walk's `tunelab errors runs/wlak` said only "no such run or eval folder", where
    # `tunelab eval runs/wlak` listed the runs in runs/.
    monkeypatch.chdir(tmp_path)
    tiny_run(tmp_path, QA)
    said = CliRunner().invoke(app, ["errors", "runs/dmoe"])
    assert isinstance(said.exception, TunelabError)
    assert str(said.exception) == "runs/dmoe: no such run or eval folder (in runs/: demo)"


def test_a_mistyped_run_beside_a_run_this_user_may_not_enter_still_names_the_one_meant(
    tmp_path, monkeypatch
):
    # Another user's run in the same runs/ was looked into unguarded: a PermissionError's
    # traceback, or no runs/ found at all, for a run name mistyped by one letter.
    from tunelab.evaluate.suite import errors

    monkeypatch.chdir(tmp_path)
    for run in ("demo", "theirs"):
        (tmp_path / "runs" / run).mkdir(parents=True)
        (tmp_path / "runs" / run / "config.yaml").write_text("name: x\n", encoding="utf-8")
    with shut_to_this_user(tmp_path / "runs" / "theirs"):
        with pytest.raises(TunelabError, match=r"^dem: no such run .*Did you mean runs/demo\?$"):
            errors("dem")


def test_a_base_models_answers_are_not_told_what_training_did_not_teach_them(tmp_path):
    # A newcomer's first eval, of the base model beside its run, read "shorten the training
    # answers so it learns to stop" and "taught and not learned" of a model no training answer
    # had shaped; a run's own answers are still told both.
    run = tiny_run(tmp_path, QA)
    rambling = "It keeps them somewhere. " * 12
    row = {"source": "t.jsonl:1", "question": "Where are a run's settings?",
           "reference": "In config.yaml.", "answer": rambling, "finish_reason": "length",
           "completion_tokens": 64, "scores": {"token_f1": 0.1},
           "facts": {"fact_recall": 0.0, "fact_accuracy": 0.0}, "missed_facts": ["config.yaml"]}  # fmt: skip
    said = {}
    for model, folder in ((str(run), run / "eval"), ("tiny-random", run / "eval" / "tiny-random")):
        folder.mkdir(parents=True)
        (folder / "predictions.jsonl").write_text(json.dumps(row) + "\n")
        (folder / "summary.json").write_text(json.dumps({"model": model}))
        assert CliRunner().invoke(app, ["errors", str(folder)]).exit_code == 0
        said[model] = " ".join((folder / "errors.md").read_text().split())
    assert "shorten the training answers" in said[str(run)]
    assert "1 is stated in the training answers: taught and not learned" in said[str(run)]
    base = said["tiny-random"]
    assert "shorten the training answers" not in base and "taught and not learned" not in base
    assert "finetuning it on answers as short as the reference teaches it to stop" in base
    assert "1 is stated in the training answers, which this model was not trained on" in base


def test_errors_given_the_training_data_drops_the_note_that_it_was_not_found(tmp_path, monkeypatch):
    # eval's note "training data not found (pass --data)" is kept in its files; once `errors
    # --data` finds the data, the rewritten files must not tell the reader to pass it.
    monkeypatch.chdir(tmp_path)
    run = tiny_run(tmp_path, QA)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace(str(QA / "train.jsonl"), "train.jsonl"))
    args = ["eval", str(run), "--max-new-tokens", "2", "--limit", "2"]
    assert CliRunner().invoke(app, args).exit_code == 0
    summary = run / "eval" / "summary.json"
    assert "(pass --data)" in " ".join(json.loads(summary.read_text())["notes"])
    assert "(pass --data)" in (run / "eval" / "errors.md").read_text()
    given = CliRunner().invoke(app, ["errors", str(run), "--data", str(QA / "train.jsonl")])
    assert given.exit_code == 0, given.output
    assert "(pass --data)" not in " ".join(json.loads(summary.read_text())["notes"])
    assert "(pass --data)" not in (run / "eval" / "errors.md").read_text()


def test_errors_before_eval_names_the_eval_command_of_that_run(tmp_path, monkeypatch):
    # After `tunelab compare`, `tunelab errors runs/demo` said "runs/demo/eval/predictions.jsonl
    # not found: run `tunelab eval` on this run first": which command, and why compare's
    # answers were not read, it left to guess.
    monkeypatch.chdir(tmp_path)
    tiny_run(tmp_path, QA)
    said = CliRunner().invoke(app, ["errors", "runs/demo"])
    assert isinstance(said.exception, TunelabError)
    assert "run `tunelab eval runs/demo` first" in str(said.exception)
    assert "`tunelab compare` keeps its own in compare/" in str(said.exception)


def test_errors_on_a_comparisons_folder_names_its_eval_folders(tmp_path, monkeypatch):
    # From a walk: after `tunelab eval runs/x runs/x --temperature 1 --output ev`, `tunelab
    # errors ev` said "ev/predictions.jsonl not found: run `tunelab eval` on this run first",
    # where ev holds model1/ and model2/, the two eval folders it asks for.
    monkeypatch.chdir(tmp_path)
    run = tiny_run(tmp_path, QA)
    args = ["eval", str(run), str(run), "--max-new-tokens", "2", "--output", "ev"]
    assert CliRunner().invoke(app, args).exit_code == 0
    said = CliRunner().invoke(app, ["errors", "ev"])
    assert isinstance(said.exception, TunelabError)
    assert "ev: a comparison's folder; give one of its eval folders: ev/model1, ev/model2" in str(
        said.exception
    )
    assert CliRunner().invoke(app, ["errors", "ev/model1"]).exit_code == 0
