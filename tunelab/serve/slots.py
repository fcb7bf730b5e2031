"""The engine's key/value cache: one preallocated buffer per layer with a slot per sequence, each
sequence starting at column 0 of its slot. A decoding step writes every row's new key and value
at that row's own position, so nothing is concatenated, padded on the left or re-indexed per
step; a finished sequence's slot is refilled by moving the last row into it, one row's copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers import PretrainedConfig
from transformers.cache_utils import Cache

from tunelab.models.architecture import attention_window
from tunelab.serve.slot_attention import Part, Parts, additive

# A part's masks: one for every layer, or one per kind of layer (picked in `update`).
Masks = torch.Tensor | dict[str, torch.Tensor]

# Columns a slot starts with; the buffer doubles (one copy) when a sequence needs more.
FIRST_CAPACITY = 256


@dataclass(frozen=True)
class Windows:
    """Which layers see only the last `size` tokens. A 4D mask reaches every layer as given, so
    the engine must draw the windows itself: Mistral-style models window every layer; models
    that mix kinds (Gemma 2/3, Qwen2 with use_sliding_window) take a mask per kind."""

    size: int | None = None
    # With kinds, a dict {"full_attention": ..., "sliding_attention": ...}; kinds[i] is layer i's.
    kinds: tuple[str, ...] | None = None

    @classmethod
    def of(cls, config: PretrainedConfig) -> Windows:
        size, kinds = attention_window(config), getattr(config, "layer_types", None)
        return cls(size, tuple(kinds) if size is not None and kinds is not None else None)

    def masks(self, queries: torch.Tensor, width: int, shape: Callable) -> Masks:
        """The masks of `queries` (their positions, [..., q]) over columns 0..width-1: each sees
        the columns up to its own, and no further back than the window; `shape` makes it 4D."""
        columns = torch.arange(width, device=queries.device)
        causal = columns <= queries[..., None]
        if self.size is None:
            return shape(causal)
        # As transformers' sliding_window_overlay: key k is seen from query q when k > q - size.
        windowed = shape(causal & (columns > queries[..., None] - self.size))
        if self.kinds is None:
            return windowed
        return {"full_attention": shape(causal), "sliding_attention": windowed}


class SlotCache(Cache):
    """K/V for `decoding` rows in slots 0..n-1 (n up to `rows`), and slots from `rows` on where
    new prompts are prefilled chunk by chunk before they join them. Each forward is set up with
    `plan`; the model then calls `update` once per layer, which writes the new keys and values
    and hands the layer its parts to attend over (tunelab.serve.slot_attention)."""

    def __init__(
        self,
        layers: int,
        rows: int,
        staging: int,
        max_length: int,
        windows: Windows | None = None,
        additive_masks: torch.dtype | None = None,  # eager attention's form of the masks
    ):
        super().__init__(layers=[])
        self.rows, self.slots = rows, rows + staging
        self.max_length, self.num_layers = max_length, layers
        self.windows, self.additive_masks = windows or Windows(), additive_masks
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers
        self.capacity = 0
        self._plan: list[_Planned] = []

    @property
    def staging(self) -> range:
        return range(self.rows, self.slots)

    def plan(self, lengths: list[int], prompts: list[tuple[int, int, int]], device) -> None:
        """Set up one forward, whose tokens are in this order: one for each decoding row 0..n-1,
        after its `lengths` tokens; then for each prompt (slot, start, count), `count` tokens
        after the first `start` in that staging slot."""
        self._plan = []
        if lengths:
            n, width = len(lengths), max(lengths) + 1
            at = torch.tensor(lengths, device=device)
            # Each row's one query sees its own slot's columns up to its own.
            masks = self._masks(at[:, None], width, lambda m: m[:, None])
            write = (torch.arange(n, device=device), at)
            self._plan.append(_Planned(slice(0, n), slice(0, n), width, write, masks))
        first = len(lengths)
        for slot, start, count in prompts:
            positions = torch.arange(start, start + count, device=device)
            masks = self._masks(positions, start + count, lambda m: m[None, None])
            write = (slot, slice(start, start + count))
            tokens = slice(first, first + count)
            self._plan.append(_Planned(tokens, slice(slot, slot + 1), start + count, write, masks))
            first += count
        self._reserve(max(p.width for p in self._plan))

    def _masks(self, queries: torch.Tensor, width: int, shape: Callable) -> Masks:
        """A part's masks, made once a forward in the form its layers' attention takes."""
        dtype = self.additive_masks
        if dtype is None:
            return self.windows.masks(queries, width, shape)
        return self.windows.masks(queries, width, lambda m: additive(shape(m), dtype))

    # --- what the model calls -----------------------------------------------------------

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        """key_states/value_states [1, kv_heads, the forward's tokens, dim]."""
        if self.keys[layer_idx] is None:
            self._allocate(layer_idx, key_states)
        keys, values = self.keys[layer_idx], self.values[layer_idx]
        parts = Parts()
        for p in self._plan:
            slot, at = p.write
            new_keys, new_values = key_states[0, :, p.tokens], value_states[0, :, p.tokens]
            if isinstance(slot, int):  # a prompt chunk into the staging slot
                keys[slot, :, at], values[slot, :, at] = new_keys, new_values
            else:  # one token per row, each at its own column
                keys[slot, :, at] = new_keys.transpose(0, 1)
                values[slot, :, at] = new_values.transpose(0, 1)
            mask = p.masks[self.windows.kinds[layer_idx]] if isinstance(p.masks, dict) else p.masks
            k, v = keys[p.rows, :, : p.width], values[p.rows, :, : p.width]
            parts.append(Part(p.tokens, k, v, mask))
        return parts, parts

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return max((p.width for p in self._plan), default=0)

    # --- moving sequences between slots --------------------------------------------------

    def copy(self, source: int, target: int, length: int) -> None:
        """Copy a sequence's first `length` columns from one slot to another."""
        if source == target or self.keys[0] is None:
            return
        for keys, values in zip(self.keys, self.values):
            keys[target, :, :length] = keys[source, :, :length]
            values[target, :, :length] = values[source, :, :length]

    def _reserve(self, width: int) -> None:
        if width <= self.capacity:
            return
        grown = max(FIRST_CAPACITY, self.capacity)
        while grown < width:
            grown *= 2
        grown = max(min(grown, self.max_length), width)  # past the context only if asked
        for i, (keys, values) in enumerate(zip(self.keys, self.values)):
            if keys is not None:
                self.keys[i], self.values[i] = _widen(keys, grown), _widen(values, grown)
        self.capacity = grown

    def _allocate(self, layer: int, like: torch.Tensor) -> None:
        shape = (self.slots, like.shape[1], self.capacity, like.shape[3])
        self.keys[layer] = like.new_zeros(shape)
        self.values[layer] = like.new_zeros(shape)


@dataclass(frozen=True)
class _Planned:
    """One part of a planned forward: which of its tokens, the slots they read, how many columns,
    where their keys go, and their masks."""

    tokens: slice
    rows: slice
    width: int
    write: tuple
    masks: Masks


def _widen(buffer: torch.Tensor, columns: int) -> torch.Tensor:
    wider = buffer.new_zeros((*buffer.shape[:2], columns, buffer.shape[3]))
    wider[:, :, : buffer.shape[2]] = buffer
    return wider
