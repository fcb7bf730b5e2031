"""model.dtype: training with the weights held in bfloat16 ("true" half precision)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import tiny_config
from tunelab.models import load_model
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
