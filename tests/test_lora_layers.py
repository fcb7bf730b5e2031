"""Training's LoRA layers (tunelab/train/layers/lora_layers.py): peft's output, autograd's
gradients."""

from __future__ import annotations

from copy import deepcopy

import pytest
import torch
from peft import LoraConfig, get_peft_model
from peft.tuners.lora.layer import Linear as LoraLinear

from tunelab.config import TrainConfig
from tunelab.kernels import dropout as dropout_kernel
from tunelab.kernels import training_kernels, uses_onednn
from tunelab.models.random_weights import tiny_random
from tunelab.train.layers import lora_layers
from tunelab.train.setup import prepare_model

pytestmark = pytest.mark.skipif(
    not uses_onednn(torch.zeros(1)), reason="the one-node layer runs where oneDNN does"
)


def _adapted(dropout: float = 0.0, bias: bool = False):
    """The tiny model with LoRA on every projection and B away from its zero start, so the
    adapters' products and gradients are all non-zero."""
    torch.manual_seed(0)
    model, _ = tiny_random()
    if bias:
        for module in model.modules():
            if (
                isinstance(module, torch.nn.Linear)
                and module.out_features != model.config.vocab_size
            ):
                module.bias = torch.nn.Parameter(torch.randn(module.out_features) * 0.1)
                module.bias.requires_grad_(False)
    config = LoraConfig(
        r=4, lora_alpha=8, lora_dropout=dropout, target_modules="all-linear", task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.2)
    return model


def _step(model, ids, seed: int = 0):
    """The loss and every trained parameter's gradient (and the input embeddings'), as
    training's forward pass runs it."""
    model.train()
    model.zero_grad(set_to_none=True)
    embeds = model.get_input_embeddings()(ids).detach().requires_grad_(True)
    torch.manual_seed(seed)
    with training_kernels(model):
        out = model(inputs_embeds=embeds, labels=ids)
    out.loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
    return out.logits.detach(), embeds.grad, grads


def _calls(monkeypatch) -> list:
    calls, real = [], lora_layers.LoraLinearFunction.apply
    monkeypatch.setattr(
        lora_layers.LoraLinearFunction, "apply", lambda *a: calls.append(1) or real(*a)
    )
    return calls


class KernelMask(torch.nn.Module):
    """peft's dropout with the mask tunelab's kernel makes (the seed drawn as the one-node layer
    draws it), applied by autograd's ops: the reference for the layer's own dropout."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x):
        mask = dropout_kernel.dropout(torch.ones_like(x), self.p, dropout_kernel.new_seed())
        return x * mask


@pytest.mark.parametrize("dropout,bias", [(0.0, False), (0.2, False), (0.0, True)])
def test_output_and_gradients_are_peft_and_autograds(monkeypatch, dropout, bias, training_products):
    peft_model = _adapted(dropout, bias)
    ours = deepcopy(peft_model)
    if dropout and dropout_kernel.available():  # ours draws its masks from the kernel
        for layer in peft_model.modules():
            if isinstance(layer, LoraLinear):
                layer.lora_dropout["default"] = KernelMask(dropout)
    layers = sum(isinstance(m, LoraLinear) for m in ours.modules())
    assert lora_layers.use_for_training(ours) == layers > 0
    assert lora_layers.use_for_training(ours) == 0  # once only
    ids = torch.randint(0, 200, (2, 12))
    want = _step(peft_model, ids)
    calls = _calls(monkeypatch)
    got = _step(ours, ids)
    assert len(calls) == layers  # every layer ran as one node, not peft's five ops
    torch.testing.assert_close(got[0], want[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(got[1], want[1], rtol=1e-5, atol=1e-6)
    assert got[2].keys() == want[2].keys()
    for name, grad in want[2].items():
        assert grad.abs().sum() > 0, name
        torch.testing.assert_close(got[2][name], grad, rtol=1e-4, atol=1e-6, msg=name)


def test_what_it_does_not_compute_runs_pefts_own_forward(monkeypatch):
    model = _adapted()
    plain = deepcopy(model)
    lora_layers.use_for_training(model)
    calls = _calls(monkeypatch)
    ids = torch.randint(0, 200, (1, 9))
    with torch.no_grad():  # decoding between steps: no graph to save
        torch.testing.assert_close(model(ids).logits, plain(ids).logits)
        with model.disable_adapter(), plain.disable_adapter():
            torch.testing.assert_close(model(ids).logits, plain(ids).logits)
    with model.disable_adapter():  # adapters off in a training step: the base model
        with torch.enable_grad():
            _, _, grads = _step(model, ids)
        assert all(g is None for g in grads.values())
    layer = next(m for m in model.modules() if isinstance(m, LoraLinear))
    layer.merge()  # merged: the base layer holds the adapter
    assert layer(torch.randn(3, layer.in_features, requires_grad=True)).requires_grad
    layer.unmerge()
    assert not calls


def test_prepare_model_gives_every_adapted_layer_one_node():
    model, _ = tiny_random()
    model = prepare_model(model, TrainConfig(method="lora", lora={"dropout": 0.0}))
    layers = [m for m in model.modules() if isinstance(m, LoraLinear)]
    assert layers and all(type(m).__module__ == lora_layers.__name__ for m in layers)


def test_gradient_checkpointing_recomputes_the_same_gradients():
    ids = torch.randint(0, 200, (2, 10))
    results = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model, _ = tiny_random()
        cfg = TrainConfig(
            method="lora", lora={"dropout": 0.1}, gradient_checkpointing=checkpointing
        )
        model = prepare_model(model, cfg)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0, 0.2, generator=torch.Generator().manual_seed(len(name)))
        results.append(_step(model, ids, seed=3)[2])
    for name, grad in results[0].items():
        torch.testing.assert_close(results[1][name], grad, rtol=1e-4, atol=1e-6, msg=name)
