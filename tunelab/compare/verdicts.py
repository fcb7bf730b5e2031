"""Which of `tunelab compare`'s arms is ahead: every pair's paired difference with its 95%
interval and verdict, the false-statement rates of each arm against the first, the best arm
named only when it is clearly ahead, and the headline (did finetuning beat prompting?)."""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

from tunelab.evaluate.paired import (
    EPSILON,
    MIN_QUESTIONS,
    NO_CLEAR_WINNER,
    no_winner,
    over_facts,
)
from tunelab.evaluate.refusals import OFF_TOPIC_RATE, ON_TOPIC_RATE
from tunelab.evaluate.scores import (
    FACT_MEASURES,
    FACT_RATES,
    METRIC_NAMES,
    metric_verdict,
    paired_metric,
    row_metric,
)
from tunelab.terminal import is_are, listed, n_things

if TYPE_CHECKING:
    from tunelab.compare.arms import Arm

# What the arms are ranked and paired by: the facts, when the test rows name them (token F1
# rewards an answer's words and style, not whether it is right), else token F1.
FACTS, OVERLAP = "fact_accuracy", "token_f1"
# The facts reported: the accuracy the arms are ranked by, and beside it each rate of false
# statements (the hallucination rate, the other-value rate).
REPORTED_FACTS = [m for m in FACT_MEASURES if m.metric in (FACTS, *FACT_RATES)]
# What the report charts, in order: the facts, the refusals, the overlap scores.
CHARTED = (*(m.metric for m in REPORTED_FACTS), OFF_TOPIC_RATE, ON_TOPIC_RATE,
           "normalized_match", "token_f1", "rouge_l")  # fmt: skip


def main_metric(arms: list[Arm]) -> str:
    return FACTS if any(FACTS in a.summary for a in arms) else OVERLAP


def scores(arm: Arm, metric: str = OVERLAP) -> list[float]:
    """The arm's score on each question that has one by `metric` (facts: rows that name some)."""
    return [v for row in arm.rows if (v := row_metric(row, metric)) is not None]


def _paired(a: Arm, b: Arm, metric: str):
    return paired_metric(a.rows, b.rows, metric)


def _pair(base: Arm, arm: Arm, metric: str) -> dict:
    """`arm` minus `base` by `metric` over the questions both are scored on, in points, with its
    95% paired interval (eval's `paired_metric`, as `eval RUN BASE` pairs a run with its base)
    and its verdict in the metric's own direction: a lower hallucination rate is "better"."""
    diff = _paired(base, arm, metric)
    return {"arm": arm.name, "vs": base.name, "metric": metric, "delta": 100 * diff.delta,
            "low": 100 * diff.low, "high": 100 * diff.high, "n": diff.n, "facts": diff.clusters,
            "verdict": metric_verdict(diff, metric), "unclear_because": diff.unclear_because}  # fmt: skip


def pairs(arms: list[Arm], metric: str | None = None) -> list[dict]:
    """Every pair of arms: the later arm minus the earlier over the same questions, in points,
    with its 95% paired interval and verdict ('better', 'worse', 'no clear winner')."""
    metric = metric or main_metric(arms)
    return [_pair(a, b, metric) for a, b in combinations(arms, 2)]


def rate_differences(arms: list[Arm]) -> list[dict]:
    """Each false-statement rate (hallucination, other value) of every later arm against the
    first (prompting), paired over the rows that name something to catch: a rate of 5.3 beside
    0.0 per arm said nothing of whether finetuning hallucinates less. Lower is better, so a drop
    is "better"; none where the test rows name no facts."""
    first, later = arms[0], arms[1:]
    measured = [m for m in FACT_RATES if m in first.summary]
    return [_pair(first, arm, m) for m in measured for arm in later]


def verdict(arms: list[Arm], metric: str | None = None) -> str:
    """The best arm by `metric` (default: the facts where the test rows name them) when it is
    clearly ahead of every other, else which arms it cannot be told apart from: a mean over a
    few questions is not a winner."""
    metric = metric or main_metric(arms)
    name = METRIC_NAMES[metric]
    best = max(arms, key=lambda a: a.summary[metric])
    tied = [
        other.name
        for other in arms
        if other is not best and _paired(other, best, metric).verdict != "better"
    ]
    if not tied:
        return f"Best by {name}: **{best.name}**, ahead of every other arm (95% paired interval)."
    n = len(scores(best, metric))
    leaders = [a.name for a in arms if abs(a.summary[metric] - best.summary[metric]) < EPSILON]
    if len(leaders) > 1:  # one of equals is no best
        highest = f"{listed(leaders)} share the highest mean"
    else:
        highest = f"{best.name} has the highest mean"
    if n < MIN_QUESTIONS:  # whatever the intervals say: a handful of questions names no winner
        return (
            f"{NO_CLEAR_WINNER.capitalize()} by {name}: {highest}, but {n_things(n, 'question')} "
            f"{is_are(n)} too few to name a winner (at least {MIN_QUESTIONS} are "
            "needed)."
        )
    others = [t for t in tied if t not in leaders]
    if not others:
        return f"{NO_CLEAR_WINNER.capitalize()} by {name}: {highest} ({n_things(n, 'question')})."
    by_name = {a.name: a for a in arms}
    # An interval on one side of zero that the sign-flip test does not confirm is no "could be
    # zero": the reason said is the one that holds for each arm.
    differences = {o: _paired(by_name[o], best, metric) for o in others}
    why = {o: d.unclear_because for o, d in differences.items()}
    reasons = []
    if crossing := [o for o in others if not why[o]]:
        reasons.append(
            f"the difference from {listed(crossing)} could be zero (95% paired interval over "
            f"{n_things(n, 'question')})"
        )
    reasons += [
        f"the sign-flip test does not confirm its lead over {o} (p = {differences[o].p:.2g}; the "
        "interval excludes zero)"
        for o in others
        if why[o]
    ]
    return f"{NO_CLEAR_WINNER.capitalize()} by {name}: {highest}, but {'; '.join(reasons)}."


def headline(arms: list[Arm], metric: str | None = None) -> list[str]:
    """The question the comparison is run for, answered first: did finetuning beat prompting,
    and prompting with retrieval? (Of a model that is no run, asked the two prompting ways: did
    retrieval lift it?) Each as the difference in points with its 95% paired interval and the
    number of questions it is over; the arms' ranking comes after the tables."""
    metric = metric or main_metric(arms)
    by_name = {a.name: a for a in arms}
    tuned = by_name.get("finetuned")
    asked = (
        [(by_name.get(name), tuned, "finetuning") for name in ("prompting", "prompting + RAG")]
        if tuned
        else [(by_name.get("prompting"), by_name.get("prompting + RAG"), "retrieval")]
    )
    lines = []
    for other, arm, change in asked:
        if other is None or arm is None:
            continue
        diff = _paired(other, arm, metric)
        n = len(scores(arm, metric))
        if diff.verdict == "better":
            said = f"{change} is ahead"
        elif diff.verdict == "worse":
            said = f"{other.name} is ahead"
        else:
            said = no_winner(diff)
        lines.append(
            f"- **{arm.name[:1].upper()}{arm.name[1:]} vs {other.name}**, {METRIC_NAMES[metric]}: "
            f"{100 * diff.delta:+.1f} points [{100 * diff.low:+.1f}, {100 * diff.high:+.1f}] "
            f"over {n_things(n, 'question')}{over_facts(diff.clusters)}: {said}."
        )
    return lines + guessed_facts(arms, metric) if lines else lines


def guessed_facts(arms: list[Arm], metric: str) -> list[str]:
    """A line under the headline where half or more of the rows its fact accuracy is over have
    facts `tunelab data facts` guessed from rare words of their reference ("facts_from":
    "reference words"): 3 of lamini_docs' 4, "variety" of "Lamini employs a variety of
    techniques", which a base model's answer in the same words stated. Said at the foot
    alone, it came after a headline that read as facts learned."""
    scored = [r for r in arms[0].rows if row_metric(r, metric) is not None]
    guessed = sum(r.get("facts_from") == "reference words" for r in scored)
    if metric != FACTS or not scored or 2 * guessed < len(scored):
        return []
    return [
        f"- {guessed} of the {len(scored)} rows this is over have facts `tunelab data facts` "
        "guessed from rare words of their reference, often words of its style: review them "
        "(the notes below name them) before reading fact accuracy as facts learned."
    ]
