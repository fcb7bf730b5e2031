"""What a heading's question names: the product (not a common word, a gerund, a filler title or the
title's word for what the document covers), the platform or object its parent heading or section
says, written with the name's own capitals."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of


def test_a_topic_question_names_a_product_not_a_common_word_or_a_gerund():
    # "How does spooling work in Configuration?" and "What does Installing Ferrytrack Agent
    # require?", from a newcomer's docs.
    from tunelab.data.generate.template.headings import heading_question

    assert heading_question(["Configuration reference", "Spooling"]) == "How does spooling work?"
    assert heading_question(["Tunelab guide", "Pricing"]) == "How does pricing work in Tunelab?"
    assert heading_question(["Installing Ferrytrack Agent", "Requirements"]) == (
        "What does Ferrytrack Agent require?"
    )


def test_a_lone_verb_heading_asks_about_what_its_parent_heading_names_or_asks_nothing(tmp_path):
    # "### Export" under "## Models" asked "How do I export?", which names nothing exported.
    doc = tmp_path / "manual.md"
    doc.write_text(
        "# tunelab\n\ntunelab finetunes small models.\n\n## Models\n\n"
        "tunelab reads a model from a folder.\n\n### Export\n\n"
        "Write the model as a GGUF file with `tunelab export`.\n\n"
        "## Quick tour\n\n### Build\n\nRun `make` in the checkout.\n\n"
        "## Upgrade\n\nRun `pip install -U tunelab` to get the newest release.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I export models in tunelab?"].startswith("Write the model as a GGUF")
    assert pairs["How do I upgrade tunelab?"].startswith("Run `pip install -U tunelab`")
    assert not [q for q in pairs if q in ("How do I export?", "How do I build?")]
    assert not [q for q in pairs if "quick tour" in q.lower()]  # no model built: no object


def test_it_after_a_heading_s_verb_is_the_product_the_task_is_done_with(tmp_path):
    # "## Chat with it" under "# tunelab" asked "What is chat with tunelab?" and gave no pair.
    doc = tmp_path / "tour.md"
    doc.write_text(
        "# tunelab\n\ntunelab finetunes small models.\n\n## Chat with it\n\n"
        "Start a chat with `tunelab chat runs/run1`.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I chat with tunelab?"] == "Start a chat with `tunelab chat runs/run1`."


def test_a_title_s_word_for_what_the_document_covers_is_not_asked_as_the_product(tmp_path):
    # Each question named "Ferrylog Installation", a product nobody ships.
    doc = tmp_path / "install.md"
    doc.write_text(
        "# Ferrylog Installation Guide\n\nFerrylog is a small log shipping daemon.\n\n"
        "## Upgrade\n\nRun `sudo apt install --only-upgrade ferrylog` to get the newest release.\n"
    )
    assert list(pairs_of(doc)) == ["What is Ferrylog?", "How do I upgrade Ferrylog?"]


def test_a_lone_verb_heading_takes_its_object_from_what_its_section_says_it_acts_on(tmp_path):
    # "## Reload" gave no pair: "What is reload?" is no question, and its lead is a command.
    doc = tmp_path / "config.md"
    doc.write_text(
        "# Configuring Ferrylog\n\nThe agent reads `agent.toml` when it starts.\n\n## Reload\n\n"
        "Send `SIGHUP` to reload the configuration without a restart.\n\n## Restart\n\n"
        "Run `systemctl restart ferrylogd` to restart your agent and its spool.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I reload the configuration?"].startswith("Send `SIGHUP` to reload")
    assert pairs["How do I restart my agent?"].startswith("Run `systemctl restart")


def test_a_generic_heading_under_a_platform_asks_about_that_platform(tmp_path):
    # Both "### Installation" sections asked "How do I install Ferrylog?": the macOS one was
    # dropped as a repeat, and the Linux answer stood for every platform.
    doc = tmp_path / "platforms.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Linux\n\n### Installation\n\n"
        "Install the deb package with `sudo dpkg -i ferrylog.deb`.\n\n## macOS\n\n"
        "### Installation\n\nInstall it with Homebrew: `brew install ferrylog`.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I install Ferrylog on Linux?"].startswith("Install the deb package")
    assert pairs["How do I install Ferrylog on macOS?"].startswith("Install it with Homebrew")


@pytest.mark.parametrize("title", ["Guide", "Documentation", "Manual", "README", "Overview"])
def test_a_filler_title_is_not_the_product_a_generic_heading_asks_about(title):
    from tunelab.data.generate.template.headings import heading_question

    # "# Guide" then "## Install" asked "How do I install Guide?".
    assert heading_question([title, "Install"], "Run pip install ferrylog.") is None
    # As with no title: the file's name, where it names something.
    assert heading_question([title, "Install"], "", "ferrylog") == "How do I install ferrylog?"
    untitled = heading_question(["Installing"], "", "guide")  # "How does installing work?"
    assert heading_question([title, "Installing"], "", "guide") == untitled
    assert heading_question([f"Ferrylog {title}", "Install"]) == "How do I install Ferrylog?"


def test_a_name_in_a_heading_keeps_its_capital_though_its_link_writes_it_in_lower_case():
    from tunelab.data.generate.template.headings import heading_question

    # typer's "Click code" was asked "What is click code?": "click.palletsprojects.com" in the
    # link was read as the word written in lower case.
    click = "Typer used to depend on [Click](https://click.palletsprojects.com/) as well."
    assert heading_question(["Typer", "Dependencies", "Click code"], click) == (
        "What is Click code?"
    )
    # A word the prose itself writes in lower case is an ordinary word.
    rich = "Render rich text in the terminal with [Rich](https://rich.readthedocs.io/)."
    assert heading_question(["Rich", "Rich text"], rich) == "What is rich text?"


def test_a_file_named_in_ordinary_words_its_prose_never_writes_is_not_asked_about(tmp_path):
    # operations.rst and install-guide.md with no title: "How do I upgrade operations?", "How do
    # I install install-guide?". The product their prose names is asked about instead.
    guide = tmp_path / "install-guide.md"
    guide.write_text(
        "Zephyrine is an internal search appliance.\n\n## Install\n\n"
        "Run `sudo dpkg -i zephyrine.deb`.\n\n## Upgrading\n\nRun `zephyrctl upgrade`.\n"
    )
    assert {"How do I install Zephyrine?", "How do I upgrade Zephyrine?"} <= set(pairs_of(guide))
    # Naming no product, it asks without one.
    ops = tmp_path / "operations.md"
    ops.write_text("## Limits\n\nThe API allows 600 requests per minute.\n\n## Logging\n\nLogs "
                   "are written to `/var/log/app.log`. Logs rotate at 50 MB.\n")  # fmt: skip
    asked = set(pairs_of(ops))
    assert "How does logging work?" in asked
    assert not [q for q in asked if "operations" in q]
    # A file's name that is no ordinary word names the product, as before ("yarl.md").
    yarl = tmp_path / "yarl.md"
    yarl.write_text("## Installation\n\nRun `pip install yarl`.\n")
    assert "How do I install yarl?" in pairs_of(yarl)
