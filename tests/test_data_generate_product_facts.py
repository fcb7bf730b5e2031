"""A product manual's facts each become a question whose answer states them: "X of Y is Z", "Y
lasts N years", "Y speaks Z on port N", a measure after a verb, a step done for a purpose, a list
a sentence introduces; and a sentence no rule reads surely still gets none (a newcomer's manual of
a gateway, "K7", lost 7 of its ~20 facts: no question asked them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.headings import heading_question
from tunelab.data.generate.questions import sentence_question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A subject past six words that is one thing's property.
        ("The default IP address of the K7 is 192.168.1.50.",
         "What is the default IP address of the K7?"),
        ("The default password of the admin account is k7admin.",
         "What is the default password of the admin account?"),
        ("The operating temperature range of the K7 is -20 to 60 °C.",
         "What is the operating temperature range of the K7?"),
        # A verb with no object whose span of time is the fact.
        ("The warranty of the K7 lasts 3 years.", "How long does the warranty of the K7 last?"),
        ("The backup battery lasts up to 8 hours.", "How long does the backup battery last?"),
        # The port, after what is done on it.
        ("The K7 speaks Modbus TCP on port 502.", "Which port does the K7 speak Modbus TCP on?"),
        ("The web console uses HTTPS on port 8443.",
         "Which port does the web console use HTTPS on?"),
        # A measure where an object would be.
        ("The battery charges in 2 hours.", "How soon does the battery charge?"),
        ("Sessions expire after 15 minutes of inactivity.", "When do sessions expire?"),
        ("The fan spins at 3000 rpm.", "How fast does the fan spin?"),
        ("The fan shuts off at 40 °C.", None),  # "shuts off": a verb and its particle
        # The size a thing must have.
        ("Passwords must be at least 12 characters long.", "How long must passwords be?"),
        ("Names that hold spaces must be 12 characters long.", None),  # a clause's subject
        # Still nothing where no question reads well.
        ("The pump runs at 12 V.", None),  # not "Where does the pump run?"
        ("The battery lasts a long time.", None),  # no span to ask for
        ("The job goes 3 hours.", None),
        ("The 5.3 ms a layer of the profile was overhead.", None),  # no one thing's name
        ("The number of retries of the agent with a slow link is 3.", None),  # a clause
    ],
)  # fmt: skip
def test_a_manuals_fact_is_asked_so_that_its_answer_states_it(sentence, question):
    assert sentence_question(sentence) == question


MANUAL = """# K7 Manual

## Reset

Press and hold the reset button for 10 seconds to reset the K7 to factory settings.

## Interfaces

The K7 has the following ports:

- 2 Ethernet ports
- 1 RS-485 port

## Startup

Configure the gateway to start at boot. Add the key to the file. Press the button to stop it.
"""


def test_a_step_for_a_purpose_and_a_list_a_sentence_introduces_are_asked(tmp_path: Path):
    manual = tmp_path / "k7.md"
    manual.write_text(MANUAL, encoding="utf-8")
    pairs = pairs_of(manual)
    assert pairs["How do I reset the K7 to factory settings?"] == (
        "Press and hold the reset button for 10 seconds to reset the K7 to factory settings."
    )
    assert pairs["What ports does the K7 have?"] == (
        "The K7 has the following ports:\n- 2 Ethernet ports\n- 1 RS-485 port"
    )
    # "to start at boot" is what the gateway does, "to the file" a place, "stop it" leans on
    # what came before: none is a task to ask "How do I ...?" of.
    asked = " ".join(pairs)
    assert "start at boot" not in asked and "the file" not in asked and "stop" not in asked


def test_a_heading_its_section_says_with_the_is_asked_with_the():
    fan = "The fan spins at 3000 rpm. The fan starts when the case reaches 45 °C."
    assert heading_question(["K7 Manual", "Fan"], fan) == "What is the fan?"
    # A term the text opens a sentence with bare is asked bare.
    term = "Batch size is the number of rows a step reads. Lower the batch size if memory runs out."
    assert heading_question(["Tunelab", "Batch size"], term) == "What is batch size?"
