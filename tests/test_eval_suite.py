"""`tunelab eval`: per-example outputs, the reports' files and bar, how questions are asked, and the
test file's rows read (metrics: test_eval_metrics.py; runs: test_eval_runs.py)."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.evaluate.suite import EvalConfig, evaluate

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_a_limit_below_one_is_refused_not_read_as_a_slice(qa_file, tmp_path):
    from tunelab.errors import TunelabError

    with pytest.raises(TunelabError, match="limit must be at least 1"):
        evaluate("tiny-random", EvalConfig(data=str(qa_file), output=str(tmp_path), limit=-2))
    result = CliRunner().invoke(
        app, ["eval", "tiny-random", "--data", str(qa_file), "--limit", "0"]
    )
    assert result.exit_code != 0


def test_eval_writes_predictions_summary_and_error_reports(tmp_path):
    result = evaluate(
        "tiny-random",
        EvalConfig(data=str(QA / "test.jsonl"), output=str(tmp_path), max_new_tokens=6),
    )
    rows = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert [r["reference"] for r in rows] == [
        "Small language models.",
        "config.yaml in the run folder.",
        "The eval folder of the run.",
    ]
    assert all(r["finish_reason"] in ("stop", "length") and "errors" in r for r in rows)
    with (tmp_path / "predictions.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header[:6] == [
        "source", "question", "asked_after", "reference", "answer", "finish_reason"
    ]  # fmt: skip
    assert {"exact_match", "normalized_match", "token_f1", "rouge_l", "errors"} <= set(header)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["examples"] == 3 and 0.0 <= summary["metrics"]["token_f1"] <= 1.0
    assert (tmp_path / "errors.md").exists() and (tmp_path / "errors.html").exists()
    assert result.summary == summary["metrics"]


def test_eval_shows_a_bar_per_model_with_questions_done_and_tokens_per_second(tmp_path):
    import io

    from rich.console import Console

    out = io.StringIO()
    evaluate(
        "tiny-random",
        EvalConfig(data=str(QA / "test.jsonl"), output=str(tmp_path), max_new_tokens=3),
        console=Console(file=out, width=120),
    )
    shown = out.getvalue()
    assert "answering (tiny-random)" in shown and "3/3" in shown and "tok/s" in shown


def test_questions_in_qa_form_are_asked_with_qa_and_the_reports_say_how(tmp_path, monkeypatch):
    import tunelab.generation.generate as generate

    data = tmp_path / "t.jsonl"
    rows = [{"question": f"### Question:\nWhat is {x}?\n\n### Answer:", "answer": x} for x in "ab"]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    asked, real = [], generate.answer
    monkeypatch.setattr(
        generate, "answer", lambda *a, **kw: asked.append(kw["template"]) or real(*a, **kw)
    )
    args = ["eval", "tiny-random", "--data", str(data), "--output", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"])
    assert result.exit_code == 0, result.output
    assert asked == ["qa"]  # not wrapped in the chat template a second time
    assert "asked with template 'qa'" in " ".join(result.output.split())
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["asked_with"] == "template 'qa'"
    again = CliRunner().invoke(app, ["errors", str(tmp_path / "o")])  # rewrites the reports
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["template"] == "qa"
    assert "asked with template 'qa'" in (tmp_path / "o" / "errors.md").read_text()
    assert "### Question" not in (tmp_path / "o" / "errors.md").read_text()


def test_missing_reference_answers_are_reported_by_row(tmp_path):
    data = tmp_path / "t.jsonl"
    data.write_text('{"question": "q1", "answer": "a"}\n{"prompt": "q2", "completion": ""}\n')
    from tunelab.errors import TunelabError

    with pytest.raises(TunelabError):
        evaluate("tiny-random", EvalConfig(data=str(data), output=str(tmp_path / "o")))


def test_a_test_file_of_custom_columns_is_read_through_the_fields_the_error_names(tmp_path):
    # The shape error says `--set data.fields.question=Query`; eval refused that spelling
    # ("data is 'mine.jsonl', not a section") and had no other: a plain model could not be
    # evaluated on such a file at all.
    mine = tmp_path / "mine.jsonl"
    mine.write_text(
        "".join(
            json.dumps(
                {"Query": f"What is item {i}?", "Response": f"Item {i}.", "facts": [[f"{i}"]]}
            )
            + "\n"
            for i in range(3)
        )
    )
    asked = ["eval", "tiny-random", "--data", str(mine), "--max-new-tokens", "2"]
    asked += ["--output", str(tmp_path / "out")]
    refused = CliRunner().invoke(app, asked)
    assert "--set data.fields.question=Query --set data.fields.answer=Response" in str(
        refused.exception
    )
    fields = ["--set", "data.fields.question=Query", "--set", "data.fields.answer=Response"]
    result = CliRunner().invoke(app, [*asked, *fields])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "out" / "predictions.jsonl").open()]
    assert [r["question"] for r in rows] == [f"What is item {i}?" for i in range(3)]
    assert [r["missed_facts"] for r in rows] == [["0"], ["1"], ["2"]]  # its facts read too


def _saved(tmp_path, **splits):
    import datasets

    folder = tmp_path / "faq"
    datasets.DatasetDict(
        {name: datasets.Dataset.from_list(rows) for name, rows in splits.items()}
    ).save_to_disk(str(folder))
    return folder


def test_a_saved_dataset_dict_is_scored_on_its_own_test_split(tmp_path, capsys):
    # Its train split is what a run trains on: scoring "the dataset" on it says nothing.
    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(5)]
    faq = _saved(tmp_path, train=rows[:3], test=rows[3:])
    result = evaluate(
        "tiny-random", EvalConfig(data=str(faq), output=str(tmp_path / "o"), max_new_tokens=2)
    )
    assert [r["reference"] for r in result.rows] == ["Code 3 is 21.", "Code 4 is 28."]
    said = " ".join(capsys.readouterr().err.split())
    assert f"{faq}: its split 'test', the rows held out of training" in said
    assert f"--data {faq / 'train'} asks its 'train'" in said


def test_a_saved_dataset_dict_without_a_test_split_is_said_to_be_scored_on_train(tmp_path, capsys):
    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(2)]
    faq = _saved(tmp_path, train=rows)
    result = evaluate(
        "tiny-random", EvalConfig(data=str(faq), output=str(tmp_path / "o"), max_new_tokens=2)
    )
    assert len(result.rows) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert f"{faq}: its split 'train', the rows trained on: it has no test or validation" in said
    # No other split to name: the note named the one it reads ("--data faq/train asks its 'train'").
    assert "a split is a folder of its own" not in said and "asks its 'train'" not in said
