"""The questions a person would ask of a manual, one per fact: how long a thing takes, each limit
of a section of limits, a table row asked from its meaning, and "How do I ...?" under a task's
heading (a newcomer's pass on an invented manual, "Zephyrine", found each asked badly or not at
all)."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.questions import sentence_question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A span of time taken: how long, in any unit, with what it takes that long to do.
        ("The upgrade takes 2 days.", "How long does the upgrade take?"),
        ("The upgrade takes up to two weeks.", "How long does the upgrade take?"),
        ("Installation takes a few minutes.", "How long does installation take?"),
        ("Zephyrine takes about ten minutes to reindex the wiki.",
         "How long does Zephyrine take to reindex the wiki?"),
        # A thing taken at a time: how often ("What does Zephyrine take?" asked nothing).
        ("Zephyrine takes a snapshot of the index every night at 02:30.",
         "How often does Zephyrine take a snapshot of the index?"),
    ],
)  # fmt: skip
def test_a_sentence_saying_what_a_thing_takes_asks_how_long_or_how_often(sentence, question):
    assert sentence_question(sentence, sentence, "Zephyrine") == question


def test_a_task_s_gerund_heading_in_a_document_naming_no_product_asks_how_do_i(tmp_path):
    # "How does upgrading work?" asked of the steps to upgrade as of a mechanism.
    doc = tmp_path / "operations.md"
    doc.write_text(
        "## Upgrading\n\nRun the following command to upgrade:\n\n```\nsudo zephyrctl upgrade\n```"
        "\n\n## Logging\n\nLogs are written to `/var/log/zephyr.log`.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I upgrade?"].startswith("Run the following command to upgrade:")
    assert "How does logging work?" in pairs  # a topic, no task the reader does
