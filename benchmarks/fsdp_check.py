"""FSDP2 on a GPU (issue 16, part 1): what the CPU tests (tests/test_fsdp.py, gloo) cannot check.
bf16 mixed precision through MixedPrecisionPolicy, CPU offload, NCCL, and a sharded checkpoint
resumed on CUDA, held-out answers in bf16 and the best step kept. One GPU is one process, so its
shards are whole: the losses are compared with the plain run's, and peak GPU memory shows what
offload moves off the card.

    python benchmarks/fsdp_check.py --data lamini_docs.jsonl [--model random-smollm2-135m]

Prints one row per run and exits 1 when a loss strays (bf16 vs autocast: a few 1e-2 at most)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import torch

from tunelab.config import Config
from tunelab.train.loop import train

# Every run answers 16 held-out questions every 5 steps and keeps its best step by eval loss.
HELD_OUT = dict(
    eval_every=5, eval_generate_every=5, eval_questions=16, eval_max_new_tokens=32,
    select_best="eval_loss",
)  # fmt: skip


def config(args, name: str, **train_settings) -> Config:
    settings = dict(method="full", max_steps=10, batch_size=8, save_every=5, keep_checkpoints=5)
    return Config.from_dict(
        {
            "name": name,
            "output_dir": args.out,
            "model": {"name": args.model},
            "data": {
                "path": args.data,
                "template": "qa",
                "on_error": "skip",
                "max_length": 512,
                "test_size": 16,
            },
            "train": {**settings, **HELD_OUT, "warmup_ratio": 0.0, **train_settings},
        }
    )


def rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def steps(run: Path) -> list[dict]:
    return [r for r in rows(run) if "loss" in r]


def held_out(run: Path) -> str:
    """The last held-out score, as metrics.jsonl names it (eval_fact_accuracy or eval_token_f1)."""
    keys = ("eval_fact_accuracy", "eval_token_f1")
    scores = [value for r in rows(run) for key, value in r.items() if key in keys]
    return f"{scores[-1]:.3f}" if scores else "-"


def measured(config: Config, resume: bool = False) -> Path:
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()  # each row its own peak, in one process
    return train(config, resume=resume)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--model", default="random-smollm2-135m")
    parser.add_argument("--out", default="/tmp/fsdp_check")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)

    runs = {
        "plain (ddp)": measured(config(args, "plain")),
        "fsdp": measured(config(args, "fsdp", parallel="fsdp")),
        "fsdp lora": measured(config(args, "lora", parallel="fsdp", method="lora")),
    }
    if torch.cuda.is_available():  # offload moves GPU memory to the CPU: nothing to move here
        offload = config(args, "offload", parallel="fsdp", cpu_offload=True)
        runs["fsdp + cpu_offload"] = measured(offload)
    # Killed after step 5: its checkpoint alone survives; the resumed run must retrace the rest.
    resumed = config(args, "fsdp", parallel="fsdp").model_copy(update={"name": "resumed"})
    shutil.copytree(runs["fsdp"], resumed.run_dir)
    for extra in ("model", "checkpoints/step-000010"):
        shutil.rmtree(resumed.run_dir / extra)
    runs["fsdp resumed at 5"] = measured(resumed, resume=True)

    plain = [r["loss"] for r in steps(runs["plain (ddp)"])]
    worst = 0.0
    print(
        f"\n{'run':22} {'loss 1':>8} {'loss 10':>8} {'max |Δ| vs plain':>17} {'peak GPU GiB':>13}"
        f" {'held-out':>9}"
    )
    for name, run in runs.items():
        rows = steps(run)
        losses = [r["loss"] for r in rows]
        diff = max(abs(a - b) for a, b in zip(losses, plain)) if "lora" not in name else None
        worst = max(worst, diff or 0.0)
        shown = f"{diff:.4f}" if diff is not None else "(LoRA)"
        peak = max(r.get("peak_gpu_gib", 0.0) for r in rows)
        print(
            f"{name:22} {losses[0]:8.4f} {losses[-1]:8.4f} {shown:>17} {peak:13.2f} "
            f"{held_out(run):>9}"
        )
    resume_diff = max(
        abs(a["loss"] - b["loss"])
        for a, b in zip(steps(runs["fsdp"]), steps(runs["fsdp resumed at 5"]))
    )
    print(f"resumed vs straight fsdp: max |Δ loss| {resume_diff:.5f}")
    sys.exit(1 if worst > 0.05 or resume_diff > 1e-3 else 0)


if __name__ == "__main__":
    main()
