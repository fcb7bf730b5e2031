"""`tunelab data split --held-out rephrasings` of questions `tunelab data augment --combine`
joined ("A, and B?"): a joined question quotes both, and must not carry a held-out fact's
question to the next fact's, fact after fact, until no training row states them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from tunelab.cli import app

FACTS = [
    ("What port does the Harbor gateway listen on?", "The Harbor gateway listens on port 8443."),
    ("Which version of Harbor added audit logs?", "Harbor added audit logs in version 2.4."),
    ("How much does the Harbor Pro plan cost per month?", "The Pro plan costs 29 dollars a month."),
    ("How long are Harbor backups kept?", "Harbor backups are kept for 30 days."),
    ("What is the default Harbor admin user?", "The default Harbor admin user is harbor-admin."),
    ("Which database does Harbor use by default?", "Harbor uses PostgreSQL 15 by default."),
    ("What port does the Harbor metrics endpoint use?", "The metrics endpoint uses port 9090."),
    ("How many replicas does Harbor run by default?", "Harbor runs 3 replicas by default."),
    ("What is the maximum upload size in Harbor?", "The maximum upload size is 512 MB."),
    ("Which version of Harbor dropped Python 3.8?", "Harbor dropped Python 3.8 in version 3.1."),
    (
        "How much does the Harbor Team plan cost per year?",
        "The Team plan costs 900 dollars a year.",
    ),
    ("What timeout does the Harbor client use?", "The Harbor client times out after 45 seconds."),
    ("Where does Harbor write its logs?", "Harbor writes its logs to /var/log/harbor."),
    ("Which region hosts Harbor Cloud?", "Harbor Cloud is hosted in the eu-west-2 region."),
    ("What is the Harbor support email?", "The Harbor support email is help@harbor.example."),
]


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_split_of_combined_questions_tests_only_facts_training_states(tmp_path):
    # A user's Q&A, each fact asked twice, then `data augment --combine` and a rephrasings split
    # as augment's next: line says. Before, most rows went to test, and most of those asked a
    # fact no training row stated (PostgreSQL 15's, port 8443's).
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        "".join(
            json.dumps({"question": q, "answer": a}) + "\n"
            + json.dumps({"question": f"Tell me: {q[0].lower()}{q[1:]}", "answer": a}) + "\n"
            for q, a in FACTS
        ),
        encoding="utf-8",
    )  # fmt: skip
    more = tmp_path / "more.jsonl"
    run("data", "augment", str(qa), "--mode", "rules", "--reverse", "1", "--combine", "1",
        "-o", str(more))  # fmt: skip
    written = rows(more)
    assert any(row["meta"]["kind"] == "combined" for row in written)
    run("data", "split", str(more), "--held-out", "rephrasings", "-o", str(tmp_path / "split"))
    train, test = rows(tmp_path / "split/train.jsonl"), rows(tmp_path / "split/test.jsonl")

    trained = " ".join(row["answer"] for row in train)
    for row in test:  # each fact a test answer states (a number) is stated in training too
        for value in re.findall(r"\d+(?:\.\d+)?", row["answer"]):
            assert value in trained, (value, row["question"])
    assert 0 < len(test) <= 0.25 * len(written)  # near the tenth asked, not most of the set
