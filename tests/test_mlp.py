"""Training's SwiGLU (tunelab/kernels/swiglu.cpp, tunelab/train/mlp.py): the kernel's output and
gradients are autograd's to rounding, and a training step's gradients are the model's own."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tunelab.kernels import swiglu, training_kernels
from tunelab.models import tiny_random
from tunelab.train import mlp

pytestmark = pytest.mark.skipif(
    not swiglu.available(), reason="tunelab's kernels do not compile or this CPU lacks AVX-512"
)


def _both_ways(fn, gate, up, grad):
    gate, up = gate.clone().requires_grad_(True), up.clone().requires_grad_(True)
    out = fn(gate, up)
    out.backward(grad)
    return out.detach(), gate.grad, up.grad


# A tail shorter than a vector, sizes past one task's grain, and gates out to where the sigmoid
# is 0 or 1 in float32 (its exponential overflows, or is flushed to 0).
@pytest.mark.parametrize("shape", [(3, 7), (2, 5, 48), (768, 1536), (1, 1)])
@pytest.mark.parametrize("spread", [1.0, 40.0])
def test_the_kernels_output_and_gradients_are_autograds(shape, spread):
    torch.manual_seed(0)
    gate, up, grad = torch.randn(shape) * spread, torch.randn(shape), torch.randn(shape)
    gate.view(-1)[0], gate.view(-1)[-1] = -120.0, 120.0
    want = _both_ways(lambda g, u: F.silu(g) * u, gate, up, grad)
    got = _both_ways(swiglu.swiglu, gate, up, grad)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=2e-6, atol=2e-6)


def test_strided_inputs_are_taken_and_a_gradient_not_asked_is_not_given():
    torch.manual_seed(1)
    both = torch.randn(4, 6, 20, requires_grad=True)
    gate, up = both[..., :10].detach(), both[..., 10:]  # halves of one tensor: not contiguous
    out = swiglu.swiglu(gate, up)
    torch.testing.assert_close(out, F.silu(gate) * up)
    (grad,) = torch.autograd.grad(out.sum(), [both])
    torch.testing.assert_close(grad[..., 10:], F.silu(gate))
    assert not grad[..., :10].any()


@pytest.mark.parametrize("method", ["full", "lora"])
def test_a_training_step_runs_the_kernel_and_its_gradients_are_the_models(method, monkeypatch):
    model, _ = tiny_random()
    if method == "lora":
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", lora_dropout=0.0)
        model = get_peft_model(model, config)
    ids = torch.randint(0, 200, (3, 13), generator=torch.Generator().manual_seed(2))
    trained = [p for p in model.parameters() if p.requires_grad]

    def step():
        model.zero_grad(set_to_none=True)
        with training_kernels(model):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in trained]

    want_loss, want = step()
    with torch.no_grad():
        want_logits = model(input_ids=ids).logits
    assert mlp.use_for_training(model) == 2  # the tiny model's two layers
    assert mlp.use_for_training(model) == 0  # once only
    calls, real = [], swiglu.SwiGLU.apply
    monkeypatch.setattr(swiglu.SwiGLU, "apply", lambda *a: calls.append(1) or real(*a))
    got_loss, got = step()
    assert len(calls) == 2
    with torch.no_grad():  # no gradients: the module's own code
        got_logits = model(input_ids=ids).logits
    assert len(calls) == 2 and torch.equal(got_logits, want_logits)
    torch.testing.assert_close(got_loss, want_loss)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


def test_an_mlp_with_another_activation_keeps_its_own_code():
    model, _ = tiny_random(hidden_act="gelu")
    assert mlp.use_for_training(model) == 0
