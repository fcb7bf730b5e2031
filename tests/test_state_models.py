"""Models that carry state along a row other than through attention (architecture.carries_state: a
convolution over time, a recurrence) decode, score and serve as each prompt alone would."""

from __future__ import annotations

import pytest
import torch
import transformers

from tunelab.errors import TunelabError
from tunelab.evaluate.bench.loglik import Request, encode_pair, loglikelihoods
from tunelab.generation import generate as generate_module
from tunelab.generation.generate import generate
from tunelab.models.architecture import carries_state
from tunelab.models.random_shapes import TINY_SHAPE
from tunelab.models.random_weights import tiny_tokenizer
from tunelab.serve.engine import Engine

FAMILIES = {
    "lfm2": ("Lfm2ForCausalLM", "Lfm2Config", {"layer_types": ["conv", "full_attention"]}),
    "recurrent gemma": (
        "RecurrentGemmaForCausalLM",
        "RecurrentGemmaConfig",
        {"block_types": ["recurrent", "attention"]},
    ),
    "mamba": ("MambaForCausalLM", "MambaConfig", {}),
}

# Prompts of different lengths that start alike: batched, they would be padded and share a prefix.
PROMPTS = [
    "<|system|>Be brief.<|user|>hi",
    "<|system|>Be brief.<|user|>a much longer prompt, so that the others would be padded",
    "<|system|>Be brief.<|user|>medium prompt",
]


def stateful(family: str):
    """A tiny random model of `family`, its weights large enough that it says varied things."""
    cls, config, settings = FAMILIES[family]
    tokenizer = tiny_tokenizer()
    config = getattr(transformers, config)(**TINY_SHAPE, vocab_size=len(tokenizer), **settings)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(0)
        model = getattr(transformers, cls)(config).eval()
        for weight in model.parameters():
            if weight.dim() > 1:
                weight.normal_(0, 0.5)
    assert carries_state(model)
    return model, tokenizer


def alone(model, tokenizer, prompt: str, max_new_tokens: int) -> list[int]:
    """The reply's tokens plain `model.generate` gives one prompt, greedy."""
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=max_new_tokens, do_sample=False)
    return out[0, ids.shape[1] :].tolist()


def picked(monkeypatch) -> dict[int, list[int]]:
    """Each prompt's reply tokens, as `generate` picks them (its text may not show a stray byte)."""
    tokens: dict[int, list[int]] = {}
    pick = generate_module.pick

    def spy(rows, logits, *args):
        chosen = pick(rows, logits, *args)
        for row, token in zip(rows, chosen.tolist()):
            tokens.setdefault(row.index, []).append(token)
        return chosen

    monkeypatch.setattr(generate_module, "pick", spy)
    return tokens


@pytest.mark.parametrize("family", FAMILIES)
def test_greedy_replies_of_a_model_that_carries_state_are_model_generates(family, monkeypatch):
    model, tokenizer = stateful(family)
    model.generation_config.eos_token_id = None  # every reply runs its 12 tokens
    expected = [alone(model, tokenizer, p, 12) for p in PROMPTS]
    tokens = picked(monkeypatch)

    replies = generate(model, tokenizer, PROMPTS, max_new_tokens=12, batch_size=8)
    assert [tokens[i] for i in range(len(PROMPTS))] == expected
    assert [r.completion_tokens for r in replies] == [12] * len(PROMPTS)


def test_choices_of_a_model_that_carries_state_score_as_each_alone():
    # Packed behind one context, a recurrence would run from one choice into the next.
    model, tokenizer = stateful("lfm2")
    requests = [
        Request("Question: Which gas do plants take in?\nAnswer:", [" oxygen", " CO2", " He"]),
        Request("Q: Can pigs fly?\nA:", [" No, pigs cannot fly.", " Yes."]),
    ]
    seen = []
    scores = loglikelihoods(
        model, tokenizer, requests, batch_size=2, on_progress=lambda d, t: seen.append((d, t))
    )
    for request, got in zip(requests, scores):
        expected = [each_alone(model, tokenizer, request.context, c) for c in request.continuations]
        assert got == pytest.approx(expected, rel=1e-5)
    assert seen == [(0, 2), (1, 2), (2, 2)]  # the bar moves after each question, not at the end


def each_alone(model, tokenizer, context: str, continuation: str) -> float:
    """The log-likelihood of `continuation` from one forward pass on context + continuation."""
    ctx, cont = encode_pair(tokenizer, context, continuation)
    with torch.no_grad():
        logprobs = model(torch.tensor([ctx + cont])).logits.float().log_softmax(-1)[0]
    return sum(logprobs[len(ctx) - 1 + j, t].item() for j, t in enumerate(cont))


def test_the_server_refuses_a_model_that_carries_state_and_says_what_to_use():
    # Its slot cache holds keys and values only: a recurrence's state would be lost between steps.
    model, tokenizer = stateful("mamba")
    with pytest.raises(TunelabError, match=r"cannot serve 'tiny-mamba'.*tunelab chat tiny-mamba"):
        Engine(model, tokenizer, name="tiny-mamba")


def test_training_gives_a_model_that_carries_state_one_document_a_row(
    tmp_path, qa_file, monkeypatch, capsys
):
    # Decided once before the first step, for the test split's rows too: the step never splits
    # packed rows (each document padded to the longest of the batch's would take more memory).
    from tests.conftest import tiny_config
    from tunelab.train import loop, loss, session

    model, tokenizer = stateful("lfm2")
    monkeypatch.setattr(session, "load_model", lambda *args, **kwargs: (model, tokenizer))

    def refuse(batch):
        raise AssertionError("a packed row reached the loss")

    monkeypatch.setattr(loss, "one_document_a_row", refuse)
    config = tiny_config(tmp_path, qa_file, method="full", max_steps=2, eval_every=1, lr=1e-5)
    config.data.max_length = 512  # room for several documents a row, train and test alike
    loop.train(config)
    assert "data.packing off: Lfm2ForCausalLM carries state" in capsys.readouterr().out


def test_attention_models_keep_packing(tiny):
    from tunelab.train.setup import row_packing

    model, _ = tiny
    assert row_packing(model, True) == (True, None)


def test_a_one_token_prompt_after_another_starts_from_no_state(monkeypatch):
    # RecurrentGemma keeps its state in its modules, and a prompt of one token takes its decoding
    # branch, which reads the state the prompt before left (model.generate itself does so).
    model, tokenizer = stateful("recurrent gemma")
    model.generation_config.eos_token_id = None
    assert len(tokenizer("x", add_special_tokens=False).input_ids) == 1
    tokens = picked(monkeypatch)
    generate(model, tokenizer, ["x"], max_new_tokens=6)  # a fresh model: no state yet
    first = tokens.pop(0)
    generate(model, tokenizer, [PROMPTS[1], "x"], max_new_tokens=6, batch_size=8)
    assert tokens[1] == first
