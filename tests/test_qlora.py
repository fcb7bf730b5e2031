"""QLoRA (model.quantize): LoRA adapters trained on a base quantized by bitsandbytes, merged into
the dequantized base on export. Runs on the CPU where bitsandbytes has a CPU backend (0.50.2
here), on a GPU when one is lent; without bitsandbytes the setting is refused, saying what to
install."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from tests.conftest import tiny_config
from tunelab.config import Config
from tunelab.errors import TunelabError

needs_bnb = pytest.mark.skipif(
    importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes is not installed"
)


def quantized_config(tmp_path, qa_file, kind="nf4", **train):
    config = tiny_config(tmp_path, qa_file, **train)
    return config.model_copy(update={"model": config.model.model_copy(update={"quantize": kind})})


@needs_bnb
@pytest.mark.parametrize("kind", ["nf4", "int8"])
def test_qlora_trains_the_adapters_and_exports_them_merged_into_the_dequantized_base(
    tmp_path, qa_file, kind
):
    from transformers import AutoModelForCausalLM

    from tunelab.export.merged import export_merged
    from tunelab.models.random_weights import tiny_random
    from tunelab.run import load_model
    from tunelab.train.loop import train

    run = train(quantized_config(tmp_path, qa_file, kind, max_steps=8, lr=1e-2, eval_every=4))
    losses = [r["loss"] for r in map(json.loads, open(run / "metrics.jsonl")) if "loss" in r]
    assert losses[-1] < losses[0]
    assert (run / "model" / "adapter_config.json").exists()

    trained, tokenizer = load_model(str(run))  # the adapter merged into the dequantized base
    merged_dir = export_merged(str(run), tmp_path / "merged")
    assert "quantization_config" not in json.loads((merged_dir / "config.json").read_text())
    merged = AutoModelForCausalLM.from_pretrained(merged_dir)  # no bitsandbytes needed to read
    ids = tokenizer("What color is the sky?", return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.allclose(
            trained(input_ids=ids).logits, merged(input_ids=ids).logits, atol=1e-4
        )
    # The adapter sits on the quantized weights, dequantized, not on the original float32 ones.
    from peft import PeftModel

    on_original = PeftModel.from_pretrained(tiny_random()[0], run / "model").merge_and_unload()
    with torch.no_grad():
        found, other = trained(input_ids=ids).logits, on_original(input_ids=ids).logits
    error = ((found - other).norm() / other.norm()).item()
    assert 0.001 < error < 0.25


@needs_bnb
@pytest.mark.parametrize("kind", ["nf4", "int8"])
def test_adapter_gradients_on_the_quantized_base_equal_those_on_its_dequantized_copy(kind):
    """Also after a forward pass in eval mode, as training runs one for its eval loss (a CPU
    kernel bitsandbytes switches to there has no backward; tunelab.models.quantized keeps it
    off)."""
    from tunelab.config import TrainConfig
    from tunelab.models.quantized import dequantized, load_quantized
    from tunelab.train.setup import prepare_model

    lora = TrainConfig(method="lora", lora={"dropout": 0.0})
    models = []
    for dequantize in (False, True):
        model, _ = load_quantized("tiny-random", kind, torch.bfloat16)
        model = dequantized(model, torch.bfloat16) if dequantize else model
        torch.manual_seed(0)
        model = prepare_model(model, lora)
        for name, p in model.named_parameters():
            if "lora_B" in name:  # B starts at zero: give A's gradient something to pass
                p.data.normal_(0, 0.1, generator=torch.Generator().manual_seed(1))
        models.append(model)
    ids = torch.randint(3, 250, (2, 16), generator=torch.Generator().manual_seed(2))
    grads = []
    for model in models:
        with torch.no_grad():
            model.eval()(input_ids=ids)
        model.train()(input_ids=ids, labels=ids).loss.backward()
        grads.append({n: p.grad.float() for n, p in model.named_parameters() if p.requires_grad})
    first = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"
    assert grads[0][first].norm() > 0
    for name in grads[0]:  # equal but for bf16 rounding, which the two compute differently
        difference = (grads[0][name] - grads[1][name]).norm() / grads[1][name].norm()
        assert difference < 0.05, name


def test_without_bitsandbytes_quantize_is_refused_saying_what_to_install(monkeypatch):
    from tunelab.models import quantized

    real = importlib.util.find_spec
    monkeypatch.setattr(
        quantized.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "bitsandbytes" else real(name, *a),
    )
    with pytest.raises(
        TunelabError, match=r"nf4 needs bitsandbytes: pip install 'tunelab\[qlora\]'"
    ):
        quantized.load_quantized("tiny-random", "nf4", torch.bfloat16)


def test_a_mistyped_quantization_names_the_kinds_and_the_one_meant():
    # It said "model.quantize: 'nf8' is not one of ('nf4', 'int8')", a tuple as Python writes it.
    from tunelab.run import load_model

    with pytest.raises(TunelabError) as err:
        load_model("tiny-random", quantize="nf8")
    assert str(err.value) == "model.quantize 'nf8' is not one of nf4 or int8: did you mean nf4?"


def test_a_quantized_base_trains_adapters_only():
    with pytest.raises(TunelabError, match="model.quantize: nf4 freezes the base.*method: lora"):
        Config.from_dict({"model": {"quantize": "nf4"}, "train": {"method": "full"}})


@needs_bnb
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_qlora_on_a_gpu_trains_with_the_base_in_4_bits(tmp_path, qa_file):
    from tunelab.export.merged import export_merged
    from tunelab.train.loop import train

    run = train(quantized_config(tmp_path, qa_file, max_steps=6, lr=1e-2, device="cuda"))
    rows = [json.loads(line) for line in open(run / "metrics.jsonl")]
    losses = [r["loss"] for r in rows if "loss" in r]
    assert losses[-1] < losses[0] and all(r["peak_gpu_gib"] > 0 for r in rows if "loss" in r)
    assert (export_merged(str(run), tmp_path / "merged") / "model.safetensors").exists()


@needs_bnb
def test_a_4bit_weight_takes_the_bytes_the_plan_counts():
    from tunelab.models.quantized import load_quantized
    from tunelab.train.plan.estimate import NF4_BYTES

    model, _ = load_quantized("tiny-random", "nf4", torch.bfloat16)
    stored, weights = 0, 0
    for layer in model.modules():
        if type(layer).__name__ == "Linear4bit":
            state = layer.weight.quant_state  # packed 4-bit codes, 8-bit absmax, float32 absmax
            parts = [layer.weight, state.absmax, state.state2.absmax]
            stored += sum(p.numel() * p.element_size() for p in parts)
            weights += layer.in_features * layer.out_features
    assert weights and stored / weights == pytest.approx(NF4_BYTES, rel=0.01)
