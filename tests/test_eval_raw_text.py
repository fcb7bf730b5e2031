"""`tunelab eval RUN` of a run trained on raw text alone (continued pretraining): it has no test
questions, and says where its held-out texts' eval loss is and what eval needs instead, even
once its documents are gone; and eval asks in the 'text' template as generate does."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

import tunelab
from tests.conftest import tiny_config
from tunelab import Run
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.train.loop import train


def test_eval_of_a_raw_text_run_without_data_points_to_its_eval_loss_and_to_data(tmp_path):
    # "no test data for runs/manual: pass --data test.jsonl (question/answer rows)" read as
    # though the run had lost its test file; a run of documents never had questions.
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "manual.md").write_text(
        "# Manual\n\nPress the button.\n", encoding="utf-8"
    )
    run = tmp_path / "runs" / "manual"
    (run / "model").mkdir(parents=True)
    (run / "config.yaml").write_text(
        f"name: manual\nmodel: {{name: tiny-random}}\ndata: {{path: {tmp_path / 'docs'}}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["eval", str(run)])
    assert isinstance(result.exception, TunelabError), result.output
    assert str(result.exception) == (
        "manual trained on raw text: it has no test questions; the eval loss of its held-out "
        f"texts is in {run / 'metrics.jsonl'} (and `tunelab runs`); scoring answers needs "
        "questions: pass --data test.jsonl (question/answer rows)"
    )


def test_eval_asks_in_the_text_template_as_generate_does(tmp_path):
    # `generate --template text` continued a prompt as written; `eval --template text` was
    # refused: "unknown template 'text': use one of ('chat', 'alpaca', 'qa') or a Jinja string".
    rows = [{"question": "The capital of France is", "answer": "Paris."}]
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    args = ["--data", str(data), "--template", "text", "--output", str(tmp_path / "ev")]
    result = CliRunner().invoke(app, ["eval", "tiny-random", *args, "--max-new-tokens", "4"])
    assert result.exit_code == 0, result.output
    assert "questions asked with template 'text'" in result.output
    [row] = [json.loads(x) for x in (tmp_path / "ev" / "predictions.jsonl").open()]
    asked = tunelab.chat("tiny-random", template="text")  # as `tunelab generate` asks it
    continued = asked.reply(rows[0]["question"], remember=False, max_new_tokens=4)
    assert row["answer"].strip() == continued.strip() != ""


def test_a_raw_text_run_is_still_one_after_its_documents_are_gone(tmp_path):
    # data.shape auto was told from the data file when the run was read: with the documents
    # moved, the run read back as a chat run (eval said "no test data", generate asked in chat).
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("intro", "guide"):
        (docs / f"{name}.md").write_text(f"# {name}\n\nPress the {name} button.\n", "utf-8")
    config = tiny_config(tmp_path, docs, max_steps=1)
    run = train(
        config.model_copy(update={"data": config.data.model_copy(update={"test_size": 0.1})})
    )
    shutil.rmtree(docs)
    assert Run.open(run).trained_on_text
    result = CliRunner().invoke(app, ["eval", str(run)])
    assert "trained on raw text: it has no test questions" in str(result.exception)


def test_an_unknown_template_asked_in_names_text_among_the_ones_to_use(tmp_path):
    # `eval --template txt` was told "use one of ('chat', 'alpaca', 'qa')": training's list,
    # without the 'text' that eval, compare and generate take.
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps({"question": "Q?", "answer": "A."}) + "\n", encoding="utf-8")
    args = ["eval", "tiny-random", "--data", str(data), "--template", "txt"]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "ev")])
    said = "'txt' is not one of chat, alpaca, qa or text, nor a Jinja string: did you mean text?"
    assert said in str(result.exception)


def test_eval_of_a_raw_text_run_given_data_continues_each_question_as_generate_does(tmp_path):
    # It asked in the chat template, which the run never saw, while generate continued the text.
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "manual.md").write_text("# Manual\n\nPress the red button.\n", encoding="utf-8")
    run = train(tiny_config(tmp_path, docs, max_steps=1))
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"question": "Press the", "answer": "red button."}) + "\n", "utf-8")
    eval_ = ["eval", str(run), "--data", str(test), "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, [*eval_, "--output", str(tmp_path / "ev")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "ev" / "summary.json").read_text(encoding="utf-8"))
    assert summary["template"] == "text"
    assert f"{run.name} trained on raw text alone: it continues the text as written" in (
        " ".join(result.output.split())
    )
    # Asked for the chat template, it gets it, and no line about continuing.
    chat = CliRunner().invoke(
        app, [*eval_, "--output", str(tmp_path / "chat"), "--template", "chat"]
    )
    assert chat.exit_code == 0, chat.output
    summary = json.loads((tmp_path / "chat" / "summary.json").read_text(encoding="utf-8"))
    assert summary["template"] == "chat" and "raw text alone" not in chat.output


def _text_run(tmp_path):
    """A run trained on documents alone (no steps: the tiny model saved as its own), and a test
    file of texts to continue."""
    from tunelab.models.random_weights import tiny_random

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "manual.md").write_text("# Manual\n\nPress the red button.\n", "utf-8")
    run = tmp_path / "runs" / "manual"
    model, tokenizer = tiny_random()
    model.save_pretrained(run / "model")
    tokenizer.save_pretrained(run / "model")
    (run / "config.yaml").write_text(
        f"name: manual\nmodel: {{name: tiny-random}}\ndata: {{path: {tmp_path / 'docs'}}}\n",
        encoding="utf-8",
    )
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"question": "Press the", "answer": "red button."}) + "\n", "utf-8")
    return run, test


def test_evaluate_one_from_python_continues_a_raw_text_run_s_questions_as_eval_does(tmp_path):
    # Called from Python, it asked the run in the chat template it never saw, where
    # `tunelab eval` (through `evaluate`) continued each question as written.
    from tunelab.evaluate.eval_config import EvalConfig
    from tunelab.evaluate.suite import evaluate_one

    run, test = _text_run(tmp_path)
    settings = dict(data=str(test), max_new_tokens=2, analyse=False)
    result = evaluate_one(run, EvalConfig(**settings, output=str(tmp_path / "ev")))
    assert result.prompt.template == "text"
    assert any("manual trained on raw text alone" in note for note in result.notes)
    chat = evaluate_one(run, EvalConfig(**settings, output=str(tmp_path / "chat"), template="chat"))
    assert chat.prompt.template == "chat"
    assert not any("raw text" in note for note in chat.notes)


def test_only_the_raw_text_run_is_said_to_continue_the_text_not_its_base_beside_it(tmp_path):
    # Both are asked alike (the base continues the questions too), but the base was said to be
    # "manual trained on raw text alone" in its own notes and reports.
    run, test = _text_run(tmp_path)
    trained, base = tunelab.evaluate(
        [run, "tiny-random"], data=str(test), max_new_tokens=2, output=str(tmp_path / "ev")
    )
    assert trained.prompt.template == base.prompt.template == "text"
    assert any("manual trained on raw text alone" in note for note in trained.notes)
    assert not any("raw text" in note for note in base.notes)
