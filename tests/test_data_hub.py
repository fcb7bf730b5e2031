"""`data.path: hf://org/name[:config][@split]` reads a hub dataset through datasets.load_dataset:
here a stand-in that serves local rows (tests never go online), and the real one offline."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from tests.conftest import QA_PAIRS, tiny_config
from tunelab.data.load import load_examples
from tunelab.data.write_split import split_file
from tunelab.errors import TunelabError
from tunelab.run import Run
from tunelab.train.loop import train


@pytest.fixture
def hub(monkeypatch):
    """datasets.load_dataset answering from local rows, recording what it was asked."""
    asked = []
    splits = {
        "train": [{"question": q, "answer": a} for q, a in QA_PAIRS[:6]],
        "test": [{"question": q, "answer": a} for q, a in QA_PAIRS[6:]],
    }

    def load_dataset(repo, config=None, split=None):
        asked.append((repo, config, split))
        return datasets.Dataset.from_list(splits[split])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return asked


def test_a_hub_dataset_loads_as_its_split_of_examples(hub):
    examples = load_examples("hf://me/qa:plain@test")
    assert [e.question for e in examples] == [q for q, _ in QA_PAIRS[6:]]
    assert examples[0].source == "hf://me/qa:plain@test[0]"
    load_examples("hf://me/qa")
    assert hub == [("me/qa", "plain", "test"), ("me/qa", None, "train")]


def test_training_reads_its_data_and_test_set_from_the_hub(hub, tmp_path):
    config = tiny_config(tmp_path, "hf://me/qa", max_steps=2)
    config.data.test_path = "hf://me/qa@test"
    run = train(config)
    assert Run.open(run).config.data.path == "hf://me/qa"
    assert ("me/qa", None, "test") in hub


def test_offline_a_hub_dataset_not_cached_is_one_line_saying_so():
    # conftest sets HF_HUB_OFFLINE: the real datasets.load_dataset refuses to go online.
    with pytest.raises(TunelabError, match=r"hf://nobody/nothing: cannot load it from the Hugging"):
        load_examples("hf://nobody/nothing")
    with pytest.raises(TunelabError, match="a hub dataset is hf://org/name"):
        load_examples("hf://a/b/c")


def test_data_split_writes_a_hub_datasets_rows(hub, tmp_path):
    # The split loaded the rows from the hub, then read them again as a local file: "hf:/me/qa:
    # unsupported file type ''".
    train, test, _ = split_file("hf://me/qa", tmp_path, test_size=2, near=None)
    written = [json.loads(line) for part in (train, test) for line in part.open()]
    assert sorted(row["question"] for row in written) == sorted(q for q, _ in QA_PAIRS[:6])


def test_eval_reads_a_hub_test_sets_checks(hub):
    # `tunelab eval` of a run whose data.test_path is on the hub stopped on "hf:/me/qa@test:
    # unsupported file type ''" after loading its questions.
    from tunelab.evaluate.scores import TestChecks

    examples = load_examples("hf://me/qa@test")
    checks = TestChecks.read("hf://me/qa@test", examples)
    assert checks.fields(examples[0].source, examples[0].answer) is not None


def test_data_facts_and_the_held_out_checks_read_a_hub_test_set(hub, tmp_path):
    # Both read the test file as a local path: "hf:/me/qa@test: unsupported file type ''", or,
    # for training's held-out questions, no checks at all (the path "did not exist").
    from tunelab.evaluate.facts.propose_file import propose_file
    from tunelab.evaluate.facts.score import read_fact_checks

    out = tmp_path / "facts.jsonl"
    propose_file("hf://me/qa@test", out)
    proposed = [json.loads(line) for line in out.open()]
    assert len(proposed) == len(QA_PAIRS[6:]) and any(row.get("facts") for row in proposed)
    assert read_fact_checks("hf://me/qa@test") == {}  # its rows name no facts of their own


def test_pandas_row_numbers_in_a_hub_or_saved_dataset_are_no_column(tmp_path, monkeypatch, capsys):
    # A frame read back from df.to_csv(path) holds its row numbers as "Unnamed: 0": a hub
    # dataset made of it kept them, and `data split` wrote them into every row, as a CSV's were.
    import io

    import pandas as pd

    written = pd.DataFrame([{"question": q, "answer": a} for q, a in QA_PAIRS[:6]]).to_csv()
    dataset = datasets.Dataset.from_pandas(pd.read_csv(io.StringIO(written)))
    assert dataset.column_names == ["Unnamed: 0", "question", "answer"]
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: dataset)
    dataset.save_to_disk(str(tmp_path / "saved"))
    for path in ("hf://me/qa", tmp_path / "saved"):
        out = tmp_path / "split" / Path(str(path)).name
        train, test, _ = split_file(path, out, test_size=2, near=None)
        rows = [json.loads(line) for part in (train, test) for line in part.open()]
        assert sorted(row["question"] for row in rows) == sorted(q for q, _ in QA_PAIRS[:6])
        assert all(sorted(row) == ["answer", "question"] for row in rows)
        said = " ".join(capsys.readouterr().err.split())
        assert f"{path}: 'Unnamed: 0' holds row numbers (pandas' index" in said


def test_with_the_hub_unreachable_a_cached_dataset_loads_at_once_and_another_fails_at_once(
    monkeypatch, no_route_to_hub
):
    # From a walk: offline, `tunelab data inspect hf://lamini/lamini_docs` printed "Retrying in
    # 8s" five times, ~25 s, before its one line; datasets asked offline reads its cache at once.
    import huggingface_hub

    cached = {"me/qa": [{"question": q, "answer": a} for q, a in QA_PAIRS[:2]]}

    def load_dataset(repo, config=None, split=None):
        if not huggingface_hub.constants.HF_HUB_OFFLINE:
            raise ConnectionError(f"Couldn't reach '{repo}' on the Hub (after 5 retries)")
        if repo not in cached:
            raise ConnectionError(f"Couldn't reach '{repo}' on the Hub (OfflineModeIsEnabled)")
        return datasets.Dataset.from_list(cached[repo])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    assert [e.question for e in load_examples("hf://me/qa")] == [q for q, _ in QA_PAIRS[:2]]
    with pytest.raises(TunelabError, match=r"hf://me/other: .*huggingface.co cannot be reached"):
        load_examples("hf://me/other")
    assert huggingface_hub.constants.HF_HUB_OFFLINE is False  # as the user left it
