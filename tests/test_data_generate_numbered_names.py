"""Headings that name a thing by its number or letter ("Run 9", "Set B", "Build 12"): template
mode asks what the thing is, as of any noun heading, never "How do I run 9?" (the first word was
read as a verb and the number as what it is done to)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.headings import heading_question

KILN = """# Emberline Kiln

The Emberline is an electric kiln for pottery.

## Run 9

Run 9 is the slow glaze firing that peaks at 1220 °C.

## Load A

Load A is a full kiln of mugs on the lower shelves.

## Build 12

Build 12 is the firmware that shipped with the first kilns.

## Run 4

Run 4 fires bisque ware overnight.

## Appendix B

Appendix B lists the cone temperatures.
"""


def test_a_manual_whose_headings_name_things_by_number_asks_what_each_one_is(tmp_path):
    doc = tmp_path / "kiln.md"
    doc.write_text(KILN, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["What is run 9?"] == "Run 9 is the slow glaze firing that peaks at 1220 °C."
    assert pairs["What is load A?"] == "Load A is a full kiln of mugs on the lower shelves."
    assert (
        pairs["What is build 12?"] == "Build 12 is the firmware that shipped with the first kilns."
    )
    assert pairs["What is appendix B?"] == "Appendix B lists the cone temperatures."
    # "Run 4 fires ..." was asked "How do I run 4?": a run is no task.
    assert not [q for q in pairs if q.startswith("How do I")]


@pytest.mark.parametrize(
    ("heading", "question"),
    [
        ("Run 9", "What is run 9?"),
        ("Set B", "What is set B?"),
        ("Run A", "What is run A?"),
        ("3. Run 9", "What is run 9?"),
        # A task's object that has digits in it is still a task's.
        ("Enable S3", "How do I enable S3?"),
        ("Install Python 3", "How do I install Python 3?"),
        ("3. Run the tests", "How do I run the tests?"),
    ],
)
def test_a_word_and_a_number_is_a_thing_and_a_verb_and_its_object_a_task(heading, question):
    assert heading_question(["Emberline Kiln", heading], "The kiln fires pottery.") == question


@pytest.mark.parametrize(
    ("heading", "section", "question"),
    [
        ("Install R", "Download R from CRAN and run its installer.", "How do I install R?"),
        ("Use C", "Write the driver in C for speed.", "How do I use C?"),
        ("Set B", "Set B holds the three shelves for tall vases.", "What is set B?"),
    ],
)
def test_a_letter_its_section_says_alone_is_a_name_the_task_acts_on(heading, section, question):
    # "R" and "C" are languages there, said on their own: "What is install R?" was asked.
    assert heading_question(["Emberline Kiln", heading], section) == question


def test_a_sentence_whose_subject_is_its_heading_s_numbered_thing_is_asked_as_a_statement(
    tmp_path: Path,
):
    # "Set B holds ..." read as a command ("set B") and asked nothing.
    doc = tmp_path / "kiln.md"
    doc.write_text(
        "# Emberline Kiln\n\nThe Emberline is an electric kiln for pottery.\n\n## Set B\n\n"
        "Set B holds the three shelves for tall vases.\n\n## Build 12\n\nBuild 12 adds a "
        "delayed start of up to 12 hours.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What does set B hold?"] == "Set B holds the three shelves for tall vases."
    assert pairs["What does build 12 add?"] == "Build 12 adds a delayed start of up to 12 hours."


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("Press A", "Press A to pause the print job. Press it again to resume."),
        ("Press 5", "Press 5 to skip a track."),
        ("Select B", "Select B when the printer asks for a tray."),
    ],
)
def test_a_key_its_section_says_as_a_step_asks_nothing_of_its_heading(heading, section):
    # "What is press A?" read a key as a thing's name, and "How do I press A?" asks no task: the
    # step's own sentence asks what it is for ("How do I pause the print job?").
    assert heading_question(["Inkling Label Printer", heading], section) is None


def test_a_key_and_a_letter_a_section_s_steps_are_for_are_asked_as_tasks(tmp_path: Path):
    doc = tmp_path / "printer.md"
    doc.write_text(
        "# Inkling Label Printer\n\n## Press A\n\nPress A to pause the print job. Press it again"
        " to resume.\n\n## Update X\n\nDownload the latest firmware. Copy it to the card and "
        "restart the printer to update X.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How do I pause the print job?"] == "Press A to pause the print job."
    # "What is update X?" asked of a task the section's steps do, and dropped for no answer.
    assert pairs["How do I update X?"] == (
        "Download the latest firmware. Copy it to the card and restart the printer to update X."
    )
    assert not [q for q in pairs if "press A" in q]


PROGRAMS = """# Emberline K3 Kiln

## Programs

Program 2 dries greenware overnight.

- Run 4 fires bisque ware.
- Run 6 fires porcelain to cone 10.

## Firing

Run 7 fires the test tiles.
"""


def test_a_list_of_things_named_by_number_asks_what_each_does_and_which_one_does_it(
    tmp_path: Path,
):
    # "Run 4 fires bisque ware." read as a step ("run 4") and asked nothing; "Run 6 ... to cone
    # 10" was asked "How do I cone 10?", and "What are programs?" was answered by program 2.
    doc = tmp_path / "kiln.md"
    doc.write_text(PROGRAMS, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["Which program fires bisque ware?"] == "Run 4 fires bisque ware."
    assert pairs["What does run 4 fire?"] == "Run 4 fires bisque ware."
    assert pairs["Which program fires porcelain to cone 10?"] == (
        "Run 6 fires porcelain to cone 10."
    )
    assert pairs["Which program dries greenware overnight?"] == (
        "Program 2 dries greenware overnight."
    )
    assert not [q for q in pairs if q.startswith("How do I") or q == "What are programs?"]
    # Under "## Firing", which names no list, "Run 7 fires ..." may be a step ("run 7 fires"):
    # no entry of a list.
    assert not [q for q in pairs if "run 7" in q or "test tiles" in q]


def test_a_list_whose_entries_open_with_its_kind_asks_which_one_in_lower_case(tmp_path: Path):
    # Every entry opening with "Program" made it read as a product's name: "Which Program fires
    # bisque ware?" beside "What does program 1 fire?".
    doc = tmp_path / "kiln.md"
    doc.write_text(
        "# Emberline K3 Kiln\n\n## Programs\n\n- Program 1 fires bisque ware.\n"
        "- Program 2 fires stoneware glaze.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["Which program fires bisque ware?"] == "Program 1 fires bisque ware."
    assert pairs["What does program 1 fire?"] == "Program 1 fires bisque ware."
    assert pairs["Which program fires stoneware glaze?"] == "Program 2 fires stoneware glaze."
