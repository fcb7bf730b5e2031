"""errors.md and errors.html: counts, examples (each naming its test row) and a chart, as many
examples per category as asked; a reader of the page sees the scores the categories explain, and
every row that missed a fact."""

from __future__ import annotations

from pathlib import Path

from tests.test_errors_analysis import TRAINING, row
from tunelab.evaluate.analysis import analyse, examples_of
from tunelab.evaluate.report import to_html, to_markdown, write_reports


def test_the_page_shows_the_scores_and_every_missed_fact_as_the_markdown_does(tmp_path):
    rows = []
    for i in range(3):
        r = row(f"Which command installs tunelab {i}?", "Run pip install tunelab.", "No idea.")
        r |= {"source": f"test.jsonl:{i + 1}", "missed_facts": ["pip install"],
              "facts": {"fact_accuracy": 0.0, "fact_recall": 0.0}}  # fmt: skip
        rows.append(r)
    analysis = analyse(rows, TRAINING)
    md, page = write_reports(analysis, tmp_path, {"token_f1": 0.125}, asked="template 'qa'")
    text = page.read_text(encoding="utf-8")
    assert (
        "<p>3 of 3 answers fall in a category (questions asked with template &#x27;qa&#x27;).</p>"
        in text
    )
    assert "<td>token_f1</td><td>0.125</td>" in text
    assert "<h2>Facts, row by row (3 of 3 answers)</h2>" in text
    assert "<li><code>test.jsonl:3</code> Which command installs tunelab 2?" in text
    assert "- `test.jsonl:3` Which command installs tunelab 2?" in md.read_text(encoding="utf-8")


def test_reports_show_counts_examples_and_a_chart(tmp_path: Path):
    rows = [row("Where do runs go?", "Into runs/<name>/.", ""), row("Q2?", "yes", "")]
    analysis = analyse(rows, TRAINING)
    markdown = to_markdown(analysis)
    assert "| empty | 2 |" in markdown and "Where do runs go?" in markdown
    page = to_html(analysis)
    assert "<svg" in page and "<script" not in page and "http" not in page.split("<svg")[0]


def test_examples_per_category_sets_how_many_rows_the_reports_show():
    # The setting was accepted and never read: the reports always showed 2.
    from tunelab.evaluate.analysis import AnalysisConfig

    rows = [row(f"Where do runs go {i}?", "Into runs/.", "x " * 80, "length") for i in range(4)]
    for wanted in (1, 3):
        analysis = analyse(
            [dict(r) for r in rows], TRAINING, AnalysisConfig(examples_per_category=wanted)
        )
        category = next(iter(analysis.counts))
        assert len(examples_of(analysis, category)) == wanted


def test_each_example_in_the_reports_names_its_test_row():
    # A walk's errors.md listed a cut-off answer by its question alone: which test row (and
    # which predictions line) it was could only be guessed from the text.
    rows = [row("Where do runs go?", "Into runs/<name>/.", ""), row("Q2?", "yes", "")]
    for i, r in enumerate(rows, 1):
        r["source"] = f"test.jsonl:{i}"
    analysis = analyse(rows, TRAINING)
    assert "- **Q:** `test.jsonl:1` Where do runs go?" in to_markdown(analysis)
    assert "<td><code>test.jsonl:2</code> Q2?</td>" in to_html(analysis)
