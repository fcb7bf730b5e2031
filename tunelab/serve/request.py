"""A request to the serving engine and what it hears back: its prompt, sampling and reply so far,
the events of new text and of its end, and handing one to a listener that may be gone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from tunelab.generation.reply_text import ReplyText
from tunelab.generation.structured import Reply
from tunelab.serve.sampling import Sampling


@dataclass
class Event:
    """What a request hears from the engine: new text, and at the end a finish reason."""

    text: str
    finish_reason: str | None = None  # "stop", "length", or "error" (then `text` says why)
    prompt_tokens: int = 0
    completion_tokens: int = 0  # every token generated, an EOS that ended the reply included


@dataclass
class Request:
    prompt_ids: list[int]
    sampling: Sampling
    emit: Callable[[Event], None]  # called from the engine thread; must not block
    cancelled: threading.Event = field(default_factory=threading.Event)
    rng: torch.Generator | None = None
    reply: Reply | None = None  # where the reply is in its schema, when it must follow one
    prefilled: int = 0  # prompt tokens already in the cache
    slot: int = 0  # the cache slot its prompt is prefilled in
    text: ReplyText | None = None  # its tokens, its text and whether it is over (from `submit`)
    # A completion's text continues its prompt's (its first word keeps its space); a chat reply's
    # starts anew.
    continues_prompt: bool = False
    # With sampling.logprobs: each sampled token's log-probability and the likeliest tokens at its
    # place, in order (the EOS that ended it included), as the engine decodes them.
    scored: list[tuple[float, dict[int, float]]] = field(default_factory=list)

    @property
    def generated(self) -> list[int]:
        """The reply's tokens so far, EOS not counted."""
        return self.text.tokens if self.text else []

    @property
    def finish_reason(self) -> str | None:
        """Why the reply ended ("stop", "length"), or None while it goes on or once abandoned."""
        return self.text.finish_reason if self.text else None

    def cancel(self) -> None:
        """Give up on this request (client went away); the engine drops it before its next step."""
        self.cancelled.set()


def safe_emit(r: Request, event: Event) -> None:
    try:
        r.emit(event)
    except Exception:  # noqa: BLE001 -- the listener is gone (closed event loop): stop working for it
        r.cancelled.set()
