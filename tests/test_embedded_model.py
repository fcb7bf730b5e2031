"""The real embedded default: loads from the package's GGUF (cached), answers, and stops at EOS."""

from __future__ import annotations

import pytest

from tunelab.generation.generate import answer
from tunelab.models.load import EMBEDDED_NAME, embedded_model_dir
from tunelab.run import load_model

pytestmark = pytest.mark.slow


def test_embedded_model_loads_and_answers():
    model, tokenizer = load_model(EMBEDDED_NAME)
    assert (embedded_model_dir() / "model.safetensors").exists()
    assert model.config.model_type == "llama" and model.config.num_hidden_layers == 30
    assert tokenizer.eos_token == tokenizer.pad_token == "<|im_end|>"
    (reply,) = answer(model, tokenizer, ["What is the capital of France?"], max_new_tokens=20)
    assert "Paris" in reply.text
    assert reply.finish_reason == "stop"


def test_random_shapes_need_only_the_cached_tokenizer(tmp_path, monkeypatch):
    # What a GPU machine gets for the throughput benchmark: the tokenizer files, no weights.
    import shutil

    from tunelab.models.random_weights import random_shape_config
    from tunelab.run import load_tokenizer

    source = embedded_model_dir()
    target = tmp_path / "models" / EMBEDDED_NAME
    target.mkdir(parents=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path))
    tokenizer = load_tokenizer("random-smollm2-135m")
    assert len(tokenizer) == 49152 and tokenizer.eos_token == "<|im_end|>"
    assert not (target / "model.safetensors").exists()
    assert random_shape_config("random-llama-1b", len(tokenizer)).vocab_size == 128256


def test_a_lora_run_of_the_embedded_model_says_which_base_it_is_and_still_loads(tmp_path):
    # peft's card named the base by this machine's cache folder (~/.cache/tunelab/models/...)
    # alone: whoever the adapter was shared with could not tell which model it goes on.
    import json

    from tunelab import train

    data = tmp_path / "qa.jsonl"
    rows = [
        {"question": f"What is item {i}?", "answer": f"Item {i} is a widget."} for i in range(4)
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    settings = [f"data.path={data}", "data.test_size=0", f"output_dir={tmp_path}", "name=lora"]
    run = train(overrides=[*settings, "train.method=lora", "train.max_steps=1"])
    card = (run / "model" / "README.md").read_text(encoding="utf-8")
    front, _, body = card.partition("\n---\n")
    assert "base_model: HuggingFaceTB/SmolLM2-135M-Instruct" in front
    assert str(embedded_model_dir()) not in front
    assert "quantized to Q4_1 (SmolLM2-135M-Instruct.Q4_1.gguf" in " ".join(body.split())
    # The path stays where peft reads it (AutoPeftModelForCausalLM), and tunelab still loads it.
    config = json.loads((run / "model" / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["base_model_name_or_path"] == str(embedded_model_dir())
    model, _ = load_model(str(run))
    assert model.config.num_hidden_layers == 30
