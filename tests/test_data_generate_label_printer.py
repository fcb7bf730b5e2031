"""A label printer's manual asked as its reader asks it (a newcomer's pass found gaps): each
setting's purpose, default and range asked on its own, and troubleshooting headings and status
lights asked in sentence case ("What should I do when barcodes do not scan?")."""

from __future__ import annotations

from tests.conftest import pairs_of

SETTINGS = """# LP-200 Label Printer

## Settings

### print_speed

print_speed sets how fast the printer feeds labels. Its default is 4 inches per second.

### tear_offset

tear_offset sets how far the label is fed past the tear bar. Its default is 12 mm. It ranges
from 0 to 30 mm.
"""


def test_a_settings_section_asks_what_the_setting_does_its_default_and_its_range(tmp_path):
    # "tear_offset" gave no pair at all ("... the label is fed" read as what is done to it), and
    # its "Its default ..." and "It ranges ..." were asked nowhere.
    doc = tmp_path / "lp200.md"
    doc.write_text(SETTINGS, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["What does tear_offset do?"] == (
        "tear_offset sets how far the label is fed past the tear bar."
    )
    assert pairs["What is the default of tear_offset?"] == "The default of tear_offset is 12 mm."
    assert pairs["What is the range of tear_offset?"] == "tear_offset ranges from 0 to 30 mm."
    assert pairs["What is the default of print_speed?"] == (
        "The default of print_speed is 4 inches per second."
    )


TROUBLESHOOTING = """# LP-200 Label Printer

## Troubleshooting

### Barcodes do not scan

Barcodes printed too light cannot be read. Increase the print darkness by two steps.

### Labelsync stops syncing

Labelsync stops when the network drops. Restart Labelsync from the printer's menu.

## Status light

| Light | Meaning |
| --- | --- |
| Solid green | The printer is ready. |
| Blinking red | The paper is out. |
"""


def test_a_heading_or_a_row_capitalised_only_by_its_place_is_asked_in_lower_case(tmp_path):
    # "Barcodes" (a word the dictionary lacks, capitalised where a heading and a sentence open)
    # was read as a name; "Labelsync", which the manual writes capitalised mid-sentence, is one.
    doc = tmp_path / "lp200.md"
    doc.write_text(TROUBLESHOOTING, encoding="utf-8")
    pairs = pairs_of(doc)
    assert "What should I do when barcodes do not scan?" in pairs
    assert "What should I do when Labelsync stops syncing?" in pairs
    assert pairs["What does solid green mean?"] == "Solid green: The printer is ready."
    assert "What does blinking red mean?" in pairs


SPECIFICATIONS = """# PX-40 Thermal Printer

## Specifications

The print head can reach 60 °C. The platen roller is rated for 50 km. The label roll holds 50 m
of labels. The printer takes 58 mm, 80 mm and 104 mm labels. The printer runs at 24 V. The
platen is heated to 45 °C. The printer operates between 5 °C and 40 °C. The printer prints at
150 mm per second.

## Maintenance

Replace the platen roller every 25 km. Ribbons last about 300 m.

## Network

Plain HTTP on port 80 redirects to HTTPS. The web console uses port 443.

## Drivers

The driver supports Windows 10, Windows 11 and macOS 13.
"""


def test_a_number_with_its_unit_is_asked_for_by_what_it_measures(tmp_path):
    # None of these four sentences was in a pair: "reach", "rated for" and "redirects" are in no
    # list, "every 25 km" was no span of time, and a subject "on port 80" read as no thing.
    doc = tmp_path / "px40.md"
    doc.write_text(SPECIFICATIONS, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["What temperature can the print head reach?"] == "The print head can reach 60 °C."
    assert pairs["What distance is the platen roller rated for?"] == (
        "The platen roller is rated for 50 km."
    )
    assert pairs["At what voltage does the printer run?"] == "The printer runs at 24 V."
    assert pairs["What temperature is the platen heated to?"] == "The platen is heated to 45 °C."
    assert pairs["In what temperature range does the printer operate?"] == (
        "The printer operates between 5 °C and 40 °C."
    )
    assert pairs["How far do ribbons last?"] == "Ribbons last about 300 m."  # a plural's too
    assert pairs["At what speed does the printer print?"] == (
        "The printer prints at 150 mm per second."
    )
    # "What do the web console uses port?" was asked: "uses" read as a noun, "port" its verb.
    assert pairs["Which port does the web console use?"] == "The web console uses port 443."
    # A measure of a thing is what the roll holds or the printer takes, not a distance.
    assert pairs["What does the label roll hold?"] == "The label roll holds 50 m of labels."
    assert pairs["What does the printer take?"] == (
        "The printer takes 58 mm, 80 mm and 104 mm labels."
    )
    assert pairs["How often should I replace the platen roller?"] == (
        "Replace the platen roller every 25 km."
    )
    assert pairs["What does plain HTTP on port 80 redirect to?"] == (
        "Plain HTTP on port 80 redirects to HTTPS."
    )


def test_a_list_of_versions_is_asked_with_every_name_it_holds(tmp_path):
    # "What Windows version does the driver support?" was asked of a list naming macOS too.
    doc = tmp_path / "px40.md"
    doc.write_text(SPECIFICATIONS, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["What Windows and macOS versions does the driver support?"] == (
        "The driver supports Windows 10, Windows 11 and macOS 13."
    )
    assert "What Windows version does the driver support?" not in pairs


COMPANION_APP = """# PX-40 Thermal Printer

## Companion app

Printly sends labels from your phone over Bluetooth. Printly needs Android 12 or later.

## Troubleshooting

### Printly stops syncing

Printly stops when the network drops. Restart the app from the phone's menu.
"""


def test_a_name_the_manual_always_capitalises_keeps_its_capital_where_it_opens_a_heading(tmp_path):
    # "Printly" opens every sentence it is in and is no word the dictionary knows: read as a
    # word capitalised by its place, it was asked "What should I do when printly stops syncing?".
    doc = tmp_path / "px40.md"
    doc.write_text(COMPANION_APP, encoding="utf-8")
    pairs = pairs_of(doc)
    assert "What should I do when Printly stops syncing?" in pairs
    assert "What does Printly send?" in pairs


PLAIN_NAMES = """# LP-300 Label Printer

## Settings

### print_speed

print_speed sets how fast labels are printed. Its default is 4 inches per second. It ranges from
2 to 8 inches per second.

### darkness

darkness sets how much heat the print head applies. Its default is 12. It ranges from 0 to 30.
"""


def test_a_setting_named_by_a_plain_word_is_asked_as_one_named_as_code_is(tmp_path):
    # "darkness" was read as a word, not a name: "What is darkness?" got its default tucked into
    # the answer, no question asked for the default, and its range was "What is the range of it?".
    doc = tmp_path / "lp300.md"
    doc.write_text(PLAIN_NAMES, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["What does darkness do?"] == "darkness sets how much heat the print head applies."
    assert pairs["What is the default of darkness?"] == "The default of darkness is 12."
    assert pairs["What is the range of darkness?"] == "darkness ranges from 0 to 30."
    assert pairs["What is the range of print_speed?"] == (
        "print_speed ranges from 2 to 8 inches per second."
    )
    assert not [q for q in pairs if q.endswith(" it?")]


def test_a_limit_given_as_a_span_is_asked_on_its_own(tmp_path):
    # "between 25 mm and 104 mm wide" was in no pair but "What are the limits of ...?", where
    # "at most 104 mm wide" is asked "How wide must labels be?".
    doc = tmp_path / "lp300.md"
    doc.write_text(
        "# LP-300 Label Printer\n\n## Limits\n\n- The printer holds 50 m of labels.\n"
        "- Labels must be between 25 mm and 104 mm wide.\n- The cable must be 1 to 3 m long.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How wide must labels be?"] == "Labels must be between 25 mm and 104 mm wide."
    assert pairs["How long must the cable be?"] == "The cable must be 1 to 3 m long."


def test_a_problem_heading_keeps_the_article_its_manual_gives_the_thing(tmp_path):
    # "What should I do when printer does not wake?" dropped the "the" the manual says.
    doc = tmp_path / "lp300.md"
    doc.write_text(
        "# LP-300 Label Printer\n\nThe printer sleeps after 15 minutes.\n\n## Troubleshooting\n\n"
        "### Printer does not wake\n\nRaise sleep_timeout to 30 minutes.\n\n### Labels skip\n\n"
        "Clean the gap sensor.\n\n### Cutter does not cut\n\nFit a new cutter blade.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What should I do when the printer does not wake?"] == (
        "Raise sleep_timeout to 30 minutes."
    )
    assert "What should I do when labels skip?" in pairs  # a plural, as the heading says it
    assert "What should I do when cutter does not cut?" in pairs  # "a new cutter": no "the" to keep


def test_a_setting_said_with_the_is_asked_its_default_and_range_too(tmp_path):
    # "Its default is 3." was in the answer to "What is the volume?" and asked nowhere alone, and
    # "It ranges from 0 to 5." was asked nowhere (and "What is the range of it?" before that).
    doc = tmp_path / "lp300.md"
    doc.write_text(
        "# LP-300 Label Printer\n\n## Settings\n\n### volume\n\nThe volume sets how loud the "
        "beeper is. Its default is 3. It ranges from 0 to 5.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What does the volume do?"] == "The volume sets how loud the beeper is."
    assert pairs["What is the default of the volume?"] == "The default of the volume is 3."
    assert pairs["What is the range of the volume?"] == "The volume ranges from 0 to 5."


def test_a_setting_said_with_the_is_asked_what_it_does(tmp_path):
    # "The volume sets how loud ..." was asked "What is the volume?", where "darkness sets how
    # much heat ..." is asked "What does darkness do?".
    doc = tmp_path / "lp300.md"
    doc.write_text(
        "# LP-300 Label Printer\n\n## Settings\n\n### volume\n\nThe volume sets how loud the "
        "beeper is.\n\n### contrast\n\nThe contrast is 40% out of the box.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What does the volume do?"] == "The volume sets how loud the beeper is."
    assert "What is the volume?" not in pairs
    assert "What does the contrast do?" not in pairs  # "is": what it is, not what it does


SAID_OF_NONE = """# LP-300 Label Printer

## Settings

### volume

The volume sets how loud the beeper is. The default is 3. The range is 0 to 5.

### gap_size

gap_size sets the gap between two labels. The default value is 3 mm.

### beeper

Beeps after each label. The default is 2 beeps.

## Cleaning

The default is to clean the print head once a week.
"""


def test_a_default_said_of_no_one_thing_is_asked_of_the_setting_its_heading_names(tmp_path):
    # "The default is 3." under "### volume" was asked "What is the default?", of nothing named.
    doc = tmp_path / "lp300.md"
    doc.write_text(SAID_OF_NONE, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["What is the default of the volume?"] == "The default of the volume is 3."
    assert pairs["What is the range of the volume?"] == "The range of the volume is 0 to 5."
    assert pairs["What is the default value of gap_size?"] == (
        "The default value of gap_size is 3 mm."
    )
    # Under "## Settings", a heading in lower case names a setting its text need not say.
    assert pairs["What is the default of beeper?"] == "The default of beeper is 2 beeps."
    assert not [q for q in pairs if q in ("What is the default?", "What is the range?")]
    # "## Cleaning" names no setting: its default is left as the text says it.
    assert not [q for q in pairs if "of cleaning" in q]


LABELLED = """# LP-300 Label Printer

## Settings

### tear_offset

tear_offset sets how far the label is fed past the tear bar.

Default: 12 mm.
Range: 0 to 30 mm.

### print_speed

print_speed sets how fast labels are printed.

- Default: 4 inches per second
- Range: 2 to 8 inches per second
"""


def test_a_default_and_a_range_given_as_labels_are_asked_as_sentences_are(tmp_path):
    # "Default: 12 mm." and "Range: 0 to 30 mm." under "### tear_offset" were in no pair.
    doc = tmp_path / "lp300.md"
    doc.write_text(LABELLED, encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs["What is the default of tear_offset?"] == "The default of tear_offset is 12 mm."
    assert pairs["What is the range of tear_offset?"] == "The range of tear_offset is 0 to 30 mm."
    assert pairs["What is the default of print_speed?"] == (
        "The default of print_speed is 4 inches per second."
    )
    assert pairs["What is the range of print_speed?"] == (
        "The range of print_speed is 2 to 8 inches per second."
    )


def test_a_setting_whose_text_opens_with_its_verb_asks_no_question_of_the_verb(tmp_path):
    # "Sets how loud the beeper is." was asked "What is sets how loud the beeper?": the "is" that
    # ends "how loud the beeper is" read as the verb of a subject "Sets how loud the beeper".
    doc = tmp_path / "lp300.md"
    doc.write_text(
        "# LP-300 Label Printer\n\n## Settings\n\n### volume\n\nSets how loud the beeper is. "
        "The default is 3.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert not [q for q in pairs if "how loud" in q]
    assert pairs["What is the default of volume?"] == "The default of volume is 3."


def test_a_setting_under_settings_whose_text_opens_with_its_verb_is_asked_what_it_does(tmp_path):
    # "### volume" over "Sets how loud the beeper is." was in no pair: the text never names it.
    doc = tmp_path / "lp300.md"
    doc.write_text(
        "# LP-300 Label Printer\n\n## Settings\n\n### volume\n\nSets how loud the beeper is.\n\n"
        "## Cleaning\n\n### head\n\nWipes clean with alcohol.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What does volume do?"] == "Sets how loud the beeper is."
    assert "What does head do?" not in pairs  # "## Cleaning" holds no settings


def test_a_default_said_as_defaults_to_is_asked_as_the_default_is(tmp_path):
    # "Defaults to 3." after a setting was in no pair, where "The default is 3." was asked.
    doc = tmp_path / "lp300.md"
    doc.write_text(
        "# LP-300 Label Printer\n\n## Settings\n\n### volume\n\nSets how loud the beeper is. "
        "Defaults to 3.\n\n### tear_offset\n\ntear_offset sets how far the label is fed past "
        "the tear bar.\n\nDefaults to 12 mm.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What is the default of volume?"] == "The default of volume is 3."
    assert pairs["What is the default of tear_offset?"] == "The default of tear_offset is 12 mm."
