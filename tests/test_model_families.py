"""Training's loss on model families that are not Llama's shape: the loss and gradients of
tunelab.train.loss equal the model's own forward, each document alone, whatever the family does
to its logits (scales, softcaps) or carries along a row (convolutions, recurrences)."""

from __future__ import annotations

import copy

import pytest
import torch
import transformers

from tunelab.data.example import Example
from tunelab.data.pack import collate
from tunelab.data.tokenize import IGNORE, tokenize_example
from tunelab.models.architecture import carries_state, decoder_and_head
from tunelab.models.random_shapes import TINY_SHAPE
from tunelab.models.random_weights import tiny_tokenizer
from tunelab.train.loss import token_loss_sum

PAIRS = [(f"Question {i}?" + " more" * (i % 3), f"Answer {i}." * (1 + i % 3)) for i in range(5)]


def _model(cls: str, config: str, **settings):
    tokenizer = tiny_tokenizer()
    config = getattr(transformers, config)(**TINY_SHAPE, vocab_size=len(tokenizer), **settings)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = getattr(transformers, cls)(config)
    return model.train().requires_grad_(True), tokenizer


def _documents(tokenizer):
    return [tokenize_example(Example.qa(q, a), tokenizer, "chat") for q, a in PAIRS]


def _each_alone(model, documents):
    """The model's own loss (labels, its forward) summed over each document alone, and its
    gradients."""
    model = copy.deepcopy(model)
    total = 0.0
    for item in documents:
        labels = torch.tensor([item.labels])
        out = model(input_ids=torch.tensor([item.input_ids]), labels=labels, use_cache=False)
        loss = out.loss * int((labels[0, 1:] != IGNORE).sum())
        loss.backward()
        total += loss.item()
    return total, {n: p.grad for n, p in model.named_parameters()}


def _packed(model, documents):
    """tunelab's loss on the documents packed into two rows, and its gradients."""
    model = copy.deepcopy(model)
    batch = collate([documents[:3], documents[3:]], 2)
    assert (batch["position_ids"][:, 1:] < batch["position_ids"][:, :-1]).any()  # packed
    loss, _ = token_loss_sum(model, batch)
    loss.backward()
    return loss.item(), {n: p.grad for n, p in model.named_parameters()}


def _assert_same(got, want):
    got_loss, got_grads = got
    want_loss, want_grads = want
    assert got_loss == pytest.approx(want_loss, rel=1e-5)
    for name, grad in want_grads.items():
        # a floor for gradients that are rounding alone (MiniMax's 1e-10 on some weights)
        scale = max(float(grad.abs().max()), 1e-4)
        torch.testing.assert_close(got_grads[name], grad, atol=1e-4 * scale, rtol=0)


FAMILIES = {
    # Granite divides its logits by `logits_scaling`; HyperCLOVAX multiplies them by it.
    "granite": ("GraniteForCausalLM", "GraniteConfig", {"logits_scaling": 8.0}),
    "hyperclovax": ("HyperCLOVAXForCausalLM", "HyperCLOVAXConfig", {"logits_scaling": 0.25}),
    "cohere": ("CohereForCausalLM", "CohereConfig", {"logit_scale": 0.5}),
    "gemma2, softcapped": ("Gemma2ForCausalLM", "Gemma2Config", {"head_dim": 16}),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_model_that_changes_its_logits_trains_on_its_own_loss(family):
    model, tokenizer = _model(*FAMILIES[family][:2], **FAMILIES[family][2])
    documents = _documents(tokenizer)
    _assert_same(_packed(model, documents), _each_alone(model, documents))
    assert decoder_and_head(model) is None  # not fused: the projection alone is not the logits


@pytest.mark.parametrize(
    "cls, config, settings",
    [
        ("LlamaForCausalLM", "LlamaConfig", {}),
        ("Qwen2ForCausalLM", "Qwen2Config", {}),
        ("GPT2LMHeadModel", "GPT2Config", {"n_embd": 64, "n_layer": 1, "n_head": 4}),
        # Gemma 2 and 3 softcap only when the config says so (Gemma 3 1B does not)
        ("Gemma2ForCausalLM", "Gemma2Config", {"final_logit_softcapping": None}),
    ],
)
def test_a_plain_projection_is_fused(cls, config, settings):
    model, _ = _model(cls, config, **settings)
    assert decoder_and_head(model) is not None


@pytest.mark.parametrize(
    "cls, config, settings",
    [
        # a short convolution over time in its first layer (LFM2)
        ("Lfm2ForCausalLM", "Lfm2Config", {"layer_types": ["conv", "full_attention"]}),
        # a recurrence (RG-LRU) and a convolution in every layer (RecurrentGemma)
        ("RecurrentGemmaForCausalLM", "RecurrentGemmaConfig", {"block_types": ["recurrent"]}),
        # linear attention, a recurrence with no convolution: known by its declared layer types
        (
            "MiniMaxForCausalLM",
            "MiniMaxConfig",
            {
                "layer_types": ["linear_attention", "full_attention"],
                "head_dim": 16,
                "num_local_experts": 2,
                "num_experts_per_tok": 1,
                "block_size": 16,
            },
        ),
    ],
)
def test_a_packed_row_of_a_model_that_carries_state_equals_each_document_alone(
    cls, config, settings
):
    model, tokenizer = _model(cls, config, **settings)
    assert carries_state(model)
    documents = _documents(tokenizer)
    _assert_same(_packed(model, documents), _each_alone(model, documents))


def test_attention_models_keep_their_packed_rows(tiny):
    model, _ = tiny
    assert not carries_state(model)


def test_a_documents_own_positions_and_padding_survive_unpacking():
    from tunelab.train.loss import one_document_a_row

    tokenizer = tiny_tokenizer()
    documents = _documents(tokenizer)
    batch = collate([documents[:2], documents[2:3]], 2)
    rows = one_document_a_row(batch)
    assert len(rows["input_ids"]) == 3
    for row, item in zip(rows["input_ids"].tolist(), documents):
        assert row[: len(item.input_ids)] == item.input_ids
    assert (rows["position_ids"] == torch.arange(rows["position_ids"].shape[1])).all()
    assert int((rows["targets"] != IGNORE).sum()) == int((batch["targets"] != IGNORE).sum())


def test_a_remote_code_recurrence_is_known_by_its_model_type():
    # RWKV-6/7 and fla's models come as trust_remote_code: their type is all a config says.
    config = type("Rwkv7Config", (transformers.PretrainedConfig,), {"model_type": "rwkv7"})()
    model = torch.nn.Module()
    model.config = config
    assert carries_state(model)


def test_a_model_type_that_only_starts_like_a_recurrent_one_is_not_a_state():
    # MiniMax-M2 is attention alone; MiniMax(-Text-01) has linear attention.
    for model_type, state in [("minimax_m2", False), ("minimax", True), ("lfm2_vl", True)]:
        config = type("Config", (transformers.PretrainedConfig,), {"model_type": model_type})()
        model = torch.nn.Module()
        model.config = config
        assert carries_state(model) is state, model_type


def test_a_convolution_in_another_tower_than_the_decoder_is_not_a_state():
    # Phi-4-multimodal's audio encoder convolves; its text decoder is attention alone.
    config = transformers.Phi4MultimodalConfig()
    with torch.device("meta"):
        model = transformers.Phi4MultimodalForCausalLM(config)
    assert any(isinstance(m, torch.nn.Conv1d) for m in model.modules())
    assert not carries_state(model)


class SliceIndicesLlama(transformers.LlamaForCausalLM):
    """The forward of most trust_remote_code models (and transformers 4.45-5.0's Llama)."""

    def forward(self, input_ids=None, position_ids=None, labels=None, logits_to_keep=0, **kwargs):
        outputs = self.model(input_ids=input_ids, position_ids=position_ids, **kwargs)
        hidden_states = outputs.last_hidden_state
        # Only compute necessary logits
        slice_indices = (
            slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        )
        logits = self.lm_head(hidden_states[:, slice_indices, :])
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=len(logits[0, 0]))
        return transformers.modeling_outputs.CausalLMOutputWithPast(loss=loss, logits=logits)


def _unwrapped(forward):
    def call(*args, **kwargs):  # no functools.wraps: the function's own source is hidden
        return forward(*args, **kwargs)

    return call


class DecoratedLlama(transformers.LlamaForCausalLM):
    @_unwrapped
    def forward(self, *args, **kwargs):
        return super().forward(*args, **kwargs)


class ScaledUnlessSet(transformers.LlamaForCausalLM):
    """Scales its logits when a config field is None: the `else` is not the projection alone."""

    def forward(self, input_ids=None, position_ids=None, labels=None, **kwargs):
        outputs = self.model(input_ids=input_ids, position_ids=position_ids, **kwargs)
        hidden_states = outputs.last_hidden_state
        logits = self.lm_head(hidden_states)
        if self.config.final_logit_softcapping is not None:
            logits = torch.tanh(logits / self.config.final_logit_softcapping)
        else:
            logits = logits * 2.0
        loss = None
        return transformers.modeling_outputs.CausalLMOutputWithPast(loss=loss, logits=logits)


@pytest.mark.parametrize("cls", [SliceIndicesLlama, DecoratedLlama])
def test_the_llama_forwards_of_remote_code_and_decorators_are_fused(cls):
    config = transformers.LlamaConfig(**TINY_SHAPE, vocab_size=len(tiny_tokenizer()))
    model = cls(config).train()
    assert decoder_and_head(model) is not None
    documents = _documents(tiny_tokenizer())
    _assert_same(_packed(model, documents), _each_alone(model, documents))


def test_an_if_with_an_else_around_the_logits_is_not_fused_and_says_so(caplog):
    config = transformers.LlamaConfig(**TINY_SHAPE, vocab_size=len(tiny_tokenizer()))
    config.final_logit_softcapping = None
    model = ScaledUnlessSet(config)
    with caplog.at_level("WARNING", logger="tunelab.models.architecture"):
        assert decoder_and_head(model) is None
        assert decoder_and_head(model) is None
    notes = [r.getMessage() for r in caplog.records if "ScaledUnlessSet" in r.getMessage()]
    assert len(notes) == 1 and "more memory" in notes[0]  # said once, naming the class
