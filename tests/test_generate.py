"""`generate` decodes many prompts together, a finished reply making room for the next prompt,
and still gives each greedy prompt the reply `model.generate` gives it alone."""

from __future__ import annotations

import pytest
import torch

from tunelab.generate import eos_ids, generate
from tunelab.models import tiny_random

PROMPTS = [
    "hi",
    "a much longer prompt with many words in it, so that the others are padded",
    "medium prompt here",
    "x y",
    "what is the capital of france and why",
    "ok",
    "Tell me a story about a cat.",
    "?",
]


@pytest.fixture(scope="module")
def talkative():
    """A random model whose replies vary in length: larger weights than tiny-random's default
    (which says one character forever), and two common tokens that end a reply besides EOS."""
    model, tokenizer = tiny_random(initializer_range=0.2)
    model.generation_config.eos_token_id = [tokenizer.eos_token_id, 81, 52]
    return model, tokenizer


def alone(model, tokenizer, prompt: str, max_new_tokens: int) -> tuple[str, int]:
    """What plain `model.generate` replies to one prompt, unpadded: the text, and its tokens."""
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
    stops = eos_ids(model, tokenizer)
    out = model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=stops,
        pad_token_id=tokenizer.pad_token_id,
    )[0, ids.shape[1] :].tolist()
    n = next((k for k, token in enumerate(out) if token in stops), len(out))
    return tokenizer.decode(out[:n], skip_special_tokens=True).strip(), n


# A system prompt every prompt starts with is read once and shared by all rows.
SYSTEM = "<|system|>Answer briefly.<|user|>{}<|assistant|>"


@pytest.mark.parametrize("batch_size", [1, 3, 8])
@pytest.mark.parametrize("template", ["{}", SYSTEM])
def test_greedy_replies_are_each_prompts_reply_alone_whatever_the_batch(
    talkative, batch_size, template
):
    model, tokenizer = talkative
    prompts = [template.format(p) for p in PROMPTS]
    expected = [alone(model, tokenizer, p, 30) for p in prompts]
    lengths = {n for _, n in expected}
    assert len(lengths) > 3 and 30 in lengths  # replies end at different steps, some run out

    finished: list[int] = []
    replies = generate(
        model,
        tokenizer,
        prompts,
        max_new_tokens=30,
        batch_size=batch_size,
        on_batch=lambda done: finished.append(len(done)),
    )
    assert [(r.text, r.completion_tokens) for r in replies] == expected
    assert [r.finish_reason for r in replies] == [
        "length" if n == 30 else "stop" for _, n in expected
    ]
    assert sum(finished) == len(PROMPTS)  # each reply reported once, as it finished


def test_a_checkpoints_repetition_penalty_applies_as_in_model_generate():
    model, tokenizer = tiny_random(initializer_range=0.2)
    model.generation_config.repetition_penalty = 1.5
    replies = generate(model, tokenizer, PROMPTS, max_new_tokens=20, batch_size=3)
    assert [(r.text, r.completion_tokens) for r in replies] == [
        alone(model, tokenizer, p, 20) for p in PROMPTS
    ]
    model.generation_config.repetition_penalty = 1.0
    assert [r.text for r in generate(model, tokenizer, PROMPTS, max_new_tokens=20)] != [
        r.text for r in replies
    ]


def test_sampling_with_a_seed_is_repeatable_and_differs_from_greedy(talkative):
    model, tokenizer = talkative

    def texts(**sampling) -> list[str]:
        replies = generate(model, tokenizer, PROMPTS, max_new_tokens=30, batch_size=3, **sampling)
        return [r.text for r in replies]

    first, again = texts(temperature=1.0, seed=4), texts(temperature=1.0, seed=4)
    assert first == again != texts()
