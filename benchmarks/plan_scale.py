"""Scale on paper: for Llama-3.2-1B, Llama-3.1-8B and Llama-3.1-70B, full finetuning, LoRA and
QLoRA, the fewest 80 GB GPUs `tunelab plan` says each fits on, and the tokens/s to expect at an
assumed MFU. Nothing is loaded or downloaded: the plan needs the shapes alone.

    python benchmarks/plan_scale.py                 # markdown table for benchmarks/README.md
    python benchmarks/plan_scale.py --mfu 0.3 --max-length 4096
"""

from __future__ import annotations

import argparse

from tunelab.train.plan.estimate import GIB, estimate
from tunelab.train.plan.settings import PlanConfig
from tunelab.train.plan.shapes import shape_of

MODELS = ["Llama-3.2-1B", "Llama-3.1-8B", "Llama-3.1-70B"]
# The frozen base of LoRA is held in bf16 (model.dtype: bfloat16): float32 would double it for
# nothing. Full finetuning keeps float32 master weights with bf16 autocast (model.dtype: auto).
METHODS = {
    "full": {"method": "full"},
    "LoRA": {"method": "lora", "dtype": "bfloat16"},
    "QLoRA": {"method": "qlora"},
}
GPU_COUNTS = [1, 2, 4, 8, 16, 32, 64]
H100_GIB = 81_559 / 1024  # what an 80 GB H100 reports (nvidia-smi: 81,559 MiB)
H100_BF16 = 989e12  # dense bf16 tensor-core FLOP/s, H100 SXM


def fewest_gpus(model: str, settings: dict, args) -> tuple[int, PlanConfig, float] | str:
    """The fewest GPUs the plan fits on (fsdp past one), with its peak; else why not."""
    for n in GPU_COUNTS:
        if settings["method"] == "qlora" and n > 1:
            # model.quantize with fsdp is refused: a QLoRA base must fit one GPU.
            return "does not fit one GPU; QLoRA does not shard"
        cfg = PlanConfig(
            model=model,
            batch_size=args.batch_size,
            max_length=args.max_length,
            gradient_checkpointing=args.checkpointing,
            processes=n,
            parallel="fsdp" if n > 1 else "ddp",
            device="cuda",
            gpu_memory=H100_GIB,
            **settings,
        )
        plan = estimate(cfg)
        if plan.peak <= H100_GIB * GIB:
            return n, cfg, plan.peak
    return f"more than {GPU_COUNTS[-1]}"


def tokens_per_second(model: str, method: str, length: int, mfu: float) -> float:
    """Per GPU: MFU x peak / model FLOPs per token. Model FLOPs (recomputation not counted, as
    MFU is defined): 6N for full finetuning, 4N with frozen weights (no weight gradient), N the
    matmul weights with the output projection, plus causal attention over `length`-token
    documents, 2 L d length forward and three times that in all."""
    shape = shape_of(model)
    n = shape.layers * shape.layer_matrices() + shape.vocab * shape.hidden
    attention = 3 * 2 * shape.layers * shape.hidden * length
    per_token = (6 if method == "full" else 4) * n + attention
    return mfu * H100_BF16 / per_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mfu", type=float, default=0.4, help="assumed model FLOPs utilization")
    parser.add_argument("--batch-size", type=int, default=4, help="rows per GPU")
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--no-checkpointing", dest="checkpointing", action="store_false")
    args = parser.parse_args()
    print(
        f"80 GB H100s ({H100_GIB:.1f} GiB each), {args.batch_size} rows x {args.max_length} "
        f"tokens per GPU, gradient checkpointing {'on' if args.checkpointing else 'off'}; "
        f"tokens/s at an assumed {args.mfu:.0%} MFU of {H100_BF16 / 1e12:.0f} TFLOP/s"
    )
    print(
        "| model | method | 80 GB GPUs | peak per GPU | tokens/s per GPU | tokens/s in all "
        "| hours per 1B tokens |\n|---|---|---|---|---|---|---|"
    )
    for model in MODELS:
        for name, settings in METHODS.items():
            found = fewest_gpus(model, settings, args)
            if isinstance(found, str):
                print(f"| {model} | {name} | {found} | | | | |")
                continue
            n, cfg, peak = found
            speed = tokens_per_second(model, cfg.method, args.max_length, args.mfu)
            how = f"{n} ({cfg.parallel})" if n > 1 else "1"
            hours = 1e9 / (speed * n) / 3600
            print(
                f"| {model} | {name} | {how} | {peak / GIB:.1f} GiB | {speed:,.0f} "
                f"| {speed * n:,.0f} | {hours:,.1f} |"
            )


if __name__ == "__main__":
    main()
