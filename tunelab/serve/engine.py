"""A continuous-batching generation engine: requests from many clients join one running batch on
the model, each decoding step advances all of them, and a finished or abandoned request leaves at
once so its slot goes to the next in the queue."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.templates import Prompt
from tunelab.generate import eos_ids
from tunelab.models import context_length
from tunelab.structured import Constraint, Reply

log = logging.getLogger(__name__)


@dataclass
class Sampling:
    max_tokens: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    constraint: Constraint | None = None  # a JSON schema the reply must follow (response_format)


@dataclass
class Event:
    """What a request hears from the engine: new text, and at the end a finish reason."""

    text: str
    finish_reason: str | None = None  # "stop", "length", or "error" (then `text` says why)
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Request:
    prompt_ids: list[int]
    sampling: Sampling
    emit: Callable[[Event], None]  # called from the engine thread; must not block
    cancelled: threading.Event = field(default_factory=threading.Event)
    generated: list[int] = field(default_factory=list)
    sent: int = 0  # characters of text already emitted
    finish_reason: str | None = None
    rng: torch.Generator | None = None
    reply: Reply | None = None  # where the reply is in its schema, when it must follow one

    def cancel(self) -> None:
        """Give up on this request (client went away); the engine drops it before its next step."""
        self.cancelled.set()


class Engine:
    """One model served to many clients; `submit` is thread-safe and returns at once."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        name: str,
        max_batch: int = 8,
        prompt: Prompt | None = None,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        # A run answers with the template and system prompt it was trained with, as in `chat`.
        self.prompt = prompt or Prompt()
        self.max_batch = max_batch
        self.context_length = context_length(model, tokenizer)
        self.device = next(model.parameters()).device
        self._eos = set(eos_ids(model, tokenizer))
        self._queue: queue.Queue[Request | None] = queue.Queue()
        self._active: list[Request] = []
        self.peak_batch = 0  # the most requests ever decoded together: shows batching happened
        self.abandoned = 0  # requests dropped unfinished because their client went away
        self._thread = threading.Thread(target=self._run, name=f"engine-{name}", daemon=True)
        self._thread.start()

    # --- the client side ---------------------------------------------------------------------

    def encode_chat(self, messages: list[dict[str, str]]) -> list[int]:
        return self.encode(self.prompt.chat(messages, self.tokenizer))

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False).input_ids

    def submit(self, request: Request) -> None:
        if request.sampling.seed is not None:
            # A generator per request: the same seed gives the same text whatever it is batched with.
            request.rng = torch.Generator(device=self.device).manual_seed(request.sampling.seed)
        request.reply = c.start() if (c := request.sampling.constraint) else None
        self._queue.put(request)

    def load(self) -> dict[str, int]:
        """Requests decoding now and waiting, and the counters above (for /health and tests)."""
        return {
            "active": len(self._active),
            "queued": self._queue.qsize(),
            "peak_batch": self.peak_batch,
            "abandoned": self.abandoned,
        }

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    # --- the engine thread -------------------------------------------------------------------

    def _run(self) -> None:
        mask = cache = last = None  # batch state: attention mask over the cache, cache, last tokens
        while True:
            incoming = self._take(block=not self._active)
            if incoming is None:
                return
            try:
                mask, cache, last = self._drop_done(mask, cache, last)
                if incoming:
                    new = self._prefill(incoming)
                    mask, cache, last = _merge((mask, cache, last), new)
                    self._active, incoming = self._active + incoming, []
                    mask, cache, last = self._drop_done(mask, cache, last)
                if self._active:
                    self.peak_batch = max(self.peak_batch, len(self._active))
                    mask, cache, last = self._step(mask, cache, last)
            except Exception as err:  # one failed batch must not take the server down
                log.exception("generation failed")
                for r in self._active + incoming:
                    _safe_emit(r, Event(f"generation failed: {type(err).__name__}", "error"))
                self._active, mask, cache, last = [], None, None, None

    def _take(self, block: bool) -> list[Request] | None:
        """Requests to add this step (up to free slots); None when the engine is closing."""
        taken: list[Request] = []
        while len(self._active) + len(taken) < self.max_batch:
            try:
                item = self._queue.get(block=block and not taken, timeout=None)
            except queue.Empty:
                break
            if item is None:
                return None
            if item.cancelled.is_set():
                self.abandoned += 1
            else:
                taken.append(item)
            block = False  # after the first, only take what is already waiting
        return taken

    @torch.inference_mode()
    def _prefill(self, requests: list[Request]):
        width = max(len(r.prompt_ids) for r in requests)
        pad = self.tokenizer.pad_token_id or 0
        ids = torch.tensor([[pad] * (width - len(r.prompt_ids)) + r.prompt_ids for r in requests])
        mask = torch.tensor(
            [[0] * (width - len(r.prompt_ids)) + [1] * len(r.prompt_ids) for r in requests]
        )
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache()
        out = self.model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        last = self._sample_and_emit(requests, out.logits[:, -1])
        return mask, cache, last

    @torch.inference_mode()
    def _step(self, mask, cache, last):
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
        positions = mask.sum(-1, keepdim=True) - 1
        out = self.model(
            input_ids=last[:, None],
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        return mask, cache, self._sample_and_emit(self._active, out.logits[:, -1])

    def _sample_and_emit(self, requests: list[Request], logits: torch.Tensor) -> torch.Tensor:
        rows = [r.reply.mask(row) if r.reply else row for row, r in zip(logits.float(), requests)]
        tokens = [_sample(row, r.sampling, r.rng) for row, r in zip(rows, requests)]
        for r, token in zip(requests, tokens):
            self._advance(r, token)
        return torch.tensor(tokens, device=self.device)

    def _advance(self, r: Request, token: int) -> None:
        """Add one token to a request, emit the text that is now certain, and finish it if due."""
        if r.reply is not None:
            r.reply.accept(token)
        finish = None
        if token in self._eos:
            finish = "stop"
        else:
            r.generated.append(token)
        text = self.tokenizer.decode(r.generated, skip_special_tokens=True)
        hits = [text.index(s) for s in r.sampling.stop if s and s in text]
        if hits:
            text, finish = text[: min(hits)], "stop"
        elif finish is None and len(r.generated) >= r.sampling.max_tokens:
            finish = "length"
        # Hold back what may still change: a half-decoded character, or the start of a stop string.
        safe = len(text) if finish else _safe_length(text, r.sampling.stop)
        event = Event(text[r.sent : safe], finish, len(r.prompt_ids), len(r.generated))
        r.sent = max(r.sent, safe)
        if event.text or finish:
            _safe_emit(r, event)
        if finish:
            r.finish_reason = finish
            r.cancelled.set()  # done: `_drop_done` frees its slot before the next step

    def _drop_done(self, mask, cache, last):
        """Remove finished and cancelled rows from the batch and trim padding nobody needs now."""
        keep = [i for i, r in enumerate(self._active) if not r.cancelled.is_set()]
        if len(keep) == len(self._active):
            return mask, cache, last
        self.abandoned += sum(
            r.cancelled.is_set() and r.finish_reason is None for r in self._active
        )
        self._active = [self._active[i] for i in keep]
        if not keep:
            return None, None, None
        index = torch.tensor(keep, device=self.device)
        cache.batch_select_indices(index)
        mask, last = mask[index], last[index]
        start = int(mask.any(0).float().argmax())  # first column some remaining row attends to
        if start:
            mask = mask[:, start:]
            for layer in cache.layers:
                layer.keys, layer.values = layer.keys[:, :, start:], layer.values[:, :, start:]
        return mask, cache, last


def _sample(logits: torch.Tensor, s: Sampling, rng: torch.Generator | None) -> int:
    if s.temperature <= 0:
        return int(logits.argmax())
    probs = torch.softmax(logits / s.temperature, dim=-1)
    if s.top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        # Keep the smallest set of tokens whose mass reaches top_p (always at least the top one).
        drop = sorted_probs.cumsum(-1) - sorted_probs >= s.top_p
        sorted_probs[drop] = 0.0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs, 1, generator=rng))


def _safe_length(text: str, stops: list[str]) -> int:
    n = len(text)
    while n and text[n - 1] == "\ufffd":
        n -= 1
    for s in stops:
        for k in range(min(len(s) - 1, n), 0, -1):
            if text[:n].endswith(s[:k]):
                n -= k
                break
    return n


def _safe_emit(r: Request, event: Event) -> None:
    try:
        r.emit(event)
    except Exception:  # noqa: BLE001 -- the listener is gone (closed event loop): stop working for it
        r.cancelled.set()


def _merge(current, new):
    """Join two left-padded batches: pad the shorter cache on the left so both end together."""
    mask_a, cache_a, last_a = current
    mask_b, cache_b, last_b = new
    if mask_a is None:
        return new
    width = max(mask_a.shape[1], mask_b.shape[1])

    def left_pad(t: torch.Tensor, dim: int) -> torch.Tensor:
        missing = width - t.shape[dim]
        if not missing:
            return t
        shape = list(t.shape)
        shape[dim] = missing
        return torch.cat([t.new_zeros(shape), t], dim=dim)

    layers = [
        (
            torch.cat([left_pad(a.keys, 2), left_pad(b.keys, 2)]),
            torch.cat([left_pad(a.values, 2), left_pad(b.values, 2)]),
        )
        for a, b in zip(cache_a.layers, cache_b.layers)
    ]
    mask = torch.cat([left_pad(mask_a, 1), left_pad(mask_b, 1)])
    return mask, DynamicCache(layers), torch.cat([last_a, last_b])
