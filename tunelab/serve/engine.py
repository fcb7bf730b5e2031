"""A continuous-batching generation engine: requests from many clients join one running batch on
the model, each decoding step advances all of them, and a finished or abandoned request leaves at
once so its slot goes to the next in the queue.

A step's cost is the model reading its weights once, for one row or for eight, so everything
around that is kept small: the key/value cache is preallocated (tunelab.serve.slots), a new
prompt is prefilled in chunks between decoding steps so a long one does not stall the running
replies, greedy rows are picked with one argmax, and text is decoded a few tokens at a time."""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.templates import Prompt
from tunelab.generate import common_length, eos_ids
from tunelab.kernels import decoding_kernels
from tunelab.models import context_length
from tunelab.serve.detokenize import Detokenizer, held_back
from tunelab.serve.sampling import Sampling, pick_tokens
from tunelab.serve.slots import SlotCache, Windows
from tunelab.structured import Reply

log = logging.getLogger(__name__)
# Prompt tokens prefilled between two decoding steps: a step of the running replies waits for at
# most one chunk, and a chunk this long still reads the weights once for many tokens.
PREFILL_CHUNK = 64


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
    prefilled: int = 0  # prompt tokens already in the cache
    text: Detokenizer | None = None

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
        prefill_chunk: int = PREFILL_CHUNK,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        # A run answers with the template and system prompt it was trained with, as in `chat`.
        self.prompt = prompt or Prompt()
        self.max_batch = max_batch
        self.prefill_chunk = prefill_chunk
        self.context_length = context_length(model, tokenizer)
        self.device = next(model.parameters()).device
        self._eos = set(eos_ids(model, tokenizer))
        self._queue: queue.Queue[Request | None] = queue.Queue()
        # Decoding rows: request i sits in cache slot i with lengths[i] tokens there, and the
        # token it sampled last (not yet in the cache) in last[i].
        self._active: list[Request] = []
        self._lengths: list[int] = []
        self._last: list[int] = []
        self._waiting: deque[Request] = deque()  # taken from the queue, prompt not yet started
        self._staging: Request | None = None  # the one whose prompt is being prefilled
        # The prompt tokens whose keys and values the staging slot holds: a chat's template and
        # system prompt, the same for every request, are prefilled once, not once a request.
        self._staged: list[int] = []
        self._cache = self._new_cache()
        self._kernels = decoding_kernels(model)
        self.peak_batch = 0  # the most requests ever decoded together: shows batching happened
        self.abandoned = 0  # requests dropped unfinished because their client went away
        self.reused = 0  # prompt tokens not prefilled again: shared with the previous prompt
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
        request.text = Detokenizer(self.tokenizer)
        self._queue.put(request)

    def load(self) -> dict[str, int]:
        """Requests decoding now and waiting, and the counters above (for /health and tests)."""
        return {
            "active": len(self._active),
            "queued": self._queue.qsize() + len(self._waiting) + (self._staging is not None),
            "peak_batch": self.peak_batch,
            "abandoned": self.abandoned,
            "reused_prompt_tokens": self.reused,
        }

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    # --- the engine thread -------------------------------------------------------------------

    @torch.inference_mode()  # the cache is written in place, by this thread only
    def _run(self) -> None:
        while True:
            idle = not (self._active or self._waiting or self._staging)
            if not self._take(block=idle):
                return
            try:
                self._drop_done()
                if self._staging is None and self._waiting:
                    self._stage(self._waiting.popleft())
                if self._staging is not None:
                    self._prefill_chunk()
                if self._active:
                    self.peak_batch = max(self.peak_batch, len(self._active))
                    self._step()
            except Exception as err:  # one failed batch must not take the server down
                log.exception("generation failed")
                everyone = self._active + list(self._waiting) + [self._staging]
                for r in filter(None, everyone):
                    _safe_emit(r, Event(f"generation failed: {type(err).__name__}", "error"))
                self._active, self._lengths, self._last = [], [], []
                self._waiting.clear()
                self._staging, self._cache, self._staged = None, self._new_cache(), []

    def _take(self, block: bool) -> bool:
        """Move requests from the queue to the waiting line, up to the free slots (waiting for
        one when there is nothing else to do); False when the engine is closing."""
        while self._taken() < self.max_batch:
            try:
                item = self._queue.get(block=block)
            except queue.Empty:
                break
            if item is None:
                return False
            if item.cancelled.is_set():
                self.abandoned += 1
            else:
                self._waiting.append(item)
            block = False  # after the first, only take what is already waiting
        return True

    def _taken(self) -> int:
        return len(self._active) + len(self._waiting) + (self._staging is not None)

    def _new_cache(self) -> SlotCache:
        config = self.model.config.get_text_config()
        return SlotCache(
            config.num_hidden_layers, self.max_batch + 1, self.context_length, Windows.of(config)
        )

    def _stage(self, r: Request) -> None:
        """Make `r` the request being prefilled, reusing the prompt tokens it shares with the
        last one staged (all but its last token: that one's logits give the first reply token)."""
        shared = common_length(self._staged, r.prompt_ids[:-1])
        r.prefilled, self._staging = shared, r
        self.reused += shared

    def _prefill_chunk(self) -> None:
        """Run the next chunk of the staging prompt; at its end, sample the first token and let
        the request join the decoding rows."""
        r = self._staging
        start = r.prefilled
        ids = r.prompt_ids[start : start + self.prefill_chunk]
        mask = self._cache.prefill(start, len(ids), self.device)
        positions = torch.arange(start, start + len(ids), device=self.device)[None]
        with self._kernels:
            out = self.model(
                input_ids=torch.tensor([ids], device=self.device),
                attention_mask=mask,
                position_ids=positions,
                cache=self._cache,
                use_cache=True,
                logits_to_keep=1,
            )
        r.prefilled += len(ids)
        self._staged = r.prompt_ids[: r.prefilled]
        if r.prefilled < len(r.prompt_ids):
            return
        self._staging = None
        (token,) = pick_tokens([r], out.logits[:, -1])
        self._advance(r, token)
        if r.cancelled.is_set():  # done at its first token, or its client left meanwhile
            self._count_abandoned(r)
            return
        self._cache.move(self._cache.staging, len(self._active), r.prefilled)
        self._active.append(r)
        self._lengths.append(r.prefilled)
        self._last.append(token)

    def _step(self) -> None:
        mask = self._cache.decode(self._lengths, self.device)
        with self._kernels:
            out = self.model(
                input_ids=torch.tensor(self._last, device=self.device)[:, None],
                attention_mask=mask,
                position_ids=torch.tensor(self._lengths, device=self.device)[:, None],
                cache=self._cache,
                use_cache=True,
                logits_to_keep=1,
            )
        self._lengths = [n + 1 for n in self._lengths]
        self._last = pick_tokens(self._active, out.logits[:, -1])
        for r, token in zip(self._active, self._last):
            self._advance(r, token)

    def _advance(self, r: Request, token: int) -> None:
        """Add one token to a request, emit the text that is now certain, and finish it if due."""
        if r.reply is not None:
            r.reply.accept(token)
        finish = None
        if token in self._eos:
            finish = "stop"
        else:
            r.generated.append(token)
        ending = finish is not None or len(r.generated) >= r.sampling.max_tokens
        old = len(r.text.text)
        r.text.update(r.generated, final=ending)
        text = r.text.text
        # A stop string completed by this token starts at most its length before the new text.
        seen = max(0, old - max((len(s) for s in r.sampling.stop), default=0))
        hits = [text.index(s, seen) for s in r.sampling.stop if s and s in text[seen:]]
        if hits:
            text, finish = text[: min(hits)], "stop"
        elif ending and finish is None:
            finish = "length"
        # Hold back what may still change: the start of a stop string.
        safe = len(text) if finish else held_back(text, r.sampling.stop)
        event = Event(text[r.sent : safe], finish, len(r.prompt_ids), len(r.generated))
        r.sent = max(r.sent, safe)
        if event.text or finish:
            _safe_emit(r, event)
        if finish:
            r.finish_reason = finish
            r.cancelled.set()  # done: `_drop_done` frees its slot before the next step

    def _drop_done(self) -> None:
        """Take finished and cancelled requests out; the last decoding row moves into a freed slot."""
        for r in [r for r in self._waiting if r.cancelled.is_set()]:
            self._waiting.remove(r)
            self._count_abandoned(r)
        if self._staging is not None and self._staging.cancelled.is_set():
            self._count_abandoned(self._staging)
            self._staging = None
        for i in reversed(range(len(self._active))):
            if not self._active[i].cancelled.is_set():
                continue
            self._count_abandoned(self._active[i])
            last = len(self._active) - 1
            self._cache.move(last, i, self._lengths[last])
            for rows in (self._active, self._lengths, self._last):
                rows[i] = rows[last]
                rows.pop()

    def _count_abandoned(self, r: Request) -> None:
        self.abandoned += r.finish_reason is None


def _safe_emit(r: Request, event: Event) -> None:
    try:
        r.emit(event)
    except Exception:  # noqa: BLE001 -- the listener is gone (closed event loop): stop working for it
        r.cancelled.set()
