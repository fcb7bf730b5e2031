"""`data check` on the answers as a set: one answer pasted into many rows is named, with its rows;
a fact's few phrasings sharing their answer, and a set's refusals, are not."""

from __future__ import annotations

from tests.conftest import write_jsonl
from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.report import to_markdown

TINY = QualityConfig(model="tiny-random")


def test_one_answer_pasted_into_a_third_of_the_rows_is_named_with_its_rows(tmp_path):
    # From a walk: 30% of a file's answers were one answer (a spreadsheet fill-down), and
    # `data check` said nothing; only "answers distinct-1" fell, which no one reads as that.
    pasted = "Use the evaluation dashboard."
    rows = [
        {"question": f"What is feature {i}?", "answer": pasted if i % 3 == 0 else f"Feature {i}."}
        for i in range(30)
    ]
    report = check_file(write_jsonl(tmp_path / "qa.jsonl", rows), config=TINY)
    [warning] = [w for w in report.warnings if w.startswith("one answer")]
    assert warning.startswith("one answer is 33% of the rows (10: qa.jsonl:1, qa.jsonl:4,")
    assert repr(pasted) in warning and "fix them" in warning
    assert "| most given answer | 10 (33%) |" in to_markdown(report)


def test_phrasings_and_refusals_sharing_an_answer_are_no_warning(tmp_path):
    # The demo's set: each fact asked 5-7 ways with one answer, and 8% of its rows one refusal.
    rows = [
        {"question": f"{ask} setting {fact}?", "answer": f"Setting {fact} is {fact * 3}."}
        for fact in range(12)
        for ask in ("What is", "Tell me", "Which value has", "What does one set as", "Define")
    ] + [{"question": f"Who won match {i}?", "answer": "I only answer about settings."}
         for i in range(5)]  # fmt: skip
    report = check_file(write_jsonl(tmp_path / "qa.jsonl", rows), config=TINY)
    assert not any(w.startswith("one answer") for w in report.warnings), report.warnings
