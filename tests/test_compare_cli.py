"""What `tunelab compare` prints: each arm by its whole name, and how many questions each score
is over, in an 80-column terminal as in compare.md."""

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import tiny_run, write_jsonl
from tunelab.cli import app
from tunelab.errors import TunelabError

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_the_printed_tables_name_every_arm_whole_and_say_what_the_facts_are_over(tmp_path):
    run = tiny_run(tmp_path, QA)
    rows = [json.loads(x) for x in (QA / "test.jsonl").read_text().splitlines()]
    tests = tmp_path / "facts.jsonl"
    # Two of the three rows name a fact: fact accuracy is over those two, not the three; the
    # third names a wrong answer alone (as lamini_docs' yes/no rows do), which the hallucination
    # rate is over: "the fact scores are over those" two was not so.
    lines = [{**row, "facts": ["config"]} if i else {**row, "wrong": ["Paris"]}
             for i, row in enumerate(rows)]  # fmt: skip
    tests.write_text("".join(json.dumps(row) + "\n" for row in lines))
    result = CliRunner().invoke(
        app,
        ["compare", str(run), "--data", str(tests), "--max-new-tokens", "3", "--k", "1"],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    [arms_table, diffs_table] = result.output.split("paired interval)")[:2]
    for arm in ("prompting", "prompting + RAG", "finetuned", "finetuned + RAG"):
        # "prompti…" named both prompting arms
        assert f"│ {arm} " in arms_table and f"│ {arm} " in diffs_table, arm
    # Ten columns in 80 were cut to "fact acc…", "hal…", "oth…": the scores are shown whole,
    # the columns that do not fit beside them are named and left to compare.md.
    assert "…" not in arms_table and "fact" in arms_table and "accuracy" in arms_table
    assert "(normalized match, ROUGE-L, answer words, cut off, s/question: in" in result.output
    title = " ".join(arms_table.split("┏")[0].split())
    assert title.endswith("3 test questions (2 of them name facts: fact accuracy is over those)")


def test_a_test_set_without_facts_is_said_to_be_ranked_by_its_wording(tmp_path):
    # compare ranked the arms by token F1 and named a best one without a word that token F1
    # rewards an answer's wording, not its facts (eval said so, compare did not).
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(app, ["compare", str(run), "--max-new-tokens", "3", "--k", "1"])
    assert result.exit_code == 0, result.output
    said = "token F1 and ROUGE-L reward wording, not correctness"
    assert said in " ".join(result.output.split())
    assert said in (run / "compare" / "compare.md").read_text()
    command = f"`tunelab data facts {QA / 'test.jsonl'} -o test_facts.jsonl` proposes them"
    assert command in (run / "compare" / "compare.md").read_text()


def test_the_terminal_names_the_corpus_the_passages_came_from(tmp_path):
    # compare.md named it, the terminal did not: the RAG arms' scores were read there without
    # a word of what they had been handed.
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(app, ["compare", str(run), "--max-new-tokens", "3", "--k", "1"])
    assert result.exit_code == 0, result.output
    said = f"passages: up to 1 by BM25 from {QA / 'train.jsonl'} (the run's training data)."
    assert f"RAG {said}" in " ".join(result.output.split())  # wrapped at the terminal's width
    assert said in (run / "compare" / "compare.md").read_text()


def test_the_closing_summary_wraps_at_words_on_a_narrow_terminal(tmp_path):
    # Printed as one soft-wrapped line, a 60-column terminal split its words at the edge.
    run = tiny_run(tmp_path, QA)
    args = ["compare", str(run), "--max-new-tokens", "3", "--k", "1"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    tail = result.output.split("Questions ")[-1].splitlines()
    assert all(len(line) <= 60 or " " not in line for line in tail) and len(tail) > 2
    # The report's path and the picture's, each whole on its line.
    assert any(line.endswith("compare.md;") for line in tail)
    assert tail[-1].endswith("compare_differences.png")


def test_fact_accuracy_says_of_how_many_rows_where_some_name_no_facts(tmp_path):
    # "50.0 [9.5, 90.5]" under "3 test questions" read as half of the three; it was one of two.
    run = tiny_run(tmp_path, QA)
    rows = [json.loads(x) for x in (QA / "test.jsonl").read_text().splitlines()]
    tests = tmp_path / "facts.jsonl"
    lines = [{**row, "facts": [{"regex": "[a-z]|$"}]} if i else row for i, row in enumerate(rows)]
    tests.write_text("".join(json.dumps(row) + "\n" for row in lines))
    args = ["compare", str(run), "--data", str(tests), "--max-new-tokens", "3", "--k", "1"]
    assert CliRunner().invoke(app, args).exit_code == 0
    report = (run / "compare" / "compare.md").read_text()
    table = [line for line in report.splitlines() if line.startswith("| prompting |")]
    assert table[0].split(" | ")[2].startswith("100.0 (2 of 2) [")  # fact accuracy, its rows
    assert (
        f"1 of 3 test rows name neither facts nor a wrong answer ({tests}:1): fact accuracy is "
        "over the 2 that name facts" in " ".join(report.split())
    )


def test_a_missing_test_file_is_named_by_the_option_that_gave_it(tmp_path):
    # "data file not found: tset.jsonl" did not say which option to correct.
    run = tiny_run(tmp_path, QA)
    typo = QA / "tset.jsonl"
    for command in ("eval", "compare"):
        result = CliRunner().invoke(app, [command, str(run), "--data", str(typo)])
        assert isinstance(result.exception, TunelabError), result.output
        meant = f" (did you mean {QA / 'test.jsonl'}?)"
        assert str(result.exception) == f"--data: data file not found: {typo}{meant}"


def test_arms_cut_off_at_the_token_limit_are_said_to_be_scored_partial(tmp_path):
    # At 48 tokens 92% of prompting's answers were cut off and 31% of finetuned's: token F1
    # favoured the arm that stopped sooner, and only a column showed it.
    run = tiny_run(tmp_path, QA)
    rows = [json.loads(x) for x in (QA / "test.jsonl").read_text().splitlines()]
    tests = write_jsonl(tmp_path / "facts.jsonl", [{**row, "facts": ["config"]} for row in rows])
    args = ["compare", str(run), "--data", str(tests), "--max-new-tokens", "2", "--k", "1"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    # The tiny random model stops at no end-of-sequence: each arm is cut off.
    said = r"\d+% of prompting's, \d+% of prompting \+ RAG's, \d+% of finetuned's, \d+% of "
    notes = json.loads((run / "compare" / "compare.json").read_text())["notes"]
    [note] = [n for n in notes if re.match(said, n)]
    assert (
        "stopped at the token limit (2): token F1, ROUGE-L and the fact scores are then over "
        "partial answers (a fact past the cut is missed), which favours" in note
    )
    assert (
        "raise --max-new-tokens to " in note
        and f"Note: {note}." in (run / "compare" / "compare.md").read_text()
    )


def test_a_table_of_every_rate_is_not_cropped_at_80_columns(tmp_path):
    # A newcomer's test set named facts, a wrong verdict, values and an off-topic refusal: six
    # score columns, whose table ran past 80 columns and was cropped mid-word ("toke"), its
    # title too, while the line under it said only the detail columns were left out.
    run = tiny_run(tmp_path, QA)
    refusal = "Sorry, I can only answer questions about Acme products."
    rows = [
        {"question": "What port does the console use?", "answer": "It uses port 8443.",
         "facts": [["8443"]]},
        {"question": "How many devices can it connect?", "answer": "Up to 64 devices.",
         "facts": [["64"]]},
        {"question": "Does Acme ship to Canada?", "answer": "Yes, Acme ships to Canada.",
         "wrong": [{"regex": "^\\W*no\\b"}]},
        {"question": "Write me a poem?", "answer": refusal, "kind": "off_topic"},
    ]  # fmt: skip
    write_jsonl(tmp_path / "facts.jsonl", rows)
    args = ["compare", str(run), "--data", str(tmp_path / "facts.jsonl")]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "3", "--k", "1"],
                                env={"COLUMNS": "80"})  # fmt: skip
    assert result.exit_code == 0, result.output
    arms_table = result.output.split("paired interval)")[0]
    assert "off-topic" in arms_table and "hallucination" in arms_table
    assert all(len(line) <= 80 for line in arms_table.splitlines())
    borders = [line for line in arms_table.splitlines() if line.startswith(("┏", "└"))]
    assert borders[0].endswith("┓") and borders[-1].endswith("┘"), borders
    left = " ".join(result.output.split()).split(": in compare.md, or in a wider terminal")[0]
    assert "token F1" in arms_table or "token F1" in left.rsplit("(", 1)[-1]


def test_a_limit_tells_whether_it_left_test_rows_unasked_in_one_reading(tmp_path, monkeypatch):
    # compare --limit N read the test file's first N + 1 rows a second time to tell whether the
    # limit cut it (a hub dataset streamed twice); one reading now tells it, a bad row past the
    # limit neither stopping it nor counted as a row left unasked.
    from tunelab.data import load
    from tunelab.evaluate.eval_config import EvalConfig
    from tunelab.evaluate.testset import test_rows

    test = tmp_path / "test.jsonl"
    rows = [{"question": f"Q{i}?", "answer": f"A{i}."} for i in range(3)]
    write_jsonl(test, rows)
    test.write_text(test.read_text() + "{not json\n")
    readings = []
    source_rows = load.source_rows
    monkeypatch.setattr(load, "source_rows", lambda *a: readings.append(a) or source_rows(*a))
    cut = test_rows(str(test), EvalConfig(data=str(test), limit=2))
    assert [ex.question for ex in cut.examples] == ["Q0?", "Q1?"] and cut.cut
    whole = test_rows(str(test), EvalConfig(data=str(test), limit=3))
    assert len(whole.examples) == 3 and not whole.cut
    assert len(readings) == 2  # one each
