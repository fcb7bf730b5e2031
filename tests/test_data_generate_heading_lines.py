"""Which lines template mode reads as headings: a plain-text document's, a short line over a sentence
or a label, an RST heading of inline code; never a sentence hard-wrapped after a few words."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of


def test_a_plain_text_document_s_headings_and_how_long_and_how_often(tmp_path):
    # From a walk over a .txt troubleshooting page: its heading lines were read as sentences
    # ("What is fix?", "How does collecting log?"), 4 of its 6 problems in no pair; "Logs are
    # kept for 14 days" asked "How are logs kept?".
    doc = tmp_path / "troubleshooting.txt"
    doc.write_text(
        "TROUBLESHOOTING\n\nUploads fail with error HB-408\nCause: an upload took longer than "
        "upload_timeout.\nFix: raise upload_timeout to 120 seconds.\n\nThe tray icon is grey\n"
        "The agent service is not running. Start it with `harborline start`.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What should I do when uploads fail with error HB-408?"] == (
        "Cause: an upload took longer than upload_timeout. Fix: raise upload_timeout to 120 "
        "seconds."
    )
    assert pairs["What should I do when the tray icon is grey?"].startswith("The agent service")
    assert "What is fix?" not in pairs and "What is cause?" not in pairs
    from tunelab.data.generate.template.questions import sentence_question

    assert sentence_question("Logs are kept for 14 days.") == "How long are logs kept?"
    assert sentence_question("The agent checks the schedule every 60 seconds.") == (
        "How often does the agent check the schedule?"
    )


def test_a_hard_wrapped_paragraph_keeps_its_first_line_and_a_noun_verb_opens_a_statement(
    tmp_path,
):
    from tunelab.data.documents.sections import plain_headings
    from tunelab.data.generate.template.section_answer import commands

    wrapped = (
        "The agent synchronizes configuration folders between\nmachines every sixty seconds.\n"
    )
    assert plain_headings(wrapped) == wrapped.rstrip("\n")
    # "sync" and "scan" are verbs too (added for "The agent syncs ..."): a statement still.
    assert not commands("Sync logs are kept for 14 days.", False)
    assert commands("Run `harborline reload` so the agent reads the rules.", False)


@pytest.mark.parametrize(
    "text",
    [
        # Two short lines of one sentence, the second longer: no heading (a walk's .txt).
        "The sync agent runs every\n60 seconds on each device and uploads what changed since.\n",
        "Harborline keeps logs for\nfourteen days and then deletes the oldest of them itself.\n",
    ],
)
def test_a_sentence_wrapped_after_a_few_words_is_no_heading(text):
    from tunelab.data.documents.sections import plain_headings

    assert plain_headings(text) == text.rstrip("\n")


def test_a_short_line_over_a_sentence_or_a_label_is_still_a_heading():
    from tunelab.data.documents.sections import plain_headings

    assert plain_headings("Collecting logs\nThe agent writes its logs to a folder per day.\n") == (
        "## Collecting logs\nThe agent writes its logs to a folder per day."
    )
    assert plain_headings("Uploads fail with error HB-408\nCause: the vault is full.\n") == (
        "## Uploads fail with error HB-408\nCause: the vault is full."
    )


def test_an_rst_heading_of_inline_code_is_asked_as_its_markdown_heading_is(tmp_path):
    # ``ferrylog check`` as an RST section asked "What is ``ferrylog check``?"; the same heading
    # in Markdown, `ferrylog check`, asks what the command does.
    body = "Checks the configuration file for errors and exits.\n"
    rst, md = tmp_path / "cli.rst", tmp_path / "cli.md"
    rst.write_text(f"Ferrylog\n========\n\n``ferrylog check``\n------------------\n\n{body}")
    md.write_text(f"# Ferrylog\n\n## `ferrylog check`\n\n{body}")
    assert pairs_of(rst) == pairs_of(md) == {"What does `ferrylog check` do?": body.strip()}


def test_a_heading_in_capitals_is_asked_as_its_text_writes_each_word(tmp_path):
    # A printer's network guide in plain text: "SETTING A STATIC IP ADDRESS" over its steps was
    # asked "How do I set A STATIC IP ADDRESS?".
    doc = tmp_path / "network-guide.txt"
    doc.write_text(
        "W200 NETWORK GUIDE\n\nThis guide connects the W200 to a network.\n\n"
        "SETTING A STATIC IP ADDRESS\n---------------------------\n\n"
        "1. Open Menu > Network > IPv4.\n2. Change the mode from DHCP to Static.\n"
        "3. Enter the IP address.\n\n"
        "JOINING A WI-FI NETWORK\n-----------------------\n\n"
        "1. Open Network > Wi-Fi in the web console.\n2. Select your network.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How do I set a static IP address?"].startswith("1. Open Menu > Network > IPv4.")
    assert pairs["How do I join a Wi-Fi network?"].startswith("1. Open Network > Wi-Fi")
    assert not [q for q in pairs if "STATIC" in q or "WI-FI" in q]


def test_a_heading_in_capitals_keeps_a_name_its_text_writes_capitalised_mid_sentence(tmp_path):
    # "INSTALLING THE VIREO HUB" over "Mount the Vireo Hub ..." was asked "How do I install the
    # vireo hub?": both are dictionary words, and the manual also says "the hub" alone.
    doc = tmp_path / "install.txt"
    doc.write_text(
        "INSTALLING THE VIREO HUB\n\nMount the Vireo Hub at least 1.5 metres above the ground.\n"
        "The hub needs a 24 V AC transformer rated for at least 1 A.\n",
        encoding="utf-8",
    )
    assert pairs_of(doc)["How do I install the Vireo Hub?"].startswith("Mount the Vireo Hub")


def test_sections_under_a_product_s_troubleshooting_title_each_name_a_problem(tmp_path):
    # "# Wrenfield W200 Troubleshooting" was no "Troubleshooting" heading: its "## The printer
    # skips labels" was asked "What are the printer skips labels?" and left out, and the fix
    # under it ("Hold FEED for 3 seconds") was in no pair.
    doc = tmp_path / "troubleshooting.md"
    doc.write_text(
        "# Wrenfield W200 Troubleshooting\n\n## The printer skips labels\n\n"
        "The printer skips labels when it has not been calibrated. Hold FEED for 3 seconds to "
        "calibrate.\n\n## Error codes\n\nThe display shows an error code.\n\n"
        "## Factory reset\n\n1. Turn off the printer.\n2. Hold FEED and CANCEL.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What should I do when the printer skips labels?"].endswith(
        "Hold FEED for 3 seconds to calibrate."
    )
    # An act and a list of codes under it are no problems: "What should I do about factory
    # reset?" is asked of neither.
    assert pairs["How do I do a factory reset?"].startswith("1. Turn off the printer.")
    assert not [q for q in pairs if q.startswith("What should I do about")]
