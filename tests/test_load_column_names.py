"""Columns a user's spreadsheet names its own way are answered with the settings that read them."""

from __future__ import annotations

import pytest

from tunelab.data.files.file_text import DataError
from tunelab.data.load import load_examples


def test_a_capitalised_alpaca_sheet_with_a_response_column_gets_the_settings_that_read_it(
    tmp_path,
):
    # "Instruction,Input,Response" (Dolly's reply name, a spreadsheet's capitals) was told to map
    # a question and an answer, which would have left its Input column unread.
    path = tmp_path / "sheet.csv"
    path.write_text(
        "Instruction,Input,Response\n"
        "Summarize this error.,ERROR 403: token expired,Log in again.\n"
        "What is Quarry?,,A data catalog.\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as refused:
        load_examples(path)
    settings = {"instruction": "Instruction", "input": "Input", "output": "Response"}
    fix = " ".join(f"--set data.fields.{key}={column}" for key, column in settings.items())
    assert fix in str(refused.value)
    first, second = load_examples(path, fields=settings)
    assert (first.instruction, first.input, first.answer) == (
        "Summarize this error.",
        "ERROR 403: token expired",
        "Log in again.",
    )
    assert (second.instruction, second.input) == ("What is Quarry?", "")
