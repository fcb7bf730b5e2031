"""Template mode's documents as read: found under a folder, cut into sections under their headings
(Markdown, setext, reST titles, front matter and HTML comments left out) and into chunks within
the token budget (tables at their rows, code at its fences)."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.test_data_generate import DOCS
from tunelab.cli import app
from tunelab.data.documents.chunking import chunk_document, count_tokens
from tunelab.data.documents.sections import find_documents, read_sections


def test_documents_are_found_recursively_and_read_under_their_headings():
    names = [p.relative_to(DOCS).as_posix() for p in find_documents([DOCS])]
    assert names == ["faq.html", "guide.md", "notes.txt", "reference/export.pdf"]

    guide = read_sections(DOCS / "guide.md")
    assert [s.headings[-1] for s in guide] == [
        "Tunelab guide",
        "Installation",
        "Configuring a run",
        "How to resume a stopped run",
        "Command line",
        "Loss is NaN",
    ]  # the `#` comment inside the code block is not a heading
    assert guide[-1].headings == ["Tunelab guide", "Troubleshooting", "Loss is NaN"]

    faq = read_sections(DOCS / "faq.html")
    text = "\n".join(s.text for s in faq)
    assert "var x" not in text and "Home" not in text and "color" not in text  # script, nav, style
    assert "Adapter: A small set of extra weights" in text  # <dl> became `term: definition`

    assert [s.headings[-1] for s in read_sections(DOCS / "notes.txt")] == [
        "Serving a model",
        "Checkpoints",
    ]
    (pdf,) = read_sections(DOCS / "reference" / "export.pdf")
    assert pdf.headings[-1] == "Merging adapters" and "merges a LoRA adapter" in pdf.text


def test_chunks_stay_within_the_token_budget_and_code_keeps_its_lines():
    chunks = chunk_document(DOCS / "guide.md", max_tokens=40)
    assert all(count_tokens(c.text) <= 40 for c in chunks)
    cli = [c for c in chunks if c.headings[-1] == "Command line"]
    assert len(cli) > 1 and [c.part for c in cli] == list(range(len(cli)))
    assert "  --test TEXT          Test set" in "\n".join(c.text for c in cli)
    assert len({c.hash for c in chunks}) == len(chunks)


def test_setext_headings_record_their_own_line_and_long_words_keep_the_budget():
    from tunelab.data.documents.chunking import split_text
    from tunelab.data.documents.sections import markdown_sections

    [section] = markdown_sections("Intro\n=====\n\nBody text.\n")
    assert (section.headings, section.line) == (["Intro"], 1)
    # A word of many tokens (a URL, a dotted name) must not pull others over the budget with it.
    pieces = split_text("k.l.m.n.o.p.q.r.s.t a b c d e f g h i j", 10)
    assert all(count_tokens(p) <= 19 for p in pieces) and count_tokens(pieces[-1]) <= 10
    assert " ".join(pieces).split() == "k.l.m.n.o.p.q.r.s.t a b c d e f g h i j".split()


def test_an_rst_title_between_two_rules_is_the_document_s_heading():
    from tunelab.data.documents.sections import markdown_sections

    # numpy.ma's README.rst: its title and both "=====" lines were the first section's text, and
    # "What is ma?" was answered "================ A guide to masked arrays in NumPy ====...".
    text = (
        "=================\nA guide to arrays\n=================\n\nSee the wiki.\n\n"
        "History\n-------\n\nIt began in 2006.\n"
    )
    first, second = markdown_sections(text, title="ma")
    assert (first.headings, first.text, first.line) == (["A guide to arrays"], "See the wiki.", 2)
    assert second.headings == ["A guide to arrays", "History"]


def test_a_table_over_the_budget_is_cut_at_its_rows_each_piece_under_its_header():
    from tunelab.data.documents.chunking import split_text

    # MLflow's failure index: a 10-row table over the budget was cut as prose, its lines run
    # into one, and its rows gave no pair; a second piece had no header to read its rows by.
    header = "| Symptom | Fix |\n| --- | --- |"
    rows = [
        f"| Error {i} happens | Restart the agent number {i} and check its logs. |"
        for i in range(40)
    ]
    pieces = split_text("\n".join([header, *rows]), 120)
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.startswith(header + "\n") and count_tokens(piece) <= 120
    kept = [line for piece in pieces for line in piece.splitlines()[2:]]
    assert kept == rows


def test_a_code_fence_closes_only_at_a_fence_like_its_own():
    from tunelab.data.documents.sections import fenced_parts, markdown_sections

    # As in CommonMark: a longer fence can show a shorter one, ~~~ does not close ```, and an
    # unclosed fence runs to the end. Code's `#` lines are never headings.
    doc = (
        "# Writing docs\n\nShow a fence inside a longer one.\n\n"
        "````markdown\n```bash\n# not a heading\n```\n~~~\n````\n\n"
        "## Next\n\nText.\n\n```python\nunclosed = True\n\n# still code\n"
    )
    assert [s.headings for s in markdown_sections(doc)] == [
        ["Writing docs"],
        ["Writing docs", "Next"],
    ]
    parts = fenced_parts(doc)
    assert "".join(part for _, part in parts) == doc
    assert [code for code, _ in parts] == [False, True, False, True]
    assert parts[1][1].startswith("````markdown\n") and parts[1][1].endswith("~~~\n````\n")
    # A fence closes with nothing after it, and a line of backticks that closes itself is
    # inline code, not a fence.
    assert [code for code, _ in fenced_parts("```bash\nx\n```bash\n```\nAfter.\n")] == [True, False]
    assert fenced_parts("```pip install x```\n# Install\n") == [
        (False, "```pip install x```\n# Install\n")
    ]


def test_front_matter_and_html_comments_are_not_read_and_lines_keep_their_numbers(tmp_path):
    # "--- title: Sync Service version: 4.1 ---" and "<!-- internal note: do not publish -->"
    # became answers, and a RAG passage.
    doc = tmp_path / "sync.md"
    doc.write_text(
        "---\ntitle: Sync Service\nversion: 4.1\n---\n\n# Sync Service\n\n"
        "<!-- internal note:\ndo not publish -->\n\nThe Sync Service uses port 7070 by default.\n"
    )
    text = " ".join(s.text for s in read_sections(doc))
    assert "7070" in text and "internal note" not in text and "title:" not in text
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = out.read_text()
    assert "internal note" not in written and "version: 4.1" not in written
    assert "sync.md:11" in written  # the line of "The Sync Service uses port 7070"


def test_a_folder_s_files_of_a_kind_not_read_are_named_with_what_to_do(tmp_path, wide_terminal):
    # A manual saved as .docx beside the Markdown ones was left out without a word.
    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "install.md").write_text(
        "# Install\n\nThe agent listens on port 7341.\n"
    )
    (tmp_path / "manual" / "operations.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "manual" / ".git").mkdir()
    (tmp_path / "manual" / ".git" / "index").write_bytes(b"\x00")
    out = tmp_path / "qa.jsonl"
    generate = ["data", "generate", str(tmp_path / "manual"), "-o", str(out)]
    result = CliRunner().invoke(app, generate)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        f"{tmp_path / 'manual'}: files of a kind not read were left out (operations.docx); "
        "documents are .htm, .html, .markdown, .md, .pdf, .rst or .txt: save a Word file or "
        "slides as .pdf or .html"
    ) in said
    assert "index" not in said  # a hidden folder's files are no documents left out
    assert f"wrote 1 pair to {out} " in said  # it said "wrote 1 pairs"


def test_a_folder_s_images_are_named_without_the_word_file_advice(tmp_path, wide_terminal):
    # `data generate README.md docs` told docs/'s two plots "save a Word file or slides as .pdf".
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "install.md").write_text("# Install\n\nThe agent listens on port 7341.\n")
    (tmp_path / "docs" / "curve.png").write_bytes(b"\x89PNG")
    (tmp_path / "docs" / "notes.docx").write_bytes(b"PK\x03\x04")
    result = CliRunner().invoke(
        app, ["data", "generate", str(tmp_path / "docs"), "-o", str(tmp_path / "qa.jsonl")]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        f"{tmp_path / 'docs'}: files of a kind not read were left out (notes.docx); documents "
        "are .htm, .html, .markdown, .md, .pdf, .rst or .txt: save a Word file or slides as "
        ".pdf or .html; images were left out (curve.png): text in a picture is not read"
    ) in said
