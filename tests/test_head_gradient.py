"""The head's weight gradient reuses its memory from step to step, and never memory still held."""

import torch

from tunelab.data.pack import collate
from tunelab.data.tokenize import Tokenized
from tunelab.models.random_weights import tiny_random
from tunelab.train.layers import head_gradient
from tunelab.train.loss import LinearCrossEntropy, token_loss_sum


def _kept_memory(weight):
    return [buffer.data_ptr() for buffer in head_gradient._buffers_of(weight)]


def _step(hidden, weight, targets):
    LinearCrossEntropy.apply(hidden, weight, targets, 4).backward()


def _first_step(seed: int):
    """(hidden, weight, targets) of a small fused head, after one step: weight.grad is lent."""
    torch.manual_seed(seed)
    hidden = torch.randn(9, 16, requires_grad=True)
    weight = torch.randn(300, 16, requires_grad=True)
    targets = torch.randint(0, 300, (9,))
    _step(hidden, weight, targets)
    return hidden, weight, targets


def test_each_step_takes_the_gradient_memory_of_the_last():
    hidden, weight, targets = _first_step(0)
    first = weight.grad.data_ptr()
    expected = weight.grad.clone()
    for _ in range(3):
        weight.grad = hidden.grad = None  # as zero_grad(set_to_none=True)
        _step(hidden, weight, targets)
        # autograd took the lent gradient as .grad as it is, not a copy of it
        assert weight.grad.data_ptr() == first == _kept_memory(weight)[0]
        assert torch.equal(weight.grad, expected)


def test_a_gradient_someone_still_holds_is_not_written_over():
    hidden, weight, targets = _first_step(1)
    kept, kept_copy = weight.grad, weight.grad.clone()
    weight.grad = None
    _step(hidden * 3, weight, torch.roll(targets, 1))  # another gradient
    assert weight.grad.data_ptr() != kept.data_ptr()
    assert torch.equal(kept, kept_copy)
    assert not torch.equal(weight.grad, kept)


def test_accumulated_micro_batches_reuse_two_buffers_and_sum_right():
    # The first micro-batch's gradient becomes .grad; the second's is added to it, then freed:
    # from the second step on neither needs fresh memory, and the sums stay those of step one.
    model, tokenizer = tiny_random(seed=3)
    ids = tokenizer(" hello there, general").input_ids
    batches = [
        collate([[Tokenized(ids, ids)]], tokenizer.pad_token_id),
        collate([[Tokenized(ids[2:], ids[2:])]], tokenizer.pad_token_id),
    ]
    weight = model.get_output_embeddings().weight
    sums, memory = [], []
    for _ in range(3):
        model.zero_grad(set_to_none=True)
        for batch in batches:
            token_loss_sum(model, batch)[0].backward()
        sums.append({k: p.grad.clone() for k, p in model.named_parameters()})
        memory.append(weight.grad.data_ptr())
        buffers = head_gradient._buffers_of(weight)
        assert len(buffers) == 2
    assert memory[1] == memory[2] and memory[2] in _kept_memory(weight)
    for later in sums[1:]:
        for name, grad in later.items():
            assert torch.equal(grad, sums[0][name]), name


def test_a_gpu_or_other_device_gets_fresh_memory_and_keeps_none():
    weight = torch.randn(5, 3, device="meta", requires_grad=True)
    buffer = head_gradient.gradient_buffer(weight)
    assert buffer.shape == weight.shape and buffer.dtype == torch.float32
    assert head_gradient._kept.get(id(weight)) is None


def test_a_torch_without_the_use_count_gets_fresh_memory_each_step(monkeypatch):
    monkeypatch.delattr(torch._C, "_storage_Use_Count")
    hidden, weight, targets = _first_step(2)
    expected = weight.grad.clone()
    weight.grad = hidden.grad = None
    _step(hidden, weight, targets)
    assert _kept_memory(weight) == []
    assert torch.equal(weight.grad, expected)
