"""Training's rotary embedding (tunelab/train/layers/rotary.py): the function's output, autograd's
gradients."""

from __future__ import annotations

import types

import torch
from transformers.models.llama import modeling_llama

from tunelab.kernels import training_kernels
from tunelab.models.architecture import unwrapped
from tunelab.models.random_weights import tiny_random
from tunelab.train.layers import rotary


def _rotate(function, q, k, cos, sin):
    q, k = q.clone().requires_grad_(True), k.clone().requires_grad_(True)
    # As the attention layer hands them over: heads moved ahead of positions, a strided view.
    qe, ke = function(q.transpose(1, 2), k.transpose(1, 2), cos, sin)
    grads = torch.randn(qe.shape, generator=torch.Generator().manual_seed(1))
    (qe * grads).sum().add_((ke * grads[:, : ke.shape[1]]).sum()).backward()
    return qe.detach(), ke.detach(), q.grad, k.grad


def test_the_output_is_the_functions_and_the_gradients_autograds(monkeypatch):
    torch.manual_seed(0)
    q, k = torch.randn(2, 7, 6, 16), torch.randn(2, 7, 2, 16)
    # Halves of sin that differ: the general rotation, not only Llama's equal halves.
    cos, sin = torch.randn(2, 7, 16), torch.randn(2, 7, 16)
    want = _rotate(modeling_llama.apply_rotary_pos_emb, q, k, cos, sin)
    fast = rotary._in_three_passes(modeling_llama.apply_rotary_pos_emb)
    calls, real = [], rotary.RotaryFunction.apply
    monkeypatch.setattr(rotary.RotaryFunction, "apply", lambda *a: calls.append(1) or real(*a))
    got = _rotate(fast, q, k, cos, sin)
    assert calls
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_a_training_step_rotates_by_it_and_decoding_by_transformers(monkeypatch):
    # transformers' own function for this test, whatever an earlier training in this process
    # left there (the replacement is its module's, for every model of it), restored after it.
    own = modeling_llama.apply_rotary_pos_emb
    if getattr(own, "in_three_passes", False):
        own = own.__wrapped__
    monkeypatch.setattr(modeling_llama, "apply_rotary_pos_emb", own)
    model, _ = tiny_random()
    ids = torch.randint(0, 200, (2, 11))

    def step():
        model.zero_grad(set_to_none=True)
        with training_kernels(model):
            loss = model(ids, labels=ids).loss
        loss.backward()
        return loss.detach(), [p.grad for p in model.parameters()]

    want = step()
    with torch.no_grad():
        want_logits = model(ids).logits
    assert rotary.use_for_training(model) == 1
    assert rotary.use_for_training(model) == 0  # once only
    calls, real = [], rotary.RotaryFunction.apply
    monkeypatch.setattr(rotary.RotaryFunction, "apply", lambda *a: calls.append(1) or real(*a))
    got = step()
    assert len(calls) == model.config.num_hidden_layers
    torch.testing.assert_close(got[0], want[0])
    for g, w in zip(got[1], want[1]):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-6)
    calls.clear()
    with torch.no_grad():
        assert torch.equal(model(ids).logits, want_logits)
    assert not calls  # no graph to save: transformers' own code


def _as_hub_kernel_module(func):
    """The function as transformers 5.25 wraps it where the `kernels` package is installed: an
    nn.Module instance whose forward calls it, held in the forward's closure as `func`."""

    class Func(torch.nn.Module):
        def forward(self, *args, **kwargs):
            return func(*args, **kwargs)

    return Func()


def test_llamas_rotation_is_found_behind_transformers_hub_kernel_wrapper(monkeypatch):
    own = modeling_llama.apply_rotary_pos_emb
    if getattr(own, "in_three_passes", False):  # an earlier training in this process gave it
        own = own.__wrapped__
    own = unwrapped(own)
    assert isinstance(own, types.FunctionType)  # the plain function, whichever version wrapped it
    wrapped = _as_hub_kernel_module(own)
    assert unwrapped(wrapped) is own and unwrapped(own) is own
    monkeypatch.setattr(modeling_llama, "apply_rotary_pos_emb", wrapped)
    model, _ = tiny_random()
    assert rotary.use_for_training(model) == 1
    calls, real = [], rotary.RotaryFunction.apply
    monkeypatch.setattr(rotary.RotaryFunction, "apply", lambda *a: calls.append(1) or real(*a))
    ids = torch.randint(0, 200, (2, 11))
    with training_kernels(model):
        model(ids, labels=ids).loss.backward()
    assert len(calls) == model.config.num_hidden_layers
