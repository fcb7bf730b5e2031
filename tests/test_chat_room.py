"""A long message to a local model gets the room its context leaves for the reply, as the server
gives its default reply length (`tunelab serve`), unless the user asked for a reply limit: then a
limit that does not fit is refused with what would fit."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.conftest import repl_typing
from tunelab.cli import app
from tunelab.data.prompts.templates import Prompt
from tunelab.errors import TunelabError
from tunelab.models.load import context_length
from tunelab.models.random_weights import tiny_random
from tunelab.serve.chat import Session

CAPPED = "replies are capped at {} tokens: the prompt fills the rest of the context"


def test_a_message_leaving_less_than_the_default_reply_gets_the_room_left():
    # The chat refused any message that left under 256 tokens of room, though no limit was set.
    model, tokenizer = tiny_random(max_position_embeddings=320)
    session = Session(model, tokenizer, prompt=Prompt("chat"))
    session.history = [
        {"role": role, "content": f"{i} many words"}
        for i in range(3)
        for role in ("user", "assistant")
    ]
    message = "word " * 20
    session.reply(message)
    room = 320 - session.last.prompt_tokens
    assert 0 < room < 256 and session.room_left == room
    assert session.last.completion_tokens <= room
    # The oldest exchanges went first, as before: the message itself is what leaves less room.
    assert session.history[0] == {"role": "user", "content": message}
    assert session.capping_note() == CAPPED.format(room)
    with pytest.raises(TunelabError, match=rf"lower --max-new-tokens to at most {room}, or"):
        session.reply(message, max_new_tokens=256)
    with pytest.raises(
        TunelabError, match=r"leaves no room for a reply in the model's context of 320 tokens: "
        r"shorten it$"
    ):  # fmt: skip
        session.reply("word " * 100)
    session.reply("hi")  # a short message has the whole default again
    assert session.room_left is None and session.capping_note() == ""


def test_the_chat_says_once_that_its_replies_are_capped(monkeypatch, capsys):
    session = Session(*tiny_random(max_position_embeddings=320), prompt=Prompt("chat"))
    repl_typing(monkeypatch, "word " * 20, "more " * 20)
    session.repl()
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("replies are capped at") == 1 and "error" not in out
    # Each reply ran to its cap. The first was told so twice ("(cut at 161 tokens, the room
    # the model's context left...)" and the cap): now the cap alone; a later cut is still said.
    first, second = out.split("you> model>")[1:3]
    assert "replies are capped at" in first and "cut at" not in first
    assert "cut at" in second


def test_generate_answers_a_long_question_in_the_room_left_unless_a_limit_was_given():
    session = Session.open("tiny-random")
    question = "w" * 1978
    prompt = session.prompt.chat([{"role": "user", "content": question}], session.tokenizer)
    room = context_length(session.model, session.tokenizer) - len(
        session.tokenizer(prompt, add_special_tokens=False).input_ids
    )
    assert 0 < room < 256
    answered = CliRunner().invoke(app, ["generate", "tiny-random", question])
    assert answered.exit_code == 0, answered.output
    assert CAPPED.format(room) in " ".join(answered.stderr.split())
    assert "cut at" not in answered.stderr  # the cap says why the reply ended: one note
    asked = CliRunner().invoke(
        app, ["generate", "tiny-random", question, "--max-new-tokens", "256"]
    )
    assert f"lower --max-new-tokens to at most {room}" in str(asked.exception)


@pytest.mark.parametrize("limit", [0, -1])
def test_a_reply_limit_below_one_token_is_refused_not_taken_for_the_default(limit):
    # `reply(..., max_new_tokens=0)` wrote a reply of 256 tokens: 0 read as "no limit given".
    session = Session(*tiny_random(), prompt=Prompt("chat"))
    with pytest.raises(TunelabError, match=rf"max_new_tokens must be at least 1, not {limit}"):
        session.reply("hi", max_new_tokens=limit)
    served = Session(None, None, endpoint="http://127.0.0.1:9", served_model="m")
    with pytest.raises(TunelabError, match=rf"max_new_tokens must be at least 1, not {limit}"):
        served.reply("hi", max_new_tokens=limit)
