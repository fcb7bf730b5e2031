"""Does one change to the demo's recipe teach the model more of its facts? Trains the demo recipe
(`demo_config`: full finetuning of the embedded model, 4 epochs since 131421c) with `--set` style
overrides, asks the demo's 122 held-out rows as the demo does, scores them with the demo's own
scorer (`tunelab.demo.scores.per_question`), and pairs its 56 paraphrase answers against the demo's
own 56 (`benchmarks/data/fact_scorer/judged.jsonl`, source `finetuned`; Newcombe's interval, as
the demo's table gives it). Prints the row of docs/measurements.md's lever table, then each
answer gained or lost by its row number in `demo_tests()`. The stored answers it pairs against
are the 3-epoch demo's (270 steps): add `--set train.epochs=3` to measure a lever at their steps,
as the table's rows until the fourth epoch were, or pair with a demo run of today's recipe
(`--against runs/demo`: its demo_answers.jsonl).

    nice -n 5 python benchmarks/demo_lever.py --set data.train_on_prompt=true --name demo_prompt

The run and its answers (`lever_answers.jsonl`) go to --out/NAME; with --reuse a finished run
there is asked again, not trained again.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import tunelab
from tunelab.config import Config
from tunelab.data.files.write_files import write_jsonl
from tunelab.demo.run import MAX_NEW_TOKENS, SYSTEM_PROMPT, demo_config, demo_tests
from tunelab.demo.scores import GENERAL_QUESTIONS, GENERAL_TASK, general_ability, per_question
from tunelab.evaluate.paired import paired_difference
from tunelab.generation.generate import answer
from tunelab.run import load_model

JUDGED = Path(__file__).resolve().parent / "data" / "fact_scorer" / "judged.jsonl"
COLUMNS = (  # the table's columns after the change: metric, its header
    ("fact_accuracy_reverse", "reversed"),
    ("fact_accuracy_two_facts", "two facts"),
    ("refusal_rate_off_topic", "off-topic refused"),
    ("refusal_rate_on_topic", "on-topic refused"),
)


def demo_answers(tests: list[dict], against: Path | None = None) -> dict[int, str]:
    """The demo's own finetuned answers to its paraphrase rows, by 1-based row in `tests`: the
    stored 3-epoch ones, or those of the demo run folder `against` (its demo_answers.jsonl)."""
    if against is not None:
        path = against / "demo_answers.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        if [r["question"] for r in rows] != [t["question"] for t in tests]:
            raise SystemExit(f"{path}: its questions are not the demo's today")
        return {i + 1: r["finetuned"] for i, r in enumerate(rows) if r["kind"] == "paraphrase"}
    rows = [json.loads(line) for line in JUDGED.read_text(encoding="utf-8").splitlines()]
    out = {}
    for r in rows:
        if r["source"] != "finetuned" or r["kind"] != "paraphrase":
            continue
        if tests[r["row"] - 1]["question"] != r["question"]:
            raise SystemExit(f"{JUDGED}: row {r['row']} is no longer {r['question']!r}")
        out[r["row"]] = r["answer"]
    return out


def train_lever(name: str, overrides: list[str], out: Path, reuse: bool) -> tuple[Path, str]:
    config = demo_config(str(out)).model_dump(exclude_unset=True)
    config["name"] = name
    run_dir = out / name
    finished = run_dir.is_dir() and tunelab.Run.open(run_dir).status.get("status") == "finished"
    if reuse and finished:
        return run_dir, "reused"
    started = time.perf_counter()
    tunelab.train(Config.from_dict(config, overrides), overwrite=True)
    return run_dir, f"{(time.perf_counter() - started) / 60:.1f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--name", required=True, help="the run's name under --out")
    parser.add_argument("--out", type=Path, default=Path("/tmp/demo_lever"))
    parser.add_argument("--reuse", action="store_true", help="ask a finished run in --out again")
    parser.add_argument("--general", action="store_true", help=f"also score {GENERAL_TASK}")
    parser.add_argument(
        "--against", type=Path, help="a `tunelab demo` run folder to pair with (runs/demo)"
    )
    args = parser.parse_args()
    tests = demo_tests()
    base = demo_answers(tests, args.against)
    run_dir, trained = train_lever(args.name, args.overrides, args.out, args.reuse)
    model, tokenizer = load_model(str(run_dir))
    questions = [t["question"] for t in tests]
    replies = answer(
        model, tokenizer, questions, system_prompt=SYSTEM_PROMPT, max_new_tokens=MAX_NEW_TOKENS
    )
    answers = [r.text for r in replies]
    write_jsonl(
        [{"row": i + 1, **t, "answer_given": a} for i, (t, a) in enumerate(zip(tests, answers))],
        run_dir / "lever_answers.jsonl",
    )
    scores = per_question(tests, answers)
    rows = sorted(base)
    chosen = [tests[i - 1] for i in rows]
    before = per_question(chosen, [base[i] for i in rows])["fact_accuracy"]
    after = per_question(chosen, [answers[i - 1] for i in rows])["fact_accuracy"]
    diff = paired_difference(before, after)
    gained = [i for i, b, a in zip(rows, before, after) if a > b]
    lost = [i for i, b, a in zip(rows, before, after) if a < b]
    general = "not run"
    if args.general and (result := general_ability(model, tokenizer)) is not None:
        general = f"{100 * result.main:.1f}%"

    def pct(key: str) -> str:
        return f"{100 * sum(scores[key]) / len(scores[key]):.1f}%"

    print(f"\n{args.name}: {' '.join(args.overrides) or 'the demo recipe'}; trained: {trained}")
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    header = " | ".join(f"{h} ({len(scores[k])})" for k, h in COLUMNS)
    print(
        f"| recipe | fact accuracy ({len(after)}) | change [95% interval] | answers gained / "
        f"lost | {header} | ARC-Easy ({GENERAL_QUESTIONS}) |"
    )
    cells = " | ".join(pct(k) for k, _ in COLUMNS)
    print(
        f"| `{' '.join(args.overrides)}` | {100 * sum(after) / len(after):.1f}% | "
        f"{100 * diff.delta:+.1f} [{100 * diff.low:+.1f}, {100 * diff.high:+.1f}], {diff.said} | "
        f"{len(gained)} / {len(lost)} | {cells} | {general} |"
    )
    print(f"\nhallucination ({len(scores['hallucination_rate'])}): {pct('hallucination_rate')}")
    missed = [i for i, b in zip(rows, before) if not b]
    print(f"\nthe demo's misses ({len(missed)}): {', '.join(f'#{i}' for i in missed)}")
    for label, which in (("gained", gained), ("lost", lost)):
        print(f"\n{label} ({len(which)}):")
        for i in which:
            print(
                f"  #{i} {tests[i - 1]['question']}\n    demo: {base[i]}\n    now:  {answers[i - 1]}"
            )


if __name__ == "__main__":
    main()
