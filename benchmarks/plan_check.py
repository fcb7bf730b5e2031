"""`tunelab plan` against measured peaks: each setting trains a few steps in a process of its own
(so the peak is that run's alone) on rows cut to exactly max_length tokens (so they are as full
as the plan assumes), and the peak its metrics.jsonl records is printed beside the plan's.

    python benchmarks/plan_check.py                # CPU: a widened tiny-random, the embedded model
    python benchmarks/plan_check.py --device cuda  # GPU: train_throughput.py's two shapes

On the CPU the peak is the process's RSS (the plan's runtime line included; "tensors" is the RSS
less the process's size before training); on a GPU it is torch.cuda.max_memory_allocated, which
the plan's tensors (its peak without the runtime line) are compared to.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# (model, rows x tokens, train settings) per device; steps: 2 on CPU (the second has AdamW's
# state), 4 on GPU.
CASES = {
    "cpu": [
        ("tiny-wide", 8, 256, {"method": "lora"}),
        ("tiny-wide", 8, 256, {"method": "full"}),
        ("tiny-wide", 8, 256, {"method": "lora", "gradient_checkpointing": True}),
        ("smollm2-135m-instruct", 4, 128, {"method": "lora"}),
        ("smollm2-135m-instruct", 4, 128, {"method": "lora", "lora": {"dropout": 0.0}}),
        ("smollm2-135m-instruct", 4, 128, {"method": "full"}),
        ("smollm2-135m-instruct", 4, 128, {"method": "lora", "gradient_checkpointing": True}),
    ],
    "cuda": [
        (shape, 8, 1024, {"method": method, "lora": {"dropout": 0.0}})
        for shape in ("random-smollm2-135m", "random-llama-1b")
        for method in ("full", "lora")
    ],
}


def worker(raw: str) -> None:
    """Train as the JSON config says; print the process's size before and the peaks."""
    import importlib

    for library in ("datasets", "peft"):  # the run imports them: the process's size, not tensors
        if importlib.util.find_spec(library):
            importlib.import_module(library)

    from tunelab.config import Config
    from tunelab.train.loop import train
    from tunelab.train.plot import read_metrics

    pages = int(open("/proc/self/statm").read().split()[1])
    before = pages * os.sysconf("SC_PAGE_SIZE") / 2**30
    run = train(Config.from_dict(json.loads(raw)))
    rows = [r for r in read_metrics(run / "metrics.jsonl") if "loss" in r]
    peak = {key: max(r.get(key, 0) for r in rows) for key in ("peak_rss_gib", "peak_gpu_gib")}
    print("MEASURED " + json.dumps({"before": before, **peak}))


def widened_tiny(folder: Path) -> str:
    """tiny-random made wide enough that its tensors, not the runtime, dominate the peak."""
    from tunelab.models.random_weights import tiny_random

    model, tokenizer = tiny_random(
        hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def measure(tmp: Path, model: str, rows: int, length: int, train: dict, device: str) -> dict:
    text = " ".join(
        f"Sentence {i} of a long document about nothing in particular." for i in range(400)
    )
    data = tmp / "text.jsonl"
    data.write_text("".join(json.dumps({"text": f"{i}: {text}"}) + "\n" for i in range(48)))
    raw = {
        "name": "check",
        "output_dir": str(tmp / "runs"),
        "model": {"name": model},
        "data": {"path": str(data), "max_length": length, "test_size": 0, "truncation": "right"},
        "train": {"max_steps": 2 if device == "cpu" else 4, "batch_size": rows, "device": device,
                  "save_every": 10**6, "eval_every": 10**6, **train},
    }  # fmt: skip
    env = os.environ | {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(raw)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("MEASURED ")), None)
    if line is None:
        raise SystemExit(f"{model} {train} failed:\n{out.stderr[-3000:]}")
    return {"raw": raw, **json.loads(line.removeprefix("MEASURED "))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker)
    from tunelab.config import Config
    from tunelab.train.plan.estimate import GIB, estimate
    from tunelab.train.plan.settings import PlanConfig

    gpu = args.device == "cuda"
    print(
        "| model | method | rows x tokens | plan peak GiB | measured GiB | plan / measured "
        "| plan tensors | measured tensors | plan / measured |\n|---|---|---|---|---|---|---|---|---|"
    )
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        tiny = widened_tiny(tmp / "tiny-wide")
        for name, rows, length, train in CASES[args.device]:
            model = tiny if name == "tiny-wide" else name
            run_tmp = Path(tempfile.mkdtemp(dir=tmp))
            got = measure(run_tmp, model, rows, length, train, args.device)
            plan = estimate(PlanConfig.of(Config.from_dict(got["raw"]), device=args.device))
            method = train["method"] + (
                ", checkpointing" if train.get("gradient_checkpointing") else ""
            )
            method += (
                ", no dropout" if train.get("lora", {}).get("dropout") == 0 and not gpu else ""
            )
            if gpu:  # max_memory_allocated: tensors alone, no CUDA context
                measured, tensors = None, got["peak_gpu_gib"]
            else:
                measured, tensors = got["peak_rss_gib"], got["peak_rss_gib"] - got["before"]
            cells = [f"{plan.peak / GIB:.2f}", "n/a", "n/a"]
            if measured is not None:
                cells = [
                    f"{plan.peak / GIB:.2f}",
                    f"{measured:.2f}",
                    f"{plan.peak / GIB / measured:.2f}",
                ]
            print(
                f"| {name} | {method} | {rows} x {length} | {' | '.join(cells)} "
                f"| {plan.tensors / GIB:.2f} | {tensors:.2f} | {plan.tensors / GIB / tensors:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
