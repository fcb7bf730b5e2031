"""What a votes file holds: each judgement of `tunelab rate` (and each verdict of `tunelab judge`,
in the same shape) as one JSON line naming its question, the models on the left and right, the
winner, and fingerprints of the very answers judged."""

from __future__ import annotations

import hashlib
from itertools import combinations
from pathlib import Path

from tunelab.data.files.jsonl_files import read_jsonl
from tunelab.errors import TunelabError
from tunelab.evaluate.paired import mean_interval

WINNERS = {"left": 1.0, "right": 0.0, "tie": 0.5, "both_bad": 0.5}


def fingerprint(answer: str) -> str:
    """What a vote keeps of each answer it judged: enough to tell it from another answer."""
    return hashlib.sha256(answer.encode("utf-8")).hexdigest()[:16]


def judged(answers: dict[str, dict[str, dict]], question: str, left: str, right: str) -> dict:
    """A vote's or verdict's own record of the two answers it judged (`on_these_answers`)."""
    return {
        f"{side}_answer": fingerprint(answers[model][question]["answer"])
        for side, model in (("left", left), ("right", right))
    }


def on_these_answers(record: dict, answers: dict[str, dict[str, dict]]) -> bool:
    """Whether a vote or verdict judged answers in `answers` ({model: {question: row}}): its two
    models and question, and the very answers (a votes file outlives an experiment: the same
    names over another test set, or over answers made again since, are other judgements)."""
    question, sides = record.get("question"), (record.get("left"), record.get("right"))
    if not all(model in answers and question in answers[model] for model in sides):
        return False
    for side, model in zip(("left", "right"), sides):
        # A vote written before answers were fingerprinted names the question and models only.
        kept = record.get(f"{side}_answer")
        if kept is not None and kept != fingerprint(answers[model][question]["answer"]):
            return False
    return True


SIDES = ("question", "left", "right")  # what a vote names besides its winner


def read_votes(path: Path) -> list[dict]:
    """The votes of a votes file (or of a judge's verdicts, in the same shape): a reply that held
    no verdict ("winner": null) is none; a record whose winner is not one of WINNERS, or that
    does not name its question and sides, is refused by its line (it crashed the ratings with a
    KeyError), as is a line the machine lost power in the middle of, so it can be mended. A vote
    a later record undid (`{"undo": its id}`, appended by the rate page's undo) is none either."""
    hint = "fix or delete that line to keep the other votes"
    kept, undone = [], set()
    for number, record in read_jsonl(path, hint=hint):
        if "undo" in record:
            undone.add(record["undo"])
            continue
        winner = record.get("winner")
        if winner is None:
            continue
        wrong = [f"winner {winner!r}"] if winner not in WINNERS else []
        wrong += [f"no {key}" for key in SIDES if not isinstance(record.get(key), str)]
        if wrong:
            raise TunelabError(
                f"{path}:{number}: not a vote ({', '.join(wrong)}; a vote names its question, "
                f"left and right, and a winner of {', '.join(WINNERS)}): {hint}"
            )
        kept.append(record)
    return [record for record in kept if record.get("id", "") not in undone]


def position_note(records: list[dict]) -> str | None:
    """How often the answer shown on the left won the decisive votes (a winner, not a tie), with
    Wilson's 95% interval: a rater who favours a side. Sides are shuffled, so such a habit does
    not move the ratings, only blurs them; a judge model's is cancelled by asking both orders."""
    decisive = [WINNERS[r["winner"]] for r in records if WINNERS[r["winner"]] != 0.5]
    if not decisive:
        return None
    share = mean_interval(decisive)
    said = (
        f"the left answer won {sum(decisive):.0f} of {share.n} decisive votes "
        f"({share.delta:.0%}, 95% interval {share.low:.0%}–{share.high:.0%})"
    )
    if share.low <= 0.5 <= share.high:
        return said
    side = "left" if share.low > 0.5 else "right"
    return (
        f"{said}: raters favour the {side} side (sides are shuffled, so the ratings are not "
        "skewed, only noisier; ask raters to read both answers)"
    )


def agreement(human: list[dict], judged: list[dict]) -> dict:
    """Cohen's kappa between votes and other votes or a judge's verdicts on the same (question,
    pair): each of `human`'s votes is one item, its outcome which model won or a tie ("both bad"
    is a tie), against the latest of `judged` on its pair."""
    verdicts = {same_pair(r): winner_of(r) for r in judged}
    items = [(winner_of(r), verdicts[same_pair(r)]) for r in human if same_pair(r) in verdicts]
    if not items:
        return {}
    return {
        "kappa": cohen_kappa(items),
        "agree": sum(h == j for h, j in items),
        "pairs": len(items),
    }


def cohen_kappa(items: list[tuple[str, str]]) -> float:
    """Agreement between two raters beyond what chance gives: (p_o - p_e) / (1 - p_e)."""
    n = len(items)
    observed = sum(a == b for a, b in items) / n
    labels = {label for item in items for label in item}
    chance = sum(
        sum(a == label for a, _ in items) * sum(b == label for _, b in items) / n**2
        for label in labels
    )
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def same_pair(record: dict) -> tuple[str, str, str]:
    """The question and the two models a vote judged, whichever side each was on."""
    return (record["question"], *sorted((record["left"], record["right"])))


def winner_of(record: dict) -> str:
    """The winning model's name, or "tie"."""
    score = WINNERS[record["winner"]]
    return "tie" if score == 0.5 else record["left"] if score == 1.0 else record["right"]


def raters_note(records: list[dict]) -> str | None:
    """Each named rater's votes, and how far every two agree where they judged the same pairs
    (Cohen's kappa, `agreement`): two colleagues who disagree on most pairs make a rating of
    their votes noise, which the ratings alone never show."""
    by_rater: dict[str, list[dict]] = {}
    for record in records:
        if record.get("rater"):
            by_rater.setdefault(record["rater"], []).append(record)
    if not by_rater:
        return None
    said = ", ".join(f"{rater} {len(votes)}" for rater, votes in sorted(by_rater.items()))
    for a, b in combinations(sorted(by_rater), 2):
        if agreed := agreement(by_rater[a], by_rater[b]):
            said += (
                f"; {a} and {b} agree on {agreed['agree']} of {agreed['pairs']} pairs both "
                f"judged (Cohen's kappa {agreed['kappa']:.2f})"
            )
    return f"Votes by rater: {said}"
