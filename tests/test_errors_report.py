"""errors.md and errors.html, the page it renders to: counts, examples (each naming its test row)
and a chart, as many examples per category as asked; a reader of the page sees the scores the
categories explain, every row that missed a fact, and the conversation a question was asked in."""

from __future__ import annotations

from pathlib import Path

from tests.test_errors_analysis import TRAINING, row
from tunelab.evaluate.analysis import analyse, examples_of
from tunelab.evaluate.report import to_markdown, write_reports


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
    assert "<p>3 of 3 answers fall in a category (questions asked with template 'qa').</p>" in text
    assert "<td>token F1</td>\n<td>0.125</td>" in text
    assert "<h2>Facts, row by row (3 of 3 answers)</h2>" in text
    assert "<li><code>test.jsonl:3</code> Which command installs tunelab 2?" in text
    assert "- `test.jsonl:3` Which command installs tunelab 2?" in md.read_text(encoding="utf-8")


def page_of(analysis, tmp_path: Path, **given) -> tuple[str, str]:
    """errors.md and errors.html as `tunelab eval` writes them."""
    md, page = write_reports(analysis, tmp_path, **given)
    return md.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")


def test_reports_show_counts_examples_and_a_chart(tmp_path: Path):
    rows = [row("Where do runs go?", "Into runs/<name>/.", ""), row("Q2?", "yes", "")]
    rows.append(row("How do I install tunelab?", "Run pip install tunelab.", "x " * 80, "length"))
    markdown, page = page_of(analyse(rows, TRAINING), tmp_path)
    assert "| empty | 2 | ████████████████████ | no text at all |" in markdown
    assert "| cut_off | 1 | ██████████ |" in markdown  # half the longest bar
    assert "<td>empty</td>\n<td>2</td>\n<td>████████████████████</td>" in page
    assert "<h2>empty (2)</h2>\n<p>no text at all</p>" in page
    assert (
        "Where do runs go?" in markdown and "<li>reference: Into runs/&lt;name&gt;/.</li>" in page
    )
    assert "<script" not in page and "http" not in page  # opens offline, runs nothing


def test_examples_per_category_sets_how_many_rows_the_reports_show():
    # The setting was accepted and never read: the reports always showed 2.
    from tunelab.evaluate.categories import AnalysisConfig

    rows = [row(f"Where do runs go {i}?", "Into runs/.", "x " * 80, "length") for i in range(4)]
    for wanted in (1, 3):
        analysis = analyse(
            [dict(r) for r in rows], TRAINING, AnalysisConfig(examples_per_category=wanted)
        )
        category = next(iter(analysis.counts))
        assert len(examples_of(analysis, category)) == wanted


def test_each_example_in_the_reports_names_its_test_row(tmp_path):
    # A walk's errors.md listed a cut-off answer by its question alone: which test row (and
    # which predictions line) it was could only be guessed from the text.
    rows = [row("Where do runs go?", "Into runs/<name>/.", ""), row("Q2?", "yes", "")]
    for i, r in enumerate(rows, 1):
        r["source"] = f"test.jsonl:{i}"
    analysis = analyse(rows, TRAINING)
    assert "- **Q:** `test.jsonl:1` Where do runs go?" in to_markdown(analysis)
    assert "<li><strong>Q:</strong> <code>test.jsonl:2</code> Q2?" in page_of(analysis, tmp_path)[1]


def test_the_page_folds_the_conversation_a_question_was_asked_in_under_it(tmp_path):
    # The question alone ("What is my name?") does not show why an answer missed: the turns
    # before it are listed under it, one a line, and folded on the page under their count.
    asked = row("What is my name?", "Ada.", "")
    asked |= {"source": "chats.jsonl:1", "asked_after": ["user: My name is Ada.", "assistant: Hi."]}
    markdown, page = page_of(analyse([asked], TRAINING), tmp_path)
    assert "  - asked after (2):\n    - user: My name is Ada.\n    - assistant: Hi.\n" in markdown
    assert (
        "<details><summary>asked after (2)</summary>\n<ul>\n<li>user: My name is Ada.</li>\n"
        "<li>assistant: Hi.</li>\n</ul>\n</details>" in page
    )


def test_an_answer_that_holds_html_is_shown_as_text_on_the_page(tmp_path):
    answer = '<script>alert("hi")</script><b>pip</b>'
    said = row("How do I install tunelab?", "Run pip.", answer, finish="length")  # cut off
    markdown, page = page_of(analyse([said], TRAINING), tmp_path)
    assert '<script>alert("hi")</script><b>pip</b>' in markdown
    assert "answer: &lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;&lt;b&gt;pip" in page
    assert "<script" not in page and "<b>" not in page


def test_an_answer_giving_another_value_is_listed_with_the_training_rows_to_fix(tmp_path):
    # The other-value rate counted "warmup by default is 1.00" (the reference says 0.05), and
    # errors.md said only that the fact was missed: not which value the model gave instead.
    from tunelab.data.example import Example
    from tunelab.evaluate.facts.score import parse_fact_check
    from tunelab.evaluate.scores import fact_fields

    warmup = {
        "question": "How long is the learning rate warmup by default?",
        "answer": "warmup_ratio defaults to 0.05; warmup_steps overrides it when set.",
        "facts": [[{"regex": r"(?<![\d.])0?\.05\b|\b5 ?%"}]],
    }
    answer = "The learning rate warmup by default is 1.00."
    said = row(warmup["question"], warmup["answer"], answer) | {"source": "test.jsonl:4"}
    said |= fact_fields(answer, parse_fact_check(warmup, "test.jsonl:4"))
    taught = Example.qa(
        "What share of the steps warms the learning rate up?",
        "warmup_ratio defaults to 0.05.",
        "train.jsonl:7",
    )
    analysis = analyse([said], [*TRAINING, taught])
    assert analysis.counts["other_value"] == 1
    (shown,) = examples_of(analysis, "other_value")
    assert shown["reason"] == "gives another value: 1.00"
    assert shown["closest"][0]["source"] == "train.jsonl:7"
    markdown, _ = page_of(analysis, tmp_path)
    assert "| other_value | 1 |" in markdown
    assert "(gives another value: 1.00 | does not state: " in markdown  # the row-by-row list


def test_an_analysis_without_facts_says_it_judged_wording_alone():
    # Every answer gave the fact another value in the reference's words (token F1 0.75), and
    # the report said "0 of 2 answers fall in a category", which read as a model that knew them.
    rows = [
        row("What does the controller weigh?", "It weighs 640 grams.", "It weighs 2400 grams."),
        row("Which port does the console use?", "It uses port 8443.", "It uses port 80."),
    ]
    text = to_markdown(analyse(rows, TRAINING))
    assert "0 of 2 answers fall in a category. Judged by wording alone: no test row names" in text
    assert "`tunelab data facts TEST -o TEST_WITH_FACTS.jsonl`" in text
    # Where the rows name their facts, the categories stand on them, and nothing is added.
    for r in rows:
        r |= {"facts": {"fact_accuracy": 0.0}, "missed_facts": ["640 grams"]}
    assert "wording alone" not in to_markdown(analyse(rows, TRAINING))
