"""Template mode asks about a document by the name its title gives, and asks what a sentence's
words state: five malformed questions a newcomer found ("What does the 2.12 change to?", "When
does the battery store 5000 mAh of charge?", "How do I install q2?", no question of a "Factory
reset" section's steps, "FastAPI" asked where the document is about FastAPI Cloud)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.questions import sentence_question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # "changes" after a version is the release's noun, not a verb.
        ("Version 2.12 changes: the sync interval is now 5 minutes.",
         "What changed in version 2.12?"),
        ("Version 2.12 fixes: the crash on startup is gone.", "What was fixed in version 2.12?"),
        ("The 2.12 changes to the sync interval are small.", None),  # was "... change to?"
        ("Release 2.12 changes to the parser include a new cache.", None),
    ],
)  # fmt: skip
def test_a_release_s_changes_are_a_noun_not_a_verb(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # The measure is the fact, asked with the condition it holds under.
        ("The battery stores 5000 mAh of charge when full.",
         "How much charge does the battery store when full?"),
        ("The agent retries 3 times if the upload fails.",
         "How many times does the agent retry if the upload fails?"),
        ("The app uses 2 GB of memory when your laptop sleeps.",
         "How much memory does the app use when my laptop sleeps?"),
        # A number that is no measure ("2.4 GHz band", "code 3") is still asked when.
        ("The K9 switches to the 2.4 GHz band if the 5 GHz signal is weak.",
         "When does the K9 switch to the 2.4 GHz band?"),
    ],
)  # fmt: skip
def test_a_measure_stated_under_a_condition_is_asked_for_not_asked_when(sentence, question):
    assert sentence_question(sentence) == question


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_document_is_asked_about_by_its_title_not_its_file_s_name(tmp_path: Path):
    # A second top-level heading, a title in front matter: "How do I install q2?" was asked.
    second = "# Ferrytrack Agent\n\nFerrytrack Agent copies ferry logs to the cloud.\n\n"
    install = "# Installation\n\nInstall the agent with `pip install ferrytrack`.\n"
    assert "How do I install Ferrytrack Agent?" in pairs_of(
        write(tmp_path / "q2.md", second + install)
    )
    front = "---\ntitle: Ferrytrack Agent\n---\n\n" + install.replace("# ", "## ")
    assert "How do I install Ferrytrack Agent?" in pairs_of(write(tmp_path / "q3.md", front))
    # A title of ordinary words names nothing: the file's name still does.
    log = "# Changelog\n\n## 0.10.0\n\n- Added HTTP/2 support.\n"
    assert "What changed in httpcore 0.10.0?" in pairs_of(write(tmp_path / "httpcore.md", log))


def test_an_act_s_heading_over_its_steps_asks_how_to_do_it(tmp_path: Path):
    manual = write(
        tmp_path / "r5.md",
        "# Beacon R5 Router\n\nThe Beacon R5 is a home Wi-Fi router.\n\n## Factory reset\n\n"
        "1. Unplug the router.\n2. Hold the reset button for 10 seconds.\n3. Plug it back in.\n\n"
        "## Firmware update\n\nA firmware update takes about 5 minutes.\n",
    )
    pairs = pairs_of(manual)
    assert pairs["How do I do a factory reset?"].startswith("1. Unplug the router.\n2. Hold")
    # Not over prose: what it says is asked on its own.
    assert "How do I do a firmware update?" not in pairs


def test_an_act_s_steps_after_a_lead_sentence_are_asked_too(tmp_path: Path):
    # A printer manual's "## Factory reset" said what a reset does, then its four steps: only
    # "What is a factory reset?" was asked, and the steps were in no row.
    manual = write(
        tmp_path / "w200.md",
        "# W200 Troubleshooting\n\n## Factory reset\n\n"
        "A factory reset returns every setting to its default.\n\n"
        "1. Turn off the printer.\n2. Hold the FEED and CANCEL buttons together.\n"
        "3. Turn on the printer.\n",
    )
    pairs = pairs_of(manual)
    assert pairs["What is a factory reset?"].startswith("A factory reset returns every setting")
    assert pairs["How do I do a factory reset?"] == (
        "1. Turn off the printer.\n2. Hold the FEED and CANCEL buttons together.\n"
        "3. Turn on the printer."
    )


def test_a_name_the_prose_shortens_is_asked_in_full(tmp_path: Path):
    doc = "# FastAPI Cloud\n\n## Logs\n\nFastAPI stores your logs for 30 days.\n"
    assert "What does FastAPI Cloud store?" in pairs_of(write(tmp_path / "cloud.md", doc))
    # Where the prose says both, the short name may be another thing: asked as written.
    both = (
        "# FastAPI Cloud\n\nFastAPI Cloud hosts apps.\n\nFastAPI stores your routes in a table.\n"
    )
    assert "Where does FastAPI store my routes?" in pairs_of(write(tmp_path / "both.md", both))


def test_a_dictionary_word_the_document_uses_as_its_product_s_name_stays_capitalised(
    tmp_path: Path,
):
    # "Where does beacon store my contacts?" was asked: "Beacon" opens each sentence it is in,
    # so only the dictionary said whether it was a name.
    guide = tmp_path / "guide.md"
    guide.write_text(
        "# Phone companion guide\n\n## Syncing\n\nBeacon keeps your phone in sync. Beacon stores "
        "your contacts in the cloud.\n\n## Logs\n\nLogs are kept for a week. Logs are written "
        "to the phone.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(guide)
    assert pairs["Where does Beacon store my contacts?"] == (
        "Beacon stores your contacts in the cloud."
    )
    assert "How long are logs kept?" in pairs  # a plural opening two sentences is no name


def test_a_dictionary_word_capitalised_once_mid_sentence_is_a_name_in_every_question(
    tmp_path: Path,
):
    # "Plug the Beacon into ..." says once that Beacon is a name; the headings' questions lowered
    # it ("What is beacon?", "How do I install beacon?"), where a sentence's kept it.
    guide = tmp_path / "guide.md"
    guide.write_text(
        "# Wake-up light\n\n## Beacon\n\nBeacon is a lamp that wakes you.\n\n## Installing "
        "Beacon\n\nPlace it by your bed.\n\n## Power\n\nPlug the Beacon into any USB port.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(guide)
    assert pairs["What is Beacon?"] == "Beacon is a lamp that wakes you."
    assert pairs["How do I install Beacon?"] == "Place it by your bed."


def test_a_word_only_a_sentence_s_opening_or_a_title_capitalises_stays_an_ordinary_word(
    tmp_path: Path,
):
    # A contents' link ("[Night Light](...)") writes it in Title Case, not as a name: "What does
    # Light store?" was asked. A word that opens one sentence alone may be any word.
    guide = tmp_path / "guide.md"
    guide.write_text(
        "# Wake-up lamp\n\n- [Night Light](#night-light)\n- [Storage](#storage)\n\n## Storage\n\n"
        "Light stores your alarms. It holds ten of them.\n\n## Sync\n\nBeacon stores your "
        "contacts in the cloud.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(guide)
    assert pairs["What does light store?"] == "Light stores your alarms."
    # Once, opening its sentence (twice, it is a name, as in the Syncing guide above).
    assert (
        pairs["Where does beacon store my contacts?"] == "Beacon stores your contacts in the cloud."
    )
