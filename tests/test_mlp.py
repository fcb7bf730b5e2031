"""Training's SwiGLU (tunelab/kernels/swiglu.cpp, tunelab/train/layers/mlp.py): the kernel's output
and gradients are autograd's to rounding, and a training step's gradients are the model's own."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tunelab.kernels import swiglu, training_kernels
from tunelab.models.random_weights import tiny_random
from tunelab.train.layers import mlp

pytestmark = pytest.mark.skipif(
    not swiglu.available(), reason="tunelab's kernels do not compile or this CPU lacks AVX2"
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
    monkeypatch.setattr(swiglu.SwiGLU, "apply", lambda *a: calls.append(a[2]) or real(*a))
    got_loss, got = step()
    assert calls == [True, True]  # no hook sees gate or up: their gradients written over them
    with torch.no_grad():  # no gradients: the module's own code
        got_logits = model(input_ids=ids).logits
    assert len(calls) == 2 and torch.equal(got_logits, want_logits)
    torch.testing.assert_close(got_loss, want_loss)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


def test_an_mlp_with_another_activation_keeps_its_own_code():
    model, _ = tiny_random(hidden_act="gelu")
    assert mlp.use_for_training(model) == 0


def _projected(seed, rows=40, width=24, hidden=12):
    """gate and up as an MLP makes them: outputs of two linear layers, held by the caller alone."""
    torch.manual_seed(seed)
    x = torch.randn(rows, hidden, requires_grad=True)
    w_gate, w_up = torch.randn(width, hidden), torch.randn(width, hidden)
    w_gate.requires_grad_(True), w_up.requires_grad_(True)
    return x, w_gate, w_up


@pytest.mark.parametrize("private", [True, False])
def test_gradients_written_over_gate_and_up_are_the_fresh_ones(private):
    x, w_gate, w_up = _projected(3)
    grad = torch.randn(40, 24)
    seen = {}

    def run(in_place):
        gate, up = x @ w_gate.T, x @ w_up.T
        seen[in_place] = (gate.data_ptr(), up.data_ptr())
        gate.register_hook(lambda g: seen.update({f"gate {in_place}": g.data_ptr()}))
        out = swiglu.swiglu(gate, up, private=in_place)
        del gate, up  # as the MLP's forward drops them
        return torch.autograd.grad(out, [x, w_gate, w_up], grad)

    with torch.no_grad():
        plain = x @ w_gate.T, x @ w_up.T
    want = _both_ways(lambda g, u: F.silu(g) * u, *plain, grad)
    got = run(private)
    fresh = run(False)
    for g, f in zip(got, fresh):
        torch.testing.assert_close(g, f, rtol=0, atol=0)
    # x's gradient through gate and up: autograd's own SwiGLU gives the same to rounding.
    torch.testing.assert_close(got[0], want[1] @ w_gate + want[2] @ w_up, rtol=1e-5, atol=1e-5)
    # In place, gate's gradient is gate's memory; otherwise fresh memory.
    assert (seen[f"gate {private}"] == seen[private][0]) is private


def test_a_second_backward_through_gradients_written_over_fails_as_torch_says():
    x, w_gate, w_up = _projected(4)
    out = swiglu.swiglu(x @ w_gate.T, x @ w_up.T, private=True)
    out.sum().backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_gate_or_up_shared_with_another_tensor_is_not_written_over():
    x, w_gate, w_up = _projected(5)
    both = x @ torch.cat([w_gate, w_up]).T
    gate, up = both[:, :24].contiguous(), x @ w_up.T
    view = up.view(-1)  # up's memory, seen through another tensor
    kept = view.clone()
    out = swiglu.swiglu(gate, up, private=True)
    del gate, up
    out.sum().backward()
    assert torch.equal(view, kept)


def test_a_training_step_writes_over_gate_and_up_save_an_output_a_hook_keeps(monkeypatch):
    model, _ = tiny_random()
    assert mlp.use_for_training(model) == 2
    kept = []
    model.model.layers[0].mlp.gate_proj.register_forward_hook(lambda m, i, o: kept.append(o))
    in_place, forward = [], swiglu.SwiGLU.forward

    def spy(ctx, *args):
        out = forward(ctx, *args)
        in_place.append(ctx.in_place)
        return out

    monkeypatch.setattr(swiglu.SwiGLU, "forward", staticmethod(spy))
    ids = torch.randint(0, 200, (2, 9), generator=torch.Generator().manual_seed(3))
    with training_kernels(model):
        loss = model(input_ids=ids, labels=ids).loss
    copy = kept[0].detach().clone()
    loss.backward()
    assert torch.equal(kept[0].detach(), copy)
    assert in_place == [False, True]  # layer 0's gate is seen by the hook; layer 1's by no one
