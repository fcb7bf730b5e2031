"""An LLM judge of answer sets (`tunelab judge`): a judge model (any tunelab model, a run, or an
OpenAI-compatible endpoint such as a bigger model behind Ollama or vLLM) compares two answers to
each question by one fixed rubric, MT-Bench's pairwise format with the reference answer shown
when there is one. Every pair is asked in both orders to cancel position bias: a verdict counts
only when both orders name the same winner, different winners are a tie, and how many were
inconsistent is reported. A reply without a verdict (a judge cut short) is no verdict, not a
tie: as MT-Bench counts an unparsable judgment an error, it is left out of the ratings,
reported, and asked again on the next run. Verdicts are written beside the human votes of
`tunelab rate` as they are made, in the same shape with their source, so the same
Bradley–Terry leaderboard ranks them and the judge's agreement with the humans on the same
pairs is Cohen's kappa."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from tunelab.evaluate.human.answers import (
    distinct_pairs,
    question_facts,
    reference_answer,
    same_text,
    shared_questions,
)
from tunelab.evaluate.human.ratings import leaderboard
from tunelab.evaluate.human.records import (
    WINNERS,
    agreement,
    judged,
    on_these_answers,
    read_votes,
    same_pair,
)
from tunelab.evaluate.judge.asking import (
    Ask,
    JudgeConfig,
    ask_and_write,
    rating_all_kept,
    read_records,
)
from tunelab.terminal import is_are, n_things

RUBRIC = (
    "Please act as an impartial judge and evaluate the two answers an AI assistant gave to the "
    "user question below. Choose the answer that answers the question better: correct{reference}, "
    "complete and concise, stating nothing false or invented. Do not let the order in which the "
    "answers are shown, their length, or their style sway you. Reply with your verdict only: "
    '"[[A]]" if answer A is better, "[[B]]" if answer B is better, "[[C]]" for a tie.'
)
WITH_REFERENCE = " (agreeing with the reference answer)"
VERDICT = re.compile(r"\[\[([ABC])\]\]")
REPLIES = ("[[A]]", "[[B]]", "[[C]]")  # what a local judge chooses among (asking.likeliest)
JUDGE_FILE = "judge.jsonl"  # beside the human votes file


@dataclass
class Judgement:
    """What `tunelab judge` found: the verdicts (new and earlier ones by the same judge), the
    leaderboard they give, the pairs still without a verdict, and agreement with the human
    votes on the same pairs."""

    records: list[dict]
    path: Path
    ratings: list[dict]
    inconsistent: int  # pairs whose two orders named different winners (counted as ties)
    no_verdict: list[dict]  # the last records of pairs whose replies held no verdict (not rated)
    agreement: dict = field(default_factory=dict)  # {"kappa", "agree", "pairs"} when humans voted
    alike: int = 0  # pairs left out: their two answers are one text (`same_text`), as rate's are
    already: int = 0  # pairs with a verdict in judge.jsonl from an earlier run: not asked again


def conversation(question: str, first: str, second: str, reference: str = "") -> list[dict]:
    """The judge's prompt for one order of one pair: the rubric, then the question, the
    reference answer when there is one, and the two answers as A and B."""
    parts = [f"[Question]\n{question}"]
    if reference:
        parts.append(f"[Reference answer]\n{reference}")
    parts += [f"[Answer A]\n{first}", f"[Answer B]\n{second}"]
    rubric = RUBRIC.format(reference=WITH_REFERENCE if reference else "")
    return [{"role": "system", "content": rubric}, {"role": "user", "content": "\n\n".join(parts)}]


def read_verdict(reply: str) -> str | None:
    """A, B or C (tie) from the judge's reply; None when it gave none."""
    found = VERDICT.search(reply)
    return found.group(1) if found else None


def judge(
    answers: dict[str, dict[str, dict]],
    config: JudgeConfig,
    ask: Ask,
) -> Judgement:
    """Judge every pair of answer sets on every question they share (both orders each, through
    `ask`), append each verdict to judge.jsonl beside the human votes as soon as it is made
    (pairs this judge already judged there are kept, not asked again, so a run cut short by
    Ctrl-C or a judge error loses nothing it finished), and rate the models by them. A pair
    whose replies held no verdict is asked again."""
    source = config.source()
    path = Path(config.votes).parent / JUDGE_FILE
    # In the first set's order: --limit N takes the first N questions, as its files list them
    # (and reports on those alone, though an earlier run judged more).
    questions = shared_questions(answers)[: config.limit]
    asked = set(questions)
    every_pair = [(q, a, b) for q in questions for a, b in combinations(sorted(answers), 2)]
    # Two answers of one text make a verdict a coin flip (a small judge's position bias at
    # best): not asked, and an earlier verdict on them not counted, as `tunelab rate` shows none.
    distinct = distinct_pairs(answers, every_pair)
    earlier = [r for r in read_records(path) if r.get("source") == source and on_these_answers(r, answers)
               and r.get("question") in asked and not same_text(answers, *same_pair(r))]  # fmt: skip
    done = {same_pair(r) for r in earlier if _has_verdict(r)}
    pairs = [pair for pair in distinct if pair not in done]
    # A pair asked again after a reply with no verdict: its latest record is the one that holds.
    latest = {same_pair(r): r for r in earlier + _ask_pairs(answers, pairs, ask, source, path)}
    verdicts = [r for r in latest.values() if _has_verdict(r)]
    unread = [r for r in latest.values() if not _has_verdict(r)]
    left = f"the {n_things(len(unread), 'pair')} without a verdict {is_are(len(unread))}"
    with rating_all_kept(len(verdicts), "verdict", path, left if unread else ""):
        votes = [(r["left"], r["right"], WINNERS[r["winner"]]) for r in verdicts]
        judged_questions = [r["question"] for r in verdicts]
        facts = question_facts(answers, judged_questions)  # rephrasings of one fact together
        human = [r for r in read_votes(Path(config.votes)) if on_these_answers(r, answers)]
        return Judgement(
            verdicts,
            path,
            [vars(r) for r in leaderboard(votes, questions=judged_questions, facts=facts)],
            sum(r["outcome"] == "inconsistent" for r in verdicts),
            unread,
            agreement(human, verdicts),
            len(every_pair) - len(distinct),
            len(distinct) - len(pairs),
        )


def _ask_pairs(
    answers: dict[str, dict[str, dict]],
    pairs: list[tuple[str, str, str]],
    ask: Ask,
    source: str,
    path: Path,
) -> list[dict]:
    """Ask the judge about each pair (question, a, b) in both orders; each pair's verdict is
    written as soon as both its replies are in (`ask_and_write`)."""
    asked = []
    for q, a, b in pairs:
        asked_as = answers[a][q]["question"]  # as the test asked it: a key may say "[#2]"
        reference = reference_answer(answers, q)
        first, second = answers[a][q]["answer"], answers[b][q]["answer"]
        asked.append(
            [
                conversation(asked_as, first, second, reference),
                conversation(asked_as, second, first, reference),
            ]
        )

    def record(index: int, replies: list[str]) -> dict:
        q, a, b = pairs[index]
        return _record(q, a, b, *replies, source) | judged(answers, q, a, b)

    return ask_and_write(asked, record, ask, path)


def _record(question: str, a: str, b: str, reply_ab: str, reply_ba: str, source: str) -> dict:
    """One pair's verdict in the shape of a human vote (left a, right b), with both replies;
    winner None when a reply held no verdict."""
    # Each order's verdict in terms of the models: A/B are positions, C a tie.
    first = {"A": "left", "B": "right", "C": "tie"}.get(read_verdict(reply_ab) or "")
    second = {"A": "right", "B": "left", "C": "tie"}.get(read_verdict(reply_ba) or "")
    if first is None or second is None:
        winner, outcome = None, "unreadable"  # no verdict: not a tie (`_has_verdict`)
    elif first == second:
        winner, outcome = first, "consistent"
    else:
        winner, outcome = "tie", "inconsistent"
    return {
        "question": question,
        "left": a,
        "right": b,
        "winner": winner,
        "source": source,
        "outcome": outcome,
        "replies": [reply_ab, reply_ba],
        "time": time.time(),
    }


def _has_verdict(record: dict) -> bool:
    """Whether a judge record holds a verdict (a winner or a tie) that rates the models; a
    record whose replies held none, earlier written as a tie, does not."""
    return record["outcome"] != "unreadable"
