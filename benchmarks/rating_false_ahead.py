"""How often does `tunelab rate`'s leaderboard call a model "ahead" of one exactly as strong?
Simulated judges vote on pairs of models, question by question; equal models ("twins") should
be told apart no more than about 5% of the time (a 95% interval of their gap, either side).
Run it on two commits to compare how the bootstrap draws its rounds.

    python benchmarks/rating_false_ahead.py        # markdown table for benchmarks/README.md
"""

from __future__ import annotations

import random

from tunelab.evaluate.human.ratings import leaderboard

# (true ratings, questions, votes per question, simulated boards)
SETTINGS = [
    ({"t1": 1000, "t2": 1000}, 10, 1, 150),
    ({"t1": 1000, "t2": 1000}, 12, 1, 150),
    ({"t1": 1000, "t2": 1000}, 20, 1, 150),
    ({"t1": 1000, "t2": 1000}, 10, 3, 150),
    ({"t1": 1000, "t2": 1000, "s": 1200}, 12, 2, 150),
    ({"t1": 1000, "t2": 1000, "s": 1400}, 10, 3, 150),
    ({m: 1000 for m in "wxyz"}, 12, 2, 100),
    ({m: 1000 for m in "wxyz"}, 20, 2, 100),
    ({m: 1000 for m in "wxyz"}, 15, 4, 100),
]


def votes_for(true: dict[str, float], questions: int, per_question: int, rng: random.Random):
    """Votes on random pairs, `per_question` a question, each won with the Elo chance."""
    votes, asked = [], []
    for question in range(questions):
        for _ in range(per_question):
            a, b = rng.sample(sorted(true), 2)
            chance = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))
            votes.append((a, b, float(rng.random() < chance)))
            asked.append(question)
    return votes, asked


def false_ahead(true: dict[str, float], questions: int, per_question: int, boards: int) -> float:
    """The share of boards that call one of two equally strong neighbours ahead of the other."""
    rng, wrong = random.Random(7), 0
    for seed in range(boards):
        votes, asked = votes_for(true, questions, per_question, rng)
        board = leaderboard(votes, rounds=100, seed=seed, questions=asked)
        wrong += any(
            true[upper.model] == true[lower.model] and upper.vs_next.startswith("ahead")
            for upper, lower in zip(board, board[1:])
        )
    return wrong / boards


def main() -> None:
    print("| models (true ratings) | questions x votes | boards | a twin called ahead |")
    print("|---|---|---|---|")
    for true, questions, per_question, boards in SETTINGS:
        share = false_ahead(true, questions, per_question, boards)
        models = ", ".join(f"{m} {r}" for m, r in sorted(true.items()))
        print(f"| {models} | {questions} x {per_question} | {boards} | {share:.1%} |", flush=True)


if __name__ == "__main__":
    main()
