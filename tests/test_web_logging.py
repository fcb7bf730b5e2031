"""A tunelab web server (`rate`, `serve`) leaves the process's logging as it found it: uvicorn's
own logging config (logging.config.dictConfig) closed every logging handler in the process, and
one that closes its stream on close (absl's, made when evaluate's ROUGE-L imported rouge-score)
closed a sys.stderr that was not the process's own: pytest's, a notebook's."""

import logging
import subprocess
import sys
from pathlib import Path

import tunelab
from tests.test_human_app import _answer_sets

ROOT = Path(__file__).resolve().parent.parent


def test_a_log_file_you_opened_keeps_its_lines_after_rate(tmp_path, monkeypatch):
    # A FileHandler opened with mode="w" and closed by uvicorn dropped every later line, unsaid.
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda server: None)  # as if stopped at once
    log = logging.getLogger("my_experiment")
    handler = logging.FileHandler(tmp_path / "mine.log", mode="w", encoding="utf-8")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("before")
        tunelab.rate(_answer_sets(tmp_path), votes=tmp_path / "votes.jsonl")
        log.info("after")
    finally:
        log.removeHandler(handler)
        handler.close()
    assert (tmp_path / "mine.log").read_text(encoding="utf-8").split() == ["before", "after"]


EVALUATE_THEN_RATE = """
import io, sys

sys.stderr = mine = io.StringIO()  # not the process's own stderr, as under pytest or a notebook

import uvicorn
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.evaluate.metrics import rouge_l

rouge_l("Honey.", "Honey.")  # as evaluate scores answers: rouge-score's absl logging binds `mine`
uvicorn.Server.run = lambda server: None  # as if stopped at once
result = CliRunner().invoke(app, ["rate", *sys.argv[1:]])
print(result.exit_code, "closed" if mine.closed else "open", file=sys.__stdout__)
"""


def test_evaluate_then_rate_in_one_process_leaves_its_stderr_open(tmp_path):
    # pytest died with "lost sys.stderr" when a test that evaluated ran before one that rated.
    answers = [str(p) for p in _answer_sets(tmp_path)]
    args = [*answers, "--votes", str(tmp_path / "votes.jsonl")]
    done = subprocess.run(
        [sys.executable, "-c", EVALUATE_THEN_RATE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.split() == ["0", "open"], done.stderr
