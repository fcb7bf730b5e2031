"""Prompt templates: turn one example into the text the model sees, split into segments that are
trained on (the response and its EOS) and segments that are not (everything else)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, StrictUndefined, TemplateError

from tunelab.data.example import Example
from tunelab.data.prompts.chat_template import chat_prompt, chat_segments, has_tool_turn
from tunelab.data.tool_calls import has_tool_calls
from tunelab.data.turns import through_last_reply
from tunelab.errors import TunelabError
from tunelab.meant import not_a_choice

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

ALPACA_PROMPT = (
    "Below is an instruction that describes a task{with_input}. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n{input_block}### Response:\n"
)
QA_PROMPT = "### Question:\n{question}\n\n### Answer:"
BUILTIN_TEMPLATES = ("chat", "alpaca", "qa")
ONE_QUESTION_TEMPLATES = ("qa", "alpaca")  # no turns, no system prompt: the question alone
# Generation's "no template": the prompt as written, for the model to continue (a run trained on
# raw text), encoded as training encoded its texts and as the server's /v1/completions takes one.
RAW_TEXT = "text"
# What a question is asked in (generate, eval, compare): the built-in templates, and RAW_TEXT.
ASKED_TEMPLATES = (*BUILTIN_TEMPLATES, RAW_TEXT)


@dataclass(frozen=True)
class Prompt:
    """How a model is asked: its prompt template and system prompt, as in training (a run's come
    from `Run.prompt()`; any other model is asked with its own chat template)."""

    template: str = "chat"
    system_prompt: str | None = None

    def said(self) -> str:
        """How the questions were asked, as the reports say it: "template 'chat', system prompt
        'Be brief.'"."""
        system = f", system prompt {self.system_prompt!r}" if self.system_prompt else ""
        return f"template {self.template!r}{system}"

    def with_system_prompt(self, text: str, trained: str | None = None) -> Prompt:
        """This prompt asked under `text`; refused for qa and alpaca, which have no place for one
        (`tunelab generate QA_RUN Q --system-prompt ...` answered as without it, saying nothing).
        `trained`: the run trained in this template, else None (a model, or --template given)."""
        if self.template in (*ONE_QUESTION_TEMPLATES, RAW_TEXT):
            advice = "ask in the model's chat template (--template chat)"
            if trained:
                advice += f", which {trained} was not trained in"
            raise no_system_prompt(self.template, "this model", advice)
        return replace(self, system_prompt=text)

    def question(self, item: str | Example, tokenizer: PreTrainedTokenizerBase) -> str:
        """A question alone, or the prompt of a test row's last reply as training trained it:
        with the chat template, the turns before it, the tools offered and the tools' results.
        The RAW_TEXT template gives the question as written, to be continued, as `chat` does
        (`eval --template text` was refused as an unknown template that generate takes)."""
        example = Example.qa(item) if isinstance(item, str) else item
        if self.template == RAW_TEXT:
            return example.question
        _check_asked(self.template)
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
        do, rather than answer without them. The RAW_TEXT template gives the last message
        exactly as written, to be continued."""
        if self.template == RAW_TEXT:
            return messages[-1]["content"]
        if self.template == "chat":
            return chat_prompt(_with_system(messages, self.system_prompt), tokenizer, tools)
        _check_asked(self.template)
        _refuse_calls(self.template, messages, tools)
        if has_tool_turn(messages):
            raise TunelabError(
                f"a tool turn has no place in {template_named(self.template)}, which asks the "
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
        return chat_segments(messages, tokenizer, eos, example.tools)
    last = next((m for m in reversed(example.messages) if m["role"] == "assistant"), {})
    if last.get("weight") == 0:
        raise TunelabError(
            f"its last reply has weight 0 (not trained), but {template_named(template)} trains "
            "the last reply alone: train such chats with the chat template (data.template: chat)"
        )
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
        return chat_prompt(history, tokenizer, example.tools)
    _refuse_calls(template, messages, example.tools)
    if "messages" not in template and has_tool_turn(history):
        # The reply would be trained (or asked) without the result it reads from.
        raise TunelabError(
            f"a tool turn has no place in {template_named(template)}, which asks one question: "
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


def _refuse_calls(template: str, messages: list[dict[str, Any]], tools: list | None) -> None:
    if tools or has_tool_calls(messages):
        # A call is no text to put after a prompt, and tools no question to ask.
        raise TunelabError(
            f"tool calls and tools have no place in {template_named(template)}, which trains one "
            "text reply: train rows with tools or tool_calls with the chat template "
            "(data.template: chat)"
        )


def no_system_prompt(template: str, asked: str, advice: str) -> TunelabError:
    """--system-prompt refused for a model asked in a one-question `template` (qa, alpaca, a
    Jinja string), which has no place for one: `asked` names the model (this model, this export,
    a served model), `advice` what helps there."""
    return TunelabError(
        f"--system-prompt refused: {asked} is asked in {template_named(template)}, which gives it "
        "the question alone, so the system prompt would be left out without a word: leave "
        f"--system-prompt out, or {advice}"
    )


def template_named(template: str) -> str:
    """A prompt template as a person reads it: "the 'qa' template", or "a Jinja template" for a
    data.template of its own."""
    builtin = template in ASKED_TEMPLATES
    return f"the {template!r} template" if builtin else "a Jinja template"


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
    kept = through_last_reply(example.messages)
    return example if len(kept) == len(example.messages) else replace(example, messages=kept)


def _with_system(messages: list[dict[str, str]], system_prompt: str | None) -> list[dict[str, str]]:
    if system_prompt is None or (messages and messages[0]["role"] == "system"):
        return messages
    return [{"role": "system", "content": system_prompt}, *messages]


def _is_jinja(template: str) -> bool:
    return "{{" in template or "{%" in template


def _unknown(template: str, known: tuple[str, ...], option: str = "template") -> TunelabError:
    """A template name that is none of `known` (training's, or ASKED_TEMPLATES where a question
    is asked) and no Jinja string; the one it nearly is named ('qA' typed for qa), as a mistyped
    choice of a setting is."""
    return TunelabError(not_a_choice(option, template, known, besides="a Jinja string"))


def check_template(template: str, examples: Iterable[Example]) -> None:
    """Refuse a training template that is no built-in name and no Jinja string before any of
    `examples` is rendered: the error was each row's, so a typo was blamed on the first row
    ("qa.csv:2: unknown template 'qA'") or, under data.on_error: skip, skipped every row. Raw
    text takes no template: examples that are all raw text leave it unread."""
    if any(example.text is None for example in examples):
        _check_known(template, BUILTIN_TEMPLATES)


def _check_asked(template: str, option: str = "template") -> None:
    """Refuse a template a question cannot be asked in, naming ASKED_TEMPLATES: training's
    refusal named the built-in ones alone, and generate, eval and compare take 'text' too."""
    _check_known(template, ASKED_TEMPLATES, option)


def check_template_option(template: str) -> None:
    """Refuse a --template a question cannot be asked in, naming the option, before any question
    is rendered: eval's error was its first test row's ("test.jsonl:1: unknown template 'qaa'")."""
    _check_asked(template, option="--template")


def _check_known(template: str, known: tuple[str, ...], option: str = "template") -> None:
    if template not in known and not _is_jinja(template):
        raise _unknown(template, known, option)


def _render_jinja(template: str, example: Example, history: list[dict[str, str]]) -> str:
    if not _is_jinja(template):
        raise _unknown(template, BUILTIN_TEMPLATES)
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
