"""Batching: pack several examples into one row (each keeping its own positions, so none attends
to another) or pad to a multiple of 8. Targets are shifted here, per example, so the last token
of one example is never asked to predict the first token of the next."""

from __future__ import annotations

import torch

from tunelab.data.tokenize import IGNORE, Tokenized

PAD_MULTIPLE = 8


def pack_rows(items: list[Tokenized], row_length: int) -> list[list[int]]:
    """First-fit-decreasing bins of example indices, each bin's total length <= row_length.

    Returns rows in a deterministic order; FFD wastes little space for typical length mixes.
    The first row with room is found in a max-tree of free space, O(log rows) per example: a
    scan of every open row made a million examples take hours.
    """
    order = sorted(range(len(items)), key=lambda i: (-len(items[i].input_ids), i))
    leaves = 1
    while leaves < len(items):
        leaves *= 2
    # free[leaves + r] is row r's free space; each inner node holds the max of its two children.
    # Rows not opened yet are empty, so the leftmost row with room is an open one if any fits,
    # else exactly the next new row.
    free = [row_length] * (2 * leaves)
    rows: list[list[int]] = []
    for i in order:
        size = len(items[i].input_ids)
        node = 1
        if free[1] >= size:
            while node < leaves:
                node = 2 * node if free[2 * node] >= size else 2 * node + 1
        else:  # longer than a row (callers truncate first): a row of its own
            node = leaves + len(rows)
        if node - leaves == len(rows):
            rows.append([])
        rows[node - leaves].append(i)
        free[node] -= size
        while node > 1:
            node //= 2
            free[node] = max(free[2 * node], free[2 * node + 1])
    return rows


def padded_width(longest: int) -> int:
    """The width a batch is padded to: its longest row's tokens, up to a multiple of 8."""
    return -(-longest // PAD_MULTIPLE) * PAD_MULTIPLE


def shifted_targets(item: Tokenized) -> list[int]:
    """targets[t] = the token position t must predict, -100 where untrained or past the end."""
    return item.labels[1:] + [IGNORE]


def collate(batch: list[list[Tokenized]], pad_id: int) -> dict[str, torch.Tensor]:
    """Build input_ids, position_ids and targets for rows of one or more examples each.

    No attention_mask is returned on purpose: padding sits at the end of each row, causal attention
    never lets a real token see it, and transformers builds a block-diagonal mask from
    position_ids when they restart inside a row (packing).
    """
    lengths = [sum(len(item.input_ids) for item in row) for row in batch]
    width = padded_width(max(lengths))
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    targets = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    position_ids = torch.zeros((len(batch), width), dtype=torch.long)
    for b, row in enumerate(batch):
        offset = 0
        for item in row:
            n = len(item.input_ids)
            input_ids[b, offset : offset + n] = torch.tensor(item.input_ids)
            targets[b, offset : offset + n] = torch.tensor(shifted_targets(item))
            position_ids[b, offset : offset + n] = torch.arange(n)
            offset += n
        # Padding continues the last example's positions: a row holding one example then looks
        # unpacked to transformers, which keeps the fast purely-causal attention path.
        last = len(row[-1].input_ids) if row else 0
        position_ids[b, offset:] = torch.arange(last, last + width - offset)
    return {
        "input_ids": input_ids,
        "position_ids": position_ids,
        "targets": targets,
        "real_tokens": torch.tensor(sum(lengths)),  # non-padding tokens, for throughput
    }
