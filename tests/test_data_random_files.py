"""Seeded random examples read and split: every file format loads the same examples as the rows
themselves, and the split is seeded, disjoint by question and complete, whatever the rows' order."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from tests.test_data_random import SEED, conversation, reply, text
from tunelab.data.example import Example
from tunelab.data.load import load_examples, to_example
from tunelab.data.question_keys import example_key
from tunelab.data.split import split_examples


def test_split_is_seeded_disjoint_and_complete():
    rng = random.Random(SEED + 5)
    questions = [text(rng, 1, 4) + "q" for _ in range(40)]
    # Repeats, some differing only by case and spacing, some exact duplicates.
    examples = [
        Example.qa(rng.choice([q, q.upper(), f"  {q}\n"]), rng.choice(["a", "b", reply(rng)]))
        for q in rng.choices(questions, k=120)
    ]
    lone = [Example.qa("Tell me a joke.", f"Joke {i}.") for i in range(5)]  # one question
    assert split_examples(lone, 2, seed=7) == (lone, [])
    for test_size in (0.0, 0.25, 5, 0.999):
        train, test = split_examples(examples, test_size, seed=7)
        again = split_examples(list(examples), test_size, seed=7)
        assert (train, test) == again
        # The held-out questions do not depend on the order of the rows.
        shuffled = split_examples(rng.sample(examples, len(examples)), test_size, seed=7)
        assert {example_key(e) for e in shuffled[1]} == {example_key(e) for e in test}
        assert {example_key(e) for e in train}.isdisjoint({example_key(e) for e in test})
        kept = split_examples(examples, 0.0, seed=7)[0]  # all, duplicates dropped
        assert sorted(map(id, train + test)) == sorted(map(id, kept))
        keys = {example_key(e) for e in kept}
        n_test = len({example_key(e) for e in test})
        if test_size == 0:
            assert n_test == 0
        elif test_size >= 1:
            assert n_test == test_size
        else:
            assert n_test == min(max(round(len(keys) * test_size), 1), len(keys) - 1)


FLAT = {
    "qa": ("question", "answer"),
    "alpaca": ("instruction", "input", "output"),
    "prompt_completion": ("prompt", "completion"),
}


def _write(rows: list[dict], path, fmt: str):
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=rng_bool(r)) + "\n" for r in rows))
    elif fmt in ("csv", "tsv"):
        pd.DataFrame(rows).to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")
    elif fmt == "parquet":
        pd.DataFrame(rows).to_parquet(path)
    else:
        import datasets

        datasets.Dataset.from_list(rows).save_to_disk(str(path))


def rng_bool(row: dict) -> bool:
    return len(json.dumps(row)) % 2 == 0  # raw UTF-8 in some lines, \u escapes in others


def _loaded(path) -> list[tuple]:
    return [(e.messages, e.instruction, e.input, e.text) for e in load_examples(path)]


@pytest.mark.parametrize("shape", [*FLAT, "messages"])
def test_every_format_loads_the_same_examples(tmp_path, shape):
    rng = random.Random(SEED + 6)
    if shape == "messages":
        rows = [{"messages": conversation(rng)} for _ in range(15)]
        formats = ["jsonl", "parquet", "dataset"]  # a table cell holds no list of turns
    else:
        rows = [
            {
                column: reply(rng) if k == 0 or column != "input" else text(rng)
                for k, column in enumerate(FLAT[shape])
            }
            for _ in range(15)
        ]
        formats = ["jsonl", "csv", "tsv", "parquet", "dataset"]
    expected = None
    for fmt in formats:
        path = tmp_path / f"data.{fmt}"
        _write(rows, path, fmt)
        loaded = _loaded(path)
        expected = expected or loaded
        assert loaded == expected, fmt
    direct = [to_example(r, shape, "") for r in rows]
    assert expected == [(e.messages, e.instruction, e.input, e.text) for e in direct]
