"""`tunelab judge --grade`: a judge model grades each answer alone against its reference, judged
right and judged false, against a scripted grader on a loopback server: each set's rates with
their intervals, the paired difference between two sets, grades kept and resumed, and the
agreement with tunelab's own fact score by Cohen's kappa."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

import tunelab
from tests.conftest import write_jsonl
from tests.test_judge import scripted, write_answer_sets
from tunelab.cli import app
from tunelab.evaluate.human.answers import load_answers
from tunelab.evaluate.judge.asking import JudgeConfig
from tunelab.evaluate.judge.grades import grade, read_grade
from tunelab.evaluate.paired import paired_difference
from tunelab.web import running


@pytest.fixture
def answer_sets(tmp_path):
    return write_answer_sets(tmp_path)


def scripted_grader(calls: list) -> FastAPI:
    """An OpenAI-compatible judge that grades one answer as a careful reader would on these
    questions: right when it is the reference, false when it claims something else ("Nobody
    knows." claims nothing). Its reply puts words before each verdict, so a small max_tokens cuts
    the second off."""

    def reply(text: str) -> str:
        reference = re.search(r"\[Reference answer\]\n(.*?)\n\n", text).group(1)
        answer = re.search(r"\[Answer\]\n(.*)$", text, re.S).group(1)
        right = "RIGHT" if answer == reference else "WRONG"
        false = "NO FALSE" if answer in (reference, "Nobody knows.") else "FALSE"
        return f"Facts: [[{right}]] Claims: [[{false}]]"

    return scripted(calls, reply)


def grades_in(votes) -> list[dict]:
    return [json.loads(line) for line in (votes.parent / "grades.jsonl").read_text().splitlines()]


def test_grading_gives_each_answer_set_its_judged_right_and_false_rates(answer_sets):
    files, votes = answer_sets
    calls: list = []
    with running(scripted_grader(calls)) as url:
        result = tunelab.judge(files, judge=url, votes=str(votes), grade=True)
        assert len(calls) == 8  # each answer alone, once
        assert "[[NO FALSE]]" in calls[0]["messages"][0]["content"]  # the rubric
        again = tunelab.judge(files, judge=url, votes=str(votes), grade=True)
        assert len(calls) == 8 and len(again.records) == 8  # graded answers are not asked again
    good, bad = result.sets
    assert (good["model"], good["graded"], bad["graded"]) == ("good", 4, 4)
    # Wilson's 95% intervals: 3 of 4 right, none false; none right, all 4 false.
    assert (good["right"].delta, good["right"].low) == (0.75, pytest.approx(0.301, abs=1e-3))
    assert (good["false"].delta, good["false"].high) == (0.0, pytest.approx(0.490, abs=1e-3))
    assert (bad["right"].delta, bad["false"].delta, bad["false"].low) == (
        0.0, 1.0, pytest.approx(0.510, abs=1e-3))  # fmt: skip
    written = grades_in(votes)
    assert {(r["model"], r["right"], r["false"]) for r in written if r["question"] == "Who wrote it?"
            } == {("good", False, False), ("bad", False, True)}  # fmt: skip
    assert {r["source"] for r in written} == {f"judge:{url}"}
    # 4 questions decide nothing, however far apart the two sets are.
    right = result.differences[0]
    assert (right["measure"], right["first"], right["second"]) == ("right", "good", "bad")
    assert right["difference"].delta == 0.75
    assert right["ahead"] == "no clear winner (4 questions, under 10)"


def test_a_rerun_of_grading_says_how_many_answers_it_took_from_grades_jsonl(answer_sets):
    files, votes = answer_sets
    args = ["judge", *map(str, files), "--votes", str(votes), "--grade"]
    calls: list = []
    with running(scripted_grader(calls)) as url:
        first = CliRunner().invoke(app, [*args, "--judge", url, "--limit", "3"])
        again = CliRunner().invoke(app, [*args, "--judge", url], env={"COLUMNS": "300"})
    assert first.exit_code == 0 and "already graded" not in first.output, first.output
    assert "6 answers already graded in grades.jsonl: not asked again" in again.output, again.output
    assert len(calls) == 8  # 3 questions of 2 sets, then each set's fourth answer


def test_on_enough_questions_the_paired_difference_names_the_better_set(tmp_path):
    # A lower judged-false rate is the better one: "good" is ahead on both rates.
    for model, answer in (("good", "It is {}0."), ("bad", "It is 7.")):
        rows = [{"question": f"What is code {n}?", "reference": f"It is {n}0.",
                 "answer": answer.format(n)} for n in range(1, 13)]  # fmt: skip
        write_jsonl(tmp_path / f"{model}.jsonl", rows)
    files = [tmp_path / "bad.jsonl", tmp_path / "good.jsonl"]
    with running(scripted_grader([])) as url:
        args = ["judge", *map(str, files), "--judge", url, "--grade"]
        printed = CliRunner().invoke(app, [*args, "--votes", str(tmp_path / "v.jsonl")],
                                     env={"COLUMNS": "200"})  # fmt: skip
    assert printed.exit_code == 0, printed.output
    assert re.search(r"judged right .*bad − good .*-100 \[-100, -\d+\] .*12 .*good", printed.output)
    assert re.search(
        r"judged false .*bad − good .*\+100 \[\+\d+, \+100\] .*12 .*good", printed.output
    )
    assert re.search(r"good .*12 .*100% \(76–100\) .*0% \(0–24\)", printed.output)


def _graded_rephrasings(folder, url: str, source_keys: bool):
    """4 facts asked 3 ways each, as `tunelab data augment` writes them (with `source_keys`, each
    answer carries its test row's, as `tunelab eval` writes it): "good" states every fact, "bad"
    none. What `judge --grade` returns, and what it prints."""
    folder.mkdir()
    for model, answer in (("good", "It is {}0."), ("bad", "It is 7.")):
        rows = [{"question": f"What is code {n}, way {way}?", "reference": f"It is {n}0.",
                 "answer": answer.format(n), **({"source_key": f"code {n}"} if source_keys else {})}
                for n in range(1, 5) for way in range(3)]  # fmt: skip
        write_jsonl(folder / f"{model}.jsonl", rows)
    files, votes = [str(folder / "good.jsonl"), str(folder / "bad.jsonl")], str(folder / "v.jsonl")
    result = tunelab.judge(files, judge=url, votes=votes, grade=True)
    args = ["judge", *files, "--judge", url, "--grade", "--votes", votes]
    return result, CliRunner().invoke(app, args, env={"COLUMNS": "200"}).output


def test_rephrasings_of_one_fact_give_an_interval_over_the_facts(tmp_path):
    with running(scripted_grader([])) as url:
        rephrased, printed = _graded_rephrasings(tmp_path / "keyed", url, source_keys=True)
        plain, printed_plain = _graded_rephrasings(tmp_path / "plain", url, source_keys=False)
    right = rephrased.differences[0]
    assert (right["difference"].n, right["difference"].clusters) == (12, 4)
    # 12 questions that all improved would name "good"; 4 facts do not.
    assert right["ahead"] == "no clear winner (4 facts, under 10)"
    # No surer than the 4 facts asked once (+100 [+31, +100]); it read [+100, +100].
    assert re.search(r"judged right .*good − bad .*\+100 \[\+2, \+100\] \(over 4 facts\) .*12 ",
                     printed)  # fmt: skip
    # Without source keys each question is a fact of its own, exactly as before.
    assert plain.differences[0]["difference"] == paired_difference([0.0] * 12, [1.0] * 12)
    assert plain.differences[0]["ahead"] == "good" and "facts)" not in printed_plain


def test_sets_that_answer_other_questions_are_each_graded_and_paired_on_the_shared_ones(tmp_path):
    # A hand-made set of other questions beside an eval's answers: each answer is graded; only
    # the question both answer is paired (it stopped grading in a KeyError).
    write_jsonl(tmp_path / "run.jsonl", [
        {"question": "Port?", "reference": "8000.", "answer": "8000."},
        {"question": "Host?", "reference": "localhost.", "answer": "GPT."},
    ])  # fmt: skip
    write_jsonl(tmp_path / "mine.jsonl", [
        {"question": "Port?", "reference": "8000.", "answer": "8080."},
        {"question": "Model?", "reference": "SmolLM2.", "answer": "SmolLM2."},
    ])  # fmt: skip
    files = [tmp_path / "run.jsonl", tmp_path / "mine.jsonl"]
    with running(scripted_grader([])) as url:
        result = tunelab.judge(files, judge=url, grade=True, votes=str(tmp_path / "v.jsonl"))
    assert [(s["model"], s["graded"], s["right"].delta) for s in result.sets] == [
        ("run", 2, 0.5), ("mine", 2, 0.5)]  # fmt: skip
    assert [(d["measure"], d["difference"].n) for d in result.differences] == [
        ("right", 1), ("false", 1)]  # fmt: skip


def test_a_reply_without_both_grades_is_no_grade_and_is_asked_again(answer_sets):
    files, votes = answer_sets
    calls: list = []
    with running(scripted_grader(calls)) as url:
        args = ["judge", *map(str, files), "--judge", url, "--votes", str(votes), "--grade"]
        cut = CliRunner().invoke(app, [*args, "--max-new-tokens", "3"], env={"COLUMNS": "200"})
        assert "8 answers with no grade" in cut.output  # "Facts: [[RIGHT]] Claims:"
        assert {r["right"] for r in grades_in(votes)} == {None}
        result = tunelab.judge(files, judge=url, votes=str(votes), grade=True)
    assert len(calls) == 16 and result.no_verdict == [] and len(result.records) == 8
    assert result.sets[0]["right"].delta == 0.75


def test_a_grade_is_read_only_when_each_verdict_is_given_one_way():
    assert read_grade("[[RIGHT]] [[NO FALSE]]") == (True, False)
    assert read_grade("[[wrong]]\n[[ False ]]") == (False, True)
    assert read_grade('"[[RIGHT]]" or "[[WRONG]]", then [[FALSE]]') is None  # the rubric echoed
    assert read_grade("[[RIGHT]]") is None


def test_grading_one_set_agrees_with_its_fact_score_by_kappa(tmp_path):
    # Tunelab's fact accuracy calls 2 of 3 right; the judge, 1 of them (an answer the rule
    # credits for naming the fact, which the judge does not find the reference in).
    rows = [
        {"question": "Port?", "reference": "8000.", "answer": "8000.", "facts": {"fact_accuracy": 1.0}},
        {"question": "Host?", "reference": "localhost.", "answer": "It is on localhost, maybe.",
         "facts": {"fact_accuracy": 1.0}},
        {"question": "Model?", "reference": "SmolLM2.", "answer": "GPT.", "facts": {"fact_accuracy": 0.0}},
        {"question": "Unscored?", "answer": "no reference, not graded"},
    ]  # fmt: skip
    write_jsonl(tmp_path / "run.jsonl", rows)
    with running(scripted_grader([])) as url:
        result = tunelab.judge([tmp_path / "run.jsonl"], judge=url, grade=True,
                               votes=str(tmp_path / "v.jsonl"))  # fmt: skip
    assert result.no_reference == 1 and result.differences == []
    # Agree on 2 of 3; by chance on 4/9: kappa (2/3 - 4/9) / (5/9) = 0.4.
    assert result.sets[0]["agreement"] == {"kappa": pytest.approx(0.4), "agree": 2, "answers": 3}


def test_ctrl_c_keeps_the_grades_made_and_a_rerun_asks_only_the_rest(answer_sets):
    files, votes = answer_sets
    config = JudgeConfig(judge="scripted", votes=str(votes), grade=True)

    def interrupted_at_the_fourth_reply(conversations):
        yield from ["[[RIGHT]] [[NO FALSE]]"] * 3
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match="3 verdicts of this run are kept"):
        grade(load_answers(files), config, interrupted_at_the_fourth_reply)
    asked_again: list = []
    result = grade(
        load_answers(files),
        config,
        lambda c: asked_again.extend(c) or ["[[WRONG]] [[FALSE]]"] * len(c),
    )
    assert len(asked_again) == 5 and len(grades_in(votes)) == 8
    assert [s["right"].delta for s in result.sets] == [0.75, 0.0]  # good: its first 3 right


def test_ctrl_c_after_every_grade_is_written_says_which_a_rerun_asks_again(
    answer_sets, monkeypatch
):
    # A stop while the rates were worked out printed only "interrupted": every grade was kept.
    from tunelab.evaluate.judge import grades

    files, votes = answer_sets
    config = JudgeConfig(judge="scripted", votes=str(votes), grade=True)
    replies = ["[[RIGHT]] [[NO FALSE]]"] * 6 + ["no grade"] * 2

    def stopped_while_rating(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(grades, "differences", stopped_while_rating)
    with pytest.raises(KeyboardInterrupt) as stop:
        grade(load_answers(files), config, lambda conversations: replies)
    assert str(stop.value) == (
        f"interrupted while rating; all 6 grades are in {votes.parent / 'grades.jsonl'}: run "
        "again to rate them (only the 2 answers without a grade are asked again)"
    )
    assert len(grades_in(votes)) == 8
