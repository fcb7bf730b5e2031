"""`heading_question`: what template mode asks of a heading, given the first sentence of its
section (how to do a task, what a named thing is, what a command does), names written as the
section writes them."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.headings import heading_question


@pytest.mark.parametrize(
    ("headings", "question"),
    [
        (["Guide", "Installing the CLI"], "How do I install the CLI?"),
        (["Guide", "Configuring a run"], "How do I configure a run?"),
        (["Guide", "How to resume a stopped run"], "How do I resume a stopped run?"),
        (["Acme guide", "Installation"], "How do I install Acme?"),
        (["Guide", "Loss is NaN"], "What should I do when loss is NaN?"),
        (["Guide", "LoRA"], "What is LoRA?"),
        (["Guide", "Checkpoints"], "What are checkpoints?"),
        (["Guide", "Which models can I use?"], "Which models can I use?"),
        # A heading that reads as a reported question is asked in a question's order
        (["Guide", "How facts are measured"], "How are facts measured?"),
        (["Guide", "Where a decoding step goes"], "Where does a decoding step go?"),
        (["tunelab", "How it works"], "How does tunelab work?"),
        (["Guide", "How the agent picks a server"], "How does the agent pick a server?"),
        (["Guide", "What limits the speed"], "What limits the speed?"),
        # ... but not where the question word heads its own phrase or a clause follows it
        (["Guide", "Which model is best"], "Which model is best?"),
        (["Guide", "How much memory is needed"], "How much memory is needed?"),
        # ("How long a run takes" is put in order: test_data_generate_garbled.py)
        (["Guide", "What happens when loss is NaN"], "What happens when loss is NaN?"),
        (["Guide", "What happens when a run fails"], "What happens when a run fails?"),
        (["Guide", "What the agent is"], "What is the agent?"),
        (["Guide", "Glossary"], None),
        (["Guide", "Frequently Asked Questions"], None),  # its entries are the questions
        (["tunelab", "The two commands"], "What are the two commands?"),
        (["tunelab", "Using it"], "How do I use tunelab?"),
        # "it" is the title only where the title is a name: not "What limits a small model facts?"
        (["Teaching a small model facts: what we measured", "What limits it"], None),
        (["The course data set, end to end", "Chat with it"], None),
        (["Acme Sync Agent", "Using it"], "How do I use Acme Sync Agent?"),  # Title Case: a name
        (["tunelab", "Human evaluation: `tunelab rate`"], "What does `tunelab rate` do?"),
        (["tunelab", "Did it learn the facts? `tunelab eval`"], "Did it learn the facts?"),
        # A question after a label is asked only if it is a sentence; else the label is asked
        (
            ["tunelab", "Serving: `tunelab serve`, or the export?"],
            "How does serving work in tunelab?",
        ),
        (["tunelab", "Resuming: can a stopped run go on?"], "Can a stopped run go on?"),
        (["tunelab", "Log-probabilities from serve"], "What are log-probabilities from serve?"),
        (["tunelab", "Experiment trackers: `train.report_to`"], "What does `train.report_to` do?"),
        # Only a lone command after a colon is asked what it does: not "What does `tunelab plan`
        # against measured peaks — `plan_check.py` do?"
        (["Guide", "Memory: `tunelab plan` against peaks — `plan.py`"], "What is memory?"),
        (["Guide", "Measured"], None),
        # A step's number and an aside in brackets are no part of the question: not
        # "What is 3. Split off a test set (5 s)?"
        (["Guide", "2. Check the data (6 s)"], "How do I check the data?"),
        (["Guide", "3. Split off a test set (5 s)"], "How do I split off a test set?"),
        (["Guide", "The demo data set (until 2026-12-03)"], "What is the demo data set?"),
        (["Guide", "2. Background"], "What is background?"),
        # A heading that states something asks nothing: not "What is imports run one way?"
        (["Guide", "Imports run one way"], None),
        # A lone verb names a task with no object to ask about: not "What is reproduce?"
        (["Guide", "Reproduce"], None),
        (["Guide", "Verify"], None),
        # A title's word for what the document covers is no part of the product's name: not
        # "What does Ferrylog Installation require?"
        (["Ferrylog Installation Guide", "Requirements"], "What does Ferrylog require?"),
        (["Ferrylog Installation Guide", "Upgrade"], "How do I upgrade Ferrylog?"),
        (["Ferrylog Configuration", "Usage"], "How do I use Ferrylog?"),
        (["Ferrylog CLI reference", "Usage"], "How do I use Ferrylog CLI?"),  # the CLI is a thing
        # A heading's emoji is decoration: not "What is retention 🚀?"
        (["Ferrylog", "Retention 🚀"], "What is retention?"),
        (["✨ Ferrylog ✨", "🛠️ Installation"], "How do I install Ferrylog?"),
        # A lone verb with no noun above it to act on: not "How do I export?"
        (["Guide", "Export"], None),
        (["tunelab", "Quick tour", "Build"], None),
        (["tunelab", "Install"], "How do I install tunelab?"),
        (["tunelab", "Configure"], "How do I configure tunelab?"),
        # A step's verb that is not a command's: not "What is look at what will be trained?"
        (["Guide", "1. Look at what will be trained"], "How do I look at what will be trained?"),
        # "it" after a verb is the product the task is done with: not "What is chat with tunelab?"
        (["tunelab", "Chat with it"], "How do I chat with tunelab?"),
        (["tunelab", "3. Chat with it"], "How do I chat with tunelab?"),
        (["Acme Sync Agent", "Keep it running"], "How do I keep Acme Sync Agent running?"),
        (["Guide", "Models"], "What are models?"),
        # A manual's plain nouns ask about its product: not "What are ports?"
        (["Ferrylog", "Ports"], "What ports does Ferrylog use?"),
        (["Ferrylog", "Limits"], "What are the limits of Ferrylog?"),
        (["Ferrylog", "Environment variables"], "What environment variables does Ferrylog read?"),
        (["Guide", "The backups expire after a week"], None),
        (["Guide", "Uploads fail with HB-408"], "What should I do when uploads fail with HB-408?"),
        # A problem said as a sentence: not "What should I do about logs arrive late?"
        (["Troubleshooting", "Logs arrive late"], "What should I do when logs arrive late?"),
        (["Troubleshooting", "Requests time out"], "What should I do when requests time out?"),
        # ... and a thing and what it does: not "What should I do about search returns ...?"
        (
            ["Troubleshooting", "Search returns no results"],
            "What should I do when search returns no results?",
        ),
        (
            ["Troubleshooting", "The sync stops at 99%"],
            "What should I do when the sync stops at 99%?",
        ),
        (
            ["Troubleshooting", "The sync engine stops at 99%"],
            "What should I do when the sync engine stops at 99%?",
        ),
        (["Troubleshooting", "Agent logs"], "What should I do about agent logs?"),
        # A manual's "Setup" over its steps: not "What is setup?", which no step answers.
        (["Harborline Agent", "Setup"], "How do I set up Harborline Agent?"),
        (["Troubleshooting", "Slow uploads"], "What should I do about slow uploads?"),
        (["Troubleshooting", "Logs from the agent"], "What should I do about logs from the agent?"),
        (["Title A"], "What is title A?"),  # not "How do I title A?": "A" names, not determines
        (["Manual", "Appendix A"], "What is appendix A?"),
        (["Manual", "Select All"], "How do I select all?"),  # "all" stands alone
        (["Manual", "Restoring Files"], "How do I restore files?"),
        (["Manual", "Configuring Log Rotation"], "How do I configure log rotation?"),
        # A Title Case heading is asked in one case: not "What is log Rotation?"
        (["Manual", "Log Rotation"], "What is log rotation?"),
        (["Manual", "GPU Memory"], "What is GPU memory?"),
        (["Manual", "Windows Support"], "What is Windows support?"),
        (["Manual", "Quality of Service"], "What is quality of service?"),
        (["Manual", "Ferrytrack Agent"], "What is Ferrytrack Agent?"),  # not a word: a name
        # A verb before a noun, no determiner: a thing ("How do I rate limits?" was asked)
        (["API", "Rate Limits"], "What are rate limits?"),
        (["API", "Install Packages"], "How do I install packages?"),
        (["API", "Rate the answers"], "How do I rate the answers?"),
        # A kind of the act, not its object: nobody exports a format ("How do I export formats?")
        (["Manual", "Export Formats"], "What are export formats?"),
        (["Manual", "Run Modes"], "What are run modes?"),
        (["Manual", "Install Options"], "What are install options?"),
        (["Manual", "Export the formats"], "How do I export the formats?"),
        (["Manual", "Set Options"], "How do I set options?"),
        # The head noun comes before any preposition: not "What is measurements over time?"
        (["Guide", "Measurements over time"], "What are measurements over time?"),
        (["Guide", "Results per model"], "What are results per model?"),
        (
            ["Guide", "Throughput figures until 2026-12-04"],
            "What are throughput figures until 2026-12-04?",
        ),
        (["Guide", "Changes since 4.0"], "What are changes since 4.0?"),
        # The head noun comes before a clause that says what is done to it, and code stays code:
        # not "What are the recipe tunelab demo uses?"
        (["Guide", "The recipe `tunelab demo` uses"], "What is the recipe `tunelab demo` uses?"),
        (["Guide", "The file the agent writes"], "What is the file the agent writes?"),
        (["Guide", "Rules the engine follows"], "What are rules the engine follows?"),
    ],
)
def test_headings_become_the_questions_a_reader_would_ask(headings, question):
    assert heading_question(headings) == question


def test_a_document_named_with_an_underscore_is_asked_about_by_that_name():
    # "python_dateutil.rst" (its prose never writes the name): "How do I install pythondateutil?"
    context = "`dateutil` can be installed from PyPI using `pip`."
    assert heading_question(["Installation"], context, "python_dateutil") == (
        "How do I install python_dateutil?"
    )
    assert heading_question(["_Rich_ guide", "Installation"], "pip install rich") == (
        "How do I install Rich?"
    )


def test_a_name_and_what_it_is_after_a_comma_is_asked_of_the_name():
    # FastAPI's README: "**Typer**, the FastAPI of CLIs" asked "How do I typer, the FastAPI of
    # CLIs?", the name read as a verb before its object.
    context = "**Typer** is FastAPI's little sibling."
    assert heading_question(["FastAPI", "**Typer**, the FastAPI of CLIs"], context) == (
        "What is Typer?"
    )


def test_a_heading_its_section_names_after_an_article_is_a_thing_not_a_task():
    context = "The load balancer spreads requests over the replicas."
    assert heading_question(["Manual", "Load Balancer"], context) == "What is the load balancer?"
    assert heading_question(["Manual", "Load Data"], "Call load on it.") == "How do I load data?"
    # tqdm's "Monitoring thread, intervals and miniters" asked "How do I monitor thread, ...?"
    context = "A concurrent monitoring thread checks for overdue updates."
    assert heading_question(["tqdm", "Monitoring thread, intervals and miniters"], context) is None
    assert heading_question(["Ferrylog", "Monitoring uploads"], context) == (
        "How do I monitor uploads?"
    )


def test_a_word_of_the_product_name_its_section_writes_in_lower_case_is_lower_case():
    context = "The first sync uploads every file in the watched folders."
    heading = ["Harborline Sync Agent", "First Sync"]  # not "What is first Sync?"
    assert heading_question(heading, context) == "What is the first sync?"
    named = ["Harborline Sync Agent", "Use Harborline Sync Agent"]  # not "How do I Use ...?"
    assert heading_question(named, context) == "How do I use Harborline Sync Agent?"
    named = ["Acme Sync Agent", "Use Acme Sync Agent"]  # the whole name: not "Acme sync Agent"
    assert heading_question(named, context) == "How do I use Acme Sync Agent?"
    assert (
        heading_question(["Widget", "Widget Setup"], "Edit widget.yaml.") == "What is Widget setup?"
    )


def test_a_title_case_heading_its_section_names_mid_sentence_is_asked_as_written():
    context = "Start the Backup Tool from the menu; it copies the data folder nightly."
    # Said after "the" wherever the section says it, so asked so.
    assert heading_question(["Manual", "Backup Tool"], context) == "What is the Backup Tool?"
    assert heading_question(["Manual", "Backup Tool"], "It copies data.") == "What is backup tool?"


@pytest.mark.parametrize(
    "named",
    ["[Backup Tool](https://example.com/backup-tool)", "**Backup Tool**", "_Backup Tool_"],
)
def test_a_title_case_heading_in_a_link_or_bold_or_italics_mid_sentence_is_asked_as_written(named):
    # A one-word heading kept "[Click](...)" as a name's capital; a Title Case one lost it.
    context = f"Start the {named} from the menu; it copies the data folder nightly."
    # Said after "the" wherever the section says it, so asked so.
    assert heading_question(["Manual", "Backup Tool"], context) == "What is the Backup Tool?"


def test_a_one_word_name_in_italics_mid_sentence_keeps_its_capital():
    # "[Click](...)" and "**Click**" kept it; "_Click_" did not ("_" reads as a word's letter).
    italics = "Typer used to depend on _Click_ as well."
    assert heading_question(["Typer", "Dependencies", "Click code"], italics) == (
        "What is Click code?"
    )


def test_a_heading_that_is_a_command_asks_what_it_does():
    # "## `ferrylog check`" over "Checks that ..." asked "What is `ferrylog check`?".
    checks = "Checks that the agent can reach the collector."
    assert heading_question(["Ferrylog", "`ferrylog check`"], checks) == (
        "What does `ferrylog check` do?"
    )
    prints = "Prints the lines the agent ships."
    assert heading_question(["Ferrylog", "`tail`"], prints) == "What does `tail` do?"
    read = "The file the agent reads when it starts."
    assert heading_question(["Ferrylog", "`agent.toml`"], read) == "What is `agent.toml`?"


def test_a_gerund_heading_over_what_others_do_names_a_thing_not_a_task():
    # "How do I open hours?" and "How do I book rules?" were asked: the section says the studio
    # opens and members may book, never that the reader opens hours or books rules.
    hours = "The studio opens at 09:00 and closes at 21:00 every weekday."
    assert heading_question(["Clay Studio", "Opening hours"], hours) == "What are opening hours?"
    rules = "Members may book the kiln for up to 2 firings per week."
    assert heading_question(["Clay Studio", "Booking rules"], rules) == "What are booking rules?"
    # A task stays one where the section does it to the noun, or tells the reader to do it.
    restores = "Tunelab restores files from the last backup."
    assert heading_question(["Manual", "Restoring files"], restores) == "How do I restore files?"
    logs = "The app logs each entry. Log your hours each Friday."
    assert heading_question(["Manual", "Logging hours"], logs) == "How do I log hours?"


def test_a_section_of_opening_hours_is_asked_when_the_place_opens(tmp_path):
    doc = tmp_path / "studio.md"
    doc.write_text(f"# Clay Studio\n\n## Opening hours\n\n{OPENS}\n", encoding="utf-8")
    pairs = pairs_of(doc)
    assert pairs == {"When does the studio open?": OPENS}


OPENS = "The studio opens at 09:00 and closes at 21:00 every weekday."
