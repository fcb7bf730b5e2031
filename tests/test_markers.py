"""Data that already carries a prompt template (lamini_docs' `### Question:` rows) is noticed by
`data inspect`, `data check`, `train` and `eval`, each naming the template setting that fits."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED_DATA, tiny_run, write_jsonl
from tunelab.cli import app
from tunelab.data.example import Example
from tunelab.data.load import load_examples
from tunelab.data.markers import find_markers, plain_question
from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.report import to_markdown

LAMINI = SHARED_DATA / "instructions" / "lamini_docs" / "lamini_docs.jsonl"
QA_ROWS = [
    {"question": f"### Question:\nWhat does option {i} set?\n\n### Answer:", "answer": f"Size {i}."}
    for i in range(6)
]
QA_EXAMPLES = [Example.qa(row["question"], row["answer"]) for row in QA_ROWS]


@pytest.mark.skipif(not LAMINI.exists(), reason="the course data set is not beside the repo")
def test_lamini_docs_rows_carry_the_qa_template_and_qa_fits_them():
    markers = find_markers(load_examples(LAMINI, on_error="skip"))
    assert markers.rows == markers.total == 1399  # every loadable row
    assert set(markers.found) == {"### Question:", "### Answer:"}
    assert markers.fit == "qa" and markers.fits("qa") and not markers.fits("chat")
    assert "Use template 'qa'" in markers.warning("chat")


def test_each_chat_format_is_recognised_and_plain_rows_are_not():
    rows = [
        Example.qa("<|im_start|>user\nHi<|im_end|>", "a"),
        Example.qa("[INST] Hi [/INST]", "b"),
        Example.qa("Human: Hi\nAssistant:", "c"),
        Example(messages=[], instruction="### Instruction:\nSum 2 and 2", source="x.jsonl:4"),
        Example.qa("What is 'Human: a label' in a sentence?", "d"),  # not at a line start
        Example(text="### Question: in a document is text, not a prompt"),
    ]
    markers = find_markers(rows)
    assert (markers.rows, markers.total) == (4, 5)
    assert {"<|im_start|>", "[INST]", "Human:", "### Instruction:"} <= set(markers.found)
    # Only the qa template passes text through; anything else wants the prompt as it is.
    assert markers.fit == "{{ prompt }}" and not markers.fits("qa")
    assert find_markers([Example.qa("How do I resume?", "With --resume.")]) is None
    # One row in twenty that names a marker is about templates, not wrapped in one.
    about = [Example.qa("Which template uses ### Question:?", "qa")]
    plain = [Example.qa(f"Question {i}?", "a") for i in range(19)]
    assert find_markers(about + plain) is None and find_markers(about + plain[:5]) is not None
    assert plain_question("### Question:\nHow?\n\n### Answer:") == "How?"


def test_qa_fits_only_rows_that_open_with_its_header():
    # qa passes a question through only when it starts with `### Question:`; one further in
    # would be wrapped in a second `### Question:` header.
    inside = [
        Example.qa(f"Use the text.\n### Question: what is {i}?\n### Answer:", "x") for i in range(3)
    ]
    answer_only = [Example.qa(f"What is {i}?\n### Answer:", "x") for i in range(3)]
    for rows in (inside, answer_only):
        markers = find_markers(rows)
        assert markers.fit == "{{ prompt }}" and not markers.fits("qa")
    assert find_markers(QA_EXAMPLES).fit == "qa"


def test_data_check_names_the_markers_and_counts_lengths_with_the_fitting_template(tmp_path):
    rows = [*QA_ROWS, {"question": "### Question:\n  \n\n### Answer:", "answer": "Please ask."}]
    path = write_jsonl(tmp_path / "lamini_like.jsonl", rows)
    test = write_jsonl(tmp_path / "test.jsonl", [{"question": "Unrelated?", "answer": "Yes."}])
    report = check_file(path, test, QualityConfig(model="tiny-random"))
    assert report.template == "qa"  # not chat: these rows are trained with qa
    assert any("7 of 7 rows already carry" in w for w in report.warnings)
    assert [why for _, why in report.empty] == ["empty question (only template markers)"]
    markdown = to_markdown(report)
    assert "template qa" in markdown and "the rows' own markers fit" in markdown
    assert "## Contamination" not in markdown  # none: said once, in the summary
    assert "| test rows leaking into train | 0 of 1 (question alike or quoted" in markdown
    chat = check_file(path, config=QualityConfig(model="tiny-random", template="chat"))
    assert chat.template == "chat" and max(chat.lengths) > max(report.lengths)


def test_inspect_and_train_warn_before_wrapping_the_template_again(tmp_path, capsys):
    path = write_jsonl(tmp_path / "qa.jsonl", QA_ROWS)
    runner = CliRunner()
    shown = runner.invoke(app, ["data", "inspect", str(path), "--model", "tiny-random"])
    assert shown.exit_code == 0, shown.output
    assert "6 of 6 rows already carry" in shown.output and "'qa'" in shown.output
    quiet = runner.invoke(
        app, ["data", "inspect", str(path), "--model", "tiny-random", "--template", "qa"]
    )
    assert "already carry" not in quiet.output

    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.models.random_weights import tiny_random

    _, tokenizer = tiny_random()
    prepare(DataConfig(path=str(path), test_size=2), tokenizer)  # what `train` runs first
    assert "rows already carry prompt-template markers" in capsys.readouterr().err
    prepare(DataConfig(path=str(path), test_size=2, template="qa"), tokenizer)
    assert "already carry" not in capsys.readouterr().err


def test_eval_of_a_chat_run_on_qa_form_test_rows_warns_as_train_does(tmp_path):
    # Training warned of the second wrapping; eval asked a chat run `### Question:` rows silently.
    qa = tmp_path / "qa"
    qa.mkdir()
    write_jsonl(qa / "train.jsonl", [{"question": "What sets the size?", "answer": "Option 1."}])
    write_jsonl(qa / "test.jsonl", QA_ROWS)
    run = tiny_run(tmp_path, qa)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("template: qa", "template: chat"))
    args = ["eval", str(run), "--max-new-tokens", "2", "--limit", "2"]
    said = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert said.exit_code == 0, said.output
    assert "2 of 2 rows already carry prompt-template markers" in said.output
    assert "Use template 'qa'" in said.output
    asked_right = CliRunner().invoke(app, [*args, "--template", "qa"], env={"COLUMNS": "300"})
    assert asked_right.exit_code == 0 and "already carry" not in asked_right.output
