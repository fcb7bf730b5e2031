"""`tunelab eval` on a test file with a bad row: it names the row and the option that skips it,
and `--on-error skip` answers the rest, saying what it left out."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.errors import TunelabError

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_a_broken_test_row_is_named_and_on_error_skip_answers_the_rest(tmp_path, wide_terminal):
    # From a walk: one broken JSON line in a test file stopped eval with "a training run skips
    # bad rows instead with data.on_error: skip", which eval had no way to do
    # (`--set data.on_error=skip`: "data is 'test.jsonl', not a section").
    run = tiny_run(tmp_path, QA)
    rows = [json.dumps({"question": f"What is {i}?", "answer": f"It is {i}."}) for i in range(3)]
    test = tmp_path / "test.jsonl"
    test.write_text("\n".join([rows[0], '{"question": "broken, "answer": "x"}', *rows[1:]]) + "\n")
    args = ["eval", str(run), "--data", str(test), "--max-new-tokens", "2"]

    refused = CliRunner().invoke(app, args)
    assert isinstance(refused.exception, TunelabError)
    said = str(refused.exception)
    assert said.startswith(f"{test}:2: not valid JSON")
    assert "--on-error skip" in said and "training run" not in said

    result = CliRunner().invoke(app, [*args, "--on-error", "skip"])
    assert result.exit_code == 0, result.output
    assert f"skipped 1 bad row(s) of {test}" in " ".join(result.output.split())
    assert len((run / "eval" / "predictions.jsonl").read_text().splitlines()) == 3


def test_a_skipped_row_is_said_once_when_a_published_model_is_asked(tmp_path):
    # A model that is no run has its test questions read first for their prompt markers: that
    # read said "skipped 1 bad row(s)" a second time.
    rows = [json.dumps({"question": f"What is {i}?", "answer": f"It is {i}."}) for i in range(3)]
    test = tmp_path / "test.jsonl"
    test.write_text("\n".join([rows[0], "{broken", *rows[1:]]) + "\n")
    args = ["eval", "tiny-random", "--data", str(test), "--output", str(tmp_path / "out")]

    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "2", "--on-error", "skip"])
    assert result.exit_code == 0, result.output
    assert " ".join(result.output.split()).count("skipped 1 bad row(s)") == 1
