"""Does the demo's fact score agree with a careful reader? Reads answers a person judged blind
(from the question and the reference answer only, before any scoring: does the answer state the
reference's facts, does it state something false about them), scores the same answers as the demo
does (`tunelab.demo.scores.per_question`'s rule: every fact stated, no wrong phrase), and prints
the agreement table per test kind with Cohen's kappa and the agreement rate's 95% interval, then
every answer the two disagree on; then how many of the answers the reader found to state something
false each false-statement measure counts (the named wrong phrase of the hallucination rate, the
other value, either) and how many it counts that the reader found none in.

    python benchmarks/fact_scorer_agreement.py benchmarks/data/fact_scorer/judged.jsonl

With `--judge MODEL_OR_URL`, a judge model grades the same answers as `tunelab judge --grade`
does (each alone against its reference: states its facts? states anything false?), and the same
two tables follow for the judge: right = [[RIGHT]] and [[NO FALSE]] against the reader's right,
and [[FALSE]] as one more false-statement measure. A local judge chooses its grade by likelihood
(`tunelab judge`'s way); an endpoint writes it. An answer whose reply held no grade agrees
with nothing: it counts in n and in "no verdict", not in kappa. The grades are kept in
`--out`/grades.jsonl, so a second run asks only what the first did not finish.

A judged row: {"row": its 1-based place in `demo_tests()`, "kind", "question", "answer",
"states", "states_false", "right" (states and not states_false), "reason"}.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from tunelab.demo.run import demo_tests
from tunelab.evaluate.facts.score import (
    missed_facts,
    other_value_stated,
    parse_fact_check,
    score_facts,
    wrong_stated,
)
from tunelab.evaluate.human.records import cohen_kappa
from tunelab.evaluate.paired import mean_interval
from tunelab.remote import is_endpoint

CELLS = ("both right", "both wrong", "false credit", "missed credit")
NO_VERDICT = "no verdict"


def scored(judged: list[dict]) -> list[dict]:
    """Each judged answer with the scorer's verdict, scored against its demo test row."""
    tests = demo_tests()
    out = []
    for j in judged:
        test = tests[j["row"] - 1]
        if test["question"] != j["question"]:
            raise SystemExit(f"row {j['row']} is now {test['question']!r}, not {j['question']!r}")
        check = parse_fact_check(test, f"demo test:{j['row']}")
        right = bool(score_facts(j["answer"], check)["fact_accuracy"])
        missed, wrong = missed_facts(j["answer"], check), wrong_stated(j["answer"], check)
        other = other_value_stated(j["answer"], check)
        out.append(
            {**j, "scorer_right": right, "cell": cell(j["right"], right), "missed": missed, "wrong": wrong,
             "other": other, "names_wrong": bool(check.wrong)}
        )  # fmt: skip
    return out


def cell(reader: bool, other: bool | None) -> str:
    """Where an answer falls when the reader says `reader` and the scorer or judge `other`."""
    if other is None:
        return NO_VERDICT
    return CELLS[[other and reader, not (other or reader), other, True].index(True)]


def judge_grades(rows: list[dict], args: argparse.Namespace) -> None:
    """Each answer's grade by the judge, as `tunelab judge --grade` asks it: judge_right (states
    the facts and nothing false), judge_false and judge_cell; None where no grade was read."""
    from tunelab.evaluate.judge.asking import JudgeConfig, asker
    from tunelab.evaluate.judge.grades import grade

    config = JudgeConfig(judge=args.judge, judge_model=args.judge_model, grade=True,
                         votes=str(args.out / "votes.jsonl"), max_new_tokens=args.max_new_tokens)  # fmt: skip
    # One answer set, keyed by id: the same question is answered by several models.
    answers = {"judged": {r["id"]: {k: r[k] for k in ("question", "reference", "answer")}
                          for r in rows}}  # fmt: skip
    graded = {g["question"]: g for g in grade(answers, config, asker(config)).records}
    for r in rows:
        g = graded.get(r["id"])
        r["judge_reply"] = g and g["reply"]
        r["judge_right"] = g and g["right"] and not g["false"]
        r["judge_false"] = g and g["false"]
        r["judge_cell"] = cell(r["right"], r["judge_right"])


FALSE_MEASURES = {
    "wrong phrase": ("wrong",),
    "other value": ("other",),
    "either": ("wrong", "other"),
}


def false_table(rows: list[dict], measures: dict = FALSE_MEASURES) -> list[dict]:
    """Per kind, over all answers, and over the answers whose row names a wrong answer (what the
    hallucination rate is over): the reader's false answers, and for each measure how many of
    them it counts ("caught") and how many answers it counts that the reader found true."""
    kinds = sorted({r["kind"] for r in rows}, key=["paraphrase", "two_facts", "reverse"].index)
    groups = [(kind, [r for r in rows if r["kind"] == kind]) for kind in kinds]
    groups += [("all", rows), ("row names a wrong answer", [r for r in rows if r["names_wrong"]])]
    out = []
    for group, some in groups:
        line = {
            "answers": group,
            "n": len(some),
            "reader false": sum(r["states_false"] for r in some),
        }
        for name, keys in measures.items():
            counted = [r for r in some if any(r[k] for k in keys)]
            caught = sum(r["states_false"] for r in counted)
            line[f"{name}: caught / false alarms"] = f"{caught} / {len(counted) - caught}"
        out.append(line)
    return out


def table(rows: list[dict], by: str = "scorer") -> list[dict]:
    """Per kind and over all: the four cells, the agreement rate with its interval, kappa, of
    the scorer or (by "judge") the judge with the reader; an answer with no verdict is one
    more cell, agreeing with nothing, and left out of kappa."""
    kinds = sorted({r["kind"] for r in rows}, key=["paraphrase", "two_facts", "reverse"].index)
    out = []
    for kind in [*kinds, "all"]:
        some = [r for r in rows if kind in ("all", r["kind"])]
        agree = mean_interval([float(r["right"] == r[f"{by}_right"]) for r in some])
        cells = Counter(r["cell" if by == "scorer" else f"{by}_cell"] for r in some)
        pairs = [(r["right"], r[f"{by}_right"]) for r in some if r[f"{by}_right"] is not None]
        out.append(
            {
                "kind": kind,
                "n": len(some),
                **{c: cells[c] for c in CELLS},
                **({NO_VERDICT: cells[NO_VERDICT]} if by != "scorer" else {}),
                "agreement [95%]": f"{100 * agree.delta:.1f}% [{100 * agree.low:.1f}, "
                f"{100 * agree.high:.1f}]",
                "kappa": round(cohen_kappa(pairs), 3) if pairs else "–",
            }
        )
    return out


def print_table(summary: list[dict]) -> None:
    print("| " + " | ".join(summary[0]) + " |")
    print("|---|" + "---:|" * (len(summary[0]) - 1))
    for s in summary:
        print("| " + " | ".join(str(v) for v in s.values()) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("judged", type=Path, help="JSONL of judged answers")
    parser.add_argument("--judge", help="a judge model, run or OpenAI-compatible URL to grade them")
    parser.add_argument("--judge-model", help="the model id at the judge's URL")
    parser.add_argument(
        "--max-new-tokens", type=int, default=16, help="an endpoint judge's longest reply"
    )
    parser.add_argument("--out", type=Path, default=Path("runs/fact_scorer_agreement"),
                        help="where the judge's grades are kept (grades.jsonl)")  # fmt: skip
    args = parser.parse_args()
    judged = [json.loads(line) for line in args.judged.read_text().splitlines() if line.strip()]
    rows = scored(judged)
    print_table(table(rows))
    print("\nfalse credit: the scorer calls right what the reader calls wrong; missed: the reverse")
    for r in rows:
        if r["cell"] in CELLS[2:]:
            print(f"\n{r['cell']}, {r['id']} ({r['kind']}): {r['question']}")
            print(f"  answer: {r['answer']}")
            print(f"  reader: {r['reason']}; scorer missed {r['missed']}, wrong {r['wrong']}")
    print()
    print_table(false_table(rows))
    print("\nwrong phrase: the row's named wrong answer (the hallucination rate); other value: the")
    print("answer gives what is asked another value than the reference (the other-value rate)")
    for r in rows:
        if r["wrong"] or r["other"]:
            tag = "counted" if r["states_false"] else "false alarm"
            print(
                f"  {tag}, {r['id']}: wrong {r['wrong']}, other value {r['other']}: {r['answer'][:90]!r}"
            )

    if args.judge:
        print_judge(rows, args)


def print_judge(rows: list[dict], args: argparse.Namespace) -> None:
    """The judge's agreement with the reader, in the scorer's two tables."""
    started = time.monotonic()
    judge_grades(rows, args)
    minutes = (time.monotonic() - started) / 60
    # A local judge chooses its grade by likelihood: it writes nothing, so needs no token budget.
    how = f"max_new_tokens {args.max_new_tokens}" if is_endpoint(args.judge) else "by likelihood"
    print(f"\nthe judge {args.judge} ({how}, {minutes:.1f} min)")
    replies = Counter(r["judge_reply"] for r in rows if r["judge_reply"] is not None)
    print("its grades: " + ", ".join(f"{reply} {n}" for reply, n in replies.most_common()))
    print_table(table(rows, by="judge"))
    print()
    print_table(false_table(rows, {"judge": ("judge_false",)}))
    for r in rows:
        if r["judge_cell"] in CELLS[2:]:
            print(f"  {r['judge_cell']}, {r['id']}: {r['answer'][:90]!r}; reader: {r['reason']}")


if __name__ == "__main__":
    main()
