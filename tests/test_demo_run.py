"""The demo's flow and scoring, on the tiny model (the real demo is `make demo`)."""

from __future__ import annotations

import json
import signal
from dataclasses import replace

import pytest
from rich.console import Console

import tunelab
from tunelab.demo.run import run_demo
from tunelab.demo.scores import changes, means, per_question, print_table, score

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


def test_another_value_for_what_is_asked_is_counted_apart_from_the_named_wrong_answers():
    tests = [
        {"question": "How many passes over the data does a default run make?",
         "answer": "The default is 3 epochs.", "kind": "paraphrase", "facts": [["3"]],
         "wrong": ["2", "5"]},
    ]  # fmt: skip
    scores = score(tests, ["By default there are 1000 epochs."])
    assert scores["hallucination_rate"] == 0.0  # 1000 is no named wrong answer
    assert scores["other_value_rate"] == 100.0


def test_combined_and_reversed_facts_are_scored_apart_from_the_headline():
    tests = [
        {"question": "Default lr?", "answer": "2e-4.", "kind": "paraphrase", "facts": [["2e-4"]]},
        {"question": "LoRA rank and alpha?", "answer": "16 and 32.", "kind": "two_facts",
         "facts": [["16"], ["32"]]},
        {"question": "Which LoRA setting is 32?", "answer": "Alpha.", "kind": "reverse",
         "facts": [["alpha"]]},
        {"question": "Weather?", "answer": REFUSAL, "kind": "off_topic"},
    ]  # fmt: skip
    base = ["1e-4", REFUSAL, "32", "Sunny."]
    tuned = [
        "The default learning rate is 2e-4.",
        "The rank is 16.",
        "Alpha defaults to 32.",
        REFUSAL,
    ]
    before, after = per_question(tests, base), per_question(tests, tuned)
    assert after["fact_accuracy"] == [1.0]  # the paraphrase alone
    assert after["fact_accuracy_two_facts"] == [0.0]  # it needs both facts, not one
    assert (before["fact_accuracy_reverse"], after["fact_accuracy_reverse"]) == ([0.0], [1.0])
    # The base refused the two-facts question: on-topic refusal and overlap stay the paraphrase's.
    assert before["refusal_rate_on_topic"] == [0.0] and len(before["token_f1"]) == 1
    assert list(changes(before, after))[:3] == [
        "fact_accuracy", "fact_accuracy_two_facts", "fact_accuracy_reverse"
    ]  # fmt: skip


def test_the_table_has_a_row_per_kind_of_combined_question():
    tests = [
        {"question": "Rank and alpha?", "answer": "16, 32.", "kind": "two_facts",
         "facts": [["16"], ["32"]]},
        {"question": "Which is 32?", "answer": "Alpha.", "kind": "reverse", "facts": [["alpha"]]},
    ]  # fmt: skip
    before, after = per_question(tests, ["no", "no"]), per_question(tests, ["16 and 32", "no"])
    scores = {"base": means(before), "finetuned": means(after), "change": changes(before, after)}
    console = Console(record=True, width=200)
    print_table(scores, len(tests), console)
    shown = console.export_text()
    assert "fact accuracy, two facts combined (1 q)" in shown
    assert "fact accuracy, asked in reverse (1 q)" in shown
    # Named as eval names them, marked where lower is better: "hallucination_ra…" was cut short.
    plain = [{"question": "Which port?", "answer": "Port 8080.", "kind": "paraphrase",
              "facts": [["8080"]]}]  # fmt: skip
    before, after = per_question(plain, ["Port 80."]), per_question(plain, ["Port 8080."])
    scores = {"base": means(before), "finetuned": means(after), "change": changes(before, after)}
    print_table(scores, len(plain), console)
    shown = console.export_text()
    assert "other value ↓ (1 q)" in shown and "↓: lower is better" in shown


def test_demo_runs_end_to_end_and_leaves_a_chat_ready_run(tmp_path, monkeypatch):
    from tunelab.demo import run as demo

    # Every other answer is its reference, so the fact accuracy is no random model's 0%.
    references, real = {t["question"]: t["answer"] for t in demo.demo_tests()}, demo.answer

    def half_known(model, tokenizer, questions, **settings):
        replies = real(model, tokenizer, questions, **settings)
        return [
            replace(reply, text=references[q]) if i % 2 else reply
            for i, (q, reply) in enumerate(zip(questions, replies))
        ]

    monkeypatch.setattr(demo, "answer", half_known)
    scores = run_demo(steps=2, output_dir=str(tmp_path), model="tiny-random")
    run = tmp_path / "demo"
    assert set(scores) >= {"base", "finetuned", "change", "seconds"}
    assert list(scores["base"])[:2] == ["fact_accuracy", "hallucination_rate"]
    assert scores["change"]["fact_accuracy"]["n"] == 56
    assert scores["change"]["fact_accuracy_two_facts"]["n"] == 24
    assert scores["change"]["fact_accuracy_reverse"]["n"] == 24
    assert json.loads((run / "demo_scores.json").read_text())["base"] == scores["base"]
    rows = [json.loads(line) for line in (run / "demo_answers.jsonl").read_text().splitlines()]
    assert len(rows) >= 60 and {"question", "answer", "kind", "base", "finetuned"} <= set(rows[0])
    assert (run / "model" / "model.safetensors").exists()  # full finetuning: every weight
    assert (run / "demo_differences.png").read_bytes().startswith(b"\x89PNG")  # the table, drawn
    # `tunelab runs runs/demo` shows the fact accuracy the demo printed (its cell was empty):
    # the finetuned answers to the test file are in runs/demo/eval, as `tunelab eval` writes.
    [listed] = tunelab.runs([run])
    held_out = listed["best_heldout"]
    # Over the 56 questions that name facts, as the demo's table counts them (not the 18 off-topic).
    assert (held_out["metric"], held_out["over"], held_out["questions"]) == (
        "fact_accuracy",
        56,
        74,
    )
    assert 0 < held_out["value"] < 1
    assert round(100 * held_out["value"], 1) == scores["finetuned"]["fact_accuracy"]
    if "arc_easy" in scores["finetuned"]:  # the general check, where ARC-Easy's files are found
        arc = listed["bench"]["arc_easy"]
        assert (arc["metric"], arc["questions"]) == ("acc_norm", 100)
        assert round(100 * arc["value"], 1) == scores["finetuned"]["arc_easy"]
        # Each question's score, by question, for `tunelab runs demo3 demo4` to pair.
        assert len(arc["per_question"]) == 100


def test_a_demo_cut_short_by_ctrl_c_goes_on_from_its_checkpoint_when_run_again(
    tmp_path, monkeypatch, capsys
):
    # A rerun replaced runs/demo and trained from step 0: a Ctrl-C at minute 15 of 18 lost all.
    from tunelab.train import loop

    real, steps, ctrl_c_at = loop.accumulate_gradients, [], [2]

    def ctrl_c_in_step_2(*args, **kwargs):
        steps.append(1)
        if len(steps) in ctrl_c_at:
            signal.raise_signal(signal.SIGINT)  # the step finishes and is saved
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "accumulate_gradients", ctrl_c_in_step_2)
    settings = dict(steps=4, output_dir=str(tmp_path), model="tiny-random", general_check=False)
    with pytest.raises(KeyboardInterrupt, match="interrupted at step 2"):
        run_demo(**settings, again="tunelab demo --steps 4")
    # One line names the command the user typed first, `tunelab train runs/demo --resume` as the
    # other way on (it was two lines: train's, then the demo's "or run ... again").
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "Continue with" in line)
    demo_then_train = f"`tunelab demo --steps 4` or `tunelab train {tmp_path / 'demo'} --resume`"
    assert line.endswith(f"Continue with {demo_then_train}") and "from there too" not in out
    steps.clear()
    ctrl_c_at.clear()
    run_demo(**settings)
    assert len(steps) == 2  # steps 3 and 4 alone
    status = json.loads((tmp_path / "demo" / "status.json").read_text())
    assert status["status"] == "finished" and status["step"] == 4


def test_a_demo_cut_short_under_other_settings_trains_afresh_when_run_again(tmp_path, monkeypatch):
    # A demo interrupted under an older tunelab (data.held_out questions, before the demo named
    # rephrasings) was resumed, and the resume refused the changed setting: `make demo` failed.
    from tunelab.train import loop

    real, steps = loop.accumulate_gradients, []

    def ctrl_c_in_step_2(*args, **kwargs):
        steps.append(1)
        if len(steps) == 2:
            signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "accumulate_gradients", ctrl_c_in_step_2)
    settings = dict(steps=4, output_dir=str(tmp_path), model="tiny-random", general_check=False)
    with pytest.raises(KeyboardInterrupt):
        run_demo(**settings)
    saved = tmp_path / "demo" / "config.yaml"
    saved.write_text(
        saved.read_text(encoding="utf-8").replace("held_out: rephrasings", "held_out: questions"),
        encoding="utf-8",
    )
    steps.clear()
    monkeypatch.setattr(
        loop, "accumulate_gradients", lambda *a, **k: (steps.append(1), real(*a, **k))[1]
    )
    run_demo(**settings)
    assert len(steps) == 4  # from step 0
    status = json.loads((tmp_path / "demo" / "status.json").read_text())
    assert status["status"] == "finished" and status["step"] == 4


def test_demo_help_says_the_recipe_s_epochs_and_where_it_writes():
    # `tunelab demo --help` said "the demo recipe's 3 epochs" after the recipe went to 4.
    from typer.testing import CliRunner

    from tunelab.cli import app
    from tunelab.demo.run import EPOCHS

    said = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "200"}).output
    assert f"the demo recipe's {EPOCHS:g} epochs of its data" in said
    assert "OUTPUT_DIR/demo" in said
