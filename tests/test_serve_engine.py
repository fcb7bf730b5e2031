"""The batching engine answers each request as if it were alone: greedy replies equal
`generate()`'s for every request, whatever joins or leaves the batch around it, however its
prompt is cut into prefill chunks, and when the cache has to grow mid-reply."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from tunelab.generation.generate import generate
from tunelab.generation.reply_text import Detokenizer
from tunelab.models.random_shapes import TINY_SHAPE
from tunelab.models.random_weights import tiny_random
from tunelab.serve import engine as engine_module
from tunelab.serve import slots
from tunelab.serve.engine import Engine
from tunelab.serve.request import Event, Request
from tunelab.serve.sampling import Sampling

PROMPTS = [
    "Hi",
    "Tell me about the sea and the ships that sail on it, far away.",
    "What is 2 + 2?",
    "A much longer prompt, " * 6 + "that spans several prefill chunks.",
    "Why?",
    "Name three colors, please",
    "x",
    "The quick brown fox jumps over the lazy dog.",
]


@pytest.fixture(scope="module")
def tiny():
    # Larger random weights than the default: replies that depend on the whole context (the
    # default tiny model repeats the prompt's last character), so a wrong cache shows.
    return tiny_random(initializer_range=0.2)


def ask(
    engine: Engine, prompt: str, max_tokens: int, stop: list[str] = (), penalty: float = 1.0
) -> threading.Event:
    """Submit a greedy completion; the returned event is set when it ends, with .text (its events'
    text joined), .finish and .request."""
    done = threading.Event()
    done.text = ""

    def emit(event: Event) -> None:
        done.text += event.text
        if event.finish_reason:
            done.finish = event.finish_reason
            done.set()

    sampling = Sampling(
        max_tokens=max_tokens, temperature=0, stop=list(stop), repetition_penalty=penalty
    )
    done.request = Request(engine.encode(prompt), sampling, emit)
    engine.submit(done.request)
    return done


def windowed_shape(tokenizer) -> dict:
    """The tiny model's shape with a 6-token window, for other families' configs; weights large
    enough that replies depend on the context."""
    return TINY_SHAPE | {
        "vocab_size": len(tokenizer),
        "initializer_range": 0.2,
        "sliding_window": 6,
    }


def alone(tiny, prompt: str, max_tokens: int, stop: list[str] | None = None) -> str:
    return generate(*tiny, [prompt], max_new_tokens=max_tokens, stop=stop)[0].text


def test_greedy_replies_equal_generate_for_every_request_as_they_join_and_leave(tiny):
    # Three slots for eight requests: some wait, join mid-batch, and take a slot a reply freed;
    # 5-token prefill chunks cut every prompt but the shortest into several.
    engine = Engine(*tiny, name="tiny", max_batch=3, prefill_chunk=5)
    try:
        lengths = [30, 7, 22, 15, 40, 3, 26, 11]
        replies = []
        for i, (prompt, n) in enumerate(zip(PROMPTS, lengths)):
            replies.append(ask(engine, prompt, n))
            time.sleep(0.01 * (i % 3))  # arrivals spread over the running steps
        assert all(r.wait(60) for r in replies)
        assert engine.load()["peak_batch"] == 3
    finally:
        engine.close()
    for prompt, n, reply in zip(PROMPTS, lengths, replies):
        assert reply.text.strip() == alone(tiny, prompt, n), prompt


def test_a_reply_longer_than_the_first_cache_grows_it_and_stays_the_same(tiny, monkeypatch):
    monkeypatch.setattr(slots, "FIRST_CAPACITY", 8)
    engine = Engine(*tiny, name="tiny", max_batch=2)
    try:
        long, short = ask(engine, PROMPTS[1], 60), ask(engine, PROMPTS[0], 5)
        assert long.wait(60) and short.wait(60)
        assert engine._cache.capacity >= len(engine.encode(PROMPTS[1])) + 59
    finally:
        engine.close()
    assert long.text.strip() == alone(tiny, PROMPTS[1], 60)
    assert short.text.strip() == alone(tiny, PROMPTS[0], 5)


def test_a_prompt_start_shared_with_the_previous_one_is_not_prefilled_again(tiny):
    # As every chat request starts with the same template and system prompt.
    system = "System: you are a careful assistant who answers briefly. User: "
    prompts = [system + p for p in PROMPTS[:4]]
    engine = Engine(*tiny, name="tiny", max_batch=2, prefill_chunk=8)
    try:
        replies = [ask(engine, p, 12) for p in prompts]
        assert all(r.wait(60) for r in replies)
        shared = len(engine.encode(system)) - 1  # the last token may merge with what follows
        assert engine.load()["reused_prompt_tokens"] >= 3 * shared
    finally:
        engine.close()
    for prompt, reply in zip(prompts, replies):
        assert reply.text.strip() == alone(tiny, prompt, 12), prompt


def answered(tiny, prompt: str, max_tokens: int, stop: list[str], max_batch: int = 2):
    """One request's reply from an engine of its own, once it has ended."""
    engine = Engine(*tiny, name="tiny", max_batch=max_batch)
    try:
        reply = ask(engine, prompt, max_tokens, stop=stop)
        assert reply.wait(60)
    finally:
        engine.close()
    return reply


def test_a_stop_string_cuts_the_reply_where_generate_cuts_it(tiny):
    full = alone(tiny, PROMPTS[2], 30)
    stop = full[6:9]
    reply = answered(tiny, PROMPTS[2], 30, [stop], max_batch=4)
    assert reply.finish == "stop"
    assert reply.text.strip() == alone(tiny, PROMPTS[2], 30, stop=[stop])


def test_the_events_join_to_the_reply_and_generate_streams_it_stripped(tiny):
    full = alone(tiny, PROMPTS[1], 30)
    stops = [full[6:9], full[20:24]]
    reply = answered(tiny, PROMPTS[1], 30, stops)
    pieces = []
    streamed = generate(*tiny, [PROMPTS[1]], max_new_tokens=30, stop=stops, on_text=pieces.append)
    assert reply.text == reply.request.text.text  # nothing sent that the stop cut
    assert reply.text.strip() == "".join(pieces) == streamed[0].text


def test_of_two_stop_strings_one_token_completes_the_first_given_cuts_as_in_generate(tiny):
    # The reply starts "<Sy": "y" and "Sy" both end at its "y"; generate() cuts at the first
    # given, "y", and keeps the "S" (cutting where the earliest one starts would drop it).
    full = alone(tiny, PROMPTS[0], 10)
    stops = [full[2], full[1:3]]
    reply = answered(tiny, PROMPTS[0], 10, stops)
    assert reply.finish == "stop"
    assert reply.text.strip() == alone(tiny, PROMPTS[0], 10, stop=stops) == full[:2]


def test_a_client_gone_at_the_first_token_is_counted_as_abandoned(tiny):
    engine = Engine(*tiny, name="tiny", max_batch=2)
    try:
        request = Request(engine.encode(PROMPTS[1]), Sampling(max_tokens=50, temperature=0), None)
        request.emit = lambda event: request.cancel()  # the client leaves on its first piece
        engine.submit(request)
        deadline = time.monotonic() + 30
        while engine.load()["abandoned"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.load()["abandoned"] == 1 and engine.load()["active"] == 0
        assert len(request.generated) == 1
    finally:
        engine.close()


def test_text_decoded_a_few_tokens_at_a_time_is_the_whole_decoding(tiny):
    _, tokenizer = tiny
    text = "Ünïcode ok: 日本語 and emoji 🙂🚀 — done.\n  spaced   words"
    ids = tokenizer(text, add_special_tokens=False).input_ids
    detok, pieces = Detokenizer(tokenizer), []
    for n in range(1, len(ids) + 1):
        piece = detok.update(ids[:n], final=n == len(ids))
        assert "\ufffd" not in piece  # a character split over tokens waits until it is whole
        pieces.append(piece)
    assert "".join(pieces) == tokenizer.decode(ids) == detok.text


def test_a_repetition_penalty_gives_the_reply_generate_gives_with_the_checkpoints(tiny):
    # The server passes the checkpoint's generation_config.repetition_penalty (Qwen2.5 ships one)
    # unless the request sets its own; generate() applies the checkpoint's, as model.generate does.
    model, tokenizer = tiny
    engine = Engine(model, tokenizer, name="tiny", max_batch=3, prefill_chunk=5)
    try:
        replies = [ask(engine, p, 20, penalty=1.5) for p in PROMPTS[:4]]
        assert all(r.wait(60) for r in replies)
    finally:
        engine.close()
    model.generation_config.repetition_penalty = 1.5
    try:
        expected = [alone(tiny, p, 20) for p in PROMPTS[:4]]
    finally:
        model.generation_config.repetition_penalty = 1.0
    assert [r.text.strip() for r in replies] == expected
    assert expected != [alone(tiny, p, 20) for p in PROMPTS[:4]]  # the penalty changed something


@pytest.mark.parametrize("kind", ["mistral", "qwen2-mixed"])
def test_sliding_window_models_answer_as_generate_does_past_their_window(kind, monkeypatch):
    # A 4D mask reaches every layer as given: the engine must draw each layer kind's window.
    from transformers import MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM

    _, tokenizer = tiny_random()
    shape = windowed_shape(tokenizer)
    torch.manual_seed(0)
    if kind == "mistral":
        model = MistralForCausalLM(MistralConfig(**shape))
    else:
        config = Qwen2Config(**shape, use_sliding_window=True, max_window_layers=1)
        assert config.layer_types == ["full_attention", "sliding_attention"]
        model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id

    def serve() -> list[str]:
        engine = Engine(model, tokenizer, name=kind, max_batch=2, prefill_chunk=4)
        try:
            replies = [ask(engine, p, 24) for p in PROMPTS[:4]]
            assert all(r.wait(60) for r in replies)
        finally:
            engine.close()
        return [r.text.strip() for r in replies]

    expected = [alone((model, tokenizer), p, 24) for p in PROMPTS[:4]]
    assert serve() == expected
    # Drawn without the windows, the replies differ: the test can see a wrong mask.
    monkeypatch.setattr(engine_module.Windows, "of", classmethod(lambda cls, config: cls()))
    assert serve() != expected


def test_a_burst_of_prompts_is_prefilled_together_beside_the_running_replies(tiny, monkeypatch):
    # Eight chat requests at once: the first prefills the shared start; the rest copy it and
    # prefill their own ends, several prompts in one forward, alongside the rows decoding.
    system = "System: you are a careful assistant who answers briefly. User: "
    prompts = [system + p for p in PROMPTS]
    forwards = []  # (decoding rows, prompt chunks) of each forward
    plan = slots.SlotCache.plan

    def record(cache, lengths, chunks, device):
        forwards.append((len(lengths), len(chunks)))
        return plan(cache, lengths, chunks, device)

    monkeypatch.setattr(slots.SlotCache, "plan", record)
    engine = Engine(*tiny, name="tiny", max_batch=8, prefill_chunk=512)
    try:
        replies = [ask(engine, p, 16) for p in prompts]
        assert all(r.wait(60) for r in replies)
        shared = len(engine.encode(system)) - 1
        assert engine.load()["reused_prompt_tokens"] >= 7 * shared
    finally:
        engine.close()
    assert max(chunks for _, chunks in forwards) == engine_module.PREFILL_SLOTS
    assert any(rows and chunks for rows, chunks in forwards)  # prompts beside decoding rows
    for prompt, reply in zip(prompts, replies):
        assert reply.text.strip() == alone(tiny, prompt, 16), prompt


def test_a_model_with_its_own_eager_attention_keeps_it_when_served():
    # Gemma 2 soft-caps its attention scores in its own eager function; the engine's split of a
    # mixed forward must call that one, and other forwards of the model must still run it.
    from transformers import Gemma2Config, Gemma2ForCausalLM

    _, tokenizer = tiny_random()
    config = Gemma2Config(
        **windowed_shape(tokenizer),
        head_dim=16,
        attn_logit_softcapping=2.0,
        final_logit_softcapping=None,
        tie_word_embeddings=False,  # tied, the scaled embedding drowns the context
        attn_implementation="eager",
    )
    torch.manual_seed(0)
    model = Gemma2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    expected = [alone((model, tokenizer), p, 20) for p in PROMPTS[:4]]
    engine = Engine(model, tokenizer, name="gemma2", max_batch=2, prefill_chunk=4)
    try:
        replies = [ask(engine, p, 20) for p in PROMPTS[:4]]
        assert all(r.wait(60) for r in replies)
    finally:
        engine.close()
    assert [r.text.strip() for r in replies] == expected
    assert [alone((model, tokenizer), p, 20) for p in PROMPTS[:4]] == expected
    for layer in model.model.layers:  # the cap matters to these replies
        layer.self_attn.attn_logit_softcapping = None
    assert [alone((model, tokenizer), p, 20) for p in PROMPTS[:4]] != expected


def test_a_failure_sampling_a_prompts_first_token_is_told_to_its_client(tiny, monkeypatch):
    # The request used to leave the staging list before its first token was picked: a failure
    # there reached no list the error handler tells, and its client waited forever.
    pick = engine_module.pick_tokens

    def fail_for_one_row(rows, logits):
        if len(rows) == 1 and rows[0].prompt_ids == engine.encode(PROMPTS[2]):
            raise RuntimeError("sampling failed")
        return pick(rows, logits)

    monkeypatch.setattr(engine_module, "pick_tokens", fail_for_one_row)
    engine = Engine(*tiny, name="tiny", max_batch=2)
    try:
        reply = ask(engine, PROMPTS[2], 5)
        assert reply.wait(60)
        assert reply.finish == "error"
        assert engine.load()["active"] == 0 and engine.load()["queued"] == 0
    finally:
        engine.close()
