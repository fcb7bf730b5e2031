"""A run trained with a one-question template (qa, alpaca) answers a chat request from its last
user message alone: the server says so where a client of the `openai` package finds it (the
model's card, each reply's headers) and once in its log, and still answers a client that always
sends a system prompt."""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager

import openai
import pytest

from tests.test_export_prompts import trained_with
from tests.test_serve import make_lora_run
from tunelab.serve.launch import load_engines
from tunelab.serve.server import create_app
from tunelab.web import running

CHAT = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is LoRA?"},
    {"role": "assistant", "content": "An adapter."},
    {"role": "user", "content": "How big is it?"},
]

JINJA = "Q: {{ question }}\nA:"


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    qa_run = trained_with(make_lora_run(root, "qa-run"), template="qa")
    jinja_run = trained_with(make_lora_run(root, "jinja-run"), template=JINJA)
    engines = load_engines([str(qa_run), str(make_lora_run(root, "chat-run")), str(jinja_run)])
    yield engines
    for engine in engines.values():
        engine.close()


@contextmanager
def serving(engines):
    with running(create_app(engines)) as base:
        yield openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="module")
def client(engines):
    with serving(engines) as client:
        yield client


def test_the_model_card_says_which_template_takes_one_question(client):
    cards = {card.id: card for card in client.models.list()}
    assert cards["qa-run"].prompt_template == "qa" and cards["qa-run"].one_question is True
    assert cards["chat-run"].prompt_template == "chat" and cards["chat-run"].one_question is False
    assert client.models.retrieve("qa-run").one_question is True
    # A run's own Jinja template is given as its data.template holds it (the card said "jinja").
    jinja = client.models.retrieve("jinja-run")
    assert jinja.prompt_template == JINJA and jinja.one_question is True
    raw = client.chat.completions.with_raw_response.create(
        model="jinja-run", messages=CHAT, max_tokens=2, temperature=0
    )
    # A header holds one line of Latin-1: it names where the template is read, and its hash.
    digest = hashlib.sha256(JINJA.encode()).hexdigest()[:12]
    assert raw.headers["x-tunelab-prompt-template"] == (
        f"jinja (sha256 {digest}; whole as prompt_template in GET /v1/models/jinja-run)"
    )


def test_the_header_names_the_card_of_a_model_whose_id_a_header_cannot_hold(engines):
    # A header is Latin-1: the id is written as a URL writes it, and that URL gives the card.
    with serving({"jinja-模型": engines["jinja-run"]}) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="jinja-模型", messages=CHAT, max_tokens=2, temperature=0
        )
        said = raw.headers["x-tunelab-prompt-template"]
        assert said.endswith("in GET /v1/models/jinja-%E6%A8%A1%E5%9E%8B)")
        card = client.get(said.split("GET /v1")[1].rstrip(")"), cast_to=object)
    assert card["prompt_template"] == JINJA


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_says_how_many_messages_its_one_question_left_out(client, stream):
    ask = client.chat.completions.with_raw_response.create
    raw = ask(model="qa-run", messages=CHAT, max_tokens=2, temperature=0, stream=stream)
    assert raw.headers["x-tunelab-prompt-template"] == "qa"
    assert raw.headers["x-tunelab-left-out"] == "3"  # the system turn and the first exchange
    reply = raw.parse()  # answered all the same
    chunks = list(reply) if stream else [reply]
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    alone = ask(model="qa-run", messages=CHAT[-1:], max_tokens=2, temperature=0)
    assert alone.headers["x-tunelab-left-out"] == "0"
    # A model that reads the conversation adds nothing.
    chat = ask(model="chat-run", messages=CHAT, max_tokens=2, temperature=0)
    assert "x-tunelab-left-out" not in chat.headers


def test_the_log_says_once_that_earlier_messages_are_left_out(engines, caplog):
    with serving(engines) as client, caplog.at_level(logging.WARNING):
        client.chat.completions.create(model="qa-run", messages=CHAT[-1:], max_tokens=2)
        assert "takes one question" not in caplog.text  # nothing was left out
        for _ in range(2):
            client.chat.completions.create(model="qa-run", messages=CHAT, max_tokens=2)
    assert caplog.text.count("'qa' template, which takes one question") == 1


def test_chat_through_the_server_says_once_that_its_model_takes_one_question(
    client, monkeypatch, capsys
):
    # Chat on the run itself says so when it starts; through the server's URL it said nothing,
    # and the server answered each message alone.
    from tests.test_chat_stream import repl_typing
    from tunelab.errors import TunelabError
    from tunelab.serve.chat import Session

    url = str(client.base_url)
    said = "template, which has no turns: it sees one question at a time"
    for model, told in (("qa-run", "the 'qa'"), ("chat-run", None), ("jinja-run", "a Jinja")):
        repl_typing(monkeypatch, "What is LoRA?", "How big is it?")
        Session.open(url, served_model=model).repl(max_new_tokens=2)
        out = " ".join(capsys.readouterr().out.split())
        assert out.count(said) == (told is not None) and out.count("model>") == 2
        assert told is None or f"answers with {told} {said}" in out
    # A system prompt the server would leave out is refused, as the run itself refuses it: what
    # is refused, why, and what to do.
    for model, template in (("qa-run", "the 'qa' template"), ("jinja-run", "a Jinja template")):
        with pytest.raises(TunelabError) as refused:
            Session.open(url, served_model=model, system_prompt="Answer in French.")
        assert str(refused.value) == (
            f"--system-prompt refused: model {model!r} at {url} is asked in {template}, which "
            "gives it the question alone, so the system prompt would be left out without a "
            "word: leave --system-prompt out, or serve a run trained with data.template: chat, "
            "which takes one"
        )
    chat = Session.open(url, served_model="chat-run", system_prompt="Be brief.")
    assert chat.prompt.system_prompt == "Be brief."  # sent first with each message
