"""What keeps `tunelab serve` safe to leave running: one request cannot freeze it or make it read
without end, mistakes are answered in OpenAI's error shape, the key is checked first, and the
server refuses to start exposed or to answer a page that reached it under another name."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tunelab.cli import app as cli
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.serve.engine import Engine
from tunelab.serve.server import MAX_PROMPTS, create_app
from tunelab.web import host_allowed, running

KEY = {"authorization": "Bearer k3y"}
AS_JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def engines():
    engine = Engine(*tiny_random(), name="tiny", max_batch=8)
    yield {"tiny": engine}
    engine.close()


def assert_openai_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def test_a_body_over_the_limit_is_refused_whether_its_length_is_declared_or_not(engines):
    client = TestClient(create_app(engines, max_body_mb=0.01))  # 10 kB
    big = {"model": "tiny", "prompt": "word " * 4000, "max_tokens": 1}
    error = assert_openai_error(client.post("/v1/completions", json=big), 413)
    assert error["code"] == "request_too_large" and "0.01 MB" in error["message"]

    def chunked():  # no Content-Length: the server must count what it reads
        yield b'{"model": "tiny", "prompt": "'
        for _ in range(100):
            yield b"word " * 100
        yield b'"}'

    assert_openai_error(client.post("/v1/completions", content=chunked(), headers=AS_JSON), 413)
    small = client.post("/v1/completions", json={**big, "prompt": "word " * 10})
    assert small.status_code == 200


def test_a_completion_request_takes_at_most_max_prompts(engines):
    client = TestClient(create_app(engines))
    body = {"model": "tiny", "prompt": ["Hi"] * (MAX_PROMPTS + 1), "max_tokens": 1}
    error = assert_openai_error(client.post("/v1/completions", json=body), 400)
    assert error["param"] == "prompt" and str(MAX_PROMPTS) in error["message"]
    full = client.post("/v1/completions", json={**body, "prompt": ["Hi"] * MAX_PROMPTS})
    assert len(full.json()["choices"]) == MAX_PROMPTS


def test_a_request_takes_at_most_16_choices_and_4_stop_strings(engines):
    client = TestClient(create_app(engines))
    chat = {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
    for field, too_many in {"n": 17, "stop": ["a", "b", "c", "d", "e"]}.items():
        response = client.post("/v1/chat/completions", json={**chat, field: too_many})
        assert assert_openai_error(response, 400)["param"] == field
    most = {**chat, "n": 16, "stop": ["a", "b", "c", "d"]}
    assert len(client.post("/v1/chat/completions", json=most).json()["choices"]) == 16


def test_broken_bodies_and_unknown_paths_answer_in_openai_error_shape(engines):
    client = TestClient(create_app(engines))
    broken = {  # "not valid JSON: Invalid JSON: EOF ...": said once, the parser's position kept
        b'{"model": "tiny", "prompt": ': "EOF while parsing a value at line 1 column 28",
        b'{"model": "tiny", "prompt": "\xff\xfe"}': "invalid unicode code point at line 1 column 30",
        b"": "EOF while parsing a value at line 1 column 0",
    }
    for raw, problem in broken.items():
        error = assert_openai_error(
            client.post("/v1/completions", content=raw, headers=AS_JSON), 400
        )
        assert error["param"] is None
        assert error["message"] == f"the body is not valid JSON: {problem}"
    error = assert_openai_error(client.post("/v1/completions", json={"prompt": "hi"}), 400)
    assert error["param"] == "model"
    assert_openai_error(client.get("/v1/nothing"), 404)
    assert_openai_error(client.get("/v1/completions"), 405)


def status_before_the_body(url: str, headers: dict[str, str]) -> int:
    """The status a real server answers a POST with after its headers and one byte of a body
    they announce as far longer: a server that reads the body first never answers."""
    host, port = url.removeprefix("http://").split(":")
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"POST /v1/completions HTTP/1.1\r\nHost: {host}:{port}\r\n{head}\r\n{{"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        return int(sock.recv(4096).split()[1])


def test_the_key_and_the_declared_length_are_checked_before_the_body_is_read(engines):
    with running(create_app(engines, api_key="k3y", max_body_mb=1)) as url:
        assert status_before_the_body(url, {"Content-Length": "500000"}) == 401
        too_long = {"Content-Length": str(2 * 1024 * 1024), **KEY, **AS_JSON}
        assert status_before_the_body(url, too_long) == 413
    client = TestClient(create_app(engines, api_key="k3y"))
    error = assert_openai_error(client.post("/v1/completions", content=b"{not json"), 401)
    assert error["code"] == "invalid_api_key"
    broken = client.post("/v1/completions", content=b"{not json", headers={**KEY, **AS_JSON})
    assert_openai_error(broken, 400)


def test_a_body_not_sent_as_json_is_refused(engines):
    """A page on another site can POST text/plain (or a typeless blob) without a CORS preflight:
    with no key on loopback, that would let any web page make the server generate."""
    client = TestClient(create_app(engines))
    body = b'{"model": "tiny", "prompt": "hi", "max_tokens": 1}'
    for headers in ({"content-type": "text/plain"}, {}):
        assert_openai_error(client.post("/v1/completions", content=body, headers=headers), 415)
    ok = client.post(
        "/v1/completions", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 200


def test_health_names_the_models_only_to_key_holders(engines):
    client = TestClient(create_app(engines, api_key="k3y"))
    anonymous = client.get("/health")
    assert anonymous.json() == {"status": "ok"} and "tiny" not in anonymous.text
    assert "tiny" in client.get("/health", headers=KEY).json()["models"]
    assert "tiny" in TestClient(create_app(engines)).get("/health").json()["models"]  # no key set


def test_a_request_naming_another_host_is_refused(engines):
    client = TestClient(create_app(engines, allowed_hosts=["api.example"]))  # bound: testserver:80
    for host in ("evil.example", "evil.example:80", "localhost:8000", "127.0.0.1.evil.example"):
        error = assert_openai_error(client.get("/health", headers={"host": host}), 400)
        assert error["code"] == "invalid_host"
    for host in ("testserver", "localhost", "127.0.0.1:80", "[::1]:80", "api.example:443"):
        assert client.get("/health", headers={"host": host}).status_code == 200
    # Through an SSH tunnel on another port (ssh -L 9000:localhost:80), the refusal names the
    # option that lets it in.
    tunnelled = {"host": "localhost:9000"}
    refused = assert_openai_error(client.get("/health", headers=tunnelled), 400)
    assert "(testserver:80)" in refused["message"] and "--allow-host" in refused["message"]
    let_in = TestClient(create_app(engines, allowed_hosts=["localhost"]))
    assert let_in.get("/health", headers=tunnelled).status_code == 200
    # Listening on 0.0.0.0, a request arrives on one interface: its address is this server.
    assert host_allowed("192.168.1.5:8000", ("192.168.1.5", 8000))
    assert not host_allowed("printer.lan:8000", ("192.168.1.5", 8000))
    assert not host_allowed(None, ("127.0.0.1", 8000))


def test_an_empty_key_or_an_open_address_without_a_key_refuses_to_start(engines, monkeypatch):
    runner = CliRunner()
    for args in (["--api-key", ""], ["--host", "0.0.0.0"], ["--host", "192.168.1.5"]):
        # The check comes before loading: a model that does not exist is never reached.
        out = runner.invoke(cli, ["serve", "no-such-model", *args])
        assert isinstance(out.exception, TunelabError), out.output
        assert "--api-key" in str(out.exception)
    monkeypatch.setenv("TUNELAB_API_KEY", "")  # an empty variable is no key, not an open door
    out = runner.invoke(cli, ["serve", "no-such-model", "--host", "0.0.0.0"])
    assert isinstance(out.exception, TunelabError) and "without --api-key" in str(out.exception)
    with pytest.raises(TunelabError, match="empty"):
        create_app(engines, api_key="")
    # No rows to decode in: every request would wait forever.
    out = runner.invoke(cli, ["serve", "no-such-model", "--max-batch", "0"])
    assert out.exit_code == 2 and "--max-batch" in out.output


def test_a_keyed_server_does_not_describe_its_routes_to_anyone(engines):
    client = TestClient(create_app(engines, api_key="k3y"))
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path
        assert client.get(path, headers=KEY).status_code == 404, path  # nor to the key's holder
    assert client.get("/v1/models", headers=KEY).status_code == 200


def test_a_huge_prompt_does_not_stall_health_for_other_clients(engines):
    """On a real server: while one request's 1.5 MB prompt is tokenized, /health still answers."""
    words = " ".join(f"w{i % 997}" for i in range(300_000))  # about 1.5 MB of text
    body = {"model": "tiny", "messages": [{"role": "user", "content": words}]}
    with running(create_app(engines)) as url:
        outcome = {}

        def big_request() -> None:
            started = time.monotonic()
            outcome["status"] = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=120)
            outcome["took"] = time.monotonic() - started

        thread = threading.Thread(target=big_request)
        thread.start()
        waits = []
        while thread.is_alive() and len(waits) < 2000:
            started = time.monotonic()
            assert httpx.get(f"{url}/health", timeout=60).status_code == 200
            waits.append(time.monotonic() - started)
            time.sleep(0.02)
        thread.join(timeout=120)
    assert outcome["status"].json()["error"]["code"] == "context_length_exceeded"
    assert outcome["took"] > 1.0, "the prompt was too quick to tokenize to show anything"
    assert len(waits) >= 5 and max(waits) < outcome["took"] / 3, (max(waits), outcome["took"])


def test_a_tiny_temperature_or_penalty_cannot_fail_the_batch_for_everyone(engines):
    """Logits divided by 1e-40 overflow to NaN probabilities, a top_p of 1e-50 keeps no token:
    sampling raised, every request in the batch got a 500, and the one that asked never heard
    back."""
    body = {"model": "tiny", "prompt": "Once upon a time", "max_tokens": 3}
    with running(create_app(engines)) as url:

        def ask(**extra) -> httpx.Response:
            return httpx.post(f"{url}/v1/completions", json={**body, **extra}, timeout=10)

        greedy = ask(temperature=0).json()["choices"][0]["text"]
        assert ask(temperature=1e-40).json()["choices"][0]["text"] == greedy
        assert ask(temperature=1.0, top_p=1e-50).json()["choices"][0]["text"] == greedy
        assert ask(temperature=1.0, top_p=0).json()["choices"][0]["text"] == greedy  # as OpenAI
        error = assert_openai_error(ask(temperature=1.0, repetition_penalty=1e-40), 400)
        assert error["param"] == "repetition_penalty"


def test_a_generation_failing_mid_stream_ends_it_with_an_openai_style_error(engines, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(engines["tiny"].model, "forward", out_of_memory)
    body = {"model": "tiny", "prompt": "hi", "max_tokens": 2, "stream": True}
    reply = TestClient(create_app(engines)).post("/v1/completions", json=body)
    last = [line for line in reply.text.splitlines() if line.startswith("data:")][-1]
    error = json.loads(last.removeprefix("data:"))["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == "generation_failed" and "Traceback" not in reply.text


def test_a_number_sent_as_a_string_is_refused_naming_its_field_as_openai_does(engines):
    """`"temperature": "0"` used to be read as greedy; a client that sends it has a bug, and
    OpenAI's API answers it with a 400."""
    client = TestClient(create_app(engines))
    body = {"model": "tiny", "prompt": "Once upon a time", "max_tokens": 2}
    wrong = {
        "temperature": "0",
        "top_p": "1",
        "max_tokens": "2",
        "n": "2",
        "seed": "7",
        "presence_penalty": "0",
        "frequency_penalty": "0",
        "repetition_penalty": "1.1",
        "logprobs": "1",
        "stream": "true",
    }
    for field, value in wrong.items():
        error = assert_openai_error(
            client.post("/v1/completions", json={**body, field: value}), 400
        )
        assert error["param"] == field and f'(got "{value}")' in error["message"]
    for field, value in {"temperature": True, "n": 2.0, "seed": 1.5, "stop": 5}.items():
        error = assert_openai_error(
            client.post("/v1/completions", json={**body, field: value}), 400
        )
        assert error["param"] == field
    chat = {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}
    error = assert_openai_error(client.post("/v1/chat/completions", json={**chat, "n": "2"}), 400)
    assert error["param"] == "n"
    # An integer is a number: as OpenAI takes them, these stay fine.
    for extra in ({"temperature": 1}, {"top_p": 1, "temperature": 0}, {"presence_penalty": 0}):
        assert client.post("/v1/completions", json={**body, **extra}).status_code == 200
    assert client.post("/v1/chat/completions", json={**chat, "temperature": 0}).status_code == 200


def test_include_usage_must_be_a_boolean(engines):
    # "no" used to be read as true: the client that said no got a usage chunk it did not expect.
    client = TestClient(create_app(engines))
    body = {"model": "tiny", "prompt": "Hi", "max_tokens": 2, "stream": True}
    refused = client.post(
        "/v1/completions", json={**body, "stream_options": {"include_usage": "no"}}
    )
    assert assert_openai_error(refused, 400)["param"] == "stream_options.include_usage"
    for include in (True, False):
        options = {"include_usage": include, "continuous_usage_stats": False}  # vLLM's: ignored
        events = client.post("/v1/completions", json={**body, "stream_options": options}).text
        assert ('"usage"' in events) is include


def test_a_schema_s_strict_flag_must_be_a_boolean(engines):
    # "strict": "false" used to be read as false, "yes" as true: which the client meant is a guess.
    client = TestClient(create_app(engines))
    schema = {"name": "answer", "schema": {"type": "object"}}
    body = {"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8}
    for flag in ("false", "yes"):
        asked = {"type": "json_schema", "json_schema": {**schema, "strict": flag}}
        refused = client.post("/v1/chat/completions", json={**body, "response_format": asked})
        assert assert_openai_error(refused, 400)["param"] == "response_format.json_schema.strict"
    asked = {"type": "json_schema", "json_schema": {**schema, "strict": False}}
    assert client.post("/v1/chat/completions", json={**body, "response_format": asked}).is_success


def test_a_prompt_past_the_context_is_told_what_would_fit(engines):
    # A prompt that fills the context alone was told to "lower max_tokens" it never gave.
    client = TestClient(create_app(engines))
    context = engines["tiny"].context_length
    alone = client.post("/v1/completions", json={"model": "tiny", "prompt": [7] * context})
    error = assert_openai_error(alone, 400)
    assert error["code"] == "context_length_exceeded"
    assert error["message"].endswith("tokens: shorten the prompt")
    body = {"model": "tiny", "prompt": [7] * (context - 10), "max_tokens": 20}
    error = assert_openai_error(client.post("/v1/completions", json=body), 400)
    assert error["message"].endswith("lower max_tokens to at most 10, or shorten the prompt")
    assert client.post("/v1/completions", json={**body, "max_tokens": 10}).is_success


def test_a_reply_longer_than_the_context_is_not_told_to_shorten_the_prompt(engines):
    # No prompt is short enough to make room for max_tokens past the whole context.
    client = TestClient(create_app(engines))
    context = engines["tiny"].context_length
    body = {"model": "tiny", "prompt": [7] * 4, "max_tokens": context + 1}
    error = assert_openai_error(client.post("/v1/completions", json=body), 400)
    assert error["message"].endswith(f"lower max_tokens to at most {context - 4}")
