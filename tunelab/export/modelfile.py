"""The Ollama Modelfile written beside a GGUF export: Ollama picks its own prompt format from the
GGUF, so the run's prompt (a qa or alpaca layout, its system prompt) is spelled out here or the
exported run is asked in a format or with a system prompt it never saw."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.prompts.templates import ONE_QUESTION_TEMPLATES
from tunelab.errors import TunelabError
from tunelab.run import Run, prompt_for
from tunelab.run_prompt import around_question, default_system_prompt

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


def modelfile(
    gguf_file: str | Path, template: str, system: str | None, tokenizer: PreTrainedTokenizerBase
) -> str:
    """An Ollama Modelfile for the exported file, read from beside it (`FROM ./model.gguf`, so
    the two move together): Ollama picks its own prompt format from the GGUF, so the run's
    system prompt (and a qa/alpaca format) must be spelled out here."""
    lines = [f"FROM ./{Path(gguf_file).name}"]
    if template in ONE_QUESTION_TEMPLATES:
        before, after = around_question(template, tokenizer)
        lines.append(f"TEMPLATE {_quoted(before + '{{ .Prompt }}' + after, 'prompt format')}")
        return "\n".join(lines)
    # Ollama's own template for the GGUF (chatml, llama3...) writes a system turn only when the
    # Modelfile gives one, where the model's template wrote its default into every prompt the
    # run was trained on (SmolLM2's "You are a helpful AI assistant named SmolLM..."): without
    # it, 12 of 20 answers of a run on made-up facts changed, right ones to wrong.
    system = system if system is not None else default_system_prompt(tokenizer)
    if system:
        lines.append(f"SYSTEM {_quoted(system, 'system prompt')}")
    return "\n".join(lines)


def _quoted(text: str, what: str) -> str:
    """`text` as a Modelfile's multiline value. Ollama's parser has no escape: a \"\"\" inside
    ends the value, so such a text cannot be written and is refused."""
    if '"""' in text:
        raise TunelabError(
            f'the run\'s {what} holds """, which an Ollama Modelfile cannot say (its strings have '
            "no escape); change it in the run's config.yaml (data.system_prompt), or export "
            "--merged only"
        )
    return f'"""{text}"""'


def run_modelfile(model: str | Run, gguf_file: Path, tokenizer: PreTrainedTokenizerBase) -> str:
    """The Modelfile of `model`'s GGUF export (`tokenizer` is `model`'s), asking it as it was
    trained; `ollama create NAME -f FILE` makes it an Ollama model."""
    prompt = prompt_for(model)
    return modelfile(gguf_file, prompt.template, prompt.system_prompt, tokenizer) + "\n"
