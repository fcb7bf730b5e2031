"""`tunelab data inspect` shows what training keeps of each row, not the raw row."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.config import DataConfig
from tunelab.data.quality.inspect import inspect_file
from tunelab.errors import TunelabError


def test_a_long_text_is_shown_as_split_into_windows(tmp_path, capsys):
    path = tmp_path / "book.jsonl"
    rows = [{"text": "chapter one. " * 200}, {"text": "short"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    inspect_file(DataConfig(path=str(path), max_length=64), model="tiny-random")
    out = capsys.readouterr().out
    assert "split into" in out and "windows" in out
    assert "truncated" not in out  # raw text is never truncated in training
    assert out.count("chapter one.") < 20  # only the first window is printed, not 200 copies


def test_a_chat_cut_to_its_last_exchange_is_said_so(tmp_path, capsys):
    # Training counted them; inspect showed the last exchange alone without a word.
    path = tmp_path / "chats.jsonl"
    turns = ["Hi", "Hello!", "Bye", "Goodbye!"]
    roles = ["user", "assistant"] * 2
    row = {"messages": [{"role": r, "content": c} for r, c in zip(roles, turns)]}
    path.write_text(json.dumps(row) + "\n")
    inspect_file(DataConfig(path=str(path), template="qa"), model="tiny-random")
    out = " ".join(capsys.readouterr().out.split())
    assert "only the last exchange is trained" in out and "Hello!" not in out
    inspect_file(DataConfig(path=str(path)), model="tiny-random")
    assert "last exchange" not in capsys.readouterr().out


def test_a_truncated_reply_is_shown_as_trained(tmp_path, capsys):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "long question " * 50, "answer": "Yes."}) + "\n")
    inspect_file(DataConfig(path=str(path), template="qa", max_length=48), model="tiny-random")
    out = capsys.readouterr().out
    assert "truncated to max_length=48" in out
    assert out.count("long question") < 50 and "Yes." in out


def test_inspect_takes_the_runs_system_prompt_and_truncation(tmp_path):
    from typer.testing import CliRunner

    from tunelab.cli import app

    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "long question " * 50, "answer": "Yes."}) + "\n")
    args = ["data", "inspect", str(path), "--model", "tiny-random", "--max-length", "48"]
    result = CliRunner().invoke(
        app, args + ["--truncation", "drop", "--system-prompt", "Be brief."]
    )
    assert result.exit_code == 0, result.output
    assert "dropped" in result.output
    # None of a dropped row is drawn as trained (its reply was marked «...»: piped, marks show).
    assert "\u00abYes" not in result.output.replace(" ", "") and "Yes." in result.output
    result = CliRunner().invoke(app, args[:4] + ["--system-prompt", "Be brief."])
    assert "Be brief." in result.output


def test_a_document_is_shown_as_raw_text_not_under_a_template(tmp_path):
    # "template 'chat'" was said of a Markdown file read for continued pretraining.
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\nThe agent polls every 15 seconds.\n")
    result = CliRunner().invoke(app, ["data", "inspect", str(doc), "--model", "tiny-random"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "raw text, no template (each ends in EOS" in said and "template 'chat'" not in said


def test_inspect_says_which_columns_it_read_as_prompt_and_reply(tmp_path, capsys):
    # The rows' shape was told by their columns and never said: an Alpaca file and a Q&A file
    # looked alike in the header, and the user could not see which columns were read.
    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text(json.dumps({"instruction": "Add 2 and 3.", "input": "", "output": "5"}))
    inspect_file(DataConfig(path=str(alpaca)), model="tiny-random")
    said = " ".join(capsys.readouterr().out.split())
    assert "1 example; shape alpaca (instruction + input → output)" in said  # not "1 examples"
    chats = tmp_path / "chats.jsonl"
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    chats.write_text(json.dumps({"messages": turns}))
    inspect_file(DataConfig(path=str(chats)), model="tiny-random")
    said = " ".join(capsys.readouterr().out.split())
    assert "shape messages (chat turns → assistant replies)" in said


def test_inspecting_pairs_not_made_yet_names_the_command_that_makes_them(tmp_path, monkeypatch):
    # README's tour starts from documents: `tunelab data inspect qa.jsonl` before any qa.jsonl
    # said "data file not found: qa.jsonl" and no word of what to do.
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["data", "inspect", "qa.jsonl", "--model", "tiny-random"])
    assert str(result.exception) == (
        "data file not found: qa.jsonl (no Q&A pairs yet? `tunelab data generate DOCS/ -o "
        "qa.jsonl --mode template` makes them from documents)"
    )
    # A name close to a file's there still says which it meant.
    (tmp_path / "qa_pairs.jsonl").write_text('{"question": "q", "answer": "a"}\n')
    result = CliRunner().invoke(app, ["data", "inspect", "qa_pair.jsonl", "--model", "tiny-random"])
    assert (
        str(result.exception) == "data file not found: qa_pair.jsonl (did you mean qa_pairs.jsonl?)"
    )


def test_a_template_typed_in_another_case_names_the_one_it_meant(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "Port?", "answer": "8080."}) + "\n")
    result = CliRunner().invoke(
        app, ["data", "inspect", str(path), "--model", "tiny-random", "--template", "qA"]
    )
    assert "template 'qA' is not one of chat, alpaca or qa" in str(result.exception)
    assert str(result.exception).endswith(": did you mean qa?")


def test_a_mistyped_template_is_the_setting_s_error_not_the_first_row_s(tmp_path):
    # It was each row's: "qa.jsonl:1: unknown template 'qA'" blamed a row that was fine, and
    # under data.on_error: skip training skipped every row as one the template cannot render.
    from tunelab.data.load import load_data
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.findings import QualityConfig
    from tunelab.data.tokenize import tokenize_all
    from tunelab.run import load_tokenizer

    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "Port?", "answer": "8080."}) + "\n")
    tokenizer = load_tokenizer("tiny-random")
    unknown = "^template 'qA' is not one of"
    with pytest.raises(TunelabError, match=unknown):
        tokenize_all(load_data(str(path)).examples, tokenizer, template="qA", on_error="skip")
    with pytest.raises(TunelabError, match=unknown):
        inspect_file(DataConfig(path=str(path), template="qA"), model="tiny-random")
    with pytest.raises(TunelabError, match=unknown):
        check_file(path, config=QualityConfig(template="qA", model="tiny-random"))
    # Raw text takes no template: a file of texts alone trains whatever the setting says.
    texts = tmp_path / "texts.jsonl"
    texts.write_text(json.dumps({"text": "Port 8080 serves the admin page."}) + "\n")
    items, _ = tokenize_all(load_data(str(texts)).examples, tokenizer, template="qA")
    assert len(items) == 1
