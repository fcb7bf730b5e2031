"""What a model learns from Q&A pairs generated out of tunelab's own README and docs, against the
hand-written demo set, measured by the demo's fact metrics on the demo's held-out test set.

    .venv/bin/python benchmarks/generated_vs_handwritten.py --out /tmp/gen-vs-hand

The hand-written arm is `runs/demo` as `tunelab demo` leaves it (run that first: its answers, base
and finetuned, are read from runs/demo/demo_answers.jsonl). The generated arm: `tunelab data
generate --mode template` on README.md, benchmarks/README.md and docs/, then the demo's recipe
(full finetuning, lr 5e-4, batch 2, the demo's system prompt) for `--epochs` over those pairs.
A test question counts as *covered* when some generated answer states every one of its facts:
the most that training on the generated pairs could teach.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tunelab.data.generate.documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.demo.run import MAX_NEW_TOKENS, SYSTEM_PROMPT, demo_config, demo_data
from tunelab.demo.scores import changes, means, per_question
from tunelab.evaluate.facts import parse_fact_check, score_facts
from tunelab.generate import answer
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


def train_on(pairs: Path, out: Path, epochs: float) -> Path:
    config = demo_config(str(out))
    config = config.model_copy(
        update={
            "name": "from-readme",
            "data": config.data.model_copy(update={"path": str(pairs)}),
            "train": config.train.model_copy(update={"epochs": epochs}),
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
    parser.add_argument("--epochs", type=float, default=10.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    answers_file = args.handwritten / "demo_answers.jsonl"
    if not answers_file.exists():
        raise SystemExit(f"{answers_file} is missing: run `tunelab demo` first")
    tests = [json.loads(line) for line in demo_data()[1].read_text().splitlines()]
    demo_rows = [json.loads(line) for line in answers_file.read_text().splitlines()]
    assert [r["question"] for r in demo_rows] == [t["question"] for t in tests], "other test set"

    started = time.perf_counter()
    pairs = generated_pairs(args.out)
    n_pairs = len(pairs.read_text().splitlines())
    run = train_on(pairs, args.out, args.epochs)
    generated = ask(run, tests)
    minutes = (time.perf_counter() - started) / 60
    (args.out / "answers.jsonl").write_text(
        "".join(json.dumps({**t, "generated": g}) + "\n" for t, g in zip(tests, generated))
    )

    base = per_question(tests, [r["base"] for r in demo_rows])
    hand = per_question(tests, [r["finetuned"] for r in demo_rows])
    gen = per_question(tests, generated)
    flags = covered(tests, pairs)
    on_topic = [f for t, f in zip(tests, flags) if t["kind"] != "off_topic" and t.get("facts")]
    n_train = len((demo_data()[0]).read_text().splitlines())

    lines = [
        f"{n_pairs} generated pairs (template mode, README + docs), {args.epochs:g} epochs, "
        f"{minutes:.1f} min to generate, train and answer; hand-written: {n_train} pairs, 2 epochs.",
        f"Test questions whose facts some generated answer states: {sum(on_topic)} of "
        f"{len(on_topic)}.",
        "",
        "| trained on | fact accuracy | hallucination | off-topic refusals | token F1 |",
        "|---|---|---|---|---|",
        row("nothing (base model)", means(base)),
        row(f"generated from the README ({n_pairs} pairs)", means(gen)),
        row(f"hand-written demo set ({n_train} pairs)", means(hand)),
        "",
        "| comparison (fact accuracy, 95% paired interval) | change |",
        "|---|---|",
        f"| generated vs base | {interval(changes(base, gen)['fact_accuracy'])} |",
        f"| hand-written vs generated | {interval(changes(gen, hand)['fact_accuracy'])} |",
    ]
    # fact_accuracy holds one value per on-topic row with facts, in test order.
    facts_rows = [i for i, t in enumerate(tests) if t["kind"] != "off_topic" and t.get("facts")]
    chosen = [j for j, i in enumerate(facts_rows) if flags[i]]
    if chosen:
        share = {
            name: 100 * sum(values["fact_accuracy"][j] for j in chosen) / len(chosen)
            for name, values in (("base", base), ("generated", gen), ("hand-written", hand))
        }
        lines += ["", f"On the {len(chosen)} covered questions: "
                  + ", ".join(f"{k} {v:.1f}%" for k, v in share.items()) + "."]  # fmt: skip
    report = "\n".join(lines)
    (args.out / "results.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
