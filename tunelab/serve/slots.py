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

from tunelab.models import attention_window

# What the model's `attention_mask` takes: one mask, or one per kind of layer.
Masks = torch.Tensor | dict[str, torch.Tensor]

# Columns a slot starts with; the buffer doubles (one copy) when a sequence needs more.
FIRST_CAPACITY = 256


@dataclass(frozen=True)
class Windows:
    """Which layers see only the last `size` tokens. A 4D mask reaches every layer as given, so
    the engine must draw the windows itself: Mistral-style models window every layer; models
    that mix kinds (Gemma 2/3, Qwen2 with use_sliding_window) take a mask per kind."""

    size: int | None = None
    per_kind: bool = False  # a dict {"full_attention": ..., "sliding_attention": ...}

    @classmethod
    def of(cls, config: PretrainedConfig) -> Windows:
        size = attention_window(config)
        return cls(
            size, per_kind=size is not None and getattr(config, "layer_types", None) is not None
        )

    def masks(self, queries: torch.Tensor, width: int, shape: Callable) -> Masks:
        """The masks of `queries` (their positions, [..., q]) over columns 0..width-1: each sees
        the columns up to its own, and no further back than the window; `shape` makes it 4D."""
        columns = torch.arange(width, device=queries.device)
        causal = columns <= queries[..., None]
        if self.size is None:
            return shape(causal)
        # As transformers' sliding_window_overlay: key k is seen from query q when k > q - size.
        windowed = shape(causal & (columns > queries[..., None] - self.size))
        if not self.per_kind:
            return windowed
        return {"full_attention": shape(causal), "sliding_attention": windowed}


class SlotCache(Cache):
    """K/V for `decoding` rows in slots 0..n-1 and one staging slot (the last) where a prompt is
    prefilled chunk by chunk before it joins them. Set up each forward with `decode` or
    `prefill`; the model then calls `update` once per layer."""

    def __init__(self, layers: int, slots: int, max_length: int, windows: Windows | None = None):
        super().__init__(layers=[])
        self.slots, self.max_length, self.num_layers = slots, max_length, layers
        self.windows = windows or Windows()
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers
        self.capacity = 0
        self._write = self._read = None  # where this forward writes, and what it attends over

    @property
    def staging(self) -> int:
        return self.slots - 1

    # --- setting up one forward ----------------------------------------------------------

    def decode(self, lengths: list[int], device: torch.device) -> Masks:
        """Rows 0..n-1 each add one token after their `lengths` tokens; returns the mask
        (n, 1, 1, columns) of the keys each row may attend to."""
        n, width = len(lengths), max(lengths) + 1
        self._reserve(width)
        at = torch.tensor(lengths, device=device)
        self._write = (torch.arange(n, device=device), at)
        self._read = (slice(0, n), width)
        return self.windows.masks(at[:, None], width, lambda m: m[:, None])

    def prefill(self, start: int, count: int, device: torch.device) -> Masks:
        """The staging slot adds `count` prompt tokens after its first `start`; returns the causal
        mask (1, 1, count, start + count)."""
        self._reserve(start + count)
        self._write = (self.staging, slice(start, start + count))
        self._read = (slice(self.staging, self.staging + 1), start + count)
        rows = torch.arange(start, start + count, device=device)
        return self.windows.masks(rows, start + count, lambda m: m[None, None])

    # --- what the model calls -----------------------------------------------------------

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        if self.keys[layer_idx] is None:
            self._allocate(layer_idx, key_states)
        keys, values = self.keys[layer_idx], self.values[layer_idx]
        slot, at = self._write
        if isinstance(slot, int):  # a prompt chunk into the staging slot: (1, heads, count, dim)
            keys[slot, :, at] = key_states[0]
            values[slot, :, at] = value_states[0]
        else:  # one token per row, each at its own column: (rows, heads, 1, dim)
            keys[slot, :, at] = key_states[:, :, 0]
            values[slot, :, at] = value_states[:, :, 0]
        rows, width = self._read
        return keys[rows, :, :width], values[rows, :, :width]

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return 0 if self._read is None else self._read[1]

    # --- moving sequences between slots --------------------------------------------------

    def move(self, source: int, target: int, length: int) -> None:
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


def _widen(buffer: torch.Tensor, columns: int) -> torch.Tensor:
    wider = buffer.new_zeros((*buffer.shape[:2], columns, buffer.shape[3]))
    wider[:, :, : buffer.shape[2]] = buffer
    return wider
