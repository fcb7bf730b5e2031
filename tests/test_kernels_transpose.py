"""tunelab's transpose (tunelab/kernels/transpose.cpp), which turns the output gradient for the
weight gradients of training's linear layers: the values of `rows.t()`, to the bit, so the
gradients are those oneDNN made from its own copy."""

from __future__ import annotations

import pytest
import torch

from tunelab import kernels
from tunelab.kernels import _products, _transpose_kernel, turned

pytestmark = pytest.mark.skipif(
    not _transpose_kernel(), reason="tunelab's kernels do not compile or this CPU lacks AVX-512"
)


@pytest.fixture(autouse=True)
def onednn_products(monkeypatch):
    # The transpose is for oneDNN's products; MKL's (an Intel CPU's) read the view as it is.
    monkeypatch.setattr(kernels, "mkl_trains", lambda: False)


@pytest.mark.parametrize("shape", [(768, 1536), (37, 50), (16, 16), (5, 3), (1, 40), (33, 17)])
def test_the_transpose_is_torchs_to_the_bit(shape):
    torch.manual_seed(0)
    rows = torch.randn(shape)
    got = turned(rows)
    assert got.is_contiguous() and torch.equal(got, rows.t())


def test_weight_gradients_are_the_same_to_the_bit_as_from_onednns_own_copy():
    torch.manual_seed(0)
    grad, x, weight = torch.randn(3, 70, 48), torch.randn(3, 70, 40), torch.randn(48, 40)
    _, grad_weight = _products(grad, x, weight, want_x=False, want_weight=True)
    rows = grad.reshape(-1, 48)
    expected = torch.ops.mkldnn._linear_pointwise(
        rows.t(), x.reshape(-1, 40).t(), None, "none", [], ""
    )
    assert torch.equal(grad_weight, expected)
    torch.testing.assert_close(grad_weight, rows.t() @ x.reshape(-1, 40), rtol=1e-4, atol=1e-4)
