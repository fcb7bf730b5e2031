"""Whether a prompt leaves its reply room in the model's context, and the errors when it cannot be
answered: an empty prompt, a reply limit under 1, a prompt that fills the context (PromptTooLong),
and the advice the server and the chat give on what to shorten. Shared by `generate`, training's
held-out answers, the chat and the server."""

from __future__ import annotations

from tunelab.errors import TunelabError


class PromptTooLong(TunelabError):
    """Prompts that fill the model's context on their own, with their lengths in tokens."""

    def __init__(
        self,
        prompts: list[str],
        lengths: list[int],
        limit: int,
        what: str = "prompt",
        how: str = "",
        names: list[str] | None = None,
    ):
        """`names`: where each prompt comes from (a row's "file:line"), shown for it where not
        empty; otherwise the prompt's end."""
        self.prompts, self.lengths, self.limit = prompts, lengths, limit
        names = names or [""] * len(prompts)
        shown = "; ".join(
            f"{name or repr(_end(p))} ({n} tokens)"
            for p, name, n in zip(prompts[:3], names, lengths)
        )
        more = f" and {len(prompts) - 3} more" if len(prompts) > 3 else ""
        many = len(prompts) > 1
        super().__init__(
            f"{len(prompts)} {what}{'s' if many else ''}{how} leave{'' if many else 's'} no room "
            f"for a reply in the model's context of {limit} tokens: {shown}{more}; shorten "
            f"{'them' if many else 'it'}"
        )


def refuse_empty(encoded: list[list[int]]) -> None:
    """A prompt of no token has nothing to continue from (torch's indexing error before)."""
    if empty := [i for i, ids in enumerate(encoded) if not ids]:
        raise TunelabError(f"prompt {empty[0]} is empty: give each prompt some text")


def fitting_advice(
    prompt_tokens: int, context: int, limit: int | None, limit_name: str, prompt_name: str
) -> str:
    """What makes a prompt and a reply of up to `limit` tokens fit a context, for the server's
    400 and the chat's error alike: a lower limit only where the prompt leaves room for a reply,
    a shorter prompt only where a reply of `limit` could fit beside some prompt."""
    room = context - prompt_tokens
    if room <= 0:
        return f"shorten {prompt_name}"
    lower = f"lower {limit_name} to at most {room}"
    if limit is not None and limit >= context:  # shortening "hi" cannot help such a reply
        return lower
    return f"{lower}, or shorten {prompt_name}"


def _end(text: str, n: int = 60) -> str:
    """Where a templated prompt differs from the others: its end (the question)."""
    text = " ".join(text.split())
    return text if len(text) <= n else "…" + text[-n:]


def refuse_reply_limit(max_new_tokens: int) -> None:
    """A reply is at least its first token: a limit of 0 would still make one."""
    if max_new_tokens < 1:
        raise TunelabError(f"max_new_tokens must be at least 1, not {max_new_tokens}")


def reply_budgets(
    limit: int,
    prompts: list[str],
    encoded: list[list[int]],
    max_new_tokens: int,
    only: list[int] | None = None,
) -> list[int]:
    """Each prompt's room for its reply: `max_new_tokens`, or what is left of the model's context
    of `limit` positions after the prompt (that reply ends at "length"), as the server allows.
    Past its positions a model with learned ones (GPT-2) fails, and one with rotary ones (Llama)
    goes on reading positions it never trained on, and says worse things without a word. Only
    the prompts at the indices `only` (default all) must fit; the others' budgets are 0."""
    only = range(len(encoded)) if only is None else only
    full = [i for i in only if len(encoded[i]) >= limit]
    if full:
        raise PromptTooLong([prompts[i] for i in full], [len(encoded[i]) for i in full], limit)
    return [max(0, min(max_new_tokens, limit - len(ids))) for ids in encoded]
