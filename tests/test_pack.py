"""Packing: examples sharing a row never see each other, and learn exactly what they would alone."""

from __future__ import annotations

import pytest
import torch

from tunelab.data.example import Example
from tunelab.data.pack import collate, pack_rows
from tunelab.data.tokenize import IGNORE, Tokenized, tokenize_example
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.train.loss import token_loss_sum
from tunelab.train.setup import set_attention


def _items(tokenizer, n=5):
    pairs = [
        (f"Question number {i}?" + " more" * i, f"Answer {i}." * (1 + i % 3)) for i in range(n)
    ]
    return [tokenize_example(Example.qa(q, a), tokenizer, "chat") for q, a in pairs]


def test_logits_inside_a_packed_row_equal_logits_alone(tiny):
    model, tokenizer = tiny
    model.eval()
    items = _items(tokenizer, 3)
    packed = collate([items], tokenizer.pad_token_id)
    with torch.no_grad():
        # use_cache=False as in training: with a KV cache transformers ignores packed positions.
        row_logits = model(
            input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False
        ).logits[0]
        offset = 0
        for item in items:
            alone = model(input_ids=torch.tensor([item.input_ids])).logits[0]
            n = len(item.input_ids)
            torch.testing.assert_close(row_logits[offset : offset + n], alone, atol=1e-5, rtol=1e-4)
            offset += n


def test_packed_loss_equals_unpacked_loss(tiny):
    model, tokenizer = tiny
    items = _items(tokenizer, 6)
    rows = [[items[i] for i in row] for row in pack_rows(items, 256)]
    assert len(rows) < len(items), "the test needs rows holding several examples"
    with torch.no_grad():
        packed = [token_loss_sum(model, collate([r], tokenizer.pad_token_id)) for r in rows]
        alone = [token_loss_sum(model, collate([[i]], tokenizer.pad_token_id)) for i in items]
    packed_mean = sum(loss.item() for loss, _ in packed) / sum(n for _, n in packed)
    alone_mean = sum(loss.item() for loss, _ in alone) / sum(n for _, n in alone)
    assert abs(packed_mean - alone_mean) < 1e-5


def test_pack_rows_fills_rows_without_overflow(tiny):
    _, tokenizer = tiny
    items = _items(tokenizer, 20)
    rows = pack_rows(items, 200)
    assert sorted(i for row in rows for i in row) == list(range(20))
    assert all(sum(len(items[i].input_ids) for i in row) <= 200 for row in rows)


def _first_fit_by_scanning(items: list[Tokenized], row_length: int) -> list[list[int]]:
    """First-fit-decreasing the obvious way: every open row is tried in order."""
    order = sorted(range(len(items)), key=lambda i: (-len(items[i].input_ids), i))
    rows, space = [], []
    for i in order:
        size = len(items[i].input_ids)
        r = next((r for r, free in enumerate(space) if size <= free), len(rows))
        if r == len(rows):
            rows.append([])
            space.append(row_length)
        rows[r].append(i)
        space[r] -= size
    return rows


def test_packing_builds_the_rows_plain_first_fit_builds_and_fills_them():
    import random

    rng = random.Random(0)
    for n, row_length in [(1, 64), (7, 64), (500, 256), (3000, 2048)]:
        items = [Tokenized([0] * rng.randint(1, row_length), []) for _ in range(n)]
        assert pack_rows(items, row_length) == _first_fit_by_scanning(items, row_length)

    # At scale (the tree search keeps this about a second; scanning took minutes), rows are full.
    items = [Tokenized([0] * rng.randint(20, 400), []) for _ in range(100_000)]
    rows = pack_rows(items, 2048)
    assert sorted(i for row in rows for i in row) == list(range(len(items)))
    assert all(sum(len(items[i].input_ids) for i in row) <= 2048 for row in rows)
    assert len(rows) <= 1.01 * sum(len(it.input_ids) for it in items) / 2048 + 1


def test_padding_is_a_multiple_of_8_and_never_trained(tiny):
    _, tokenizer = tiny
    batch = collate([[it] for it in _items(tokenizer, 3)], tokenizer.pad_token_id)
    assert batch["input_ids"].shape[1] % 8 == 0
    for b, item in enumerate(_items(tokenizer, 3)):
        n = len(item.input_ids)
        assert (batch["targets"][b, n - 1 :] == -100).all()  # last real token predicts nothing


@pytest.mark.parametrize(
    "kernel", ["eager", pytest.param("flex_attention", marks=pytest.mark.slow)]
)
def test_every_attention_kernel_keeps_packed_documents_apart(kernel):
    # flex_attention has no backward on CPU: the loss alone is compared there.
    model, tokenizer = tiny_random()
    prompt, answer = tokenizer("Q: hi\nA:").input_ids, tokenizer(" hello there").input_ids
    first = Tokenized(prompt + answer, [IGNORE] * len(prompt) + answer)
    second = Tokenized(answer, answer)
    batch = collate([[first, second], [second]], tokenizer.pad_token_id)
    with torch.no_grad():
        expected, _ = token_loss_sum(model, batch)  # sdpa with a block-diagonal mask
        set_attention(model, kernel, torch.device("cpu"))
        loss, _ = token_loss_sum(model, batch)
    assert torch.allclose(loss, expected, atol=1e-4)


def test_flash_attention_without_a_gpu_is_a_clear_error():
    model, _ = tiny_random()
    with pytest.raises(TunelabError, match="needs a CUDA device"):
        set_attention(model, "flash_attention_2", torch.device("cpu"))
