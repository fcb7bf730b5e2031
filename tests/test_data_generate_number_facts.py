"""Every sentence of a manual that states a number is taught by some pair: a fact no row holds is
one the model never learns. An invented doorbell manual, through `tunelab.data.generate` and its
filters: a lifetime said of "a pair of batteries", a setting whose section opens with what it
does, and a troubleshooting guide's specifications each had no pair, or a problem's question."""

from __future__ import annotations

import json

import tunelab

SETUP = """# Chime 20 Wireless Doorbell

## Batteries

The push button takes two AAA batteries. A pair of AAA batteries lasts about 9 months.

## Settings

### Volume

Sets how loud the chime rings, from 1 to 5.

### Quiet hours

Pauses the chime for 2, 4 or 8 hours. The button light still blinks when pressed.
"""

TROUBLE = """# Troubleshooting the Chime 20

## The chime does not ring

The push button is out of range. Move the chime closer to the button.

## Specifications

- Range: up to 150 metres
- Operating temperature: -20 to 50 °C
"""


def _generate(tmp_path, *documents: str) -> tuple[dict[str, str], list[str]]:
    paths = []
    for i, text in enumerate(documents):
        paths.append(tmp_path / f"manual{i}.md")
        paths[-1].write_text(text, encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    stats = tunelab.data.generate(paths, output=str(out), mode="template")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {row["question"]: row["answer"] for row in rows}, [u["sentence"] for u in stats.unasked]


def test_how_long_a_pair_of_batteries_lasts_is_asked_of_the_pair(tmp_path):
    pairs, unasked = _generate(tmp_path, SETUP)
    assert pairs["How long does a pair of AAA batteries last?"] == (
        "A pair of AAA batteries lasts about 9 months."
    )
    assert not [s for s in unasked if "9 months" in s]


def test_a_setting_that_pauses_something_is_asked_what_it_does(tmp_path):
    pairs, unasked = _generate(tmp_path, SETUP)
    # One setting, named in the plural: "What does quiet hours do?" asked of many things.
    assert pairs["What does the quiet hours setting do?"] == (
        "Pauses the chime for 2, 4 or 8 hours. The button light still blinks when pressed."
    )
    assert pairs["What does volume do?"] == "Sets how loud the chime rings, from 1 to 5."
    assert unasked == []


def test_a_troubleshooting_guides_specifications_are_asked_as_specifications(tmp_path):
    # Under "Troubleshooting the Chime 20" every section read as a problem: "What should I do
    # about specifications?"
    pairs, unasked = _generate(tmp_path, TROUBLE)
    assert pairs["What are the specifications of the Chime 20?"] == (
        "- Range: up to 150 metres\n- Operating temperature: -20 to 50 °C"
    )
    assert "What should I do about specifications?" not in pairs
    assert pairs["What should I do when the chime does not ring?"].startswith("The push button")
    assert unasked == []


def test_a_definition_list_entry_stating_a_number_is_not_listed_as_in_no_pair(tmp_path):
    # "Range\n: ..." is answered "Range: ...", and was still named among the sentences stating a
    # number in no pair, as "Range : ..." read.
    pairs, unasked = _generate(
        tmp_path, "# Chime 20 glossary\n\nRange\n: How far the button reaches; 150 m outdoors.\n"
    )
    assert pairs["What is range?"] == "Range: How far the button reaches; 150 m outdoors."
    assert unasked == []
