"""`tunelab compare RUN` of a run trained on raw text alone (continued pretraining): every arm
continues each test question as written, as eval and generate ask such a run, and its RAG arms
give the passages before the text to continue."""

from __future__ import annotations

import json

import tunelab.work_log as work_log
from tests.conftest import tiny_config
from tunelab.compare.run import CompareConfig, compare
from tunelab.train.loop import train


def test_a_raw_text_run_is_compared_continuing_each_question_as_eval_asks_it(tmp_path, monkeypatch):
    # Its four arms were asked in the chat template (its data.template), which framed none of
    # the texts it trained on, while eval and generate continued each question as written.
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "manual.md").write_text("# Manual\n\nPress the red button.\n", encoding="utf-8")
    run = train(tiny_config(tmp_path, docs, max_steps=1))
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"question": "Press the", "answer": "red button."}) + "\n", "utf-8")
    asked, real = [], work_log.generate

    def generate(model, tokenizer, prompts, **kwargs):
        asked.extend(prompts)
        return real(model, tokenizer, prompts, **kwargs)

    monkeypatch.setattr(work_log, "generate", generate)
    result = compare(run, CompareConfig(data=str(test), max_new_tokens=2, k=1))

    assert result.prompt.template == "text"
    assert f"{run.name} trained on raw text alone: it continues the text as written" in (
        " ".join(" ".join(result.notes).split())
    )
    prompting, prompting_rag, finetuned, finetuned_rag = asked
    assert prompting == finetuned == "Press the"  # the question as written, no template
    # The passage, then the text to continue: no "Question:" line to continue after it.
    assert prompting_rag == finetuned_rag
    assert finetuned_rag.startswith("Context:\n[1] ") and "Press the red button." in finetuned_rag
    assert finetuned_rag.endswith("button.\n\nPress the") and "Question:" not in finetuned_rag

    # Asked for the chat template, as the note says, every arm gets it (a run's --template was
    # refused, though the note told of it).
    chat = compare(run, CompareConfig(data=str(test), max_new_tokens=2, k=1, template="chat"))
    assert chat.prompt.template == "chat" and "raw text alone" not in " ".join(chat.notes)
    assert all(p.endswith("<|im_start|>assistant\n") for p in asked[4:]) and len(asked) == 8
