"""The three trainers `train_throughput.py` compares, each as one function run in its own process.

Every one trains the same tokenized lamini_docs documents (prompt masked, max_length as asked) with
the same model, AdamW settings and documents per optimizer step, and returns the same record: the
cumulative clock and token counts at the end of each optimizer step, and the process's peak
memory. Trained tokens are the tokens that get a loss (answer tokens, counted after the shift to
next-token targets); input tokens are the non-padding tokens the model reads.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
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
SHAPES = {
    "smollm2-135m": "smollm2-135m-instruct",
    "random-135m": "random-smollm2-135m",
    "random-1b": "random-llama-1b",
}
LR = 1e-4


def load_documents(tokenizer, n_docs: int, max_length: int):
    from tunelab.data.load import load_examples
    from tunelab.data.tokenize import tokenize_all

    examples = load_examples(LAMINI, on_error="skip")[:n_docs]
    items, _ = tokenize_all(examples, tokenizer, template="qa", max_length=max_length)
    return items


def document_stats(items) -> tuple[list[int], list[int]]:
    """Each document's length and trained tokens (targets after the shift)."""
    trained = [sum(label != -100 for label in it.labels[1:]) for it in items]
    return [len(it.input_ids) for it in items], trained


def rows_per_step(rows, items, docs_per_step: int = 8) -> int:
    """Packed rows a step that hold about `docs_per_step` documents."""
    return max(1, round(docs_per_step * len(rows) / len(items)))


def lora_config():
    from peft import LoraConfig

    return LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM"
    )


def peak_memory_gib(device: str) -> float:
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def result(steps: list[dict], device: str) -> dict:
    return {"steps": steps, "peak_gib": peak_memory_gib(device)}


def compiled(args) -> bool:
    """Whether tunelab's decoder is compiled (`train.compile`): off unless asked, as in tunelab.
    On a CPU it runs as fast as not compiled after ~10 s of compiling; on an H200, compiling the
    decoder whole, the 1B shape's 12 steps had not ended after 214 s (benchmarks/README.md)."""
    return args.compile == "on"


def run_tunelab(args) -> dict:
    """tunelab's own `train()`, as a user runs it: packed rows, the fused projection + loss, on a
    CPU oneDNN's matrix products and fused AdamW."""
    from tunelab.config import Config
    from tunelab.data.pipeline import make_rows
    from tunelab.run import load_tokenizer
    from tunelab.train.loop import train
    from tunelab.train.plot import read_metrics

    items = load_documents(load_tokenizer("smollm2-135m-instruct"), args.docs, args.max_length)
    rows = make_rows(items, args.max_length, packing=True)
    # The same documents per optimizer step as the others: rows hold several documents each.
    step_rows = rows_per_step(rows, items, args.batch_size)
    docs_per_step = len(items) / len(rows) * step_rows
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
                    "batch_size": step_rows,
                    "lr": LR,
                    "scheduler": "constant",
                    "warmup_ratio": 0.0,
                    "eval_every": 10**9,
                    "save_every": 10**9,
                    "device": args.device,
                    "lora": {"dropout": 0.0},
                    "compile": compiled(args),
                    "attention": args.attention,
                },
            }
        )
        train(config)
        records = read_metrics(Path(tmp) / "bench" / "metrics.jsonl")
    steps = [
        {
            "t": r["elapsed"],
            "trained": r["tokens"],
            "input": r["input_tokens"],
            "docs": docs_per_step * r["step"],
        }
        for r in records
        if "loss" in r
    ]
    return result(steps, args.device)


class StepLog:
    """Cumulative counts at the end of each optimizer step of a transformers.Trainer subclass."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.pending = {"trained": 0, "input": 0, "docs": 0}
        self.steps: list[dict] = []

    def count(self, inputs: dict) -> None:
        labels = inputs["labels"]
        # The model shifts labels by one: a row's first label is never a target.
        self.pending["trained"] += int((labels[:, 1:] != -100).sum())
        if "attention_mask" in inputs:
            self.pending["input"] += int(inputs["attention_mask"].sum())
            self.pending["docs"] += labels.shape[0]
        else:  # padding-free: one flat row of documents, no padding
            self.pending["input"] += labels.numel()
            self.pending["docs"] += len(inputs["cu_seq_lens_q"]) - 1

    def step_end(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()
        self.steps.append({"t": time.perf_counter(), **self.pending})
        self.pending = dict(self.pending)

    def trainer_class(self, base):
        from transformers import TrainerCallback

        log = self

        class Counting(base):
            def training_step(self, model, inputs, *args, **kwargs):
                log.count(inputs)
                return super().training_step(model, inputs, *args, **kwargs)

        class Clock(TrainerCallback):
            def on_step_end(self, *_, **__):
                log.step_end()

        return Counting, Clock()


def common_arguments(args, output_dir: str) -> dict:
    """What Trainer and SFTTrainer are both given: the optimizer and step settings tunelab uses
    (AdamW at 1e-4, constant, no weight decay, gradient norm clipped at 1), each tool's default
    AdamW implementation, no logging, no checkpoints."""
    return {
        "output_dir": output_dir,
        "max_steps": args.steps,
        "learning_rate": LR,
        "lr_scheduler_type": "constant",
        "weight_decay": 0.0,
        "max_grad_norm": 1.0,
        "report_to": [],
        "save_strategy": "no",
        "logging_strategy": "no",
        "use_cpu": args.device == "cpu",
        "bf16": args.device == "cuda",
        "dataloader_num_workers": 0,
        "seed": 0,
        "disable_tqdm": True,
    }


def run_trainer(args) -> dict:
    """transformers.Trainer as a beginner sets it up: dynamic padding to the batch's longest."""
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from tunelab.run import load_model

    model, tokenizer = load_model(SHAPES[args.shape], device=args.device)
    items = load_documents(tokenizer, args.docs, args.max_length)
    dataset = [{"input_ids": it.input_ids, "labels": it.labels} for it in items]
    if args.mode == "lora":
        from peft import get_peft_model

        model = get_peft_model(model, lora_config())
    log = StepLog(args.device)
    trainer_class, clock = log.trainer_class(Trainer)
    with tempfile.TemporaryDirectory() as tmp:
        trainer_class(
            model=model,
            args=TrainingArguments(
                per_device_train_batch_size=args.batch_size,
                remove_unused_columns=False,
                **common_arguments(args, tmp),
            ),
            train_dataset=dataset,
            data_collator=DataCollatorForSeq2Seq(
                tokenizer, padding="longest", label_pad_token_id=-100
            ),
            callbacks=[clock],
        ).train()
    return result(log.steps, args.device)


def run_trl(args) -> dict:
    """trl.SFTTrainer packed: best-fit-decreasing packing, padding-free batches (each step's rows
    flattened into one sequence, documents kept apart by position_ids), loss on the answer only,
    its fused chunked LM head. Given the same tokenized documents as the others, their prompt
    labels already -100 (what completion_only_loss builds from a prompt/completion data set).
    Gradient checkpointing, on by default in SFTConfig, is turned off as it is for the others."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer
    from trl.data_utils import pack_dataset

    from tunelab.run import load_model

    model, tokenizer = load_model(SHAPES[args.shape], device=args.device)
    items = load_documents(tokenizer, args.docs, args.max_length)
    dataset = Dataset.from_list([{"input_ids": it.input_ids, "labels": it.labels} for it in items])
    packed_rows = len(pack_dataset(dataset, args.max_length, "bfd"))
    rows_per_step = max(1, round(args.batch_size * packed_rows / len(items)))
    log = StepLog(args.device)
    trainer_class, clock = log.trainer_class(SFTTrainer)
    with tempfile.TemporaryDirectory() as tmp:
        config = SFTConfig(
            per_device_train_batch_size=rows_per_step,
            packing=True,
            packing_strategy="bfd",
            max_length=args.max_length,
            completion_only_loss=True,
            gradient_checkpointing=False,
            use_liger_kernel=args.worker == "trl-liger",
            **common_arguments(args, tmp),
        )
        trainer_class(
            model=model,
            args=config,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=lora_config() if args.mode == "lora" else None,
            callbacks=[clock],
        ).train()
    return result(log.steps, args.device)


RUNNERS = {
    "trainer": run_trainer,
    "tunelab": run_tunelab,
    "trl": run_trl,
    "trl-liger": run_trl,
}
