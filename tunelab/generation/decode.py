"""The rows a model decodes together: their KV cache, padded to one width so that every row's
newest token is in the last column, and the mask over it. Prompts join between steps and
finished rows leave, so a long list of prompts keeps every slot of the batch busy instead of
waiting for its longest reply (continuous batching). A model that carries state along a row
(architecture.carries_state: a convolution over time, a recurrence) decodes one prompt at a time in
the cache it makes for itself: padding would run through its state, and rows of that cache
cannot be stacked or dropped as key/value columns can."""

from __future__ import annotations

import math
import weakref

import torch
from transformers import DynamicCache, PreTrainedModel
from transformers.cache_utils import DynamicLayer

from tunelab.kernels import decoding_kernels, storage_uses
from tunelab.models.architecture import attention_window, carries_state


class Batch:
    """`prefix`: tokens every prompt starts with (a system prompt, the template's opening),
    read once and copied into each row rather than computed again for every prompt. Not for a
    model with windowed attention: its window counts columns, and the padding between a row's
    prefix and the rest of its prompt would push the prefix out of it. Nor for one that
    decodes `alone` (see above)."""

    def __init__(self, model: PreTrainedModel, pad_id: int, prefix: list[int] | None = None):
        self.model, self.pad = model, pad_id
        self.alone = carries_state(model)  # one row at a time, in the model's own cache
        # For `alone`: the decoder's config, and whether the model makes its own cache (rwkv and
        # xlstm; rwkv takes it as `state`).
        self.text_config = model.config.get_text_config(decoder=True)
        kind = getattr(self.text_config, "model_type", None)
        self.own_cache, self.cache_name = (
            kind in ("rwkv", "xlstm"),
            ("state" if kind == "rwkv" else "cache"),
        )
        if attention_window(model.config) is not None or self.alone:
            prefix = None
        self.device = next(model.parameters()).device
        self.kernels = decoding_kernels(model)
        self.mask: torch.Tensor | None = None  # [rows, columns]: 1 where a row has a token
        self.cache: DynamicCache | None = None
        self.prefix, self.prefix_kv = prefix or [], []
        if self.prefix:
            cache = SpareColumnsCache()
            ids = torch.tensor([self.prefix], device=self.device)
            self._forward(
                ids,
                torch.ones_like(ids),
                torch.arange(len(self.prefix), device=self.device)[None],
                cache,
            )
            self.prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]

    def __len__(self) -> int:
        return 0 if self.mask is None else self.mask.shape[0]

    def join(self, prompts: list[list[int]]) -> torch.Tensor:
        """Read `prompts` into the cache as new last rows; their next-token logits [n, vocab].
        Each row is the prefix, then padding, then the rest of its prompt. Prompts of unlike
        lengths are read in several forward passes (`prefill_runs`), each padded to its own
        longest, and stacked under the batch in one copy."""
        if self.alone:
            return self._join_alone(prompts)
        rest = [p[len(self.prefix) :] for p in prompts]
        # On a GPU a pass costs little against its products: one pass.
        per_forward = FORWARD_TOKENS if self.device.type == "cpu" else math.inf
        runs = prefill_runs([len(r) for r in rest], per_forward)
        read = [self._prefill(rest[a:b]) for a, b in runs]
        masks = ([] if self.mask is None else [self.mask]) + [mask for mask, _, _ in read]
        caches = ([] if self.cache is None else [self.cache]) + [cache for _, cache, _ in read]
        self.mask, self.cache = masks[0], caches[0]
        if len(masks) > 1:
            self.mask = _stack(masks, 1)
            for i, layer in enumerate(self.cache.layers):
                parts = [cache.layers[i] for cache in caches]
                layer.keys = _stack([part.keys for part in parts], 2)
                layer.values = _stack([part.values for part in parts], 2)
        return torch.cat([logits for _, _, logits in read])

    def _prefill(self, rest: list[list[int]]) -> tuple[torch.Tensor, DynamicCache, torch.Tensor]:
        """(mask, cache, next-token logits) of prompts that are the prefix and then `rest`."""
        start = len(self.prefix)
        width = max(len(r) for r in rest)
        ids = torch.tensor([[self.pad] * (width - len(r)) + r for r in rest], device=self.device)
        mask = torch.tensor(
            [[1] * start + [0] * (width - len(r)) + [1] * len(r) for r in rest], device=self.device
        )
        cache = SpareColumnsCache()
        for i, (keys, values) in enumerate(self.prefix_kv):
            cache.update(
                keys.expand(len(rest), -1, -1, -1), values.expand(len(rest), -1, -1, -1), i
            )
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, start:]
        return mask, cache, self._forward(ids, mask, positions, cache)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feed each row its next token [rows]; the logits of the token after it [rows, vocab]."""
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(self), 1)], dim=1)
        positions = self.mask.sum(-1, keepdim=True) - 1
        if self.alone:
            return self._forward_alone(tokens[:, None], positions)
        return self._forward(tokens[:, None], self.mask, positions, self.cache)

    def keep(self, rows: list[int]) -> None:
        """Keep only `rows`, in that order, and drop the columns none of them attends to (the
        next step copies what is left back into its room: see SpareColumns)."""
        if not rows:
            self.mask = self.cache = None
            return
        if rows == list(range(len(self))):
            return
        index = torch.tensor(rows, device=self.device)
        self.cache.batch_select_indices(index)
        self.mask = self.mask[index]
        start = int(self.mask.any(0).int().argmax())  # first column a remaining row attends to
        if start:
            self.mask = self.mask[:, start:]
            for layer in self.cache.layers:
                layer.keys, layer.values = layer.keys[:, :, start:], layer.values[:, :, start:]

    def _join_alone(self, prompts: list[list[int]]) -> torch.Tensor:
        if len(prompts) != 1 or self.mask is not None:
            raise ValueError("a model that carries state along a row decodes one prompt at a time")
        ids = torch.tensor(prompts, device=self.device)
        self.mask = torch.ones_like(ids)
        # The cache model.generate gives it, unless the model makes its own.
        config = self.text_config
        self.cache = None if self.own_cache else DynamicCache(config=config)
        # A model that keeps its state in its modules (RecurrentGemma) sets it up only when given
        # no cache: zeroed here, or a one-token prompt would start from the last prompt's state.
        if not self.own_cache and hasattr(self.model, "_setup_cache"):
            dtype = next(self.model.parameters()).dtype
            self.model._setup_cache(config, 1, self.device, dtype)
        return self._forward_alone(ids, torch.arange(ids.shape[1], device=self.device)[None])

    def _forward_alone(self, ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """The row's next-token logits [1, vocab], its state carried on in `self.cache`."""
        name = self.cache_name
        with self.kernels:  # no attention mask: the row has no padding, and Mamba's layers
            out = self.model(  # would take a mask wider than the new tokens for theirs
                input_ids=ids,
                position_ids=positions,
                use_cache=True,
                logits_to_keep=1,
                **{name: self.cache},
            )
        # A model that keeps its state in its modules (RecurrentGemma) returns no cache.
        if getattr(out, name, None) is not None:
            self.cache = getattr(out, name)
        return out.logits[:, -1].float()

    def _forward(self, ids, mask, positions, cache) -> torch.Tensor:
        with self.kernels:
            out = self.model(
                input_ids=ids,
                attention_mask=mask,
                position_ids=positions,
                cache=cache,
                use_cache=True,
                logits_to_keep=1,
            )
        # float32 whatever the model's dtype: model.generate picks from float32 logits too, and a
        # float64 model's near tie must go the same way here.
        return out.logits[:, -1].float()


# A forward pass costs about this many padded tokens' products in itself, reading every weight
# once: ~60 ms for the embedded model on the 2-core Intel VM, ~55 tokens' products there.
FORWARD_TOKENS = 64


def prefill_runs(lengths: list[int], per_forward: float = FORWARD_TOKENS) -> list[tuple[int, int]]:
    """`lengths` cut into consecutive runs [a, b), each read in one forward pass padded to its
    longest: the cut whose padded tokens, plus `per_forward` a pass, are fewest. lamini_docs'
    first 64 questions (6 to 40 tokens after the shared start) were 2,560 tokens in one pass
    for 1,480 real ones."""
    # fewest[j]: the cost of the first j lengths; cut[j]: where the last of their runs starts.
    fewest, cut = [0.0] + [math.inf] * len(lengths), [0] * (len(lengths) + 1)
    for end in range(1, len(lengths) + 1):
        longest = 0
        for first in range(end - 1, -1, -1):
            longest = max(longest, lengths[first])
            cost = fewest[first] + longest * (end - first) + per_forward
            if cost < fewest[end]:
                fewest[end], cut[end] = cost, first
    runs, end = [], len(lengths)
    while end:
        runs.append((cut[end], end))
        end = cut[end]
    return runs[::-1]


def _stack(parts: list[torch.Tensor], dim: int) -> torch.Tensor:
    """`parts` one under another (along dim 0), right-aligned along `dim`, zeros to their left:
    every row's newest token in the last column. One copy: a join is the one step whose cost
    grows with the batch (~0.3 s for 64 rows of the embedded model on 2 cores)."""
    width = max(part.shape[dim] for part in parts)
    first = parts[0]
    out = first.new_empty(
        (sum(len(p) for p in parts), *first.shape[1:dim], width, *first.shape[dim + 1 :])
    )
    row = 0
    for part in parts:
        rows = out[row : row + len(part)]
        missing = width - part.shape[dim]
        rows.narrow(dim, 0, missing).zero_()  # padding must be finite: 0 x NaN is NaN
        rows.narrow(dim, missing, part.shape[dim]).copy_(part)
        row += len(part)
    return out


class SpareColumnsCache(DynamicCache):
    """A DynamicCache whose layers are `SpareColumns`."""

    def __init__(self):
        super().__init__()
        self.layer_class_to_replicate = SpareColumns


class SpareColumns(DynamicLayer):
    """A cache layer whose keys and values are views of buffers with spare columns to their
    right: a step writes its one new column there, where DynamicLayer concatenates, copying the
    whole layer's cache every step. At 64 rows of ~85 columns that copy took 57 ms of a 192 ms
    step of the embedded model on the 2-core Intel VM, whose memory is slow (benchmarks/README.md,
    "Generation"). Attention reads the same values either way, so the logits are the same.
    Keys and values replaced from outside (Batch.keep, Batch.join) are copied into the room
    at the next update, or into new room where it is too small or someone else holds a view of
    it: fresh memory costs page faults, ~6x the copy itself here."""

    # Spare columns when room is made: at least a 64-token reply's steps, and a quarter more than
    # needed, so that a long reply makes new room (one copy) every quarter of its length.
    SPARE = 64

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The keys' and the values' room, and the views of them handed out last. Weak: a view
        # handed out and since replaced counts as held only where someone else holds it.
        self._rooms: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)
        self._last: tuple[weakref.ref | None, weakref.ref | None] = (None, None)

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        rooms, last = self._rooms, self._last
        self.keys, key_room = _appended(rooms[0], last[0], self.keys, key_states, self.SPARE)
        self.values, value_room = _appended(
            rooms[1], last[1], self.values, value_states, self.SPARE
        )
        self._rooms = (key_room, value_room)
        self._last = (weakref.ref(self.keys), weakref.ref(self.values))
        return self.keys, self.values


def _appended(
    room: torch.Tensor | None,
    last: weakref.ref | None,
    held: torch.Tensor,
    new: torch.Tensor,
    spare: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(held then new along the columns, as a view of the room that holds them; that room).
    Where held is the view of the room's leading columns handed out `last`, new's columns go
    after them; else held is copied into the room where it fits and no tensor but the room holds
    its memory, or into new room."""
    rows, width, count = new.shape[0], (held.shape[-2] if held.numel() else 0), new.shape[-2]
    needed = width + count
    fits = (
        room is not None
        and needed <= room.shape[-2]
        and rows <= room.shape[0]
        and room.shape[1] == new.shape[1]
        and room.shape[-1] == new.shape[-1]
    )
    if not (fits and last is not None and last() is held and held.shape[0] == rows):
        # The room itself and the storage object the count asks for: no view of it is held.
        if not (fits and storage_uses(room) == 2):
            columns = needed + max(spare, needed // 4)
            room = new.new_empty((rows, *new.shape[1:-2], columns, new.shape[-1]))
        if width:
            room[:rows, ..., :width, :].copy_(held)
    room[:rows, ..., width:needed, :].copy_(new)
    return room[:rows, ..., :needed, :], room
