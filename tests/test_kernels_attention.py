"""tunelab's attention kernel for training (tunelab/kernels/attention.cpp): causal attention inside
each document, output and gradients equal to sdpa's per document, in transformers' layouts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tunelab.kernels import attention

pytestmark = pytest.mark.skipif(
    not attention.usable(torch.zeros(1), 0.0),
    reason="tunelab's attention kernel does not compile or this CPU lacks AVX2 and FMA",
)


def _inputs(lengths_per_row, heads, kv_heads, dim, seed=0):
    """query/key/value as transformers makes them: [rows, heads, T, D] views of
    [rows, T, heads, D]; and the documents as (row, start, length)."""
    torch.manual_seed(seed)
    rows, width = len(lengths_per_row), max(sum(row) for row in lengths_per_row)

    def make(n):
        return torch.randn(rows, width, n, dim, dtype=torch.float64).transpose(1, 2)

    documents = []
    for r, lengths in enumerate(lengths_per_row):
        start = 0
        for length in lengths:
            documents.append((r, start, length))
            start += length
    return make(heads), make(kv_heads), make(kv_heads), documents


def _reference(query, key, value, documents, scale):
    """sdpa per document, in float64: [rows, T, heads, D]."""
    out = torch.zeros(query.shape[0], query.shape[2], query.shape[1], query.shape[3]).double()
    groups = query.shape[1] // key.shape[1]
    for r, start, length in documents:
        part = slice(start, start + length)
        got = F.scaled_dot_product_attention(
            query[r : r + 1, :, part],
            key[r : r + 1, :, part].repeat_interleave(groups, 1),
            value[r : r + 1, :, part].repeat_interleave(groups, 1),
            is_causal=True,
            scale=scale,
        )
        out[r, part] = got[0].transpose(0, 1)
    return out


@pytest.mark.parametrize(
    "lengths, heads, kv_heads, dim",
    [
        ([[1, 7, 8, 9, 31, 33]], 4, 2, 16),  # tiles of 8 rows and 32 columns, and their edges
        ([[90, 37], [120]], 9, 3, 64),  # SmolLM2-135M's heads, two rows
        ([[257, 5]], 2, 2, 80),  # one key head per query head; D not a multiple of 32
        ([[40, 24]], 4, 1, 128),  # Llama's head size
        ([[12, 45, 20], [3, 70]], 6, 2, 32),  # lengths off AVX2's 8 lanes and AVX-512's 16
        ([[50, 13, 6]], 2, 1, 20),  # D not a multiple of 8: every product has masked lanes
    ],
)
def test_output_and_gradients_equal_sdpa_per_document(lengths, heads, kv_heads, dim):
    q64, k64, v64, documents = _inputs(lengths, heads, kv_heads, dim)
    scale = dim**-0.5
    expected = _reference(*(t.requires_grad_() for t in (q64, k64, v64)), documents, scale)
    grad = torch.randn_like(expected)
    expected.backward(grad)
    q, k, v = (t.detach().float().requires_grad_() for t in (q64, k64, v64))
    assert not q.is_contiguous() and q.stride(-1) == 1  # transformers' layout: T and heads strided
    got = attention.attend(q, k, v, documents, scale)
    got.backward(grad.float())
    covered = torch.zeros(expected.shape[:2], dtype=torch.bool)
    for r, start, length in documents:
        covered[r, start : start + length] = True
    torch.testing.assert_close(got[covered], expected[covered].float(), atol=2e-6, rtol=1e-5)
    for mine, theirs, name in ((q, q64, "query"), (k, k64, "key"), (v, v64, "value")):
        torch.testing.assert_close(mine.grad, theirs.grad.float(), atol=1e-5, rtol=1e-4, msg=name)


def test_rows_whose_scores_are_all_far_below_zero_get_sdpas_softmax_not_nan():
    # Each row's largest score is subtracted before exp: lanes past the row read as 0 would be
    # taken for it, and every exp(score - 0) underflow to 0.
    q, k, v, documents = _inputs([[5, 19]], 4, 2, 16, seed=4)
    q, k = 2.5 + 0.1 * q, -(2.5 + 0.1 * k)  # scores near -100
    expected = _reference(q, k, v, documents, 1.0)
    got = attention.attend(q.float(), k.float(), v.float(), documents, 1.0)
    assert torch.isfinite(got).all()
    # float32 scores near -100 are ~1e-5 off: exp carries that into the weights
    torch.testing.assert_close(got, expected.float(), atol=1e-5, rtol=1e-4)


def test_results_do_not_depend_on_the_thread_count():
    q, k, v, documents = _inputs([[100, 3, 60], [17, 150]], 9, 3, 64, seed=1)
    q, k, v = (t.float().requires_grad_() for t in (q, k, v))
    results = []
    threads = torch.get_num_threads()
    try:
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            out = attention.attend(q, k, v, documents, 0.125)
            out.backward(torch.ones_like(out))
            results.append([out.detach(), *(t.grad.clone() for t in (q, k, v))])
            q.grad = k.grad = v.grad = None
    finally:
        torch.set_num_threads(threads)
    for other in results[1:]:
        assert all(torch.equal(a, b) for a, b in zip(results[0], other))


def test_long_documents_go_to_sdpa_with_the_same_result(monkeypatch):
    from tunelab.train.layers import document_attention

    q, k, v, documents = _inputs([[30, 50]], 4, 2, 16, seed=2)
    q, k, v = (t.float() for t in (q, k, v))
    positions = torch.cat([torch.arange(30), torch.arange(50)])[None]
    module = torch.nn.Module().train()
    calls = []
    monkeypatch.setattr(attention, "attend", lambda *a: calls.append(a) or _reference(*a))
    document_attention.document_attention(module, q, k, v, None, position_ids=positions)
    monkeypatch.setattr(attention, "LONGEST", 40)
    by_sdpa, _ = document_attention.document_attention(
        module, q, k, v, None, position_ids=positions
    )
    assert len(calls) == 1  # the second call, with a 50-token document, did not take the kernel
    expected = _reference(q.double(), k.double(), v.double(), documents, 16**-0.5)
    torch.testing.assert_close(by_sdpa, expected.float(), atol=2e-6, rtol=1e-5)


def test_documents_outside_their_rows_are_refused_not_read_past():
    q, k, v, _ = _inputs([[10]], 4, 2, 16)
    q, k, v = (t.float() for t in (q, k, v))
    for documents in ([(0, 5, 6)], [(1, 0, 4)], [(0, -1, 3)], [(0, 0, 0)]):
        with pytest.raises(RuntimeError, match="is outside rows of 10 tokens"):
            attention.attend(q, k, v, documents, 0.25)
    with pytest.raises(RuntimeError, match="heads a multiple of kv_heads"):
        attention.attend(q[:, :3], k, v, [(0, 0, 10)], 0.25)


def test_tokens_no_document_covers_get_zeros_in_reused_memory():
    # The outputs are not zeroed first: the kernel writes each covered token and zeros the rest.
    # Memory of the outputs' size is filled with nan and freed first, so malloc hands it back.
    q, k, v, _ = _inputs([[40], [40]], 4, 2, 16, seed=3)
    q, k, v = (t.float().requires_grad_() for t in (q, k, v))
    documents = [(0, 5, 10), (0, 20, 12), (1, 0, 30)]  # gaps: 0-5, 15-20, 32-40; 30-40
    covered = torch.zeros(2, 40, dtype=torch.bool)
    for r, start, length in documents:
        covered[r, start : start + length] = True
    for _ in range(3):
        garbage = [torch.full((2, 40, 4, 16), float("nan")) for _ in range(4)]
        del garbage
        out = attention.attend(q, k, v, documents, 0.25)
        out.backward(torch.ones_like(out))
        for t in (out, q.grad.transpose(1, 2), k.grad.transpose(1, 2), v.grad.transpose(1, 2)):
            assert torch.isfinite(t).all()
            assert (t[~covered] == 0).all()
        expected = _reference(q.double(), k.double(), v.double(), documents, 0.25)
        torch.testing.assert_close(out[covered], expected[covered].float(), atol=2e-6, rtol=1e-5)
        q.grad = k.grad = v.grad = None


def test_overlapping_documents_are_refused():
    q, k, v, _ = _inputs([[20]], 4, 2, 16)
    q, k, v = (t.float() for t in (q, k, v))
    with pytest.raises(RuntimeError, match="documents overlap in row 0 at token 8"):
        attention.attend(q, k, v, [(0, 0, 10), (0, 8, 5)], 0.25)
