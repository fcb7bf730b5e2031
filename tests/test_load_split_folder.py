"""A train/test split's folder (`tunelab data split`'s: train.jsonl, test.jsonl, split.json)
given as data: its train.jsonl is trained on and its test.jsonl held out, as a saved
DatasetDict's splits are; a folder of other data files is still read whole."""

import pytest

from tests.conftest import write_jsonl
from tunelab.data.files.read import data_shape, is_raw_text
from tunelab.data.load import load_examples
from tunelab.data.split import held_out_path
from tunelab.data.write_split import split_file
from tunelab.errors import TunelabError
from tunelab.evaluate.testset import asked_split

ROWS = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(10)]


def test_a_split_folder_as_data_reads_its_train_file_and_holds_out_its_test_file(tmp_path, capsys):
    # Read as a folder of files, split.json was a row and the test rows were trained on.
    folder = tmp_path / "split"
    train, test, _ = split_file(write_jsonl(tmp_path / "qa.jsonl", ROWS), folder, 3, near=None)
    examples = load_examples(folder)
    assert [e.question for e in examples] == [e.question for e in load_examples(train)]
    assert all(e.source.startswith(str(train)) for e in examples)
    said = " ".join(capsys.readouterr().err.split())
    assert "a train/test split's folder: read its train.jsonl" in said
    assert f"data.test_path {test} the test rows" in said
    # Training, `data split` and `data check` hold its test file out where none is named; as
    # data.test_path the whole folder names it too, and eval's --data asks it.
    assert held_out_path(folder, None) == held_out_path(folder, folder) == str(test)
    assert asked_split(str(folder)) == str(test)


def test_a_folder_of_other_data_files_is_read_whole(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", ROWS[:4])
    write_jsonl(folder / "more.jsonl", ROWS[4:])
    assert len(load_examples(folder)) == len(ROWS)
    assert held_out_path(folder, None) is None


def test_a_data_folder_holding_a_split_folder_is_refused_naming_it(tmp_path, capsys):
    # Read file by file, its split.json was read as rows (an error about a JSON array) and, the
    # record gone, its test.jsonl was trained on beside the file it was split from.
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "qa.jsonl", ROWS[:6])
    split = data / "v1"
    split_file(write_jsonl(tmp_path / "more.jsonl", ROWS[6:]), split, 1, near=None)
    for gone in (None, split / "split.json", data / "qa.jsonl"):
        if gone:
            gone.unlink()  # without its record, or alone in the folder, it is refused too
        with pytest.raises(TunelabError) as refused:
            load_examples(data)
        said = " ".join(str(refused.value).split())
        assert f"{data} holds a train/test split's folder, {split}" in said
        assert f"give {split} as the data (data.path)" in said and f"move {split} out" in said
    # Its own rows are read as a split's folder is: train.jsonl trained on, test.jsonl held out.
    assert len(load_examples(split)) == 3 and held_out_path(split, None) == str(
        split / "test.jsonl"
    )


def test_a_data_folder_holding_a_saved_dataset_dict_with_a_test_split_is_refused_naming_it(
    tmp_path, capsys
):
    # Its 'train' alone was read, with a note that training held 'test' out: it held out a
    # tenth of the whole folder instead, and the makers' test split went unused.
    import datasets

    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "qa.jsonl", ROWS[:6])
    saved = data / "faq"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(ROWS[6:9]), test=datasets.Dataset.from_list(ROWS[9:])
    ).save_to_disk(str(saved))
    with pytest.raises(TunelabError) as refused:
        load_examples(data)
    said = " ".join(str(refused.value).split())
    assert f"{data} holds a saved DatasetDict with its own test split, {saved} ('test')" in said
    assert f"give {saved} as the data (data.path)" in said and f"move {saved} out" in said
    assert "training holds it out" not in " ".join(capsys.readouterr().err.split())
    # Given as the data itself, it reads 'train' and training holds its 'test' out, as before.
    assert len(load_examples(saved)) == 3 and held_out_path(saved, None) == str(saved / "test")


def test_a_split_record_left_without_its_test_file_is_never_read_as_rows(tmp_path, capsys):
    folder = tmp_path / "split"
    split_file(write_jsonl(tmp_path / "qa.jsonl", ROWS), folder, 3, near=None)
    (folder / "test.jsonl").unlink()
    assert len(load_examples(folder)) == len(ROWS) - 3
    said = " ".join(capsys.readouterr().err.split())
    assert "split.json: how a train/test split was drawn (`tunelab data split`)" in said


def test_a_folder_of_data_files_in_subfolders_is_still_read_whole(tmp_path):
    folder = tmp_path / "data"
    (folder / "more").mkdir(parents=True)
    write_jsonl(folder / "qa.jsonl", ROWS[:4])
    write_jsonl(folder / "more" / "train.jsonl", ROWS[4:8])  # a train.jsonl with no test.jsonl
    write_jsonl(folder / "more" / "extra.jsonl", ROWS[8:])
    questions = sorted(e.question for e in load_examples(folder))
    assert questions == sorted(r["question"] for r in ROWS)


def test_a_split_folder_of_texts_is_raw_text_as_its_train_file_is(tmp_path):
    # Its shape was told by split.json, the folder's first file, which tells none: a run trained
    # on a split of documents' texts was no raw-text run to eval, generate and compare.
    texts = [
        {"text": f"Section {i}. The W{i}00 prints {i * 20} labels a minute."} for i in range(10)
    ]
    folder = tmp_path / "split"
    split_file(write_jsonl(tmp_path / "texts.jsonl", texts), folder, 3, near=None)
    assert (folder / "split.json").is_file()
    assert data_shape(folder) == "text" and is_raw_text(folder, "auto")
    split_file(write_jsonl(tmp_path / "qa.jsonl", ROWS), tmp_path / "qa_split", 3, near=None)
    assert data_shape(tmp_path / "qa_split") == "qa"
