"""What to tell a user about chat rows that train other than they read: turns after the last
reply (left out), an empty system turn (written as an empty system prompt), and one system prompt
in every row that the run's own is not (chat, generate, serve and export ask under the run's
own, which it never trained with). `data check` and training both say these."""

from __future__ import annotations

from collections.abc import Callable

from tunelab.data.example import Example
from tunelab.data.prompts.templates import Prompt
from tunelab.data.text import one_line
from tunelab.data.turns import through_last_reply


def unanswered_turns(
    examples: list[Example], where: Callable[[int], str] | None = None
) -> str | None:
    """What to do about chat rows that end on turns after their last reply (the first named, by
    `where` of its index or its source), or None: training leaves those turns out, having no
    reply to train on them, and a chat dump's last question lost that way was lost unsaid."""
    rows = [
        i
        for i, e in enumerate(examples)
        if e.messages and len(through_last_reply(e.messages)) < len(e.messages)
    ]
    return _chat_rows_note(
        examples,
        rows,
        where,
        "end on turns after their last reply (first: {first}): no reply follows them, so they "
        "train nothing and are left out; end each chat on the reply to its last turn, or drop "
        "that turn",
    )


def _chat_rows_note(
    examples: list[Example], rows: list[int], where: Callable[[int], str] | None, note: str
) -> str | None:
    """ "N chat row(s) " and `note`, its {first} the first of `rows` (`where` of its index, else
    its source); None where no row is."""
    if not rows:
        return None
    first = where(rows[0]) if where else examples[rows[0]].source
    return f"{len(rows)} chat row(s) " + note.format(first=first)


def rows_system_prompt(examples: list[Example], prompt: Prompt) -> str | None:
    """The system prompt every training chat opens with, where the run names none of its own
    (data.system_prompt unset), or None: training takes it as the run's, so that chat, generate,
    serve and export ask as it trained (they asked under the template's default, which a run of
    OpenAI's finetuning format, one system turn in every row, never saw)."""
    if prompt.template != "chat" or prompt.system_prompt is not None:
        return None
    return _opening(examples)


def adopted_system_prompt(examples: list[Example], system: str) -> str:
    """What training says where it took `system`, the one its chats open with
    (`rows_system_prompt`), as the run's."""
    return (
        f"{_opens_with(examples, system)}: the run asks with it (data.system_prompt), as chat, "
        "generate, serve and export will"
    )


def _opening(examples: list[Example]) -> str | None:
    """The system prompt every one of `examples` opens with, or None (they differ, or open with
    none)."""
    opening = {e.system for e in examples}
    return opening.pop() if len(opening) == 1 else None


def _opens_with(examples: list[Example], system: str) -> str:
    return (
        f"every training example opens with the system prompt {one_line(system, 80)!r} "
        f"({examples[0].source})"
    )


def unasked_system_prompt(examples: list[Example], prompt: Prompt) -> str | None:
    """What to do when every training chat opens with one system prompt that the run's own is not:
    chat, generate, serve and export ask with the run's (data.system_prompt, else the chat
    template's default), so the model would be asked under one it never trained with. Chat rows
    in OpenAI's finetuning format carry their system turn in every row."""
    if prompt.template != "chat" or (system := _opening(examples)) in (None, prompt.system_prompt):
        return None
    own = "unset: the chat template's default" if prompt.system_prompt is None else "another"
    return (
        f"{_opens_with(examples, system)}, but chat, generate, serve and export ask with "
        f"data.system_prompt ({own}), which the run never trained under: set data.system_prompt "
        'to the rows\' one (--set "data.system_prompt=..."; training stays the same), or pass '
        "--system-prompt to chat and serve"
    )


def empty_system_turns(
    examples: list[Example], where: Callable[[int], str] | None = None
) -> str | None:
    """What to do about chat rows with an empty system turn, the first named (`where` of its
    index, else its source), or None. The chat template writes one as an empty system prompt
    (SmolLM2's does, ChatML's), where a chat without one gets data.system_prompt or the
    template's own default, as chat and serve ask: dropping it would train other text than the
    row's, so it is said. A tool's empty result is the tool's answer, and is kept."""
    rows = [
        i
        for i, e in enumerate(examples)
        if any(m["role"] == "system" and not m["content"].strip() for m in e.messages)
    ]
    return _chat_rows_note(
        examples,
        rows,
        where,
        "hold an empty system turn (first: {first}): the chat template writes it as an empty "
        "system prompt, while a chat without one gets data.system_prompt or the template's own "
        "default, which chat and serve ask with: drop the empty turn, or write the system prompt "
        "in it",
    )
