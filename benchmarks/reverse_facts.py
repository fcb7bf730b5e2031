"""Do rows that reverse and combine facts teach a model to answer such questions, and does it
carry over to facts it got no such rows for? The facts that the demo's combine questions
(tunelab/demo/tunelab_qa_combine.jsonl: `two_facts` and `reverse`) use are split by seed into
halves A and B, keeping each question's facts in one half. Half A's facts get reversed
questions (`tunelab data augment`'s rules, tunelab/data/generate/augment/reverse.py;
hand-written ones in benchmarks/data/reverse_facts/ where the answer has no form the rules know)
and each of its two-fact questions' pairs gets combined rows (the two facts' questions asked as
one, their answers joined). No training question shares 60% of its words with a held-out question.

The demo recipe (`demo_config`: full finetuning, 3 epochs, the embedded model) trains twice:
on the demo data alone, and on it plus half A's rows. Both answer the combine questions and the
56 paraphrases; the table gives each half and kind's fact accuracy, and the gain of the second
run over the first paired over the same questions (Newcombe's interval, tunelab's compare).

    flock /tmp/bench.lock .venv/bin/python benchmarks/reverse_facts.py --out /tmp/reverse_facts
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

import tunelab
from tunelab.config import Config
from tunelab.data.files.write_files import write_jsonl
from tunelab.data.generate.augment.reverse import (
    ambiguous_values,
    combined_answer,
    combined_question,
    rule_reversals,
)
from tunelab.data.quality.dedup import jaccard
from tunelab.demo.run import MAX_NEW_TOKENS, SYSTEM_PROMPT, demo_config, demo_data, demo_tests
from tunelab.demo.scores import per_question
from tunelab.evaluate.facts.score import facts_stated, parse_fact_check, shown_phrase
from tunelab.evaluate.paired import paired_difference
from tunelab.generation.generate import answer
from tunelab.run import load_model

HAND = Path(__file__).resolve().parent / "data" / "reverse_facts" / "reversed.jsonl"
REFUSAL = "I can only answer questions about tunelab."
KINDS = ("two_facts", "reverse")
REVERSED_PER_FACT = 3
COMBINED_PER_PAIR = 3
NEAR = 0.6  # word-set Jaccard at which a training question counts as a held-out one (the demo's)


def _words(text: str) -> set[str]:
    return set(re.sub(r"[^\w\s]|_", " ", text.lower().replace("what's", "what is")).split())


def facts_of(row: dict, answers: list[str]) -> list[str]:
    """The trained answers a held-out row's facts come from: of the answers stating each fact,
    the one sharing most words with the clause of the row's reference that states it."""
    clauses = re.split(r";|, and | and |, so ", row["answer"])
    out = []
    for fact in parse_fact_check(row, row["question"]).facts:
        one = parse_fact_check({"facts": [list(map(shown_phrase, fact))]}, row["question"])
        said = next((c for c in clauses if facts_stated(c, one)[0]), row["answer"])
        # "The prompt is masked out of the loss" states "prompt" as the scorer reads it only
        # where a question asks what is masked: its words are enough here.
        shown = [_words(shown_phrase(alt)) for alt in fact]
        stating = [
            a for a in answers if facts_stated(a, one)[0] or any(w <= _words(a) for w in shown)
        ]
        out.append(max(stating, key=lambda a: len(_words(a) & _words(said))))
    return out


def split_halves(rows: list[dict], answers: list[str], seed: int) -> list[str]:
    """'A' or 'B' for each row: rows sharing a fact go together, the groups shuffled by `seed`
    and each given to the half with fewer rows of its kinds so far."""
    facts = [facts_of(row, answers) for row in rows]
    group = list(range(len(rows)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in range(len(rows)):
        for j in range(i):
            if set(facts[i]) & set(facts[j]):
                group[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(rows)):
        groups.setdefault(root(i), []).append(i)
    order = list(groups.values())
    random.Random(seed).shuffle(order)
    counts = {half: dict.fromkeys(KINDS, 0) for half in "AB"}
    halves = [""] * len(rows)
    for members in order:
        need = {k: sum(rows[i]["kind"] == k for i in members) for k in KINDS}
        half = min("AB", key=lambda h: sum(counts[h][k] * need[k] for k in KINDS))
        for i in members:
            halves[i] = half
        for k in KINDS:
            counts[half][k] += need[k]
    return halves


def rows_for_half(rows, halves, train, held_out, note) -> list[dict]:
    """Reversed rows for every fact of half A and combined rows for its two-fact questions,
    none near a held-out question."""
    answers = list(dict.fromkeys(r["answer"] for r in train if r["answer"] != REFUSAL))
    asked = {a: [r["question"] for r in train if r["answer"] == a] for a in answers}
    ambiguous = ambiguous_values(answers)
    hand: dict[str, list[str]] = {}
    for line in HAND.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        hand.setdefault(row["answer"], []).append(row["question"])
    new, facts_a = [], {}
    for row, half in zip(rows, halves):
        if half == "A":
            for fact in facts_of(row, answers):
                facts_a.setdefault(fact, row)
    for fact in facts_a:
        questions = rule_reversals(fact, REVERSED_PER_FACT, ambiguous)
        kind = "rules"
        if not questions:
            questions, kind = hand.get(fact, []), "hand-written"
        note[f"facts reversed ({kind})"] = note.get(f"facts reversed ({kind})", 0) + (
            1 if questions else 0
        )
        if not questions:
            note["facts with no reversed row"] = note.get("facts with no reversed row", 0) + 1
        new += [{"question": q, "answer": fact, "kind": "reverse"} for q in questions]
    for row, half in zip(rows, halves):
        pair = facts_of(row, answers)
        if half != "A" or row["kind"] != "two_facts" or len(pair) != 2:
            continue
        first, second = (asked[a] for a in pair)
        for i in range(COMBINED_PER_PAIR):
            new.append(
                {"question": combined_question(first[i % len(first)], second[i % len(second)]),
                 "answer": combined_answer(*pair), "kind": "two_facts"}
            )  # fmt: skip
    held = [_words(t["question"]) for t in held_out]
    kept = [r for r in new if all(jaccard(_words(r["question"]), h) < NEAR for h in held)]
    note["dropped: near a held-out question"] = len(new) - len(kept)
    return kept


def train_arm(name: str, data: Path, out: Path, reuse: bool) -> tuple[Path, str]:
    config = demo_config(str(out / "runs")).model_dump(exclude_unset=True)
    config["name"] = name
    config["data"]["path"] = str(data)
    run_dir = out / "runs" / name
    finished = run_dir.is_dir() and tunelab.Run.open(run_dir).status.get("status") == "finished"
    if reuse and finished:
        return run_dir, "reused"
    started = time.perf_counter()
    tunelab.train(Config.from_dict(config), overwrite=True)
    return run_dir, f"{(time.perf_counter() - started) / 60:.1f} min"


def reused_answers(path: Path, tests: list[dict]) -> list[str] | None:
    """An arm's answers from an earlier run in --out, if it asked these very questions. The
    demo-data arm does not depend on --seed, so a second split need not train it again."""
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if [r["question"] for r in rows] != [t["question"] for t in tests]:
        return None
    return [r["answer_given"] for r in rows]


def ask(run_dir: Path, tests: list[dict]) -> list[str]:
    model, tokenizer = load_model(str(run_dir))
    questions = [t["question"] for t in tests]
    replies = answer(
        model, tokenizer, questions, system_prompt=SYSTEM_PROMPT, max_new_tokens=MAX_NEW_TOKENS
    )
    return [r.text for r in replies]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/reverse_facts"))
    parser.add_argument("--seed", type=int, default=0, help="which facts fall in half A")
    parser.add_argument(
        "--reuse", action="store_true", help="keep finished runs and their answers in --out"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train_path = demo_data()[0]
    train = [json.loads(line) for line in train_path.read_text(encoding="utf-8").splitlines()]
    tests = demo_tests()
    combine = [t for t in tests if t["kind"] in KINDS]
    answers = list(dict.fromkeys(r["answer"] for r in train if r["answer"] != REFUSAL))
    halves = split_halves(combine, answers, args.seed)
    note: dict[str, int] = {}
    new = rows_for_half(combine, halves, train, tests, note)
    write_jsonl(new, args.out / "half_a_rows.jsonl")
    plus = args.out / "train_plus_half_a.jsonl"
    write_jsonl(train + [{"question": r["question"], "answer": r["answer"]} for r in new], plus)
    kinds = {k: sum(r["kind"] == k for r in new) for k in KINDS}
    print(f"half A rows: {kinds['reverse']} reversed, {kinds['two_facts']} combined; {note}")

    scored: dict[str, list[str]] = {}
    trained: dict[str, str] = {}
    # Half A's run and answers are named by --seed: another split's must never be reused.
    for name, run_name, data in (
        ("demo data", "plain", train_path),
        ("+ half A rows", f"half_a_seed{args.seed}", plus),
    ):
        answers_file = args.out / f"answers_{run_name}.jsonl"
        kept = reused_answers(answers_file, tests) if args.reuse else None
        if kept is None:
            run_dir, trained[name] = train_arm(run_name, data, args.out, args.reuse)
            scored[name] = ask(run_dir, tests)
            rows = [{**t, "answer_given": a} for t, a in zip(tests, scored[name])]
            write_jsonl(rows, answers_file)
        else:
            scored[name], trained[name] = kept, f"answers reused from {answers_file}"

    half_of = {id(t): half for t, half in zip(combine, halves)}

    def scores(name: str, half: str | None, kinds: tuple[str, ...]) -> list[float]:
        out = []
        for kind in kinds:
            chosen = [
                i for i, t in enumerate(tests)
                if t["kind"] == kind and (half is None or half_of[id(t)] == half)
            ]  # fmt: skip
            key = "fact_accuracy" if kind == "paraphrase" else f"fact_accuracy_{kind}"
            out += per_question([tests[i] for i in chosen], [scored[name][i] for i in chosen])[key]
        return out

    first, second = scored
    print(f"\ntrained: {', '.join(f'{n} ({t})' for n, t in trained.items())}\n")
    print(f"| questions | n | {first} | {second} | gain [95% paired] | verdict |")
    print("|---|---|---|---|---|---|")
    for label, half, kinds in (
        ("half A, reverse (trained kind)", "A", ("reverse",)),
        ("half A, two facts (trained kind)", "A", ("two_facts",)),
        ("half A, both kinds", "A", KINDS),
        ("half B, reverse (transfer)", "B", ("reverse",)),
        ("half B, two facts (transfer)", "B", ("two_facts",)),
        ("half B, both kinds", "B", KINDS),
        ("paraphrases (must not drop)", None, ("paraphrase",)),
    ):
        before, after = scores(first, half, kinds), scores(second, half, kinds)
        diff = paired_difference(before, after)
        print(
            f"| {label} | {len(before)} | {100 * sum(before) / len(before):.1f} | "
            f"{100 * sum(after) / len(after):.1f} | {100 * diff.delta:+.1f} "
            f"[{100 * diff.low:+.1f}, {100 * diff.high:+.1f}] | {diff.said} |"
        )


if __name__ == "__main__":
    main()
