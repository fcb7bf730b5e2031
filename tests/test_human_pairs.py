"""`tunelab rate` pairs the models whose ratings are close more often, as Chatbot Arena samples
its pairs, and still shows every pair of models."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tunelab
from tunelab.cli import app
from tunelab.evaluate.human.answers import load_answers
from tunelab.evaluate.human.arena import Arena
from tunelab.evaluate.human.pairing import RateConfig, pair_chances

QUESTIONS = [f"Question {i}?" for i in range(6)]


def answer_sets(tmp_path: Path, models: tuple[str, ...]) -> list[Path]:
    paths = []
    for model in models:
        rows = [{"question": q, "answer": f"{model} says {i}"} for i, q in enumerate(QUESTIONS)]
        path = tmp_path / f"{model}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        paths.append(path)
    return paths


def judged(arena: Arena, better: dict[str, int], votes: int) -> None:
    """A judge who prefers the model ranked higher in `better` and calls equals a tie."""
    for _ in range(votes):
        token = arena.next()["token"]
        _, left, right = arena.shown[token]
        gap = better[left] - better[right]
        arena.vote(token, "left" if gap > 0 else "right" if gap < 0 else "tie")


def shown_pairs(arena: Arena, times: int) -> Counter:
    pairs = Counter()
    for _ in range(times):
        _, left, right = arena.shown[arena.next()["token"]]
        pairs[tuple(sorted((left, right)))] += 1
    return pairs


def test_once_ratings_exist_close_models_are_paired_most_and_every_pair_still_comes(tmp_path):
    # Two good models and a weak one: after the weak one lost every vote, a vote against it
    # says next to nothing; the two good ones are what the leaderboard cannot yet tell apart.
    answers = load_answers(answer_sets(tmp_path, ("good", "twin", "weak")))
    arena = Arena(answers, tmp_path / "votes.jsonl", seed=3)
    judged(arena, {"good": 1, "twin": 1, "weak": 0}, votes=30)
    pairs = shown_pairs(arena, 600)
    assert pairs[("good", "twin")] > 0.6 * 600
    assert pairs[("good", "weak")] > 0 and pairs[("twin", "weak")] > 0
    # Evenly, as before: the least-judged pairs first, whatever the ratings say.
    even = Arena(answers, tmp_path / "votes.jsonl", seed=3, config=RateConfig(pairs="even"))
    assert ("good", "twin") not in shown_pairs(even, 100)


def test_before_any_vote_every_pair_of_models_is_as_likely():
    chances = pair_chances({}, [("a", "b"), ("a", "c"), ("b", "c")], explore=0.2)
    assert set(chances.values()) == {1 / 3}
    far = pair_chances({"a": 1400, "b": 1400, "c": 600}, list(chances), explore=0.2)
    assert far[("a", "b")] > 0.8 and min(far.values()) > 0.2 / 3  # explore keeps a floor


def test_rate_takes_the_pairing_as_an_option(tmp_path):
    args = ["rate", *map(str, answer_sets(tmp_path, ("a", "b"))), "--votes", str(tmp_path / "v")]
    said = CliRunner().invoke(app, [*args, "--pairs", "even", "--results"])
    assert said.exit_code == 0, said.output
    wrong = CliRunner().invoke(app, [*args, "--pairs", "nearest", "--results"])
    assert "pairs: Input should be 'close' or 'even'" in str(wrong.exception)


def test_rate_from_python_reads_the_ratings_by_the_command_s_names(tmp_path):
    answers = answer_sets(tmp_path, ("a", "b"))
    judged(Arena(load_answers(answers), tmp_path / "v"), {"a": 1, "b": 0}, votes=6)
    rows = tunelab.rate(answers, votes=tmp_path / "v", results=True, pairs="even")
    assert [row["model"] for row in rows] == ["a", "b"] and rows[0]["votes"] == 6
    with pytest.raises(tunelab.TunelabError, match="pairs: Input should be 'close' or 'even'"):
        tunelab.rate(answers, votes=tmp_path / "v", results=True, pairs="nearest")


def shown_in_turn(arena: Arena, votes: int) -> str:
    """The pairs shown as `<question><left><right>`, each voted on as it comes."""
    said = []
    for _ in range(votes):
        token = arena.next()["token"]
        question, left, right = arena.shown[token]
        said.append(f"{QUESTIONS.index(question)}{left}{right}")
        arena.vote(token, "left" if left < right else "tie")
    return " ".join(said)


def test_a_seed_shows_the_same_pairs_in_the_same_order(tmp_path):
    # Recorded before the least-judged pairs were kept between draws rather than counted again
    # on each: a seed, and a restart reading the votes file back, still show these.
    answers = load_answers(answer_sets(tmp_path, ("a", "b", "c", "d")))
    recorded = {
        "close": (
            "1ac 4ab 4bc 3ab 5ab 1db 0db 1bc 2cd 4db 2db 5bd 3db 5cb 2bc "
            "1da 5ac 3cb 0ad 0bc 0cb 2ba 3cd 5da 1cb 2bc 5db 3bd 4ad 4cd",
            "4ac 0bd 5cd 2bd 2da 3ad 1ba 4cb 1db 0ab 1ba 3cb",
        ),
        "even": (
            "3da 4da 0db 1ac 0cb 1bc 2cd 1cd 3ac 4bc 2ba 4dc 5ba 0ca 0da "
            "1bd 2ca 5cd 2bc 3ab 1ba 4ac 5ca 5bd 4db 3bc 1da 2bd 3dc 2da",
            "0cd 5ad 0ab 3db 4ab 5bc 4cd 2ba 4ad 2cb 3ca 2dc",
        ),
    }
    for pairs, (first, after_restart) in recorded.items():
        votes, config = tmp_path / f"{pairs}.jsonl", RateConfig(pairs=pairs)
        assert shown_in_turn(Arena(answers, votes, seed=7, config=config), 30) == first
        assert shown_in_turn(Arena(answers, votes, seed=8, config=config), 12) == after_restart
