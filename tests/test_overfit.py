"""End to end on a tiny model: it learns 8 Q&A pairs, then answers them exactly and stops at EOS."""

from __future__ import annotations

from tests.conftest import QA_PAIRS, tiny_config
from tunelab.models import load_model
from tunelab.serve.chat import Session
from tunelab.serve.generate import answer
from tunelab.train.loop import train


def test_tiny_model_memorises_and_stops_at_eos(tmp_path, qa_file):
    config = tiny_config(
        tmp_path,
        qa_file,
        method="full",
        max_steps=60,
        batch_size=8,
        lr=1e-2,
        scheduler="constant",
        eval_every=1000,
        save_every=1000,
    )
    config.data.test_size = 0
    run = train(config)

    model, tokenizer = load_model(str(run))
    questions = [q for q, _ in QA_PAIRS]
    replies = answer(model, tokenizer, questions, max_new_tokens=40)
    assert [r.text for r in replies] == [a for _, a in QA_PAIRS]
    assert all(r.finish_reason == "stop" for r in replies)

    # The CLI's session reads the run's template from its config and answers the same.
    assert Session.open(str(run)).reply(questions[0], max_new_tokens=40) == QA_PAIRS[0][1]
