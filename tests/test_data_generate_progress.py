"""What `tunelab data generate` shows while a model is asked: how many chunks (or pairs) are done
of how many, counting those an earlier run did, and the time spent."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tunelab.data.generate.documents import generate_dataset
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
