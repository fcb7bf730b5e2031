"""Training's RMSNorm (tunelab/train/layers/rms_norm.py, tunelab/kernels/rms_norm.cpp): the module's
output, autograd's gradients, by the closed form and by the kernel."""

from __future__ import annotations

import gc
import weakref
from copy import deepcopy

import pytest
import torch
from transformers.models.gemma.modeling_gemma import GemmaRMSNorm
from transformers.models.llama.modeling_llama import LlamaRMSNorm
from transformers.models.qwen2.modeling_qwen2 import Qwen2RMSNorm

from tunelab.kernels import rms_norm as kernel
from tunelab.models.random_weights import tiny_random
from tunelab.train.layers import rms_norm

needs_kernel = pytest.mark.skipif(
    not kernel.available(), reason="tunelab's kernels do not compile or this CPU lacks AVX2"
)


@pytest.fixture
def closed_form(monkeypatch):
    """The closed form's autograd ops, as on a CPU where the kernel does not run."""
    monkeypatch.setattr(kernel, "usable", lambda *_: False)


def _norm(cls, width=48):
    torch.manual_seed(0)
    norm = cls(width, eps=1e-5)
    with torch.no_grad():
        norm.weight.normal_(1.0, 0.3)
    return norm


def _output_and_gradients(norm, x, grad):
    x = x.clone().requires_grad_(True)
    norm.weight.grad = None
    out = norm(x)
    out.backward(grad)
    return out.detach(), x.grad, norm.weight.grad


def test_the_output_is_the_modules_and_the_gradients_autograds(monkeypatch, closed_form):
    norm = _norm(Qwen2RMSNorm)
    x, grad = torch.randn(2, 7, 48) * 3, torch.randn(2, 7, 48)
    want = _output_and_gradients(norm, x, grad)
    assert rms_norm.use_for_training(norm) == 1
    assert rms_norm.use_for_training(norm) == 0  # once only
    assert isinstance(norm, Qwen2RMSNorm)
    calls, real = [], rms_norm.RMSNormFunction.apply
    monkeypatch.setattr(rms_norm.RMSNormFunction, "apply", lambda *a: calls.append(1) or real(*a))
    got = _output_and_gradients(norm, x, grad)
    assert calls  # the function ran, not the module's own code
    assert torch.equal(got[0], want[0])
    torch.testing.assert_close(got[1], want[1])
    torch.testing.assert_close(got[2], want[2])


@pytest.mark.parametrize("by", ["closed form", "kernel"])
def test_a_frozen_norm_gets_no_gradient_and_its_input_gets_autograds(by, monkeypatch):
    if by == "kernel" and not kernel.available():
        pytest.skip("tunelab's kernels do not compile or this CPU lacks AVX2")
    if by == "closed form":
        monkeypatch.setattr(kernel, "usable", lambda *_: False)
    norm = _norm(LlamaRMSNorm)
    norm.weight.requires_grad_(False)  # LoRA: the base model's norms are frozen
    x, grad = torch.randn(5, 48), torch.randn(5, 48)
    want = _output_and_gradients(norm, x, grad)
    rms_norm.use_for_training(norm)
    got = _output_and_gradients(norm, x, grad)
    assert got[2] is None
    torch.testing.assert_close(got[1], want[1])


def test_gemmas_norm_is_left_as_it_is():
    # Gemma scales by (1 + weight): not Llama's formula, so not replaced.
    assert rms_norm.use_for_training(_norm(GemmaRMSNorm)) == 0


def test_without_gradients_the_module_runs_its_own_code(monkeypatch):
    norm = _norm(LlamaRMSNorm)
    rms_norm.use_for_training(norm)
    monkeypatch.setattr(rms_norm.RMSNormFunction, "apply", None)  # would fail if called
    with torch.no_grad():
        out = norm(torch.randn(3, 48))
    assert out.shape == (3, 48)


def test_a_norm_given_it_is_freed_with_its_model_and_copies_as_itself():
    # No reference cycle: a model kept alive until the interpreter's exit took its FSDP process
    # group down there, which aborted a torchrun worker.
    norm = _norm(LlamaRMSNorm)
    rms_norm.use_for_training(norm)
    copy = deepcopy(norm)
    x = torch.randn(3, 48, requires_grad=True)
    assert torch.equal(copy(x), norm(x))
    gone = weakref.ref(norm)
    gc.disable()
    try:
        del norm
        assert gone() is None
    finally:
        gc.enable()


# A row shorter than a vector, one with a tail, a 3-D batch, rows past one task's grain (the
# weight's gradient summed across tasks), no rows at all, and rows of very different scales.
@needs_kernel
@pytest.mark.parametrize("shape", [(3, 5), (4, 40), (2, 7, 48), (1200, 576), (0, 48)])
def test_the_kernels_output_and_gradients_are_the_modules(shape, monkeypatch):
    norm = _norm(LlamaRMSNorm, width=shape[-1])
    torch.manual_seed(1)
    x, grad = torch.randn(shape), torch.randn(shape)
    x *= torch.logspace(-3, 3, x.shape[-2] if x.dim() > 1 and x.shape[-2] else 1).unsqueeze(-1)
    want = _output_and_gradients(norm, x, grad)
    rms_norm.use_for_training(norm)
    calls, real = [], kernel.RMSNorm.apply
    monkeypatch.setattr(kernel.RMSNorm, "apply", lambda *a: calls.append(1) or real(*a))
    got = _output_and_gradients(norm, x, grad)
    assert calls == [1]
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


@needs_kernel
def test_the_kernel_takes_a_strided_input():
    norm = _norm(LlamaRMSNorm)
    both = torch.randn(6, 96)
    want = _output_and_gradients(norm, both[:, ::2], torch.ones(6, 48))
    rms_norm.use_for_training(norm)
    got = _output_and_gradients(norm, both[:, ::2], torch.ones(6, 48))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


@needs_kernel
def test_a_training_step_runs_the_kernel_and_its_gradients_are_the_models(monkeypatch):
    model, _ = tiny_random()
    ids = torch.randint(0, 200, (3, 13), generator=torch.Generator().manual_seed(2))

    def step():
        model.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        return [loss.detach()] + [p.grad.clone() for p in model.parameters()]

    want = step()
    norms = rms_norm.use_for_training(model)
    assert norms == 5  # two a layer in the tiny model's two layers, and the final norm
    calls, real = [], kernel.RMSNorm.apply
    monkeypatch.setattr(kernel.RMSNorm, "apply", lambda *a: calls.append(1) or real(*a))
    got = step()
    assert len(calls) == norms
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)
