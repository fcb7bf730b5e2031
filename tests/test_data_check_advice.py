"""`tunelab data check` says, under its warnings, what acts on each: a newcomer reads a warning and
knows the next command."""

from __future__ import annotations

import json
from pathlib import Path

from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.report import to_markdown

TINY = QualityConfig(model="tiny-random", max_length=60)


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_the_warnings_say_which_option_or_setting_deals_with_them(tmp_path):
    rows = [
        {"question": "Where are adapters saved?", "answer": "Under runs/<name>/model."},
        {"question": "Where are adapters saved?", "answer": "Under runs/<name>/model."},
        {
            "question": "Is it free?",
            "answer": "Yes, it is. Mail jane.doe@example.com to buy support.",
        },
        {"question": "Is it free?", "answer": "No, it costs money."},
        {"question": "Tell me everything.", "answer": "Everything there is to say. " * 20},
        {"question": "Who am I?", "answer": ""},
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    text = to_markdown(report)
    assert (
        "What to do: fix the rejected rows, or train with --set data.on_error=skip; "
        "`--fix -o d_clean.jsonl` drops the 1 row(s) listed below as duplicates, leaks, empty, "
        "restated or junk; keep one answer of each question answered two ways, or merge them "
        "into one; shorten the rows past 60 tokens or raise data.max_length: training cuts them "
        "(data.truncation); "
        "`--scrub -o d_clean.jsonl` masks the personal data."
    ) in text


def test_a_clean_file_is_told_nothing_to_do(tmp_path):
    rows = [{"question": "Where are adapters saved?", "answer": "Under runs/<name>/model."}]
    report = check_file(
        write_rows(tmp_path / "d.jsonl", rows), config=QualityConfig(model="tiny-random")
    )
    assert "What to do" not in to_markdown(report)


def test_a_file_of_which_no_row_loads_is_not_told_to_skip_its_rows(tmp_path):
    # Columns of another name reject every row: `--set data.on_error=skip`, as advised, then
    # stopped training with "no usable rows".
    rows = [{"Query": f"What is code {i}?", "Reply": f"Code {i} is {i * 7}."} for i in range(3)]
    text = to_markdown(check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY))
    assert "data.on_error=skip" not in text
    assert "fix the rejected rows: none loads, so skipping them leaves nothing to train" in text
    # The warning above it said "3 row(s) the loader rejects (training would stop)", as though
    # skipping them would go on.
    # Said once: the warning that it is every row, the What to do line that skipping leaves none.
    assert "3 row(s) the loader rejects (every row)" in text
    assert text.count("nothing to train") == 1
    assert "training would stop" not in text
