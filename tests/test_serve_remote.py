"""The small HTTP client `tunelab chat`/`generate` use to talk to a running server."""

from __future__ import annotations

import socket

import pytest

from tunelab.data.prompts.templates import Prompt
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.remote import api_base, complete_chat, is_endpoint, list_models, stream_chat
from tunelab.serve.engine import Engine
from tunelab.serve.server import create_app
from tunelab.web import running

MESSAGES = [{"role": "user", "content": "Hello over HTTP"}]


@pytest.fixture(scope="module")
def url():
    # The qa prompt: under its chat template tiny-random says only newlines, and a chat reply
    # starts at its first character (as `generate` answers), so it would be empty.
    engine = Engine(*tiny_random(), name="tiny", max_batch=4, prompt=Prompt("qa"))
    with running(create_app({"tiny": engine}, api_key="k3y")) as base:
        yield base
    engine.close()


def test_reply_matches_streamed_reply_and_model_defaults_to_the_first(url):
    whole = complete_chat(url, MESSAGES, max_tokens=8, api_key="k3y")
    pieces = list(stream_chat(f"{url}/v1/", MESSAGES, model="tiny", max_tokens=8, api_key="k3y"))
    assert whole and "".join(pieces) == whole
    assert list_models(url, api_key="k3y") == ["tiny"]


def test_server_errors_become_tunelab_errors_with_the_reason(url):
    with pytest.raises(TunelabError, match="401.*api-key"):
        complete_chat(url, MESSAGES, api_key="wrong")
    with pytest.raises(TunelabError, match="404.*not served"):
        complete_chat(url, MESSAGES, model="other", api_key="k3y")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    with pytest.raises(TunelabError, match="no answer"):
        complete_chat(f"http://127.0.0.1:{free}", MESSAGES, model="tiny")


def test_endpoint_urls_are_told_apart_from_model_names():
    assert is_endpoint("http://127.0.0.1:8000") and not is_endpoint("runs/demo")
    assert api_base("http://h:1") == api_base("http://h:1/v1/") == "http://h:1/v1"


def test_cli_generate_talks_to_a_server_url(url):
    from typer.testing import CliRunner

    from tunelab.cli import app
    from tunelab.serve.chat import Session

    expected = complete_chat(url, MESSAGES, max_tokens=8, api_key="k3y")
    result = CliRunner().invoke(
        app,
        ["generate", url, MESSAGES[0]["content"], "--max-new-tokens", "8"],
        env={"TUNELAB_API_KEY": "k3y"},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected.strip()
    # Cut at --max-new-tokens, as a local model's reply is, it says so (on stderr).
    assert "(cut at 8 tokens: --max-new-tokens gives it more)" in result.stderr
    session = Session.open(url, api_key="k3y")
    session.reply("first", max_new_tokens=4)
    assert [m["role"] for m in session.history] == ["user", "assistant"]


def test_a_url_that_is_not_an_openai_api_is_one_line_naming_it():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class WebPage(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>a web page</html>")

        do_POST = do_GET

        def log_message(self, *_):
            pass

    server = HTTPServer(("127.0.0.1", 0), WebPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = f"http://127.0.0.1:{server.server_port}"
    try:
        with pytest.raises(TunelabError, match=f"{page} answered 200 without an OpenAI"):
            complete_chat(page, MESSAGES, api_key="s3cret")
        with pytest.raises(TunelabError, match="without an OpenAI") as err:
            complete_chat(page, MESSAGES, model="m", api_key="s3cret")
        assert "s3cret" not in str(err.value)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def two_models():
    # "short" knows 128 positions and answers with the chat template, which carries the turns:
    # a chat of a few turns outgrows it.
    engines = {
        "tiny": Engine(*tiny_random(), name="tiny", max_batch=2, prompt=Prompt("qa")),
        "short": Engine(
            *tiny_random(seed=1, max_position_embeddings=128), name="short", max_batch=2
        ),
    }
    with running(create_app(engines)) as base:
        yield base
    for engine in engines.values():
        engine.close()


def test_a_chat_picks_the_servers_model_streams_and_forgets_what_its_context_cannot_hold(
    two_models,
):
    from tunelab.serve.chat import Session

    with pytest.raises(TunelabError, match="serves tiny, short, not 'other'"):
        Session.open(two_models, served_model="other")
    # A name mistyped is asked about, as the server's own 404 asks it.
    with pytest.raises(TunelabError, match=r"not 'shrot'\. Did you mean 'short'\?"):
        Session.open(two_models, served_model="shrot")
    assert Session.open(two_models).served_model == "tiny"  # the first, unless named
    with pytest.raises(TunelabError, match="--template"):  # not asked in another format unsaid
        Session.open(two_models, template="alpaca")
    session = Session.open(two_models, served_model="tiny")
    pieces: list[str] = []
    answer = session.reply("Hello over HTTP", max_new_tokens=8, on_text=pieces.append)
    assert answer == complete_chat(two_models, MESSAGES, model="tiny", max_tokens=8)
    assert len(pieces) > 1 and "".join(pieces) == answer  # streamed, not given whole
    # Each exchange adds ~25 tokens to the chat template's prompt: the fourth turn would not fit
    # 128 positions with all before it, and the chat forgets its oldest turns instead.
    session = Session.open(two_models, served_model="short")
    for turn in range(6):
        session.reply(f"t{turn} w", max_new_tokens=4)
    users = [m["content"] for m in session.history if m["role"] == "user"]
    assert session.history[0]["role"] == "user" and users[-1] == "t5 w" and len(users) < 6


def test_a_chat_with_a_server_sends_top_p_stop_and_seed_and_refuses_a_local_only_setting(url):
    # They raised a bare TypeError with a server URL, where a local model takes them.
    from tunelab.serve.chat import Session

    session = Session.open(url, api_key="k3y")
    ask = dict(max_new_tokens=8, temperature=1.0, top_p=0.9, seed=5, remember=False)
    first = session.reply("Hello over HTTP", **ask)
    assert first == session.reply("Hello over HTTP", **ask)  # the seed reached the server
    expected = complete_chat(url, MESSAGES, max_tokens=8, api_key="k3y")
    cut = expected.strip()[:1]
    if cut:
        stopped = session.reply("Hello over HTTP", max_new_tokens=8, stop=[cut], remember=False)
        assert cut not in stopped
    with pytest.raises(TunelabError, match="batch_size: not a setting a server is asked with"):
        session.reply("Hello", batch_size=2)
