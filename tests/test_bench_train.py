"""benchmarks/train_throughput.py compares like with like: every trainer's tokens are counted the
same way, and the work it is credited with is the work its documents need."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch

from tunelab.data.pack import collate
from tunelab.data.tokenize import IGNORE, Tokenized

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from train_limits import Shape, gemm_probe, model_flops  # noqa: E402
from train_peers import StepLog  # noqa: E402

# Three documents: prompt tokens labelled -100, answer tokens trained.
DOCS = [
    Tokenized([1, 2, 3, 4, 5], [IGNORE, IGNORE, 3, 4, 5]),
    Tokenized([6, 7, 8], [IGNORE, 7, 8]),
    Tokenized([9, 10, 11, 12], [IGNORE, IGNORE, IGNORE, 12]),
]
TRAINED = 3 + 2 + 1  # answer tokens: each is the target of the position before it


def test_tunelab_trainer_and_trl_count_the_same_trained_and_input_tokens():
    trl = pytest.importorskip("trl.trainer.sft_trainer")
    ours = collate([DOCS[:2], DOCS[2:]], pad_id=0)  # packed rows
    padded = {  # Trainer: one document a row, padded to the longest
        "labels": torch.tensor([d.labels + [IGNORE] * (5 - len(d.labels)) for d in DOCS]),
        "attention_mask": torch.tensor(
            [[1] * len(d.labels) + [0] * (5 - len(d.labels)) for d in DOCS]
        ),
    }
    flat = trl.DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)(
        [
            {
                "input_ids": sum((d.input_ids for d in row), []),
                "labels": sum((d.labels for d in row), []),
                "seq_lengths": [len(d.input_ids) for d in row],
            }
            for row in (DOCS[:2], DOCS[2:])
        ]
    )
    counts = []
    for batch in (padded, flat):
        log = StepLog("cpu")
        log.count(batch)
        counts.append((log.pending["trained"], log.pending["input"], log.pending["docs"]))
    assert counts == [(TRAINED, 12, 3), (TRAINED, 12, 3)]
    assert int((ours["targets"] != IGNORE).sum()) == TRAINED
    assert int(ours["real_tokens"]) == 12


def test_model_flops_count_the_head_only_where_trained_and_attention_within_documents():
    shape = Shape(layers=2, hidden=4, linears=[(4, 4)], vocab=10)
    lengths, trained = [3, 2], [2, 1]
    # decoder: 2 layers x 16 weights x 5 tokens; head: 40 weights x 3 trained tokens;
    # attention: 3 passes x 2 matmuls x 2 d FLOPs x (6 + 3 causal pairs) x 2 layers.
    attention = 3 * 2 * 2 * 4 * (6 + 3) * 2
    assert model_flops(shape, "full", lengths, trained) == 6 * (32 * 5 + 40 * 3) + attention
    assert model_flops(shape, "lora", lengths, trained) == 4 * (32 * 5 + 40 * 3) + attention
    # A padded or packed neighbour changes nothing: only the documents count.
    assert model_flops(shape, "full", [5], [3]) != model_flops(shape, "full", lengths, trained)


def test_the_matmul_probe_reports_a_rate_for_the_model_shapes():
    shape = Shape(layers=2, hidden=16, linears=[(16, 32), (32, 16)], vocab=64)
    for mode in ("full", "lora"):
        rate = gemm_probe(shape, mode, tokens=32, trained=16, device="cpu", seconds=0.01)
        assert math.isfinite(rate) and rate > 0


def test_the_merged_weight_side_of_the_step_pairs_gives_the_one_nodes_gradients():
    """train_step_pairs.py --change merged-weight times x(W + sBA) against tunelab's LoRA node:
    a ratio means something only if both compute the same layer."""
    from train_step_pairs import _ONE_NODE, _MergedLora

    torch.manual_seed(0)
    x = torch.randn(2, 40, 24, requires_grad=True)
    weight, bias = torch.randn(32, 24), torch.randn(32)
    a = torch.randn(16, 24, requires_grad=True)
    b = torch.randn(32, 16, requires_grad=True)
    upstream = torch.randn(2, 40, 32)
    results = []
    for layer in (
        lambda: _MergedLora.apply(x, weight, bias, a, b, 2.0),
        lambda: _ONE_NODE.apply(x, None, weight, bias, a, b, 2.0, None),
    ):
        x.grad = a.grad = b.grad = None
        out = layer()
        out.backward(upstream)
        results.append([out.detach(), x.grad, a.grad, b.grad])
    for merged, one_node in zip(*results):
        torch.testing.assert_close(merged, one_node, rtol=1e-5, atol=1e-4)


def test_fused_products_both_sides_compute_the_same_products():
    """fused_products.py times q/k/v (or gate/up) as separate products against one of the
    concatenated weights: its ratio means something only if both give the same outputs, input
    gradient and weight gradients."""
    from fused_products import fused, separate

    torch.manual_seed(0)
    x = torch.randn(40, 24)
    weights = [torch.randn(w, 24) for w in (24, 8, 8)]
    grads = [torch.randn(40, w) for w in (24, 8, 8)]
    outputs, grad_x, weight_grads = separate(x, weights, grads, with_weights=True)
    output, fused_grad_x, weight_grad = fused(x, torch.cat(weights), grads, with_weights=True)
    torch.testing.assert_close(torch.cat(outputs, dim=1), output)
    torch.testing.assert_close(grad_x, fused_grad_x)
    torch.testing.assert_close(torch.cat(weight_grads), weight_grad)
    torch.testing.assert_close(weight_grad, torch.cat(grads, dim=1).t() @ x)
