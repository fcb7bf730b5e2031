"""How far can facts read off the reference answers (`tunelab data facts`) stand in for facts a
person wrote? The demo's test set has hand-written facts; this proposes facts for the same rows
from their reference answers alone, then asks, answer by answer, whether each scoring calls the
answer right as the hand-written facts do. Token F1 >= 0.5 is the anchor: what a user without
facts would read as "right".

Three sets of answers:
- the demo run's own answers (base model and finetuned; `tunelab demo` writes them);
- "wrong value": the reference with its fact replaced by a wrong answer the row names ("The LoRA
  rank r defaults to 8.") - right style, wrong fact;
- "right, few words": the fact alone in a short sentence ("It is 16.") - right fact, little
  of the reference's wording.

    python benchmarks/derived_facts.py --run runs/demo
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from tunelab.evaluate import MOST_FACTS
from tunelab.evaluate.facts.propose_file import propose_rows
from tunelab.evaluate.facts.score import parse_fact_check, score_facts
from tunelab.evaluate.metrics import token_f1

TEST = Path(__file__).resolve().parents[1] / "tunelab" / "demo" / "tunelab_qa_test.jsonl"


def cases(rows: list[dict], answers: list[dict] | None) -> dict[str, list[tuple[dict, str]]]:
    """(row, answer) pairs of each set."""
    out: dict[str, list[tuple[dict, str]]] = {"wrong value": [], "right, few words": []}
    if answers:
        by_question = {a["question"]: a for a in answers}
        for arm in ("base", "finetuned"):
            out[f"demo answers: {arm}"] = [
                (r, by_question[r["question"]][arm]) for r in rows if r["question"] in by_question
            ]
    for row in rows:
        first = [a for a in row["facts"][0] if isinstance(a, str)]
        wrongs = [w for w in row.get("wrong", []) if isinstance(w, str)]
        for alt in first:
            found = re.search(re.escape(alt), row["answer"], re.IGNORECASE)
            if found and wrongs:
                changed = row["answer"][: found.start()] + wrongs[0] + row["answer"][found.end() :]
                out["wrong value"].append((row, changed))
                break
        if first and len(row["facts"]) == 1:
            out["right, few words"].append((row, f"It is {first[0]}."))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default="runs/demo", help="a demo run (its demo_answers.jsonl)")
    parser.add_argument("--most", type=int, default=MOST_FACTS)
    args = parser.parse_args()
    rows = [json.loads(line) for line in TEST.read_text().splitlines()]
    rows = [r for r in rows if r.get("kind") != "off_topic" and r.get("facts")]
    bare = [{k: v for k, v in r.items() if k not in ("facts", "wrong")} for r in rows]
    derived, _ = propose_rows(bare, args.most)
    by_question = {d["question"]: d for d in derived}
    answers_file = Path(args.run) / "demo_answers.jsonl"
    answers = (
        [json.loads(line) for line in answers_file.read_text().splitlines()]
        if answers_file.exists()
        else None
    )
    print(f"{len(rows)} demo test rows with hand-written facts; facts derived from the reference")
    print(f"answers alone, at most {args.most} a row. Share of answers each scoring calls as the")
    print("hand-written facts do (right = every fact stated):\n")
    if answers is None:  # the table lacked the demo's rows, and said nothing of why
        print(f"(no {answers_file}: the base and finetuned rows need a demo run, `tunelab demo`,")
        print("or --run RUN)\n")
    print(
        f"{'answers':28} {'n':>4} {'derived facts':>14} {'token F1>=0.5':>14} {'hand: right':>12}"
    )
    for name, pairs in cases(rows, answers).items():
        same_derived = same_f1 = right = 0
        for row, answer in pairs:
            hand = score_facts(answer, parse_fact_check(row, "hand"))["fact_accuracy"]
            auto = score_facts(answer, parse_fact_check(by_question[row["question"]], "derived"))
            same_derived += auto.get("fact_accuracy", 0.0) == hand
            same_f1 += float(token_f1(answer, row["answer"]) >= 0.5) == hand
            right += hand
        n = max(len(pairs), 1)
        print(
            f"{name:28} {len(pairs):4d} {100 * same_derived / n:13.0f}% {100 * same_f1 / n:13.0f}%"
            f" {100 * right / n:11.0f}%"
        )


if __name__ == "__main__":
    main()
