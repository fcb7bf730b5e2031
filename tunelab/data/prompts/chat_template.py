"""What a tokenizer's chat template writes: the prompt for the next reply, a chat as segments
trained (each reply through its turn's end) and masked, the token that ends a turn, and the
refusals where the template would fail on a turn or leave it out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunelab.data.prompts.per_template import per_template
from tunelab.data.tool_calls import require_tool_calls
from tunelab.data.turns import through_last_reply
from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

# How to pick another prompt template, for a model without a chat template: by command.
TEMPLATE_CHOICE = (
    "with --template qa (eval, data commands) or data.template in a training config "
    "(--set data.template=qa)"
)


def chat_prompt(
    history: list[dict[str, Any]],
    tokenizer: PreTrainedTokenizerBase,
    tools: list[dict[str, Any]] | None,
) -> str:
    """The chat template's prompt for the reply after `history`, the same in training, eval and
    serve: refused where the template would leave a tool turn, a call or the tools out."""
    require_chat_template(tokenizer)
    require_tool_role(history, tokenizer)
    require_tool_calls(history, tools, tokenizer)
    return tokenizer.apply_chat_template(
        history, tools=tools, tokenize=False, add_generation_prompt=True
    )


def require_chat_template(
    tokenizer: PreTrainedTokenizerBase, choose: str = TEMPLATE_CHOICE
) -> None:
    """Refuse a chat-template prompt for a tokenizer without one; `choose` says how the command
    at hand picks another template (a command that knows its own spelling names only that)."""
    if not getattr(tokenizer, "chat_template", None):
        raise TunelabError(
            "this model's tokenizer has no chat template: give it another prompt template "
            f"('qa', 'alpaca' or a Jinja string) {choose}"
        )


def has_tool_turn(messages: list[dict[str, str]]) -> bool:
    return any(m["role"] == "tool" for m in messages)


def require_tool_role(messages: list[dict[str, str]], tokenizer: PreTrainedTokenizerBase) -> None:
    """Refuse tool turns to a chat template that would fail on them or leave them out: a reply
    trained (or asked) without the tool result it answers from."""
    if has_tool_turn(messages) and not _renders_tool_turns(tokenizer):
        raise TunelabError(
            "this chat has a tool turn, but the model's chat template has no tool role (it "
            "refuses or drops one): leave tool turns out, or use a model whose template has one"
        )
    empty = any(m["role"] == "tool" and not m["content"].strip() for m in messages)
    if empty and not _renders_empty_tool_turns(tokenizer):
        raise TunelabError(
            "this chat has an empty tool result, which the model's chat template leaves out (it "
            "writes a turn only for text): the reply after it would be trained as if the tool "
            'never answered; write what the tool returned ("no results"), or use a model whose '
            "template writes it"
        )


@per_template
def _renders_tool_turns(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the chat template writes a tool turn's text (ChatML, Llama 3.1 and Qwen2.5 do;
    Gemma's raises on any role but user and assistant)."""
    result = "tunelab-tool-result"
    turns = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
        {"role": "tool", "content": result},
    ]
    try:
        text = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    except Exception:  # a template's raise_exception, or one that reads fields a turn lacks
        return False
    return result in text


@per_template
def _renders_empty_tool_turns(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the chat template writes a tool turn whose result is empty (a search that found
    nothing): one that writes a turn only when it has text leaves the chat as if none came."""
    turns = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    try:
        texts = [
            tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
            for chat in (turns, [*turns, {"role": "tool", "content": ""}])
        ]
    except Exception:  # a template that raises on a tool turn: _renders_tool_turns refused it
        return False
    return texts[0] != texts[1]


def chat_segments(
    messages: list[dict[str, Any]],
    tokenizer: PreTrainedTokenizerBase,
    eos: str,
    tools: list[dict[str, Any]] | None = None,
) -> list[tuple[str, bool]]:
    """Render turn by turn so each assistant reply (through its EOS) is trained, the rest masked:
    a reply that calls tools is trained as any other, the call as the template writes it; one of
    weight 0 (OpenAI's finetuning format) is masked, context for the replies after it."""
    require_chat_template(tokenizer)
    require_tool_role(messages, tokenizer)
    require_tool_calls(messages, tools, tokenizer)

    def render(msgs: list[dict[str, Any]], open_reply: bool) -> str:
        return tokenizer.apply_chat_template(
            msgs, tools=tools, tokenize=False, add_generation_prompt=open_reply
        )

    segments: list[tuple[str, bool]] = []
    done = ""  # text already placed in segments
    for i, message in enumerate(messages):
        # A reply opening the chat (a greeting) answers nothing, and no template renders an empty
        # history: it stays as context for the turns after it.
        if message["role"] != "assistant" or i == 0:
            continue
        prompt = render(messages[:i], open_reply=True)
        full = render(messages[: i + 1], open_reply=False)
        if not prompt.startswith(done) or not full.startswith(prompt):
            # The template rewrites earlier turns (some strip reasoning from history): train only
            # on the final reply, which is always a clean continuation of its prompt.
            return _last_reply_only(messages, render, tokenizer, eos)
        reply, cut = _through_end(full[len(prompt) :], tokenizer, eos)
        segments.append((prompt[len(done) :], False))
        segments.append((reply, message.get("weight", 1) != 0))
        done = prompt + full[len(prompt) :][:cut]
    if not segments:
        raise TunelabError("example has no assistant reply to train on")
    return segments


def _last_reply_only(messages, render, tokenizer, eos) -> list[tuple[str, bool]]:
    messages = through_last_reply(messages, trained=True)  # weight 0 is never trained
    prompt = render(messages[:-1], open_reply=True)
    full = render(messages, open_reply=False)
    if not full.startswith(prompt):
        raise TunelabError(
            "the chat template does not render the prompt as a prefix of the reply (Mistral's "
            "writes a system turn into the last user turn, so the prompt of an earlier reply is no "
            "start of the chat): drop the system turn from such rows, or set data.template"
        )
    return [(prompt, False), (_through_end(full[len(prompt) :], tokenizer, eos)[0], True)]


def _through_end(reply: str, tokenizer: PreTrainedTokenizerBase, eos: str) -> tuple[str, int]:
    """A rendered reply through the token that ends it, to be trained, and where that is in
    `reply`: the template's own end of a turn (Qwen2.5 base ends its text with "<|endoftext|>"
    and a ChatML turn with "<|im_end|>", Gemma a turn with "<end_of_turn>"), which the history
    of a chat then holds as training saw it and generation stops at (Phi-3's writes its EOS
    after the last turn's end, which no history holds); else the EOS; else the EOS added."""
    for end in (turn_end(tokenizer), eos):
        if end and end in reply:
            cut = reply.find(end) + len(end)
            return reply[:cut], cut
    return reply + eos, len(reply)


@per_template
def turn_end(tokenizer: PreTrainedTokenizerBase) -> str:
    """The special token the chat template closes an assistant's turn with, or "" (no chat
    template, or none after the reply's text)."""
    if not getattr(tokenizer, "chat_template", None):
        return ""
    reply = "tunelab-reply-text"
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "q"}, {"role": "assistant", "content": reply}],
            tokenize=False,
        )
    except Exception:  # a template that wants other turns: no end found, the EOS is added
        return ""
    after = text[text.rfind(reply) + len(reply) :].lstrip()
    special = sorted(tokenizer.all_special_tokens + [
        t.content for t in tokenizer.added_tokens_decoder.values() if t.special
    ], key=len, reverse=True)  # fmt: skip
    return next((token for token in special if token and after.startswith(token)), "")
