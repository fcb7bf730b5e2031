"""`tunelab chat` and `generate` show the reply as it is made, stop a model that says one sentence
over and over (`serve` does not: an API client gets the reply whole), and say when a run's
template cannot carry the conversation; `chat` and `serve` start a reply after the gap its
template left, keeping a code answer's indentation."""

from __future__ import annotations

import re

import pytest
import torch

from tests.conftest import repl_typing
from tunelab.data.prompts.templates import Prompt
from tunelab.data.text import repeat_start
from tunelab.errors import TunelabError
from tunelab.generation.generate import generate
from tunelab.models.random_weights import tiny_random
from tunelab.serve.chat import Session
from tunelab.serve.request import Event
from tunelab.serve.responses import trimmed

LOOP = " The answer is 1.\n"  # what a lost model says forever (with a qa prompt's leading space)


def looping_model():
    """tiny-random made to say LOOP again and again, whatever it is asked."""
    model, tokenizer = tiny_random()
    script = tokenizer(LOOP).input_ids
    calls = []

    def head(hidden: torch.Tensor) -> torch.Tensor:
        logits = torch.full((*hidden.shape[:-1], len(tokenizer)), -1e4)
        logits[..., script[len(calls) % len(script)]] = 1e4
        calls.append(1)
        return logits

    model.lm_head.forward = head
    return model, tokenizer


def test_a_repeated_sentence_or_line_is_found_where_it_starts_again():
    assert repeat_start("The answer is 1.\nThe answer is 1.") == 17
    text = "It saves a checkpoint. Then it stops. It saves a checkpoint."
    assert text[: repeat_start(text)].strip() == "It saves a checkpoint. Then it stops."
    assert repeat_start("Yes. Yes. Yes.") is None  # too short to count as a sentence
    assert repeat_start("One fact here. Another fact there.") is None
    # Chinese and Japanese end sentences at 。！？ with no space, and each character is a word;
    # Hindi ends them at ।.
    assert repeat_start("北京是中国的首都。北京是中国的首都。") == 9
    assert repeat_start("दिल्ली भारत की राजधानी है। दिल्ली भारत की राजधानी है।") == 26
    assert repeat_start("是的。是的。") is None  # two characters: too short
    # A "." inside a word ends no sentence: these say nothing twice ("Set it to version 3."
    # was read as said twice, and chat stopped the reply there).
    assert repeat_start("Set it to version 3.5 for CPU. Set it to version 3.6 for GPU.") is None
    assert repeat_start("Open the file config.yaml now. Open the file config.json now.") is None
    # A clause said again right after itself, at a comma: a loop with no sentence end to stop at.
    loop = "你可以用中文来输出，你可以用中文来输出，你可以用中文来输出，"
    assert loop[: repeat_start(loop)] == "你可以用中文来输出，"
    assert repeat_start("It costs 1,000 dollars, it costs 1,000 dollars.") == 23
    assert repeat_start("It is fine. It is fine, really.") is None  # a new sentence, not a loop
    assert repeat_start("one two three, one two four, one two three.") is None  # not in a row
    # A line of two words ending at its comma, again and again, from a newcomer's walk.
    line = '"optimizer_name_type": "optimizer_name_type",\n'
    assert repeat_start("{\n" + line * 7) == len("{\n" + line)
    assert repeat_start("Thank you, thank you.") == len("Thank you,")
    assert repeat_start("New York, New York is big.") is None


def test_error_analysis_names_the_sentence_said_again_and_the_phrase_looped():
    from tunelab.data.text import looping_phrase, repeated_sentence

    assert repeated_sentence("It works well\nIt saves.\nIt works well") == ("It works well", 2)
    assert repeated_sentence("The answer is 1. The answer is 1. The answer is 1.")[1] == 3
    assert repeated_sentence("Use version 3.5 here. Use version 3.6 here.") is None
    loop = "so the gains come from kernels, so the gains come from kernels, so the gains come"
    assert looping_phrase(loop) == ("so the gains come", 3)
    assert looping_phrase("- the number of\n- the size of\n- the number of") is None
    assert looping_phrase("这个模型很好用" * 4) == ("这个模型很好用这", 3)


def test_a_streamed_reply_is_read_once_and_judged_as_if_read_whole():
    """SaidSentences reads only what each token adds (a reply read again per token cost seconds
    over thousands of tokens); whatever the pieces, it must say what reading it whole says."""
    import random

    from tunelab.data.text import SaidSentences

    rng = random.Random(0)
    pieces = ["The", " answer", " is", " 1", ".", "..", "!", "\n", " ", "北京", "是", "首都", "。"]
    pieces += ["Σ", "ς", " so", "।", "दिल्ली", "\n\n", ",", ", ", "，", "1,0"]
    for _ in range(3000):
        repeats, certain, text = SaidSentences(), SaidSentences(), ""
        for _ in range(rng.randint(1, 40)):
            text += rng.choice(pieces)
            # A text ending "word." may go on "word.6": streaming waits for the next character.
            waits = re.search(r"\w[.,]$", text) is not None
            whole = repeat_start(text)
            assert repeats.repeat_start(text) in ((whole, None) if waits else (whole,))
            if whole is not None:
                break
            # What `take` reads may lag behind: a stop string's start is held back.
            view = text[: rng.randint(0, len(text))] if rng.random() < 0.1 else text
            assert certain.held_back(view) == SaidSentences().held_back(view)
    # A repeat found is never released as certain, whatever follows it.
    said = SaidSentences()
    assert said.held_back("The cat sat down. The cat sat down. The cat") == said.repeat == 17


def test_generation_streams_the_reply_and_stops_at_the_first_repeat():
    model, tokenizer = looping_model()
    pieces: list[str] = []
    [reply] = generate(
        model, tokenizer, ["Q:"], max_new_tokens=80, on_text=pieces.append, stop_repeats=True
    )
    assert reply.text == "The answer is 1." and reply.finish_reason == "repeat"
    assert reply.completion_tokens < 40  # stopped after the second copy, not at 80 tokens
    # What is streamed is the reply: not the second copy, which the reply cuts, nor the spaces
    # around it, which the reply strips.
    assert len(pieces) > 1 and "".join(pieces) == reply.text


def test_chat_with_a_qa_run_says_it_answers_one_question_at_a_time(monkeypatch, capsys):
    session = Session(*looping_model(), prompt=Prompt("qa"))
    repl_typing(monkeypatch, "And what about Java?")
    session.repl(max_new_tokens=60)
    out = " ".join(capsys.readouterr().out.split())
    assert "'qa' template, which has no turns: it sees one question at a time" in out
    assert "model> The answer is 1." in out and out.count("The answer is 1.") == 1
    assert "(stopped: the answer began repeating itself)" in out
    assert session.history[-1] == {"role": "assistant", "content": "The answer is 1."}
    chat = Session(*tiny_random())
    assert not chat.one_question_at_a_time and session.one_question_at_a_time


def test_serve_starts_a_chat_reply_after_its_templates_gap_and_keeps_a_code_answers_indent():
    def sent_for(*pieces: str) -> list[str]:
        sent: list[Event] = []
        emit = trimmed(sent.append)
        for piece in pieces:
            emit(Event(piece))
        emit(Event("", "stop"))
        assert sent[-1].finish_reason == "stop"
        return [e.text for e in sent]

    # The space a word's token carries after "### Answer:", and blank lines, are the template's.
    assert sent_for(" ", "Yes", ", Lamini", " can.") == ["Yes", ", Lamini", " can.", ""]
    assert sent_for("\n", " Yes") == ["Yes", ""]
    # The indentation a code answer opens with is the model's (it was sent as "return x").
    assert sent_for("\n  ", "  return x", "\n") == ["    return x", "\n", ""]
    assert sent_for(" ", "\n") == [""]


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        (" Yes, it can.", "Yes, it can."),
        ("\n\n    return x\n", "    return x"),  # chat printed and remembered "return x"
        ("\tx = 1\n\ty = 2", "\tx = 1\n\ty = 2"),
    ],
)
def test_chat_keeps_what_the_model_said_but_the_gap_its_template_left(monkeypatch, said, shown):
    from tests.test_generate_stream import byte_tokens
    from tunelab.generation import generate as generate_module

    model, tokenizer = tiny_random()
    script = iter([*byte_tokens(tokenizer, said.encode()), tokenizer.eos_token_id])
    monkeypatch.setattr(generate_module, "choose", lambda *_: torch.tensor([next(script)]))
    session, pieces = Session(model, tokenizer), []
    assert session.reply("Show me.", on_text=pieces.append) == shown
    assert "".join(pieces) == shown and session.history[-1]["content"] == shown


def test_a_chat_longer_than_the_context_forgets_its_oldest_turns_but_not_the_system_prompt():
    model, tokenizer = tiny_random(max_position_embeddings=160)
    session = Session(model, tokenizer, prompt=Prompt("chat", "Be brief."))
    turn = "many words " * 2
    session.history = [
        {"role": role, "content": f"{i} {turn}"} for i in range(8) for role in ("user", "assistant")
    ]
    session.reply("last", max_new_tokens=8)
    assert session.last.prompt_tokens + 8 <= 160
    asked = [m["content"].split()[0] for m in session.history if m["role"] == "user"]
    assert asked[-2:] == ["7", "last"] and "0" not in asked  # the oldest went first
    prompt = session.prompt.chat(session.history[:-1], tokenizer)
    assert "Be brief." in prompt
    with pytest.raises(TunelabError, match="do not fit the model's context of 160.*shorten it"):
        session.reply(turn * 40, max_new_tokens=8)
    # A short message and too long a reply: shortening "hi" cannot help, the reply's limit can.
    with pytest.raises(
        TunelabError, match=r"context of 160 tokens: lower --max-new-tokens to at most 1\d\d$"
    ):
        session.reply("hi", max_new_tokens=500)


def test_ctrl_c_or_an_error_ends_the_reply_not_the_chat(monkeypatch, capsys):
    session = Session(*looping_model(), prompt=Prompt("chat"))
    calls = []

    def reply(text, **_):
        calls.append(text)
        if len(calls) == 1:
            raise KeyboardInterrupt
        if len(calls) == 2:
            raise TunelabError("http://h:1 answered 500: boom")
        session.history.append({"role": "user", "content": text})
        return ""

    monkeypatch.setattr(session, "reply", reply)
    repl_typing(monkeypatch, "one", "two", "", "/rset", "three")
    session.repl()
    out = " ".join(capsys.readouterr().out.split())
    assert calls == ["one", "two", "three"]  # empty input and a mistyped command are not asked
    assert "(stopped; this exchange is not remembered)" in out
    assert "error: http://h:1 answered 500: boom" in out
    assert "unknown command /rset" in out
    assert session.history == [{"role": "user", "content": "three"}]


def test_a_chinese_reply_stops_at_its_repeat_and_streams_only_what_it_keeps(monkeypatch):
    from tunelab.generation import reply_text

    model, tokenizer = tiny_random()
    said = "北京是中国的首都。" * 4
    ids = list(said.encode())  # the tiny tokenizer's byte tokens, a character in three
    ending = reply_text.ReplyText(tokenizer, set(), None, 200, repeats=True, trim="ends")
    monkeypatch.setattr(tokenizer, "decode", lambda t, **k: bytes(t).decode("utf-8", "replace"))
    pieces = []
    for token in ids:
        over = ending.add(token)
        pieces.append(ending.take())
        if over:
            break
    assert (ending.text, ending.finish_reason) == ("北京是中国的首都。", "repeat")
    assert "".join(pieces) == ending.text


def test_a_message_past_the_context_alone_is_told_to_shorten_only():
    # A 3000-word message was told "shorten it, or lower --max-new-tokens", though no reply limit
    # makes room for a message the context cannot hold; the server says it the same way.
    model, tokenizer = tiny_random(max_position_embeddings=160)
    session = Session(model, tokenizer, prompt=Prompt("chat"))
    with pytest.raises(TunelabError, match=r"context of 160 tokens: shorten it$"):
        session.reply("many words " * 100, max_new_tokens=5)
    with pytest.raises(
        TunelabError, match=r"context of 160 tokens: lower --max-new-tokens to at most \d+, or"
    ):
        session.reply("word " * 5, max_new_tokens=150)


def test_serve_gives_a_reply_that_repeats_itself_whole_as_openais_api_does():
    # The cut is `chat`'s and `generate`'s: a client of an OpenAI API reads a reply up to its
    # EOS, max_tokens or stop string, and no finish_reason of that API says "repeat".
    import httpx

    from tunelab.serve.engine import Engine
    from tunelab.serve.server import create_app
    from tunelab.web import running

    engine = Engine(*looping_model(), name="loop")
    asked = {"model": "loop", "messages": [{"role": "user", "content": "Q?"}], "temperature": 0}
    try:
        with running(create_app({"loop": engine})) as base:
            reply = httpx.post(f"{base}/v1/chat/completions", json={**asked, "max_tokens": 60})
    finally:
        engine.close()
    [choice] = reply.json()["choices"]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"].count("The answer is 1.") == 3  # 60 bytes
