"""The leaderboards of `tunelab judge` (pairwise) and `tunelab rate` over a test set of `tunelab
data augment`'s rephrasings: each answer carries its test row's source_key (as `tunelab eval`
writes it), and the bootstrap draws facts, all the comparisons of one fact together, as eval's
paired intervals do; without source keys they are what they were."""

from __future__ import annotations

import re

from typer.testing import CliRunner

import tunelab
from tests.conftest import write_jsonl
from tests.test_judge import scripted_judge
from tunelab.cli import app
from tunelab.evaluate.human.ratings import leaderboard
from tunelab.web import running

# 4 facts, each asked 3 ways: "good" answers each as its reference does, "bad" never.
QUESTIONS = [(f"What is code {n}, way {way}?", f"It is {n}0.", n) for n in range(1, 5)
             for way in range(3)]  # fmt: skip


def rephrased_sets(folder, source_keys: bool) -> list[str]:
    """The two answer sets, each answer with its fact's source_key where `source_keys`."""
    folder.mkdir()
    for model in ("good", "bad"):
        rows = [{"question": q, "reference": reference,
                 "answer": reference if model == "good" else "It is 7.",
                 **({"source_key": f"code {n}"} if source_keys else {})}
                for q, reference, n in QUESTIONS]  # fmt: skip
        write_jsonl(folder / f"{model}.jsonl", rows)
    return [str(folder / "good.jsonl"), str(folder / "bad.jsonl")]


def test_the_judges_leaderboard_draws_the_facts_a_rephrased_set_asks(tmp_path):
    with running(scripted_judge([])) as url:
        judged = {}
        for keys in (True, False):
            files = rephrased_sets(tmp_path / str(keys), keys)
            votes = str(tmp_path / str(keys) / "votes.jsonl")
            args = ["judge", *files, "--judge", url, "--votes", votes]
            judged[keys] = (
                tunelab.judge(files, judge=url, votes=votes),
                CliRunner().invoke(app, args, env={"COLUMNS": "200"}).output,
            )
    (keyed, printed), (plain, printed_plain) = judged[True], judged[False]
    good = keyed.ratings[0]
    assert (good["model"], good["questions"], good["facts"]) == ("good", 12, 4)
    # 12 questions that all went one way name "good"; 4 facts do not.
    assert good["vs_next"] == "no clear winner vs bad (4 facts, under 10)"
    assert re.search(r"good .*\d+ \(\d+–\d+\) \(over 4 facts\)", printed), printed
    # Without source keys each question is a fact of its own, exactly as before.
    votes = [("bad", "good", 0.0)] * len(QUESTIONS)
    questions = [q for q, _, _ in QUESTIONS]
    assert plain.ratings == [vars(r) for r in leaderboard(votes, questions=questions)]
    assert plain.ratings[0]["vs_next"] == "ahead of bad" and "facts)" not in printed_plain


def test_rates_leaderboard_draws_the_facts_a_rephrased_set_asks(tmp_path):
    boards = {}
    for keys in (True, False):
        files = rephrased_sets(tmp_path / str(keys), keys)
        votes = tmp_path / str(keys) / "votes.jsonl"  # a person preferring "good" every time
        write_jsonl(votes, [{"question": q, "left": "bad", "right": "good", "winner": "right"}
                            for q, _, _ in QUESTIONS])  # fmt: skip
        args = ["rate", *files, "--votes", str(votes), "--results"]
        boards[keys] = (
            tunelab.rate(files, votes=votes, results=True),
            CliRunner().invoke(app, args, env={"COLUMNS": "200"}).output,
        )
    (keyed, printed), (plain, printed_plain) = boards[True], boards[False]
    assert (keyed[0]["model"], keyed[0]["questions"], keyed[0]["facts"]) == ("good", 12, 4)
    assert keyed[0]["vs_next"] == "no clear winner vs bad (4 facts, under 10)"
    assert re.search(r"good .*\d+–\d+ \(over 4 facts\)", printed), printed
    votes = [("bad", "good", 0.0)] * len(QUESTIONS)
    questions = [q for q, _, _ in QUESTIONS]
    assert plain == [vars(r) for r in leaderboard(votes, questions=questions)]
    assert "facts)" not in printed_plain
