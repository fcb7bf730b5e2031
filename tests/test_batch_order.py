"""Which rows each optimizer step trains on: the same however the step is split into
micro-batches (batch_size x grad_accum x processes), packed or not."""

from __future__ import annotations

import json

import pytest

from tests.conftest import tiny_config
from tunelab.data.files.write_files import write_jsonl
from tunelab.data.pipeline import Tokenized, epoch_batches
from tunelab.train.loop import train


def _rows(n: int) -> list[list[Tokenized]]:
    return [[Tokenized(list(range(3 + i % 7)), list(range(3 + i % 7)))] for i in range(n)]


def _steps(batches, per_step: int) -> list[list[int]]:
    rows = [id(row) for batch in batches for row in batch]
    sizes = [len(batch) for batch in batches]
    steps, at = [], 0
    for start in range(0, len(sizes), per_step):
        count = sum(sizes[start : start + per_step])
        steps.append(sorted(rows[at : at + count]))
        at += count
    return steps


@pytest.mark.parametrize("packing", [False, True])
@pytest.mark.parametrize("n_rows", [64, 70, 75])
@pytest.mark.parametrize("seed", range(6))
def test_a_step_gets_the_same_rows_however_it_is_split(packing, n_rows, seed):
    rows = _rows(n_rows)
    whole = epoch_batches(rows, 4, seed=seed, epoch=1, packing=packing)
    split = epoch_batches(rows, 1, seed=seed, epoch=1, packing=packing, batches_per_step=4)
    two_by_two = epoch_batches(rows, 2, seed=seed, epoch=1, packing=packing, batches_per_step=2)
    assert _steps(whole, 1) == _steps(split, 4) == _steps(two_by_two, 2)
    assert len(split) == n_rows and len(whole) == -(-n_rows // 4)  # every row once


def test_unpacked_half_batch_and_double_accumulation_train_alike(tmp_path):
    # Halving batch_size and doubling grad_accum, the usual fix for memory, trained other rows at
    # every step unpacked (the length sort went by micro-batches).
    pairs = [(f"Question {i}: what is item {i}?", "It is " + "very " * (i % 5) + f"item {i}.")
             for i in range(18)]  # fmt: skip
    data = tmp_path / "qa.jsonl"
    write_jsonl([{"question": q, "answer": a} for q, a in pairs], data)
    settings = dict(max_steps=4, eval_every=100, save_every=100)  # one epoch of 16 rows
    runs = []
    for name, batch, accum in (("whole", 4, 1), ("split", 1, 4)):
        config = tiny_config(tmp_path / name, data, batch_size=batch, grad_accum=accum)
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"packing": False})}
        )
        run = train(config.model_copy(update={"train": config.train.model_copy(update=settings)}))
        log = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        runs.append([(r["step"], r["loss"], r["tokens"]) for r in log if "loss" in r])
    assert [r[2] for r in runs[0]] == [r[2] for r in runs[1]]
    assert runs[0][0] == runs[1][0]  # the first step's loss to the last digit
    # Later steps only to rounding: a padded batch sums in another order, and AdamW's first steps
    # (lr 3e-3) magnify that.
    for (_, a, _), (_, b, _) in zip(*runs):
        assert b == pytest.approx(a, rel=1e-3)
