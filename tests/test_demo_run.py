"""The demo's flow and scoring, on the tiny model (the real demo is `make demo`)."""

from __future__ import annotations

import json

from tunelab.demo.run import REFUSAL, is_refusal, run_demo, score


def test_score_separates_facts_from_refusals():
    tests = [
        {"question": "q1", "answer": "Use --resume.", "kind": "paraphrase"},
        {"question": "q2", "answer": "The default is 42.", "kind": "paraphrase"},
        {"question": "q3", "answer": REFUSAL, "kind": "off_topic"},
        {"question": "q4", "answer": REFUSAL, "kind": "off_topic"},
    ]
    answers = ["use --resume", "It is 7.", "i can only answer questions about tunelab", "Sunny!"]
    result = score(tests, answers)
    assert result["normalized_match"] == 50.0
    assert result["refusal_rate_off_topic"] == 50.0
    assert result["refusal_rate_on_topic"] == 0.0
    assert 0 < result["token_f1"] < 100
    assert is_refusal("Sorry. " + REFUSAL) and not is_refusal("I can answer that.")


def test_demo_runs_end_to_end_and_leaves_a_chat_ready_run(tmp_path):
    scores = run_demo(steps=2, output_dir=str(tmp_path), model="tiny-random")
    run = tmp_path / "demo"
    assert set(scores) >= {"base", "finetuned", "seconds"}
    assert json.loads((run / "demo_scores.json").read_text())["base"] == scores["base"]
    rows = [json.loads(line) for line in (run / "demo_answers.jsonl").read_text().splitlines()]
    assert len(rows) >= 60 and {"question", "answer", "kind", "base", "finetuned"} <= set(rows[0])
    assert (run / "model" / "adapter_model.safetensors").exists()
