"""A product manual's facts each become a question whose answer states them: "X of Y is Z", "Y
lasts N years", "Y speaks Z on port N", a measure after a verb, a step done for a purpose, a list
a sentence introduces; and a sentence no rule reads surely still gets none (a newcomer's manual of
a gateway, "K7", lost 7 of its ~20 facts: no question asked them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.headings import heading_question
from tunelab.data.generate.template.questions import sentence_question


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
        # A default said in a word, no number in it (the log level was in no row).
        ("The default log level is WARNING.", "What is the default log level?"),
        ("The default output format is json.", "What is the default output format?"),
        ("The default database is Postgres 16.", "What is the default database?"),
        ("The default shell is Bash on Linux.", None),  # where it is so: more than the value
        # A verb with no object whose span of time is the fact.
        ("The warranty of the K7 lasts 3 years.", "How long does the warranty of the K7 last?"),
        ("The backup battery lasts up to 8 hours.", "How long does the backup battery last?"),
        # The port, after what is done on it.
        ("The K7 speaks Modbus TCP on port 502.", "Which port does the K7 speak Modbus TCP on?"),
        ("The web console uses HTTPS on port 8443.",
         "Which port does the web console use HTTPS on?"),
        # A measure where an object would be: how long a thing takes, not "How soon does the
        # battery charge?", and the word that says how kept ("fully").
        ("The battery charges in 2 hours.", "How long does the battery take to charge?"),
        ("The battery charges fully in 2 hours.",
         "How long does the battery take to charge fully?"),
        ("Sessions expire after 15 minutes of inactivity.", "When do sessions expire?"),
        ("The fan spins at 3000 rpm.", "How fast does the fan spin?"),
        # A verb and its particle, asked when, how long or at what measure they act.
        ("The fan shuts off at 40 °C.", "At what temperature does the fan shut off?"),
        ("The unit powers down after 10 minutes idle.", "When does the unit power down?"),
        ("The display turns on when the lid opens.", "When does the display turn on?"),
        ("The lamp starts up in under 2 seconds.", "How long does the lamp take to start up?"),
        ("The lamp heats up to 35 °C during use.", "To what temperature does the lamp heat up?"),
        ("Pairing times out after 60 seconds.", "When does pairing time out?"),
        ("The motor shuts off at 40 °C and restarts when it cools.",
         "At what temperature does the motor shut off?"),
        ("The pump moves up to 3,000 litres per hour.",
         "How many litres per hour does the pump move?"),  # at most, no particle
        ("The pump turns off.", None),  # when, the sentence does not say
        ("The K7 powers down after 10 minutes idle.", "When does the K7 power down?"),
        ("The git history goes back to 2007 when development moved.", None),  # 2007 asked with
        # A state said after a verb as a particle is.
        ("The screen goes dark after 20 seconds.", "When does the screen go dark?"),
        ("The LED turns green when the battery is full.", "When does the LED turn green?"),
        ("The script backs up the database.", "What does the script back up?"),
        # How often, where or how a thing must be done.
        ("The filter cartridge should be replaced every 6 months.",
         "How often should the filter cartridge be replaced?"),
        ("The unit must be switched off before cleaning.",
         "When must the unit be switched off?"),
        ("The key must be stored in the key store.", "Where must the key be stored?"),
        # Every one of a kind, and a denial of a subject with its clause.
        ("All files are encrypted with AES-256 before they leave the workstation.",
         "How are all files encrypted?"),
        ("Proxies that need NTLM authentication are not supported.",
         "Are proxies that need NTLM authentication supported?"),
        ("All of them are encrypted with AES-256.", None),  # leans on what came before
        # The size a thing must have.
        ("Passwords must be at least 12 characters long.", "How long must passwords be?"),
        ("A single file may be at most 200 MB.", "How large may a single file be?"),
        # What a thing does without: whether it does, not "What does the agent run?"
        ("The agent runs without root.", "Does the agent run without root?"),
        ("The merged model loads without peft and runs faster at inference time.",
         "Does the merged model load without peft?"),
        ("The agent never runs without a key.", None),
        # A place's noun saying which people: no place ("Where are pull requests limited?").
        ("Pull requests are limited to repository collaborators.", None),
        ("Backups are stored in the database files.", "Where are backups stored?"),
        ("A single file may be at most 200 pages.", None),  # of what, it does not say
        ("Names that hold spaces must be 12 characters long.", None),  # a clause's subject
        # A condition that is a measure crossed is asked by the measure: its answer is no time.
        ("Logs are rotated when they reach 50 MB.", "At what size are logs rotated?"),
        ("The agent compacts the index when it grows beyond 2 GB.",
         "At what size does the agent compact the index?"),
        ("The fan turns on when the temperature exceeds 40 °C.",
         "At what temperature does the fan turn on?"),
        ("Backups are paused when the disk is over 90% full.",
         "At what percentage are backups paused?"),
        ("The agent stops uploads when the queue holds more than 500 jobs.",
         "At how many jobs does the agent stop uploads?"),
        ("The cache is cleared when the agent restarts.", "When is the cache cleared?"),
        ("Updates are downloaded only when the router is idle.", "When are updates downloaded?"),
        # A verb no list holds, closing on when it acts; a place in an app's window.
        ("The router restarts after an update.", "When does the router restart?"),
        ("Automatic updates can be turned off in the Admin tab.",
         "Where can automatic updates be turned off?"),
        ("The session is closed when it is over 2 hours old.", "When is the session closed?"),
        # A unit that names its measure: at what voltage, not where (it asked nothing before).
        ("The pump runs at 12 V.", "At what voltage does the pump run?"),
        ("The pump runs at 2 A.", "At what current does the pump run?"),
        # Still nothing where no question reads well.
        ("The fan runs at 3 steps.", None),  # not "Where does the fan run?"
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


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # How often, where or how a thing can or must be done, never what leans on before.
        ("The filter can be cleaned with warm water.", "How can the filter be cleaned?"),
        ("The same can be achieved via `pypa/build`.", None),  # the same as what?
        ("Values can be followed by a comment.", None),  # not "How can values be followed?"
        ("The old interface will be supported indefinitely.", None),  # how, it does not say
        ("The dataset can be updated to include more files.", None),  # "to include": no place
    ],
)  # fmt: skip
def test_what_can_or_must_be_done_is_asked_only_as_the_sentence_says_it(sentence, question):
    assert sentence_question(sentence) == question


STEPS = """# AquaFlow P3 Manual

## Controls

Press Enter to continue. Click Next to finish. Set the dial to low.

## Maintenance

Clean the filter every 2 weeks. Check your hoses every month. Drain the tank every day!
"""


def test_a_ui_step_and_how_often_to_take_a_step_are_asked(tmp_path: Path):
    manual = tmp_path / "aquaflow.md"
    manual.write_text(STEPS, encoding="utf-8")
    pairs = pairs_of(manual)
    # A task of one word is asked in the product the manual names (test_data_generate_garbled.py).
    assert pairs["How do I continue in AquaFlow P3?"] == "Press Enter to continue."
    assert pairs["How do I finish in AquaFlow P3?"] == "Click Next to finish."
    assert pairs["How often should I clean the filter?"] == "Clean the filter every 2 weeks."
    assert pairs["How often should I check my hoses?"] == "Check your hoses every month."
    # A step that ends with "!" keeps it as its answer's end ("Drain the tank every day!." was one).
    assert pairs["How often should I drain the tank?"] == "Drain the tank every day!"
    # "to low" is the dial's value, not a task: no "How do I low?".
    assert not [q for q in pairs if q.endswith(" low?")]


SEARCH = """# Installing Zephyrine

Zephyrine is an internal search appliance built by the Platform team. It indexes wiki pages
and ticket comments and answers keyword queries over HTTP.

## Backups

Snapshots are kept for 14 days and are written to `/srv/backups/zephyrine`.

## Logging

Logs are written to `/var/log/zephyrine/zephyr.log` and rotated when they reach 50 MB.
"""


def test_each_fact_a_sentence_joins_with_and_is_asked_on_its_own(tmp_path: Path):
    manual = tmp_path / "zephyrine.md"
    manual.write_text(SEARCH, encoding="utf-8")
    pairs = pairs_of(manual)
    backups = "Snapshots are kept for 14 days and are written to `/srv/backups/zephyrine`."
    assert pairs["How long are snapshots kept?"] == backups
    assert pairs["Where are snapshots written?"] == backups
    # The heading's question answers with the sentence; its rotation is still asked alone.
    logs = "Logs are written to `/var/log/zephyrine/zephyr.log` and rotated when they reach 50 MB."
    assert pairs["At what size are logs rotated?"] == logs
    assert pairs["Where are logs written?"] == logs
    # "It" is the product the paragraph opened with; "wiki pages" is what it indexes.
    assert pairs["What does Zephyrine index?"] == (
        "Zephyrine indexes wiki pages and ticket comments and answers keyword queries over HTTP."
    )


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A gerund the dictionary lacks opening a sentence is an act, no name: lower-cased.
        ("Reindexing takes about 40 minutes.", "How long does reindexing take?"),
        # A noun saying which kind before a plural noun is the object's, no verb.
        ("Zephyrine indexes wiki pages.", "What does Zephyrine index?"),
        # A name or an acronym saying the kind, of one noun or two ("It indexes PDF and
        # Markdown files." was asked nothing), and a hedged count.
        ("Zephyrine indexes PDF and Markdown files.", "What does Zephyrine index?"),
        ("Zephyrine indexes up to 1,000 files per minute.",
         "How many files per minute does Zephyrine index?"),
        ("An empty declaration selects no imports.", None),  # how many, not which kind
    ],
)  # fmt: skip
def test_a_compound_object_and_a_sentence_opening_gerund_are_asked_as_said(sentence, question):
    assert sentence_question(sentence) == question
