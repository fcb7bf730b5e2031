"""What `tunelab data generate` shows while a model is asked: how many chunks (or pairs) are done
of how many, counting those an earlier run did, and the time spent; and after a Ctrl-C, what
it kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig


class FirstSentenceLLM:
    """A stand-in model: asked about a chunk, it answers with the chunk's first sentence."""

    name = "first-sentence"

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        replies = []
        for conversation in conversations:
            chunk = conversation[-1]["content"].split("Text:\n", 1)[1].strip()
            first = re.split(r"(?<=[.!?])\s", chunk)[0]
            topic = first.rstrip(".").split()[-1]
            replies.append(json.dumps([{"question": f"What about {topic}?", "answer": first}]))
        return replies


def fruit_doc(folder: Path, name: str) -> str:
    path = folder / f"{name}.md"
    path.write_text(f"# {name.title()}\n\n{name.title()} grow on trees in orchards of {name}.\n")
    return str(path)


def test_the_bar_counts_chunks_done_of_all_with_those_an_earlier_run_did(tmp_path, capsys):
    # The bar had rich's own columns: no count, and a time left paced by the last 30 s, which a
    # CPU batch of chunks (minutes) never gave; a rerun's bar left out the chunks done before.
    docs = [fruit_doc(tmp_path, name) for name in ("apples", "pears")]
    out = str(tmp_path / "qa.jsonl")
    config = GenerateConfig(docs=docs, output=out, mode="llm", min_chunk_tokens=5)
    generate_dataset(config, FirstSentenceLLM())
    assert re.search(r"generating \(chunks\).*\b2/2\b.*\d:\d\d:\d\d", capsys.readouterr().out)
    docs.append(fruit_doc(tmp_path, "plums"))
    generate_dataset(config.model_copy(update={"docs": docs}), FirstSentenceLLM())
    assert re.search(r"generating \(chunks\).*\b3/3\b", capsys.readouterr().out)
    generate_dataset(config.model_copy(update={"docs": docs}), FirstSentenceLLM())
    # Nothing left to do: done, no time left to guess.
    assert re.search(r"generating \(chunks\).*\b3/3 \d:\d\d:\d\d 0:00:00", capsys.readouterr().out)


class CountingLLM(FirstSentenceLLM):
    """A stand-in model that keeps how many chunks each ask gave it."""

    def __init__(self) -> None:
        self.asks: list[int] = []

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        self.asks.append(len(conversations))
        return super().complete(conversations, temperature, schema)


def test_a_local_model_is_asked_its_batch_size_of_chunks_at_a_time(tmp_path):
    # Concurrency (default 4) is an endpoint's requests in flight: a local model was asked
    # max(batch size, concurrency) chunks a step, 4 for `--batch-size 2`, and a Ctrl-C at 52 s
    # of an 89 s run kept no row (rows are written as each ask completes).
    docs = [fruit_doc(tmp_path, name) for name in ("apples", "pears", "plums", "figs", "limes")]
    config = GenerateConfig(
        docs=docs, output=str(tmp_path / "qa.jsonl"), mode="llm", min_chunk_tokens=5, batch_size=2
    )
    local = CountingLLM()
    generate_dataset(config, local, progress=False)
    assert local.asks == [2, 2, 1]
    # An endpoint is asked as many chunks as it takes requests in flight.
    endpoint = CountingLLM()
    asked = {"endpoint": "http://127.0.0.1:8000", "output": str(tmp_path / "remote.jsonl")}
    generate_dataset(config.model_copy(update=asked), endpoint, progress=False)
    assert endpoint.asks == [4, 1]


class StoppedLLM(FirstSentenceLLM):
    """A stand-in model that a Ctrl-C stops on its second ask."""

    asked = 0

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        StoppedLLM.asked += 1
        if StoppedLLM.asked == 2:
            raise KeyboardInterrupt
        return super().complete(conversations, temperature, schema)


def test_ctrl_c_keeps_the_rows_written_says_so_and_the_same_command_goes_on(tmp_path, monkeypatch):
    # It said "interrupted" alone: nothing of what was kept, nor that a rerun resumes.
    from typer.testing import CliRunner

    import tunelab.data.generate.from_documents as from_documents
    from tunelab.cli import app

    monkeypatch.setattr(from_documents, "make_llm", lambda config: StoppedLLM())
    docs = [fruit_doc(tmp_path, name) for name in ("apples", "pears", "plums")]
    out = tmp_path / "qa.jsonl"
    command = ["data", "generate", *docs, "-o", str(out), "--mode", "llm", "--batch-size", "1"]
    command += ["--concurrency", "1", "--set", "min_chunk_tokens=5"]
    stopped = CliRunner().invoke(app, command)
    assert stopped.exit_code == 130
    said = " ".join(stopped.output.split())
    # "keeps its 1 rows", where every count is said as n_things says it.
    assert f"interrupted: {out} keeps its 1 row; run the same command again to go on" in said
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0 and "1 chunk done before" in " ".join(again.output.split())
    assert len(out.read_text().splitlines()) == 3


class OffTopicThenStoppedLLM(FirstSentenceLLM):
    """A stand-in model whose first answer the filters drop (nothing of it is in the chunk), and
    that a Ctrl-C stops on its second ask."""

    asked = 0

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        OffTopicThenStoppedLLM.asked += 1
        if OffTopicThenStoppedLLM.asked == 2:
            raise KeyboardInterrupt
        reply = [{"question": "What colour is the moon?", "answer": "Violet cheese, mostly."}]
        return [json.dumps(reply)] * len(conversations)


def test_ctrl_c_counts_a_chunk_that_kept_no_pair_as_done(tmp_path, monkeypatch, wide_terminal):
    # It said "keeps its 0 rows" alone, as though the chunk asked were lost; the rerun skips it.
    from typer.testing import CliRunner

    import tunelab.data.generate.from_documents as from_documents
    from tunelab.cli import app

    monkeypatch.setattr(from_documents, "make_llm", lambda config: OffTopicThenStoppedLLM())
    docs = [fruit_doc(tmp_path, name) for name in ("apples", "pears")]
    out = tmp_path / "qa.jsonl"
    command = ["data", "generate", *docs, "-o", str(out), "--mode", "llm", "--batch-size", "1"]
    command += ["--concurrency", "1", "--set", "min_chunk_tokens=5"]
    stopped = CliRunner().invoke(app, command)
    assert stopped.exit_code == 130
    assert (
        f"interrupted: {out} keeps its 0 rows (and 1 asked about that kept none, in "
        f"{out}.asked.jsonl); run the same command again to go on with the chunks not yet done"
    ) in " ".join(stopped.output.split())
