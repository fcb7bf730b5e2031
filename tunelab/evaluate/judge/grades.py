"""Single-answer grading (`tunelab judge --grade`), MT-Bench's other mode, aimed at facts: the
judge sees one answer with its question and reference answer and gives two verdicts, whether the
answer states the reference's facts (`[[RIGHT]]` / `[[WRONG]]`) and whether it states anything
false or invented about what is asked (`[[FALSE]]` / `[[NO FALSE]]`). Two verdicts, not three
labels (right / wrong / false), because they are the two questions a careful reader answers
(docs/knowledge.md, "How far the fact score can be trusted") and each has its own rule to be
held against: the judged-right rate against the fact accuracy (every fact stated), the
judged-false rate against the hallucination rate, a floor that misses invented descriptions; one
label would hide an answer that states the facts and invents more. A reply that gives either
verdict neither way, or both ways (a judge echoing the rubric), is no verdict: reported, left
out of the rates and asked again on the next run, as the pairwise mode does. Grades are
appended to grades.jsonl beside the pairwise verdicts as they come; an answer this judge
already graded (the same answer to the same question against the same reference) is not asked
again."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from tunelab.errors import TunelabError
from tunelab.evaluate.human.answers import question_facts, reference_answer
from tunelab.evaluate.human.records import cohen_kappa, fingerprint
from tunelab.evaluate.judge.asking import (
    Ask,
    JudgeConfig,
    ask_and_write,
    rating_all_kept,
    read_records,
)
from tunelab.evaluate.paired import Difference, mean_interval, paired_difference
from tunelab.terminal import is_are, n_things

GRADE_RUBRIC = (
    "Please act as an impartial judge and grade the answer an AI assistant gave to the user "
    "question below, against the reference answer. Answer two questions. First: does the answer "
    "state the facts of the reference answer that answer the question? Second: does it state "
    "anything false or invented about what the question asks (a wrong value, yes or no, command "
    "or setting, or a made-up description)? A true statement about something else is not "
    "false. Do not let the answer's length or style sway you. Reply with your two verdicts only: "
    '"[[RIGHT]]" or "[[WRONG]]", then "[[FALSE]]" or "[[NO FALSE]]".'
)
STATES = re.compile(r"\[\[\s*(RIGHT|WRONG)\s*\]\]", re.IGNORECASE)
FALSE = re.compile(r"\[\[\s*(NO FALSE|FALSE)\s*\]\]", re.IGNORECASE)
# What a local judge chooses among (asking.likeliest): both verdicts in one reply, the four of
# them scored at once rather than the second after the first, so the pair the judge finds likeliest
# wins (not the likeliest second verdict after the likeliest first) in one pass of the prompt.
REPLIES = tuple(
    f"{s} {f}" for s in ("[[RIGHT]]", "[[WRONG]]") for f in ("[[FALSE]]", "[[NO FALSE]]")
)
GRADES_FILE = "grades.jsonl"  # beside the pairwise verdicts, judge.jsonl
MEASURES = ("right", "false")  # the judged-false rate is better low


@dataclass
class Grading:
    """What `tunelab judge --grade` found: the grades (new and earlier ones by the same judge),
    each answer set's judged-right and judged-false rates with their 95% intervals, every two
    sets' paired differences, and the answers still without a grade."""

    records: list[dict]
    path: Path
    sets: list[dict]  # {"model", "graded", "right", "false": Difference, "agreement": {...}}
    differences: list[dict]  # {"measure", "first", "second", "difference", "ahead"}
    no_verdict: list[dict]  # the last records of answers whose reply held no grade
    no_reference: int  # answers whose question has no reference answer: not graded
    already: int = 0  # answers with a grade in grades.jsonl from an earlier run: not asked again


def conversation(question: str, reference: str, answer: str) -> list[dict]:
    """The judge's prompt for one answer: the rubric, the question, the reference, the answer."""
    parts = [f"[Question]\n{question}", f"[Reference answer]\n{reference}", f"[Answer]\n{answer}"]
    return [
        {"role": "system", "content": GRADE_RUBRIC},
        {"role": "user", "content": "\n\n".join(parts)},
    ]


def read_grade(reply: str) -> tuple[bool, bool] | None:
    """(states the facts, states something false) from the judge's reply; None unless it gives
    each verdict exactly one way."""
    states = {m.upper() for m in STATES.findall(reply)}
    false = {" ".join(m.upper().split()) for m in FALSE.findall(reply)}
    if len(states) != 1 or len(false) != 1:
        return None
    return states == {"RIGHT"}, false == {"FALSE"}


def grade(answers: dict[str, dict[str, dict]], config: JudgeConfig, ask: Ask) -> Grading:
    """Grade every answer whose question has a reference (each set's first `config.limit`
    questions), appending each grade to grades.jsonl beside the pairwise verdicts as it comes;
    answers this judge graded there before are not asked again, and one whose reply held no
    grade is."""
    source = config.source()
    path = Path(config.votes).parent / GRADES_FILE
    todo = {
        (model, q): (rows[q]["question"], reference, rows[q]["answer"])
        for model, rows in answers.items()
        for q in list(rows)[: config.limit]
        if (reference := reference_answer(answers, q))
    }
    asked = sum(len(list(rows)[: config.limit]) for rows in answers.values())
    if not todo:
        raise TunelabError(
            "no answer's question has a reference answer to grade it against: grade the answers "
            "of `tunelab eval` or `compare` on a test file whose rows give one"
        )
    earlier = [r for r in read_records(path) if r.get("source") == source
               and _on(r, todo.get((r.get("model"), r.get("question"))))]  # fmt: skip
    done = {(r["model"], r["question"]) for r in earlier if r["right"] is not None}
    left = [key for key in todo if key not in done]

    def record(index: int, replies: list[str]) -> dict:
        (model, q), (_, reference, answer) = left[index], todo[left[index]]
        right, false = read_grade(replies[0]) or (None, None)
        return {"question": q, "model": model, "right": right, "false": false,
                "source": source, "reply": replies[0], "answer": fingerprint(answer),
                "reference": fingerprint(reference), "time": time.time()}  # fmt: skip

    made = ask_and_write([[conversation(*todo[key])] for key in left], record, ask, path)
    # An answer graded again after a reply with no grade: its latest record is the one that holds.
    latest = {(r["model"], r["question"]): r for r in earlier + made}
    grades = [r for r in latest.values() if r["right"] is not None]
    ungraded = [r for r in latest.values() if r["right"] is None]
    again = f"the {n_things(len(ungraded), 'answer')} without a grade {is_are(len(ungraded))}"
    with rating_all_kept(len(grades), "grade", path, again if ungraded else ""):
        return Grading(
            grades,
            path,
            [_rates(model, answers[model], grades) for model in answers],
            differences(answers, grades),
            ungraded,
            asked - len(todo),
            len(todo) - len(left),
        )


def _on(record: dict, graded: tuple[str, str, str] | None) -> bool:
    """Whether a grade is of this answer to this question against this reference."""
    return graded is not None and (record.get("reference"), record.get("answer")) == (
        fingerprint(graded[1]),
        fingerprint(graded[2]),
    )


def _rates(model: str, rows: dict[str, dict], grades: list[dict]) -> dict:
    """One answer set's judged-right and judged-false rates (Wilson's 95% intervals), and the
    judge's agreement with tunelab's fact accuracy where the answers carry it."""
    own = [r for r in grades if r["model"] == model]
    scored = [(bool(facts["fact_accuracy"]), r["right"]) for r in own
              if "fact_accuracy" in (facts := rows[r["question"]].get("facts") or {})]  # fmt: skip
    agreement = {}
    if scored:
        agreement = {
            "kappa": cohen_kappa(scored),
            "agree": sum(a == b for a, b in scored),
            "answers": len(scored),
        }
    rates = {m: mean_interval([float(r[m]) for r in own]) for m in MEASURES}
    return {"model": model, "graded": len(own), **rates, "agreement": agreement}


def differences(answers: dict[str, dict[str, dict]], grades: list[dict]) -> list[dict]:
    """Every two answer sets' paired difference (first − second, in the order given) of each
    rate over the questions both had graded (none: no line), resampling facts where
    rephrasings ask one together (`question_facts`), with the set the interval and a sign-flip
    test favour, or why neither (`tunelab.evaluate.paired`)."""
    by = {(r["model"], r["question"]): r for r in grades}
    out = []
    for first, second in combinations(answers, 2):
        both = [q for m, q in by if m == first and (second, q) in by]
        if not both:
            continue
        facts = question_facts(answers, both)
        for measure in MEASURES:
            diff: Difference = paired_difference(
                [float(by[second, q][measure]) for q in both],
                [float(by[first, q][measure]) for q in both],
                clusters=facts,
            )
            ahead = diff.ahead(first, second, lower_is_better=measure == "false")
            out.append({"measure": measure, "first": first, "second": second,
                        "difference": diff, "ahead": ahead})  # fmt: skip
    return out
