"""Training settings around the loop: weight dtype and gradient checkpointing change cost, not
results; early stopping ends a run that stopped improving."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import tiny_config
from tunelab.run import load_model
from tunelab.train.loop import train
from tunelab.train.plot import read_metrics


@pytest.mark.parametrize("method", ["lora", "full"])
def test_bfloat16_weights_train_and_load_back(tmp_path, qa_file, method):
    config = tiny_config(tmp_path, qa_file, method=method, max_steps=8, lr=1e-2)
    config.model.dtype = "bfloat16"
    run = train(config)

    losses = [r["loss"] for r in read_metrics(run / "metrics.jsonl") if "loss" in r]
    assert losses[-1] < losses[0]
    saved = load_file(next((run / "model").glob("*.safetensors")))
    # peft keeps the adapter in float32 over a bfloat16 base; full finetuning saves bfloat16.
    expected = torch.float32 if method == "lora" else torch.bfloat16
    assert {t.dtype for t in saved.values()} == {expected}

    model, _ = load_model(str(run), dtype=torch.bfloat16)
    logits = model(torch.tensor([[1, 2, 3]])).logits
    assert torch.isfinite(logits).all()


def test_gradient_checkpointing_trades_compute_for_memory_not_results(tmp_path, qa_file):
    losses = {}
    for checkpointing in (False, True):
        config = tiny_config(
            tmp_path / str(checkpointing),
            qa_file,
            max_steps=4,
            gradient_checkpointing=checkpointing,
            lora={"dropout": 0.0},  # dropout would draw different masks on recomputation
        )
        losses[checkpointing] = [
            r["loss"] for r in read_metrics(train(config) / "metrics.jsonl") if "loss" in r
        ]
    assert losses[True] == pytest.approx(losses[False], abs=1e-5)


def test_early_stop_ends_the_run_when_eval_loss_stops_improving(tmp_path, qa_file):
    # A learning rate this high makes eval loss jump about, so it soon stops improving.
    config = tiny_config(
        tmp_path,
        qa_file,
        method="full",
        max_steps=50,
        lr=1.0,
        eval_every=1,
        early_stop_patience=2,
        max_grad_norm=1e9,
    )
    records = read_metrics(train(config) / "metrics.jsonl")
    evals = [r["eval_loss"] for r in records if r["step"] > 0]  # step 0 is the untrained baseline
    assert records[-1]["step"] < 50
    # It stopped at the second evaluation in a row that did not beat the best so far, not before.
    assert min(evals[-2:]) > min(evals[:-2])
    assert all(min(evals[: i - 1]) > min(evals[i - 1 : i + 1]) for i in range(2, len(evals) - 1))
