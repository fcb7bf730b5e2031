"""`tunelab judge`: a judge model compares answer sets pairwise by a fixed rubric, both orders each,
against a scripted judge on a loopback server: verdicts beside the human votes, the same
leaderboard, inconsistent orders counted as ties, and Cohen's kappa against the human votes."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI, HTTPException
from typer.testing import CliRunner

import tunelab
from tests.conftest import write_jsonl
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.human.answers import load_answers
from tunelab.evaluate.human.records import cohen_kappa
from tunelab.evaluate.judge.asking import JudgeConfig
from tunelab.evaluate.judge.verdicts import judge
from tunelab.web import running

QUESTIONS = {  # question: (reference, the good model's answer, the bad model's answer)
    "What is tunelab?": ("A finetuning toolkit.", "A finetuning toolkit.", "A pasta."),
    "Does it need a GPU?": ("No.", "No.", "Yes, always."),
    "Where do runs go?": ("runs/<name>/", "runs/<name>/", "Nowhere."),
    "Who wrote it?": ("Its developers.", "Nobody knows.", "A cat."),  # neither is right
}
HUMAN_VOTES = [  # a person's votes on the same pairs, sides as the page showed them
    ("What is tunelab?", "good", "bad", "left"),
    ("Does it need a GPU?", "bad", "good", "right"),
    ("Where do runs go?", "good", "bad", "tie"),  # the judge will say good: a disagreement
    ("Who wrote it?", "bad", "good", "both_bad"),
]


def scripted_judge(calls: list, overloaded_at: int | None = None) -> FastAPI:
    """An OpenAI-compatible judge that prefers the answer equal to the reference, and otherwise
    always picks the first answer shown: a position bias the two orders must cancel. It reasons
    in 4 words before its verdict, so a max_tokens under 5 cuts the verdict off. Its request
    number `overloaded_at` (counting from 1) gets 503, as from a busy server."""

    def reply(text: str) -> str:
        reference = re.search(r"\[Reference answer\]\n(.*?)\n\n", text).group(1)
        first = re.search(r"\[Answer A\]\n(.*?)\n\n\[Answer B\]", text, re.S).group(1)
        second = re.search(r"\[Answer B\]\n(.*)$", text, re.S).group(1)
        verdict = "A" if first == reference else "B" if second == reference else "A"
        return f"Answer {verdict} is better. [[{verdict}]]"

    return scripted(calls, reply, overloaded_at)


def scripted(calls: list, reply, overloaded_at: int | None = None) -> FastAPI:
    """An OpenAI-compatible server whose chat reply is `reply(the last message)`, its first
    max_tokens words (finish_reason "length" where that cut it); its request number
    `overloaded_at` gets 503."""
    judge = FastAPI()
    requests = []

    @judge.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "scripted"}]}

    @judge.post("/v1/chat/completions")
    def chat(body: dict) -> dict:
        requests.append(body)
        if len(requests) == overloaded_at:
            raise HTTPException(503, "overloaded")
        calls.append(body)
        words = reply(body["messages"][-1]["content"]).split()
        ended = "length" if len(words) > body["max_tokens"] else "stop"
        content = " ".join(words[: body["max_tokens"]])
        message = {"role": "assistant", "content": content}
        return {"choices": [{"message": message, "finish_reason": ended}]}

    return judge


def write_answer_sets(folder):
    """The good and the bad model's answers to QUESTIONS in `folder`, and a person's votes on
    them in ratings/votes.jsonl: (the two answer files, the votes file)."""
    for model, column in (("good", 1), ("bad", 2)):
        rows = [
            {"question": q, "answer": v[column], "reference": v[0]} for q, v in QUESTIONS.items()
        ]
        write_jsonl(folder / f"{model}.jsonl", rows)
    votes = [{"question": q, "left": a, "right": b, "winner": w} for q, a, b, w in HUMAN_VOTES]
    write_jsonl((folder / "ratings").mkdir() or folder / "ratings" / "votes.jsonl", votes)
    return [folder / "good.jsonl", folder / "bad.jsonl"], folder / "ratings" / "votes.jsonl"


@pytest.fixture
def answer_sets(tmp_path):
    return write_answer_sets(tmp_path)


def test_a_scripted_judge_ranks_the_models_and_agrees_with_people_by_kappa(answer_sets):
    files, votes = answer_sets
    calls: list = []
    with running(scripted_judge(calls)) as url:
        result = tunelab.judge(files, judge=url, votes=str(votes))
        assert len(calls) == 8  # 4 questions, both orders
        assert "reference answer" in calls[0]["messages"][0]["content"]  # the rubric
        assert calls[0]["temperature"] == 0.0
        again = tunelab.judge(files, judge=url, votes=str(votes))
        assert len(calls) == 8 and len(again.records) == 4  # judged pairs are not asked again
    assert [r["model"] for r in result.ratings] == ["good", "bad"]
    assert result.inconsistent == 1 and result.no_verdict == []  # "Who wrote it?": a tie
    written = [json.loads(line) for line in (votes.parent / "judge.jsonl").read_text().splitlines()]
    assert {(r["source"], r["chosen_by"]) for r in written} == {(f"judge:{url}", "generation")}
    assert [(r["left"], r["right"]) for r in written] == [("bad", "good")] * 4
    assert [r["winner"] for r in written] == ["right", "right", "right", "tie"]  # questions sorted
    # Humans and judge agree on 3 of 4 pairs; by chance they would on half: kappa 0.5.
    assert result.agreement == {"kappa": pytest.approx(0.5), "agree": 3, "pairs": 4}


def test_the_judge_command_prints_the_leaderboard_and_the_agreement(answer_sets):
    files, votes = answer_sets
    with running(scripted_judge([])) as url:
        args = ["judge", *map(str, files), "--judge", url, "--votes", str(votes)]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "1 pairs judged differently in the two orders" in result.output
    assert "Cohen's kappa 0.50 (3 of 4 the same)" in result.output
    # The verdict `rate --results` gives: 3 wins and a tie on 4 questions decide nothing.
    assert re.search(r"good .*\bno clear winner vs bad", result.output), result.output


def test_a_rerun_of_the_judge_says_how_many_pairs_it_took_from_judge_jsonl(answer_sets):
    files, votes = answer_sets
    args = ["judge", *map(str, files), "--votes", str(votes)]
    calls: list = []
    with running(scripted_judge(calls)) as url:
        first = CliRunner().invoke(app, [*args, "--judge", url, "--limit", "3"])
        again = CliRunner().invoke(app, [*args, "--judge", url], env={"COLUMNS": "300"})
    assert first.exit_code == 0 and "already judged" not in first.output, first.output
    assert "3 pairs already judged in judge.jsonl: not asked again" in again.output, again.output
    assert len(calls) == 8  # 3 pairs in both orders, then the fourth alone


def test_a_judge_cut_short_before_its_verdict_is_not_a_tie_and_is_asked_again(answer_sets):
    files, votes = answer_sets
    calls: list = []
    with running(scripted_judge(calls)) as url:
        cut = tunelab.judge(files, judge=url, votes=str(votes), max_new_tokens=3)
        # No verdict is neither a tie in the ratings nor an item of the agreement with people.
        assert len(cut.no_verdict) == 4 and cut.records == []
        assert cut.ratings == [] and cut.agreement == {}
        assert {r["winner"] for r in verdicts_in(votes)} == {None}
        args = ["judge", *map(str, files), "--judge", url, "--votes", str(votes)]
        printed = CliRunner().invoke(app, [*args, "--max-new-tokens", "3"], env={"COLUMNS": "200"})
        assert "4 pairs with no verdict (a reply without [[A]], [[B]] or [[C]])" in printed.output
        assert "cut short: a judge cut short needs a larger --max-new-tokens (now 3)" in (
            " ".join(printed.output.split())
        )
        assert len(calls) == 16  # asked again: both runs, 4 pairs, both orders
        calls.clear()
        result = tunelab.judge(files, judge=url, votes=str(votes), max_new_tokens=16)
        assert len(calls) == 8  # the larger budget is used at once
        again = tunelab.judge(files, judge=url, votes=str(votes))
        assert len(calls) == 8  # the pairs with a verdict are done
    assert result.no_verdict == [] and again.no_verdict == [] and len(result.records) == 4
    assert [r["model"] for r in result.ratings] == ["good", "bad"]
    assert result.agreement == {"kappa": pytest.approx(0.5), "agree": 3, "pairs": 4}


def test_cohen_kappa_is_one_for_full_agreement_and_zero_at_chance():
    assert cohen_kappa([("a", "a"), ("b", "b"), ("tie", "tie")]) == 1.0
    assert cohen_kappa([("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]) == pytest.approx(0.0)


def test_judging_without_a_judge_says_how_to_name_one(answer_sets):
    files, votes = answer_sets
    result = CliRunner().invoke(app, ["judge", *map(str, files), "--votes", str(votes)])
    assert "say who judges: --judge" in str(result.exception)


def test_verdicts_on_other_answers_are_not_reused_and_limit_takes_the_files_first_questions(
    answer_sets,
):
    files, votes = answer_sets
    calls: list = []
    with running(scripted_judge(calls)) as url:
        first = tunelab.judge(files, judge=url, votes=str(votes), limit=2)
        # The first two questions as the files list them, not as sorted.
        assert [r["question"] for r in first.records] == list(QUESTIONS)[:2]
        # The bad model answers one question anew (retrained): that pair is judged again, and
        # its old verdict, on another answer, no longer counts.
        rows = [json.loads(line) for line in files[1].read_text().splitlines()]
        rows[0]["answer"] = "A toolkit for finetuning."
        write_jsonl(files[1], rows)
        calls.clear()
        again = tunelab.judge(files, judge=url, votes=str(votes), limit=2)
        assert len(calls) == 2  # one pair, both orders
        # A smaller limit after a larger one reports on its own questions (it reported all).
        one = tunelab.judge(files, judge=url, votes=str(votes), limit=1)
    assert len(calls) == 2 and [r["question"] for r in one.records] == list(QUESTIONS)[:1]
    assert len(again.records) == 2 and again.records[-1]["winner"] == "right"


def test_a_judge_that_ends_its_replies_without_a_verdict_is_not_told_to_raise_the_limit(
    answer_sets,
):
    # A 135M judge behind `tunelab serve` answered "The answer is 1." (5 tokens of 16), and the
    # output said to raise --max-new-tokens, which changes nothing for a judge that ends itself.
    files, votes = answer_sets
    with running(scripted([], lambda text: "The answer is 1.")) as url:
        args = ["judge", *map(str, files), "--judge", url, "--votes", str(votes)]
        printed = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    said = " ".join(printed.output.split())
    assert "4 pairs with no verdict" in said and "--max-new-tokens (now" not in said
    assert "the judge does not keep to the reply format" in said
    assert "no verdicts of " in said and "judged differently" not in said  # no empty table
    assert {tuple(r["finish_reasons"]) for r in verdicts_in(votes)} == {("stop", "stop")}


def verdicts_in(votes) -> list[dict]:
    return [json.loads(line) for line in (votes.parent / "judge.jsonl").read_text().splitlines()]


def test_a_judge_error_midway_keeps_the_verdicts_made_and_a_rerun_asks_only_the_rest(answer_sets):
    files, votes = answer_sets
    calls: list = []
    with running(scripted_judge(calls, overloaded_at=5)) as url:
        with pytest.raises(TunelabError, match="503.* 2 verdicts of this run are kept"):
            tunelab.judge(files, judge=url, votes=str(votes))
        assert len(verdicts_in(votes)) == 2  # both orders of 2 questions were answered
        result = tunelab.judge(files, judge=url, votes=str(votes))
    assert len(calls) == 8  # the 2 questions left, both orders, on the rerun
    assert len(result.records) == 4 and len(verdicts_in(votes)) == 4
    assert [r["model"] for r in result.ratings] == ["good", "bad"]


def test_ctrl_c_keeps_the_verdicts_made_and_says_how_many(answer_sets):
    files, votes = answer_sets
    config = JudgeConfig(judge="scripted", votes=str(votes))

    def interrupted_at_the_fourth_reply(conversations):
        yield from ["[[A]]"] * 3
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match="1 verdict of this run is kept"):
        judge(load_answers(files), config, interrupted_at_the_fourth_reply)
    assert len(verdicts_in(votes)) == 1  # the first pair: both its orders were answered
    asked_again: list = []
    result = judge(
        load_answers(files), config, lambda c: asked_again.extend(c) or ["[[C]]"] * len(c)
    )
    assert len(asked_again) == 6 and len(result.records) == 4  # 3 pairs left, both orders


def test_ctrl_c_after_every_verdict_is_written_says_none_was_lost(answer_sets, monkeypatch):
    # A stop while the verdicts were being rated printed only "interrupted", as though some
    # were lost: every one was in judge.jsonl, and a rerun asks the judge nothing.
    from tunelab.evaluate.judge import verdicts

    files, votes = answer_sets
    calls: list = []

    def stopped_while_rating(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(verdicts, "leaderboard", stopped_while_rating)
    with running(scripted_judge(calls)) as url:
        said = CliRunner().invoke(
            app, ["judge", *map(str, files), "--votes", str(votes), "--judge", url]
        )
        assert said.exit_code == 130  # stopped as by Ctrl-C, after one line
        said_all = (
            f"interrupted while rating; all 4 verdicts are in {votes.parent / 'judge.jsonl'}: "
            "run again to rate them (nothing is asked again)"
        )
        assert "".join(said_all.split()) in "".join(said.output.split())  # a long path wraps
        assert said.output.count("interrupted") == 1  # no bare "interrupted" after it
        monkeypatch.undo()
        result = tunelab.judge(files, judge=url, votes=str(votes))
    assert len(calls) == 8 and len(result.records) == 4  # the rerun asked nothing


def test_a_judge_that_answers_fewer_conversations_than_asked_is_an_error(answer_sets):
    # zip stopped at the shorter: the pairs left were dropped without a word.
    files, votes = answer_sets
    config = JudgeConfig(judge="scripted", votes=str(votes))
    with pytest.raises(
        TunelabError, match="the judge gave 3 replies to 8 conversations; 1 verdict "
    ):
        judge(load_answers(files), config, lambda conversations: ["[[A]]"] * 3)
    assert len(verdicts_in(votes)) == 1


def test_another_model_behind_the_same_server_is_another_judge(answer_sets):
    # Verdicts were keyed on the URL alone: --judge-model qwen2.5:14b on the Ollama server that
    # had judged with qwen2.5:7b was never asked, and its table showed the 7b's verdicts.
    files, votes = answer_sets
    calls: list = []
    with running(scripted_judge(calls)) as url:
        tunelab.judge(files, judge=url, judge_model="small", votes=str(votes))
        tunelab.judge(files, judge=url, judge_model="large", votes=str(votes))
        assert len(calls) == 16 and {c["model"] for c in calls} == {"small", "large"}
        tunelab.judge(files, judge=url, judge_model="large", votes=str(votes))
        assert len(calls) == 16


def test_every_pair_is_judged_against_the_reference_whichever_set_carries_it(answer_sets, tmp_path):
    # The reference came from the pair's first set by name: a hand-made file without one, named
    # "a...", hid it from its pairs.
    files, votes = answer_sets
    rows = [{"question": q, "answer": f"Perhaps {v[1]}"} for q, v in QUESTIONS.items()]
    write_jsonl(tmp_path / "a_noref.jsonl", rows)
    calls: list = []
    with running(scripted_judge(calls)) as url:
        tunelab.judge([tmp_path / "a_noref.jsonl", *files], judge=url, votes=str(votes), limit=1)
    assert len(calls) == 6
    assert all("[Reference answer]\nA finetuning toolkit." in c["messages"][-1]["content"]
               for c in calls)  # fmt: skip


def test_pairs_whose_answers_are_the_same_text_are_not_judged_and_the_count_is_said(
    answer_sets, tmp_path
):
    # `tunelab rate` never shows such a pair; the judge asked about it, and its coin flip (or a
    # small judge's side preference) counted as a verdict.
    files, votes = answer_sets
    rows = [{"question": q, "answer": v[1] + " "} for q, v in QUESTIONS.items()]
    write_jsonl(tmp_path / "copy.jsonl", rows)  # the good model's answers, word for word
    calls: list = []
    with running(scripted_judge(calls)) as url:
        args = ["judge", *map(str, [*files, tmp_path / "copy.jsonl"]), "--judge", url]
        result = CliRunner().invoke(app, [*args, "--votes", str(votes)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert len(calls) == 16  # copy vs bad and good vs bad on 4 questions, both orders
    assert "4 pairs whose two answers are the same text" in result.output
    assert {frozenset((r["left"], r["right"])) for r in verdicts_in(votes)} == {
        frozenset(("bad", "copy")),
        frozenset(("bad", "good")),
    }


def test_judging_answer_sets_that_say_the_same_is_refused_as_rating_them_is(tmp_path):
    # It printed an empty leaderboard: every pair's answers were one text, so none was asked.
    rows = [{"question": q, "answer": v[1], "reference": v[0]} for q, v in QUESTIONS.items()]
    files = [write_jsonl(tmp_path / f"{name}.jsonl", rows) for name in ("a", "b")]
    config = JudgeConfig(judge="scripted", votes=str(tmp_path / "votes.jsonl"))
    with pytest.raises(TunelabError, match="every answer set gives the same answers"):
        judge(load_answers(files), config, lambda conversations: [])


def test_a_mistyped_answer_set_is_answered_with_the_one_meant(tmp_path):
    rows = [{"question": q, "answer": v[1], "reference": v[0]} for q, v in QUESTIONS.items()]
    (tmp_path / "runs" / "lr-high" / "eval").mkdir(parents=True)
    write_jsonl(tmp_path / "runs" / "lr-high" / "eval" / "predictions.jsonl", rows)
    result = CliRunner().invoke(
        app, ["judge", str(tmp_path / "runs" / "lr-hihg"), "--judge", "tiny-random"]
    )
    assert f"(did you mean {tmp_path / 'runs' / 'lr-high'}?)" in str(result.exception)
