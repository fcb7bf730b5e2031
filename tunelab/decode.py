"""The rows a model decodes together: their KV cache, left-padded to one width, and the mask over
it. Prompts join between steps and finished rows leave, so a long list of prompts keeps every
slot of the batch busy instead of waiting for its longest reply (continuous batching)."""

from __future__ import annotations

import torch
from transformers import DynamicCache, PreTrainedModel


class Batch:
    def __init__(self, model: PreTrainedModel, pad_id: int) -> None:
        self.model, self.pad = model, pad_id
        self.device = next(model.parameters()).device
        self.mask: torch.Tensor | None = None  # [rows, columns]: 1 where a row has a token
        self.cache: DynamicCache | None = None

    def __len__(self) -> int:
        return 0 if self.mask is None else self.mask.shape[0]

    def join(self, prompts: list[list[int]]) -> torch.Tensor:
        """Read `prompts` into the cache as new last rows; their next-token logits [n, vocab]."""
        width = max(len(p) for p in prompts)
        ids = torch.tensor([[self.pad] * (width - len(p)) + p for p in prompts])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        ids, mask = ids.to(self.device), mask.to(self.device)
        cache = DynamicCache()
        logits = self._forward(ids, mask, (mask.cumsum(-1) - 1).clamp(min=0), cache)
        if self.mask is None:
            self.mask, self.cache = mask, cache
        else:
            self._append(mask, cache)
        return logits

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feed each row its next token [rows]; the logits of the token after it [rows, vocab]."""
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(self), 1)], dim=1)
        positions = self.mask.sum(-1, keepdim=True) - 1
        return self._forward(tokens[:, None], self.mask, positions, self.cache)

    def keep(self, rows: list[int]) -> None:
        """Keep only `rows`, in that order, and drop the columns none of them attends to."""
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

    def _forward(self, ids, mask, positions, cache) -> torch.Tensor:
        out = self.model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        return out.logits[:, -1].float()

    def _append(self, mask: torch.Tensor, cache: DynamicCache) -> None:
        """Stack new rows under the batch, left-padding whichever is narrower so both end on
        the same column (the newest token of every row is always the last column)."""
        width = max(self.mask.shape[1], mask.shape[1])

        def left_pad(t: torch.Tensor, dim: int) -> torch.Tensor:
            missing = width - t.shape[dim]
            if not missing:
                return t
            shape = list(t.shape)
            shape[dim] = missing
            return torch.cat([t.new_zeros(shape), t], dim=dim)

        for old, new in zip(self.cache.layers, cache.layers):
            old.keys = torch.cat([left_pad(old.keys, 2), left_pad(new.keys, 2)])
            old.values = torch.cat([left_pad(old.values, 2), left_pad(new.values, 2)])
        self.mask = torch.cat([left_pad(self.mask, 1), left_pad(mask, 1)])
