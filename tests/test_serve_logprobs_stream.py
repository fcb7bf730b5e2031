"""Log-probabilities streamed by `tunelab serve`, as OpenAI and vLLM stream them: each chunk's
choice carries those of the tokens of its delta, on /v1/chat/completions (`logprobs.content`)
and /v1/completions (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`), and together
they are the unstreamed answer's (test_serve_logprobs.py)."""

from __future__ import annotations

from collections import defaultdict

import openai
import pytest

from tunelab.serve.launch import load_engines
from tunelab.serve.server import create_app
from tunelab.web import running

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
LEGACY = ("tokens", "token_logprobs", "top_logprobs", "text_offset")


@pytest.fixture(scope="module")
def client():
    engines = load_engines(["tiny-random"], max_batch=4)
    with running(create_app(engines)) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
    for engine in engines.values():
        engine.close()


def test_streamed_chat_logprobs_are_the_unstreamed_ones_chunk_by_chunk(client):
    asked = dict(
        model="tiny-random", messages=QUESTION, max_tokens=10, n=2, seed=5,
        logprobs=True, top_logprobs=2,
    )  # fmt: skip
    whole = client.chat.completions.create(**asked)
    stream = client.chat.completions.create(
        **asked, stream=True, stream_options={"include_usage": True}
    )
    tokens, texts, usage = defaultdict(list), defaultdict(str), None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.logprobs is not None:
                tokens[choice.index] += choice.logprobs.content
    assert usage.completion_tokens == whole.usage.completion_tokens
    for choice in whole.choices:
        streamed, answered = tokens[choice.index], choice.logprobs.content
        assert texts[choice.index] == choice.message.content
        assert [t.token for t in streamed] == [t.token for t in answered]
        assert [t.logprob for t in streamed] == pytest.approx(
            [t.logprob for t in answered], abs=1e-4
        )
        for mine, theirs in zip(streamed, answered):
            assert [t.token for t in mine.top_logprobs] == [t.token for t in theirs.top_logprobs]
        # The streamed tokens spell the streamed text (less the gap its template left before it).
        spelled = b"".join(bytes(t.bytes) for t in streamed).decode(errors="replace")
        assert spelled.lstrip() == texts[choice.index]


@pytest.mark.parametrize(
    "sampling",
    [
        {"temperature": 0},
        {"temperature": 0, "extra_body": {"repetition_penalty": 1.3}},
        # Sampled, its text bytes split across tokens; cut by a stop string, held back a while.
        {"seed": 2},
        {"seed": 2, "stop": ["@\x7f", "\x02"]},
    ],
)
def test_streamed_completion_logprobs_are_the_unstreamed_ones(client, sampling):
    # The log-probabilities are the model's own, before a penalty changes the pick; a stop string
    # cut, the tokens are those up to it, as unstreamed.
    asked = dict(
        model="tiny-random", prompt=["Hello there", "The sky is"], max_tokens=10, logprobs=2,
        **sampling,
    )  # fmt: skip
    whole = client.completions.create(**asked)
    joined = defaultdict(lambda: {"text": "", **{field: [] for field in LEGACY}})
    for chunk in client.completions.create(**asked, stream=True):
        for choice in chunk.choices:
            got, logprobs = joined[choice.index], choice.logprobs
            if "temperature" in sampling:  # whole characters: each chunk's tokens spell its text
                assert "".join(logprobs.tokens) == choice.text
            got["text"] += choice.text
            for field in LEGACY:
                got[field] += getattr(logprobs, field)
    for choice in whole.choices:
        got, answered = joined[choice.index], choice.logprobs
        assert got["text"] == choice.text and got["tokens"] == answered.tokens
        assert got["text_offset"] == answered.text_offset
        assert got["token_logprobs"] == pytest.approx(answered.token_logprobs, abs=1e-4)
        for mine, theirs in zip(got["top_logprobs"], answered.top_logprobs):
            assert mine.keys() == theirs.keys()
            assert list(mine.values()) == pytest.approx(list(theirs.values()), abs=1e-4)
    if "stop" in sampling:
        assert whole.choices[1].finish_reason == "stop"
