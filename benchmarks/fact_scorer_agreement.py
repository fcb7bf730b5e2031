"""Does the demo's fact score agree with a careful reader? Reads answers a person judged blind
(from the question and the reference answer only, before any scoring: does the answer state the
reference's facts, does it state something false about them), scores the same answers as the demo
does (`tunelab.demo.scores.per_question`'s rule: every fact stated, no wrong phrase), and prints
the agreement table per test kind with Cohen's kappa and the agreement rate's 95% interval, then
every answer the two disagree on; then how many of the answers the reader found to state something
false each false-statement measure counts (the named wrong phrase of the hallucination rate, the
other value, either) and how many it counts that the reader found none in.

    python benchmarks/fact_scorer_agreement.py benchmarks/data/fact_scorer/judged.jsonl

A judged row: {"row": its 1-based place in `demo_tests()`, "kind", "question", "answer",
"states", "states_false", "right" (states and not states_false), "reason"}.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from tunelab.demo.run import demo_tests
from tunelab.evaluate.facts import (
    missed_facts,
    other_value_stated,
    parse_fact_check,
    score_facts,
    wrong_stated,
)
from tunelab.evaluate.judge.verdicts import cohen_kappa
from tunelab.evaluate.paired import mean_interval

CELLS = ("both right", "both wrong", "false credit", "missed credit")


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
        cell = CELLS[[right and j["right"], not (right or j["right"]), right, True].index(True)]
        missed, wrong = missed_facts(j["answer"], check), wrong_stated(j["answer"], check)
        other = other_value_stated(j["answer"], check)
        out.append(
            {**j, "scorer_right": right, "cell": cell, "missed": missed, "wrong": wrong,
             "other": other, "names_wrong": bool(check.wrong)}
        )  # fmt: skip
    return out


FALSE_MEASURES = {
    "wrong phrase": ("wrong",),
    "other value": ("other",),
    "either": ("wrong", "other"),
}


def false_table(rows: list[dict]) -> list[dict]:
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
        for name, keys in FALSE_MEASURES.items():
            counted = [r for r in some if any(r[k] for k in keys)]
            caught = sum(r["states_false"] for r in counted)
            line[name] = f"{caught} / {len(counted) - caught}"
        out.append(line)
    return out


def table(rows: list[dict]) -> list[dict]:
    """Per kind and over all: the four cells, the agreement rate with its interval, kappa."""
    kinds = sorted({r["kind"] for r in rows}, key=["paraphrase", "two_facts", "reverse"].index)
    out = []
    for kind in [*kinds, "all"]:
        some = [r for r in rows if kind in ("all", r["kind"])]
        agree = mean_interval([float(r["right"] == r["scorer_right"]) for r in some])
        cells = Counter(r["cell"] for r in some)
        out.append(
            {
                "kind": kind,
                "n": len(some),
                **{c: cells[c] for c in CELLS},
                "agreement": f"{100 * agree.delta:.1f}% [{100 * agree.low:.1f}, "
                f"{100 * agree.high:.1f}]",
                "kappa": round(cohen_kappa([(r["right"], r["scorer_right"]) for r in some]), 3),
            }
        )
    return out


def print_table(summary: list[dict]) -> None:
    print(f"| kind | n | {' | '.join(CELLS)} | agreement [95%] | kappa |")
    print("|---|" + "---:|" * (len(CELLS) + 3))
    for s in summary:
        values = [s["kind"], s["n"], *(s[c] for c in CELLS), s["agreement"], s["kappa"]]
        print("| " + " | ".join(str(v) for v in values) + " |")


def print_false_table(summary: list[dict]) -> None:
    print(
        "\n| answers | n | reader false | "
        + " | ".join(f"{m}: caught / false alarms" for m in FALSE_MEASURES)
        + " |"
    )
    print("|---|" + "---:|" * (len(FALSE_MEASURES) + 2))
    for s in summary:
        print("| " + " | ".join(str(v) for v in s.values()) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("judged", type=Path, help="JSONL of judged answers")
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
    print_false_table(false_table(rows))
    print("\nwrong phrase: the row's named wrong answer (the hallucination rate); other value: the")
    print("answer gives what is asked another value than the reference (the other-value rate)")
    for r in rows:
        if r["wrong"] or r["other"]:
            tag = "counted" if r["states_false"] else "false alarm"
            print(
                f"  {tag}, {r['id']}: wrong {r['wrong']}, other value {r['other']}: {r['answer'][:90]!r}"
            )


if __name__ == "__main__":
    main()
