"""The plan counts what training does for a family: a model whose forward does more to its logits
than the projection (Granite scales them, Gemma 2 softcaps them) gets no fused loss, so all of its
logits exist at once; a model that carries state along a row trains unpacked."""

from __future__ import annotations

import json

import pytest

from tunelab.errors import TunelabError
from tunelab.train.plan.estimate import estimate
from tunelab.train.plan.settings import PlanConfig
from tunelab.train.plan.shapes import shape_from_config

SIZES = dict(
    vocab_size=32000,
    hidden_size=256,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    intermediate_size=512,
)


def plan_of(tmp_path, **config):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(SIZES | config), encoding="utf-8")
    return estimate(PlanConfig(model=str(path), device="cpu", batch_size=2, max_length=4096))


def loss_parts(plan) -> dict[str, float]:
    return {p.name: p.bytes for p in plan.parts if p.name.startswith("loss")}


def test_a_granite_config_counts_its_full_logits_where_llamas_stays_fused(tmp_path):
    llama = plan_of(tmp_path, architectures=["LlamaForCausalLM"], model_type="llama")
    granite = plan_of(tmp_path, architectures=["GraniteForCausalLM"], model_type="granite")
    assert loss_parts(llama) == loss_parts(plan_of(tmp_path))  # no architecture: as before
    (fused,) = loss_parts(llama).values()
    (unfused,) = loss_parts(granite).values()
    # The fused loss holds 2,097 tokens' logits at once (a 256 MiB chunk); Granite's 8,192
    # tokens' in float32, their trained copy and the log-softmax, 12 B each.
    assert unfused - fused == 8192 * 32000 * 12 - 2097 * 32000 * 4
    part = next(p for p in granite.parts if p.name == "loss: logits not fused")
    assert "GraniteForCausalLM" in part.how


@pytest.mark.parametrize("softcap, fused", [(30.0, False), (None, True), ("absent", False)])
def test_gemma2_is_fused_only_when_its_config_turns_softcapping_off(tmp_path, softcap, fused):
    config = dict(architectures=["Gemma2ForCausalLM"], model_type="gemma2", head_dim=64)
    if softcap != "absent":  # left out: the config class's default, 30
        config["final_logit_softcapping"] = softcap
    names = set(loss_parts(plan_of(tmp_path, **config)))
    assert names == ({"loss"} if fused else {"loss: logits not fused"})


def test_a_model_that_carries_state_plans_unpacked_rows_and_says_so(tmp_path):
    lfm2 = plan_of(tmp_path, architectures=["Lfm2ForCausalLM"], model_type="lfm2")
    assert not lfm2.config.packing
    assert any("one document" in note for note in lfm2.notes)
    llama = plan_of(tmp_path, architectures=["LlamaForCausalLM"], model_type="llama")
    assert llama.config.packing and not any("one document" in n for n in llama.notes)


@pytest.mark.parametrize("model_type", ["mixtral", "qwen3_moe", "olmoe"])
def test_a_mixture_of_experts_config_is_refused_not_planned_as_one_mlp_a_layer(
    tmp_path, model_type
):
    # Mixtral-8x7B was planned as 7.2B parameters that "fit" in 24 GiB (87 GiB of weights).
    from transformers import AutoConfig

    AutoConfig.for_model(model_type).save_pretrained(tmp_path)
    with pytest.raises(TunelabError, match="Mixture-of-Experts model"):
        shape_from_config(tmp_path / "config.json")
