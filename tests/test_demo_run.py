"""The demo's flow and scoring, on the tiny model (the real demo is `make demo`)."""

from __future__ import annotations

import json

from tunelab.demo.run import run_demo
from tunelab.demo.scores import changes, per_question, score

REFUSAL = "I can only answer questions about tunelab."


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
    assert "fact_accuracy" not in result  # no row names its facts
    assert score(tests[2:], ["Sorry. " + REFUSAL, "I can answer that."]) == {
        "refusal_rate_off_topic": 50.0
    }


def test_score_leads_with_facts_and_hallucinations_when_rows_name_them():
    tests = [
        {"question": "Need a GPU?", "answer": "No, CPU.", "kind": "paraphrase",
         "facts": [["CPU"]], "wrong": [{"regex": "^\\W*yes"}]},
        {"question": "Default lr?", "answer": "2e-4.", "kind": "paraphrase", "facts": [["2e-4"]]},
        {"question": "Weather?", "answer": REFUSAL, "kind": "off_topic"},
    ]  # fmt: skip
    base = ["Yes, a graphics card.", "1e-4", "Sunny."]
    tuned = ["No, it runs on the CPU.", "The default learning rate is 2e-4.", REFUSAL]
    assert list(score(tests, tuned))[:2] == ["fact_accuracy", "hallucination_rate"]
    assert score(tests, base)["hallucination_rate"] == 100.0
    assert score(tests, tuned)["fact_accuracy"] == 100.0
    change = changes(per_question(tests, base), per_question(tests, tuned))
    # Two questions cannot make a difference certain: the interval says so.
    assert change["fact_accuracy"]["delta"] == 100.0 and change["fact_accuracy"]["n"] == 2
    assert change["refusal_rate_off_topic"]["verdict"] == "no clear winner"


def test_demo_runs_end_to_end_and_leaves_a_chat_ready_run(tmp_path):
    scores = run_demo(steps=2, output_dir=str(tmp_path), model="tiny-random")
    run = tmp_path / "demo"
    assert set(scores) >= {"base", "finetuned", "change", "seconds"}
    assert list(scores["base"])[:2] == ["fact_accuracy", "hallucination_rate"]
    assert scores["change"]["fact_accuracy"]["n"] == 56
    assert json.loads((run / "demo_scores.json").read_text())["base"] == scores["base"]
    rows = [json.loads(line) for line in (run / "demo_answers.jsonl").read_text().splitlines()]
    assert len(rows) >= 60 and {"question", "answer", "kind", "base", "finetuned"} <= set(rows[0])
    assert (run / "model" / "model.safetensors").exists()  # full finetuning: every weight
