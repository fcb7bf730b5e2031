"""Template mode reads markup as its text: HTML's inline code and links, quoted notes, admonitions,
<details> blocks and RST's inline code give the statements a reader sees, no tags or markers."""

from __future__ import annotations

from tests.conftest import pairs_of
from tunelab.data.documents.sections import document_text


def test_an_html_pages_inline_code_and_links_read_as_its_markdown_would(tmp_path):
    # Every inline element was set apart by spaces: "Run pip install harbor ." answered, its
    # command no longer code, and "Harbor 's agent" read.
    page = tmp_path / "harbor.html"
    page.write_text(
        "<h1>Harbor</h1><h2>Installing the agent</h2><p>Run <code>pip install harbor</code>."
        "</p><h2>Uploads</h2><p><b>Harbor</b>'s agent uploads logs to <a href=x>the server</a>,"
        " every<br>hour.</p><ul><li><p>One</p><p>Two</p></li></ul>"
    )
    pairs = pairs_of(page)
    assert pairs["How do I install the agent?"] == "Run `pip install harbor`."
    assert "Harbor's agent uploads logs to the server, every hour." in document_text(page)
    assert "- One Two" in document_text(page)


def test_a_quoted_note_is_asked_as_its_statement(tmp_path):
    # "> **Note:** ..." kept its quote mark, so its label stayed and no question was asked.
    doc = tmp_path / "cli.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Checks\n\nThe agent checks its collector.\n\n"
        "> **Note:** The check gives up after 10 seconds.\n> Rerun it with `--timeout`.\n"
    )
    pairs = pairs_of(doc)
    assert "The check gives up after 10 seconds." in pairs.values()
    assert not [a for a in pairs.values() if a.startswith(">")]


def test_an_admonition_s_marker_is_no_part_of_its_statement(tmp_path):
    # MkDocs' `!!! warning "Disk usage"` and GitHub's `> [!NOTE]` were read into the sentence
    # after them, which then asked nothing.
    doc = tmp_path / "retention.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Disk\n\nThe collector stores batches.\n\n"
        '!!! warning "Disk usage"\n    The spool holds at most 2 GB of batches.\n\n'
        "> [!NOTE]\n> The archive holds at most 9 GB of batches.\n"
    )
    answers = pairs_of(doc).values()
    assert "The spool holds at most 2 GB of batches." in answers
    assert "The archive holds at most 9 GB of batches." in answers


def test_a_details_block_that_asks_is_an_faq_entry_and_html_tags_are_no_prose(tmp_path):
    # "<details> <summary>Why 14 days?</summary> Most incidents ... </details>" was a sentence
    # of tags, and "<br>" stayed in the answer it was in.
    doc = tmp_path / "retention.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog keeps batches for 14 days.<br>\n\n## Why\n\n<details>\n"
        "<summary>Why 14 days?</summary>\nMost incidents are looked at within two weeks.\n"
        "</details>\n\n<details><summary>Show the log</summary>\n\n"
        "The log is written to `/var/log/ferrylog.log`.\n\n</details>\n"
    )
    pairs = pairs_of(doc)
    assert pairs["Why 14 days?"] == "Most incidents are looked at within two weeks."
    # A lead stating a number is one fact about Ferrylog, asked on its own, not what it is.
    assert pairs["What does Ferrylog keep?"] == "Ferrylog keeps batches for 14 days."
    assert "The log is written to `/var/log/ferrylog.log`." in pairs.values()
    assert not [a for a in pairs.values() if "<" in a]


def test_rst_inline_code_reads_as_markdown_code_in_answers(tmp_path):
    # ``pip install ferrylog`` kept its double backticks: the answers of one project's .rst and
    # .md documents wrote the same command two ways.
    doc = tmp_path / "install.rst"
    doc.write_text(
        "Ferrylog\n========\n\nInstall\n-------\n\n"
        "Run ``pip install ferrylog`` to install the agent on any machine.\n\n"
        "The agent reads ``/etc/ferrylog.toml`` at start.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I install Ferrylog?"] == (
        "Run `pip install ferrylog` to install the agent on any machine."
    )
    assert pairs["What does the agent read?"] == "The agent reads `/etc/ferrylog.toml` at start."
    # Markdown's double backticks around code that holds one stay as written.
    from tunelab.data.generate.template.blocks import clean

    assert clean("Names are quoted as `` `name` `` in logs.") == (
        "Names are quoted as `` `name` `` in logs."
    )
