"""`llm` generation with a model of tunelab's own (in-process, or behind `tunelab serve`): replies
come under the pairs schema so every one parses, and a prompt too long for the model gets no reply
and is not asked again."""

from __future__ import annotations

import pytest

from tests.test_data_generate_llm import DOCS, rows
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig


def test_a_local_model_replies_under_the_schema_so_every_reply_parses(tmp_path):
    cfg = GenerateConfig(
        docs=[str(DOCS / "notes.txt")],
        output=str(tmp_path / "qa.jsonl"),
        mode="llm",
        model="tiny-random",
        min_chunk_tokens=5,
        max_new_tokens=64,
        retries=0,
    )
    stats = generate_dataset(cfg, progress=False)
    # The same random model garbles every reply over HTTP (above); in-process, under the schema,
    # each reply parses, and its random text is then dropped by the quality filters.
    assert (stats.chunks, stats.replies, stats.malformed, stats.parse_rate) == (2, 2, 0, 1.0)
    assert stats.pairs == 0 and sum(stats.dropped.values()) >= 2


def test_tunelab_serve_as_the_endpoint_replies_under_the_schema_so_every_reply_parses(tmp_path):
    # The endpoint was asked in the prompt only: 38% of a served 135M model's replies parsed,
    # 100% of the same model's in-process. It is sent the schema as response_format now.
    from tunelab.serve.launch import load_engines
    from tunelab.serve.server import create_app
    from tunelab.web import running

    engines = load_engines(["tiny-random"], max_batch=4)
    try:
        with running(create_app(engines)) as base:
            cfg = GenerateConfig(
                docs=[str(DOCS / "notes.txt")],
                output=str(tmp_path / "qa.jsonl"),
                mode="llm",
                endpoint=base,
                model="tiny-random",
                min_chunk_tokens=5,
                max_new_tokens=64,
                retries=0,
            )
            stats = generate_dataset(cfg, progress=False)
    finally:
        engines["tiny-random"].close()
    assert (stats.chunks, stats.replies, stats.malformed, stats.parse_rate) == (2, 2, 0, 1.0)


@pytest.mark.slow
def test_embedded_model_generates_pairs_on_cpu(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Checkpoints\n\nA checkpoint is written every 100 steps. Only the newest two "
        "checkpoints are kept, so a long run does not fill the disk.\n"
    )
    cfg = GenerateConfig(
        docs=[str(doc)],
        output=str(tmp_path / "qa.jsonl"),
        mode="llm",
        pairs_per_chunk=1,
        max_new_tokens=64,
        retries=0,
        min_chunk_tokens=5,
    )
    stats = generate_dataset(cfg, progress=False)
    # A 135M model does not always follow the JSON format: whatever it did is accounted for.
    assert stats.chunks == 1 and stats.pairs + stats.malformed + sum(stats.dropped.values()) >= 1
    for row in rows(tmp_path / "qa.jsonl") if stats.pairs else []:
        assert row["question"].strip() and row["meta"]["generator"] == "smollm2-135m-instruct"


def test_a_local_model_gives_no_reply_to_a_prompt_too_long_for_it_and_answers_the_rest():
    from tunelab.data.generate.llm import LocalLLM

    llm = LocalLLM("tiny-random", max_new_tokens=4)
    long = [{"role": "user", "content": "word " * 600}]  # past the tiny model's 2048 positions
    replies = llm.complete([long, [{"role": "user", "content": "hi"}]], temperature=0.0)
    assert replies[0] is None and isinstance(replies[1], str)


def test_a_prompt_given_no_reply_is_not_asked_again_and_one_given_prose_is():
    from tunelab.data.generate.shared import GenerateStats, ask_pairs

    asked: list[list[str]] = []

    class Fake:  # the first prompt is too long for the model: it never gets a reply
        def complete(self, conversations, temperature, schema=None):
            asked.append([c[0]["content"] for c in conversations])
            return [None if c[0]["content"] == "long" else "no JSON here" for c in conversations]

    stats = GenerateStats()
    prompts = [[{"role": "user", "content": text}] for text in ("long", "short")]
    parsed = ask_pairs(GenerateConfig(retries=2), Fake(), prompts, stats)
    assert parsed == [None, None]
    assert asked == [["long", "short"], ["short"], ["short"]] and stats.retried == 2
