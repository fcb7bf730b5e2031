"""The prompt a run was trained with, carried into what it exports: llama.cpp, Ollama and plain
transformers only see the chat template (and an Ollama Modelfile), never the run's config.yaml, so
without this an exported run is asked in a format or with a system prompt it never saw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.templates import Prompt
from tunelab.run import Run, prompt_for

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

_HOLE = "\x00"  # stands for the question while a prompt is cut into its fixed text
_ONE_QUESTION = ("qa", "alpaca")  # the templates that ask one question at a time, without turns
TEMPLATES = ("chat", *_ONE_QUESTION)  # the prompt templates an export can carry


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
    if template in _ONE_QUESTION:
        before, after = (_literal(text) for text in around_question(template, tokenizer))
        # The last question alone, as `tunelab serve` asks: these formats have no turns.
        return (
            "{%- set ns = namespace(question='') -%}"
            "{%- for message in messages -%}{%- if message['role'] == 'user' -%}"
            "{%- set ns.question = message['content'] -%}{%- endif -%}{%- endfor -%}"
            f"{{{{ {before} + ns.question + {after} }}}}"
            "{%- if messages[-1]['role'] == 'assistant' -%}"
            "{{ messages[-1]['content'] + eos_token }}{%- endif -%}"
        )
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


def modelfile(
    gguf_file: str | Path, template: str, system: str | None, tokenizer: PreTrainedTokenizerBase
) -> str:
    """An Ollama Modelfile for the exported file, read from beside it (`FROM ./model.gguf`, so
    the two move together): Ollama picks its own prompt format from the GGUF, so the run's
    system prompt (and a qa/alpaca format) must be spelled out here."""
    lines = [f"FROM ./{Path(gguf_file).name}"]
    if template in _ONE_QUESTION:
        before, after = around_question(template, tokenizer)
        lines.append(f'TEMPLATE """{before}{{{{ .Prompt }}}}{after}"""')
    elif system is not None:
        lines.append(f'SYSTEM """{system}"""')
    return "\n".join(lines)


def _literal(text: str) -> str:
    """`text` as a Jinja string literal (Jinja reads JSON's escapes)."""
    return json.dumps(text, ensure_ascii=False)


def write_modelfile(
    model: str | Run, gguf_file: Path, path: Path, tokenizer: PreTrainedTokenizerBase
) -> Path:
    """The Modelfile of `model`'s GGUF export (`tokenizer` is `model`'s), asking it as it was
    trained; `ollama create NAME -f path` makes it an Ollama model."""
    prompt = prompt_for(model)
    text = modelfile(gguf_file, prompt.template, prompt.system_prompt, tokenizer)
    path.write_text(text + "\n", encoding="utf-8")
    return path
