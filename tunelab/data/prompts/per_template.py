"""What a chat template does, learned once per template rather than once per example or request
(whether it writes a tool turn, a call, the tools; which token ends its turns): a probe renders a
few turns, too slow to repeat for each. The template's text is part of the key, not only the
tokenizer: a base model's tokenizer is often given `tokenizer.chat_template` after it loads."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

T = TypeVar("T")


def per_template(
    probe: Callable[[PreTrainedTokenizerBase], T],
) -> Callable[[PreTrainedTokenizerBase], T]:
    """`probe(tokenizer)`, cached for the tokenizer and the chat template it has now."""

    @functools.lru_cache(maxsize=16)
    def learned(tokenizer: PreTrainedTokenizerBase, template: object) -> T:
        return probe(tokenizer)

    @functools.wraps(probe)
    def of_template_now(tokenizer: PreTrainedTokenizerBase) -> T:
        template = getattr(tokenizer, "chat_template", None)
        if isinstance(template, dict):  # several named templates (a "tool_use" one beside)
            template = tuple(sorted(template.items()))
        return learned(tokenizer, template)

    return of_template_now
