"""Template mode reads structured content whole: FAQ entries, lists and definitions give the pairs a
reader would ask of them, each cited at its answer's line (tables: test_data_generate_tables.py;
a task's steps: test_data_generate_steps.py; notes and markup: test_data_generate_markup.py)."""

from __future__ import annotations

from tests.conftest import pairs_of


def test_imperative_headings_faq_entries_and_table_rows_read_as_a_person_wrote_them(tmp_path):
    from tunelab.data.generate.template.headings import heading_question

    assert heading_question(["Manual", "Reset the router"]) == "How do I reset the router?"
    assert heading_question(["Manual", "Clean your lens"]) == "How do I clean my lens?"
    assert not heading_question(["Manual", "Under the hood"]).startswith("How do I")
    assert heading_question(["Manual", "Focus the camera"]) == "How do I focus the camera?"
    doc = tmp_path / "manual.md"
    doc.write_text(
        "# Gadget\n\n## FAQ\n\n**Q:** How long does the battery last?\n"
        "**A:** About 12 hours of normal use.\n**Q:** Is it waterproof?\n**A:** No, keep it\n"
        "out of the rain.\n\nQ: Does it float?\nA: Yes.\n\n- Q: What color is it? A: Black.\n"
    )
    assert pairs_of(doc) == {
        "How long does the battery last?": "About 12 hours of normal use.",
        "Is it waterproof?": "No, keep it out of the rain.",
        "Does it float?": "Yes.",
        "What color is it?": "Black.",
    }
    page = tmp_path / "widget.html"
    page.write_text(
        "<h1>Widget</h1><h2>Configure Widget</h2><table><tr><th>Key</th><th>Default</th></tr>"
        "<tr><td>timeout</td><td>30</td></tr></table><p>Set these in widget.yaml first.</p>"
    )
    assert pairs_of(page)["How do I configure Widget?"] == "Set these in widget.yaml first."
    # In code an entry is an example of a format, not a pair; the prose after the code stays.
    formats = tmp_path / "formats.md"
    formats.write_text(
        "# Data\n\n## Format\n\nWrite each row as below.\n\n```text\nQ: What is the capital of "
        "France?\nA: Paris\n```\n\nThe model learns the format.\n"
    )
    pairs = pairs_of(formats)
    assert "What is the capital of France?" not in pairs
    assert pairs["What does the model learn?"] == "The model learns the format."
    # A longer fence shows a shorter one: all of it is code, none of it a question.
    nested = tmp_path / "nested.md"
    nested.write_text(
        "# Docs\n\n## Show a fence\n\nWrite it as below.\n\n````markdown\n```\n"
        "The cache is stored in `~/.cache/tunelab`.\n```\n````\n\nThe fence stays whole.\n"
    )
    pairs = pairs_of(nested)
    assert not any("cache" in q for q in pairs)
    assert pairs["How do I show a fence?"].endswith("```\n````")


def test_a_plural_term_is_asked_what_they_are(tmp_path):
    from tunelab.data.generate.template.written_pairs import definition

    # MLflow's evaluation guide: "What is API details?", "What is requested behavior fixes?".
    doc = tmp_path / "guide.md"
    doc.write_text(
        "# Guide\n\nThe guide covers scoring.\n\n## Handoffs\n\nHandoffs go to other skills.\n\n"
        "API details: the evaluation quickstart or the exact reference page.\n\n"
        "Requested behavior fixes: hand the results to the improvement skill.\n"
    )
    pairs = pairs_of(doc)
    assert "What are API details?" in pairs
    assert "What are requested behavior fixes?" in pairs
    # A name ending in s is one thing.
    said = "RAGAS: a generator of test sets from a corpus."
    assert definition(said, said)[0] == "What is RAGAS?"


def test_an_faq_of_bold_questions_gives_its_pairs(tmp_path):
    # "**Is Gizmo free?**" then its answer gave no pair (only "Q:" / "A:" entries did).
    doc = tmp_path / "faq.md"
    doc.write_text(
        "# Gizmo FAQ\n\n**Is Gizmo free?**\nYes, for teams of up to 5 people.\n\n"
        "**Does Gizmo support Windows?** No, Windows is not supported; use Linux or macOS.\n\n"
        "- **Can I export my data?**\n  Yes, as CSV from the settings page.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["Is Gizmo free?"] == "Yes, for teams of up to 5 people."
    assert pairs["Does Gizmo support Windows?"].startswith("No, Windows is not supported")
    assert pairs["Can I export my data?"] == "Yes, as CSV from the settings page."


def test_each_template_pair_cites_the_line_its_answer_is_on(tmp_path):
    # A user walk: every FAQ pair was cited at the FAQ's first line, every table row at its
    # section's heading.
    import json

    from tunelab.data.generate.from_documents import generate_dataset
    from tunelab.data.generate.shared import GenerateConfig

    doc = tmp_path / "faq.md"
    doc.write_text(
        "# FAQ\n\n**How long is the warranty?**\nThe warranty lasts 3 years.\n\n"
        "**What voltage does it use?**\nIt uses 220 V in Europe.\n\n## Settings\n\n"
        "| setting | default |\n|---|---|\n| grind_size | 12 |\n| dose_grams | 18 |\n"
    )
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="template")
    generate_dataset(config, None, progress=False)
    where = {
        row["question"]: row["meta"]["location"].rsplit(":", 1)[1]
        for row in map(json.loads, out.read_text().splitlines())
    }
    assert where["How long is the warranty?"] == "4"
    assert where["What voltage does it use?"] == "7"
    assert where["What is the default dose_grams?"] == "14"


def test_a_plural_heading_over_a_list_is_answered_by_all_of_it(tmp_path):
    # "What are limits?" was answered by the first limit alone, and the others were in no row.
    doc = tmp_path / "config.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Limits\n\n"
        "- A single log line may be at most 64 KB long; longer lines are cut.\n"
        "- The agent follows at most 256 files at once.\n"
    )
    answer = next(a for q, a in pairs_of(doc).items() if "limits" in q)
    assert answer == (
        "- A single log line may be at most 64 KB long; longer lines are cut.\n"
        "- The agent follows at most 256 files at once."
    )


def test_a_heading_over_definitions_is_answered_by_all_and_each_is_still_asked(tmp_path):
    # Its heading was answered by FERRYLOG_DEBUG's line alone, which then
    # had no "What is FERRYLOG_DEBUG?" of its own.
    doc = tmp_path / "config.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Environment variables\n\n"
        "FERRYLOG_DEBUG: Set to 1 to log every batch the agent sends.\n"
        "FERRYLOG_CONFIG: Path of the configuration file, if not the default.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What environment variables does Ferrylog read?"] == (
        "FERRYLOG_DEBUG: Set to 1 to log every batch the agent sends.\n"
        "FERRYLOG_CONFIG: Path of the configuration file, if not the default."
    )
    assert pairs["What is FERRYLOG_DEBUG?"].startswith("FERRYLOG_DEBUG: Set to 1")
    assert pairs["What is FERRYLOG_CONFIG?"].startswith("FERRYLOG_CONFIG: Path")
