"""The filters every generated pair passes, whatever the mode: a pair in the prompt's form, an answer
that only announces one, has no words or is a bare yes or no about a chunk is dropped; the pairs
schema asks for a real question."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tunelab.data.generate.filters import drop_reason
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.llm import pairs_schema
from tunelab.data.generate.shared import GenerateConfig, Output


@pytest.mark.parametrize(
    "question, answer, reason",
    [
        # Kept by self-instruct from the 135M model on lamini seeds before these filters:
        (
            'Question:""Does Lamini require an internet connection?""Yes, it is a cloud AI',
            "No, L",
            "question holds a label or its answer",
        ),
        ("What is X? Answer: a tool", "A tool.", "question holds a label or its answer"),
        ("How can I handle long texts when using Lamini?", "### Answer:###", "answer announces"),
        ("How do I install it?", "The answer is:", "answer announces"),
        ("How do I install it?", "Here are the steps to follow:", "answer announces"),
        (
            "How can I evaluate generated text?",
            "### Question:\nCan Lamini generate text for data storytelling?\n### Answer:",
            "answer holds a label or another question",
        ),
        ("Can you explain the CC-BY license mentioned?", "Yes", "answer is a bare yes or no"),
    ],
)
def test_a_pair_in_the_prompts_form_or_without_content_is_dropped_whatever_the_mode(
    question, answer, reason
):
    out = Output(Path("unused.jsonl"), "self-instruct")
    got = drop_reason(GenerateConfig(mode="self-instruct"), question, answer, None, out, True)
    assert got is not None and got.startswith(reason)


def test_a_content_answer_a_colon_or_a_verdict_seeds_give_is_kept():
    out = Output(Path("unused.jsonl"), "self-instruct")
    cfg = GenerateConfig(mode="self-instruct")
    long_lead = "Install it with pip, then run the following command in a terminal:"
    assert drop_reason(cfg, "How do I install it?", long_lead, None, out) is None
    assert drop_reason(cfg, "What is the answer to 2+2?", "The answer is 4.", None, out) is None
    assert drop_reason(cfg, "Is 7 prime?", "Yes", None, out, verdicts_ok=True) is None


@pytest.mark.parametrize("answer", ["?", "1.", "  ...  "])
def test_an_answer_without_words_is_dropped(tmp_path, answer):
    out = Output(tmp_path / "qa.jsonl", "llm")
    cfg = GenerateConfig(mode="llm")
    assert drop_reason(cfg, "How can I create a run?", answer, "create a run", out) == (
        "answer has no words"
    )


@pytest.mark.parametrize("answer", ["No", "Yes.", "no!"])
def test_a_bare_yes_or_no_about_a_chunk_is_dropped(tmp_path, answer):
    # "Can I run the agent on Ubuntu 22.04 and 24.04?" -> "No", where the chunk says it runs
    # only there, was kept, and counted grounded.
    out = Output(tmp_path / "qa.jsonl", "llm")
    chunk = "The agent runs on Ubuntu 22.04 and 24.04 only."
    question = "Can I run the agent on Ubuntu 22.04 and 24.04?"
    assert drop_reason(GenerateConfig(mode="llm"), question, answer, chunk, out) == (
        "answer is a bare yes or no"
    )
    kept = "Yes, the agent runs on Ubuntu 22.04 and 24.04."
    assert drop_reason(GenerateConfig(mode="llm"), question, kept, chunk, out) is None


def test_the_pairs_schema_asks_for_a_question_that_opens_with_a_capital_and_ends_in_a_mark():
    pattern = re.compile(
        pairs_schema(3)["properties"]["pairs"]["items"]["properties"]["question"]["pattern"]
    )
    assert pattern.match("What is the default lr?")
    assert not pattern.match("the_code_is_faster") and not pattern.match("make test-fast")


def test_a_question_naming_abbreviations_is_no_copied_statement(tmp_path):
    # "U.S. Army" and "e.g. Linux" read as two sentences before the "?": the question was dropped
    # as "not a question", as the chunk's sentences with a "?" after them are.
    out = Output(tmp_path / "qa.jsonl", "llm")
    cfg = GenerateConfig(mode="llm")
    chunk = "The U.S. Army runs the agent on Linux. Hold FEED for 3 seconds. Check the sensor."
    asked = "Does the U.S. Army run the agent on an OS, e.g. Linux?"
    assert drop_reason(cfg, asked, "Yes, on Linux.", chunk, out) is None
    copied = "The U.S. Army runs the agent on Linux. Hold FEED for 3 seconds. Check the sensor?"
    assert drop_reason(cfg, copied, "Yes, on Linux.", chunk, out) == "not a question"


class EchoingLLM:
    """A stand-in model that, as the 135M one did on lamini_docs, answers one question with the
    question itself (a question that says a phrase twice), and another with the text."""

    name = "echoing"

    def complete(self, conversations, temperature, schema=None) -> list[str | None]:
        echoed = "What is the Lamini library and what is the Lamini library used for?"
        pairs = [
            {"question": echoed, "answer": echoed},
            {"question": "What is Lamini?", "answer": "Lamini is a library for training models."},
        ]
        return [json.dumps(pairs)] * len(conversations)


def test_a_pair_whose_answer_is_its_question_word_for_word_is_dropped_and_counted(tmp_path):
    doc = tmp_path / "lamini.md"
    doc.write_text(
        "# Lamini\n\nLamini is a library for training models. The Lamini library is used for "
        "finetuning language models on your own data.\n",
        encoding="utf-8",
    )
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=5)
    stats = generate_dataset(config, EchoingLLM(), progress=False)
    assert stats.dropped == {"answer restates question": 1}
    kept = [json.loads(line)["question"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert kept == ["What is Lamini?"]


def test_how_each_reply_ended_is_counted_as_its_model_said(tmp_path):
    # What `data generate` reads to say whether --max-new-tokens cut an answer short.
    class EndingLLM(EchoingLLM):
        def complete(self, conversations, temperature, schema=None) -> list[str | None]:
            self.finish_reasons = ["length"] * len(conversations)
            return super().complete(conversations, temperature, schema)

    doc = tmp_path / "lamini.md"
    doc.write_text("# Lamini\n\nLamini is a library for training models on your data.\n")
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", min_chunk_tokens=5)
    assert generate_dataset(config, EndingLLM(), progress=False).finish_reasons == {"length": 1}
    config = GenerateConfig(docs=[str(doc)], output=str(tmp_path / "b.jsonl"), mode="llm",
                            min_chunk_tokens=5)  # fmt: skip
    assert generate_dataset(config, EchoingLLM(), progress=False).finish_reasons == {None: 1}
