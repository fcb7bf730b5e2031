"""`data augment` and `data generate --seeds` read a file of the user's own columns through
`--set data.fields...`, as the other data commands do; augment writes its rows back in those
columns, so the same setting reads (and trains on) the augmented file. `data generate` from
documents, which have no columns, refuses them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.test_data_generate_self_instruct import Replying
from tunelab.cli import app
from tunelab.data.load import load_examples
from tunelab.errors import TunelabError

FIELDS = {"question": "Query", "answer": "Response"}
SET_FIELDS = ["--set", "data.fields.question=Query", "--set", "data.fields.answer=Response"]
QUESTIONS = ["What is the default port?", "How do I resume a run?"]


def _own_columns(path, questions=QUESTIONS):
    rows = [{"Query": q, "Response": f"Answer {i}."} for i, q in enumerate(questions)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_augment_reads_and_writes_the_files_own_columns(tmp_path):
    data, out = _own_columns(tmp_path / "train.jsonl"), tmp_path / "more.jsonl"
    # The test file is read through the same fields: its question is no rewrite to keep.
    test = _own_columns(tmp_path / "test.jsonl", ["What does port default to?"])
    command = ["data", "augment", str(data), "--mode", "rules", "--paraphrases", "2"]
    command += ["-o", str(out), "--test", str(test)]
    result = CliRunner().invoke(app, [*command, *SET_FIELDS])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(set(row) == {"Query", "Response", "meta"} for row in rows)
    # What comes next reads them so too (the next line left the fields out).
    train = f"tunelab train --set data.path={out} --set data.test_path={test}"
    assert result.output.splitlines()[-1] == f"next: {train} {' '.join(SET_FIELDS)}"
    read = load_examples(out, fields=FIELDS)
    assert [ex.question for ex in read if ex.question in QUESTIONS] == QUESTIONS
    new = {ex.question: ex.answer for ex in read if ex.question not in QUESTIONS}
    assert new == {
        "What does the port default to?": "Answer 0.",
        "What is the port by default?": "Answer 0.",
        "What are the steps to resume a run?": "Answer 1.",
        "How can I resume a run?": "Answer 1.",
    }
    # A rerun through the same fields finds every row done.
    again = CliRunner().invoke(app, [*command, *SET_FIELDS])
    assert "2 questions (2 done before): 0 new" in again.output
    assert len(out.read_text().splitlines()) == len(rows)


def test_augment_counts_one_question_as_one(tmp_path):
    # "1 questions (0 done before)" was printed for a file of one row.
    data = _own_columns(tmp_path / "one.jsonl", QUESTIONS[:1])
    command = ["data", "augment", str(data), "--mode", "rules", "--paraphrases", "1"]
    result = CliRunner().invoke(app, [*command, "-o", str(tmp_path / "more.jsonl"), *SET_FIELDS])
    assert result.exit_code == 0, result.output
    assert "1 question (0 done before): 1 new question →" in result.output
    data = _own_columns(tmp_path / "two.jsonl")
    command = ["data", "augment", str(data), "--mode", "rules", "--paraphrases", "1"]
    result = CliRunner().invoke(app, [*command, "-o", str(tmp_path / "more2.jsonl"), *SET_FIELDS])
    assert "2 questions (0 done before): 2 new questions →" in result.output


def test_augment_from_python_takes_the_same_setting(tmp_path):
    import tunelab.data as data_api

    data, out = _own_columns(tmp_path / "train.jsonl"), tmp_path / "more.jsonl"
    stats = data_api.augment(data, mode="rules", paraphrases=1, output=str(out), fields=FIELDS)
    assert stats.questions == 2 and stats.written == 2
    assert len(load_examples(out, fields=FIELDS)) == 4


def test_a_column_the_file_lacks_is_named_with_the_file(tmp_path):
    data = _own_columns(tmp_path / "train.jsonl")
    command = ["data", "augment", str(data), "--mode", "rules", "-o", str(tmp_path / "o.jsonl")]
    result = CliRunner().invoke(app, [*command, "--set", "data.fields.question=Quer"])
    said = " ".join(str(result.exception).split())
    assert isinstance(result.exception, TunelabError)
    assert f"{data}:1: column 'Quer' (mapped to 'question') is missing" in said


def test_a_mapped_column_augment_does_not_write_is_refused_before_reading(tmp_path):
    # Its rows would lack that column, and the same setting could not read them back.
    import tunelab.data as data_api

    data = _own_columns(tmp_path / "train.jsonl")
    with pytest.raises(TunelabError, match=r"fields: .*\['input'\]"):
        data_api.augment(data, mode="rules", fields={**FIELDS, "input": "Context"})


def test_self_instruct_reads_its_seeds_through_the_fields(tmp_path, monkeypatch):
    import tunelab.data.generate.from_documents as from_documents

    seeds, out = _own_columns(tmp_path / "seeds.jsonl"), tmp_path / "new.jsonl"
    llm = Replying([("Which port does the agent listen on?", "It listens on port 8080.")])
    monkeypatch.setattr(from_documents, "make_llm", lambda config: llm)
    command = ["data", "generate", "-o", str(out), "--mode", "self-instruct", "--seeds", str(seeds)]
    command += ["--count", "1", "--batch-size", "1", "--concurrency", "1"]
    result = CliRunner().invoke(app, [*command, *SET_FIELDS])
    assert result.exit_code == 0, result.output
    assert any(QUESTIONS[0] in prompt for prompt in llm.prompts)  # a seed shown to the model
    assert [json.loads(line)["question"] for line in out.open()] == [
        "Which port does the agent listen on?"
    ]
    # The rows written are question/answer rows: what comes next reads them without the fields.
    check, split = f"tunelab data check {out}", f"tunelab data split {out} -o new_split"
    assert result.output.splitlines()[-1] == f"next: {check}, then {split}"


@pytest.mark.parametrize("command", [["data", "augment", "x.jsonl"], ["data", "generate"]])
def test_the_run_spelling_reaches_fields_not_a_setting_of_another_meaning(command):
    # In a run's config data.seed is the split's seed; these commands' own seed samples the
    # model's replies: read as it, a copied split setting would change the generated rows.
    result = CliRunner().invoke(app, [*command, "--set", "data.seed=3"])
    assert isinstance(result.exception, TunelabError), result.output
    assert "data" in str(result.exception) and "seed" in str(result.exception)


@pytest.mark.parametrize("mode", ["template", "llm"])
def test_fields_given_to_a_mode_that_reads_documents_are_refused(tmp_path, mode):
    # Documents have no columns: the setting went unused without a word.
    doc = tmp_path / "notes.md"
    doc.write_text("# Port\n\nThe agent listens on port 8080 by default.\n")
    command = ["data", "generate", str(doc), "-o", str(tmp_path / "o.jsonl"), "--mode", mode]
    result = CliRunner().invoke(app, [*command, *SET_FIELDS])
    said = " ".join(str(result.exception).split())
    assert isinstance(result.exception, TunelabError), result.output
    assert "rename the columns of the --seeds file, which only --mode self-instruct reads" in said
    assert not (tmp_path / "o.jsonl").exists()
