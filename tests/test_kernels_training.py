"""Training on a CPU runs its matrix products through oneDNN, or MKL's sgemm on an Intel CPU
(tunelab/kernels/__init__.py): the loss and every gradient are those of torch's own kernels."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tunelab import kernels
from tunelab.data.example import Example
from tunelab.data.pack import collate
from tunelab.data.tokenize import tokenize_example
from tunelab.kernels import OneDnnLinear, uses_onednn
from tunelab.train import loss as loss_module

pytestmark = pytest.mark.skipif(
    not uses_onednn(torch.zeros(1)), reason="this torch has no oneDNN linear"
)


def test_a_linear_layer_gives_the_same_output_and_gradients_through_onednn(training_products):
    torch.manual_seed(0)
    x = torch.randn(2, 5, 16, requires_grad=True)
    weight = torch.randn(8, 16, requires_grad=True)
    bias = torch.randn(8, requires_grad=True)
    grad = torch.randn(2, 5, 8)
    expected = F.linear(x, weight, bias)
    expected.backward(grad)
    wanted = [t.grad.clone() for t in (x, weight, bias)]
    for t in (x, weight, bias):
        t.grad = None
    with OneDnnLinear():
        got = F.linear(x, weight, bias)
    got.backward(grad)
    torch.testing.assert_close(got, expected)
    for t, want in zip((x, weight, bias), wanted):
        torch.testing.assert_close(t.grad, want)


def test_a_training_step_has_the_same_loss_and_gradients_with_and_without_onednn(
    tiny, monkeypatch, training_products
):
    model, tokenizer = tiny
    model.requires_grad_(True)
    pairs = [("What is tunelab?", "A toolkit."), ("Which model?", "A small one, by default.")]
    items = [tokenize_example(Example.qa(q, a), tokenizer, "chat") for q, a in pairs]
    batch = collate([items], tokenizer.pad_token_id)

    def step():
        model.zero_grad(set_to_none=True)
        loss, _ = loss_module.token_loss_sum(model, batch)
        loss.backward()
        return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    fast_loss, fast_grads = step()
    monkeypatch.setattr(loss_module, "uses_onednn", lambda weight: False)
    monkeypatch.setattr(loss_module, "training_kernels", lambda model: torch.enable_grad())
    plain_loss, plain_grads = step()
    torch.testing.assert_close(fast_loss, plain_loss)
    for name, grad in plain_grads.items():
        torch.testing.assert_close(fast_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)


def test_a_frozen_weight_keeps_no_input_for_backward_as_torch_does():
    # LoRA's base layer: the weight needs no gradient, so its input need not be kept.
    x = torch.randn(4, 16, requires_grad=True)
    weight = torch.randn(8, 16)
    kept = []

    def pack(t):
        kept.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with OneDnnLinear():
            out = F.linear(x, weight)
    assert not any(t is x for t in kept) and any(t is weight for t in kept)
    out.sum().backward()
    torch.testing.assert_close(x.grad, weight.sum(0).expand(4, 16))


def test_under_autocast_the_product_is_left_to_autocast():
    x = torch.randn(4, 16)
    weight = torch.randn(8, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16), OneDnnLinear():
        out = F.linear(x, weight)
    assert out.dtype == torch.bfloat16


def test_decoding_packs_each_weight_once_and_again_after_it_changes():
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(48, 32), requires_grad=False)
    x = torch.randn(8, 32)
    mode = OneDnnLinear(packed=True)
    with mode:
        batched, alone = F.linear(x, weight), F.linear(x[:1], weight)
    torch.testing.assert_close(batched, x @ weight.T)
    assert torch.equal(alone[0], batched[0])  # a row's result does not depend on its batch
    assert len(mode.packed) == 1
    with torch.no_grad():
        weight.mul_(2)  # an in-place change within the mode's life (not fused AdamW: see below)
    with mode:
        torch.testing.assert_close(F.linear(x, weight), x @ weight.T)


def test_training_steps_do_not_pack():
    weight = torch.nn.Parameter(torch.randn(8, 16))
    mode = OneDnnLinear()
    with mode:
        F.linear(torch.randn(2, 16), weight).sum().backward()
    assert mode.packed is None and weight.grad is not None


def test_weights_made_in_inference_mode_are_packed_too():
    with torch.inference_mode():
        weight = torch.nn.Parameter(torch.randn(8, 16), requires_grad=False)
        x = torch.randn(3, 16)
        with OneDnnLinear(packed=True) as mode:
            torch.testing.assert_close(F.linear(x, weight), x @ weight.T)
    assert len(mode.packed) == 1


def test_under_torch_compile_the_products_stay_tunelabs_and_the_gradients_the_same(
    monkeypatch, training_products
):
    # Left to itself inductor would run them as MKL's sgemm, 37% slower a training step on an
    # AMD CPU, where oneDNN's are the faster.
    torch.manual_seed(0)
    layers = torch.nn.Sequential(
        torch.nn.Linear(16, 32), torch.nn.SiLU(), torch.nn.Linear(32, 8, bias=False)
    )
    layers[0].weight.requires_grad_(False)  # a frozen weight (LoRA's base layer) gets none
    x = torch.randn(2, 5, 16, requires_grad=True)

    def step(forward):
        for t in (x, *layers.parameters()):
            t.grad = None
        with OneDnnLinear():
            forward(x).square().sum().backward()
        return [t.grad for t in (x, layers[0].bias, layers[2].weight)], layers[0].weight.grad

    eager, _ = step(layers)
    calls = []
    product = kernels.training_linear
    monkeypatch.setattr(kernels, "training_linear", lambda *a: calls.append(1) or product(*a))
    compiled, frozen = step(torch.compile(layers, backend="inductor", fullgraph=True))
    # Forward: 2; backward: the input's gradient of both, the second's weight gradient.
    assert len(calls) == 5
    assert frozen is None
    for got, want in zip(compiled, eager):
        torch.testing.assert_close(got, want)


def test_an_input_of_no_rows_gives_zero_weight_and_bias_gradients():
    # A head that is not fused, given a micro-batch with no token to train: oneDNN makes no
    # primitive for the weight's gradient, a sum over no rows.
    x = torch.randn(0, 16, requires_grad=True)
    weight = torch.randn(8, 16, requires_grad=True)
    bias = torch.randn(8, requires_grad=True)
    with OneDnnLinear():
        out = F.linear(x, weight, bias)
    out.sum().backward()
    assert out.shape == (0, 8) and x.grad.shape == (0, 16)
    assert torch.equal(weight.grad, torch.zeros(8, 16)) and torch.equal(bias.grad, torch.zeros(8))


def test_arguments_passed_by_name_are_taken_as_by_position():
    # peft's HRA calls F.linear(input=..., weight=..., bias=...).
    torch.manual_seed(0)
    x, weight, bias = torch.randn(4, 16), torch.randn(8, 16), torch.randn(8)
    with OneDnnLinear():
        by_name = F.linear(input=x, weight=weight, bias=bias)
        mixed = F.linear(x, weight, bias=bias)
    torch.testing.assert_close(by_name, F.linear(x, weight, bias))
    torch.testing.assert_close(mixed, F.linear(x, weight, bias))


def test_held_out_answers_after_a_fused_adamw_step_are_those_of_the_new_weights(monkeypatch):
    # Training's optimizer on a CPU (train/setup.py) updates weights without moving their
    # `_version`, the packed mode's one sign of change: each decode must pack afresh, and its
    # packed copies must go with it (no growth over many held-out rounds).
    import contextlib
    import weakref

    from tunelab.generation import decode
    from tunelab.generation.generate import generate
    from tunelab.models.random_weights import tiny_random

    model, tokenizer = tiny_random(initializer_range=0.2)
    prompts = ["hi", "what is the capital of france"]
    modes = []

    def kept(model):
        mode = kernels.decoding_kernels(model)
        modes.append(weakref.ref(mode))
        return mode

    def replies(packed: bool):
        monkeypatch.setattr(
            decode, "decoding_kernels", kept if packed else lambda m: contextlib.nullcontext()
        )
        return [g.text for g in generate(model, tokenizer, prompts, max_new_tokens=8)]

    before = replies(packed=True)
    weight = model.lm_head.weight
    version = weight._version
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05, fused=True)
    ids = tokenizer(prompts[1], return_tensors="pt").input_ids
    model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()
    assert weight._version == version  # why a mode must not span a step
    after = replies(packed=True)
    assert after != before and after == replies(packed=False)
    assert len(modes) == 2 and all(mode() is None for mode in modes)


@pytest.mark.skipif(not torch.backends.mkl.is_available(), reason="this torch has no MKL")
def test_mkl_trains_on_intel_and_without_avx512_onednn_elsewhere_and_the_environment_chooses(
    monkeypatch,
):
    monkeypatch.delenv("TUNELAB_TRAINING_PRODUCTS", raising=False)
    chosen = {}
    for vendor, avx512, env in [("GenuineIntel", True, None), ("AuthenticAMD", True, None),
                                ("", True, None), ("AuthenticAMD", False, None),
                                ("GenuineIntel", True, "onednn"),
                                ("AuthenticAMD", True, "MKL")]:  # fmt: skip
        monkeypatch.setattr(kernels, "_cpu_vendor", lambda vendor=vendor: vendor)
        monkeypatch.setattr(kernels, "_cpu_has_avx512", lambda avx512=avx512: avx512)
        if env:
            monkeypatch.setenv("TUNELAB_TRAINING_PRODUCTS", env)
        kernels.mkl_trains.cache_clear()
        chosen[vendor, avx512, env] = kernels.mkl_trains()
    kernels.mkl_trains.cache_clear()
    assert chosen == {
        ("GenuineIntel", True, None): True,
        ("AuthenticAMD", True, None): False,  # MKL runs AVX2 code there, oneDNN AVX-512
        ("", True, None): False,
        ("AuthenticAMD", False, None): True,  # both run AVX2 code, MKL's the faster
        ("GenuineIntel", True, "onednn"): False,
        ("AuthenticAMD", True, "MKL"): True,
    }


def test_cpu_has_avx512_follows_torchs_own_dispatch(monkeypatch):
    for capability, expected in [("AVX512", True), ("AVX512_BF16", True), ("AVX2", False),
                                 ("DEFAULT", False)]:  # fmt: skip
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda c=capability: c)
        assert kernels._cpu_has_avx512() is expected
