"""Template mode over a logbook's and a results section's prose (benchmarks/README.md): a run
that "ran ~12% faster" is asked how fast it ran, one that "ran into a stale call" what it ran
into, and a step's data taking 1 ms or a measurement's "Speed:" label ask nothing; a heading
over prose that says "A factory reset ..." is asked with its article."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.questions import sentence_question
from tunelab.data.generate.template.written_pairs import definition


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # Each was asked "What did ... run?" or "Where did ... run?" of benchmarks/README.md.
        ("The third repetition ran ~12% faster for every row, the probe too.",
         "How fast did the third repetition run?"),
        ("The first repetition ran slow for all three, the other two at 153 and 140.",
         "How fast did the first repetition run?"),
        ("The baseline ran 1.3x slower than on the AMD kind, tunelab 2.1x.",
         "How fast did the baseline run?"),
        ("TRL ran 83 tok/s in the later run against 100 in the earlier.", "How fast did TRL run?"),
        ("`train_attention.py` ran into a stale call of `document_stats`; it is fixed.",
         "What did `train_attention.py` run into?"),
        # A place or a span of time is asked as before, and a speed with its condition when.
        ("The job ran on the GPU.", "Where did the job run?"),
        ("The job ran for 2 hours.", "How long did the job run?"),
        ("The fan spins faster during a firmware update.", "When does the fan spin faster?"),
    ],
)  # fmt: skip
def test_how_a_run_went_is_asked_as_said(sentence, question):
    assert sentence_question(sentence) == question


def test_data_takes_no_time_of_its_own_and_a_measurement_s_label_is_no_term():
    # README's "The data takes 1 ms." (of a step's parts) was asked "How long does the data take?"
    assert sentence_question("The data takes 1 ms.") is None
    assert sentence_question("The data takes 2 minutes to load.") == (
        "How long does the data take to load?"
    )
    assert sentence_question("The upload takes 2 minutes.") == "How long does the upload take?"
    # benchmarks/README.md's timing paragraph was asked "What is speed?".
    timing = "Speed: `data check` on 10,000 rows, before 425, 330, 404, 644 rows/s, after 323."
    assert definition(timing, timing) is None


def test_a_heading_s_thing_is_asked_with_the_article_its_prose_gives(tmp_path: Path):
    manual = tmp_path / "r5.md"
    manual.write_text(
        "# Beacon R5 Router\n\nThe Beacon R5 is a home Wi-Fi router.\n\n## Factory reset\n\n"
        "A factory reset erases every setting and restores the firmware's defaults.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["What is a factory reset?"].startswith("A factory reset erases every setting")
    assert "What is factory reset?" not in pairs
