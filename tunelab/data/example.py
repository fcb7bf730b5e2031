"""The row type every stage passes along: one example in a shape-independent form (a chat, a
raw text or an Alpaca row), read from a data file and turned into a prompt by the template step."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tunelab.data.tool_calls import said


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
    # The row this one rewrites (`tunelab data augment`'s meta.source_key, its original's too):
    # a restated answer states its original's fact in other words, which its text cannot show.
    rewrite_of: str = ""
    # False for a raw text's head whose end the split held out (split.held_out_tails): the text
    # goes on there, so no EOS is trained after it.
    text_ends: bool = True

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
        replied = self._last_reply()
        turn = self._question_turn()
        return [m for i, m in enumerate(self.messages[:replied]) if i != turn]

    def _last_reply(self) -> int:
        """The last assistant turn's index (the end, where none is: a dump's unanswered turn)."""
        return max(
            (i for i, m in enumerate(self.messages) if m["role"] == "assistant"),
            default=len(self.messages),
        )

    def _question_turn(self) -> int | None:
        replied = self._last_reply()
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
    def system(self) -> str | None:
        """The system prompt the example opens with (its chat's system turn, a row's `system`
        column), or None."""
        opening = self.messages[0] if self.messages else {}
        return opening["content"] if opening.get("role") == "system" else None

    @property
    def reply(self) -> dict[str, Any]:
        """The last assistant turn, the one scored: its text and its calls ({} where none is)."""
        return next((m for m in reversed(self.messages) if m["role"] == "assistant"), {})

    @property
    def answer(self) -> str:
        return said(self.reply) if self.reply else ""

    @classmethod
    def qa(cls, question: str, answer: str | None = None, source: str = "") -> Example:
        messages = [{"role": "user", "content": question}]
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
        return cls(messages=messages, source=source)


def counted(examples: list[Example]) -> str:
    """What a count of `examples` counts, as the data lines say it: "texts" where they are raw
    text (continued pretraining: documents, or the parts of them a split held out), else
    "examples"."""
    return "texts" if examples and all(e.text is not None for e in examples) else "examples"
