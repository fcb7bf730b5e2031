"""errors.html holds what errors.md does: a reader of the page sees the scores the categories
explain, and every row that missed a fact."""

from __future__ import annotations

from tests.test_errors_analysis import TRAINING, row
from tunelab.evaluate.analysis import analyse
from tunelab.evaluate.report import write_reports


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
