"""What a model learns from Q&A pairs generated out of tunelab's own README and docs, against the
hand-written demo set, measured by the demo's fact metrics on the demo's held-out test set.

    .venv/bin/python benchmarks/generated_vs_handwritten.py --out /tmp/gen-vs-hand

The hand-written arm is `runs/demo` as `tunelab demo` leaves it (run that first: its answers, base
and finetuned, are read from runs/demo/demo_answers.jsonl). The generated arms: `tunelab data
generate --mode template` on README.md, benchmarks/README.md and docs/, alone and then with
`tunelab data augment` (the embedded model asked for 3 rewrites of each question), each trained
with the demo's recipe (full finetuning, lr 5e-4, batch 2, the demo's system prompt) for the same
`--steps`. A test question counts as *covered* when some generated answer states every one of its
facts: the most that training on the generated pairs could teach. An arm whose answers are in
--out already is not run again (delete its folder to redo it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tunelab.data.generate.augment.augment_rows import AugmentConfig, augment
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.demo.run import MAX_NEW_TOKENS, SYSTEM_PROMPT, demo_config, demo_data
from tunelab.demo.scores import changes, means, per_question
from tunelab.evaluate.facts.score import parse_fact_check, score_facts
from tunelab.generation.generate import answer
from tunelab.run import load_model
from tunelab.train.loop import train

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("fact_accuracy", "hallucination_rate", "refusal_rate_off_topic", "token_f1")


def generated_pairs(out: Path) -> Path:
    path = out / "generated.jsonl"
    path.unlink(missing_ok=True)
    docs = [str(ROOT / "README.md"), str(ROOT / "benchmarks" / "README.md"), str(ROOT / "docs")]
    generate_dataset(GenerateConfig(docs=docs, output=str(path)), None, progress=False)
    return path


def augmented_pairs(pairs: Path, out: Path, test: Path) -> Path:
    path = out / "augmented.jsonl"
    path.unlink(missing_ok=True)
    stats = augment(AugmentConfig(data=str(pairs), output=str(path), test=str(test), paraphrases=3))
    print(
        f"augment: {stats.written} rewrites kept of {3 * stats.questions}; dropped {dict(stats.dropped)}"
    )
    return path


def covered(tests: list[dict], pairs: Path) -> list[bool]:
    """Per test row: does some generated answer state every one of its facts?"""
    answers = [json.loads(line)["answer"] for line in pairs.read_text().splitlines()]
    flags = []
    for i, test in enumerate(tests):
        check = parse_fact_check(test, f"demo test:{i + 1}")
        flags.append(
            test["kind"] != "off_topic"
            and bool(check.facts)
            and any(score_facts(a, check).get("fact_accuracy") == 1.0 for a in answers)
        )
    return flags


def train_on(pairs: Path, out: Path, steps: int) -> Path:
    config = demo_config(str(out), steps=steps)
    config = config.model_copy(
        update={
            "name": "model",
            "data": config.data.model_copy(update={"path": str(pairs)}),
            "train": config.train.model_copy(update={"epochs": 1000.0}),  # max_steps decides
        }
    )
    return train(config, overwrite=True)


def ask(run: Path, tests: list[dict]) -> list[str]:
    model, tokenizer = load_model(str(run))
    replies = answer(
        model, tokenizer, [t["question"] for t in tests], system_prompt=SYSTEM_PROMPT,
        max_new_tokens=MAX_NEW_TOKENS, batch_size=16,
    )  # fmt: skip
    return [r.text for r in replies]


def arm(folder: Path, pairs: Path, tests: list[dict], steps: int) -> list[str]:
    """The test answers of a model trained on `pairs` (read back when an earlier run left them)."""
    saved = folder / "answers.jsonl"
    if saved.exists():
        return [json.loads(line)["answer_given"] for line in saved.read_text().splitlines()]
    started = time.perf_counter()
    given = ask(train_on(pairs, folder, steps), tests)
    saved.write_text(
        "".join(json.dumps({**t, "answer_given": g}) + "\n" for t, g in zip(tests, given))
    )
    (folder / "minutes.txt").write_text(f"{(time.perf_counter() - started) / 60:.1f}\n")
    return given


def row(label: str, scores: dict) -> str:
    cells = [f"{scores.get(k, float('nan')):.1f}%" for k in METRICS]
    return f"| {label} | " + " | ".join(cells) + " |"


def interval(change: dict) -> str:
    verdict = ", no clear winner" if change["verdict"] == "no clear winner" else ""
    return f"{change['delta']:+.1f} [{change['low']:+.1f}, {change['high']:+.1f}]{verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/gen-vs-hand"))
    parser.add_argument("--handwritten", type=Path, default=ROOT / "runs" / "demo")
    parser.add_argument("--steps", type=int, default=100, help="optimizer steps per generated arm")
    args = parser.parse_args()
    answers_file = args.handwritten / "demo_answers.jsonl"
    if not answers_file.exists():
        raise SystemExit(f"{answers_file} is missing: run `tunelab demo` first")
    train_file, test_file = demo_data()
    tests = [json.loads(line) for line in test_file.read_text().splitlines()]
    demo_rows = [json.loads(line) for line in answers_file.read_text().splitlines()]
    assert [r["question"] for r in demo_rows] == [t["question"] for t in tests], "other test set"
    base = per_question(tests, [r["base"] for r in demo_rows])
    hand = per_question(tests, [r["finetuned"] for r in demo_rows])
    n_hand = len(train_file.read_text().splitlines())

    args.out.mkdir(parents=True, exist_ok=True)
    pairs = generated_pairs(args.out)
    arms = {"generated from the README": pairs}
    if not (args.out / "augmented" / "answers.jsonl").exists():
        (args.out / "augmented").mkdir(exist_ok=True)
        arms["generated + 3 rewrites per question"] = augmented_pairs(
            pairs, args.out / "augmented", test_file
        )
    else:
        arms["generated + 3 rewrites per question"] = args.out / "augmented" / "augmented.jsonl"
    scored = {}
    for (label, path), folder in zip(arms.items(), ("generated", "augmented")):
        (args.out / folder).mkdir(exist_ok=True)
        scored[label] = per_question(tests, arm(args.out / folder, path, tests, args.steps))
    flags = covered(tests, pairs)
    facts_rows = [i for i, t in enumerate(tests) if t["kind"] != "off_topic" and t.get("facts")]

    lines = [
        f"Generated arms: {args.steps} steps each; hand-written: {n_hand} pairs, 2 epochs (178 steps).",
        f"Test questions whose facts some generated answer states: {sum(flags[i] for i in facts_rows)} "
        f"of {len(facts_rows)}.",
        "",
        "| trained on | fact accuracy | hallucination | off-topic refusals | token F1 |",
        "|---|---|---|---|---|",
        row("nothing (base model)", means(base)),
    ]
    for (label, path), values in zip(arms.items(), scored.values()):
        lines.append(row(f"{label} ({len(path.read_text().splitlines())} pairs)", means(values)))
    lines += [
        row(f"hand-written demo set ({n_hand} pairs)", means(hand)),
        "",
        "| comparison (fact accuracy, 95% paired interval) | change |",
        "|---|---|",
    ]
    for label, values in scored.items():
        lines.append(f"| {label} vs base | {interval(changes(base, values)['fact_accuracy'])} |")
        lines.append(
            f"| hand-written vs {label} | {interval(changes(values, hand)['fact_accuracy'])} |"
        )
    # fact_accuracy holds one value per on-topic row with facts, in test order.
    chosen = [j for j, i in enumerate(facts_rows) if flags[i]]
    if chosen:
        everyone = {"base": base, **scored, "hand-written": hand}
        share = {
            k: 100 * sum(v["fact_accuracy"][j] for j in chosen) / len(chosen)
            for k, v in everyone.items()
        }
        lines += ["", f"Fact accuracy on the {len(chosen)} covered questions: "
                  + ", ".join(f"{k} {v:.1f}%" for k, v in share.items()) + "."]  # fmt: skip
    report = "\n".join(lines)
    (args.out / "results.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
