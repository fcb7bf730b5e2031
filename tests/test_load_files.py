"""Data files as they come: a CSV with any delimiter, spaced headers, short rows or a quote never
closed, a byte order mark, a JSONL line cut short, a saved dataset dict, and columns of no known
shape are read, or refused by their row."""

from __future__ import annotations

import csv
import json

import pytest

from tunelab.data.documents.sections import document_text, read_sections
from tunelab.data.files.file_text import DataError
from tunelab.data.files.write_files import write_jsonl
from tunelab.data.load import load_examples, read_examples
from tunelab.data.quality.check import check_file
from tunelab.errors import TunelabError


@pytest.mark.parametrize("name", ["notes.txt", "notes.md"])
def test_a_byte_order_mark_opening_a_document_is_not_trained_as_text(tmp_path, name):
    path = tmp_path / name
    path.write_bytes("\ufeff# Cats\n\nCats purr.\n".encode())
    assert document_text(path) == "# Cats\n\nCats purr.\n"
    assert not any("\ufeff" in s.text for s in read_sections(path))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_a_csv_is_read_with_the_delimiter_it_uses(tmp_path, delimiter):
    # Each cell holds the other delimiters, and one its own (quoted), as real files do.
    rows = [("question", "answer"), ("What is a mark?", "One of , ; | and tabs\t."),
            (f"Why{delimiter}then?", "It splits cells.")]  # fmt: skip
    path = tmp_path / "d.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    examples = load_examples(path)
    assert [(e.question, e.answer) for e in examples] == rows[1:]


def test_a_semicolon_csv_with_one_bad_row_names_that_row(tmp_path):
    # One unquoted ";" in a value made the delimiter a comma (the rows no longer agreed), and a
    # good row with a decimal comma was named: "d.csv:2: more fields than the header has".
    path = tmp_path / "d.csv"
    path.write_text("question;answer\nWhat is 1,5?;One and a half\nWhere?;Here; there\n")
    loaded = read_examples(path)
    assert [(e.question, e.answer) for e in loaded.examples] == [("What is 1,5?", "One and a half")]
    assert loaded.rejected == [f"{path}:3: more fields than the header has"]
    # Training stops at the first bad row, and names the check that lists every one: a file
    # of many bad rows was fixed one run at a time.
    with pytest.raises(TunelabError) as stopped:
        load_examples(path)
    said = " ".join(str(stopped.value).split())
    assert (
        f"d.csv:3: more fields than the header has; fix the row (`tunelab data check {path}`"
        in said
    )
    assert "lists all; or skip bad rows: --set data.on_error=skip" in said


def test_a_csv_header_with_spaces_after_its_commas_names_its_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("question, answer\nWhat is space?, A gap.\n", encoding="utf-8")
    (example,) = load_examples(path)
    assert (example.question, example.answer) == ("What is space?", "A gap.")


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_jsonl_line_cut_short_is_reported_where_it_ends(tmp_path, line_end):
    cut = '{"question": "What is it?", "answer": "A thing."'  # no closing brace
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "a"}) + line_end + cut + line_end)
    (error,) = read_examples(path).rejected
    assert error == f"{path}:2: not valid JSON (Expecting ',' delimiter, column {len(cut) + 1})"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"question": "q", "answer": "a"},', "a comma after the row: JSON Lines puts none"),
        ('{"question": "q", "answer": "a", }', "a comma before the closing }: JSON allows none"),
        ("{'question': 'q', 'answer': 'a'}", "text in single quotes: JSON's take double quotes"),
    ],
)
def test_a_jsonl_line_names_the_slip_that_broke_it(tmp_path, line, problem):
    # The parser's own words named what it expected next: "Extra data", "Expecting property
    # name enclosed in double quotes".
    path = tmp_path / "d.jsonl"
    path.write_text(line + "\n")
    (error,) = read_examples(path).rejected
    assert error.startswith(f"{path}:1: not valid JSON ({problem}")


def test_a_json_array_or_indented_rows_under_a_jsonl_name_are_one_file_not_a_bad_row_a_line(
    tmp_path,
):
    # Each line was a bad row of its own: 18 "not valid JSON" for 4 rows, and no row trained.
    rows = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(3)]
    array = tmp_path / "array.jsonl"
    array.write_text(json.dumps(rows, indent=2))
    loaded = read_examples(array)
    assert [e.question for e in loaded.examples] == ["q0", "q1", "q2"] and not loaded.rejected
    indented = tmp_path / "indented.jsonl"
    indented.write_text("\n".join(json.dumps(row, indent=2) for row in rows))
    with pytest.raises(TunelabError, match=r"indented.jsonl:1: a row is written over several"):
        read_examples(indented)
    # One row indented is too (it was "expected a JSON array ... (or use .jsonl, one per line)").
    indented.write_text(json.dumps(rows[0], indent=2))
    with pytest.raises(TunelabError, match=r"indented.jsonl:1: a row is written over several"):
        read_examples(indented)
    # From a walk: json.dump(rows, file), one array on one line, as .jsonl was "array.jsonl:1:
    # expected a JSON object, got list" and no row loaded.
    array.write_text(json.dumps(rows), encoding="utf-8")
    loaded = read_examples(array)
    assert [e.question for e in loaded.examples] == ["q0", "q1", "q2"] and not loaded.rejected
    # A JSON Lines file whose first row is an array is a bad row, as it is further down.
    first_row_a_list = tmp_path / "list_row.jsonl"
    first_row_a_list.write_text('["q", "a"]\n' + json.dumps(rows[0]) + "\n")
    assert read_examples(first_row_a_list).rejected == [
        f"{first_row_a_list}:1: expected a JSON object, got list"
    ]


def test_a_saved_dataset_dict_says_which_split_it_read_and_names_them_without_train(
    tmp_path, capsys, wide_terminal
):
    import datasets

    rows = {"question": ["Q1?", "Q2?"], "answer": ["A1.", "A2."]}
    both = datasets.DatasetDict(
        train=datasets.Dataset.from_dict(rows), test=datasets.Dataset.from_dict(rows)
    )
    both.save_to_disk(str(tmp_path / "both"))
    assert len(load_examples(tmp_path / "both")) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "read its split 'train'; not test" in said and str(tmp_path / "both" / "test") in said
    assert len(load_examples(tmp_path / "both" / "test")) == 2  # a split is a folder of its own
    # Its rows are named by their split's folder, as the test split's are: "both:row 2" named
    # no split, and `data.path both/train` reads the same row 2.
    assert [e.source for e in load_examples(tmp_path / "both")] == [
        f"{tmp_path / 'both' / 'train'}:row {i}" for i in (1, 2)
    ]
    assert [e.source for e in load_examples(tmp_path / "both" / "train")] == [
        f"{tmp_path / 'both' / 'train'}:row {i}" for i in (1, 2)
    ]
    capsys.readouterr()
    # In a folder of data, said once: telling the folder's shapes said it a first time (one
    # with a test split is refused there: tests/test_load_split_folder.py).
    extra = datasets.DatasetDict(
        train=datasets.Dataset.from_dict(rows), extra=datasets.Dataset.from_dict(rows)
    )
    extra.save_to_disk(str(tmp_path / "folder" / "extra"))
    assert len(load_examples(tmp_path / "folder")) == 2
    assert " ".join(capsys.readouterr().err.split()).count("read its split 'train'") == 1
    # Without "train", it trained on the first split (validation) without a word.
    no_train = datasets.DatasetDict(
        validation=datasets.Dataset.from_dict(rows), test=datasets.Dataset.from_dict(rows)
    )
    no_train.save_to_disk(str(tmp_path / "no_train"))
    with pytest.raises(TunelabError, match="holds the splits validation, test and no 'train'"):
        load_examples(tmp_path / "no_train")
    # A test split saved alone is read, and said: it was taken for training data without a word.
    capsys.readouterr()
    datasets.DatasetDict(test=datasets.Dataset.from_dict(rows)).save_to_disk(str(tmp_path / "t"))
    assert len(load_examples(tmp_path / "t")) == 2
    assert "read its only split, 'test'" in " ".join(capsys.readouterr().err.split())


def test_a_quote_never_closed_is_an_error_at_its_row_not_the_rest_of_the_file_in_one_cell(tmp_path):
    # The lenient reader read rows 3-5 into the first answer and said nothing.
    path = tmp_path / "d.csv"
    path.write_text('question,answer\nQ1?,"Unterminated answer\nQ2?,A2\nQ3?,A3\nQ4?,A4\n')
    with pytest.raises(DataError, match=r"d\.csv:2: a quoted field opens on this line and never"):
        load_examples(str(path))
    tsv = tmp_path / "d.tsv"  # after a field the reader reads leniently, as before
    tsv.write_text(
        'question\tanswer\nWhat did he say?\t"Hello," he said.\nQ2?\t"5 inches\nQ3?\tA\n'
    )
    with pytest.raises(DataError, match=r"d\.tsv:3: a quoted field opens"):
        load_examples(str(tsv))
    # Text after a closing quote, a quote inside a field that does not start with one, a quoted
    # field over two lines: read as the csv module always read them, the file not refused (the
    # first is said: the next test).
    fine = tmp_path / "ok.csv"
    fine.write_text(
        'question,answer\nHow big?,"5"" screen"\nAnd the other?,7" screen\n"What is 2+2" ok,4\n'
        'Lines?,"one\ntwo"\n'
    )
    answers = [e.answer for e in load_examples(str(fine))]
    assert answers == ['5" screen', '7" screen', "4", "one\ntwo"]
    # A quote left open that a later row's own quoted cell "closes": two rows became one, its
    # question holding the next row's, with no word (a walk's CSV scored 11 of its 12 rows).
    merged = tmp_path / "m.csv"
    merged.write_text(
        'question,answer\nQ1?,A1\n"Unterminated,Q2?,A2\nQ3?,"The seed is 42, by default."\nQ4?,A4\n'
    )
    with pytest.raises(DataError, match=r"m\.csv:3: a quoted field opens on this line and "
                       r"closes only on line 4, with more text right after it"):  # fmt: skip
        load_examples(str(merged))


def test_a_field_whose_quote_closes_before_the_field_ends_is_said_with_how_to_keep_its_quotes(
    tmp_path, capsys
):
    # CSV reads '"Bold" text' as 'Bold text': the quotes were dropped without a word.
    path = tmp_path / "d.csv"
    path.write_text(
        'question,answer\nWhich is heavier?,"Bold" text\nQuoted?,"""Quoted"" word"\n'
        'Inches?,7" screen\nWhat did he say?,"Say "hi" back"\n'
    )
    answers = [e.answer for e in load_examples(path)]
    assert answers == ["Bold text", '"Quoted" word', '7" screen', 'Say hi" back"']
    assert " ".join(capsys.readouterr().err.split()) == (
        f'warning: {path}:2: a field opens with a quote that closes before the field ends: "Bold" '
        "text is read as Bold text (so on line(s) 5 too); to keep its quotes, quote the whole "
        'field and write each quote in it twice: """Bold"" text"'
    )
    # Written so, the same text is read as it was meant, and nothing is said.
    path.write_text('question,answer\nWhich is heavier?,"""Bold"" text"\n')
    assert [e.answer for e in load_examples(path)] == ['"Bold" text']
    assert not capsys.readouterr().err


def test_a_short_csv_row_lacks_a_cell_not_a_null(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("question,answer,system\nQ1?,A1\nQ2?\n")
    data = read_examples(str(path))
    assert [e.answer for e in data.examples] == ["A1"]  # the system cell it lacks is optional
    assert data.rejected == [f"{path}:3: field 'answer' is empty"]


def test_columns_of_no_known_shape_are_not_a_row_to_skip(tmp_path):
    # "--on-error skip" would skip every row: the fix is the columns' mapping, as it says.
    path = tmp_path / "d.jsonl"
    write_jsonl([{"foo": "Q?", "bar": "A"}], path)
    with pytest.raises(DataError) as refused:
        load_examples(str(path), on_error="raise")
    # The setting that works, with the file's own two columns in it.
    assert "--set data.fields.question=foo --set data.fields.answer=bar" in str(refused.value)
    assert "on-error" not in str(refused.value) and "on_error" not in str(refused.value)


def test_a_shapes_column_missing_is_named_with_the_column_that_may_hold_it(tmp_path):
    # A CSV of question and reply said it "cannot tell the data shape", listing every shape.
    path = tmp_path / "d.csv"
    path.write_text("question,reply\nWhat is it?,A thing.\n")
    with pytest.raises(DataError) as refused:
        load_examples(path)
    assert str(refused.value) == (
        f"{path}:2: columns ['question', 'reply'] have question of question/answer but no "
        "answer: add that column, or map the one that holds it (--set data.fields.answer=reply)"
    )


def test_a_dolly_row_is_told_its_response_column_holds_the_output(tmp_path, capsys):
    # Among several other columns, the one named as Dolly names its reply: it said YOUR_COLUMN.
    path = tmp_path / "dolly.jsonl"
    row = {"instruction": "Who wrote it?", "context": "Ann wrote it.", "response": "Ann.",
           "category": "closed_qa"}  # fmt: skip
    write_jsonl([row], path)
    with pytest.raises(
        DataError, match=r"map the one that holds it \(--set data.fields.output=resp"
    ):
        load_examples(path)
    (example,) = load_examples(path, fields={"output": "response"})
    assert (example.question, example.answer) == ("Who wrote it?", "Ann.")
    said = " ".join(capsys.readouterr().err.split())
    assert (
        "'context' (1 row(s)) not read: alpaca rows are read from instruction/input/output" in said
    )
    assert said.endswith("is Alpaca's input: --set data.fields.input=context")
    (example,) = load_examples(path, fields={"output": "response", "input": "context"})
    assert example.question == "Who wrote it?\n\nAnn wrote it." and example.answer == "Ann."
    assert "not read" not in capsys.readouterr().err


def test_every_row_of_unmapped_columns_is_one_reason_not_one_line_each(tmp_path):
    # `data check` listed "cannot tell the data shape" 120 times, then diversity 1.000 and empty
    # tables of no rows.
    from tunelab.data.quality.report import sections

    path = tmp_path / "d.jsonl"
    write_jsonl([{"Query": f"Q{i}?", "Response": "A"} for i in range(30)], path)
    report = check_file(path)
    titles = [s.title for s in sections(report)]
    assert titles == ["Summary", "Warnings", "Rows the loader rejects"]
    rejects = next(s for s in sections(report) if s.title.startswith("Rows")).rows
    assert rejects == [[f"{path}:1 and 29 more rows: cannot tell the data shape from columns "
                        "['Query', 'Response']; expected one of messages, instruction/output, "
                        "question/answer, prompt/completion, text (map your "
                        "columns: --set data.fields.question=Query --set "
                        "data.fields.answer=Response, or data: {fields: ...} in a config file)"]]  # fmt: skip


@pytest.mark.parametrize(("name", "sep", "end"), [("d.csv", ",", "\n"), ("d.tsv", "\t", "\r\n")])
def test_a_row_with_a_cell_over_several_lines_is_named_by_the_line_it_starts_on(
    tmp_path, name, sep, end
):
    # Its last line was named, inside the cell: an editor showed the middle of a question there.
    path = tmp_path / name
    text = f'question{sep}answer{end}"How do I{end}resume?"{sep}A1.{end}"Which{end}port?"{sep}{end}'
    path.write_bytes(text.encode())
    loaded = read_examples(path)
    assert [e.source for e in loaded.examples] == [f"{path}:2"]
    assert loaded.rejected == [f"{path}:4: field 'answer' is empty"]
    extra = tmp_path / "extra.csv"  # a cell past the header's counts its lines too
    extra.write_text('question,answer\n"Q1\nmore",A1,"x\ny"\nQ2,A2\n')
    with pytest.raises(DataError, match=r"extra\.csv:2: more fields than the header has"):
        load_examples(extra)


def test_a_sharegpt_rows_system_column_is_its_system_turn(tmp_path, capsys):
    # LLaMA-Factory's ShareGPT keeps a chat's system prompt in a column beside its turns: it
    # trained nothing, and the note said to "write the rows as chat messages", as they were.
    turns = [{"from": "human", "value": "Refund?"}, {"from": "gpt", "value": "Within 30 days."}]
    path = tmp_path / "sharegpt.jsonl"
    write_jsonl([{"conversations": turns, "system": "You are ACME support."},
                 {"conversations": turns, "system": ""}], path)  # fmt: skip
    with_column, without = load_examples(path)
    assert with_column.messages[0] == {"role": "system", "content": "You are ACME support."}
    assert [m["role"] for m in without.messages] == ["user", "assistant"]
    assert "not read" not in capsys.readouterr().err
    # A system turn of its own that says otherwise: which to train under is the user's call.
    own = [{"from": "system", "value": "Be terse."}, *turns]
    write_jsonl([{"conversations": own, "system": "You are ACME support."}], path)
    with pytest.raises(DataError, match=r"sharegpt.jsonl:1: a 'system' column and a system turn"):
        load_examples(path)


def test_a_question_rows_system_column_is_its_system_prompt(tmp_path, tiny, capsys):
    # {"system": ..., "question": ..., "answer": ...} was said as a column left unread and
    # trained without it: the model never saw "You answer as Acme support." in a prompt.
    from tunelab.data.prompts.templates import render_prompt

    acme = "You answer as Acme support."
    qa, alpaca = tmp_path / "qa.jsonl", tmp_path / "alpaca.jsonl"
    write_jsonl([{"system": acme, "question": "Refund?", "answer": "Within 30 days."},
                 {"system": "", "question": "Hours?", "answer": "Nine to five."}], qa)  # fmt: skip
    write_jsonl([{"system": acme, "instruction": "Greet.", "input": "Ann", "output": "Hi Ann."}],
                alpaca)  # fmt: skip
    (refund, hours), (greet,) = load_examples(qa), load_examples(alpaca)
    assert refund.messages[0] == greet.messages[0] == {"role": "system", "content": acme}
    assert [m["role"] for m in hours.messages] == ["user", "assistant"]
    assert acme in render_prompt(refund, tiny[1])  # as training and eval ask it
    assert "not read" not in capsys.readouterr().err


def test_a_gemini_chat_is_read_as_a_chat_and_a_part_that_is_no_text_is_refused(tmp_path):
    # Gemini's (and Vertex AI's tuning) rows: "contents" of "parts", a "systemInstruction".
    def gemini(*parts: dict) -> dict:
        return {"contents": [{"role": "user", "parts": [{"text": "Refund?"}, *parts]},
                             {"role": "model", "parts": [{"text": "Within "}, {"text": "30 days."}]}]}  # fmt: skip

    path = tmp_path / "gemini.jsonl"
    acme = {"systemInstruction": {"parts": [{"text": "You answer as Acme support."}]}}
    write_jsonl([{**acme, **gemini()}, gemini()], path)
    assert [e.messages for e in load_examples(path)] == [
        [{"role": "system", "content": "You answer as Acme support."},
         {"role": "user", "content": "Refund?"}, {"role": "assistant", "content": "Within 30 days."}],
        [{"role": "user", "content": "Refund?"}, {"role": "assistant", "content": "Within 30 days."}],
    ]  # fmt: skip
    # An image would be trained without: refused by its file, line and part.
    write_jsonl([gemini(), gemini({"inlineData": {"mimeType": "image/png", "data": "iVBO"}})], path)
    with pytest.raises(DataError, match=r"gemini\.jsonl:2: contents\[0\]\.parts\[1\] is no text "):
        load_examples(path)


def test_a_gemini_row_says_which_system_prompt_it_trains_under_and_reads_a_function_turn(
    tmp_path, capsys
):
    # A systemInstruction beside a 'system' column that said otherwise was read alone, unsaid.
    chat = [{"role": "user", "parts": [{"text": "Refund?"}]},
            {"role": "model", "parts": [{"text": "Within 30 days."}]}]  # fmt: skip
    acme = {"systemInstruction": {"parts": [{"text": "You answer as Acme support."}]}}
    path = tmp_path / "gemini.jsonl"
    rows = [{**acme, "contents": chat, "system": "You answer as Acme support."},  # the same
            *({**acme, "contents": chat, "system": "Be terse."} for _ in range(2))]  # fmt: skip
    write_jsonl(rows, path)
    examples = load_examples(path)
    assert {e.system for e in examples} == {"You answer as Acme support."}
    said = " ".join(capsys.readouterr().err.split())
    assert (
        f"2 chat row(s) hold both Gemini's systemInstruction and a 'system' column that says "
        f"otherwise (first: {path}:2): they are trained under the systemInstruction, and the "
        "column is not read; keep one of them"
    ) in said
    assert said.count("systemInstruction and a 'system' column") == 1  # once, not a row each
    # Gemini's former role of a function's result, as OpenAI's former one: a tool turn.
    result = {"functionResponse": {"name": "refunds", "response": {"days": 30}}}
    called = [chat[0], {"role": "function", "parts": [result]}, chat[1]]
    write_jsonl([{"contents": called}], path)
    (example,) = load_examples(path)
    assert example.messages[1] == {"role": "tool", "content": '{"days": 30}', "name": "refunds"}
