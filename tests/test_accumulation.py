"""Gradient accumulation: 4 micro-batches of 2 give the gradient of one batch of 8."""

from __future__ import annotations

import torch

from tunelab.data.example import Example
from tunelab.data.pack import collate
from tunelab.data.tokenize import IGNORE, tokenize_example
from tunelab.train.loop import accumulate_gradients


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def test_four_micro_batches_of_two_equal_one_batch_of_eight(tiny):
    model, tokenizer = tiny
    # Very unequal answer lengths: a per-micro-batch mean would weight tokens unequally.
    items = [
        tokenize_example(Example.qa(f"q{i}", "a" * (1 + 15 * (i % 4))), tokenizer, "chat")
        for i in range(8)
    ]
    pad = tokenizer.pad_token_id
    device = torch.device("cpu")

    model.zero_grad()
    big_loss, big_n = accumulate_gradients(model, [collate([[i] for i in items], pad)], device)
    big = _grads(model)

    model.zero_grad()
    micro = [collate([[i] for i in items[k : k + 2]], pad) for k in range(0, 8, 2)]
    small_loss, small_n = accumulate_gradients(model, micro, device)
    small = _grads(model)

    assert big_n == small_n
    assert abs(big_loss - small_loss) < 1e-3
    for name in big:
        torch.testing.assert_close(small[name], big[name], atol=1e-6, rtol=1e-4)


def test_a_micro_batch_that_trains_nothing_adds_nothing(tiny):
    # Its fused head once handed back uninitialised memory as the weight's gradient.
    model, tokenizer = tiny
    pad = tokenizer.pad_token_id
    item = tokenize_example(Example.qa("q", "an answer"), tokenizer, "chat")
    batch = collate([[item]], pad)
    untrained = collate([[item]], pad)
    untrained["targets"].fill_(IGNORE)
    device = torch.device("cpu")

    model.zero_grad()
    accumulate_gradients(model, [batch], device)
    alone = _grads(model)
    model.zero_grad()
    accumulate_gradients(model, [untrained, batch], device)
    for name, grad in _grads(model).items():
        torch.testing.assert_close(grad, alone[name], msg=name)


def test_a_step_that_trains_nothing_gives_zero_gradients_not_nans(tiny):
    model, tokenizer = tiny
    item = tokenize_example(Example.qa("q", "a"), tokenizer, "chat")
    untrained = collate([[item]], tokenizer.pad_token_id)
    untrained["targets"].fill_(IGNORE)
    model.zero_grad()
    assert accumulate_gradients(model, [untrained], torch.device("cpu")) == (0.0, 0)
    for name, p in model.named_parameters():
        assert torch.equal(p.grad, torch.zeros_like(p)), name
