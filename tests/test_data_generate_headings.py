"""Template mode's heading questions read well: a heading asks what a reader would (how to do a task,
what to do about a problem, what changed in a release) and is answered by what its section says
(which lines are headings: test_data_generate_heading_lines.py; what a question names:
test_data_generate_heading_subject.py)."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of


def test_a_section_led_by_a_statement_is_answered_and_a_bare_title_line_is_not(tmp_path):
    # "Support is available ..." was taken for a command (support: a verb) and the section gave
    # no pair; a plain-text file's title line answered "How do I use cli ...?".
    doc = tmp_path / "manual.md"
    doc.write_text(
        "# Harborline\n\n## Contact\n\nSupport is available by email at help@example.com.\n\n"
        "## Reset the broker\n\nRestart the broker with the reset flag.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I contact the Harborline team?"] == (
        "Support is available by email at help@example.com."
    )
    for title in ("Harborline CLI Reference", "Getting Started with the Harborline CLI",
                  "Harborline 命令行参考"):  # fmt: skip
        text = tmp_path / "cli.txt"
        text.write_text(f"{title}\n\nhlctl topic create NAME creates a topic.\n")
        assert title not in pairs_of(text).values()


def test_a_one_line_section_without_a_full_stop_is_still_its_answer(tmp_path):
    # The bare-title rule took "The default port is 8080" and "默认端口是 8080。" for titles.
    doc = tmp_path / "ports.md"
    doc.write_text(
        "# Ports\n\n## Default port\n\nThe default port is 8080\n\n## 默认端口\n\n默认端口是 8080。\n\n"
        "## Порт\n\nПорт по умолчанию 8080\n"
    )
    answers = set(pairs_of(doc).values())
    assert {"The default port is 8080", "默认端口是 8080。", "Порт по умолчанию 8080"} <= answers


def test_a_one_word_gerund_heading_is_a_topic_not_a_task():
    from tunelab.data.generate.template.headings import heading_question

    # "How do I pric?", "How do I network?": a topic read as a verb, cut to a wrong stem.
    assert (
        heading_question(["Pricing"], "text", "Harborline")
        == "How does pricing work in Harborline?"
    )
    assert heading_question(["Installing the agent"], "text", "x") == "How do I install the agent?"
    assert heading_question(["Installing"], "text", "Harborline") == "How do I install Harborline?"


def test_a_troubleshooting_section_is_answered_with_its_fix_and_problem_headings_ask_what_to_do(
    tmp_path,
):
    # From a newcomer's walk: the fix sentence after the cause was in no pair, a section opening
    # with a command gave none, "Rate limiting" was asked "How do I rate limiting?" and "Spool
    # directory keeps growing" "What is spool directory keeps growing?".
    doc = tmp_path / "t.md"
    doc.write_text(
        "# Troubleshooting\n\n## Uploads fail with error FT-401\n\nError FT-401 means the server "
        "rejected the certificate. The clock is probably wrong by more than 5 minutes.\n\n"
        "Enable NTP with `sudo timedatectl set-ntp true`.\n\n## The agent does not start\n\n"
        "Check `journalctl -u ftagent` for the reason. Most often the config has a typo.\n\n"
        "## Spool directory keeps growing\n\nRaise `upload_timeout` to 30 seconds.\n\n"
        "## Rate limiting\n\nThe server accepts 120 uploads per minute.\n"
    )
    pairs = pairs_of(doc)
    fix = pairs["What should I do when uploads fail with error FT-401?"]
    assert fix.endswith("Enable NTP with `sudo timedatectl set-ntp true`.")
    assert pairs["What should I do when the agent does not start?"].startswith("Check `journalctl")
    assert "What should I do when spool directory keeps growing?" in pairs
    assert pairs["How does rate limiting work?"] == "The server accepts 120 uploads per minute."


def test_a_changelog_release_asks_what_changed_and_is_answered_by_all_its_entries(tmp_path):
    # "What is 3.2.0 (2026-10-14)?" was answered by its first entry; the others were in no row.
    doc = tmp_path / "changelog.md"
    doc.write_text(
        "# Ferrytrack changelog\n\n## 3.2.0 (2026-10-14)\n\n- Added the `ftagent ping` command.\n"
        "- Certificates are now valid for 365 days.\n- Fixed a crash on an empty tag.\n"
    )
    assert pairs_of(doc)["What changed in Ferrytrack 3.2.0?"] == (
        "- Added the `ftagent ping` command.\n- Certificates are now valid for 365 days.\n"
        "- Fixed a crash on an empty tag."
    )


def test_an_intro_that_says_what_a_thing_is_answers_what_it_is_not_how_to_install_it(tmp_path):
    # "How do I install Ferrytrack Agent?" was answered "Ferrytrack Agent is our internal
    # shipment-tracking daemon."
    doc = tmp_path / "install.md"
    doc.write_text(
        "# Installing Ferrytrack Agent\n\nFerrytrack Agent is our internal tracking daemon. It "
        "runs on every gateway.\n\n## Install the package\n\nRun `sudo apt install ftagent`.\n"
    )
    pairs = pairs_of(doc)
    assert "How do I install Ferrytrack Agent?" not in pairs
    assert pairs["What is Ferrytrack Agent?"].startswith("Ferrytrack Agent is our internal")
    assert pairs["How do I install the package?"] == "Run `sudo apt install ftagent`."


def test_a_release_dated_by_month_and_an_error_code_heading_ask_what_a_reader_would():
    from tunelab.data.generate.template.headings import heading_question

    # "What is version 4.2.0 (March 2025)?" left every entry after the first in no pair.
    assert heading_question(["Changelog", "Version 4.2.0 (March 2025)"]) == "What changed in 4.2.0?"
    assert heading_question(["Agent changelog", "4.2.0 - March 14, 2025"]) == (
        "What changed in Agent 4.2.0?"
    )
    assert heading_question(["Guide", "Error HB-401 after changing your password"]) == (
        "What should I do about error HB-401 after changing your password?"
    )
    assert heading_question(["Guide", "Error handling"]) == "What is error handling?"


def test_a_numbered_step_opening_with_any_verb_asks_how_to_do_it(tmp_path):
    # "1. Look at what will be trained" asked "What is look at what will be trained?", and the
    # section gave no pair at all.
    doc = tmp_path / "tour.md"
    doc.write_text(
        "# tunelab\n\ntunelab finetunes small models.\n\n## 1. Look at what will be trained\n\n"
        "Run `tunelab data show` to see the first rows.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I look at what will be trained?"].startswith("Run `tunelab data show`")


def test_a_step_s_label_asks_its_task_and_never_which_step_it_is():
    from tunelab.data.generate.template.headings import heading_question

    # MLflow's evaluation guide: "## Step 2: Reuse and register scorers" asked "What is step 2?",
    # which every numbered guide has, and its answer none of them.
    assert heading_question(["Evaluation", "Step 2: Reuse and register scorers"]) == (
        "How do I reuse and register scorers?"
    )
    assert heading_question(["Evaluation", "Step 3 - Discover and bind data"]) == (
        "How do I discover and bind data?"
    )
    assert heading_question(["Evaluation", "Step 1"]) is None
    assert heading_question(["Evaluation", "Step 4: The dry-run contract"]) is None


def test_a_document_s_credits_ask_nothing_and_its_citation_asks_how_to_cite_it():
    from tunelab.data.generate.template.headings import heading_question

    # numpy.ma's README and lm-eval's task pages: "What are thanks?", "What is citation?".
    for heading in ("Thanks", "Acknowledgements", "Acknowledgments", "Credits", "Revision notes"):
        assert heading_question(["Harborline", heading], "text") is None, heading
    assert heading_question(["Harborline", "Citation"], "text") == "How do I cite Harborline?"
    assert heading_question(["Harborline", "Paper"], "text") == "What paper describes Harborline?"
    # Nor is a dated entry of a revision list a term: "What is 08/25/2007?"
    from tunelab.data.generate.template.written_pairs import definition

    assert definition("08/25/2007 : Creation of this page", "") is None


def test_a_what_is_heading_over_a_task_s_step_asks_nothing_and_the_step_is_asked_how(tmp_path):
    # "What is network?" was answered "To set a proxy, add ...": a step says how to do a task,
    # not what the heading names.
    doc = tmp_path / "ferrylog.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Network\n\n"
        "To set a proxy, add `HTTPS_PROXY` to the environment.\n"
    )
    pairs = pairs_of(doc)
    assert "What is network?" not in pairs
    assert pairs["How do I set a proxy?"] == "Add `HTTPS_PROXY` to the environment."


@pytest.mark.parametrize(
    "body, answer",
    [
        (  # one limit a paragraph
            "Lines may be at most 64 KB long; longer lines are cut.\n\n"
            "The agent follows at most 256 files at once.\n",
            "Lines may be at most 64 KB long; longer lines are cut. "
            "The agent follows at most 256 files at once.",
        ),
        (  # a lead and the list of limits after it
            "Ferrylog has two limits.\n\n- Lines are cut at 64 KB.\n- At most 256 files.\n",
            "Ferrylog has two limits.\n- Lines are cut at 64 KB.\n- At most 256 files.",
        ),
    ],
)
def test_a_question_asking_for_several_things_is_answered_by_all_the_section_says(
    tmp_path, body, answer
):
    # "What are the limits of Ferrylog?" was answered by the first limit alone.
    doc = tmp_path / "ferrylog.md"
    doc.write_text(f"# Ferrylog\n\nFerrylog ships logs.\n\n## Limits\n\n{body}")
    assert pairs_of(doc)["What are the limits of Ferrylog?"] == answer


def test_a_plural_heading_over_an_essay_is_answered_by_its_lead(tmp_path):
    # Only a question asking for a product's limits, ports or features takes every paragraph.
    doc = tmp_path / "recipes.md"
    doc.write_text(
        "# Results\n\n## Recipes\n\nEvery recipe uses the same data order and the same seed.\n\n"
        "Minutes were measured on a 2-core CPU under load, so they compare recipes only roughly.\n"
    )
    assert pairs_of(doc)["What are recipes?"] == (
        "Every recipe uses the same data order and the same seed."
    )


def test_what_a_heading_names_is_answered_only_by_a_sentence_about_it(tmp_path):
    # typer's README: "What is Click code?" was answered "Typer used to depend on Click as
    # well, ...", and rich's "What is compatibility?" "Rich works with Linux, macOS and
    # Windows.": any sentence no rule asks about was taken for a definition.
    doc = tmp_path / "typer.md"
    doc.write_text(
        "# Typer\n\nTyper builds CLIs.\n\n## Click code\n\n"
        "Typer used to depend on [Click](https://click.palletsprojects.com/) as well, a popular "
        "tool for building CLIs in Python.\n\n## Compatibility\n\n"
        "Typer works with Linux, macOS and Windows.\n\n"
        # What the heading names as the subject, or said to be something: still its answer.
        "## The agent\n\nThe agent tails the log files and ships each new line.\n\n"
        "## Recipes\n\nA recipe is a config file and the data it trains on.\n"
    )
    pairs = pairs_of(doc)
    assert "What is Click code?" not in pairs
    assert "What is compatibility?" not in pairs
    assert pairs["What is the agent?"] == "The agent tails the log files and ships each new line."
    assert pairs["What are recipes?"] == "A recipe is a config file and the data it trains on."
    assert pairs["What is Typer?"] == "Typer builds CLIs."
