"""A LoRA run's answers: the adapter merged into the weights (what `Run.load` gives eval, compare,
chat, serve and bench) vs the adapter on top of its base (peft's `PeftModel.from_pretrained`, what
a user of peft writes), through the same generation path (`tunelab.generation.generate.answer`),
greedy, max_new_tokens 64, lamini_docs questions the run was not trained on. The two alternate,
`--reps` times; the table gives the median and the spread, and how many answers are the same text.

    flock /tmp/bench.lock python benchmarks/lora_generate.py RUN [--questions 40] [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LAMINI = SHARED / "instructions" / "lamini_docs" / "lamini_docs.jsonl"


def answers(run: str, merged: bool, questions: list[str]) -> tuple[float, list[str]]:
    from peft import PeftModel

    from tunelab.generation.generate import answer
    from tunelab.run import Run, load_model, prompt_for

    if merged:
        model, tokenizer = load_model(run)
    else:
        found = Run.find(run)
        base, tokenizer = load_model(found.base_model)
        model = PeftModel.from_pretrained(base, found.weights)
    model.eval()
    prompt = prompt_for(run)
    started = time.perf_counter()
    replies = answer(
        model,
        tokenizer,
        questions,
        template=prompt.template,
        system_prompt=prompt.system_prompt,
        max_new_tokens=64,
    )
    return time.perf_counter() - started, [r.text for r in replies]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a LoRA run folder")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    rows = [json.loads(line) for line in LAMINI.open(encoding="utf-8")]
    # The file's last rows: a walk's run trains on its first ones.
    questions = [r["question"] for r in rows[-args.questions :]]
    seconds: dict[str, list[float]] = {"adapter on top": [], "merged": []}
    texts: dict[str, list[str]] = {}
    for _ in range(args.reps):
        for kind in seconds:
            took, said = answers(args.run, kind == "merged", questions)
            seconds[kind].append(took)
            texts.setdefault(kind, said)
            print(f"  {kind}: {took:.1f} s", flush=True)
    same = sum(a == b for a, b in zip(texts["adapter on top"], texts["merged"]))
    print(f"\n{len(questions)} questions, {same} the same text both ways\n")
    print("| path | seconds (median) | range | on top ÷ this |")
    print("|---|---|---|---|")
    on_top = statistics.median(seconds["adapter on top"])
    for kind, taken in seconds.items():
        middle = statistics.median(taken)
        print(
            f"| {kind} | {middle:.1f} | {min(taken):.1f}–{max(taken):.1f} | {on_top / middle:.2f}x |"
        )


if __name__ == "__main__":
    main()
