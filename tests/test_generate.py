"""`generate` decodes many prompts together, a finished reply making room for the next prompt,
and still gives each greedy prompt the reply `model.generate` gives it alone."""

from __future__ import annotations

import pytest
import torch

from tunelab.generation.generate import eos_ids, generate
from tunelab.models.random_shapes import TINY_SHAPE
from tunelab.models.random_weights import tiny_random

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


def alone(model, tokenizer, prompt: str, max_new_tokens: int) -> tuple[str, int, str]:
    """What plain `model.generate` replies to one prompt, unpadded: the text, the tokens it
    generated (an EOS it stopped at included), and why it ended."""
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
    text = tokenizer.decode(out[:n], skip_special_tokens=True).strip()
    return (text, n + 1, "stop") if n < len(out) else (text, n, "length")


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
    lengths = {n for _, n, _ in expected}
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
    assert [(r.text, r.completion_tokens, r.finish_reason) for r in replies] == expected
    assert sum(finished) == len(PROMPTS)  # each reply reported once, as it finished


def test_a_long_prompt_waits_for_short_ones_rather_than_widening_every_row(talkative, monkeypatch):
    # All prompts joined at once: one 7,800-token RAG prompt among short ones had every row
    # prefilled and decoded at its width (6 minutes for 10 questions, 2 one at a time).
    from tunelab.generation.decode import Batch

    model, tokenizer = talkative
    prompts = [*PROMPTS[:4], " ".join(["word"] * 200)]
    joined: list[list[int]] = []
    real_join = Batch.join
    monkeypatch.setattr(
        Batch, "join", lambda self, ps: joined.append([len(p) for p in ps]) or real_join(self, ps)
    )
    replies = generate(model, tokenizer, prompts, max_new_tokens=30, batch_size=8)
    assert [(r.text, r.completion_tokens, r.finish_reason) for r in replies] == [
        alone(model, tokenizer, p, 30) for p in prompts
    ]
    longest = max(max(j) for j in joined)
    assert longest > 500 and [longest] in joined  # it joined alone, after the others
    assert all(max(j) <= 2 * min(j) + 64 for j in joined)


def test_a_checkpoints_repetition_penalty_applies_as_in_model_generate():
    model, tokenizer = tiny_random(initializer_range=0.2)
    model.generation_config.repetition_penalty = 1.5
    replies = generate(model, tokenizer, PROMPTS, max_new_tokens=20, batch_size=3)
    assert [(r.text, r.completion_tokens, r.finish_reason) for r in replies] == [
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
    # Any integer is a seed, as the server takes it: a hash or a 2**70 failed in torch's
    # manual_seed ("Overflow when unpacking long long"); torch reads seeds modulo 2**64.
    assert texts(temperature=1.0, seed=4 + 2**70) == texts(temperature=1.0, seed=4 + 2**64 * 3)
    assert texts(temperature=1.0, seed=-1) == texts(temperature=1.0, seed=2**64 - 1)


def test_a_seeded_sample_is_the_same_whatever_the_batch_size(talkative):
    # Each prompt draws from its own generator: one shared by the batch gave each batch size
    # (and a prompt asked alone) a different sample.
    model, tokenizer = talkative

    def texts(prompts: list[str], batch_size: int) -> list[str]:
        replies = generate(
            model,
            tokenizer,
            prompts,
            max_new_tokens=30,
            temperature=1.0,
            seed=4,
            batch_size=batch_size,
        )
        return [r.text for r in replies]

    batched = texts(PROMPTS, 8)
    assert texts(PROMPTS, 1) == texts(PROMPTS, 3) == batched
    assert texts(PROMPTS[:1], 1) == batched[:1]


def test_a_windowed_model_answers_prompts_with_a_shared_start_as_each_alone():
    # The shared start is read once only without windowed attention: its window counts columns,
    # and the padding after the start pushed it out of the window of the shorter prompt.
    from transformers import MistralConfig, MistralForCausalLM

    _, tokenizer = tiny_random()
    torch.manual_seed(0)
    shape = TINY_SHAPE | {"vocab_size": len(tokenizer), "initializer_range": 0.2}
    model = MistralForCausalLM(MistralConfig(**shape, sliding_window=5))
    prompts = ["abcde", "abcdefghijklmnopqrstuvwxyz"]
    replies = generate(model, tokenizer, prompts, max_new_tokens=10)
    assert [(r.text, r.completion_tokens, r.finish_reason) for r in replies] == [
        alone(model, tokenizer, p, 10) for p in prompts
    ]


def test_a_float64_model_picks_from_float32_logits_as_model_generate_does():
    # transformers' generate rounds the logits to float32 before it picks, and so does
    # generate(): picking in the model's dtype would part from model.generate at a near tie.
    model, tokenizer = tiny_random(tie_word_embeddings=False)
    model = model.double()
    ids = tokenizer("hi", add_special_tokens=False, return_tensors="pt").input_ids
    seen = []
    model.lm_head.register_forward_hook(lambda module, args, out: seen.append(args[0][0, -1]))
    logits = model(ids).logits[0, -1]
    best = int(logits.argmax())
    other = best + 1 + int(logits[best + 1 :].argmax())
    hidden = seen[0]
    with torch.no_grad():  # make `other` 1e-12 likelier than `best`: a tie in float32
        model.lm_head.weight[other] += (
            (logits[best] + 1e-12 - logits[other]) * hidden / hidden.dot(hidden)
        )
    assert int(model(ids).logits[0, -1].argmax()) == other  # the model's own pick
    text = generate(model, tokenizer, ["hi"], max_new_tokens=1)[0].text
    assert text == alone(model, tokenizer, "hi", 1)[0] == tokenizer.decode([best]).strip()
    assert text != tokenizer.decode([other]).strip()


def test_a_top_p_of_zero_keeps_the_likeliest_token():
    # It used to drop every token (the top one's mass before it, 0, is not below 0): multinomial
    # then failed on a row of zeros.
    from tunelab.generation.next_token import choose

    logits = torch.tensor([[0.1, 3.0, -1.0], [2.0, 0.0, 1.0]])
    for top_p in (0.0, 1e-50):
        assert choose(logits, 1.0, top_p, torch.Generator().manual_seed(0)).tolist() == [1, 0]


def test_a_reply_ends_where_the_context_does_and_a_prompt_that_fills_it_is_named():
    from tunelab.generation.generate import answer
    from tunelab.generation.reply_room import PromptTooLong

    model, tokenizer = tiny_random(max_position_embeddings=64)
    prompt = "hello world " * 5
    prompt_tokens = len(tokenizer(prompt, add_special_tokens=False).input_ids)
    assert prompt_tokens < 64
    reply = generate(model, tokenizer, [prompt, "hi"], max_new_tokens=100, batch_size=2)
    assert (reply[0].finish_reason, reply[0].completion_tokens) == ("length", 64 - prompt_tokens)
    assert reply[1].prompt_tokens + reply[1].completion_tokens <= 64
    with pytest.raises(PromptTooLong, match=r"1 question \(as 'qa'\) leaves no room") as err:
        answer(model, tokenizer, ["short", "a long question " * 9], template="qa")
    assert "a long question'" in str(err.value) and "context of 64 tokens" in str(err.value)
    with pytest.raises(PromptTooLong, match=r"^2 prompts leave no room.*; shorten them$"):
        generate(model, tokenizer, ["a " * 70, "b " * 70, "hi"])
    # For a caller to whom a prompt too long is one reply it cannot have:
    replies = generate(model, tokenizer, ["a " * 70, "hi"], max_new_tokens=3, too_long="skip")
    assert replies[0] is None and replies[1].completion_tokens == 3
    assert generate(model, tokenizer, ["a " * 70], too_long="skip") == [None]


def test_a_test_row_too_long_to_ask_is_named_by_its_file_and_line():
    # Eval asks a row's whole conversation, so its last question alone could not find it.
    from tunelab.data.example import Example
    from tunelab.generation.generate import answer
    from tunelab.generation.reply_room import PromptTooLong

    model, tokenizer = tiny_random(max_position_embeddings=64)
    rows = [
        Example.qa("short", "yes", source="test.jsonl:1"),
        Example.qa("a long question " * 9, "no", source="test.jsonl:2"),
    ]
    with pytest.raises(PromptTooLong, match=r"1 question \(as 'qa'\) leaves no room") as err:
        answer(model, tokenizer, rows, template="qa")
    assert "context of 64 tokens: test.jsonl:2 (" in str(err.value)


def test_settings_a_caller_can_get_wrong_are_named_not_a_torch_traceback():
    # An empty prompt failed deep in the embedding ("Expected tensor for argument #1 'indices'"),
    # batch_size 0 with a TypeError, a nan temperature in torch.multinomial, and a negative one
    # was silently greedy.
    from tunelab.errors import TunelabError

    model, tokenizer = tiny_random()
    wrong = [
        ({"prompts": ["hi", ""]}, r"prompt 1 is empty"),
        ({"batch_size": 0}, r"batch_size must be at least 1, not 0"),
        ({"temperature": -1.0}, r"temperature must be 0 \(greedy\) or more, not -1"),
        ({"temperature": float("nan")}, r"temperature must be 0 \(greedy\) or more, not nan"),
        ({"top_p": 1.5}, r"top_p must lie in \[0, 1\], not 1.5"),
    ]
    for settings, message in wrong:
        asked = {"prompts": ["hi"], "max_new_tokens": 2, **settings}
        with pytest.raises(TunelabError, match=message):
            generate(model, tokenizer, **asked)
