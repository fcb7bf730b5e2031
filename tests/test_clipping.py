"""Gradient clipping folded into fused AdamW's step (tunelab/train/clipping.py): the same update
as clip_grad_norm_ followed by the step, and the same norm reported."""

from __future__ import annotations

import copy

import pytest
import torch

from tunelab.train.clipping import CHUNK, clip_gradients, total_norm


def _weights_and_grads(scale: float):
    torch.manual_seed(0)
    weights = [torch.nn.Parameter(torch.randn(n)) for n in (300, 17, 1)]
    grads = [torch.randn_like(w) * scale for w in weights]
    return weights, grads


def _steps(clip, fused: bool, scale: float, steps: int = 3):
    weights, grads = _weights_and_grads(scale)
    optimizer = torch.optim.AdamW(weights, lr=0.05, weight_decay=0.1, fused=fused)
    norms = []
    for step in range(steps):
        for w, g in zip(weights, grads):
            w.grad = g * (step + 1)
        norms.append(float(clip(weights, optimizer)))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return weights, norms, optimizer


def _plain(weights, optimizer):
    return torch.nn.utils.clip_grad_norm_(weights, 1.0)


def _folded(weights, optimizer):
    return clip_gradients(weights, 1.0, optimizer)


@pytest.mark.parametrize("scale", [5.0, 0.001])  # clipped, and under the limit (left alone)
def test_folded_into_fused_adamw_the_update_is_clip_grad_norms(scale):
    want, want_norms, _ = _steps(_plain, True, scale)
    got, got_norms, optimizer = _steps(_folded, True, scale)
    assert optimizer.grad_scale is not None  # the clipping rode on the step
    assert got_norms == pytest.approx(want_norms, rel=1e-6)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-7)


def test_another_optimizer_gets_clip_grad_norm_as_usual():
    weights, grads = _weights_and_grads(5.0)
    fused = torch.optim.AdamW(copy.deepcopy(weights), lr=0.05, fused=True)
    for w, g in zip(fused.param_groups[0]["params"], grads):
        w.grad = g.clone()
    clip_gradients(fused.param_groups[0]["params"], 1.0, fused)
    assert fused.grad_scale is not None
    plain = torch.optim.AdamW(weights, lr=0.05)  # foreach, no grad_scale to ride on
    plain.grad_scale = fused.grad_scale  # left over: must not be read
    for w, g in zip(weights, grads):
        w.grad = g.clone()
    norm = clip_gradients(weights, 1.0, plain)
    assert float(norm) == pytest.approx(float(torch.cat(grads).norm()))
    assert plain.grad_scale is None
    clipped = torch.cat([w.grad for w in weights]).norm()
    assert float(clipped) == pytest.approx(1.0, rel=1e-5)  # clipped here, in place


def test_bfloat16_weights_are_clipped_as_usual():
    # Fused AdamW's kernel takes the float32 scale for float32 gradients only.
    weights = [torch.nn.Parameter(torch.randn(40, dtype=torch.bfloat16) * 5) for _ in range(2)]
    for w in weights:
        w.grad = w.detach() * 3
    optimizer = torch.optim.AdamW(weights, lr=0.05, fused=True)
    clip_gradients(weights, 1.0, optimizer)
    assert optimizer.grad_scale is None
    optimizer.step()
    assert all(torch.isfinite(w).all() for w in weights)


def test_total_norm_is_the_float64_norm_of_all_gradients():
    torch.manual_seed(0)
    # SmolLM2's embedding-sized gradient (get_total_norm's float32 sum of its 28M squares is off
    # by 3e-4, BLAS's dot on the AMD EPYC kind by 4e-5), a transposed view, a scalar, a length
    # that is not a whole number of chunks.
    grads = [
        torch.randn(49152, 576) * 1e-3 + 1e-3,
        torch.randn(30, 40).t(),
        torch.randn(()),
        torch.randn(3 * CHUNK + 5),
    ]
    want = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    got = total_norm(grads)
    assert got.dtype == torch.float32  # the fused step's grad_scale must be float32
    assert float(got) == pytest.approx(float(want), rel=1e-7)


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
@pytest.mark.parametrize("length", [2, 2 * CHUNK + 1])
def test_total_norm_of_a_non_finite_gradient_is_what_get_total_norm_says(bad, length):
    grads = [torch.ones(length), torch.ones(3)]
    grads[0][length // 2] = bad
    got, want = float(total_norm(grads)), float(torch.nn.utils.get_total_norm(grads))
    assert got == want or (got != got and want != want)  # inf equals inf; nan is nan
