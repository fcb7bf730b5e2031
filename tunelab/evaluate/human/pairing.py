"""Which two models `tunelab rate` sets against each other next. A vote between two models whose
ratings are far apart is all but known before it is cast; one between close models is the vote
the leaderboard's "ahead of" / "no clear winner" needs. Chatbot Arena (Chiang et al. 2024, §5.2)
draws its pairs by how much a vote shrinks their uncertainty for the same reason. The question
they are judged on is one they were judged on least."""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Set as AbstractSet
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from tunelab.evaluate.human.ratings import BASE, SCALE, START
from tunelab.section import Section
from tunelab.web import public_base

ModelPair = tuple[str, str]
QuestionPair = tuple[str, str, str]  # a question and the two models, sorted


def _public(url: str | None) -> str | None:
    return None if url is None else public_base(url)


class RateConfig(Section):
    """How `tunelab rate` picks the next pair to judge, and the address raters open."""

    pairs: Literal["close", "even"] = "close"
    """close: models whose Bradley–Terry ratings so far are close are paired more often (their
    votes decide the ranking); even: every question and model pair in turn."""
    explore: float = Field(0.2, ge=0, le=1)
    """With pairs close, the share of pairs drawn evenly among all model pairs, so that every
    pair keeps being judged whatever the ratings say."""
    public_url: Annotated[str | None, AfterValidator(_public)] = None
    """The base URL raters open (--host 0.0.0.0: http://10.0.0.5:8008; behind a proxy:
    https://rate.example.com): every printed link uses it, and the page answers its host."""


def pair_chances(
    ratings: dict[str, float], model_pairs: list[ModelPair], explore: float
) -> dict[ModelPair, float]:
    """Each model pair's chance to be judged next: its share of p(1 - p), where p is the chance
    the ratings give one of the two to win (0.25 at equal ratings, 0.08 400 points apart,
    0.01 800 apart: the variance of one vote's outcome, and what a vote tells of their gap),
    mixed with `explore` spread evenly. Before any vote every pair is alike."""
    informative = {}
    for a, b in model_pairs:
        gap = ratings.get(a, START) - ratings.get(b, START)
        p = 1 / (1 + BASE ** (-gap / SCALE))
        informative[(a, b)] = p * (1 - p)
    total = sum(informative.values())
    return {
        pair: (1 - explore) * weight / total + explore / len(model_pairs)
        for pair, weight in informative.items()
    }


def next_models(
    ratings: dict[str, float],
    model_pairs: list[ModelPair],
    cfg: RateConfig,
    rng: random.Random,
) -> ModelPair | None:
    """The two models to judge next (None: any, as `pairs: even` leaves it to the counts)."""
    if cfg.pairs == "even":
        return None
    chances = pair_chances(ratings, model_pairs, cfg.explore)
    return rng.choices(list(chances), weights=list(chances.values()))[0]


def judged_pair(question: str, left: str, right: str) -> QuestionPair:
    """The pair a judgement was on, whichever side each model was shown on."""
    return (question, *sorted((left, right)))


class LeastJudged:
    """Pairs to judge (question, model, model), in a fixed order, by how often each was judged:
    the least judged are at hand on every draw without counting every pair again, which grew
    with questions × model pairs on each page a judge opened."""

    def __init__(self, pairs: list[QuestionPair], counts: Counter[QuestionPair]):
        self.pairs = pairs
        self.position = {pair: i for i, pair in enumerate(pairs)}
        self.judged = [counts[pair] for pair in pairs]
        # Each count's pairs by position, so a draw among them is the draw among all pairs in
        # order that have it.
        self.levels: dict[int, list[int]] = {}
        for i, count in enumerate(self.judged):
            self.levels.setdefault(count, []).append(i)

    def draw(
        self, rng: random.Random, judged_by_rater: AbstractSet[QuestionPair] = frozenset()
    ) -> QuestionPair:
        """One of the least judged pairs, evenly; of those the rater has not judged while any are
        left (one judge's second vote on a pair is not a second judge's)."""
        pair = self.pairs[rng.choice(self.levels[min(self.levels)])]
        if pair not in judged_by_rater:
            return pair
        left = [i for i, other in enumerate(self.pairs) if other not in judged_by_rater]
        if not left:
            return pair
        fewest = min(self.judged[i] for i in left)
        return self.pairs[rng.choice([i for i in left if self.judged[i] == fewest])]

    def judge(self, pair: QuestionPair, by: int = 1) -> None:
        """Count `by` more judgements of `pair` (-1: one was undone)."""
        i = self.position[pair]
        count = self.judged[i]
        level = self.levels[count]
        del level[bisect.bisect_left(level, i)]
        if not level:
            del self.levels[count]
        bisect.insort(self.levels.setdefault(count + by, []), i)
        self.judged[i] = count + by
