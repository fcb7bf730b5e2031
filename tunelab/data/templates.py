"""Prompt templates: turn one example into the text the model sees, split into segments that are
trained on (the response and its EOS) and segments that are not (everything else)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, StrictUndefined, TemplateError

from tunelab.data.tool_calls import has_tool_calls, require_tool_calls, said
from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

ALPACA_PROMPT = (
    "Below is an instruction that describes a task{with_input}. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n{input_block}### Response:\n"
)
QA_PROMPT = "### Question:\n{question}\n\n### Answer:"
BUILTIN_TEMPLATES = ("chat", "alpaca", "qa")
# How to pick another prompt template, for a model without a chat template: by command.
TEMPLATE_CHOICE = (
    "with --template qa (eval, data commands) or data.template in a training config "
    "(--set data.template=qa)"
)


@dataclass
class Example:
    """One training example in a shape-independent form.

    `messages` is the conversation (roles user/assistant/system/tool); the assistant turns are
    the responses (an assistant's `tool_calls` too), the rest (a tool's result too) their
    context; `tools` the functions the chat offers, which the chat template writes.
    `text` is set instead for raw text (continued pretraining: every token trained).
    `instruction`/`input` keep the Alpaca fields apart for templates that use them.
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    text: str | None = None
    instruction: str | None = None
    input: str | None = None
    source: str = ""  # "file:line", so later errors and reports point back at the data

    @property
    def question(self) -> str:
        """The user turn the last reply answers (a chat dump ending on an unanswered user turn
        asked that turn in eval, scored against the reply before it)."""
        turn = self._question_turn()
        return "" if turn is None else self.messages[turn]["content"]

    @property
    def context(self) -> list[dict[str, Any]]:
        """The turns the last reply is asked after besides its question: a chat's system and
        earlier turns, and the calls and tool results that follow the question."""
        replied = max(
            (i for i, m in enumerate(self.messages) if m["role"] == "assistant"),
            default=len(self.messages),
        )
        turn = self._question_turn()
        return [m for i, m in enumerate(self.messages[:replied]) if i != turn]

    def _question_turn(self) -> int | None:
        replied = max(
            (i for i, m in enumerate(self.messages) if m["role"] == "assistant"),
            default=len(self.messages),
        )
        users = [i for i, m in enumerate(self.messages[:replied]) if m["role"] == "user"]
        return users[-1] if users else None

    def with_question(self, question: str) -> Example:
        """The example with its question said as `question` (compare's RAG arm: the question
        with its passages), the turns around it kept; an Alpaca row's input, part of the
        question, is then asked within it."""
        turn = self._question_turn()
        if question == self.question or turn is None:
            return self
        messages = list(self.messages)
        messages[turn] = {**messages[turn], "content": question}
        return replace(self, messages=messages, instruction=None, input=None)

    @property
    def answer(self) -> str:
        replies = [said(m) for m in self.messages if m["role"] == "assistant"]
        return replies[-1] if replies else ""

    @classmethod
    def qa(cls, question: str, answer: str | None = None, source: str = "") -> Example:
        messages = [{"role": "user", "content": question}]
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
        return cls(messages=messages, source=source)


@dataclass(frozen=True)
class Prompt:
    """How a model is asked: its prompt template and system prompt, as in training (a run's come
    from `Run.prompt()`; any other model is asked with its own chat template)."""

    template: str = "chat"
    system_prompt: str | None = None

    def question(self, question: str, tokenizer: PreTrainedTokenizerBase) -> str:
        return render_prompt(Example.qa(question), tokenizer, self.template, self.system_prompt)

    def asking(self, item: str | Example, tokenizer: PreTrainedTokenizerBase) -> str:
        """A question alone, or the prompt of a test row's last reply as training trained it:
        with the chat template, the turns before it, the tools offered and the tools' results."""
        example = Example.qa(item) if isinstance(item, str) else item
        return render_prompt(example, tokenizer, self.template, self.system_prompt)

    def chat(
        self,
        messages: list[dict[str, Any]],
        tokenizer: PreTrainedTokenizerBase,
        tools: list[dict[str, Any]] | None = None,
    ) -> str:
        """The prompt for the next reply of a conversation, as an OpenAI-compatible server answers
        it: the chat template carries every turn, a last reply included (a new reply follows it,
        as vLLM's does), and the `tools` offered, as training writes them; plain templates have
        no notion of turns and ask the last user message alone (as the template `tunelab export`
        writes for them does), so they refuse a tool turn, calls and tools, as training and eval
        do, rather than answer without them."""
        if self.template == "chat":
            return _chat_prompt(_with_system(messages, self.system_prompt), tokenizer, tools)
        _refuse_calls(self.template, messages, tools)
        if has_tool_turn(messages):
            raise TunelabError(
                f"a tool turn has no place in {_one_question(self.template)}, which asks the "
                "last user message alone: send tool turns to a run trained with the chat "
                "template (data.template: chat)"
            )
        users = [m for m in messages if m["role"] == "user"]
        if not users:
            raise TunelabError("the conversation has no user message to answer")
        example = Example(messages=users[-1:])
        return render_prompt(example, tokenizer, self.template, self.system_prompt)


def render_segments(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    template: str = "chat",
    system_prompt: str | None = None,
) -> list[tuple[str, bool]]:
    """The example as text segments, each marked trained (True) or masked (False).

    Every trained segment ends with the tokenizer's EOS so the model learns to stop.
    """
    eos = tokenizer.eos_token or ""
    if example.text is not None:
        return [(example.text + eos, True)]
    example = _through_last_reply(example)
    messages = _with_system(example.messages, system_prompt)
    if template == "chat":
        return _chat_segments(messages, tokenizer, eos, example.tools)
    prompt = render_prompt(example, tokenizer, template, system_prompt)
    return [(prompt, False), (example.answer + eos, True)]


def render_prompt(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    template: str = "chat",
    system_prompt: str | None = None,
) -> str:
    """The text given to the model to generate the (last) response, exactly as in training."""
    example = _through_last_reply(example)
    messages = _with_system(example.messages, system_prompt)
    history = messages[:-1] if messages and messages[-1]["role"] == "assistant" else messages
    if template == "chat":
        return _chat_prompt(history, tokenizer, example.tools)
    _refuse_calls(template, messages, example.tools)
    if "messages" not in template and has_tool_turn(history):
        # The reply would be trained (or asked) without the result it reads from.
        raise TunelabError(
            f"a tool turn has no place in {_one_question(template)}, which asks one question: "
            "train rows with tool turns with the chat template (data.template: chat)"
        )
    question = example.question
    if template == "alpaca":
        instruction = example.instruction if example.instruction is not None else question
        extra = example.input or ""
        prompt = ALPACA_PROMPT.format(
            with_input=", paired with an input that provides further context" if extra else "",
            instruction=instruction,
            input_block=f"### Input:\n{extra}\n\n" if extra else "",
        )
    elif template == "qa":
        prompt = question if in_qa_form(question) else QA_PROMPT.format(question=question)
    else:
        prompt = _render_jinja(template, example, history)
    start = _start_token(tokenizer)
    return prompt if prompt.startswith(start) else start + prompt


def _chat_prompt(
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


def _refuse_calls(template: str, messages: list[dict[str, Any]], tools: list | None) -> None:
    if tools or has_tool_calls(messages):
        # A call is no text to put after a prompt, and tools no question to ask.
        raise TunelabError(
            f"tool calls and tools have no place in {_one_question(template)}, which trains one "
            "text reply: train rows with tools or tool_calls with the chat template "
            "(data.template: chat)"
        )


def _one_question(template: str) -> str:
    return f"the {template!r} template" if template in BUILTIN_TEMPLATES else "a Jinja template"


# Asked once per tokenizer, not once per example (a fifth of a short qa example's tokenizing).
@functools.lru_cache(maxsize=16)
def _start_token(tokenizer: PreTrainedTokenizerBase) -> str:
    """The BOS a plain template's prompt opens with: the one the tokenizer puts before a text
    by default (Llama, Mistral, Gemma), written into the prompt as chat templates write theirs.
    Training and generation both encode prompts without special tokens, so both then have it."""
    bos = tokenizer.bos_token
    if not bos or tokenizer.bos_token_id is None:
        return ""
    added = tokenizer("", add_special_tokens=True).input_ids
    return bos if added[:1] == [tokenizer.bos_token_id] else ""


def in_qa_form(question: str) -> bool:
    """Whether the question already carries the qa template (as lamini_docs' do), which the qa
    template then gives as it is."""
    return question.lstrip().startswith("### Question:")


def _through_last_reply(example: Example) -> Example:
    """The example without the turns after its last reply (chat dumps often end on an unanswered
    user turn): they have no answer to train, and a one-exchange template would otherwise ask the
    last of them as the question the last reply answers."""
    roles = [m["role"] for m in example.messages]
    if "assistant" not in roles or roles[-1] == "assistant":
        return example
    end = len(roles) - roles[::-1].index("assistant")
    return replace(example, messages=example.messages[:end])


def _with_system(messages: list[dict[str, str]], system_prompt: str | None) -> list[dict[str, str]]:
    if system_prompt is None or (messages and messages[0]["role"] == "system"):
        return messages
    return [{"role": "system", "content": system_prompt}, *messages]


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


@functools.lru_cache(maxsize=16)
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


def _chat_segments(
    messages: list[dict[str, Any]],
    tokenizer: PreTrainedTokenizerBase,
    eos: str,
    tools: list[dict[str, Any]] | None = None,
) -> list[tuple[str, bool]]:
    """Render turn by turn so each assistant reply (through its EOS) is trained, the rest masked:
    a reply that calls tools is trained as any other, the call as the template writes it."""
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
        segments.append((reply, True))
        done = prompt + full[len(prompt) :][:cut]
    if not segments:
        raise TunelabError("example has no assistant reply to train on")
    return segments


def _last_reply_only(messages, render, tokenizer, eos) -> list[tuple[str, bool]]:
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


@functools.lru_cache(maxsize=16)
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


def _render_jinja(template: str, example: Example, history: list[dict[str, str]]) -> str:
    if "{{" not in template and "{%" not in template:
        raise TunelabError(
            f"unknown template {template!r}: use one of {BUILTIN_TEMPLATES} or a Jinja string"
        )
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True)
    try:
        return env.from_string(template).render(
            question=example.question,
            prompt=example.question,
            instruction=example.instruction
            if example.instruction is not None
            else example.question,
            input=example.input or "",
            messages=history,
            system=next((m["content"] for m in history if m["role"] == "system"), ""),
        )
    except TemplateError as err:
        raise TunelabError(f"custom prompt template failed: {err}") from None
