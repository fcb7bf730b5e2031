"""`data check` on the answers as a set: one answer pasted into many rows is named, with its rows;
a fact's few phrasings sharing their answer, and a set's refusals, are not; one question given
two answers is a warning naming both rows."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.conftest import write_jsonl
from tunelab.cli import app
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


def test_one_question_given_two_answers_is_a_warning_that_strict_fails_on(tmp_path):
    # It was listed in a table of the report, but no warning said so and --strict passed it:
    # trained on both rows, the model learns to give either answer at random.
    rows = [
        {"question": "How do I resume a run?", "answer": "Run tunelab train --resume."},
        {"question": "Where are adapters saved?", "answer": "Under runs/<name>/model."},
        {"question": "how do I resume a run", "answer": "Delete the folder and start over."},
    ]
    path = write_jsonl(tmp_path / "qa.jsonl", rows)
    report = check_file(path, config=TINY)
    [warning] = [w for w in report.warnings if "answers otherwise" in w]
    assert warning.startswith(
        "1 row(s) answer a question an earlier row answers otherwise "
        "(e.g. qa.jsonl:3 and qa.jsonl:1: 'how do I resume a run')"
    )
    text = to_markdown(report)
    assert warning in text
    assert "What to do: keep one answer of each question answered two ways, or merge" in text
    result = CliRunner().invoke(
        app, ["data", "check", str(path), "--model", "tiny-random", "--strict"]
    )
    assert result.exit_code == 1 and "--strict: 1 warning(s)" in result.output


def test_the_same_answer_or_another_system_prompt_is_no_conflict(tmp_path):
    # The same answer under another system prompt was listed as "same question, different
    # answers"; a system prompt says how to answer, so another answer under it is no coin flip.
    def chat(system: str, answer: str) -> dict:
        turns = [{"role": "user", "content": "Is the service free?"}]
        turns += [{"role": "assistant", "content": answer}]
        return {"messages": ([{"role": "system", "content": system}] if system else []) + turns}

    rows = [
        chat("", "Yes, it is free."),
        chat("Answer briefly.", "Yes, it is free."),
        chat("Answer in French.", "Oui, c'est gratuit."),
        chat("", "yes, it is free"),
    ]
    report = check_file(write_jsonl(tmp_path / "chat.jsonl", rows), config=TINY)
    assert report.conflicts == []
    assert not any("answers otherwise" in w for w in report.warnings), report.warnings
