"""A test set whose yes/no questions are nearly all answered "Yes" (lamini_docs': 18 of 20) gives
a low hallucination rate to a model that says "Yes" to everything: eval and compare say what
that habit alone scores, so the rate is not read as facts known."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import write_jsonl
from tunelab.cli import app

DOCS = str(Path(__file__).parent / "fixtures" / "eval" / "qa" / "train.jsonl")
FEATURES = ["Parquet files", "CSV files", "LoRA", "QLoRA", "a GPU", "Windows"]


def _test_set(tmp_path: Path, yes: int) -> Path:
    rows = [
        {"question": f"Can tunelab use {feature}?",
         "answer": f"Yes, tunelab can use {feature}." if i < yes
         else f"No, tunelab cannot use {feature}."}
        for i, feature in enumerate(FEATURES)
    ]  # fmt: skip
    write_jsonl(tmp_path / "test.jsonl", rows)
    facts = tmp_path / "test_facts.jsonl"  # each row's opposite verdict named as its wrong answer
    result = CliRunner().invoke(
        app, ["data", "facts", str(tmp_path / "test.jsonl"), "-o", str(facts)]
    )
    assert result.exit_code == 0, result.output
    return facts


def test_eval_and_compare_say_what_saying_yes_to_everything_scores(tmp_path):
    facts = _test_set(tmp_path, yes=5)
    asked = ["--data", str(facts), "--max-new-tokens", "2"]
    result = CliRunner().invoke(
        app, ["eval", "tiny-random", *asked, "--output", str(tmp_path / "e")]
    )
    assert result.exit_code == 0, result.output
    said = "answering 'Yes.' to every question states the wrong answer of 1 of the 6 rows"
    notes = json.loads((tmp_path / "e" / "summary.json").read_text())["notes"]
    assert any(note.startswith(said) for note in notes), notes
    out = ["--corpus", DOCS, "--output", str(tmp_path / "c")]
    result = CliRunner().invoke(app, ["compare", "tiny-random", *asked, *out])
    assert result.exit_code == 0, result.output
    assert said in (tmp_path / "c" / "compare.md").read_text()


def test_a_set_of_both_verdicts_alike_needs_no_such_note(tmp_path):
    facts = _test_set(tmp_path, yes=3)
    args = ["eval", "tiny-random", "--data", str(facts), "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    notes = json.loads((tmp_path / "e" / "summary.json").read_text())["notes"]
    assert not any("to every question" in note for note in notes)
