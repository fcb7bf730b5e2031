"""`tunelab data check` measures rows in the model's tokens: rows past max_length are named, raw text
(split into windows) is never truncated, and the percentiles stay within the longest row."""

from __future__ import annotations

from tests.test_data_quality import FACTS, TINY, qa_rows, write_rows
from tunelab.data.quality.check import check_file
from tunelab.data.quality.report import to_markdown
from tunelab.data.tokenize import Tokenized, chunk_text


def test_lengths_are_counted_in_model_tokens_and_truncation_is_counted(tmp_path):
    rows = qa_rows(FACTS[:3]) + [{"question": "Long?", "answer": "word " * 200}]
    config = TINY.model_copy(update={"max_length": 300})
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=config)
    # The tiny tokenizer is byte-level: 1000 bytes of answer alone exceed 300 tokens.
    assert report.truncated == [3]
    assert min(report.lengths) > len(FACTS[0][0])
    # Which rows, not a count alone: a user could not find them.
    assert any("longer than max_length=300 tokens: d.jsonl:4" in w for w in report.warnings)


def test_long_raw_text_is_not_counted_as_truncated(tmp_path):
    # Training splits raw text into windows, so nothing of it is lost to max_length.
    rows = [{"text": "a page of the manual. " * 100}, {"text": "a short note"}]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert max(report.lengths) > TINY.max_length
    assert report.truncated == []


def test_the_length_table_of_raw_text_says_how_many_texts_are_split_into_windows(tmp_path):
    # A "> 300" column of texts always read 0: they are split into windows, never cut.
    rows = [{"text": "a page of the manual. " * 40}, {"text": "a short note"}]
    config = TINY.model_copy(update={"max_length": 300})
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=config)
    long = report.lengths[0]  # the byte-level tokenizer: 880 bytes and the EOS
    windows = len(chunk_text(Tokenized(list(range(long)), list(range(long))), 300))
    assert report.split == {0: windows} and windows == 3
    page = to_markdown(report)
    table = page.split("## Length in tokens")[1].splitlines()
    assert "| split > 300 |" in table[2] and "| > 300 |" not in table[2]
    assert "| 1 (50.0%) into 3 windows |" in table[4]
    assert "| texts split into windows (> 300 tokens) | 1 into 3 windows |" in page
    assert "longer than 300 tokens |" not in page  # no rows of questions to cut


def test_length_percentiles_of_a_few_rows_stay_within_the_longest(tmp_path):
    rows = qa_rows([("Q?", "A."), ("Q2?", "A " * 50), ("Q3?", "A " * 400)])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    table = to_markdown(report).split("## Length in tokens")[1].splitlines()
    row = [c.strip() for c in table[4].split("|")[1:-1]]
    lo, median, p90, p99, hi = (float(c) for c in row[:5])
    assert lo <= median <= p90 <= p99 <= hi == max(report.lengths)
