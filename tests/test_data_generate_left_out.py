"""What `tunelab data generate` leaves out of its output, and that it says so: chunks too short to
ask a model about, and on a rerun the rows of text the documents no longer hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.generate.documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig


class FirstSentenceLLM:
    """A stand-in model: asked about a chunk, it answers with the chunk's first sentence, and it
    records every chunk it was asked about."""

    name = "first-sentence"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        replies = []
        for conversation in conversations:
            chunk = conversation[-1]["content"].split("Text:\n", 1)[1].strip()
            self.asked.append(chunk)
            first = re.split(r"(?<=[.!?])\s", chunk)[0]
            topic = first.rstrip(".").split()[-1]
            replies.append(json.dumps([{"question": f"What about {topic}?", "answer": first}]))
        return replies


def short_docs(folder: Path) -> list[str]:
    (folder / "a.md").write_text("# Title A\n\nAlpha document body about apples.\n")
    (folder / "b.txt").write_text("Beta text file about bananas.\n")
    return [str(folder / "b.txt"), str(folder / "a.md")]


def said(output: str) -> str:
    return "".join(output.split())  # the console wraps long paths


def test_documents_too_short_to_ask_about_are_named_with_the_setting_that_keeps_them(tmp_path):
    docs = short_docs(tmp_path)
    out = str(tmp_path / "qa.jsonl")
    command = ["data", "generate", *docs, "-o", out, "--mode", "llm"]
    result = CliRunner().invoke(app, [*command, "--endpoint", "http://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    assert "wrote0pairs" in said(result.output)
    assert "skipped2chunksshorterthanmin_chunk_tokens(20tokens)" in said(result.output)
    assert "b.txtx1" in said(result.output) and "a.mdx1" in said(result.output)
    assert "--setmin_chunk_tokens=N" in said(result.output)

    llm = FirstSentenceLLM()  # lowered, both are asked about
    config = GenerateConfig(docs=docs, output=out, mode="llm", min_chunk_tokens=5)
    stats = generate_dataset(config, llm, progress=False)
    assert not stats.too_short and len(llm.asked) == 2 and stats.pairs == 2


def test_template_mode_reads_short_documents_too(tmp_path):
    docs = short_docs(tmp_path)
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", *docs, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote2pairs" in said(result.output) and "skipped" not in result.output
