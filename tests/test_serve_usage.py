"""What `usage` says a request cost, counted as vLLM counts it: every token the model generated,
the end-of-sequence token that ended the reply included (it was sampled like any other)."""

from __future__ import annotations

import json

import pytest
import torch
from fastapi.testclient import TestClient

from tunelab.data.prompts.templates import Prompt
from tunelab.models.random_weights import tiny_random
from tunelab.serve.engine import Engine
from tunelab.serve.server import create_app

PROMPT = "Hello there"
MESSAGES = [{"role": "user", "content": "Tell me a story"}]


@pytest.fixture(params=[False, True], ids=["completion", "chat"])
def ending_at_third_token(request):
    """(chat, client): a server whose model ends its greedy reply (to MESSAGES or to PROMPT) at the third token it
    generates: that token is made one of its EOS tokens."""
    chat = request.param
    model, tokenizer = tiny_random(initializer_range=0.2)  # replies that do not repeat one token
    text = Prompt().chat(MESSAGES, tokenizer) if chat else PROMPT
    ids = tokenizer(text, add_special_tokens=False).input_ids
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=3, do_sample=False)
    first, second, third = out[0, len(ids) :].tolist()
    assert third not in (first, second, tokenizer.eos_token_id)
    model.generation_config.eos_token_id = [tokenizer.eos_token_id, third]
    engine = Engine(model, tokenizer, name="tiny")
    yield chat, TestClient(create_app({"tiny": engine}))
    engine.close()


def streamed_usage(client: TestClient, path: str, body: dict) -> dict:
    options = {"stream": True, "stream_options": {"include_usage": True}}
    events = client.post(path, json={**body, **options}).text.split("data: ")
    assert events[-1].strip() == "[DONE]"
    return json.loads(events[-2])["usage"]


def test_the_eos_token_that_ended_a_reply_counts_in_its_usage(ending_at_third_token):
    chat, client = ending_at_third_token
    path, body = (
        ("/v1/chat/completions", {"messages": MESSAGES})
        if chat
        else ("/v1/completions", {"prompt": PROMPT})
    )
    body = {**body, "model": "tiny", "max_tokens": 10, "temperature": 0}
    answer = client.post(path, json=body).json()
    assert answer["choices"][0]["finish_reason"] == "stop"
    # Two tokens of text and the EOS token: three, as vLLM's usage says.
    assert answer["usage"]["completion_tokens"] == 3
    assert answer["usage"]["total_tokens"] == answer["usage"]["prompt_tokens"] + 3
    assert streamed_usage(client, path, body) == answer["usage"]


@pytest.mark.parametrize("ending_at_third_token", [False], indirect=True)  # completions only
def test_completion_logprobs_list_the_eos_token_that_ended_the_reply(ending_at_third_token):
    # As vLLM's do (its logprobs follow the output token ids usage counts): one entry per token
    # counted, the EOS last, at the end of the text it adds nothing to.
    _, client = ending_at_third_token
    body = {"model": "tiny", "prompt": PROMPT, "max_tokens": 10, "temperature": 0, "logprobs": 1}
    answer = client.post("/v1/completions", json=body).json()
    (choice,) = answer["choices"]
    logprobs = choice["logprobs"]
    assert len(logprobs["tokens"]) == answer["usage"]["completion_tokens"] == 3
    assert "".join(logprobs["tokens"][:2]) == choice["text"]
    assert logprobs["text_offset"][-1] == len(PROMPT + choice["text"])  # offsets count the prompt
    assert logprobs["token_logprobs"][-1] < 0 and len(logprobs["top_logprobs"]) == 3


def test_generate_counts_a_replys_tokens_as_the_servers_usage_does():
    # Eval rows' completion_tokens and the answering bar's tok/s came from generate(), which left
    # out the EOS a reply ended at: one token fewer than the server said for the same reply.
    from tunelab.generation.generate import generate

    model, tokenizer = tiny_random(initializer_range=0.2)
    model.generation_config.eos_token_id = [tokenizer.eos_token_id, 81, 52]  # replies that end
    prompts = ["hi", "medium prompt here", "Tell me a story about a cat.", "?"]
    local = generate(model, tokenizer, prompts, max_new_tokens=30)
    assert {g.finish_reason for g in local} == {"stop", "length"}
    engine = Engine(model, tokenizer, name="tiny")
    client = TestClient(create_app({"tiny": engine}))
    for prompt, generation in zip(prompts, local):
        body = {"model": "tiny", "prompt": prompt, "max_tokens": 30, "temperature": 0}
        served = client.post("/v1/completions", json=body).json()
        assert served["choices"][0]["finish_reason"] == generation.finish_reason
        assert served["usage"]["completion_tokens"] == generation.completion_tokens
    engine.close()
