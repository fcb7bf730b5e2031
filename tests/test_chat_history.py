"""What `tunelab chat` tells a person about the conversation it keeps: when a chat grows past the
model's context, its oldest exchanges are forgotten, and the person is told so once."""

from __future__ import annotations

from tests.conftest import repl_typing
from tunelab.data.prompts.templates import Prompt
from tunelab.models.random_weights import tiny_random
from tunelab.serve.chat import Session


def test_a_chat_past_the_context_says_once_that_it_forgets_its_oldest_exchanges(
    monkeypatch, capsys
):
    # The chat dropped its first exchanges without a word: a person asking "what did I say
    # first?" got an answer from a model that no longer saw it.
    model, tokenizer = tiny_random(max_position_embeddings=160)
    session = Session(model, tokenizer, prompt=Prompt("chat"))
    repl_typing(monkeypatch, "first " * 8, "second " * 8, "third " * 8, "fourth " * 8)
    session.repl(max_new_tokens=20)
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("oldest exchanges") == 1
    assert "past the model's context of 160 tokens" in out
    assert "first" not in session.history[0]["content"]

    repl_typing(monkeypatch, "/reset", "fifth " * 8)  # a new chat fits again: no note
    session.repl(max_new_tokens=20)
    assert "oldest exchanges" not in capsys.readouterr().out
