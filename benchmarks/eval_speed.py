"""tunelab bench vs lm-evaluation-harness (`pip install lm_eval`) on the same model, the same local
benchmark files and the same questions: the scores must agree (within 0.1 points) and tunelab
should be at least 3x faster. Prints one table with both and the ratios, two ways:

- wall: each tool's whole call for the task (reading the files, building prompts, scoring);
- scoring: the log-likelihood computation alone (lm_eval's `loglikelihood`, tunelab's scorer).

Then, question by question (both tools' logged samples): whether the prompt and the choices are
the same strings, the largest difference of a choice's log-likelihood, and on how many questions
a metric differs. A total can agree while questions differ both ways; these cannot.

lm_eval's task index is built once, outside the timings (a user pays it once per run).

    python benchmarks/eval_speed.py [--limit 100] [--mmlu-subjects marketing,sociology]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from tunelab.evaluate.bench.score import BenchConfig, run_task
from tunelab.models.load import EMBEDDED_NAME, embedded_model_dir
from tunelab.run import load_model

DATA = Path(
    os.environ.get(
        "TUNELAB_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared/data/benchmarks"
    )
)
# HellaSwag is not among the shared copies: its rows in tests/fixtures (WikiHow's [title] and
# [step] tags, an empty ctx_b) stand in, so its cleanup is compared end to end all the same.
HELLASWAG_FIXTURE = Path(__file__).resolve().parents[1] / "tests/fixtures/eval"
LETTERS = ["A", "B", "C", "D"]


@dataclass
class Case:
    """One line of the comparison: our task name and settings, and the harness task mirroring it."""

    label: str
    ours: str
    theirs: dict  # an lm_eval task config, written as YAML into the include folder
    limit: int
    fewshot: int
    metrics: tuple[str, ...]
    data: Path = DATA


def arc_task(name: str, subset: str) -> dict:
    return {
        "task": f"local_{name}",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(DATA / f"arc/{subset}/{subset}-Test.jsonl")}},
        "output_type": "multiple_choice",
        "test_split": "test",
        "doc_to_text": "Question: {{question.stem}}\nAnswer:",
        "doc_to_choice": "{{question.choices | map(attribute='text') | list}}",
        "doc_to_target": "{{(question.choices | map(attribute='label') | list).index(answerKey)}}",
        "metric_list": [{"metric": "acc"}, {"metric": "acc_norm"}],
    }


def hellaswag_task(data: Path) -> dict:
    """The harness's own hellaswag task (its process_docs cleanup), pointed at a local file."""
    return {
        "task": "local_hellaswag",
        "dataset_path": "json",
        "dataset_kwargs": {
            "data_files": {"validation": str(data / "hellaswag/hellaswag_val.jsonl")}
        },
        "output_type": "multiple_choice",
        "validation_split": "validation",
        "process_docs": "HELLASWAG_DOCS",
        "doc_to_text": "{{query}}",
        "doc_to_target": "{{label}}",
        "doc_to_choice": "choices",
        "metric_list": [{"metric": "acc"}, {"metric": "acc_norm"}],
    }


def mmlu_task(subject: str, shots: int) -> dict:
    return {
        "task": f"local_mmlu_{subject}_{shots}shot",
        "dataset_path": "csv",
        "dataset_kwargs": {
            "data_files": {
                "test": str(DATA / f"mmlu/test/{subject}_test.csv"),
                "dev": str(DATA / f"mmlu/dev/{subject}_dev.csv"),
            },
            "column_names": ["question", "A", "B", "C", "D", "answer"],
            "keep_default_na": False,
            "na_filter": False,
        },
        "output_type": "multiple_choice",
        "test_split": "test",
        "fewshot_split": "dev",
        "fewshot_config": {"sampler": "first_n"},
        "num_fewshot": shots,
        "description": "The following are multiple choice questions (with answers) about "
        f"{subject.replace('_', ' ')}.\n\n",
        "doc_to_text": "{{question.strip()}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}\nAnswer:",
        "doc_to_choice": LETTERS,
        "doc_to_target": "{{['A', 'B', 'C', 'D'].index(answer)}}",
        "metric_list": [{"metric": "acc"}],
    }


def truthfulqa_task(which: str, converted: Path) -> dict:
    """The harness's own truthfulqa_mc1/mc2 prompt and rule, pointed at a local mc_task.json copy."""
    import lm_eval.tasks

    harness_yaml = Path(lm_eval.tasks.__file__).parent / "truthfulqa/truthfulqa_mc1.yaml"
    config = {
        "task": f"local_truthfulqa_{which}",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"validation": str(converted)}},
        "output_type": "multiple_choice",
        "validation_split": "validation",
        "doc_to_text": yaml.safe_load(harness_yaml.read_text())["doc_to_text"],
        "doc_to_target": 0,
        "doc_to_choice": f"{{{{{which}_targets.choices}}}}",
        "metric_list": [{"metric": "acc"}],
    }
    if which == "mc2":
        config["process_results"] = "MC2"
    return config


def convert_truthfulqa(path: Path, out: Path) -> Path:
    """mc_task.json ({answer: label} maps) as the rows the harness reads (choices + labels lists)."""
    items = json.loads(path.read_text(encoding="utf-8-sig"))
    with out.open("w") as handle:
        for item in items:
            row = {"question": item["question"]}
            for key in ("mc1_targets", "mc2_targets"):
                row[key] = {"choices": list(item[key]), "labels": list(item[key].values())}
            handle.write(json.dumps(row) + "\n")
    return out


def write_task(include: Path, config: dict) -> None:
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=10_000)
    # The harness's own MC2 rule, referenced the way its YAML files do.
    text = text.replace(
        "process_results: MC2", "process_results: !function mc2.process_results_mc2"
    )
    text = text.replace("process_docs: HELLASWAG_DOCS", "process_docs: !function hs.process_docs")
    (include / f"{config['task']}.yaml").write_text(text)


def plan(args, include: Path) -> list[Case]:
    cases = [
        Case(
            "arc_easy",
            "arc_easy",
            arc_task("arc_easy", "ARC-Easy"),
            args.limit,
            0,
            ("acc", "acc_norm"),
        ),
        Case(
            "arc_challenge",
            "arc_challenge",
            arc_task("arc_challenge", "ARC-Challenge"),
            args.limit,
            0,
            ("acc", "acc_norm"),
        ),
    ]
    hellaswag = DATA if (DATA / "hellaswag").is_dir() else HELLASWAG_FIXTURE
    (include / "hs.py").write_text("from lm_eval.tasks.hellaswag.utils import process_docs\n")
    cases.append(
        Case(
            "hellaswag" + ("" if hellaswag == DATA else " (test fixture)"),
            "hellaswag",
            hellaswag_task(hellaswag),
            args.limit,
            0,
            ("acc", "acc_norm"),
            hellaswag,
        )
    )
    for shots in (0, 5):
        for subject in args.mmlu_subjects.split(","):
            cases.append(
                Case(
                    f"mmlu_{subject} {shots}-shot",
                    f"mmlu_{subject}",
                    mmlu_task(subject, shots),
                    args.mmlu_limit,
                    shots,
                    ("acc",),
                )
            )
    converted = convert_truthfulqa(DATA / "truthfulqa/mc_task.json", include / "truthfulqa.jsonl")
    (include / "mc2.py").write_text(
        "from lm_eval.tasks.truthfulqa.utils import process_results_mc2\n"
    )
    for which in ("mc1", "mc2"):
        task = truthfulqa_task(which, converted)
        cases.append(
            Case(f"truthfulqa_{which}", f"truthfulqa_{which}", task, args.tqa_limit, 0, ("acc",))
        )
    for case in cases:
        write_task(include, case.theirs)
    return cases


class TimedHarnessModel:
    """lm_eval's HFLM with the time spent in `loglikelihood` added up."""

    def __init__(self, model, tokenizer, batch_size: int):
        from lm_eval.models.huggingface import HFLM

        self.lm = HFLM(
            pretrained=model, tokenizer=tokenizer, batch_size=batch_size, backend="causal"
        )
        self.seconds = 0.0
        inner = self.lm.loglikelihood

        def timed(*a, **k):
            start = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                self.seconds += time.perf_counter() - start

        self.lm.loglikelihood = timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100, help="questions per ARC set")
    parser.add_argument("--mmlu-subjects", default="marketing,high_school_geography")
    parser.add_argument("--mmlu-limit", type=int, default=40, help="questions per MMLU subject")
    parser.add_argument("--tqa-limit", type=int, default=40, help="TruthfulQA questions")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--only", default="", help="comma-separated task labels (prefixes) to run")
    args = parser.parse_args()

    import lm_eval
    from lm_eval.tasks import TaskManager

    embedded_model_dir()  # build the cache first, outside both timings
    model, tokenizer = load_model(EMBEDDED_NAME)
    harness = TimedHarnessModel(model, tokenizer, args.batch_size)
    with torch.inference_mode():  # the first forward pays one-off set-up: keep it out of both
        model(torch.ones((args.batch_size, 256), dtype=torch.long))
    results, same = [], []
    with tempfile.TemporaryDirectory() as tmp:
        include = Path(tmp)
        cases = plan(args, include)
        start = time.perf_counter()
        manager = TaskManager(include_path=str(include))
        index_seconds = time.perf_counter() - start
        for case in cases:
            if args.only and not any(case.label.startswith(name) for name in args.only.split(",")):
                continue
            cfg = BenchConfig(
                data_dir=case.data,
                tasks=[case.ours],
                limit=case.limit,
                batch_size=args.batch_size,
                fewshot=case.fewshot,
            )
            start = time.perf_counter()
            samples = include / f"{case.theirs['task']}.samples.jsonl"
            mine = run_task(model, tokenizer, case.ours, cfg, samples=samples)
            wall_ours = time.perf_counter() - start
            harness.seconds = 0.0
            start = time.perf_counter()
            out = lm_eval.simple_evaluate(
                model=harness.lm,
                tasks=[case.theirs["task"]],
                task_manager=manager,
                limit=case.limit,
                log_samples=True,
            )
            wall_theirs = time.perf_counter() - start
            theirs = out["results"][case.theirs["task"]]
            results.append((case, mine, theirs, wall_ours, wall_theirs, harness.seconds))
            same.append((case, per_question(samples, out["samples"][case.theirs["task"]], case)))
            print(
                f"{case.label}: tunelab {wall_ours:.1f} s, lm_eval {wall_theirs:.1f} s", flush=True
            )
    report(results, index_seconds, args.batch_size)
    report_questions(same)


def per_question(ours: Path, theirs: list[dict], case: Case) -> dict:
    """Both tools' logged samples, question by question: prompts or choices that differ, the
    largest |log-likelihood difference| of a choice, and questions where each metric differs."""
    mine = [json.loads(line) for line in ours.read_text().splitlines()]
    theirs = sorted(theirs, key=lambda sample: sample["doc_id"])
    assert len(mine) == len(theirs), (len(mine), len(theirs))
    texts, worst = 0, 0.0
    differ = dict.fromkeys(case.metrics, 0)
    for a, b in zip(mine, theirs):
        asked = [(a["prompt"], " " + choice) for choice in a["choices"]]
        texts += asked != [tuple(argument) for argument in b["arguments"]]
        lls = [resp[0] for resp in b["filtered_resps"]]
        worst = max(worst, *(abs(x - y) for x, y in zip(a["loglikelihoods"], lls)))
        for metric in case.metrics:
            # 1e-4: truthfulqa_mc2's share of probability moves with the last digits of an ll.
            differ[metric] += abs(a["scores"][metric] - b[metric]) > 1e-4
    return {"n": len(mine), "texts": texts, "worst": worst, "differ": differ}


def report_questions(same: list[tuple[Case, dict]]) -> None:
    print(f"\n{'task':<34}{'n':>5}{'prompts differ':>16}{'max |dll|':>11}  questions differing")
    for case, q in same:
        differ = ", ".join(f"{metric} {count}" for metric, count in q["differ"].items())
        print(f"{case.label:<34}{q['n']:>5}{q['texts']:>16}{q['worst']:>11.2e}  {differ}")


def report(results, index_seconds: float, batch_size: int) -> None:
    print(
        f"\nmodel {EMBEDDED_NAME}, {torch.get_num_threads()} CPU threads, batch size {batch_size}"
    )
    print(f"lm_eval task index built once in {index_seconds:.1f} s (not counted below)")
    head = (
        f"{'task':<34}{'n':>5}{'metric':>10}{'tunelab':>9}{'lm_eval':>9}{'diff':>7}"
        f"{'wall s':>15}{'ratio':>7}{'scoring s':>15}{'ratio':>7}"
    )
    print(head)
    ok = True
    totals = [0.0, 0.0, 0.0, 0.0]
    for case, mine, theirs, wall_ours, wall_theirs, score_theirs in results:
        for i, metric in enumerate(case.metrics):
            a, b = 100 * mine.metrics[metric], 100 * theirs[f"{metric},none"]
            ok &= abs(a - b) <= 0.1
            times = ""
            if i == 0:
                times = (
                    f"{wall_ours:>7.1f}/{wall_theirs:<7.1f}{wall_theirs / wall_ours:>6.1f}x"
                    f"{mine.seconds:>7.1f}/{score_theirs:<7.1f}{score_theirs / mine.seconds:>6.1f}x"
                )
            print(f"{case.label:<34}{mine.n:>5}{metric:>10}{a:>9.2f}{b:>9.2f}{a - b:>7.2f} {times}")
        for j, value in enumerate((wall_ours, wall_theirs, mine.seconds, score_theirs)):
            totals[j] += value
    wo, wt, so, st = totals
    print(
        f"{'total':<74}{wo:>7.1f}/{wt:<7.1f}{wt / wo:>6.1f}x{so:>7.1f}/{st:<7.1f}{st / so:>6.1f}x"
    )
    print("scores agree within 0.1 points" if ok else "SCORES DIFFER by more than 0.1 points")


if __name__ == "__main__":
    main()
