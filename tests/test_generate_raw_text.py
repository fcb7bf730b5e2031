"""Continuing a text: `tunelab generate --template text` gives the model the prompt exactly as
written, the default for a run trained on raw text alone (continued pretraining), which `chat`
refuses as it holds no conversation."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.prompts.templates import RAW_TEXT, Prompt
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.serve.chat import Session

TEXT = "Press the red button and the machine"


def _fed_ids(session: Session, text: str) -> list[int]:
    """The token ids the model's first forward pass reads: the prompt, as generation encodes it."""
    fed = []

    def record(module, args, kwargs):
        fed.append(kwargs["input_ids"][0].tolist())

    hook = session.model.register_forward_pre_hook(record, with_kwargs=True)
    try:
        session.reply(text, max_new_tokens=2, remember=False)
    finally:
        hook.remove()
    return fed[0]


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    """A run folder trained on a folder of documents (data.shape auto), holding the tiny model."""
    root = tmp_path_factory.mktemp("pretrained")
    (root / "docs").mkdir()
    (root / "docs" / "manual.md").write_text(f"# Manual\n\n{TEXT} starts.\n", encoding="utf-8")
    run = root / "runs" / "manual"
    model, tokenizer = tiny_random()
    model.save_pretrained(run / "model")
    tokenizer.save_pretrained(run / "model")
    config = f"name: manual\nmodel: {{name: tiny-random}}\ndata: {{path: {root / 'docs'}}}\n"
    (run / "config.yaml").write_text(config, encoding="utf-8")
    return run


def test_the_text_template_feeds_the_tokenizers_ids_of_the_prompt_and_nothing_else():
    model, tokenizer = tiny_random()
    ids = tokenizer(TEXT, add_special_tokens=False).input_ids
    assert _fed_ids(Session(model, tokenizer, Prompt(RAW_TEXT)), TEXT) == ids
    # The chat template wraps it in turns' tokens, which a pretrained text never had.
    assert len(_fed_ids(Session(model, tokenizer, Prompt("chat")), TEXT)) > len(ids)


def test_generate_continues_a_raw_text_run_s_prompt_as_written_and_says_so(pretrained):
    args = ["generate", str(pretrained), TEXT, "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    note = result.output.split("manual trained")[-1].split("instead)")[0].splitlines()
    assert max(len(line) for line in note) <= 60  # wrapped at words on a narrow terminal
    assert (
        "manual trained on raw text alone: it continues the text as written (--template chat "
        "asks it in the chat template instead)"
    ) in " ".join(result.output.split())
    session = Session.open(str(pretrained), RAW_TEXT)
    assert _fed_ids(session, TEXT) == session.tokenizer(TEXT, add_special_tokens=False).input_ids
    # Asked for the chat template, it gets it, and no line about continuing.
    chat = CliRunner().invoke(
        app, ["generate", str(pretrained), TEXT, "--max-new-tokens", "2", "--template", "chat"]
    )
    assert chat.exit_code == 0, chat.output
    assert "raw text alone" not in chat.output


def test_chat_in_the_text_template_is_refused_naming_generate(pretrained, monkeypatch):
    monkeypatch.setattr(Session, "open", lambda *a, **k: pytest.fail("the model was loaded"))
    result = CliRunner().invoke(app, ["chat", str(pretrained), "--template", "text"], input="hi\n")
    assert isinstance(result.exception, TunelabError), result.output
    assert 'continue a text with `tunelab generate MODEL "TEXT" --template text`' in str(
        result.exception
    )


def test_a_conversation_kept_in_the_text_template_is_refused_in_the_python_api():
    model, tokenizer = tiny_random()
    session = Session(model, tokenizer, Prompt(RAW_TEXT))
    with pytest.raises(TunelabError, match="holds no conversation"):
        session.reply(TEXT, max_new_tokens=2)  # remember=True: a chat's turn


def test_the_python_api_continues_a_raw_text_run_s_one_shot_prompt_as_generate_does(pretrained):
    # tunelab.chat(RUN).reply(text, remember=False) is `tunelab generate RUN text`: it asked a
    # run trained on raw text in the chat template, which the CLI no longer does.
    import tunelab

    session = tunelab.chat(str(pretrained))
    ids = session.tokenizer(TEXT, add_special_tokens=False).input_ids
    assert _fed_ids(session, TEXT) == ids
    # A conversation's turns are a chat's, as `tunelab chat RUN` holds it.
    session.reply("Hello", max_new_tokens=2)
    assert [m["role"] for m in session.history] == ["user", "assistant"]
    # Asked for the chat template, the one-shot reply is asked in it too.
    assert len(_fed_ids(tunelab.chat(str(pretrained), "chat"), TEXT)) > len(ids)


def _saying(text: str):
    """The tiny model with its next token forced, step by step, to the bytes of `text`."""
    model, tokenizer = tiny_random()
    forced = iter(tokenizer(text, add_special_tokens=False).input_ids)

    def force(module, args, output):
        output.logits[:, -1, :] = -1e9
        output.logits[:, -1, next(forced, tokenizer.eos_token_id)] = 0.0

    model.register_forward_hook(force)
    return model, tokenizer


def test_generate_prints_a_continuation_as_made_so_prompt_and_reply_read_as_one_text(
    pretrained, monkeypatch
):
    # A chat reply loses the space its template left before it; a continued text keeps its own:
    # "The K9 router" + " ships with a cable", not "ships with a cable" glued on.
    continuation = " ships with a cable"
    monkeypatch.setattr("tunelab.run.load_model", lambda name: _saying(continuation + "\n"))
    result = CliRunner().invoke(app, ["generate", str(pretrained), "The K9 router"])
    assert result.exit_code == 0, result.output
    assert result.stdout == continuation + "\n"  # the trailing newline run trimmed, as a chat's
    # Python gives the same text, and so does a session asked in the text template.
    session = Session(*_saying(continuation), Prompt(RAW_TEXT))
    assert session.reply("The K9 router", remember=False) == continuation


def test_the_python_api_tells_that_it_continues_the_text_without_printing(pretrained, capsys):
    import tunelab

    session = tunelab.chat(str(pretrained))
    session.reply(TEXT, max_new_tokens=2, remember=False)
    assert session.continues_text  # what `tunelab generate` says in its dim line
    assert capsys.readouterr() == ("", "")  # a Python caller's output stays its own
    assert not tunelab.chat(str(pretrained), "chat").continues_text
    assert tunelab.chat(str(pretrained), RAW_TEXT).continues_text
