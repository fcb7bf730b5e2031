"""The fused projection + cross-entropy gives the loss and gradients of the plain computation."""

import pytest
import torch
import torch.nn.functional as F

from tunelab.data.pack import collate
from tunelab.data.tokenize import IGNORE, Tokenized
from tunelab.train import loss as loss_module
from tunelab.train.loss import LinearCrossEntropy, token_loss_sum


def reference(hidden, weight, targets):
    return F.cross_entropy((hidden @ weight.T).float(), targets, reduction="sum")


def test_fused_loss_and_gradients_equal_the_plain_ones_across_chunks():
    torch.manual_seed(0)
    hidden = torch.randn(11, 16, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(50, 16, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, 50, (11,))
    expected = reference(hidden, weight, targets)
    expected.backward(torch.tensor(0.5, dtype=torch.float32))
    want_h, want_w = hidden.grad.clone(), weight.grad.clone()
    hidden.grad = weight.grad = None

    loss = LinearCrossEntropy.apply(hidden, weight, targets, 4)  # 3 chunks, the last one short
    loss.backward(torch.tensor(0.5))
    assert torch.allclose(loss, expected.float(), atol=1e-5)
    assert torch.allclose(hidden.grad, want_h, atol=1e-6)
    assert torch.allclose(weight.grad, want_w, atol=1e-6)


def test_vocabulary_blocks_and_chunks_give_the_plain_loss_and_gradients(monkeypatch):
    # float32 on a CPU: the path that makes the logits a block of the vocabulary at a time. 64
    # rows a block over 300 (the last one short), 3 chunks of tokens, targets in every block.
    monkeypatch.setattr(loss_module, "BLOCK_BYTES", 64 * 16 * 4)
    torch.manual_seed(2)
    hidden = torch.randn(11, 16, requires_grad=True)
    weight = torch.randn(300, 16, requires_grad=True)
    targets = torch.tensor([0, 63, 64, 299, 150, 200, 7, 256, 255, 128, 64])
    assert loss_module.vocabulary_block(weight) == 64
    expected = reference(hidden.double(), weight.double(), targets)
    want_h, want_w = torch.autograd.grad(expected, (hidden, weight))

    loss = LinearCrossEntropy.apply(hidden, weight, targets, 4)
    loss.backward()
    assert torch.allclose(loss, expected, atol=1e-4)
    assert torch.allclose(hidden.grad, want_h.float(), atol=1e-5)
    assert torch.allclose(weight.grad, want_w.float(), atol=1e-5)


def test_a_frozen_projection_gets_no_gradient_and_the_hidden_states_still_do():
    torch.manual_seed(1)
    hidden = torch.randn(5, 8, requires_grad=True)
    weight = torch.randn(20, 8)  # frozen, as lm_head under LoRA
    targets = torch.randint(0, 20, (5,))
    reference(hidden, weight, targets).backward()
    want = hidden.grad.clone()
    hidden.grad = None
    LinearCrossEntropy.apply(hidden, weight, targets, 2).backward()
    assert torch.allclose(hidden.grad, want, atol=1e-5)


def test_model_loss_and_parameter_gradients_match_the_models_own_logits(tiny):
    model, tokenizer = tiny
    prompt, answer = tokenizer("Q: hi\nA:").input_ids, tokenizer(" hello there").input_ids
    short = Tokenized(prompt + answer, [IGNORE] * len(prompt) + answer)
    other = Tokenized(answer, answer)
    batch = collate([[short, other], [other]], tokenizer.pad_token_id)  # packed, and padded
    loss, n = token_loss_sum(model, batch)
    loss.backward()
    fused = {k: p.grad.clone() for k, p in model.named_parameters()}
    model.zero_grad()

    # use_cache=False: with a cache, transformers does not split packed rows into documents.
    logits = model(
        input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
    ).logits
    keep = batch["targets"] != IGNORE
    plain = F.cross_entropy(logits[keep], batch["targets"][keep], reduction="sum")
    plain.backward()
    assert n == int(keep.sum())
    assert torch.allclose(loss, plain, atol=1e-4)
    for name, p in model.named_parameters():
        assert torch.allclose(fused[name], p.grad, atol=1e-5), name


def test_a_tied_embedding_adds_its_rows_to_the_heads_gradient_over_accumulated_batches():
    # SmolLM2-style tied weight, a padding row, two micro-batches: the weight's gradient equals
    # the plain one, and no vocabulary-sized embedding gradient is made.
    from torch.profiler import profile

    from tunelab.models.random_weights import tiny_random

    model, tokenizer = tiny_random(seed=3)
    embedding = model.get_input_embeddings()
    embedding.padding_idx = tokenizer.pad_token_id
    assert embedding.weight is model.get_output_embeddings().weight
    ids = tokenizer(" hello there, general").input_ids
    sample = Tokenized(ids, ids)
    batches = [
        collate([[sample], [Tokenized(ids[:3], ids[:3])]], tokenizer.pad_token_id),
        collate([[Tokenized(ids[2:], ids[2:])]], tokenizer.pad_token_id),
    ]
    assert (batches[0]["input_ids"] == tokenizer.pad_token_id).any()  # the padding row is used

    with profile() as trace:
        for batch in batches:
            token_loss_sum(model, batch)[0].backward()
    fused = {k: p.grad.clone() for k, p in model.named_parameters()}
    model.zero_grad()
    for batch in batches:
        logits = model(
            input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
        ).logits
        keep = batch["targets"] != IGNORE
        F.cross_entropy(logits[keep], batch["targets"][keep], reduction="sum").backward()
    for name, p in model.named_parameters():
        assert torch.allclose(fused[name], p.grad, atol=1e-5), name
    assert not any("embedding_dense_backward" in e.name for e in trace.events())


def test_with_no_token_to_train_the_projection_gets_zeros_not_uninitialised_memory():
    # A micro-batch whose targets are all ignored: no chunk comes to fill the weight's gradient.
    torch.full((300, 16), float("nan"))  # freed at once: NaNs where the next of its size lands
    hidden = torch.randn(0, 16, requires_grad=True)
    weight = torch.randn(300, 16, requires_grad=True)
    loss = LinearCrossEntropy.apply(hidden, weight, torch.zeros(0, dtype=torch.long), 4)
    loss.backward()
    assert loss.item() == 0 and hidden.grad.shape == (0, 16)
    assert torch.equal(weight.grad, torch.zeros_like(weight))


@pytest.mark.parametrize("head", ["fused", "with a bias"])
def test_a_batch_that_trains_no_token_gives_zero_gradients(head):
    # The plain cross-entropy of no logits is 0 with zero gradients; a head that is not fused
    # (a bias, LoRA) once gave a loss outside the graph, and backward failed.
    from tunelab.models.random_weights import tiny_random

    model, tokenizer = tiny_random(tie_word_embeddings=False)
    if head == "with a bias":
        model.lm_head = torch.nn.Linear(64, len(tokenizer))
    ids = tokenizer(" hello there").input_ids
    batch = collate([[Tokenized(ids, [IGNORE] * len(ids))]], tokenizer.pad_token_id)
    loss, n = token_loss_sum(model, batch)
    loss.backward()
    assert n == 0 and loss.item() == 0
    for name, p in model.named_parameters():
        assert torch.equal(p.grad, torch.zeros_like(p)), name


def test_without_grad_mode_the_fused_loss_makes_no_weight_gradient(tiny, monkeypatch):
    # The held-out loss runs under no_grad: the same loss, and no head gradient made and dropped.
    model, tokenizer = tiny
    ids = tokenizer(" hello there, how are you").input_ids
    batch = collate([[Tokenized(ids, ids)]], tokenizer.pad_token_id)
    asked = []
    chunk = loss_module._chunk
    monkeypatch.setattr(
        loss_module, "_chunk", lambda *a: asked.append(a[5] is not None) or chunk(*a)
    )
    with torch.no_grad():
        quiet, _ = token_loss_sum(model, batch)
    trained, _ = token_loss_sum(model, batch)
    assert asked == [False, True]
    assert torch.equal(quiet, trained.detach())
