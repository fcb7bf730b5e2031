"""Training's CPU fast paths (oneDNN linears, the fused head and cross-entropy, the tied
embedding's handoff, RMSNorm's kernel or closed-form backward, attention per document) against
plain autograd: the model's own forward, in float64, with the standard cross-entropy and none of
them. A step of accumulate_gradients, as the loop takes it, gives the loss and every parameter's
gradient."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from tunelab import kernels
from tunelab.data.example import Example
from tunelab.data.pack import collate
from tunelab.data.tokenize import IGNORE, tokenize_example
from tunelab.kernels import rms_norm as norm_kernel
from tunelab.models.random_shapes import TINY_SHAPE
from tunelab.models.random_weights import tiny_random
from tunelab.train import loss as loss_module
from tunelab.train.layers import rms_norm
from tunelab.train.loop import accumulate_gradients
from tunelab.train.setup import set_attention

pytestmark = pytest.mark.skipif(
    not kernels.uses_onednn(torch.zeros(1)), reason="this torch has no oneDNN linear"
)

PAIRS = [(f"Question {i}?" + " more" * (i % 3), f"Answer {i}." * (1 + i % 3)) for i in range(7)]
DOCUMENTS = [3, 2, 2]  # packed examples per row: rows of several documents, ending in padding


def _model(kind: str):
    model, tokenizer = tiny_random(
        initializer_range=0.2, tie_word_embeddings=kind.startswith("tied")
    )
    if kind == "qwen2":  # biases on q, k and v, an untied head
        from transformers import Qwen2Config, Qwen2ForCausalLM

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            config = Qwen2Config(**TINY_SHAPE, vocab_size=len(tokenizer), tie_word_embeddings=False)
            model = Qwen2ForCausalLM(config)
    if kind == "tied, no padding_idx":
        model.get_input_embeddings().padding_idx = None
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name:  # not the initial zeros and ones
                p.add_(torch.randn_like(p), alpha=0.1)
    return model, tokenizer


def _lora(model, targets: list[str]):
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=4, lora_alpha=8, lora_dropout=0.0, target_modules=targets, task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, lora)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        for name, p in model.named_parameters():
            if "lora_" in name:  # B starts at zero, which would leave A without a gradient
                p.normal_(0, 0.1)
    return model


def _batches(tokenizer, kind: str, copies: int = 1) -> list[dict[str, torch.Tensor]]:
    items = [tokenize_example(Example.qa(q, a), tokenizer, "chat") for q, a in PAIRS] * copies
    rows, start = [], 0
    for n in DOCUMENTS * copies:
        rows.append(items[start : start + n])
        start += n
    pad = tokenizer.pad_token_id
    batches = [collate(rows[:2], pad), collate(rows[2:], pad)]
    if kind == "one token":
        targets = batches[0]["targets"]
        row, column = (targets != IGNORE).nonzero()[-1].tolist()  # the last trained token
        kept = targets[row, column].item()
        targets.fill_(IGNORE)[row, column] = kept
        batches = batches[:1]
    elif kind == "no token":
        for batch in batches:
            batch["targets"].fill_(IGNORE)
    elif kind == "a micro-batch of none":
        batches[0]["targets"].fill_(IGNORE)
    return batches


def _plain_step(model, batches, dtype=torch.float64):
    """The gradient of the summed cross-entropy over all trained tokens / their number."""
    model = copy.deepcopy(model).to(dtype).train()
    n = sum(int((b["targets"] != IGNORE).sum()) for b in batches)
    total = 0.0
    for batch in batches:
        logits = model(
            input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
        ).logits
        keep = batch["targets"] != IGNORE
        loss = F.cross_entropy(logits[keep], batch["targets"][keep], reduction="sum")
        (loss / max(n, 1)).backward()
        total += loss.item()
    return total, _grads(model)


def _fast_step(model, batches, dtype, monkeypatch):
    model = copy.deepcopy(model).to(dtype)
    rms_norm.use_for_training(model)
    set_attention(model, "auto", torch.device("cpu"))
    calls = {"linear": 0, "head": 0, "norm": 0}
    for name, cls in (
        ("linear", kernels._LinearWithGradients),
        ("head", loss_module.LinearCrossEntropy),
        ("norm", rms_norm.RMSNormFunction),  # where the kernel does not run
        ("norm", norm_kernel.RMSNorm),
    ):

        def counted(*args, _name=name, _apply=cls.apply):
            calls[_name] += 1
            return _apply(*args)

        monkeypatch.setattr(cls, "apply", counted)
    total, _ = accumulate_gradients(model, batches, torch.device("cpu"))
    return total, _grads(model), calls


def _grads(model):
    return {n: p.grad for n, p in model.named_parameters()}


CASES = {
    # model, LoRA's targets (None: full finetuning), batches
    "tied": ("tied", None, "a micro-batch of none"),
    "untied": ("untied", None, "packed"),
    "qwen2 biases": ("qwen2", None, "a micro-batch of none"),
    "padding_idx unset": ("tied, no padding_idx", None, "packed"),
    "one token": ("tied", None, "one token"),
    "no token": ("untied", None, "no token"),
    "lora": ("tied", ["q_proj", "v_proj"], "packed"),
    "lora, head": ("untied", ["q_proj", "down_proj", "lm_head"], "a micro-batch of none"),
    "lora, embedding": ("tied", ["k_proj", "embed_tokens"], "packed"),
    "lora, head, no token": ("tied", ["o_proj", "lm_head"], "no token"),
}


@pytest.mark.parametrize("case", CASES)
def test_float32_loss_and_gradients_equal_plain_autograds(case, monkeypatch, training_products):
    kind, targets, batches = CASES[case]
    model, tokenizer = _model(kind)
    model = _lora(model, targets) if targets else model.requires_grad_(True)
    batches = _batches(tokenizer, batches)
    want_loss, want = _plain_step(model, batches)
    loss, grads, calls = _fast_step(model, batches, torch.float32, monkeypatch)

    fused = not targets or "lm_head" not in targets
    assert calls["linear"] and calls["norm"]
    assert bool(calls["head"]) == fused
    assert loss == pytest.approx(want_loss, rel=1e-5, abs=1e-5)
    for name, grad in want.items():
        assert (grads[name] is None) == (grad is None), name
        if grad is not None:
            # float32 rounding of sums in other orders: ~1e-6 of the largest entry
            scale = max(float(grad.abs().max()), 1e-3)
            torch.testing.assert_close(grads[name].double(), grad, atol=1e-5 * scale, rtol=0)


def test_many_chunks_and_vocabulary_blocks_give_plain_autograds(monkeypatch, training_products):
    # 128 tokens a chunk (the least), 64 rows a block of the 259-token vocabulary (the last short)
    monkeypatch.setattr(loss_module, "CHUNK_LOGITS", 1)
    monkeypatch.setattr(loss_module, "BLOCK_BYTES", 1)
    model, tokenizer = _model("tied")
    model.requires_grad_(True)
    batches = _batches(tokenizer, "packed", copies=3)
    assert loss_module.vocabulary_block(model.lm_head.weight) == 64
    assert int((batches[1]["targets"] != IGNORE).sum()) > 2 * 128  # 3 chunks, the last short
    want_loss, want = _plain_step(model, batches)
    loss, grads, calls = _fast_step(model, batches, torch.float32, monkeypatch)
    assert calls["head"] == 2
    assert loss == pytest.approx(want_loss, rel=1e-5)
    for name, grad in want.items():
        torch.testing.assert_close(
            grads[name].double(), grad, atol=1e-5 * float(grad.abs().max()), rtol=0
        )


@pytest.mark.parametrize("targets", [None, ["q_proj", "v_proj"]])
def test_in_bfloat16_the_float32_kernels_step_aside_and_the_gradients_are_bfloat16s(
    targets, monkeypatch
):
    model, tokenizer = _model("tied")
    model = _lora(model, targets) if targets else model.requires_grad_(True)
    batches = _batches(tokenizer, "a micro-batch of none")
    want_loss, want = _plain_step(model, batches)
    loss, grads, calls = _fast_step(model, batches, torch.bfloat16, monkeypatch)
    _, plain = _plain_step(model, batches, torch.bfloat16)  # bfloat16's own error, unfused

    assert calls["linear"] == calls["norm"] == 0 and calls["head"] == 2
    assert loss == pytest.approx(want_loss, rel=1e-2)

    def error(got):
        return max(
            float((got[n].double() - g).abs().max() / g.abs().max())
            for n, g in want.items()
            if g is not None
        )

    assert error(grads) < 3 * error(plain)
