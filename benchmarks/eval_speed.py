"""tunelab bench vs lm-evaluation-harness (`pip install lm_eval`) on the same model, the same local
benchmark files and the same questions: the scores must agree (within 0.1 points) and tunelab
should be at least 3x faster. Prints one table with both and the ratio.

    python benchmarks/eval_speed.py [--limit 200] [--mmlu-subjects marketing,sociology --mmlu-limit 50]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from tunelab.evaluate.bench import BenchConfig, run_task
from tunelab.models import EMBEDDED_NAME, embedded_model_dir, load_model

DATA = Path(
    os.environ.get(
        "TUNELAB_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared/data/benchmarks"
    )
)

# lm_eval custom tasks reading the original files: ARC's nested JSONL and MMLU's headerless CSVs.
ARC_YAML = """task: local_arc_easy
dataset_path: json
dataset_kwargs:
  data_files: {{test: "{path}"}}
output_type: multiple_choice
test_split: test
doc_to_text: "Question: {{{{question.stem}}}}\\nAnswer:"
doc_to_choice: "{{{{question.choices | map(attribute='text') | list}}}}"
doc_to_target: "{{{{(question.choices | map(attribute='label') | list).index(answerKey)}}}}"
metric_list:
  - metric: acc
  - metric: acc_norm
"""
MMLU_YAML = """task: local_mmlu_{subject}
dataset_path: csv
dataset_kwargs:
  data_files: {{test: "{test}", dev: "{dev}"}}
  column_names: [question, A, B, C, D, answer]
  keep_default_na: false
  na_filter: false
output_type: multiple_choice
test_split: test
fewshot_split: dev
fewshot_config:
  sampler: first_n
description: "The following are multiple choice questions (with answers) about {title}.\\n\\n"
doc_to_text: "{{{{question.strip()}}}}\\nA. {{{{A}}}}\\nB. {{{{B}}}}\\nC. {{{{C}}}}\\nD. {{{{D}}}}\\nAnswer:"
doc_to_choice: ["A", "B", "C", "D"]
doc_to_target: "{{{{['A', 'B', 'C', 'D'].index(answer)}}}}"
metric_list:
  - metric: acc
"""


def run_lm_eval(
    model, tokenizer, tasks: list[str], include: Path, limit: int, batch_size: int
) -> dict:
    import lm_eval
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, backend="causal")
    out = lm_eval.simple_evaluate(
        model=lm,
        tasks=tasks,
        task_manager=TaskManager(include_path=str(include)),
        limit=limit,
        num_fewshot=0,
        log_samples=False,
    )
    return out["results"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=200, help="ARC-Easy questions")
    parser.add_argument("--mmlu-subjects", default="marketing,high_school_geography")
    parser.add_argument("--mmlu-limit", type=int, default=50, help="questions per MMLU subject")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    subjects = args.mmlu_subjects.split(",")

    embedded_model_dir()  # build the cache first, outside both timings
    model, tokenizer = load_model(EMBEDDED_NAME)
    rows = []  # (task, metric, tunelab value, lm_eval value, tunelab s, lm_eval s)
    with tempfile.TemporaryDirectory() as tmp:
        include = Path(tmp)
        arc = DATA / "arc/ARC-Easy/ARC-Easy-Test.jsonl"
        (include / "local_arc_easy.yaml").write_text(ARC_YAML.format(path=arc))
        for s in subjects:
            (include / f"local_mmlu_{s}.yaml").write_text(
                MMLU_YAML.format(
                    subject=s,
                    title=s.replace("_", " "),
                    test=DATA / f"mmlu/test/{s}_test.csv",
                    dev=DATA / f"mmlu/dev/{s}_dev.csv",
                )
            )
        plan = [("arc_easy", "local_arc_easy", args.limit, ["acc", "acc_norm"])]
        plan += [(f"mmlu_{s}", f"local_mmlu_{s}", args.mmlu_limit, ["acc"]) for s in subjects]
        for ours, theirs, limit, metrics in plan:
            cfg = BenchConfig(data_dir=DATA, tasks=[ours], limit=limit, batch_size=args.batch_size)
            start = time.perf_counter()
            mine = run_task(model, tokenizer, ours, cfg)
            t_ours = time.perf_counter() - start
            start = time.perf_counter()
            result = run_lm_eval(model, tokenizer, [theirs], include, limit, args.batch_size)[
                theirs
            ]
            t_theirs = time.perf_counter() - start
            for m in metrics:
                rows.append(
                    (
                        ours,
                        m,
                        100 * mine.metrics[m],
                        100 * result[f"{m},none"],
                        t_ours,
                        t_theirs,
                        mine.n,
                    )
                )

    print(
        f"\nmodel {EMBEDDED_NAME}, {torch.get_num_threads()} CPU threads, batch size {args.batch_size}"
    )
    print(
        f"{'task':<28}{'n':>5}{'metric':>10}{'tunelab':>10}{'lm_eval':>10}{'diff':>8}"
        f"{'tunelab s':>11}{'lm_eval s':>11}{'speedup':>9}"
    )
    ok = True
    for task, metric, a, b, ta, tb, n in rows:
        ok &= abs(a - b) <= 0.1
        print(
            f"{task:<28}{n:>5}{metric:>10}{a:>10.2f}{b:>10.2f}{a - b:>8.2f}{ta:>11.1f}{tb:>11.1f}{tb / ta:>8.1f}x"
        )
    total_ours = sum({r[0]: r[4] for r in rows}.values())
    total_theirs = sum({r[0]: r[5] for r in rows}.values())
    print(
        f"{'total':<53}{total_ours:>21.1f}{total_theirs:>11.1f}{total_theirs / total_ours:>8.1f}x"
    )
    print("scores agree within 0.1 points" if ok else "SCORES DIFFER by more than 0.1 points")


if __name__ == "__main__":
    main()
