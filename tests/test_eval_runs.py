"""`tunelab eval` of run folders: a run is asked its own test file with its own prompt settings, its
answers and its comparison with a base or another run are kept in its eval folder."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_config, tiny_run
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.suite import EvalConfig, errors, evaluate
from tunelab.train.loop import train

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


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
    assert "Δ (first" in result.output and "token F1" in result.output and "ahead" in result.output
    # The run against its base is kept, not only printed; columns are headed by short names.
    saved = json.loads((run / "eval" / "comparison.json").read_text())
    assert saved["models"] == [str(run), "tiny-random"] and saved["questions"] == 2
    assert {"metric", "delta", "low", "high", "ahead"} <= set(saved["metrics"][0])
    assert "| token F1 |" in (run / "eval" / "comparison.md").read_text()
    # And drawn, each Δ with its interval beside zero: the command's lines name the picture.
    pictured = run / "eval" / "comparison_differences.png"
    assert pictured.read_bytes().startswith(b"\x89PNG") and str(pictured) in result.output
    assert f"demo = {run}" in result.output
    # No test row names facts: the user is told what token F1 does not measure, and the way out.
    assert "tunelab data facts" in " ".join(result.output.split())
    errors = CliRunner().invoke(app, ["errors", str(run)])
    assert errors.exit_code == 0, errors.output
    assert (run / "eval" / "errors.html").read_text().startswith("<!doctype html>")


def test_a_run_that_saved_no_model_is_named_as_such_not_asked_for_data(tmp_path):
    # `tunelab eval runs/killed` said "no test data for runs/killed: pass --data test.jsonl".
    killed = tmp_path / "runs" / "killed"  # a run killed before it wrote model/
    killed.mkdir(parents=True)
    tiny_config(tmp_path, QA / "test.jsonl").to_yaml(killed / "config.yaml")
    (killed / "metrics.jsonl").write_text('{"step": 0, "eval_loss": 5.0}\n')
    result = CliRunner().invoke(app, ["eval", str(killed)])
    assert isinstance(result.exception, TunelabError)
    assert "saved no model yet" in str(result.exception)
    assert "it saved no checkpoint either" in str(result.exception)


def test_eval_of_a_run_that_failed_at_its_first_step_says_its_recorded_error(tmp_path):
    # It said only "a run that has saved no model yet": why was in status.json, as `tunelab runs`
    # shows it.
    failed = tmp_path / "runs" / "failed"
    failed.mkdir(parents=True)
    tiny_config(tmp_path, QA / "test.jsonl").to_yaml(failed / "config.yaml")
    status = {"status": "failed", "step": 0, "error": "RuntimeError: CUDA error: out of\nmemory"}
    (failed / "status.json").write_text(json.dumps(status))
    (failed / "metrics.jsonl").write_text("")  # opened as training starts, before its first step
    result = CliRunner().invoke(app, ["eval", str(failed)])
    assert isinstance(result.exception, TunelabError)
    said = str(result.exception)
    assert (
        "saved no model yet (its training failed: RuntimeError: CUDA error: out of memory)" in said
    )
    assert "it saved no checkpoint either" in said
    # Its model/ folder, never written, is read as the run: why, not "no such file or folder".
    for command in (["eval", str(failed / "model")], ["generate", str(failed / "model"), "Hi"]):
        result = CliRunner().invoke(app, command)
        assert isinstance(result.exception, TunelabError)
        assert f"model '{failed}' is a run that has saved no model yet (its training failed: " in (
            str(result.exception)
        )


def test_eval_of_a_run_ends_naming_the_compare_of_the_same_questions(tmp_path, monkeypatch):
    # It ended on its notes: the README's next step, finetuning against prompting, went unnamed.
    monkeypatch.chdir(tmp_path)  # a model's answers go to ./eval/<model>
    run = tiny_run(tmp_path, QA)
    args = ["eval", str(run), "--data", str(QA / "test.jsonl"), "--limit", "2"]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"])
    assert result.exit_code == 0, result.output
    said = f"next: tunelab compare {run} --data {QA / 'test.jsonl'} --limit 2"
    assert result.output.rstrip().splitlines()[-1] == said
    # Its model/ folder is asked as the run, and ends on the same line (it named none).
    of_model = [args[0], str(run / "model"), *args[2:], "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, of_model)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1] == said
    # Of a model that is no run there is no finetuned arm to compare: no line.
    base = CliRunner().invoke(app, [*args[:1], "tiny-random", *args[2:], "--max-new-tokens", "2"])
    assert base.exit_code == 0, base.output
    assert "next:" not in base.output


def test_eval_of_a_run_reads_its_config_once_and_again_once_it_changes(tmp_path, monkeypatch):
    # Eval found its run 6 times (its suite, test set, label, `next:` line...), parsing its
    # config.yaml each time.
    from tunelab.config import Config
    from tunelab.run import Run

    run = tiny_run(tmp_path, QA)
    read, real = [], Config.from_yaml
    monkeypatch.setattr(
        Config, "from_yaml", staticmethod(lambda *a, **kw: read.append(a[0]) or real(*a, **kw))
    )
    result = CliRunner().invoke(app, ["eval", str(run), "--limit", "1", "--max-new-tokens", "2"])
    assert result.exit_code == 0, result.output
    assert read == [run / "config.yaml"]
    # Its config edited, the run is read as it is now.
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("template: qa", "template: alpaca"))
    assert Run.find(run).prompt().template == "alpaca" and len(read) == 2


def test_two_models_with_one_output_get_a_folder_each_named_after_the_model(tmp_path):
    run = tiny_run(tmp_path, QA)
    out = tmp_path / "both"
    args = ["eval", str(run), "tiny-random", "--output", str(out), "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, [*args, "--limit", "1"])
    assert result.exit_code == 0, result.output
    # `tunelab rate both/demo both/tiny-random` then shows these names on its leaderboard.
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["demo", "tiny-random"]
    assert (out / "comparison.md").exists()  # beside them


def test_base_and_finetuned_are_asked_with_the_runs_system_prompt_or_the_one_given(
    tmp_path, monkeypatch
):
    import tunelab.generation.generate as generate

    run = tiny_run(tmp_path, QA)
    config = run / "config.yaml"
    config.write_text(
        config.read_text().replace("template: qa", "template: chat, system_prompt: Be brief.")
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
    # --system-prompt replaces the run's for both.
    asked.clear()
    result = CliRunner().invoke(
        app, [*args, "--system-prompt", "Be exact.", "--max-new-tokens", "2"]
    )
    assert result.exit_code == 0, result.output
    assert asked == ["Be exact.", "Be exact."]


@pytest.mark.parametrize("template", [None, "qa"])
def test_a_system_prompt_the_template_has_no_place_for_is_refused_not_dropped(
    tmp_path, monkeypatch, template
):
    # A qa run (or any model asked with --template qa) is given the question alone: its scores
    # were those of no system prompt, under a report that named one.
    monkeypatch.setattr("tunelab.run.load_model", lambda *a: pytest.fail("a model was loaded"))
    model = str(tiny_run(tmp_path, QA)) if template is None else "tiny-random"
    options = ["--template", template] if template else ["--data", str(QA / "test.jsonl")]
    args = ["eval", model, *options, "--system-prompt", "Answer in French."]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "o")])
    assert isinstance(result.exception, TunelabError), result.output
    said = str(result.exception)
    assert said.startswith("--system-prompt refused: this model is asked in the 'qa' template")
    assert "--template chat" in said
    if template is None:  # the run's own: the chat template would ask it in one it never saw
        assert "which demo was not trained in" in said
    else:  # tiny-random, asked in qa by --template, read "which a run trained in qa was not ..."
        assert "trained in" not in said


@pytest.mark.parametrize(
    "command",
    [
        ["eval", "RUN"],
        ["generate", "RUN", "Which port?"],
        ["chat", "RUN"],
        ["compare", "tiny-random", "--data", "TEST", "--corpus", "TEST"],
    ],
)
def test_a_mistyped_template_is_the_options_error_not_the_first_test_rows(tmp_path, command):
    # `eval runs/a --template qaa` said "test.jsonl:1: unknown template 'qaa'", as if the test
    # file's first row were wrong.
    run = tiny_run(tmp_path, QA)
    named = {"RUN": str(run), "TEST": str(QA / "test.jsonl")}
    args = [named.get(arg, arg) for arg in command] + ["--template", "qaa"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, TunelabError), result.output
    assert str(result.exception).startswith("--template 'qaa' is not one of chat, alpaca, qa")
    assert str(result.exception).endswith(": did you mean qa?")


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


def test_two_runs_compared_keep_the_comparison_in_the_first_run_s_eval_folder(tmp_path):
    # From a walk: the comparison went to the runs' common folder (runs/, or / for runs in two
    # places), where the next pair compared replaced it.
    first, second = tiny_run(tmp_path / "a", QA), tiny_run(tmp_path / "b", QA)
    args = ["eval", str(first), str(second), "--limit", "1", "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (first / "eval" / "comparison.md").exists()
    assert not (tmp_path / "comparison.md").exists()


def test_a_split_of_the_runs_saved_dataset_dict_is_read_through_its_fields(tmp_path):
    # The run trained on faq's 'train' through its data.fields; eval --data faq asks that split
    # (faq has no test split), read through the same fields, not refused as of no known shape.
    import datasets

    rows = [{"Query": f"What is code {i}?", "Response": f"Code {i} is {i * 7}."} for i in range(2)]
    faq = tmp_path / "faq"
    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)}).save_to_disk(str(faq))
    run = tiny_run(tmp_path, QA)
    (run / "config.yaml").write_text(
        f"name: demo\nmodel: {{name: tiny-random}}\ndata: {{path: {faq}, template: qa, "
        "fields: {question: Query, answer: Response}}\n"
    )
    result = evaluate(run, EvalConfig(data=str(faq), output=str(tmp_path / "o"), max_new_tokens=2))
    assert [r["reference"] for r in result.rows] == ["Code 0 is 0.", "Code 1 is 7."]


def test_a_run_whose_test_path_is_a_whole_saved_dataset_dict_is_scored_on_its_test_split(
    tmp_path, capsys
):
    # data.path and data.test_path both name the folder `save_to_disk` wrote: training reads
    # its 'train' split, and eval of the run asks its 'test' split (refused before as
    # "data.test_path is data.path itself"; a whole folder as data.test_path read its 'train').
    import datasets

    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(9)]
    faq = tmp_path / "faq"
    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list(rows[:6]),
            "test": datasets.Dataset.from_list(rows[6:]),
        }
    ).save_to_disk(str(faq))
    config = tiny_config(tmp_path, faq, max_steps=1)
    config = config.model_copy(
        update={"data": config.data.model_copy(update={"test_path": str(faq)})}
    )
    run = train(config)
    assert "data train 6 / test 3 examples" in " ".join(capsys.readouterr().out.split())
    result = evaluate(run, EvalConfig(output=str(tmp_path / "o"), max_new_tokens=2))
    assert [r["reference"] for r in result.rows] == [f"Code {i} is {i * 7}." for i in (6, 7, 8)]


def test_a_run_against_its_base_names_its_comparison_as_the_run_was_given(tmp_path, monkeypatch):
    # "runs/demo/eval/errors.md" and then "comparison: /home/.../runs/demo/eval/comparison.md".
    monkeypatch.chdir(tmp_path)
    tiny_run(tmp_path, QA)
    result = CliRunner().invoke(
        app, ["eval", "runs/demo", "tiny-random", "--max-new-tokens", "4", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "comparison: runs/demo/eval/comparison.md (and comparison.json)" in result.output
    assert "as a picture: runs/demo/eval/comparison_differences.png" in result.output
