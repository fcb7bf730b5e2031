"""How many rows of a real test set does `tunelab data facts` give a fact a right answer must
state? Proposes facts for every row of a file as `tunelab data facts` does (`propose_file`,
bad rows skipped), then counts the rows by the most specific kind of fact they got: code (a URL,
path, option, code in backticks, a dotted or snake name), a number, a name, rare words of the
reference (a weaker guess), a yes/no verdict only (the opposite verdict as a wrong answer, no
fact), nothing, or none as a canned refusal (off-topic: scored by whether it refuses). With `--sample N` it prints N seeded rows of a kind, for a person to read:
does the reference state a checkable fact the deriver missed?

    python benchmarks/fact_coverage.py ../shared/data/instructions/lamini_docs/lamini_docs.jsonl
    python benchmarks/fact_coverage.py FILE --sample 40 --kind none --seed 33
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections import Counter
from pathlib import Path

from tunelab.evaluate.facts.propose_file import propose_file
from tunelab.evaluate.facts.specific_terms import ADDRESS_OR_CODE, specific_terms
from tunelab.evaluate.refusals import OFF_TOPIC

KINDS = ("code", "number", "name", "rare words", "yes/no verdict only", "none", "off-topic")


def kind_of(row: dict) -> str:
    """The most specific kind of fact `row` was given (`KINDS`)."""
    facts = [f[0] if isinstance(f, list) else f for f in row.get("facts") or []]
    if not facts and row.get("kind") == OFF_TOPIC:
        return "off-topic"
    if not facts:
        return "yes/no verdict only" if row.get("wrong") else "none"
    if row.get("facts_from") == "reference words":
        return "rare words"
    written = [f for f in facts if isinstance(f, str)]
    if any(specific_terms(f, ADDRESS_OR_CODE) for f in written):
        return "code"
    return "number" if any(any(c.isdigit() for c in f) for f in written) else "name"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="a test file tunelab reads (question and answer)")
    parser.add_argument("--sample", type=int, default=0, help="print this many rows of --kind")
    parser.add_argument("--kind", default="none", choices=KINDS)
    parser.add_argument("--seed", type=int, default=33)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "facts.jsonl"
        propose_file(args.path, out, on_error="skip")
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    kinds = [kind_of(row) for row in rows]
    counts = Counter(kinds)
    print(f"{len(rows)} rows of {args.path}\n")
    print("| fact of the row | rows | share |\n|---|---:|---:|")
    for kind in KINDS:
        print(f"| {kind} | {counts[kind]} | {counts[kind] / len(rows):.1%} |")
    facted = sum(counts[k] for k in KINDS[:4])
    print(f"| **≥1 fact** | **{facted}** | **{facted / len(rows):.1%}** |")
    picked = [i for i, k in enumerate(kinds) if k == args.kind]
    for i in sorted(random.Random(args.seed).sample(picked, min(args.sample, len(picked)))):
        row = rows[i]
        question = row["question"].replace("### Question:", "").replace("### Answer:", "")
        print(f"\n[{i + 1}] Q: {question.strip()}\n    A: {row['answer'][:300]}")
        print(f"    facts: {row.get('facts')}  wrong: {row.get('wrong')}")


if __name__ == "__main__":
    main()
