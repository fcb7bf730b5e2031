"""The small HTTP client `tunelab chat`/`generate` use to talk to a running server."""

from __future__ import annotations

import socket

import pytest

from tunelab.data.templates import Prompt
from tunelab.errors import TunelabError
from tunelab.models import tiny_random
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
    assert result.output.strip() == expected.strip()
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
