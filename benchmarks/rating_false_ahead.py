"""How often does `tunelab rate`'s leaderboard call a model "ahead" of one exactly as strong, and
how often one 100 points stronger? Simulated judges vote on pairs of models, question by
question; equal models ("twins") should be told apart no more than about 5% of the time (a 95%
interval of their gap, either side), and a real gap as often as the questions allow.
Run it on two commits to compare how "ahead" is decided. With --rephrased: twins judged on a
test set of `tunelab data augment`'s rephrasings, each fact asked WAYS ways whose votes mostly go
one way together, the leaderboard drawing questions (no source keys) or facts.

    python benchmarks/rating_false_ahead.py              # markdown table for benchmarks/README.md
    python benchmarks/rating_false_ahead.py --rephrased
"""

from __future__ import annotations

import random
import sys

from tunelab.evaluate.human.ratings import leaderboard

QUESTIONS = (10, 12, 15, 20, 30)
MODELS = (2, 3, 4)
TWIN_BOARDS, GAP_BOARDS = 400, 200
GAP = 100  # the one real gap: a model this far above the others
FACTS, WAYS, AGREE = (10, 12, 20), 3, 0.9  # each way of asking goes its fact's way 90% of votes


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


def boards(true: dict[str, float], questions: int, per_question: int, count: int):
    """`count` leaderboards of simulated votes, the same ones on every commit."""
    rng = random.Random(7)
    for seed in range(count):
        votes, asked = votes_for(true, questions, per_question, rng)
        yield leaderboard(votes, rounds=100, seed=seed, questions=asked)


def false_ahead(true: dict[str, float], questions: int, per_question: int, count: int) -> float:
    """The share of boards that call one of two equally strong neighbours ahead of the other."""
    wrong = sum(
        any(
            true[upper.model] == true[lower.model] and upper.vs_next.startswith("ahead")
            for upper, lower in zip(board, board[1:])
        )
        for board in boards(true, questions, per_question, count)
    )
    return wrong / count


def power(true: dict[str, float], questions: int, per_question: int, count: int) -> float:
    """The share of boards that rank the strongest model first and call it ahead."""
    best = max(true, key=true.get)
    right = sum(
        board[0].model == best and board[0].vs_next.startswith("ahead")
        for board in boards(true, questions, per_question, count)
    )
    return right / count


def rephrased_false_ahead(facts: int, count: int, by_fact: bool) -> float:
    """The share of boards of two equal models, one vote on each of `facts` facts asked WAYS ways,
    that call one ahead; the leaderboard draws facts where `by_fact` (the answers' source keys)."""
    rng = random.Random(7)
    wrong = 0
    for seed in range(count):
        votes, asked, of_fact = [], [], []
        for fact in range(facts):
            won = float(rng.random() < 0.5)  # equal models: either wins a fact
            for way in range(WAYS):
                votes.append(("m0", "m1", won if rng.random() < AGREE else 1 - won))
                asked.append(f"{fact}/{way}")
                of_fact.append(fact)
        drawn = {"facts": of_fact} if by_fact else {}
        board = leaderboard(votes, rounds=100, seed=seed, questions=asked, **drawn)
        wrong += board[0].vs_next.startswith("ahead")
    return wrong / count


def main() -> None:
    if "--rephrased" in sys.argv[1:]:
        print(
            f"| facts x ways | twins called ahead ({TWIN_BOARDS} boards), by question | by fact |"
        )
        print("|---|---|---|")
        for facts in FACTS:
            by = [rephrased_false_ahead(facts, TWIN_BOARDS, f) for f in (False, True)]
            print(f"| {facts} x {WAYS} | {by[0]:.1%} | {by[1]:.1%} |", flush=True)
        return
    print(
        f"| models | questions x votes | twins called ahead ({TWIN_BOARDS} boards) "
        f"| one {GAP} points above called ahead ({GAP_BOARDS} boards) |"
    )
    print("|---|---|---|---|")
    for models in MODELS:
        twins = {f"m{i}": 1000.0 for i in range(models)}
        gapped = {**twins, "m0": 1000.0 + GAP}
        for questions in QUESTIONS:
            per_question = models - 1  # each model on most questions
            wrong = false_ahead(twins, questions, per_question, TWIN_BOARDS)
            right = power(gapped, questions, per_question, GAP_BOARDS)
            print(
                f"| {models} | {questions} x {per_question} | {wrong:.1%} | {right:.1%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
