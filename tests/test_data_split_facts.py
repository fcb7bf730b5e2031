"""`tunelab data split` of generated Q&A, where a fact held out with its only pair can only be
guessed: the split says so, as training does, or holds out only new phrasings of trained facts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tunelab.cli import app


def generated_like(path: Path) -> Path:
    """Three facts asked three ways each (as `tunelab data augment` leaves them), and eight asked
    once (as `tunelab data generate` does)."""
    rows = []
    for name, answer in [
        ("port", "Ferrylog listens on port 7410."),
        ("retention", "Logs are kept for 14 days."),
        ("owner", "The agent runs as the ferry user."),
    ]:
        for question in (f"What is the {name}?", f"Tell me the {name}.", f"Which {name} is it?"):
            rows.append({"question": question, "answer": answer})
    for i in range(8):
        rows.append(
            {"question": f"What is setting number {i}?", "answer": f"Setting {i} is {i * 37 + 11}."}
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_split_holding_out_a_fact_s_only_pair_says_so_as_training_does(tmp_path):
    data = generated_like(tmp_path / "gen.jsonl")
    out = tmp_path / "out"
    split = CliRunner().invoke(
        app, ["data", "split", str(data), "-o", str(out), "--test-size", "4"]
    )
    assert split.exit_code == 0, split.output
    said = " ".join(split.output.split())
    assert "test examples ask for a fact no training answer states" in said
    assert f"{out / 'test.jsonl'}:1" in said  # the row to look at, in the file just written
    assert "tunelab data augment" in said
