"""train.lora.target_modules as users write it: one module's name, a list, or a mistake named."""

from __future__ import annotations

import pytest

from tunelab.config import TrainConfig
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.train.setup import prepare_model


def _lora_names(model) -> set[str]:
    return {
        name.split(".lora_A")[0].split(".")[-1]
        for name, _ in model.named_parameters()
        if "lora_A" in name
    }


def test_one_module_s_name_is_that_module_not_a_regex_of_the_whole_path():
    # PEFT reads a string as a regex of the whole module path: "q_proj" matched nothing.
    model, _ = tiny_random()
    cfg = TrainConfig.model_validate({"method": "lora", "lora": {"target_modules": "q_proj"}})
    assert _lora_names(prepare_model(model, cfg)) == {"q_proj"}


def test_a_module_the_model_lacks_is_named_with_the_ones_it_has():
    model, _ = tiny_random()
    cfg = TrainConfig.model_validate({"method": "lora", "lora": {"target_modules": ["qproj"]}})
    with pytest.raises(TunelabError, match=r"target_modules \['qproj'\].*linear layers: .*q_proj"):
        prepare_model(model, cfg)


def test_a_misspelt_module_beside_a_right_one_is_named_not_left_untrained():
    # PEFT trained q_proj alone, saying nothing of the typo.
    model, _ = tiny_random()
    targets = ["q_proj", "v_porj"]
    cfg = TrainConfig.model_validate({"method": "lora", "lora": {"target_modules": targets}})
    with pytest.raises(TunelabError, match=r"no module of the model is named v_porj\b.*v_proj"):
        prepare_model(model, cfg)


def test_a_module_named_by_its_path_is_found():
    model, _ = tiny_random()
    targets = ["self_attn.q_proj", "v_proj"]
    cfg = TrainConfig.model_validate({"method": "lora", "lora": {"target_modules": targets}})
    assert _lora_names(prepare_model(model, cfg)) == {"q_proj", "v_proj"}


def test_a_misspelt_module_is_answered_with_the_name_it_most_likely_meant():
    model, _ = tiny_random()
    cfg = TrainConfig.model_validate(
        {"method": "lora", "lora": {"target_modules": ["q_proj", "v_porj"]}}
    )
    with pytest.raises(TunelabError, match=r"named v_porj \(did you mean v_proj\?\)"):
        prepare_model(model, cfg)
