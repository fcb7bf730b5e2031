"""Attention one document at a time (tunelab/train/layers/document_attention.py), the CPU default
for training: the same loss and gradients as sdpa with the block-diagonal mask, and plain sdpa (or
the model's own attention) wherever it does not apply (a cache, evaluation, windowed models,
attention sinks)."""

from __future__ import annotations

import pytest
import torch
from transformers import MistralConfig
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from tunelab.data.example import Example
from tunelab.data.pack import collate
from tunelab.data.tokenize import tokenize_example
from tunelab.errors import TunelabError
from tunelab.generation.generate import generate
from tunelab.models.random_shapes import TINY_SHAPE
from tunelab.models.random_weights import tiny_random, tiny_tokenizer
from tunelab.train.layers import document_attention
from tunelab.train.loss import token_loss_sum
from tunelab.train.setup import set_attention

PAIRS = [(f"Question {i}?" + " more" * i, f"Answer {i}." * (1 + i % 3)) for i in range(7)]


def loss_and_grads(model, batch):
    model.zero_grad(set_to_none=True)
    loss, _ = token_loss_sum(model, batch)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}


def test_the_loss_and_every_gradient_equal_sdpa_with_the_block_diagonal_mask():
    # 4 query heads share 2 key heads (grouped-query attention), as in SmolLM2 and Llama 3.
    model, tokenizer = tiny_random(initializer_range=0.2)
    model.train().requires_grad_(True)
    items = [tokenize_example(Example.qa(q, a), tokenizer, "chat") for q, a in PAIRS]
    batch = collate([items[:3], items[3:5], items[5:]], tokenizer.pad_token_id)
    assert (batch["position_ids"][:, 1:] == 0).any()  # rows of several documents
    expected_loss, expected = loss_and_grads(model, batch)
    set_attention(model, "auto", torch.device("cpu"))
    assert model.config._attn_implementation == document_attention.NAME
    loss, grads = loss_and_grads(model, batch)
    torch.testing.assert_close(loss, expected_loss)
    for name, grad in expected.items():
        # float32 rounding of sums over other orders: ~1e-6 of the largest entry (up to ~50).
        scale = float(grad.abs().max())
        torch.testing.assert_close(grads[name], grad, atol=1e-5 * scale, rtol=1e-4, msg=name)


def test_decoding_and_evaluation_fall_back_to_sdpa():
    # Held-out answers are generated mid-training, with the training kernel still selected.
    model, tokenizer = tiny_random(initializer_range=0.2)
    prompts = ["Hello there", "A longer prompt, with more words in it"]
    expected = [g.text for g in generate(model, tokenizer, prompts, max_new_tokens=12)]
    set_attention(model, "documents", torch.device("cpu"))
    assert [g.text for g in generate(model, tokenizer, prompts, max_new_tokens=12)] == expected


def test_documents_bounds_come_from_restarting_positions():
    positions = torch.tensor([[0, 1, 2, 0, 1, 0, 1, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]])
    assert document_attention.document_bounds(positions) == [
        [(0, 3), (3, 5), (5, 9)],
        [(0, 9)],
    ]


def test_windowed_attention_keeps_the_models_own_kernel():
    config = MistralConfig(sliding_window=16)
    assert not document_attention.suits(config)
    model, _ = tiny_random()
    model.config.sliding_window = 16
    set_attention(model, "auto", torch.device("cpu"))
    assert model.config._attn_implementation != document_attention.NAME
    with pytest.raises(TunelabError, match="windows or soft-caps"):
        set_attention(model, "documents", torch.device("cpu"))


def test_attention_sinks_are_kept_by_falling_back_to_the_models_own_attention():
    # GPT-OSS passes its sinks (`s_aux`) to the attention kernel; dropping them changes the loss.
    from transformers import GptOssConfig, GptOssForCausalLM

    tokenizer = tiny_tokenizer()
    experts = {"num_local_experts": 4, "num_experts_per_tok": 2, "head_dim": 16}
    config = GptOssConfig(
        **TINY_SHAPE | experts, vocab_size=len(tokenizer), layer_types=["full_attention"] * 2
    )
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(0)
        model = GptOssForCausalLM(config).train()
        for layer in model.model.layers:
            layer.self_attn.sinks.normal_(0, 2.0)
    items = [tokenize_example(Example.qa(q, a), tokenizer, "chat") for q, a in PAIRS]
    batch = collate([items[:3], items[3:5], items[5:]], tokenizer.pad_token_id)
    expected_loss, expected = loss_and_grads(model, batch)  # its own (eager) attention
    set_attention(model, "auto", torch.device("cpu"))
    assert model.config._attn_implementation == document_attention.NAME
    loss, grads = loss_and_grads(model, batch)
    torch.testing.assert_close(loss, expected_loss)
    for name, grad in expected.items():
        torch.testing.assert_close(grads[name], grad, msg=name)


BIAS = torch.arange(81.0).reshape(1, 1, 9, 9) / 81


@pytest.mark.parametrize("asks", [{"is_causal": False}, {"position_bias": BIAS}])
def test_a_bidirectional_or_biased_attention_call_is_left_to_sdpa(asks):
    model, _ = tiny_random()
    module = model.model.layers[0].self_attn.train()
    rng = torch.Generator().manual_seed(0)
    query = torch.randn(1, 4, 9, 16, generator=rng)
    key, value = torch.randn(2, 1, 2, 9, 16, generator=rng)
    positions = torch.tensor([[0, 1, 2, 0, 1, 2, 3, 4, 5]])  # two documents
    got, _ = document_attention.document_attention(
        module, query, key, value, None, position_ids=positions, **asks
    )
    expected, _ = sdpa_attention_forward(module, query, key, value, None, **asks)
    torch.testing.assert_close(got, expected)


def test_sinks_without_the_models_own_attention_code_are_refused_not_dropped():
    class RemoteAttention(torch.nn.Module):  # its module (this file) has no eager forward
        is_causal = True

    q = torch.randn(1, 2, 4, 8)
    with pytest.raises(TunelabError, match="train.attention"):
        document_attention.own_attention(
            RemoteAttention(), q, q, q, None, 0.0, 1.0, s_aux=torch.zeros(2)
        )
