"""Training throughput: tunelab's loop vs transformers.Trainer, side by side, in one run.

Both train the same model on the same lamini_docs documents with the same optimizer settings and
the same number of documents per optimizer step. Trainer uses its usual setup (dynamic padding to
the longest sequence in the batch); tunelab packs documents into rows. Each (trainer, mode) runs in
its own process so peak memory is its own. Reports non-padding tokens per second over the steady
steps (the first steps are warm-up and not timed), peak memory, and the ratio.

    python benchmarks/train_throughput.py                    # CPU: embedded model, LoRA and full
    python benchmarks/train_throughput.py --device cuda      # GPU: also a 1B Llama-shaped model
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
# The shared copy beside the repository; TUNELAB_LAMINI points elsewhere (a GPU machine gets the
# repository alone, so benchmarks/gpu_check.sh carries the file in).
LAMINI = Path(
    os.environ.get(
        "TUNELAB_LAMINI",
        REPO.parent / "shared" / "data" / "instructions" / "lamini_docs" / "lamini_docs.jsonl",
    )
)
WARMUP_STEPS = 2


def load_documents(tokenizer, n_docs: int, max_length: int):
    from tunelab.data.load import load_examples
    from tunelab.data.tokenize import tokenize_all

    examples = load_examples(LAMINI, on_error="skip")[:n_docs]
    items, _ = tokenize_all(examples, tokenizer, template="qa", max_length=max_length)
    return items


SHAPES = {
    "smollm2-135m": "smollm2-135m-instruct",
    "random-135m": "random-smollm2-135m",
    "random-1b": "random-llama-1b",
}


# Dense bf16 tensor-core peak, FLOP/s, of the GPUs this is likely to meet (SXM parts).
PEAK_BF16 = {
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10": 125e12,
    "L4": 121e12,
}


def peak_flops(device: str) -> float | None:
    if device != "cuda":
        return None
    name = torch.cuda.get_device_name()
    return next((peak for key, peak in PEAK_BF16.items() if key in name), None)


def flops_per_token(shape: str, mode: str, length_sq_over_length: float) -> float:
    """Model FLOPs per trained token. Forward: 2N (N = matmul weights, lm_head included, the
    embedding lookup not) + causal attention within each document, 2 L d (sum len^2 / sum len).
    Full finetuning: 3x forward. LoRA: frozen matrices get no weight gradient, so 2x forward for
    the matmuls (the adapters are negligible) and 3x for attention, which has no weights."""
    from torch import nn
    from transformers import AutoConfig, AutoModelForCausalLM

    from tunelab.models import RANDOM_SHAPES, embedded_model_dir, random_shape_config

    name = SHAPES[shape]
    if name in RANDOM_SHAPES:
        config = random_shape_config(name, vocab_size=49152)
    else:
        config = AutoConfig.from_pretrained(embedded_model_dir())
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    n = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))
    attention = 2 * config.num_hidden_layers * config.hidden_size * length_sq_over_length
    return (3 if mode == "full" else 2) * 2 * n + 3 * attention


def peak_memory_gib(device: str) -> float:
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def run_tunelab(args) -> dict:
    import tempfile

    from tunelab.config import Config
    from tunelab.data.pipeline import make_rows
    from tunelab.run import load_tokenizer
    from tunelab.train.loop import train
    from tunelab.train.plot import read_metrics

    tokenizer = load_tokenizer("smollm2-135m-instruct")
    items = load_documents(tokenizer, args.docs, args.max_length)
    rows = make_rows(items, args.max_length, packing=True)
    # The same documents per optimizer step as Trainer's batch: rows hold several documents each.
    rows_per_step = max(1, round(args.batch_size * len(rows) / len(items)))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "docs.jsonl"
        from tunelab.data.load import load_examples

        examples = load_examples(LAMINI, on_error="skip")[: args.docs]
        data.write_text(
            "".join(
                json.dumps({"question": e.question, "answer": e.answer}) + "\n" for e in examples
            )
        )
        config = Config.from_dict(
            {
                "name": "bench",
                "output_dir": tmp,
                "model": {"name": SHAPES[args.shape]},
                "data": {
                    "path": str(data),
                    "template": "qa",
                    "max_length": args.max_length,
                    "test_size": 0,
                    "packing": True,
                },
                "train": {
                    "method": args.mode,
                    "max_steps": args.steps,
                    "batch_size": rows_per_step,
                    "lr": 1e-4,
                    "scheduler": "constant",
                    "warmup_ratio": 0.0,
                    "eval_every": 10**9,
                    "save_every": 10**9,
                    "device": args.device,
                    "lora": {"dropout": 0.0},
                    "compile": args.device == "cuda",
                    "attention": args.attention,
                },
            }
        )
        train(config)
        records = read_metrics(Path(tmp) / "bench" / "metrics.jsonl")
    first, last = records[WARMUP_STEPS - 1], records[-1]
    tokens = last["input_tokens"] - first["input_tokens"]
    seconds = last["elapsed"] - first["elapsed"]
    return {
        "tokens_per_s": tokens / seconds,
        "peak_gib": peak_memory_gib(args.device),
        "docs_per_step": len(items) / len(rows) * rows_per_step,
    }


def run_trainer(args) -> dict:
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainerCallback, TrainingArguments

    from tunelab.run import load_model

    model, tokenizer = load_model(SHAPES[args.shape], device=args.device)
    items = load_documents(tokenizer, args.docs, args.max_length)
    dataset = [{"input_ids": it.input_ids, "labels": it.labels} for it in items]
    if args.mode == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(
            model,
            LoraConfig(
                r=16,
                lora_alpha=32,
                lora_dropout=0.0,
                target_modules="all-linear",
                task_type="CAUSAL_LM",
            ),
        )
    timings: list[tuple[float, int]] = []
    seen = {"tokens": 0}

    class CountingTrainer(Trainer):
        def training_step(self, model, inputs, *args, **kwargs):
            seen["tokens"] += int(inputs["attention_mask"].sum())  # non-padding tokens
            return super().training_step(model, inputs, *args, **kwargs)

    class Clock(TrainerCallback):
        def on_step_end(self, *_, **__):
            timings.append((time.perf_counter(), seen["tokens"]))

    collator = DataCollatorForSeq2Seq(tokenizer, padding="longest", label_pad_token_id=-100)
    training_args = TrainingArguments(
        output_dir="/tmp/tunelab-bench-trainer",
        per_device_train_batch_size=args.batch_size,
        max_steps=args.steps,
        learning_rate=1e-4,
        lr_scheduler_type="constant",
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        use_cpu=args.device == "cpu",
        bf16=args.device == "cuda",
        dataloader_num_workers=0,
        remove_unused_columns=False,
        seed=0,
        disable_tqdm=True,
    )
    CountingTrainer(
        model=model,
        args=training_args,
        train_dataset=dataset,
        data_collator=collator,
        callbacks=[Clock()],
    ).train()
    (t0, n0), (t1, n1) = timings[WARMUP_STEPS - 1], timings[-1]
    return {
        "tokens_per_s": (n1 - n0) / (t1 - t0),
        "peak_gib": peak_memory_gib(args.device),
        "docs_per_step": args.batch_size,
    }


def worker(args) -> None:
    torch.manual_seed(0)
    result = run_tunelab(args) if args.worker == "tunelab" else run_trainer(args)
    print("RESULT " + json.dumps(result))


def measure(args, who: str, mode: str, shape: str) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        who,
        "--mode",
        mode,
        "--shape",
        shape,
        "--device",
        args.device,
        "--attention",
        args.attention,
        "--steps",
        str(args.steps),
        "--docs",
        str(args.docs),
        "--batch-size",
        str(args.batch_size),
        "--max-length",
        str(args.max_length),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{who} {mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--modes", default="lora,full")
    # Defaults: CPU as measured in benchmarks/README.md; GPU as the reference figures
    # (32 documents per step, documents up to 1024 tokens).
    parser.add_argument("--steps", type=int, default=None, help="default 12 (CPU), 30 (GPU)")
    parser.add_argument("--docs", type=int, default=None, help="default 160 (CPU), 1400 (GPU)")
    parser.add_argument("--batch-size", type=int, default=None, help="default 8 (CPU), 32 (GPU)")
    parser.add_argument(
        "--max-length", type=int, default=None, help="default 256 (CPU), 1024 (GPU)"
    )
    parser.add_argument("--attention", default="auto", help="tunelab's train.attention")
    parser.add_argument(
        "--shapes", default=None, help="default: smollm2-135m on CPU; random-135m,random-1b on GPU"
    )
    parser.add_argument("--shape", default="smollm2-135m", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="lora")
    parser.add_argument("--worker", choices=["tunelab", "trainer"])
    args = parser.parse_args()
    gpu = args.device != "cpu"
    for name, cpu_default, gpu_default in [
        ("steps", 12, 30),
        ("docs", 160, 1400),
        ("batch_size", 8, 32),
        ("max_length", 256, 1024),
    ]:
        if getattr(args, name) is None:
            setattr(args, name, gpu_default if gpu else cpu_default)
    if args.worker:
        return worker(args)
    print(
        f"device {args.device}; {args.steps} optimizer steps of {args.batch_size} documents "
        f"(first {WARMUP_STEPS} not timed); lamini_docs, max_length {args.max_length}"
    )
    from tunelab.run import load_tokenizer

    lengths = [
        len(it.input_ids)
        for it in load_documents(
            load_tokenizer("smollm2-135m-instruct"), args.docs, args.max_length
        )
    ]
    length_sq_over_length = sum(n * n for n in lengths) / sum(lengths)
    peak = peak_flops(args.device)
    header = (
        f"| {'model':12} | mode | Trainer tok/s | tunelab tok/s | ratio | Trainer peak GiB "
        "| tunelab peak GiB | Trainer MFU | tunelab MFU |"
    )
    print(header + "\n|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    shapes = args.shapes or ("smollm2-135m" if args.device == "cpu" else "random-135m,random-1b")
    for shape, mode in [(s, m) for s in shapes.split(",") for m in args.modes.split(",")]:
        base = measure(args, "trainer", mode, shape)
        ours = measure(args, "tunelab", mode, shape)
        per_token = flops_per_token(shape, mode, length_sq_over_length)
        mfu = [
            f"{100 * r['tokens_per_s'] * per_token / peak:10.1f}%" if peak else f"{'n/a':>11}"
            for r in (base, ours)
        ]
        print(
            f"| {shape:12} | {mode:4} | {base['tokens_per_s']:13.0f} | {ours['tokens_per_s']:13.0f} "
            f"| {ours['tokens_per_s'] / base['tokens_per_s']:4.2f}x | {base['peak_gib']:16.2f} "
            f"| {ours['peak_gib']:16.2f} | {mfu[0]} | {mfu[1]} |",
            flush=True,
        )
    if not peak:
        print("MFU: n/a on CPU (no agreed peak); on a GPU it is printed against its bf16 peak.")


if __name__ == "__main__":
    main()
