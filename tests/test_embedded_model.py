"""The real embedded default: loads from the package's GGUF (cached), answers, and stops at EOS."""

from __future__ import annotations

import pytest

from tunelab.models import EMBEDDED_NAME, embedded_model_dir, load_model
from tunelab.serve.generate import answer

pytestmark = pytest.mark.slow


def test_embedded_model_loads_and_answers():
    model, tokenizer = load_model(EMBEDDED_NAME)
    assert (embedded_model_dir() / "model.safetensors").exists()
    assert model.config.model_type == "llama" and model.config.num_hidden_layers == 30
    assert tokenizer.eos_token == tokenizer.pad_token == "<|im_end|>"
    (reply,) = answer(model, tokenizer, ["What is the capital of France?"], max_new_tokens=20)
    assert "Paris" in reply.text
    assert reply.finish_reason == "stop"
