"""Ratings from pairwise human votes: Elo (sequential, as early chatbot arenas) and Bradley–Terry
(maximum likelihood, order-free, with bootstrap intervals), both on the familiar Elo scale.

A vote is (model a, model b, score of a): 1 a better, 0 b better, 0.5 a tie ("both bad" included)."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from tunelab.evaluate.paired import (
    MIN_QUESTIONS,
    NO_CLEAR_WINNER,
    sign_flip_p,
    why_no_winner,
)

Vote = tuple[str, str, float]

SCALE, BASE, START = 400.0, 10.0, 1000.0
MAX_STEP = 2.0  # the longest Newton step of a log-strength in `bradley_terry`


def elo(votes: list[Vote], k: float = 4.0) -> dict[str, float]:
    """Online Elo in vote order; a small K because many votes per pair are expected."""
    ratings: dict[str, float] = {}
    for a, b, score in votes:
        ra, rb = ratings.setdefault(a, START), ratings.setdefault(b, START)
        expected = 1 / (1 + BASE ** ((rb - ra) / SCALE))
        ratings[a] = ra + k * (score - expected)
        ratings[b] = rb - k * (score - expected)
    return ratings


def bradley_terry(
    votes: list[Vote],
    iterations: int = 100,
    tolerance: float = 1e-10,
    offsets: dict[tuple[str, str], float] | None = None,
) -> dict[str, float]:
    """Bradley–Terry strengths by maximum likelihood (ties count half a win to each side), mapped
    to the Elo scale with the mean at 1000; Newton's method on the log-strengths, run until no
    log-strength moves by `tolerance`. `offsets` (rating points, by pair in name order) scores a
    pair's votes against its gap less the offset (`leaderboard`'s one-way records)."""
    models = sorted({m for a, b, _ in votes for m in (a, b)})
    if not models:
        return {}
    index = {m: i for i, m in enumerate(models)}
    pairs: dict[tuple[int, int], list[float]] = {}  # (i, j), i < j: [games, wins of i]
    for a, b, score in votes:
        i, j, won = index[a], index[b], score
        if i > j:
            i, j, won = j, i, 1 - score
        games = pairs.setdefault((i, j), [0.0, 0.0])
        games[0] += 1
        games[1] += won
    first, second = np.array([list(k) for k in pairs], dtype=int).reshape(-1, 2).T
    games, wins = np.array(list(pairs.values()), dtype=float).reshape(-1, 2).T
    offset = np.array([(offsets or {}).get((models[i], models[j]), 0.0) for i, j in pairs]) * (
        math.log(BASE) / SCALE
    )
    # A model that never won (or never lost), or a group that always beat another, has no finite
    # MLE: one virtual tie of every model against a model of strength 1 (log-strength 0), a weak
    # prior, keeps every rating finite and the fit unique. It pulls every gap a little toward 0,
    # less as votes grow: 7 wins in 10 read 139 points against the plain MLE's 147, 70 in 100
    # read 146. (Hunter's MM algorithm, used before, re-centred the strengths at every step
    # against that fixed model and so settled 1–4 points off this maximum when models had
    # uneven numbers of votes; and it crept along chains of models that met only neighbours.)
    theta = np.zeros(len(models))
    for _ in range(iterations):
        chance = _sigmoid(theta[first] - theta[second] - offset)  # that the first of each wins
        prior = _sigmoid(theta)
        gradient = 0.5 - prior
        np.add.at(gradient, first, wins - games * chance)
        np.add.at(gradient, second, games * chance - wins)
        weight = games * chance * (1 - chance)
        hessian = np.diag(prior * (1 - prior))
        np.add.at(hessian, (first, first), weight)
        np.add.at(hessian, (second, second), weight)
        np.add.at(hessian, (first, second), -weight)
        np.add.at(hessian, (second, first), -weight)
        step = np.linalg.solve(hessian, gradient)  # positive definite: the prior's diagonal
        # Far from a far optimum (an offset pair's, `leaderboard`) the curvature is nearly flat
        # and one step flew to log-strengths of +-20, where it is 0 in floating point: at most
        # MAX_STEP at a time (a unanimous pair's 10 of 10 sits 3.3 apart).
        step *= min(1.0, MAX_STEP / np.abs(step).max(initial=MAX_STEP))
        # A long first step toward a unanimous pair's far optimum can overshoot: halve it until
        # the likelihood rises (it always does for a small enough step: the objective is concave).
        now = _log_likelihood(theta, first, second, games, wins, offset)
        while (
            _log_likelihood(theta + step, first, second, games, wins, offset) < now
            and np.abs(step).max() > tolerance
        ):
            step /= 2
        theta = theta + step
        if np.abs(step).max() < tolerance:
            break
    theta -= theta.mean()
    return {m: START + SCALE * float(t) / math.log(BASE) for m, t in zip(models, theta)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _log_likelihood(theta, first, second, games, wins, offset) -> float:
    """The votes' log-likelihood at log-strengths `theta`, the virtual ties included."""
    gap = theta[first] - theta[second] - offset
    votes = wins * -np.logaddexp(0, -gap) + (games - wins) * -np.logaddexp(0, gap)
    ties = 0.5 * (-np.logaddexp(0, -theta) - np.logaddexp(0, theta))
    return float(votes.sum() + ties.sum())


@dataclass
class Rating:
    model: str
    bt: float
    low: float  # 2.5th percentile of the bootstrap
    high: float  # 97.5th percentile
    elo: float
    votes: int
    win_rate: float  # share of its votes won (ties half)
    questions: int  # questions its votes judged (its votes where they name none)
    vs_next: str = ""  # against the model ranked just below: "ahead of X" or "no clear winner vs X"
    facts: int | None = None  # the facts those questions ask, where some ask one together


def leaderboard(
    votes: list[Vote],
    rounds: int = 200,
    seed: int = 0,
    questions: list[str] | None = None,
    facts: list[Hashable] | None = None,
) -> list[Rating]:
    """Every model's Bradley–Terry rating with a 95% bootstrap interval, and its Elo; best first.

    With `questions` (the question each vote judged) the bootstrap draws questions, each with
    all of its votes, as every other interval of tunelab's draws questions: one question's votes
    (three models make three pairs of it; a judge may see a pair again) share its difficulty and
    are not independent, and drawing them one by one gave intervals as though each were a new
    question. With `facts` (the fact each vote's question asks: `tunelab data augment`'s
    rephrasings ask one several ways, mostly won or lost together) it draws facts, and the
    sign-flip test flips them, as eval's paired intervals do. A model is called ahead only with
    MIN_QUESTIONS questions (facts), not votes."""
    if not votes:
        return []
    for named, what in ((questions, "questions"), (facts, "facts")):
        if named is not None and len(named) != len(votes):
            raise ValueError(f"{len(named)} {what} for {len(votes)} votes")
    point = bradley_terry(votes)
    one_outcome = _pairs_of_one_outcome(votes)
    votes_of = dict.fromkeys(point, 0)
    for a, b, _ in votes:
        votes_of[a] += 1
        votes_of[b] += 1
    # Without questions each vote stands for a question of its own, and each question for a fact.
    asked = list(range(len(votes))) if questions is None else questions
    drawn_by = asked if facts is None else facts
    by_fact: dict[Hashable, list[Vote]] = {}
    for fact, vote in zip(drawn_by, votes):
        by_fact.setdefault(fact, []).append(vote)
    groups = list(by_fact.values())
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {m: [] for m in point}
    for _ in range(rounds):
        drawn = [vote for _ in groups for vote in rng.choice(groups)]
        # A pair whose every vote went one way, or every one a tie, repeats that record in every
        # resample, and its interval came out zero-width (10 votes of 10, or 12 ties, read as
        # certain): its votes are drawn at a chance drawn from what its record says of it.
        chances = {pair: _posterior_chance(rng, *record) for pair, record in one_outcome.items()}
        drawn = [
            (a, b, float(rng.random() < _of_first(chances[pair], a, pair)))
            if (pair := (min(a, b), max(a, b))) in chances
            else (a, b, s)
            for a, b, s in drawn
        ]
        resampled = bradley_terry(drawn, offsets=_beyond_one_way_records(drawn, chances))
        # A model no resampled vote names has no rating this round (not 1000), and the others
        # were centred on 1000 without it: put them back on the full fit's centre, weighing each
        # by its votes, so that a newcomer's few votes swinging its rating do not shift the rest.
        weights = {m: votes_of[m] for m in resampled}
        shift = sum(w * (point[m] - resampled[m]) for m, w in weights.items()) / sum(
            weights.values()
        )
        for m in point:
            samples[m].append(resampled[m] + shift if m in resampled else math.nan)
    online = elo(votes)
    table: list[Rating] = []
    for m, value in point.items():
        ordered = sorted(v for v in samples[m] if not math.isnan(v)) or [value]
        played = [(a, b, s) for a, b, s in votes if m in (a, b)]
        won = sum(s if a == m else 1 - s for a, b, s in played)
        judged = [(q, f) for q, f, (a, b, _) in zip(asked, drawn_by, votes) if m in (a, b)]
        questions_of, facts_of = (len(set(column)) for column in zip(*judged))
        table.append(
            Rating(
                m,
                value,
                ordered[int(0.025 * (len(ordered) - 1))],
                ordered[int(0.975 * (len(ordered) - 1))],
                online[m],
                len(played),
                won / len(played),
                questions_of,
                facts=facts_of if facts_of < questions_of else None,
            )
        )
    table.sort(key=lambda r: -r.bt)
    for upper, lower in zip(table, table[1:]):
        p = _tied_sign_flip_p(votes, drawn_by, upper.model, lower.model, seed)
        upper.vs_next = separation(upper, lower, samples, p)
    return table


def _pairs_of_one_outcome(votes: list[Vote]) -> dict[tuple[str, str], tuple[float, int]]:
    """The pairs of models (first, second in name order) whose votes all had one outcome: every
    one won by the same side, or every one a tie; each with its record, the first's wins (ties
    half) and the votes."""
    scores: dict[tuple[str, str], list[float]] = {}
    for a, b, s in votes:
        key = (min(a, b), max(a, b))
        scores.setdefault(key, []).append(s if a == key[0] else 1 - s)
    return {key: (sum(seen), len(seen)) for key, seen in scores.items() if len(set(seen)) == 1}


def _posterior_chance(rng: random.Random, wins: float, games: int) -> float:
    """A chance that the pair's first model wins, drawn from its Jeffreys posterior given its
    record, Beta(wins + 1/2, losses + 1/2): 10 wins of 10 leave it anywhere from ~0.78 up to
    nearly 1, where the fit reads 0.96; drawing votes at the fit's chance alone never gave a
    record beyond it. Kept off 0 and 1 so that every gap stays finite."""
    chance = rng.betavariate(wins + 0.5, games - wins + 0.5)
    return min(max(chance, 1e-9), 1 - 1e-9)


def _of_first(chance: float, a: str, pair: tuple[str, str]) -> float:
    """The chance that `a` wins, given the chance that the pair's first model does."""
    return chance if a == pair[0] else 1 - chance


def _gap(chance: float) -> float:
    """The rating gap at which the stronger side wins with this chance."""
    return SCALE * math.log(chance / (1 - chance), BASE)


def _beyond_one_way_records(
    drawn: list[Vote], chances: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    """Offsets for the pairs whose drawn votes all went one way, drawn at a chance further that
    way than such a record fits: the fit of 10 wins of 10 is the most one-sided 10 votes can
    read, so a refit never read beyond the real record's, and the winner's interval stopped at
    its estimate (1290 [1112, 1290]). Scored against its gap less the chance's excess over that
    fit, the pair reads near that chance where it alone sets its gap, and weighs in as its votes
    do where other pairs set it too."""
    outcomes: dict[tuple[str, str], list[float]] = {}
    for a, b, s in drawn:
        if (pair := (min(a, b), max(a, b))) in chances:
            outcomes.setdefault(pair, []).append(s if a == pair[0] else 1 - s)
    offsets = {}
    for pair, seen in outcomes.items():
        if len(set(seen)) == 1 and seen[0] in (0.0, 1.0):
            fitted = _one_way_gap(len(seen)) * (1 if seen[0] else -1)
            excess = _gap(chances[pair]) - fitted
            if excess * fitted > 0:  # further the way the votes went
                offsets[pair] = excess
    return offsets


@functools.cache
def _one_way_gap(votes: int) -> float:
    """The fitted gap of a pair alone whose `votes` all went one way."""
    ratings = bradley_terry([("a", "b", 1.0)] * votes)
    return ratings["a"] - ratings["b"]


def _tied_sign_flip_p(
    votes: list[Vote], asked: list, upper: str, lower: str, seed: int = 0
) -> float:
    """Two-sided p of a sign-flip test over questions (`asked`: each vote's question, or its
    fact where rephrasings ask one together) that `upper` and `lower` are equally
    strong. Fitted as one model (the fit is then the same whichever of the two any question's
    votes name), each question scores how much better than that fit `upper` did in its votes,
    less how much better `lower` did: a vote between the two scores +1 or -1, a vote against
    another model its residual, so a model that met only weak ones gains little. Were the two
    interchangeable, swapping their names in a question would only negate its score, so the
    test holds its level at any number of questions (every flip counted up to 16 questions that
    scored, sampled beyond), where the bootstrap's percentile interval alone called twins apart
    7-11% of the time on 10-15 questions (benchmarks/rating_false_ahead.py)."""
    tied = {upper: upper, lower: upper}
    merged = [(tied.get(a, a), tied.get(b, b), s) for a, b, s in votes]
    rating = bradley_terry([(a, b, s) for a, b, s in merged if a != b])
    scores: dict[object, float] = {}
    for question, (a, b, s), (tied_a, tied_b, _) in zip(asked, votes, merged):
        for side, score, against in ((a, s, tied_b), (b, 1 - s, tied_a)):
            if side in tied:
                gap = rating.get(upper, START) - rating.get(against, START)
                residual = score - 1 / (1 + BASE ** (-gap / SCALE))
                sign = 1 if side == upper else -1
                scores[question] = scores.get(question, 0.0) + sign * residual
    return sign_flip_p(np.array(list(scores.values())), seed=seed)


def separation(upper: Rating, lower: Rating, samples: dict[str, list[float]], p: float) -> str:
    """Whether `upper` is ahead of `lower`: the 95% interval of their rating gap, both taken from
    the same bootstrap rounds, stays above zero, the sign-flip test that they are equal
    (`_tied_sign_flip_p`) agrees (p < 0.05), as `paired.Difference.verdict` asks of two models'
    scores, and each was judged on at least MIN_QUESTIONS questions (facts, where rephrasings
    ask one together)."""
    gaps = [a - b for a, b in zip(samples[upper.model], samples[lower.model])]
    gaps = sorted(g for g in gaps if not math.isnan(g)) or [upper.bt - lower.bt]
    low = gaps[int(0.025 * (len(gaps) - 1))]
    fewest = min(upper.facts or upper.questions, lower.facts or lower.questions)
    if low > 0 and p < 0.05 and fewest >= MIN_QUESTIONS:
        return f"ahead of {lower.model}"
    # A gap whose interval is above zero, called no winner without a word, read as a mistake.
    facts = bool(upper.facts or lower.facts)
    why = f" ({why_no_winner(fewest, p, facts)})" if low > 0 else ""
    return f"{NO_CLEAR_WINNER} vs {lower.model}{why}"
