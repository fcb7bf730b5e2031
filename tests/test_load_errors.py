"""Bad input gives the project's error naming the file, the line and the field."""

from __future__ import annotations

import json

import pytest

from tunelab.data.files.jsonl_files import drop_cut_end, ends_a_line, read_jsonl
from tunelab.data.load import load_examples
from tunelab.errors import TunelabError

GOOD = json.dumps({"question": "q", "answer": "a"})


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        ('{"question": "q", "answer": ', "qa.jsonl:2: not valid JSON"),
        (json.dumps({"question": "q"}), "qa.jsonl:2: missing field 'answer'"),
        (json.dumps({"question": "q", "answer": "  "}), "qa.jsonl:2: field 'answer' is empty"),
        (json.dumps({"question": "q", "answer": ["a"]}), "qa.jsonl:2: field 'answer' must be text"),
        ("[1, 2]", "qa.jsonl:2: expected a JSON object"),
    ],
)
def test_bad_jsonl_line_is_named(tmp_path, second_line, message):
    path = tmp_path / "qa.jsonl"
    path.write_text(f"{GOOD}\n{second_line}\n{GOOD}\n")
    with pytest.raises(TunelabError, match=message):
        load_examples(path)


def test_a_json_arrays_items_are_counted_from_1_as_a_reader_counts_them(tmp_path):
    # The second item was named "item 1", as JSONL's second line is "2".
    path = tmp_path / "qa.json"
    path.write_text(json.dumps([{"question": "q", "answer": "a"}, {"question": "q"}]))
    with pytest.raises(TunelabError, match=r"qa.json:item 2: missing field 'answer'"):
        load_examples(path)
    assert [e.source[-6:] for e in load_examples(path, on_error="skip")] == ["item 1"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "qa.csv",
            "question,answer\n",
            r"qa.csv: has a header line \(question,answer\) but no data",
        ),
        ("qa.tsv", "question\tanswer\r\n", r"qa.tsv: has a header line .* but no data rows"),
        ("qa.csv", "", "qa.csv: is empty"),
        ("qa.json", "[]", "qa.json: holds an empty JSON array"),
        ("qa.json", "", "qa.json: is empty"),
        ("qa.jsonl", "\n\n", "qa.jsonl: is empty"),
    ],
)
def test_a_file_without_rows_says_what_it_holds(tmp_path, name, text, message):
    # A header-only CSV said "no usable rows", as if its rows had been refused.
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(TunelabError, match=message):
        load_examples(path)


def test_text_in_a_column_no_shape_reads_is_said_not_dropped_in_silence(tmp_path, capsys):
    # Dolly's context and LLaMA-Factory's history trained nothing, without a word: the model
    # learnt "Who wrote it?" -> "Ann." with the passage that says so left out.
    path = tmp_path / "qa.jsonl"
    rows = [{"question": "Who wrote it?", "context": "Ann wrote the report.", "answer": "Ann."},
            {"question": "When?", "context": "", "answer": "On Monday.", "history": [["Hi", "Hello"]]}]  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert len(load_examples(path)) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert f"warning: {path}: 'context' (1 row(s)), 'history' (1 row(s)) not read: qa rows are " \
        "read from question/answer/system alone, so that text trains nothing" in said  # fmt: skip
    # `data check`, the gate before training, warns of it too (so --strict fails): it said nothing.
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.findings import QualityConfig

    report = check_file(path, config=QualityConfig(model="tiny-random"))
    assert any("'context' (1 row(s)), 'history' (1 row(s)) not read" in w for w in report.warnings)
    # Alpaca's input is read.
    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text(json.dumps({"instruction": "Add.", "input": "1 2", "output": "3"}) + "\n")
    load_examples(alpaca)
    assert "not read" not in capsys.readouterr().err


def test_a_parquet_file_or_saved_dataset_without_rows_says_so(tmp_path):
    import datasets

    empty = datasets.Dataset.from_dict({"question": [], "answer": []})
    empty.to_parquet(tmp_path / "qa.parquet")
    with pytest.raises(TunelabError, match=r"has the columns \['question', 'answer'\] but no"):
        load_examples(tmp_path / "qa.parquet")
    empty.save_to_disk(tmp_path / "saved")  # was an IndexError from inside datasets
    with pytest.raises(TunelabError, match="saved: its saved dataset holds no rows"):
        load_examples(tmp_path / "saved")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.csv").write_text("question,answer\n")
    with pytest.raises(TunelabError, match="folder: no file in it holds a row"):
        load_examples(folder)


def test_skip_mode_keeps_good_rows_and_reports(tmp_path, capsys):
    path = tmp_path / "qa.jsonl"
    path.write_text(
        f"{GOOD}\n{{broken\n{GOOD}\n" + json.dumps({"question": "q", "answer": ""}) + "\n"
    )
    examples = load_examples(path, on_error="skip")
    assert len(examples) == 2
    assert "skipped 2 bad row(s)" in capsys.readouterr().err


def test_an_empty_user_turn_is_a_bad_row_as_an_empty_question_is(tmp_path, capsys):
    # A chat whose user says nothing loaded and trained, while a Q&A row's empty question was
    # refused. A turn that only calls a tool (content null, as OpenAI writes it) says something.
    def chat(question: str) -> str:
        call = {"type": "function", "function": {"name": "clock", "arguments": {}}}
        return json.dumps(
            {
                "messages": [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": None, "tool_calls": [call]},
                    {"role": "tool", "content": "12:00"},
                    {"role": "assistant", "content": "It is noon."},
                ]
            }
        )

    path = tmp_path / "chat.jsonl"
    path.write_text(f"{chat('What time is it?')}\n{chat(' ')}\n{chat('')}\n")
    with pytest.raises(TunelabError, match=r"chat.jsonl:2: messages\[0\] is an empty user turn"):
        load_examples(path)
    assert len(load_examples(path, on_error="skip")) == 1
    assert "skipped 2 bad row(s)" in capsys.readouterr().err


def test_an_empty_system_turn_is_said_once_with_its_row(tmp_path, capsys, wide_terminal):
    # Not a bad row, as an empty user turn is, but it trained in silence: the chat template
    # writes it as an empty system prompt, where a chat without one gets the template's default
    # ("You are a helpful AI assistant..."), which chat and serve then ask with. Dropping the
    # turn would change what the row trains, so it is said, once.
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.data.prompts.templates import render_prompt
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.findings import QualityConfig
    from tunelab.models.random_weights import tiny_random

    _, tokenizer = tiny_random()
    path = tmp_path / "chat.jsonl"
    rows = [{"messages": [{"role": "system", "content": " " if i % 2 else ""},
                          {"role": "user", "content": f"q{i}"},
                          {"role": "assistant", "content": f"a{i}"}]} for i in range(1, 5)]  # fmt: skip
    rows.insert(0, {"messages": rows[0]["messages"][1:]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prepare(DataConfig(path=str(path), template="chat"), tokenizer)
    said = " ".join("".join(capsys.readouterr()).split())
    assert said.count("empty system turn") == 1
    assert f"4 chat row(s) hold an empty system turn (first: {path}:2)" in said
    assert "drop the empty turn, or write the system prompt in it" in said
    none, empty = load_examples(path)[:2]
    assert "You are a helpful AI assistant." not in render_prompt(empty, tokenizer)
    assert "You are a helpful AI assistant." in render_prompt(none, tokenizer)
    prepare(DataConfig(path=str(path), template="qa"), tokenizer)  # no system prompt at all
    assert "empty system turn" not in "".join(capsys.readouterr())
    # `data check` warns of it too (so --strict fails), with the row's file:line.
    report = check_file(path, config=QualityConfig(model="tiny-random"))
    assert any(w.startswith("4 chat row(s) hold an empty system turn (first: chat.jsonl:2)")
               for w in report.warnings)  # fmt: skip


def test_csv_errors_name_the_line(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text('question,answer\n"multi\nline",fine\nq2,\n')
    with pytest.raises(TunelabError, match=r"qa.csv:4: field 'answer' is empty"):
        load_examples(path)


def test_a_spreadsheets_emptied_rows_are_blank_lines(tmp_path):
    # Excel saves rows whose cells were cleared as ",": training stopped on "field 'question' is
    # empty" at a line that holds no data.
    path = tmp_path / "qa.csv"
    path.write_bytes(b"question,answer\r\nq1,a1\r\n,\r\nq2,a2\r\n,\r\n , ,\r\n")
    assert [e.source[-5:] for e in load_examples(path)] == ["csv:2", "csv:4"]


def test_unknown_columns_say_what_is_expected(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"foo": "a", "bar": "b"}) + "\n")
    with pytest.raises(
        TunelabError, match=r"x.jsonl:1: cannot tell the data shape.*question/answer"
    ):
        load_examples(path)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(TunelabError, match="not found"):
        load_examples(tmp_path / "none.jsonl")
    (tmp_path / "d.xml").write_text("<a/>")
    with pytest.raises(TunelabError, match="unsupported file type"):
        load_examples(tmp_path / "d.xml")
    # A spreadsheet is saved as CSV: the list of suffixes it was given named no way there.
    (tmp_path / "qa.xlsx").write_bytes(b"PK")
    with pytest.raises(TunelabError, match=r"qa.xlsx: a spreadsheet; save it as CSV"):
        load_examples(tmp_path / "qa.xlsx")
    # A compressed export names the file inside, not the list of suffixes '.gz' is missing from.
    (tmp_path / "qa.jsonl.gz").write_bytes(b"\x1f\x8b")
    with pytest.raises(TunelabError, match=r"compressed file; unpack it and give the .jsonl file"):
        load_examples(tmp_path / "qa.jsonl.gz")


def test_a_missing_file_in_a_folder_one_cannot_list_is_named_not_a_traceback(tmp_path, monkeypatch):
    # The "did you mean" lists the folder beside the name: a folder this user may not read
    # raised PermissionError from deep inside (root reads any folder: the listing is refused).
    def refused(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(tmp_path), "iterdir", refused)
    with pytest.raises(
        TunelabError, match=r"^data file not found: \S*none\.jsonl \(no Q&A pairs yet"
    ):
        load_examples(tmp_path / "none.jsonl")


def test_a_hub_datasets_name_given_as_a_path_is_named_as_a_hub_dataset(tmp_path, monkeypatch):
    # "data file not found: tatsu-lab/alpaca", as the dataset's hub page names it.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TunelabError, match=r"a Hugging Face hub dataset is named hf://tatsu-lab/a"):
        load_examples("tatsu-lab/alpaca")
    (tmp_path / "data").mkdir()  # a folder of one's own is a path mistyped, not the hub
    with pytest.raises(TunelabError, match=r"^data file not found: data/qa$"):
        load_examples("data/qa")


def test_a_file_that_is_no_parquet_is_named_not_a_traceback(tmp_path):
    # pyarrow's ArrowInvalid came out of training as a traceback.
    path = tmp_path / "qa.parquet"
    path.write_text("question,answer\nq,a\n")  # a CSV renamed
    with pytest.raises(TunelabError, match=r"qa.parquet: not a readable Parquet file"):
        load_examples(path)


def test_a_saved_dataset_with_a_damaged_file_is_named_not_a_traceback(tmp_path):
    import datasets

    datasets.Dataset.from_list([{"question": "q", "answer": "a"}] * 50).save_to_disk(tmp_path)
    (arrow,) = tmp_path.glob("*.arrow")
    arrow.write_bytes(arrow.read_bytes()[:500])  # a copy broken off
    with pytest.raises(TunelabError, match=r"its saved dataset's files are damaged"):
        load_examples(tmp_path)


def test_a_missing_column_says_how_to_map_it(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "q", "reply": "a"}) + "\n")
    with pytest.raises(TunelabError) as err:
        load_examples(path, shape="qa")
    message = str(err.value)
    assert "qa.jsonl:1: missing field 'answer'" in message
    assert "['question', 'reply']" in message and "data.fields" in message
    assert "--set data.on_error=skip" in message  # as `tunelab train` takes it


def test_a_file_that_is_not_utf8_names_the_line_not_a_traceback(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_bytes(
        f"{GOOD}\n".encode() + '{"question": "café", "answer": "a"}\n'.encode("cp1252")
    )
    with pytest.raises(TunelabError, match=r"qa.jsonl:2: not UTF-8 text.*re-save"):
        load_examples(path)
    table = tmp_path / "qa.csv"
    table.write_bytes("question,answer\ncafé,a\n".encode("cp1252"))
    with pytest.raises(TunelabError, match=r"qa.csv:2: not UTF-8 text \(byte 0xe9"):
        load_examples(table)
    # A stray byte in one row of a CSV is that row's error: --on-error skip skips it alone (the
    # whole file was refused).
    table.write_bytes(b"question,answer\nok?,yes\n" + "café?,a\n".encode("cp1252") + b"b?,no\n")
    kept = load_examples(table, on_error="skip")
    assert [ex.question for ex in kept] == ["ok?", "b?"]


@pytest.mark.parametrize(
    ("turn", "message"),
    [
        (
            {"from": "bot", "value": "hello"},
            r"chat.jsonl:1: conversations\[1\] role 'bot' is not one of assistant, function",
        ),
        # A role that is no text (a list, an object) is named the same way; it was a TypeError.
        ({"role": ["assistant"], "content": "hello"}, r"role \['assistant'\] is not one of"),
        # A role capitalized, as chat exports write "Human", is named as the one meant.
        ({"from": "GPT", "value": "hello"}, r"role 'GPT' is not one of .*: did you mean gpt\?;"),
        # A role a letter off is named as meant too, as a mistyped setting's value is.
        ({"from": "asistant", "value": "hello"}, r"'asistant' .*: did you mean assistant\?;"),
        # It was "unknown role None".
        ({"content": "hello"}, r"conversations\[1\] names no role: give each turn a 'role'"),
        # It was "content must be text or a list of text parts".
        ({"role": "assistant", "text": "hello"}, r"has no 'content' \(it holds \['role', 'text'\]"),
    ],
)
def test_a_bad_chat_turn_is_named_with_what_was_meant(tmp_path, turn, message):
    path = tmp_path / "chat.jsonl"
    turns = [{"from": "human", "value": "hi"}, turn]
    path.write_text(json.dumps({"conversations": turns}) + "\n")
    with pytest.raises(TunelabError, match=message):
        load_examples(path)


def test_a_sharegpt_rows_bad_turn_is_named_by_its_own_column(tmp_path):
    # From a walk: lamini_docs as ShareGPT rows said "sharegpt.jsonl:20: messages[0] is an empty
    # user turn", a column the file does not have.
    path = tmp_path / "sharegpt.jsonl"
    turns = [{"from": "human", "value": " "}, {"from": "gpt", "value": "hello"}]
    path.write_text(json.dumps({"conversations": turns}) + "\n", encoding="utf-8")
    with pytest.raises(
        TunelabError, match=r"sharegpt.jsonl:1: conversations\[0\] is an empty user"
    ):
        load_examples(path)


def test_a_mapped_column_that_is_not_there_is_named_with_the_columns_that_are(tmp_path):
    # "column 'Query' (mapped to 'question') is missing" left the user to open the file.
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"query": "q", "response": "a"}) + "\n")
    with pytest.raises(TunelabError, match=r"is missing; the row has \['query', 'response'\]"):
        load_examples(path, fields={"question": "Query", "answer": "response"})


def test_a_json_file_of_several_lists_asks_for_a_file_each(tmp_path):
    # {"train": [...], "test": [...]} said "expected a JSON array of objects".
    path = tmp_path / "qa.json"
    row = {"question": "q", "answer": "a"}
    path.write_text(json.dumps({"train": [row], "test": [row]}))
    with pytest.raises(TunelabError, match=r"qa.json: holds several lists of rows \(train, test\)"):
        load_examples(path)


def test_tunelab_s_own_jsonl_is_read_by_line_number_and_a_broken_line_is_named(tmp_path):
    path = tmp_path / "votes.jsonl"
    # Blank lines are skipped, not renumbered; U+2028 and U+0085 raw in a string end no line.
    path.write_text(f"{GOOD}\n\n" + json.dumps({"q": "a\u2028b\x85c"}, ensure_ascii=False) + "\n")
    assert read_jsonl(path) == [(1, json.loads(GOOD)), (3, {"q": "a\u2028b\x85c"})]
    assert read_jsonl(tmp_path / "none.jsonl") == []  # not written yet
    path.write_text(f"{GOOD}\n{{broken\n{GOOD}\n")
    with pytest.raises(TunelabError, match=r"votes.jsonl:2: not valid JSON.*; delete it"):
        read_jsonl(path, hint="delete it")
    path.write_text(f"{GOOD}\n[1, 2]\n")
    with pytest.raises(TunelabError, match="votes.jsonl:2: expected a JSON object"):
        read_jsonl(path)


@pytest.mark.parametrize(
    "cut",
    [
        f"{GOOD}\n".encode() + b'{"question": "How do',  # a crash while appending
        f"{GOOD}\n".encode() + '{"question": "Käse"}'.encode()[:16],  # ... inside the "ä"
    ],
)
def test_a_last_line_cut_by_a_crash_is_named_or_left_out_of_a_log(tmp_path, cut):
    path = tmp_path / "log.jsonl"
    path.write_bytes(cut)
    with pytest.raises(TunelabError, match="log.jsonl:2: not"):
        read_jsonl(path)
    assert read_jsonl(path, skip_broken=True) == [(1, json.loads(GOOD))]
    # The next line appended starts a line of its own: the cut one is then a middle line.
    assert not ends_a_line(path)
    path.write_bytes(cut + f"\n{GOOD}\n".encode())
    assert read_jsonl(path, skip_broken=True) == [(1, json.loads(GOOD)), (3, json.loads(GOOD))]
    assert ends_a_line(path)


def test_a_cut_end_goes_with_its_unit_and_a_whole_last_row_only_gets_its_newline(tmp_path):
    path = tmp_path / "out.jsonl"
    rows = [{"q": "a", "unit": 1}, {"q": "b", "unit": 2}, {"q": "c", "unit": 2}]
    whole = "".join(json.dumps(r) + "\n" for r in rows)
    # Saved by an editor without a final newline: nothing is lost.
    path.write_text(whole.rstrip("\n"))
    assert not drop_cut_end(path, unit=lambda r: r["unit"])
    assert path.read_text() == whole
    # Cut by a crash inside a character: the cut row goes with the rows of its unit before it.
    path.write_bytes(whole.encode() + '{"q": "caf\u00e9'.encode()[:-1])
    assert drop_cut_end(path, unit=lambda r: r["unit"])
    assert path.read_text() == json.dumps(rows[0]) + "\n"
    path.write_bytes(whole.encode() + b'{"q": "d')
    assert drop_cut_end(path) and path.read_text() == whole  # no unit: the cut row alone


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("qa.jsonl", '{"question": "q", "answer": "a"}\n'),
        ("qa.csv", "question,answer\nq,a\n"),  # Excel's "Unicode text" and the like
        ("qa.tsv", "question\tanswer\nq\ta\n"),
        ("qa.json", '[{"question": "q", "answer": "a"}]'),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_named_once_as_such(tmp_path, name, text, encoding):
    path = tmp_path / name
    path.write_bytes(("\ufeff" + text).encode(encoding))
    with pytest.raises(
        TunelabError, match=rf"{name}: not UTF-8 text but UTF-16; re-save the file as UTF-8"
    ):
        load_examples(path)


def test_columns_named_but_for_their_case_get_the_settings_that_map_them(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"Question": "q?", "Answer": "a."}) + "\n")
    with pytest.raises(TunelabError) as err:
        load_examples(path)
    fix = "--set data.fields.question=Question --set data.fields.answer=Answer"
    assert fix in str(err.value)
    (example,) = load_examples(path, fields={"question": "Question", "answer": "Answer"})
    assert (example.question, example.answer) == ("q?", "a.")
