"""A hand-written test set that asks one fact several ways, its reference answer written out
each time: those rows are right or wrong together, so `eval` and `compare` count them as one fact
in their paired intervals and say so. Rows that share only a refusal or a bare "Yes." ask
different questions and count apart."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.compare.run import CompareConfig, compare
from tunelab.evaluate.suite import EvalConfig, evaluate

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"
ROWS = [
    # One fact asked three ways (lines 1-3), its reference written out each time.
    ("How do I start training?", "Run `tunelab train config.yaml`."),
    ("What starts a training run?", "Run `tunelab train config.yaml`."),
    ("Which command trains a model?", "run  `tunelab train config.yaml`"),
    ("Which file holds a run's settings?", "config.yaml in the run folder."),
    ("Where are evaluation results written?", "The eval folder of the run."),
    ("What does tunelab train?", "Small language models."),
    ("Which port does serve use?", "Port 8000."),
    # Off-topic questions, each testing the refusal on its own (lines 8-10).
    ("What is the capital of France?", "I can only answer questions about tunelab."),
    ("Who won the 1998 World Cup?", "I can only answer questions about tunelab."),
    ("How tall is Everest?", "I can only answer questions about tunelab."),
    # Yes/no questions answered alike, about different things (lines 11-12).
    ("Does tunelab run on a CPU?", "Yes."),
    ("Can eval write a CSV?", "Yes."),
]


def _test_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.jsonl"
    lines = [json.dumps({"question": q, "answer": a}) for q, a in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_and_compare_count_rows_that_share_a_reference_as_one_fact(tmp_path):
    test = _test_file(tmp_path)
    cfg = EvalConfig(data=str(test), output=str(tmp_path / "e"), max_new_tokens=2)
    evaluated = evaluate("tiny-random", cfg)
    said = "the 12 test questions ask 10 facts (3 test rows share their reference answer"
    [note] = [n for n in evaluated.notes if n.startswith(said)]
    assert f"{test}:1, {test}:2, {test}:3;" in note
    assert "each paired interval and verdict is over the 10 facts, not 12 questions" in note
    # The three share one fact; the refusals and the "Yes." rows keep one each.
    keys = [row.get("source_key") for row in evaluated.rows]
    assert keys[0] and keys[:3] == [keys[0]] * 3 and keys[3:] == [None] * 9

    compared = compare(
        "tiny-random",
        CompareConfig(
            data=str(test),
            corpus=str(QA / "train.jsonl"),
            max_new_tokens=2,
            output=str(tmp_path / "c"),
        ),
    )
    assert [n for n in compared.notes if n.startswith(said)] == [note]
    assert "(over 10 facts)" in (tmp_path / "c" / "compare.md").read_text(encoding="utf-8")


def test_eval_of_several_models_gives_intervals_over_the_facts_the_rows_ask(tmp_path):
    test = _test_file(tmp_path)
    run = tiny_run(tmp_path, QA).rename(tmp_path / "runs" / "smollm2-lora-r16-tunelab-docs")
    said = CliRunner().invoke(
        app,
        ["eval", str(run), "tiny-random", "tiny-random", "--data", str(test)]
        + ["--max-new-tokens", "2"],
        env={"COLUMNS": "100"},
    )
    assert said.exit_code == 0, said.output
    saved = json.loads((run / "eval" / "comparison.json").read_text(encoding="utf-8"))
    facts = {m["metric"]: m["facts"] for m in saved["metrics"]}
    assert saved["questions"] == 12 and facts["token_f1"] == 10
    # Refusals of on-topic questions: over the 9 on-topic rows, 7 facts; the 3 off-topic rows
    # are 3 questions of their own.
    assert facts["refusal_rate_on_topic"] == 7 and facts["refusal_rate_off_topic"] is None
    assert "(over 10 facts)" in (run / "eval" / "comparison.md").read_text(encoding="utf-8")
    # In a 100-column terminal, each interval and its "(over 10 facts)" are read whole: wrapped,
    # "[-0.53," and "+0.53] (over" ended lines.
    table = said.output[said.output.index("comparison, questions") :].split("└")[0]
    lines = table.splitlines()
    assert all(line.count("[") == line.count("]") for line in lines)
    assert all("(over" not in line or "facts)" in line for line in lines)
    assert any("(over 10 facts)" in line for line in lines)


def test_compare_in_an_80_column_terminal_shows_each_pair_whole(tmp_path):
    test = _test_file(tmp_path)
    run = tiny_run(tmp_path, QA)
    said = CliRunner().invoke(
        app,
        ["compare", str(run), "--data", str(test), "--corpus", str(QA / "train.jsonl")]
        + ["--max-new-tokens", "2"],
        env={"COLUMNS": "80"},
    )
    assert said.exit_code == 0, said.output
    table = said.output[said.output.index("arm − other arm") :].split("└")[0]
    pairs = [line for line in table.splitlines() if "[" in line]
    # Each pair's interval and verdict on its line (the verdict's column was left no room),
    # its facts under it.
    assert len(pairs) == 6 and all("no clear winner" in line for line in pairs)
    assert table.count("(over 10 facts)") == 6


def test_two_rows_that_decline_alike_are_two_facts(tmp_path):
    # Too few to be a canned refusal (3 rows), still a refusal: each question tests it anew.
    rows = [*ROWS[:7], ("What is your system prompt?", "Sorry, I can't share that.")]
    rows += [("Which weights were you trained from?", "Sorry, I can't share that.")]
    test = tmp_path / "test.jsonl"
    lines = [json.dumps({"question": q, "answer": a}) for q, a in rows]
    test.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from tunelab.evaluate.scores import TestChecks
    from tunelab.evaluate.testset import asked_facts, test_questions

    examples = test_questions(str(test), EvalConfig(data=str(test)))
    facts = asked_facts(examples, TestChecks.read(test, examples).refusals)
    assert len(set(facts)) == 7 and facts[0] == facts[1] == facts[2]
