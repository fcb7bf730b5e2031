"""Raw text for continued pretraining, split for the eval loss: too few documents to hold out
whole ones at data.test_size hold out the end of each instead (tunelab/data/split.py)."""

from __future__ import annotations

import json

import pytest

from tunelab.data.load import load_examples
from tunelab.data.split import near_repeats_note, split_examples
from tunelab.data.write_split import split_file
from tunelab.errors import TunelabError


def _docs(folder, names):
    folder.mkdir()
    for name in names:
        lines = [f"Line {i:03d} of {name}." for i in range(100)]  # 17 characters a line
        (folder / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    return folder


def test_two_documents_each_hold_out_their_last_tenth_not_one_of_them_whole(tmp_path):
    # A folder of two manuals at the default test size held one of them out: half the text
    # was never trained on, and the eval loss scored a document unlike the other.
    docs = load_examples(_docs(tmp_path / "docs", ["intro", "guide"]))
    train, test = split_examples(docs, test_size=0.1)
    assert [e.source for e in train] == [e.source for e in test] == [e.source for e in docs]
    for whole, kept, held in zip(docs, train, test):
        assert kept.text + held.text == whole.text
        assert held.text.startswith("Line 090 of")  # cut at the line break nearest 90%
    note = near_repeats_note(docs, test, 0.1)
    assert "the last 10% of each of the 2 text(s) held out" in note
    assert "from 10 texts on, whole ones are" in note


def test_data_split_writes_each_part_of_a_cut_document_to_its_own_file(tmp_path):
    out_train, out_test, said = split_file(
        _docs(tmp_path / "docs", ["manual"]), tmp_path / "split", near=None
    )
    (kept,) = [json.loads(line)["text"] for line in out_train.read_text("utf-8").splitlines()]
    (held,) = [json.loads(line)["text"] for line in out_test.read_text("utf-8").splitlines()]
    assert kept.endswith("Line 089 of manual.\n") and held.startswith("Line 090 of manual.")
    assert "Line 090" not in kept
    assert any("the last 10% of each of the 1 text(s)" in line for line in said)


def test_ten_documents_or_more_hold_out_whole_ones(tmp_path):
    docs = load_examples(_docs(tmp_path / "docs", [f"page{i}" for i in range(10)]))
    train, test = split_examples(docs, test_size=0.1)
    assert len(test) == 1 and len(train) == 9
    assert test[0].text in {e.text for e in docs}
    assert near_repeats_note(docs, test, 0.1) == ""


def test_the_trained_part_of_a_cut_document_ends_without_eos_as_the_text_goes_on(tmp_path):
    # Each head trained an EOS at the cut: the model learned that the manual ends at 90%.
    from tunelab.data.tokenize import tokenize_all
    from tunelab.models.random_weights import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    train, test = split_examples(load_examples(_docs(tmp_path / "docs", ["manual"])), 0.1)
    (head,), _ = tokenize_all(train, tokenizer, max_length=4096)
    (tail,), _ = tokenize_all(test, tokenizer, max_length=4096)
    assert head.input_ids[-1] != tokenizer.eos_token_id
    assert tail.input_ids[-1] == tokenizer.eos_token_id


def test_the_data_line_of_a_raw_text_run_counts_texts_not_examples(tmp_path):
    # "train 2 / test 2 examples" read as Q&A examples, of which a folder of documents has none.
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.models.random_weights import tiny_tokenizer

    docs = _docs(tmp_path / "docs", ["intro", "guide"])
    whole = prepare(DataConfig(path=str(docs), max_length=4096), tiny_tokenizer()).summary()
    assert whole.startswith("train 2 / test 2 texts; 0 exact duplicates removed; raw text: ")
    assert "examples" not in whole and "train: " not in whole  # "train: 2 texts" says nothing new
    windows = prepare(DataConfig(path=str(docs), max_length=64), tiny_tokenizer()).summary()
    assert windows.startswith("train 2 / test 2 texts;")
    assert "; train: " in windows and " sequences, 2 long texts split into chunks" in windows


def test_data_split_of_documents_goes_on_to_train_on_them_not_to_facts_of_questions(tmp_path):
    # "next: tunelab data facts split/test.jsonl ...": a raw text's held-out end has no question.
    from typer.testing import CliRunner

    from tunelab.cli import app

    docs = _docs(tmp_path / "docs", ["manual"])
    split = CliRunner().invoke(app, ["data", "split", str(docs), "-o", str(tmp_path / "split")])
    assert split.exit_code == 0, split.output
    assert f"next: tunelab train --set data.path={docs} --set data.test_size=0.1" in split.output
    assert "data facts" not in split.output


def test_a_run_from_before_ends_were_held_out_resumes_with_the_whole_texts_it_held_out(
    tmp_path, capsys
):
    # Trained under an older tunelab, 6 documents at test_size 0.1 held one out whole; its
    # resume was refused as "the training data changed", though nothing had.
    from tests.conftest import tiny_config
    from tunelab.train.loop import train

    docs = _docs(tmp_path / "docs", [f"part{i}" for i in range(6)])
    config = tiny_config(tmp_path, docs, max_steps=2, save_every=2, eval_every=2)
    run = train(config.model_copy(update={"data": config.data.model_copy(update={"test_size": 1})}))
    old = config.model_copy(update={"data": config.data.model_copy(update={"test_size": 0.1})})
    saved = run / "config.yaml"  # as it was written: test_size 1 is what 0.1 held out then
    saved.write_text(
        saved.read_text("utf-8").replace("test_size: 1\n", "test_size: 0.1\n"), "utf-8"
    )
    capsys.readouterr()

    train(old.model_copy(update={"train": old.train.model_copy(update={"max_steps": 3})}), True)
    out, err = capsys.readouterr()
    said = " ".join(out.split())
    assert "held out 1 of its 6 texts whole, as tunelab did before" in said
    assert " ".join(err.split()).count("reading 6 file(s)") == 1  # read again in silence
    assert "resumed from" in said and "test_size: 1\n" in saved.read_text("utf-8")
    assert _last_step(run) == 3

    # Resumed again from the config file that still says 0.1, as `train RUN --resume` resumes
    # it: the checkpoint's split decides (refused as "cannot change data.test_size 1 → 0.1").
    train(old.model_copy(update={"train": old.train.model_copy(update={"max_steps": 4})}), True)
    said = " ".join(capsys.readouterr()[0].split())
    assert "held out 1 of its 6 texts whole" in said and "a config file saying 0.1 resumes" in said
    assert _last_step(run) == 4 and "test_size: 1\n" in saved.read_text("utf-8")
    # A fraction that holds out whole texts, as 0.2 of 6 does, draws another split: refused.
    other = {"data": old.data.model_copy(update={"test_size": 0.2})}
    other["train"] = old.train.model_copy(update={"max_steps": 5})
    with pytest.raises(TunelabError, match="cannot change data.test_size 1 → 0.2 on resume"):
        train(old.model_copy(update=other), True)


def test_a_fraction_that_holds_out_whole_texts_is_refused_before_the_model_loads(
    tmp_path, monkeypatch
):
    # A run whose config.yaml says test_size 1 (the whole-text split it trained on), resumed
    # from a config file saying 0.2 of its 6 texts: refused as a change of data.test_size only
    # once the model had loaded (minutes on a CPU), to read the texts.
    from tests.conftest import tiny_config
    from tunelab.train import session
    from tunelab.train.loop import train

    docs = _docs(tmp_path / "docs", [f"part{i}" for i in range(6)])
    config = tiny_config(tmp_path, docs, max_steps=2, save_every=2, eval_every=2)
    train(config.model_copy(update={"data": config.data.model_copy(update={"test_size": 1})}))

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(session, "load_model", no_load)
    other = {"data": config.data.model_copy(update={"test_size": 0.2})}
    other["train"] = config.train.model_copy(update={"max_steps": 3})
    with pytest.raises(TunelabError, match="cannot change data.test_size 1 → 0.2 on resume"):
        train(config.model_copy(update=other), True)


def _last_step(run) -> int:
    steps = [json.loads(line) for line in (run / "metrics.jsonl").read_text("utf-8").splitlines()]
    return max(s.get("step", 0) for s in steps)
