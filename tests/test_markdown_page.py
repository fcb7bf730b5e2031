"""A report's page is its Markdown rendered (`tunelab data check --report x.html`, errors.html):
what the rows say is shown as text, whatever markup it holds."""

from __future__ import annotations

import json

from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.report import save_report
from tunelab.markdown_page import markdown_page


def test_a_question_holding_html_is_shown_as_text_in_the_data_check_page(tmp_path):
    # The page rendered the rows' HTML: "runs/<name>/" lost its "<name>" and a `<script>` in a
    # question ran when the report was opened.
    row = {"question": "Is runs/<name>/ kept?<script>alert(1)</script>", "answer": "Yes."}
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    save_report(check_file(data, config=QualityConfig(model="tiny-random")), tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Is runs/&lt;name&gt;/ kept?&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page


def test_a_counted_list_folds_under_its_label_and_other_lists_stay_open():
    page = markdown_page(
        "- Q: Why?\n  - asked after (1):\n    - user: Hi.\n- seen (2): a, b\n", "t"
    )
    assert "<li>\n<details><summary>asked after (1)</summary>\n<ul>\n<li>user: Hi.</li>" in page
    assert "<li>Q: Why?\n<ul>" in page and "<li>seen (2): a, b</li>" in page
