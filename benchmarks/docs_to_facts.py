"""From documents to a model that states their facts: does it work, and what does it take? Four
product documents (benchmarks/data/harborline/docs, written for this project: a fictional sync
agent's manual, FAQ, release notes and a plain-text troubleshooting page) are turned into Q&A by
template mode (`tunelab data generate`, no model: one pair a fact), optionally given rule
rewrites of each question (`tunelab data augment --mode rules`), and the embedded model is fully
finetuned on them with the demo's recipe. It is then asked 24 questions a person wrote in their
own words (benchmarks/data/harborline/test.jsonl, each naming its facts), never trained on.

Arms: the base model; template pairs for 3 epochs (the demo's length); the same pairs for 12
epochs (as many trained tokens as the next arm); template pairs plus 3 rule rewrites of each
question for 3 epochs. Fact accuracy with its 95% interval, and each difference paired over the
24 questions.

    .venv/bin/python benchmarks/docs_to_facts.py --out /tmp/docs_to_facts
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import tunelab
from tunelab.config import Config
from tunelab.data.generate.augment.augment_rows import AugmentConfig, augment
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.evaluate.paired import mean_interval, said_verdict
from tunelab.evaluate.scores import metric_verdict, paired_metric, row_metric

DATA = Path(__file__).resolve().parent / "data" / "harborline"
FACTS = "fact_accuracy"


def recipe(name: str, data: Path, epochs: float, out: Path, seed: int) -> Config:
    """The demo's recipe (docs/knowledge.md): every weight, lr 5e-4, batch 2."""
    return Config.from_dict(
        {
            "name": name,
            "output_dir": str(out / "runs"),
            "data": {"path": str(data), "test_path": str(DATA / "test.jsonl"), "max_length": 256},
            "train": {
                "method": "full", "epochs": epochs, "batch_size": 2, "lr": 5e-4,
                "warmup_ratio": 0.05, "eval_every": 100_000, "save_every": 100_000,
                "save_at_end": False, "seed": seed,
            },
        }
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/docs_to_facts"))
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42, help="train.seed: the order of the rows")
    args = parser.parse_args()
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    pairs, rewritten = out / "qa.jsonl", out / "qa_rules.jsonl"
    generate_dataset(GenerateConfig(docs=[str(DATA / "docs")], output=str(pairs)), progress=False)
    augment(AugmentConfig(data=str(pairs), output=str(rewritten), mode="rules", paraphrases=3))
    rows = {path: sum(1 for _ in path.open()) for path in (pairs, rewritten)}

    arms: dict[str, tuple[str | Path, str]] = {"base model": ("smollm2-135m-instruct", "—")}
    for name, folder, data, epochs in (
        ("template pairs, 3 epochs", "pairs-3", pairs, 3),
        ("template pairs, 12 epochs", "pairs-12", pairs, 12),
        ("pairs + 3 rule rewrites, 3 epochs", "rules-3", rewritten, 3),
    ):
        started = time.perf_counter()
        run = tunelab.train(recipe(folder, data, epochs, out, args.seed))
        steps = tunelab.Run.open(run).status.get("step", "?")
        arms[name] = (
            run,
            f"{rows[data]} rows, {steps} steps, {time.perf_counter() - started:.0f} s",
        )
    results = {
        name: tunelab.evaluate(
            model, data=str(DATA / "test.jsonl"), max_new_tokens=args.max_new_tokens,
            output=str(out / "eval" / f"arm{i}"),
        )
        for i, (name, (model, _)) in enumerate(arms.items())
    }  # fmt: skip

    print(f"\n{len(results['base model'].rows)} held-out questions, facts named by hand\n")
    print("| arm | training | fact accuracy [95%] |")
    print("|---|---|---|")
    for name, result in results.items():
        values = [v for r in result.rows if (v := row_metric(r, FACTS)) is not None]
        ci = mean_interval(values)
        print(
            f"| {name} | {arms[name][1]} | {100 * result.summary[FACTS]:.1f} "
            f"[{100 * ci.low:.1f}, {100 * ci.high:.1f}] |"
        )
    names = list(results)
    print("\n| arm | vs | Δ fact accuracy [95% paired] | verdict |")
    print("|---|---|---|---|")
    for arm, base in ((names[3], names[2]), (names[3], names[1]), (names[2], names[1]),
                      (names[1], names[0])):  # fmt: skip
        diff = paired_metric(results[base].rows, results[arm].rows, FACTS)
        verdict = said_verdict(
            {"verdict": metric_verdict(diff, FACTS), "unclear_because": diff.unclear_because}
        )
        print(
            f"| {arm} | {base} | {100 * diff.delta:+.1f} [{100 * diff.low:+.1f}, "
            f"{100 * diff.high:+.1f}] | {verdict} |"
        )


if __name__ == "__main__":
    main()
