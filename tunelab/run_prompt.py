"""How a run's questions are asked, where its prompt must travel in a chat template: llama.cpp,
Ollama and plain transformers only see the chat template of a run's export, never the run's
config.yaml, so export writes the run's prompt into it; eval, compare, chat and serve read it back
(a qa or alpaca layout, the system prompt it takes or refuses) and say how they asked."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from tunelab.data.prompts.templates import (
    ONE_QUESTION_TEMPLATES,
    Prompt,
    no_system_prompt,
)
from tunelab.run import Run, load_tokenizer

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

_HOLE = "\x00"  # stands for the question while a prompt is cut into its fixed text
# Opens the chat template of a qa or alpaca run's export: the template renders the last question
# alone, which nothing reading the export (`tunelab chat`, `tunelab serve`) could tell otherwise.
_CARRIES = "{{#- tunelab: trained with the {} template, which asks the last user message alone -#}}"
_CARRIED = re.compile(r"\{#- tunelab: trained with the (\w+) template")


def around_question(template: str, tokenizer: PreTrainedTokenizerBase) -> tuple[str, str]:
    """The run's prompt text before and after the question, for 'qa' or 'alpaca': cut from the
    prompt training itself renders, so it carries the BOS that training writes into it for
    tokenizers that open every text with one (Llama 3's)."""
    before, after = Prompt(template).question(_HOLE, tokenizer).split(_HOLE)
    return before, after


def trained_chat_template(
    tokenizer: PreTrainedTokenizerBase, template: str, system: str | None
) -> str | None:
    """A chat template that renders prompts as the run's training did (its template, its system
    prompt when a conversation brings none), for `template` of 'chat', 'qa' or 'alpaca'."""
    chat_template = tokenizer.chat_template
    if template in ONE_QUESTION_TEMPLATES:
        return _CARRIES.format(template) + _last_question(*around_question(template, tokenizer))
    if template != "chat":
        raise ValueError(f"no chat template can stand for prompt template {template!r}")
    if system is None or not chat_template:
        return chat_template
    # The run's system prompt goes first when a conversation brings none, as in training.
    return (
        "{%- if not messages or messages[0]['role'] != 'system' -%}"
        f"{{%- set messages = [{{'role': 'system', 'content': {_literal(system)}}}] + messages -%}}"
        "{%- endif -%}" + chat_template
    )


def _last_question(before: str, after: str) -> str:
    """The chat template that asks the last user message alone between `before` and `after`,
    as `tunelab serve` asks a qa or alpaca run: these formats have no turns."""
    return (
        "{%- set ns = namespace(question='') -%}"
        "{%- for message in messages -%}{%- if message['role'] == 'user' -%}"
        "{%- set ns.question = message['content'] -%}{%- endif -%}{%- endfor -%}"
        f"{{{{ {_literal(before)} + ns.question + {_literal(after)} }}}}"
        "{%- if messages[-1]['role'] == 'assistant' -%}"
        "{{ messages[-1]['content'] + eos_token }}{%- endif -%}"
    )


def one_question_template(prompt: Prompt, tokenizer: PreTrainedTokenizerBase) -> str | None:
    """The template a model asked with `prompt` takes one question in ('qa', 'alpaca', or a
    run's own Jinja string, as its data.template holds it), its system prompt and earlier turns
    left out: a run's, or the one its export's chat template carries (as `trained_chat_template`
    writes it); None where the model reads the conversation."""
    if prompt.template != "chat":
        return prompt.template
    chat_template = getattr(tokenizer, "chat_template", None)
    if not isinstance(chat_template, str):
        return None
    carried = _CARRIED.search(chat_template)
    return carried.group(1) if carried else _written_before_the_comment(chat_template, tokenizer)


def asked_with(prompt: Prompt, tokenizer: PreTrainedTokenizerBase) -> str:
    """How the questions were asked, as eval's and compare's reports say it (`Prompt.said`),
    naming the layout a model's own chat template holds where the export of a qa or alpaca run
    wrote it: "template 'chat'" read as a chat layout, of prompts asked in the run's qa one."""
    if prompt.template == "chat" and (carried := one_question_template(prompt, tokenizer)):
        return f"the model's own chat template (tunelab's {carried} layout, written by export)"
    return prompt.said()


def how_asked(said: str, prompt: Prompt | None) -> str:
    """How the questions were asked, for eval's and compare's reports: `said`, what `asked_with`
    made of it, else the prompt itself (`Prompt.said`); "" when neither is known."""
    return said or (prompt.said() if prompt else "")


def _written_before_the_comment(
    chat_template: str, tokenizer: PreTrainedTokenizerBase
) -> str | None:
    """The template of a qa or alpaca run's export made before its chat template said it in a
    comment: that chat template is then, to the character, the one export wrote for this
    tokenizer (one before 2026-11-30 lacks the BOS a Llama 3 tokenizer puts first); no other
    model's template is. Nothing else in the export tells: it writes no model card or tunelab
    file, and a GGUF's Modelfile need not be beside it."""
    if "ns.question" not in chat_template:  # not tunelab's: no prompt to render
        return None
    bos = tokenizer.bos_token or ""
    for template in ONE_QUESTION_TEMPLATES:
        before, after = around_question(template, tokenizer)
        written = (_last_question(before, after), _last_question(before.removeprefix(bos), after))
        if chat_template in written:
            return template
    return None


def refuse_system_prompt(tokenizer: PreTrainedTokenizerBase) -> None:
    """--system-prompt to the export of a qa or alpaca run (its tokenizer's chat template) is
    refused, as to the run itself: that template asks the last question alone, and the system
    prompt was dropped without a word. --template chat is no way around it here: the export's
    chat template is that one."""
    carried = one_question_template(Prompt(), tokenizer)
    if carried is not None:
        raise no_system_prompt(
            carried,
            "this export",
            "train the run with data.template: chat, whose export takes one",
        )


def refuse_system_prompt_of(model, prompt: Prompt, system_prompt: str | None) -> None:
    """`refuse_system_prompt` for a model asked in its chat template (`prompt`, as
    `run.prompt_for` gave it) with a system prompt: chat, generate and eval, before the weights
    load (eval of an export asked it without a word)."""
    if system_prompt and prompt.template == "chat" and not Run.find(model):
        refuse_system_prompt(load_tokenizer(model))


def default_system_prompt(tokenizer: PreTrainedTokenizerBase) -> str | None:
    """The system prompt the chat template writes when a conversation brings none, or None:
    what the template writes given one, taken where it puts it, checked to render the same."""
    if not tokenizer.chat_template:
        return None
    question = [{"role": "user", "content": "Hi"}]

    def render(messages: list[dict]) -> str:
        return tokenizer.apply_chat_template(messages, tokenize=False)

    try:
        alone = render(question)
        marked = render([{"role": "system", "content": _HOLE}, *question])
    except Exception:  # a template that takes no system turn (Gemma's raises) has no default
        return None
    if marked.count(_HOLE) != 1:
        return None
    before, after = marked.split(_HOLE)
    if not (alone.startswith(before) and alone.endswith(after)):
        return None
    text = alone[len(before) : len(alone) - len(after)]
    if not text.strip() or render([{"role": "system", "content": text}, *question]) != alone:
        return None
    return text


def _literal(text: str) -> str:
    """`text` as a Jinja string literal (Jinja reads JSON's escapes)."""
    return json.dumps(text, ensure_ascii=False)
