"""Off-topic questions: eval and compare score whether a model refuses the questions the test set
marks `"kind": "off_topic"` (with their own refusal) and only those, as the demo does."""

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.evaluate.refusals import Refusals
from tunelab.evaluate.scores import summarize

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"
REFUSE = "I can only answer questions about the Acme router."
ROWS = [
    {"question": "What port does the router use?", "answer": "Port 8080."},
    {"question": "How do I reset it?", "answer": "Hold the button for 10 seconds."},
    {"question": "Will it rain tomorrow?", "answer": REFUSE, "kind": "off_topic"},
    {"question": "Who won the match?", "answer": REFUSE, "kind": "off_topic"},
]
# A model that refuses one on-topic question and one of the two off-topic ones.
ANSWERS = {
    "What port does the router use?": "It uses port 8080.",
    "How do I reset it?": "Sorry! i can only answer questions about the ACME router",
    "Will it rain tomorrow?": f"{REFUSE} Try a weather site.",
    "Who won the match?": "Spain won.",
}


def test_a_refusal_is_the_off_topic_rows_answer_said_anywhere_in_the_reply():
    refusals = Refusals.of_rows((f"t:{i}", row, row["answer"]) for i, row in enumerate(ROWS))
    assert refusals.off_topic == {"t:2", "t:3"} and len(refusals.texts) == 1
    rows = [
        {"scores": {}, "finish_reason": "stop", **refusals.fields(f"t:{i}", ANSWERS[r["question"]])}
        for i, r in enumerate(ROWS)
    ]
    summary = summarize(rows)
    assert summary["refusal_rate_off_topic"] == 0.5 and summary["refusal_rate_on_topic"] == 0.5
    # A test set that marks no off-topic row gets no refusal scores at all.
    assert Refusals.of_rows([("t:0", ROWS[0], ROWS[0]["answer"])]).fields("t:0", REFUSE) == {}


def _answering(monkeypatch):
    import tunelab.generation.generate as generate

    def answer(model, tokenizer, questions, **kwargs):  # a RAG prompt holds its question
        asked = [q if isinstance(q, str) else q.question for q in questions]  # eval asks rows
        said = [next(a for q, a in ANSWERS.items() if q in text) for text in asked]
        return [generate.Generation(text, "stop", 5, 5, i) for i, text in enumerate(said)]

    monkeypatch.setattr(generate, "answer", answer)


def test_eval_and_compare_report_both_refusal_rates_with_their_intervals(tmp_path, monkeypatch):
    test = tmp_path / "test.jsonl"
    test.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    _answering(monkeypatch)
    runner = CliRunner()
    args = ["eval", "tiny-random", "tiny-random", "--data", str(test), "--output", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = json.loads((tmp_path / "comparison.json").read_text())["metrics"]
    rates = {m["metric"]: m["values"] for m in table}
    assert rates["refusal_rate_off_topic"] == [0.5, 0.5]
    assert rates["refusal_rate_on_topic"] == [0.5, 0.5]
    # The error analysis names both failures, each with the training rows to fix or add.
    errors = (tmp_path / "model1" / "errors.md").read_text()
    assert "## not_refused" in errors and "Who won the match?" in errors
    assert "## refused" in errors and "How do I reset it?" in errors
    assert "Will it rain tomorrow?" not in errors  # refused, as it should be
    assert "## off_topic" not in errors  # a refusal is off topic by design: said once, above

    run = tiny_run(tmp_path / "runs", QA)
    args = ["compare", str(run), "--data", str(test), "--k", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    arms = json.loads((run / "compare" / "compare.json").read_text())["arms"]
    assert all(a["refusal_rate_off_topic"] == 0.5 for a in arms)
    assert all(a["refusal_rate_on_topic"] == 0.5 for a in arms)
    report = (run / "compare" / "compare.md").read_text()
    assert "off-topic refusal [95%] | on-topic refusal [95%]" in report
    assert "| 50.0 (1 of 2) [" in report
    assert '"kind": "off_topic"' in report  # the legend says which rows are off-topic


def test_data_facts_proposes_no_fact_of_a_refusal_and_counts_the_off_topic_rows(tmp_path):
    from tunelab.evaluate.facts.propose_file import propose_file

    test = tmp_path / "test.jsonl"
    test.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = tmp_path / "facts.jsonl"
    found = propose_file(test, out)
    rows, proposed, left, off_topic = found.rows, found.proposed, found.left, found.off_topic
    assert (rows, proposed, left, off_topic) == (4, 2, [], 2)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    # "Acme" would be a name to state: in a refusal it is no fact of the off-topic question.
    assert [("facts" in row) for row in written] == [True, True, False, False]


def test_a_short_refusal_is_matched_as_whole_words():
    refusals = Refusals.of_rows([("t:1", {"kind": "off_topic"}, "No.")])
    assert refusals.refuses("No, I can't say.") and not refusals.refuses("I know the answer.")


def test_off_topic_spelled_otherwise_is_named_before_any_answer(tmp_path):
    # "kind": "offtopic" was read as no kind: eval reported no refusal rates and scored the
    # question as an ordinary one, saying nothing.
    import pytest

    from tunelab.errors import TunelabError
    from tunelab.evaluate.suite import EvalConfig, evaluate

    test = tmp_path / "test.jsonl"
    rows = [*ROWS[:2], {**ROWS[2], "kind": "off-topic"}]
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    said = f"""{test}:3: "kind": 'off-topic' is not "off_topic": """
    with pytest.raises(TunelabError, match=re.escape(said)):
        evaluate("tiny-random", EvalConfig(data=str(test), output=str(tmp_path / "eval")))
    assert not (tmp_path / "eval").exists()  # named before any answer


KEEP = "Let's keep the discussion relevant to Lamini."


def canned_test_set(tmp_path, monkeypatch) -> Path:
    """A test set naming no kind, four of whose rows answer with one canned refusal (KEEP), and a
    model (generation replaced) that refuses three of them and answers the rest."""
    keep = KEEP
    asked = {  # question: (reference, the model's answer)
        "Will it rain tomorrow?": (keep, keep),
        "What is 2+2?": (keep, keep),
        "Tell me a joke.": (keep, keep),
        "Who won the match?": (keep, "Spain won."),
        "What port does the router use?": ("Port 8080.", "It uses port 8080."),
    }
    test = tmp_path / "test.jsonl"
    rows = [{"question": q, "answer": ref} for q, (ref, _) in asked.items()]
    test.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    import tunelab.generation.generate as generate

    def answer(model, tokenizer, questions, **kwargs):  # compare asks RAG prompts: text
        texts = [q if isinstance(q, str) else q.question for q in questions]
        said = [next(a for q, (_, a) in asked.items() if q in text) for text in texts]
        return [generate.Generation(text, "stop", 5, 5, i) for i, text in enumerate(said)]

    monkeypatch.setattr(generate, "answer", answer)
    return test


def test_eval_scores_a_canned_refusal_as_one_though_the_set_names_no_kind(tmp_path, monkeypatch):
    # A split straight from `tunelab data split` (lamini_docs) names no kind: its rows answered
    # "Let's keep the discussion relevant to Lamini." were scored by their words as facts.
    from tunelab.evaluate.suite import EvalConfig, evaluate

    test = canned_test_set(tmp_path, monkeypatch)
    result = evaluate("tiny-random", EvalConfig(data=str(test), output=str(tmp_path / "eval")))
    refusals = [row.get("refusal") for row in result.rows]
    assert refusals[:4] == [{"off_topic": True, "refused": True}] * 3 + [
        {"off_topic": True, "refused": False}  # "Spain won." answers what it should refuse
    ]
    assert refusals[4] == {"off_topic": False, "refused": False}
    assert result.summary["refusal_rate_off_topic"] == 0.75
    assert any(
        note.startswith('4 test rows name no "kind" but answer with a refusal')
        and f"{KEEP!r} x4" in note
        for note in result.notes
    )
    # compare reads the test set alike, and says so in compare.md.
    run = tiny_run(tmp_path / "runs", QA)
    result = CliRunner().invoke(app, ["compare", str(run), "--data", str(test), "--k", "1"])
    assert result.exit_code == 0, result.output
    arms = json.loads((run / "compare" / "compare.json").read_text(encoding="utf-8"))["arms"]
    assert all(a["refusal_rate_off_topic"] == 0.75 for a in arms)
    report = (run / "compare" / "compare.md").read_text(encoding="utf-8")
    assert 'Note: 4 test rows name no "kind" but answer with a refusal' in report


def test_errors_on_that_eval_folder_reports_what_eval_did(tmp_path, monkeypatch):
    # `tunelab errors` rewrites errors.md and summary.json from the saved rows, which keep each
    # row's refusal as eval scored it: the same rates, categories and notes, test set unread.
    from tunelab.evaluate.suite import EvalConfig, errors, evaluate

    out = tmp_path / "eval"
    result = evaluate(
        "tiny-random", EvalConfig(data=str(canned_test_set(tmp_path, monkeypatch)), output=str(out))
    )
    said = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    (out / "errors.md").unlink()
    again = errors(str(out))
    rewritten = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (
        rewritten["metrics"] == said["metrics"]
        and said["metrics"]["refusal_rate_off_topic"] == 0.75
    )
    assert [r.get("errors") for r in again.rows] == [r.get("errors") for r in result.rows]
    assert any(e["category"] == "not_refused" for e in again.rows[3]["errors"])  # "Spain won."
    assert set(said["notes"]) <= set(rewritten["notes"])
    assert f"{KEEP!r} x4" in (out / "errors.md").read_text(encoding="utf-8")


def test_eval_counts_a_split_s_training_rows_to_find_the_refusal_it_held_out_once(tmp_path):
    # A newcomer's CSV taught one refusal to six rows; `data split` held out one. Eval of the
    # split's test.jsonl counted it there alone, once, and scored the off-topic question by its
    # words, as an ordinary one.
    from tunelab.evaluate.suite import EvalConfig, evaluate

    refusal = "Sorry, I can only answer questions about Acme products."
    train = [{"question": f"Off-topic {i}?", "answer": refusal} for i in range(5)]
    test = [{"question": "Write me a poem?", "answer": refusal},
            {"question": "What port does the router use?", "answer": "Port 8080."}]  # fmt: skip
    for name, rows in (("train.jsonl", train), ("test.jsonl", test)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cfg = EvalConfig(data=str(tmp_path / "test.jsonl"), output=str(tmp_path / "eval"))
    result = evaluate("tiny-random", cfg.model_copy(update={"max_new_tokens": 2}))
    assert [row.get("refusal", {}).get("off_topic") for row in result.rows] == [True, False]
    assert "refusal_rate_off_topic" in result.summary


def test_eval_of_a_run_counts_its_training_rows_to_find_the_refusal_it_held_out_once(tmp_path):
    # A run taught one refusal to four rows and its data.test_size held out one of them. Its
    # held_out.jsonl has no train.jsonl beside it: `tunelab eval RUN` saw the refusal once and
    # scored that off-topic question by its rare words, as an ordinary one.
    from tests.conftest import QA_PAIRS, tiny_config, write_jsonl
    from tunelab.evaluate.suite import EvalConfig, evaluate
    from tunelab.train.loop import train

    refusal = "Sorry, I can only answer questions about Acme products."
    off = ["Write me a poem.", "Who won the World Cup?", "Tell me a joke.", "Sing a song."]
    rows = [{"question": q, "answer": a} for q, a in QA_PAIRS]
    rows += [{"question": q, "answer": refusal} for q in off]
    config = tiny_config(tmp_path, write_jsonl(tmp_path / "qa.jsonl", rows), max_steps=1)
    run = train(config.model_copy(update={"data": config.data.model_copy(update={"test_size": 3})}))
    held = [json.loads(line) for line in (run / "held_out.jsonl").read_text().splitlines()]
    assert [r["answer"] for r in held].count(refusal) == 1  # one of the four held out

    result = evaluate(str(run), EvalConfig(max_new_tokens=2, analyse=False))
    scored = {row["reference"]: row for row in result.rows}
    assert scored[refusal]["refusal"]["off_topic"] is True
    assert "refusal_rate_off_topic" in result.summary
