"""tunelab's decoding kernel (tunelab/kernels/thin.cpp): the products of torch's linear, and each
row's result the same whatever shares its call, so that a reply does not depend on its batch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tunelab.kernels import OneDnnLinear, thin, uses_onednn

pytestmark = pytest.mark.skipif(
    not thin.available(), reason="tunelab's decoding kernel does not compile or run here"
)


def _reference(x, weight, bias=None):
    out = x.double() @ weight.double().T
    return (out if bias is None else out + bias.double()).float()


@pytest.mark.parametrize(
    "rows, n, k", [(1, 576, 576), (8, 192, 576), (5, 50, 37), (17, 33, 64), (70, 1, 5), (3, 40, 1)]
)
@pytest.mark.parametrize("with_bias", [False, True])
def test_products_are_the_linear_layers(rows, n, k, with_bias):
    torch.manual_seed(rows * n + k)
    x, weight = torch.randn(rows, k), torch.randn(n, k)
    bias = torch.randn(n) if with_bias else None
    got = thin.linear(x, thin.pack(weight), n, bias)
    torch.testing.assert_close(got, _reference(x, weight, bias), rtol=1e-5, atol=1e-5 * k**0.5)


def test_a_row_is_the_same_alone_in_any_batch_on_any_thread_count():
    torch.manual_seed(0)
    weight, bias = torch.randn(100, 96), torch.randn(100)
    packed = thin.pack(weight)
    # Past 8 rows the sum is taken in parts (8 < rows <= 32), past 32 whole again.
    x = torch.randn(40, 96)
    alone = torch.cat([thin.linear(x[i : i + 1], packed, 100, bias) for i in range(40)])
    threads = torch.get_num_threads()
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            for rows in (2, 3, 7, 8, 9, 16, 20, 32, 33, 40):
                assert torch.equal(thin.linear(x[:rows], packed, 100, bias), alone[:rows]), rows
    finally:
        torch.set_num_threads(threads)


@pytest.mark.skipif(
    thin.available() and thin.best_isa() < thin.AVX512, reason="this CPU has no AVX-512"
)
def test_the_avx2_and_avx512_paths_agree_bit_for_bit():
    torch.manual_seed(1)
    weight, x = torch.randn(70, 600), torch.randn(11, 600)
    packed = thin.pack(weight)
    assert torch.equal(
        thin.linear(x, packed, 70, isa=thin.AVX2), thin.linear(x, packed, 70, isa=thin.AVX512)
    )


def test_batched_inputs_keep_their_shape():
    x, weight = torch.randn(2, 3, 16), torch.randn(8, 16)
    got = thin.linear(x, thin.pack(weight), 8)
    assert got.shape == (2, 3, 8)
    torch.testing.assert_close(got, _reference(x, weight))


def test_a_weight_of_other_columns_is_refused():
    with pytest.raises(RuntimeError, match="columns"):
        thin.linear(torch.randn(2, 16), thin.pack(torch.randn(8, 12)), 8)


@pytest.mark.skipif(not uses_onednn(torch.zeros(1)), reason="this torch has no oneDNN linear")
@pytest.mark.parametrize("thin_kernel", [True, False])
def test_decoding_runs_the_thin_kernel_where_it_compiled_and_onednn_when_told(thin_kernel):
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(48, 32), requires_grad=False)
    x = torch.randn(8, 32)
    mode = OneDnnLinear(packed=True, thin_kernel=thin_kernel)
    with mode:
        batched, alone = F.linear(x, weight), F.linear(x[:1], weight)
    torch.testing.assert_close(batched, x @ weight.T)
    assert torch.equal(alone[0], batched[0])
    (copy,) = (held[2] for held in mode.packed.values())
    assert (copy.shape == (2, 32, 32)) == thin_kernel  # the thin kernel's panels of 32 columns


@pytest.mark.parametrize(
    "weight_shape, bias",
    [((40, 24), torch.ones(1)), ((40, 24), torch.ones(3, 40)), ((24,), None), ((5, 0), None)],
)
def test_what_the_packed_kernels_do_not_take_runs_as_torch_runs_it(weight_shape, bias):
    """A bias that broadcasts, a vector weight, no columns: F.linear's answers, not an error."""
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(weight_shape), requires_grad=False)
    x = torch.randn(3, weight_shape[-1])
    expected = F.linear(x, weight, bias)
    with OneDnnLinear(packed=True):
        got = F.linear(x, weight, bias)
    torch.testing.assert_close(got, expected)
