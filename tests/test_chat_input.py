"""What `tunelab generate` and `tunelab chat` say about input they cannot ask a model: text that
is not UTF-8, and a model without a chat template."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.conftest import repl_typing
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.serve.chat import Session

LATIN1 = "café menu?\n".encode("latin-1")


def test_generate_refuses_standard_input_that_is_not_utf8_naming_the_byte():
    result = CliRunner().invoke(app, ["generate", "tiny-random", "-"], input=LATIN1)
    assert isinstance(result.exception, TunelabError), result.output
    assert "not UTF-8 text: byte 0xe9 at line 1, character 4" in str(result.exception)


def test_generate_refuses_an_empty_question_before_the_model_loads(monkeypatch):
    # A question from an unset shell variable (`tunelab generate RUN "$Q"`) used to be asked:
    # the model rambled for 256 tokens about nothing, as if it had been answered.
    monkeypatch.setattr(Session, "open", lambda *a, **k: pytest.fail("the model was loaded"))
    for question in ("", "  \n"):
        result = CliRunner().invoke(app, ["generate", "tiny-random", question])
        assert isinstance(result.exception, TunelabError), result.output
        assert "the question is empty" in str(result.exception)


def test_a_chat_says_a_line_is_not_utf8_and_goes_on(monkeypatch, capsys):
    session = Session(*tiny_random())
    repl_typing(monkeypatch, LATIN1.decode("utf-8", "surrogateescape").strip(), "hello")
    session.repl(max_new_tokens=2)
    out = " ".join(capsys.readouterr().out.split())
    assert "error: the message is not UTF-8 text: byte 0xe9 at line 1, character 4" in out
    assert [m["content"] for m in session.history if m["role"] == "user"] == ["hello"]


def test_a_message_with_a_stray_byte_is_refused_before_a_server_is_asked():
    session = Session(None, None, endpoint="http://127.0.0.1:9/v1", served_model="m")
    with pytest.raises(TunelabError, match="byte 0xff at line 2, character 1"):
        session.reply("fine\n\udcff", max_new_tokens=2)


def test_a_model_without_a_chat_template_is_refused_naming_the_option_of_the_command(tmp_path):
    from tunelab.data.example import Example
    from tunelab.data.prompts.templates import render_segments

    model, tokenizer = tiny_random()
    tokenizer.chat_template = None
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    for command in (["generate", str(tmp_path), "hi"], ["chat", str(tmp_path)]):
        result = CliRunner().invoke(app, command, input="hi\n")
        message = str(result.exception)
        assert "has no chat template" in message and "with --template qa" in message, message
        assert "data.template" not in message  # these commands have no config
    asked = CliRunner().invoke(app, ["generate", str(tmp_path), "hi", "--template", "qa"])
    assert asked.exit_code == 0, asked.output
    # Training has no --template: its spelling is the config's.
    with pytest.raises(TunelabError, match=r"--set data\.template=qa"):
        render_segments(Example.qa("hi", "there"), tokenizer)


def test_a_reply_from_a_server_gets_the_room_its_context_leaves(monkeypatch):
    # `tunelab generate URL "hi"` on a short-context model: the default 256 tokens did not fit
    # and every turn failed. The default is the server's own: the room the context leaves.
    from tunelab import remote
    from tunelab.serve.chat import Session

    asked = []

    def stream_chat(url, messages, model, max_tokens, **kwargs):
        asked.append(max_tokens)
        if max_tokens > 225:
            raise remote.ContextExceeded(
                f"{url} answered 400: the prompt is 31 tokens plus max_tokens={max_tokens}, but "
                "model 'm' has a context of 256 tokens: shorten the prompt or lower max_tokens"
            )
        yield "Hello."

    monkeypatch.setattr(remote, "stream_chat", stream_chat)
    session = Session(None, None, endpoint="http://127.0.0.1:9", served_model="m")
    assert session.reply("hi", remember=False) == "Hello."
    assert asked == [256, 225] and session.room_left == 225
    # A limit the user gave is theirs: refused when it does not fit, as by a local model.
    with pytest.raises(TunelabError, match="lower --max-new-tokens to at most 225"):
        session.reply("hi", max_new_tokens=256, remember=False)
    vllm = remote.ContextExceeded(
        "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens "
        "(1844 in the messages, 256 in the completion)."
    )
    assert vllm.room == 204


def test_a_message_too_long_for_a_servers_model_is_told_as_a_local_models_is(monkeypatch):
    # `tunelab generate URL "$(cat long.txt)"` said "the prompt is 10030 tokens plus
    # max_tokens=256": a limit the user never gave, in the API's name, where a local model says
    # the message leaves no room for a reply.
    from tunelab import remote

    def stream_chat(url, messages, model, max_tokens, **kwargs):
        raise remote.ContextExceeded(
            f"{url} answered 400: the prompt is 300 tokens plus max_tokens={max_tokens}, but "
            "model 'm' has a context of 256 tokens: shorten the prompt"
        )
        yield  # a generator, as the real one is

    monkeypatch.setattr(remote, "stream_chat", stream_chat)
    session = Session(None, None, endpoint="http://127.0.0.1:9", served_model="m")
    with pytest.raises(TunelabError) as told:
        session.reply("a long message", remember=False)
    assert str(told.value) == (
        "this message (300 tokens as the model reads it) leaves no room for a reply in the "
        "model's context of 256 tokens: shorten it"
    )


def test_a_server_reply_cut_by_the_context_is_not_told_to_raise_max_new_tokens(monkeypatch):
    # The reply got the 225 tokens the context left and ran out: "(cut at 256 tokens:
    # --max-new-tokens gives it more)" named a limit it never had and a fix that cannot help.
    from tunelab import remote

    def stream_chat(url, messages, model, max_tokens, on_finish, **kwargs):
        if max_tokens > 225:
            raise remote.ContextExceeded(
                f"{url} answered 400: the prompt is 31 tokens plus max_tokens={max_tokens}, but "
                "model 'm' has a context of 256 tokens: lower max_tokens to at most 225, or "
                "shorten the prompt"
            )
        yield "Hello, and on and on."
        on_finish("length")

    monkeypatch.setattr(remote, "stream_chat", stream_chat)
    session = Session(None, None, endpoint="http://127.0.0.1:9", served_model="m")
    session.reply("hi")
    note = session.ending_note()
    assert "cut at 225 tokens" in note and "--max-new-tokens" not in note
    session.reply("again", max_new_tokens=100)  # a reply that had its whole limit
    assert session.ending_note(100) == "(cut at 100 tokens: --max-new-tokens gives it more)"


def test_a_chat_message_of_several_lines_is_typed_between_triple_quotes(monkeypatch):
    # A pasted paragraph went to the model one line at a time, each line a message of its own.
    session = Session(*tiny_random())
    repl_typing(
        monkeypatch, '"""Summarize this:', "first line", 'second line"""', '"""one"""', "hi"
    )
    session.repl(max_new_tokens=2)
    asked = [m["content"] for m in session.history if m["role"] == "user"]
    assert asked == ["Summarize this:\nfirst line\nsecond line", "one", "hi"]


def test_a_message_left_open_at_the_end_of_the_input_is_said_not_sent(monkeypatch, capsys):
    # `printf '"""\nSummarize this:\n' | tunelab chat RUN` ended without a word about it.
    session = Session(*tiny_random())
    repl_typing(monkeypatch, "hi", '"""Summarize this:', "first line")
    session.repl(max_new_tokens=2)
    assert [m["content"] for m in session.history if m["role"] == "user"] == ["hi"]
    out = " ".join(capsys.readouterr().out.split())
    assert 'not sent: the message opened with """ was never closed by another """' in out


def test_a_system_prompt_given_to_chat_is_the_model_s_and_a_server_s_first_message(monkeypatch):
    # `tunelab chat`/`generate` took no system prompt: only a run's own reached the model.
    from tunelab import remote

    seen = {}

    def generate(model, tokenizer, prompts, **_):
        seen["prompt"] = prompts[0]
        raise TunelabError("asked")  # what was asked is all this test needs

    monkeypatch.setattr(sys.modules[Session.__module__], "generate", generate)
    result = CliRunner().invoke(
        app, ["generate", "tiny-random", "hi", "--system-prompt", "Answer in French."]
    )
    assert str(result.exception) == "asked", result.output
    assert "Answer in French." in seen["prompt"]

    sent = []

    def stream_chat(url, messages, model, max_tokens, **kwargs):
        sent.append(messages)
        yield "Bonjour."

    monkeypatch.setattr(remote, "served_models", lambda url, key: {"m": None})
    monkeypatch.setattr(remote, "stream_chat", stream_chat)
    session = Session.open("http://127.0.0.1:9", system_prompt="Answer in French.")
    session.reply("hi")
    session.reply("again")
    system = {"role": "system", "content": "Answer in French."}
    assert [m[0] for m in sent] == [system, system]
    assert [m["role"] for m in sent[1]] == ["system", "user", "assistant", "user"]
    assert system not in session.history  # sent each time, not a turn to forget


def test_a_system_prompt_to_a_run_asked_in_qa_form_is_refused_not_dropped(tmp_path, monkeypatch):
    # The qa template asks the question alone: the system prompt changed nothing, silently.
    from tests.conftest import tiny_run
    from tests.test_run import QA

    monkeypatch.setattr(Session, "reply", lambda *a, **k: pytest.fail("the run was asked"))
    run = str(tiny_run(tmp_path, QA))
    said = CliRunner().invoke(app, ["generate", run, "hi", "--system-prompt", "Answer in French."])
    assert isinstance(said.exception, TunelabError), said.output
    assert "this model is asked in the 'qa' template" in str(said.exception)
    # Asked in the model's chat template instead, it has its place.
    chat = Session.open(run, template="chat", system_prompt="Answer in French.")
    assert chat.prompt.system_prompt == "Answer in French."


def test_a_server_given_without_its_scheme_is_pointed_at_its_url():
    # `tunelab chat localhost:8000` was looked for as a folder, and the server was never named.
    for given in ("localhost:8000", "127.0.0.1:8000/v1"):
        said = CliRunner().invoke(app, ["generate", given, "hi"])
        assert isinstance(said.exception, TunelabError), said.output
        assert str(said.exception).endswith(f"a server's URL: http://{given}.")


def test_ctrl_c_at_the_prompt_clears_the_line_and_keeps_the_chat(monkeypatch, capsys):
    # A Ctrl-C meant for a reply that had just ended left the chat, and its history with it.
    session = Session(*tiny_random())
    typed = iter(["hello", KeyboardInterrupt, '"""half a', KeyboardInterrupt, "again"])

    def read(*_) -> str:
        line = next(typed, EOFError)
        if isinstance(line, type):
            raise line
        return line

    monkeypatch.setattr("builtins.input", read)
    session.repl(max_new_tokens=2)
    asked = [m["content"] for m in session.history if m["role"] == "user"]
    assert asked == ["hello", "again"]  # the half-typed block is dropped, as a line would be
    assert "(Ctrl-D or /quit leaves)" in capsys.readouterr().out


def test_help_lists_every_chat_command_and_a_mistyped_one_names_them(monkeypatch, capsys):
    # /help was answered "unknown command /help: /reset, /quit", and /exit worked unlisted.
    session = Session(*tiny_random())
    repl_typing(monkeypatch, "/help", "/rset", "/exit", "never asked")
    session.repl(max_new_tokens=2)
    out = " ".join(capsys.readouterr().out.split())
    listed = "/reset clears the history; /quit leaves (as Ctrl-D does); /exit leaves, as /quit;"
    assert f"{listed} /help lists these commands" in out
    assert f"unknown command /rset: {listed}" in out
    assert "unknown command /help" not in out
    assert session.history == []  # /exit left before the next line


@pytest.mark.parametrize(
    ("text", "tokens", "said"),
    [
        ("", 1, "(an empty reply: the model ended it at its first token)"),
        # Trimmed to nothing, 3 whitespace tokens were told they ended at the first.
        ("", 4, "(a reply of whitespace only: the model ended it after 4 tokens)"),
    ],
)
def test_generate_says_so_when_the_model_answers_nothing(monkeypatch, text, tokens, said):
    # A run trained a step or two may end its reply at its first token: `tunelab generate`
    # printed a blank line, exit 0, and nothing else.
    import tunelab.serve.chat as chat

    empty = SimpleNamespace(text=text, finish_reason="stop", completion_tokens=tokens)
    monkeypatch.setattr(chat, "generate", lambda *a, **k: [empty])
    result = CliRunner().invoke(app, ["generate", "tiny-random", "What is tunelab?"])
    assert result.exit_code == 0, result.output
    assert said in result.output


def test_a_servers_blank_reply_is_said_as_it_is():
    # A server's reply is not trimmed and its tokens are not counted here: no first token claimed.
    from tunelab.serve.chat import blank_reply

    assert blank_reply("") == "an empty reply"
    assert blank_reply(" \n ") == "a reply of whitespace only"
    assert blank_reply(" Yes") == ""
