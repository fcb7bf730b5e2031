"""What a request to `tunelab serve` may ask, and the refusals of what it may not: no model named,
output the server does not give, content the models cannot read, a wrong key; a parameter sent
as null takes its default."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests import test_serve
from tests.test_serve import QUESTION
from tunelab.serve.server import create_app
from tunelab.web import running

# test_serve.py's server (the tiny base and a LoRA run of it) and its openai client, started once
# for this module as for that one.
run_dir, engines, url, client = (
    test_serve.run_dir,
    test_serve.engines,
    test_serve.url,
    test_serve.client,
)


def test_a_request_without_a_model_is_told_the_ids_served(url):
    # `curl .../v1/chat/completions -d '{"messages": [...]}'` got "model: Field required" and no
    # word of what to put there.
    reply = httpx.post(
        f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["param"] == "model"
    # In the order served, as /v1/models lists them.
    assert error["message"] == "model: Field required (ids served here: tiny-random, lora-run)"


def test_a_completion_asked_for_json_is_refused_not_answered_in_free_text(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.completions.create(
            model="tiny-random", prompt="Hi", max_tokens=2,
            extra_body={"response_format": {"type": "json_object"}},
        )  # fmt: skip
    assert err.value.body["param"] == "response_format"
    plain = {"response_format": {"type": "text"}}  # asks for what it gives
    client.completions.create(model="tiny-random", prompt="Hi", max_tokens=2, extra_body=plain)


def test_asking_for_output_it_does_not_give_is_refused_rather_than_silently_dropped(client):
    # Logprobs and echo are answered (tests/test_serve_logprobs.py); these are not.
    for extra in ({"best_of": 3}, {"suffix": "end"}):
        with pytest.raises(openai.BadRequestError) as err:
            client.completions.create(model="tiny-random", prompt="Hi", max_tokens=2, **extra)
        assert err.value.body["param"] == next(iter(extra))
    # Nor is sampling it does not do taken as done; a client's defaults (0, {}) change nothing.
    for extra in (
        {"frequency_penalty": 0.5},
        {"presence_penalty": -1.0},
        {"logit_bias": {"75": -100}},
        {"extra_body": {"top_k": 5}},
        {"extra_body": {"min_p": 0.1}},
    ):
        with pytest.raises(openai.BadRequestError, match="not supported"):
            client.chat.completions.create(
                model="tiny-random", messages=QUESTION, max_tokens=2, **extra
            )
    with pytest.raises(openai.BadRequestError, match="frequency_penalty"):  # out of OpenAI's range
        client.completions.create(model="tiny-random", prompt="Hi", frequency_penalty=1e30)
    defaults = {"frequency_penalty": 0, "presence_penalty": 0, "logit_bias": {}}
    client.chat.completions.create(
        model="tiny-random", messages=QUESTION, max_tokens=2, extra_body={"top_k": -1}, **defaults
    )
    # Tool calls the reply could not hold (tests/test_serve_tool_calls.py answers them): SmolLM2's
    # template writes no tools, so none can be offered or a call required, and the old names are
    # not read.
    tool = {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}
    function = tool["function"]
    for extra, param in (
        ({"tools": [tool]}, "tools"),
        ({"tools": [tool], "tool_choice": "required"}, "tools"),
        ({"functions": [function], "function_call": {"name": "now"}}, "functions"),
    ):
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(model="tiny-random", messages=QUESTION, **extra)
        assert err.value.body["param"] == param
    text = client.chat.completions.create(
        model="tiny-random", messages=QUESTION, max_tokens=2, tools=[tool], tool_choice="none"
    )
    assert text.choices[0].message.tool_calls is None


def test_content_the_models_cannot_read_is_refused_and_text_parts_are_read_as_lines(client):
    # An image or a sound dropped in silence would leave an empty question answered with a 200.
    for part in (
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
    ):
        content = [{"type": "text", "text": "What is this?"}, part]
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(
                model="tiny-random", messages=[{"role": "user", "content": content}]
            )
        assert err.value.body["param"] == "messages.0.content.1.type"
        assert repr(part["type"]) in err.value.body["message"]

    def prompt_tokens(content) -> int:
        messages = [{"role": "user", "content": content}]
        reply = client.chat.completions.create(model="tiny-random", messages=messages, max_tokens=1)
        return reply.usage.prompt_tokens

    parts = [{"type": "text", "text": "Who wrote"}, {"type": "text", "text": "Hamlet?"}]
    assert prompt_tokens(parts) == prompt_tokens("Who wrote\nHamlet?")
    for part in ({"type": "text"}, {"type": "text", "text": None}):  # no text: not a question
        with pytest.raises(openai.BadRequestError) as err:
            prompt_tokens([parts[0], part])
        assert err.value.body["param"] == "messages.0.content.1.text"
    # Nor is a message whose content is null or missing (a client's bug): it was answered, 200.
    for message in ({"role": "user", "content": None}, {"role": "user"}):
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(model="tiny-random", messages=[message], max_tokens=1)
        assert err.value.body["param"] == "messages.0.content"
    # OpenAI refuses stream_options for a reply that is not streamed.
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(
            model="tiny-random",
            messages=QUESTION,
            max_tokens=1,
            stream_options={"include_usage": True},
        )
    assert err.value.body["param"] == "stream_options"


def test_a_parameter_sent_as_null_takes_its_default(client):
    # The openai client sends null for a parameter given as None; OpenAI's API reads it as unset.
    nulls = dict(temperature=None, top_p=None, n=None, stream=None, stop=None, seed=None)
    reply = client.chat.completions.create(
        model="tiny-random", messages=QUESTION, max_tokens=3, **nulls
    )
    assert len(reply.choices) == 1 and reply.usage.completion_tokens <= 3


def test_user_mistakes_get_openai_style_4xx_errors(client, url):
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="nope", messages=QUESTION)
    assert "tiny-random" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="tiny-random", messages=QUESTION, temperature=5)
    assert "temperature" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:  # byte-level: 3000 chars > 2048 tokens
        client.chat.completions.create(
            model="tiny-random", messages=[{"role": "user", "content": "x" * 3000}]
        )
    assert (
        err.value.body["code"] == "context_length_exceeded" and "2048" in err.value.body["message"]
    )
    broken = httpx.post(
        f"{url}/v1/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and "error" in broken.json()
    assert "Traceback" not in broken.text
    for flag in ("stream", "echo"):  # pydantic would read "yes" as true; OpenAI says 400
        loose = httpx.post(
            f"{url}/v1/completions", json={"model": "tiny-random", "prompt": "a", flag: "yes"}
        )
        assert loose.status_code == 400 and flag in loose.text, loose.text


def test_api_key_is_required_when_set(engines):
    with running(create_app(engines, api_key="s3cret")) as base:
        wrong = openai.OpenAI(base_url=f"{base}/v1", api_key="guess", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        right = openai.OpenAI(base_url=f"{base}/v1", api_key="s3cret", max_retries=0)
        assert [m.id for m in right.models.list()]
        assert httpx.get(f"{base}/health").json()["status"] == "ok"


def test_an_openai_api_the_server_does_not_offer_is_named_with_those_it_does(client):
    # It got a bare "Not Found", which named no path served.
    with pytest.raises(openai.NotFoundError) as err:
        client.embeddings.create(model="tiny-random", input="a")
    assert err.value.body == {
        "message": "Invalid URL (POST /v1/embeddings): tunelab serve answers GET /v1/models, "
        "POST /v1/chat/completions, /v1/completions and /v1/responses",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_a_chat_url_opened_with_get_is_told_it_takes_post(url):
    # A browser (or curl without a body) on the chat URL got a bare "Method Not Allowed".
    reply = httpx.get(f"{url}/v1/chat/completions", timeout=60)
    assert reply.status_code == 405 and reply.headers["allow"] == "POST"
    assert reply.json()["error"]["message"] == (
        "Method Not Allowed (GET /v1/chat/completions): tunelab serve answers GET /v1/models, "
        "POST /v1/chat/completions, /v1/completions and /v1/responses"
    )


def test_a_body_sent_to_another_endpoint_is_told_which_endpoint_takes_it(url):
    # A completion's prompt sent to the chat URL was told "messages: Field required", and a
    # chat's messages sent to /v1/completions "prompt: Field required", no more.
    def message(path: str, **body) -> str:
        reply = httpx.post(f"{url}/v1/{path}", json={"model": "tiny-random", **body}, timeout=60)
        assert reply.status_code == 400
        return reply.json()["error"]["message"]

    chat = [{"role": "user", "content": "Hi"}]
    assert message("chat/completions", prompt="Hi") == (
        "messages: Field required (prompt is /v1/completions' field)"
    )
    assert message("completions", messages=chat) == (
        "prompt: Field required (messages is /v1/chat/completions' field)"
    )
    assert message("responses", messages=chat) == (
        "input: Field required (messages is /v1/chat/completions' field)"
    )


def test_errors_carry_openais_type_param_and_code(url):
    # A wrong type had the code "invalid_request", which OpenAI never sends; an unknown model,
    # a value out of range and a parameter not taken have OpenAI's codes, most other 400s null.
    def error(status: int, **body) -> dict:
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "tiny-random", "messages": QUESTION, **body},
        )
        assert reply.status_code == status, reply.text
        error = reply.json()["error"]
        assert error.pop("type") == "invalid_request_error" and error.pop("message")
        return error

    assert error(400, temperature="0") == {"param": "temperature", "code": "invalid_type"}
    assert error(404, model="nope") == {"param": "model", "code": "model_not_found"}
    assert error(400, temperature=5) == {"param": "temperature", "code": "decimal_above_max_value"}
    assert error(400, n=0) == {"param": "n", "code": "integer_below_min_value"}
    assert error(400, messages=[]) == {"param": "messages", "code": "empty_array"}  # it was null
    assert error(400, presence_penalty=1) == {
        "param": "presence_penalty",
        "code": "unsupported_parameter",
    }
    assert error(400, stop=["a", "b", "c", "d", "e"]) == {"param": "stop", "code": None}


def test_an_empty_list_of_prompts_is_refused_naming_the_field_and_an_empty_string_answered(url):
    # "prompt must not be empty" read as a refusal of "", which the server answers (from the
    # start token, as OpenAI's API does). OpenAI's code for [] is not known offline: null.
    def completion(prompt) -> httpx.Response:
        body = {"model": "tiny-random", "prompt": prompt, "max_tokens": 1}
        return httpx.post(f"{url}/v1/completions", json=body)

    refused = completion([])
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "message": 'prompt: an empty list holds no prompt; send a string ("" starts from '
        "nothing), a list of strings, or token ids",
        "type": "invalid_request_error",
        "param": "prompt",
        "code": None,
    }
    for empty in ("", [""], [[]]):
        answered = completion(empty)
        assert answered.status_code == 200, answered.text
        assert answered.json()["usage"]["prompt_tokens"] == 1
