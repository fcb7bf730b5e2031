"""The questions a person would ask of a manual, one per fact: how long a thing takes, each limit
of a section of limits, a table row asked from its meaning, and "How do I ...?" under a task's
heading (a newcomer's pass on an invented manual, "Zephyrine", found each asked badly or not at
all)."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.questions import half_questions, sentence_question
from tunelab.data.generate.template.step_measures import how_far, set_with, when_to_stop


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


def test_each_limit_of_a_limits_section_is_asked_on_its_own_beside_the_bundle(tmp_path):
    # "What are the limits of Zephyrine?" asked three limits in one answer, and two of them
    # (12 terms, 600 requests per minute) in no question of their own.
    doc = tmp_path / "zephyrine.md"
    doc.write_text(
        "# Zephyrine\n\nZephyrine is a search appliance.\n\n## Limits\n\nA single query may "
        "contain at most 12 terms. The API allows 600 requests per minute per client. Query "
        "results are cached for 90 seconds.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What are the limits of Zephyrine?"].startswith("A single query may contain")
    assert pairs["How many terms may a single query contain?"] == (
        "A single query may contain at most 12 terms."
    )
    assert pairs["How many requests per minute does the API allow?"] == (
        "The API allows 600 requests per minute per client."
    )
    assert pairs["How long are query results cached?"] == "Query results are cached for 90 seconds."
    assert len(set(pairs.values())) == len(pairs)  # no pair twice
    # One sentence saying them all is the bundle: not asked again by its own question ("What
    # does yarl depend on?" and "What does YARL require?" had one answer).
    doc.write_text("# yarl\n\n## Dependencies\n\nYARL requires multidict and propcache.\n")
    assert list(pairs_of(doc)) == ["What does yarl depend on?"]


def test_each_item_of_a_limits_list_is_asked_on_its_own_the_first_too(tmp_path):
    # A router manual's "## Limits" list: its first item, 64 connected devices, was in no
    # question of its own (the second and third were), and its sentence was asked "How much
    # does the Beacon R5 support?".
    doc = tmp_path / "beacon.md"
    doc.write_text(
        "# Beacon R5 Router\n\nThe Beacon R5 is a home Wi-Fi router.\n\n## Limits\n\n"
        "- The Beacon R5 supports at most 64 connected devices.\n"
        "- The guest network allows at most 16 devices.\n"
        "- The Wi-Fi range is 40 metres indoors.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How many connected devices does the Beacon R5 support?"] == (
        "The Beacon R5 supports at most 64 connected devices."
    )
    assert pairs["How many devices does the guest network allow?"].endswith("16 devices.")
    assert "64 connected devices" in pairs["What are the limits of the Beacon R5?"]


def test_a_defaults_section_asks_for_all_its_defaults_and_each_one(tmp_path):
    # "## Defaults" asked "What are defaults?", answered by its first sentence alone, and the
    # default channel width was in no question of its own.
    doc = tmp_path / "beacon.md"
    doc.write_text(
        "# Beacon R5\n\nThe Beacon R5 is a home Wi-Fi router.\n\n## Defaults\n\nThe default "
        "channel width is 80 MHz. The DHCP lease time defaults to 24 hours.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What are the defaults of the Beacon R5?"] == (
        "The default channel width is 80 MHz. The DHCP lease time defaults to 24 hours."
    )
    assert pairs["What is the default channel width?"] == "The default channel width is 80 MHz."
    assert pairs["What does the DHCP lease time default to?"].endswith("24 hours.")


def test_a_section_stating_a_count_about_its_heading_asks_for_the_count(tmp_path):
    # "## Remote control" / "The remote control uses two AAA batteries." asked "What is the
    # remote control?", answered by the batteries: a count is one fact about it, not what it is.
    doc = tmp_path / "solis.md"
    doc.write_text(
        "# Solis H2\n\nThe Solis H2 is an electric patio heater.\n\n## Remote control\n\n"
        "The remote control uses two AAA batteries.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert "What is the remote control?" not in pairs
    assert pairs["What does the remote control use?"] == (
        "The remote control uses two AAA batteries."
    )


def test_a_requirement_said_of_it_after_the_name_is_asked_of_the_name(tmp_path):
    # "It runs on Debian 12 only." was asked only inside "What does Zephyrine require?": "It"
    # stood for the name only after "Zephyrine is a ...".
    doc = tmp_path / "install.md"
    doc.write_text(
        "# Installing Zephyrine\n\n## Requirements\n\nZephyrine requires Python 3.10 or later. "
        "It runs on Debian 12 only.\n\n## Notes\n\nThe service starts at boot. It logs to "
        "syslog.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["Where does Zephyrine run?"] == "Zephyrine runs on Debian 12 only."
    assert not [q for q in pairs if "service log" in q]  # "The" names no one thing's name
    # Past a sentence of other things, "It" may be any of them: yarl's "PyPI contains wheels
    # ... It requires a C compiler" was asked "What does PyPI require?".
    doc.write_text(
        "# yarl\n\n## Install\n\nPyPI contains binary wheels. Elsewhere the tarball is "
        "compiled from source. It requires a C compiler.\n"
    )
    assert not [q for q in pairs_of(doc) if "PyPI" in q]


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("The cache holds 500 entries.", "How many entries does the cache hold?"),
        ("The K7 supports up to 32 devices.", "How many devices does the K7 support?"),
        ("A user can upload 5 files at once.", "How many files can a user upload?"),
        ("The cache holds at most 1 GB.", "How much does the cache hold?"),  # a measure
        ("The upload may fail on slow links.", None),  # what might be, no limit
    ],
)  # fmt: skip
def test_a_count_of_things_after_a_verb_asks_how_many(sentence, question):
    assert sentence_question(sentence, sentence) == question


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


def test_a_table_row_is_asked_from_what_it_is_for_too(tmp_path):
    # "| `admin_port` | 7342 | Port of the admin console |" was asked only by the option's name,
    # which a reader who wants the admin console's port does not know.
    doc = tmp_path / "config.md"
    doc.write_text(
        "# Configuration\n\n| Option | Default | Meaning |\n|---|---|---|\n"
        "| `admin_port` | 7342 | Port of the admin console |\n"
        "| `crawl_interval` | 15 minutes | How often wiki pages are re-crawled |\n"
        "| `max_results` | 25 | Results returned per query |\n\nThe services listen on:\n\n"
        "| Service | Port |\n|---|---|\n| admin console | 8443 |\n| `zephyr-sync` | 7070 |\n"
    )
    pairs = pairs_of(doc)
    by_option = pairs["What is the default `admin_port`?"]
    assert pairs["What is the default port of the admin console?"] == by_option  # one fact
    assert by_option.startswith("The default `admin_port` is 7342.")
    assert pairs["How often are wiki pages re-crawled by default?"].startswith(
        "The default `crawl_interval` is 15 minutes."
    )
    assert len([q for q in pairs if "25" in pairs[q]]) == 1  # no question reads from its phrase
    # A two-column table's key in common words is said with "the" ("What is the port of admin
    # console?" was asked); code as written.
    assert (
        pairs["What is the port of the admin console?"] == "The port of the admin console is 8443."
    )
    assert pairs["What is the port of `zephyr-sync`?"] == "The port of `zephyr-sync` is 7070."


def test_a_product_named_with_its_model_number_is_a_subject():
    # "The AquaPure 300 weighs 4.2 kg." asked nothing: a subject ending in a number was read
    # as a count ("the first 100 rows"), so its weight was in no pair.
    assert sentence_question("The AquaPure 300 weighs 4.2 kg.") == (
        "How much does the AquaPure 300 weigh?"
    )
    assert sentence_question("The AquaPure 300 draws 20 W.") == (
        "How much power does the AquaPure 300 draw?"
    )


def test_a_distance_to_keep_is_asked_how_far(tmp_path):
    # A heater manual's "Keep the heater at least 1 metre from walls." was a step no rule
    # asked: its safety distance was in no pair.
    doc = tmp_path / "solis.md"
    doc.write_text(
        "# Solis H2\n\n## Safety\n\nKeep the heater at least 1 metre from walls. Keep your "
        "hands 20 cm away from the reflector. Keep it 2 m from curtains.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How far from walls should I keep the heater?"] == (
        "Keep the heater at least 1 metre from walls."
    )
    assert pairs["How far from the reflector should I keep my hands?"] == (
        "Keep your hands 20 cm away from the reflector."
    )
    assert not [q for q in pairs if "curtains" in q]  # "it": which thing, the text before says


def test_a_distance_a_thing_reaches_is_asked_how_far():
    # "The remote works up to 7 metres away." asked nothing ("works" takes no object), and
    # "reaches 40 metres" asked "How many metres ...?".
    assert sentence_question("The remote works up to 7 metres away.") == (
        "How far away does the remote work?"
    )
    assert sentence_question("The sensor reaches 40 metres.") == "How far does the sensor reach?"
    assert sentence_question("The warranty lasts 3 years.") == "How long does the warranty last?"
    # Every rule reads one list of distance units: inches and kilometres too.
    assert sentence_question("The cable reaches 30 inches.") == "How far does the cable reach?"
    assert how_far("Keep the drone at least 5 km from airports.") == (
        "How far from airports should I keep the drone?",
        "Keep the drone at least 5 km from airports.",
    )


@pytest.mark.parametrize(
    "line",
    ["This manual covers firmware 2.4.", "Applies to firmware 2.4 and later.", "Firmware: 2.4."],
)
def test_the_firmware_a_manual_covers_is_asked_of_that_products_manual(tmp_path, line):
    # The firmware line was in no pair, listed among the sentences stating a number no rule asks.
    # Asked of the product's manual: several manuals in one set each cover their own firmware.
    doc = tmp_path / "beacon.md"
    doc.write_text(
        f"# Beacon R5 Router\n\nThe Beacon R5 is a home Wi-Fi router.\n{line}\n\n## Limits\n\n"
        "The Beacon R5 supports at most 64 connected devices.\n",
        encoding="utf-8",
    )
    assert pairs_of(doc)["Which firmware does the Beacon R5 manual cover?"] == line


def test_a_span_of_time_a_thing_has_is_asked_how_long_it_is(tmp_path):
    # A printer manual's "The W200 has a 2-year limited warranty." was listed as a sentence
    # stating a number in no pair: "How long is the warranty?" had no answer to learn.
    doc = tmp_path / "w200.md"
    doc.write_text(
        "# Wrenfield W200\n\n## Warranty\n\nThe W200 has a 2-year limited warranty. Each plan "
        "comes with a 30-day trial. It has a 6-month warranty too.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How long is the warranty of the W200?"] == (
        "The W200 has a 2-year limited warranty."
    )
    assert pairs["How long is the trial of a plan?"] == "Each plan comes with a 30-day trial."
    assert not [q for q in pairs if "6-month" in pairs[q]]  # "It": which, the text before says


def test_a_statement_after_a_semicolon_is_asked_with_the_whole_sentence_as_answer(tmp_path):
    # "...; the tank holds 1.8 litres." was in no pair: the sentence as a whole asks nothing.
    manual = tmp_path / "kettle.md"
    manual.write_text(
        "# Brava Kettle\n\n## Before first use\n\nFill the tank up to the MAX line; the tank "
        "holds 1.8 litres.\n\n## Errors\n\nError 503 means the server is busy; Brava retries 3 "
        "times, 10 minutes apart.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How much does the tank hold?"] == (
        "Fill the tank up to the MAX line; the tank holds 1.8 litres."
    )
    assert "How many times does Brava Kettle retry?" in pairs
    # A clause with no number of its own, or a clause inside it, is left to the sentence.
    assert half_questions("The queue is full; new jobs wait.") == []
    assert half_questions("Runs vary; the run whose probe read 205 GFLOP/s reads 102%.") == []


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("Set the address with the notify_email key.", "Which key sets the address?"),
        ("Change your port with the `--port` option.", "Which option changes my port?"),
        ("Set it with the level key.", None),  # what "it" is, the text before says
        ("Set the address in the settings.", None),  # no key named
    ],
)  # fmt: skip
def test_a_step_that_sets_a_thing_with_a_key_asks_which_key(sentence, question):
    asked = set_with(sentence)
    assert (asked and asked[0]) == question
    assert asked is None or asked[1] == sentence


def test_when_to_stop_a_task_is_asked_of_the_heading_that_names_it(tmp_path):
    manual = tmp_path / "brava.md"
    manual.write_text(
        "# Brava Espresso Machine\n\n## Frothing milk\n\nFill a steel jug with cold milk.\n"
        "Turn the STEAM dial to the left.\nHold the wand tip just under the surface.\n"
        "Stop when the jug is too hot to touch, at about 65 °C.\n\n## Cleaning\n\n"
        "Wipe the wand.\n\n## Limits\n\nStop when the light goes out.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["When should I stop frothing milk?"] == (
        "Stop when the jug is too hot to touch, at about 65 °C."
    )
    # "Limits" names no task: stopping what, the reader could not tell.
    assert not [q for q in pairs if q.startswith("When should I stop")][1:]


def test_when_to_stop_asks_of_the_heading_s_task_without_its_aside_or_emoji():
    # "Frothing milk (optional)" was asked "When should I stop frothing milk (optional)?".
    said = "Stop when the jug is too hot to touch."
    for heading in ("Frothing milk (optional)", "Frothing milk 🥛"):
        assert when_to_stop(said, heading, said) == ("When should I stop frothing milk?", said)
