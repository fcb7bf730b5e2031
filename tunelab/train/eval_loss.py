"""The eval loss: mean loss per trained token over the test split, each process scoring its share."""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext

import torch

from tunelab.config import TrainConfig
from tunelab.train.parallel import distributed
from tunelab.train.parallel.distributed import SINGLE, World


@torch.no_grad()
def evaluate_loss(
    loss_module,
    rows,
    cfg: TrainConfig,
    tokenizer,
    device,
    world: World = SINGLE,
    on_batch: Callable[[int, int], None] | None = None,
) -> float:
    """Process r scores rows r, r+world, ... through `loss_module` (what distributed.wrap gave).
    `on_batch(done, total)` hears of each batch scored, and of none yet before the first.

    A sharded model gathers its layers in every forward, so all processes run the same number of
    batches: one whose share is a batch short scores a repeat and does not count it."""
    from tunelab.data.pack import collate

    # DDP's forward syncs buffers and expects a backward; the module inside it scores alone.
    module = getattr(loss_module, "module", loss_module)
    mine = rows[world.rank :: world.size]
    batches = math.ceil(math.ceil(len(rows) / world.size) / cfg.batch_size)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    )
    # `train.compile`'s layers run eager here: compiled without gradients they are compiled a
    # second time (each graph, at the first eval, before the first step), for no faster a forward
    # on a CPU (the embedded model's steps took 2.1 s compiled or not, benchmarks/README.md).
    module.eval()
    total, count = 0.0, 0
    on_batch = on_batch or (lambda done, total: None)
    on_batch(0, batches)
    for i in range(batches):
        part = mine[i * cfg.batch_size : (i + 1) * cfg.batch_size]
        batch = collate(part or rows[: cfg.batch_size], tokenizer.pad_token_id)
        with autocast, torch.compiler.set_stance("force_eager"):
            loss, n = module({k: v.to(device) for k, v in batch.items()})
        if part:
            total, count = total + loss.item(), count + n
        on_batch(i + 1, batches)
    module.train()
    if hasattr(module, "reshard"):
        # FSDP keeps the root's weights gathered after a forward, for a backward that never comes:
        # the optimizer and the checkpoint expect the shards back in place.
        module.reshard()
    total, count = distributed.total([total, float(count)], world, device)
    return total / max(count, 1)
