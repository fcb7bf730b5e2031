"""A continuous-batching generation engine: requests from many clients join one running batch on
the model, each decoding step advances all of them, and a finished or abandoned request leaves at
once so its slot goes to the next in the queue.

A step's cost is the model reading its weights once, for one row or for eight, so everything
around that is kept small: the key/value cache is preallocated (tunelab.serve.slots); new
prompts are prefilled in chunks inside the decoding steps, in the same forward as the running
replies (tunelab.serve.slot_attention), several at once, with the start they share (a chat's
template and system prompt) copied rather than computed again; greedy rows are picked with one
argmax, and text is decoded a few tokens at a time."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.prompts.templates import Prompt
from tunelab.errors import TunelabError
from tunelab.generation.generate import common_length, eos_ids
from tunelab.generation.reply_text import PROMPT_CONTEXT, ReplyText
from tunelab.kernels import decoding_kernels
from tunelab.models.architecture import carries_state
from tunelab.models.load import context_length
from tunelab.next_step import command
from tunelab.serve import slot_attention
from tunelab.serve.batch_limit import DEFAULT_MAX_BATCH
from tunelab.serve.request import Event, Request, safe_emit
from tunelab.serve.sampling import likeliest, pick_tokens
from tunelab.serve.slots import SlotCache, Windows

log = logging.getLogger(__name__)
# Prompt tokens prefilled in one decoding step: the running replies wait for at most this many,
# and as many tokens read the weights once.
PREFILL_CHUNK = 64
# Prompts prefilled at once: a burst of requests starts decoding in a few steps, not one a step.
PREFILL_SLOTS = 4
# How long the idle engine waits for a request before it looks again whether it must stop: `stop`
# runs in a signal handler, where putting on the queue could wait for a lock the interrupted
# code holds.
IDLE_WAIT_S = 0.1
SHUTTING_DOWN = "the server is shutting down: this reply was cut short"


def refuse_state(model: PreTrainedModel, name: str) -> None:
    """Refuse a model that carries state along a row (architecture.carries_state): its convolution or
    recurrence keeps no keys and values, so the slot cache, and the chunks of prompts prefilled
    beside running replies, would run it wrong or fail."""
    if carries_state(model):
        kind = getattr(model.config, "model_type", type(model).__name__)
        raise TunelabError(
            f"cannot serve {name!r}: a {kind} model carries state along the text (a convolution "
            "or a recurrence), which the server's batched key/value cache cannot hold; use "
            f"`{command('chat', name)}` or `{command('generate', name)}`, which decode it one "
            "prompt at a time"
        )


class Engine:
    """One model served to many clients; `submit` is thread-safe and returns at once."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        name: str,
        max_batch: int = DEFAULT_MAX_BATCH,
        prompt: Prompt | None = None,
        prefill_chunk: int = PREFILL_CHUNK,
        created: int | None = None,
    ):
        refuse_state(model, name)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        # A run answers with the template and system prompt it was trained with, as in `chat`.
        self.prompt = prompt or Prompt()
        # When the model was made (launch.created_at), for its card; one made as it loads: now.
        self.created = created or int(time.time())
        self.max_batch = max_batch
        self.prefill_chunk = prefill_chunk
        self.context_length = context_length(model, tokenizer)
        self.device = next(model.parameters()).device
        self._eos = set(eos_ids(model, tokenizer))
        self._queue: queue.Queue[Request] = queue.Queue()
        self._stopping = threading.Event()
        # Decoding rows: request i sits in cache slot i with lengths[i] tokens there, and the
        # token it sampled last (not yet in the cache) in last[i].
        self._active: list[Request] = []
        self._lengths: list[int] = []
        self._last: list[int] = []
        self._waiting: deque[Request] = deque()  # taken from the queue, prompt not yet started
        self._staging: list[Request] = []  # those whose prompts are being prefilled
        self._staging_slots = min(PREFILL_SLOTS, max_batch)
        # The prompt tokens whose keys and values each staging slot holds, kept after its prompt
        # joins the decoding rows: a chat's template and system prompt, the same for every
        # request, are prefilled once and copied, not prefilled once a request.
        self._held: dict[int, list[int]] = {}
        # Eager attention (Gemma 2) adds its masks to the scores; sdpa takes them as they are.
        eager = slot_attention.use(model) == "eager"
        self._additive_masks = model.dtype if eager else None
        self._cache = self._new_cache()
        self._kernels = decoding_kernels(model)
        self._no_mask = torch.ones((1, 1, 1, 1), dtype=torch.bool, device=self.device)
        self.peak_batch = 0  # the most requests ever decoded together: shows batching happened
        self.abandoned = 0  # requests dropped unfinished because their client went away
        self.reused = 0  # prompt tokens copied, not prefilled again: shared with an earlier prompt
        self._thread = threading.Thread(target=self._run, name=f"engine-{name}", daemon=True)
        self._thread.start()

    # --- the client side ---------------------------------------------------------------------

    def encode_chat(
        self, messages: list[dict[str, Any]], tools: list | None = None, opening: str = ""
    ) -> list[int]:
        """The chat's prompt and the `opening` a reply must start with (tool_choice's), as one text."""
        return self.encode(self.prompt.chat(messages, self.tokenizer, tools) + opening)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False).input_ids

    def submit(self, request: Request) -> None:
        if request.sampling.seed is not None:
            # A generator per request: the same seed gives the same text whatever it is batched with.
            request.rng = torch.Generator(device=self.device).manual_seed(request.sampling.seed)
        request.reply = c.start() if (c := request.sampling.constraint) else None
        s = request.sampling
        context = request.prompt_ids[-PROMPT_CONTEXT:] if request.continues_prompt else None
        request.text = ReplyText(self.tokenizer, self._eos, s.stop, s.max_tokens, context=context)
        self._queue.put(request)
        if self._stopping.is_set():  # the engine thread may have emptied the queue already
            self._refuse_queued()

    def load(self) -> dict[str, int]:
        """Requests decoding now and waiting, and the counters above (for /health and tests)."""
        return {
            "active": len(self._active),
            "queued": self._queue.qsize() + len(self._waiting) + len(self._staging),
            "peak_batch": self.peak_batch,
            "abandoned": self.abandoned,
            "reused_prompt_tokens": self.reused,
        }

    def stop(self) -> None:
        """End every reply in flight or queued with an "error" event, before the next decoding
        step, and then the engine thread: a server shutting down does not wait for long replies.
        Returns at once and waits for no lock the code it interrupts could hold, so a signal
        handler can call it."""
        self._stopping.set()

    def close(self) -> None:
        self.stop()
        self._thread.join(timeout=10)

    # --- the engine thread -------------------------------------------------------------------

    @torch.inference_mode()  # the cache is written in place, by this thread only
    def _run(self) -> None:
        while not self._stopping.is_set():
            idle = not (self._active or self._waiting or self._staging)
            self._take(block=idle)
            try:
                self._drop_done()
                self._stage()
                if self._active or self._staging:
                    self.peak_batch = max(self.peak_batch, len(self._active))
                    self._forward()
            except Exception as err:  # one failed batch must not take the server down
                log.exception("generation failed")
                self._end_taken(f"generation failed: {type(err).__name__}")
                self._cache, self._held = self._new_cache(), {}
        self._end_taken(SHUTTING_DOWN)
        self._refuse_queued()

    def _end_taken(self, why: str) -> None:
        """Tell every request taken from the queue that its reply ends here, and drop them."""
        for r in self._active + list(self._waiting) + self._staging:
            if not r.cancelled.is_set():  # not those already done or left
                safe_emit(r, Event(why, "error"))
        self._active, self._lengths, self._last = [], [], []
        self._waiting.clear()
        self._staging = []

    def _refuse_queued(self) -> None:
        """Tell the requests still in the queue that the server is shutting down. Called by the
        engine thread as it ends and by `submit` once stopping: whichever comes second finds a
        request the other missed, and `get` gives each request to one of them."""
        while True:
            try:
                r = self._queue.get_nowait()
            except queue.Empty:
                return
            if not r.cancelled.is_set():
                safe_emit(r, Event(SHUTTING_DOWN, "error"))

    def _take(self, block: bool) -> None:
        """Move requests from the queue to the waiting line, up to the free slots (waiting a
        moment for one when there is nothing else to do)."""
        while self._taken() < self.max_batch:
            try:
                item = self._queue.get(timeout=IDLE_WAIT_S) if block else self._queue.get_nowait()
            except queue.Empty:
                break
            if item.cancelled.is_set():
                self.abandoned += 1
            else:
                self._waiting.append(item)
            block = False  # after the first, only take what is already waiting

    def _taken(self) -> int:
        return len(self._active) + len(self._waiting) + len(self._staging)

    def _new_cache(self) -> SlotCache:
        config = self.model.config.get_text_config()
        return SlotCache(
            config.num_hidden_layers,
            self.max_batch,
            self._staging_slots,
            self.context_length,
            Windows.of(config),
            self._additive_masks,
        )

    def _stage(self) -> None:
        """Start prefilling waiting prompts, in order, while a staging slot is free. Each starts
        from the longest start it shares with what a staging slot holds (all but its last token:
        that one's logits give the first reply token), copied into its own slot. A prompt that
        shares more with one being prefilled now waits until that part is there."""
        busy = {r.slot: r for r in self._staging}
        while self._waiting and len(busy) < self._staging_slots:
            r = self._waiting[0]
            wanted = r.prompt_ids[:-1]
            shares = {s: common_length(held, wanted) for s, held in self._held.items()}
            coming = max((common_length(b.prompt_ids, wanted) for b in busy.values()), default=0)
            if coming > max(shares.values(), default=0):
                return
            free = [s for s in self._cache.staging if s not in busy]
            slot = max(free, key=lambda s: shares.get(s, 0))  # its own start, if it is free
            source = max(shares, key=shares.get, default=slot)
            shared = shares.get(source, 0)
            self._cache.copy(source, slot, shared)
            self._held[slot] = wanted[:shared]
            r.slot, r.prefilled = slot, shared
            self.reused += shared
            busy[slot] = self._waiting.popleft()
            self._staging.append(r)

    def _forward(self) -> None:
        """One forward of the model for every decoding row's next token and the next chunks of
        the staging prompts together, so the weights are read once for all; at a prompt's end
        its first token is sampled and the request joins the decoding rows."""
        n, budget = len(self._active), self.prefill_chunk
        chunks: list[tuple[Request, list[int]]] = []  # the prompts this forward goes on with
        for r in self._staging:
            if budget > 0:
                chunks.append((r, r.prompt_ids[r.prefilled : r.prefilled + budget]))
                budget -= len(chunks[-1][1])
        self._cache.plan(
            self._lengths, [(r.slot, r.prefilled, len(ids)) for r, ids in chunks], self.device
        )
        tokens, positions, keep = list(self._last), list(self._lengths), list(range(n))
        for r, ids in chunks:
            tokens += ids
            positions += range(r.prefilled, r.prefilled + len(ids))
            if r.prefilled + len(ids) == len(r.prompt_ids):
                keep.append(len(tokens) - 1)  # its last token's logits: the reply's first token
        with self._kernels:
            out = self.model(
                input_ids=torch.tensor([tokens], device=self.device),
                # The masks are the cache's, per part; this only tells transformers not to build one.
                attention_mask=self._no_mask,
                position_ids=torch.tensor([positions], device=self.device),
                cache=self._cache,
                use_cache=True,
                logits_to_keep=torch.tensor(keep, dtype=torch.long, device=self.device),
            )
        logits = out.logits[0]
        if n:
            self._lengths = [length + 1 for length in self._lengths]
            self._last = _pick(self._active, logits[:n])
            for row, token in zip(self._active, self._last):
                self._advance(row, token)
        ready = iter(logits[n:])
        for r, ids in chunks:
            r.prefilled += len(ids)
            self._held[r.slot] = r.prompt_ids[: r.prefilled]
            if r.prefilled == len(r.prompt_ids):
                self._join(r, next(ready))

    def _join(self, r: Request, logits: torch.Tensor) -> None:
        """A prompt is in the cache: sample its first token and make it a decoding row."""
        (token,) = _pick([r], logits[None])
        self._advance(r, token)
        # Out of staging only now: had sampling failed, the engine's error handler, which tells
        # the requests on its lists, would not have known this one, and its client would wait.
        self._staging.remove(r)
        if r.cancelled.is_set():  # done at its first token, or its client left meanwhile
            self._count_abandoned(r)
            return
        self._cache.copy(r.slot, len(self._active), r.prefilled)
        self._active.append(r)
        self._lengths.append(r.prefilled)
        self._last.append(token)

    def _advance(self, r: Request, token: int) -> None:
        """Add one token to a request, emit the text that is now certain, and finish it if due."""
        if r.reply is not None:
            r.reply.accept(token)
        finish = r.text.add(token)
        event = Event(r.text.take(), finish, len(r.prompt_ids), len(r.text.sampled))
        if event.text or finish:
            safe_emit(r, event)
        if finish:
            r.cancelled.set()  # done: `_drop_done` frees its slot before the next step

    def _drop_done(self) -> None:
        """Take finished and cancelled requests out; the last decoding row moves into a freed slot."""
        for r in [r for r in self._waiting if r.cancelled.is_set()]:
            self._waiting.remove(r)
            self._count_abandoned(r)
        for r in [r for r in self._staging if r.cancelled.is_set()]:
            self._staging.remove(r)
            self._count_abandoned(r)
        for i in reversed(range(len(self._active))):
            if not self._active[i].cancelled.is_set():
                continue
            self._count_abandoned(self._active[i])
            last = len(self._active) - 1
            self._cache.copy(last, i, self._lengths[last])
            for rows in (self._active, self._lengths, self._last):
                rows[i] = rows[last]
                rows.pop()

    def _count_abandoned(self, r: Request) -> None:
        self.abandoned += r.finish_reason is None


def _pick(requests: list[Request], logits: torch.Tensor) -> list[int]:
    """Each request's next token (sampling.pick_tokens); a request that streams logprobs also
    records the token's under the model's own distribution, read before sampling changes it."""
    scoring = [i for i, r in enumerate(requests) if r.sampling.logprobs is not None]
    # Indexed: a copy, as pick_tokens may penalize or mask its rows in place.
    logprobs = torch.log_softmax(logits[scoring].float(), dim=-1) if scoring else None
    tokens = pick_tokens(requests, logits)
    for row, i in enumerate(scoring):
        top = requests[i].sampling.logprobs
        requests[i].scored += likeliest(logprobs[row : row + 1], [tokens[i]], top)
    return tokens
