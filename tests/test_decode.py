"""The decoding batch's cache: each step writes its column into spare room instead of copying
the whole cache, and the logits are those of transformers' own concatenating cache."""

from __future__ import annotations

import pytest
import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from tunelab.generation import decode as decode_module
from tunelab.generation.decode import Batch, SpareColumns, SpareColumnsCache, prefill_runs
from tunelab.models.random_weights import tiny_random


@pytest.fixture(scope="module")
def model_and_tokenizer():
    model, tokenizer = tiny_random(initializer_range=0.2)
    return model.eval(), tokenizer


def prompts(tokenizer) -> list[list[int]]:
    texts = ["<|user|>hi", "<|user|>a longer prompt than the first", "<|user|>medium one"]
    return [tokenizer(t, add_special_tokens=False).input_ids for t in texts]


def decode(model, tokenizer, steps: int = 12) -> list[torch.Tensor]:
    """Every logits a Batch gives through joins, steps, rows leaving and a row joining late."""
    encoded = prompts(tokenizer)
    batch = Batch(model, tokenizer.pad_token_id, encoded[0][:3])  # "<|user|>" shared
    out = [batch.join(encoded[:2])]
    for step in range(steps):
        out.append(batch.step(out[-1].argmax(-1)))
        if step == 3:
            out.append(batch.join(encoded[2:]))
            tokens = torch.cat([out[-2].argmax(-1), out[-1].argmax(-1)])
            out.append(batch.step(tokens))
        if step in (5, 7):  # the rows reordered, then one leaving
            rows = [1, 2, 0] if step == 5 else [2, 0]
            batch.keep(rows)
            out[-1] = out[-1][rows]
    return out


def test_a_batchs_logits_are_those_of_the_concatenating_cache_bit_for_bit(
    model_and_tokenizer, monkeypatch
):
    model, tokenizer = model_and_tokenizer
    monkeypatch.setattr(SpareColumns, "SPARE", 2)  # new room every few steps as well
    with torch.inference_mode():
        ours = decode(model, tokenizer)
        monkeypatch.setattr(SpareColumnsCache, "__init__", DynamicCache.__init__)
        theirs = decode(model, tokenizer)
    assert len(ours) == len(theirs) == 15
    for mine, reference in zip(ours, theirs):
        assert torch.equal(mine, reference)


def test_a_step_writes_into_spare_columns_and_makes_room_when_they_run_out():
    layer = SpareColumns()
    layer.SPARE = 3
    keys, values = torch.randn(2, 1, 4, 8), torch.randn(2, 1, 4, 8)
    held_keys, _ = layer.update(keys, values)
    room = held_keys.untyped_storage().data_ptr()
    written = [keys]
    for _ in range(3):  # 4 columns + 3 spare
        column = torch.randn(2, 1, 1, 8)
        written.append(column)
        held_keys, _ = layer.update(column, column.clone())
        assert held_keys.untyped_storage().data_ptr() == room
    column = torch.randn(2, 1, 1, 8)
    written.append(column)
    held_keys, held_values = layer.update(column, column.clone())
    assert held_keys.untyped_storage().data_ptr() != room
    assert torch.equal(held_keys, torch.cat(written, dim=-2))
    assert held_keys.shape == held_values.shape == (2, 1, 8, 8)


def test_keys_replaced_from_outside_are_copied_into_new_room_leaving_the_old_as_it_was():
    layer = SpareColumns()
    old, _ = layer.update(torch.randn(1, 1, 5, 4), torch.randn(1, 1, 5, 4))
    before = old.clone()
    layer.crop(-2)  # the layer now holds a narrower view of the same room
    new = torch.randn(1, 1, 1, 4)
    layer.update(new, new.clone())
    assert torch.equal(old, before)  # column 3 of the old room not written over
    assert torch.equal(layer.keys, torch.cat([before[..., :3, :], new], dim=-2))


def test_rows_a_batch_kept_are_copied_into_the_same_room():
    layer = SpareColumns()
    keys = torch.randn(3, 1, 4, 8)
    layer.update(keys, keys.clone())
    room = layer._rooms[0]
    layer.batch_select_indices(torch.tensor([0, 2]))  # as Batch.keep does
    layer.keys, layer.values = layer.keys[:, :, 1:], layer.values[:, :, 1:]
    column = torch.randn(2, 1, 1, 8)
    held, _ = layer.update(column, column.clone())
    assert layer._rooms[0] is room
    assert torch.equal(held, torch.cat([keys[[0, 2], :, 1:], column], dim=-2))


def test_a_room_someone_else_holds_a_view_of_is_not_written_over():
    layer = SpareColumns()
    keys = torch.randn(3, 1, 4, 8)
    seen, _ = layer.update(keys, keys.clone())
    before = seen.clone()
    layer.batch_select_indices(torch.tensor([2, 0]))
    column = torch.randn(2, 1, 1, 8)
    held, _ = layer.update(column, column.clone())
    assert torch.equal(seen, before)
    assert torch.equal(held, torch.cat([keys[[2, 0]], column], dim=-2))


def test_a_batch_makes_its_caches_of_spare_columns(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    batch = Batch(model, tokenizer.pad_token_id)
    with torch.inference_mode():
        batch.join(prompts(tokenizer)[:1])
    assert isinstance(batch.cache, DynamicCache)
    assert all(isinstance(layer, SpareColumns) for layer in batch.cache.layers)
    assert all(type(layer) is not DynamicLayer for layer in batch.cache.layers)


@pytest.mark.parametrize(
    "lengths, per_forward, runs",
    [
        ([5, 5, 5, 5], 64, [(0, 4)]),
        ([2] * 10 + [100] * 10, 64, [(0, 10), (10, 20)]),  # 980 padded tokens saved for a pass
        ([2] * 10 + [100] * 10, 2000, [(0, 20)]),  # a pass costs more than they
        ([2] * 10 + [100] * 10, float("inf"), [(0, 20)]),
        ([7], 64, [(0, 1)]),
    ],
)
def test_prompts_are_prefilled_in_the_runs_that_cost_least(lengths, per_forward, runs):
    assert prefill_runs(lengths, per_forward) == runs


def test_prompts_of_unlike_lengths_are_read_apart_with_the_logits_of_one_pass(
    model_and_tokenizer, monkeypatch
):
    model, tokenizer = model_and_tokenizer
    short = tokenizer("<|user|>hi", add_special_tokens=False).input_ids
    long = tokenizer("<|user|>" + "a long prompt " * 12, add_special_tokens=False).input_ids
    prompts = [short, short, long, long]
    passes = []
    real_forward = Batch._forward
    monkeypatch.setattr(
        Batch,
        "_forward",
        lambda self, ids, *a: passes.append(ids.shape) or real_forward(self, ids, *a),
    )
    monkeypatch.setattr(decode_module, "FORWARD_TOKENS", 4)
    with torch.inference_mode():
        apart = Batch(model, tokenizer.pad_token_id, short[:3])
        logits = [apart.join(prompts)]
        for _ in range(4):
            logits.append(apart.step(logits[-1].argmax(-1)))
        assert [shape[0] for shape in passes] == [1, 2, 2, 4, 4, 4, 4]  # prefix, 2 runs, steps
        monkeypatch.setattr(decode_module, "FORWARD_TOKENS", 10**6)
        together = Batch(model, tokenizer.pad_token_id, short[:3])
        reference = [together.join(prompts)]
        for _ in range(4):
            reference.append(together.step(reference[-1].argmax(-1)))
    assert [shape[0] for shape in passes[7:]] == [1, 4, 4, 4, 4, 4]
    assert torch.equal(apart.mask.sum(-1), together.mask.sum(-1))  # each row's tokens
    for mine, theirs in zip(logits, reference):
        torch.testing.assert_close(mine, theirs)
        assert torch.equal(mine.argmax(-1), theirs.argmax(-1))
