"""Template mode's questions read well: grammatical, one per fact, answered by the sentences that
answer them (code only when the question asks for a command), on the fixture documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelab.data.chunking import chunk_document, document_text
from tunelab.data.generate.questions import sentence_question
from tunelab.data.generate.template_qa import template_pairs

DOCS = Path(__file__).parent / "fixtures" / "docs"
README = Path(__file__).parent.parent / "README.md"


def pairs_of(path: Path) -> dict[str, str]:
    """Each question with its first answer in the document."""
    pairs: dict[str, str] = {}
    for chunk in chunk_document(path):
        for q, a in template_pairs(chunk):
            pairs.setdefault(q, a)
    return pairs


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("`make test-fast` skips the few tests marked slow.", "What does `make test-fast` skip?"),
        ("The loop is in `tunelab/train/loop.py`, written out.", "Where is the loop?"),
        ("The whole demo took 8.3 minutes on 2 cores.", "How long did the whole demo take?"),
        ("A checkpoint is loaded with `weights_only=True`.", "How is a checkpoint loaded?"),
        ("Context recall was 51% on the demo.", "What was context recall?"),
        ("The output projection runs only on trained positions.", "Where does the output projection run?"),
        ("`tunelab eval` then reports fact accuracy and recall.", "What does `tunelab eval` report?"),
        ("`tunelab demo` asks some questions, finetunes it and asks again.", "What does `tunelab demo` do?"),
        ("Several GPUs can train one model with torchrun.", "What can several GPUs do?"),
        ("It listens on 127.0.0.1:8000 and answers like OpenAI.", None),  # what is "it"?
        ("With a key, every request needs the header.", None),  # a clause before the subject
        ("The overlap scores are computed as papers report.", "How are the overlap scores computed?"),
        ("A test row can say what a correct answer must state:", None),  # introduces an example
        ("Whoever holds the key can fill the queue.", None),
        ("Just run it again with the flag.", None),  # an adverb, then a verb: no subject
        # From a newcomer's docs: each was no pair at all, silently.
        ("IPv6 is not supported in version 3.8.", "Is IPv6 supported in version 3.8?"),
        ("Windows is not supported in version 3.8.", "Is Windows supported in version 3.8?"),
        ("Docker is not required.", "Is Docker required?"),  # names the dictionary knows
        ("Python is required to run the installer.", "What is Python required for?"),
        ("The spool holds at most 1 GB of events.", "How much does the spool hold?"),  # no place
        ("Ferrytrack Agent is our internal tracking daemon.", "What is Ferrytrack Agent?"),
        ("The token is used for pushing to the hub.", "What is the token used for?"),
        ("The default data directory is /var/lib/harborline.",
         "What is the default data directory?"),
        ("The admin contact is ops@harbor.example.", "What is the admin contact?"),
        # A tail with its own clause would be asked too, and the question ask the opposite.
        ("Root access is not needed because the installer runs per user.", None),
        ("Docker is not required and neither is Kubernetes.", None),
        # A changelog's and a guide's facts (each was no pair).
        ("The `--retries` option defaults to 3.", "What does the `--retries` option default to?"),
        ("The request timeout is now 15 seconds.", "What is the request timeout?"),
        ("The cache is always in ~/.cache/tunelab.", "Where is the cache?"),
        # A state is asked yes or no, as its negation is: not "How are glob patterns allowed?"
        ("Glob patterns such as `/var/log/app/*.log` are allowed.",
         "Are glob patterns such as `/var/log/app/*.log` allowed?"),
        ("Comments are allowed in the config file.", "Are comments allowed in the config file?"),
        ("IPv6 is supported in version 3.9.", "Is IPv6 supported in version 3.9?"),
        # Its tail with a clause of its own is not asked, as a negation's is not.
        ("Comments are allowed in the config file, but only at the start of a line.", None),
        ("IPv6 is supported in version 3.9 because the parser reads it.", None),
        # A condition is what the sentence tells: not "What does the agent stop?"
        ("The agent stops if the disk is full.", "When does the agent stop?"),
        ("The agent retries a batch when the collector is down.",
         "When does the agent retry a batch?"),
        ("`ferrylog check` exits with code 3 when the collector cannot be reached.",
         "When does `ferrylog check` exit with code 3?"),
        # "if" after a verb of finding out is "whether": what is checked, not when.
        ("The agent checks if the file exists.", "What does the agent check?"),
        ("The installer asks you if a service should be made.", "What does the installer ask?"),
        ("The installer asks for a password if the key is missing.",
         "When does the installer ask for a password?"),
        # Done to a path: where, not "How is the log written?"
        ("The log is written to `/var/log/ferrylog.log`.", "Where is the log written?"),
        ("Backups are saved in ~/backups by the agent.", "Where are backups saved?"),
    ],
)  # fmt: skip
def test_a_plain_statement_becomes_the_question_it_answers(sentence, question):
    assert sentence_question(sentence) == question


def test_answers_are_the_sentences_that_answer_and_code_comes_only_with_commands():
    pairs = pairs_of(DOCS / "guide.md")
    # The section's lead (two sentences, the first being short), not the whole section.
    assert pairs["How do I resume a stopped run?"] == (
        "Run the same command again with `--resume`. Tunelab reads the last checkpoint in "
        "`runs/<name>/checkpoints/` and continues from the step it reached, with the same data order."
    )
    assert (
        "```" in pairs["How do I install Tunelab?"]
        and "pip install tunelab" in pairs["How do I install Tunelab?"]
    )
    assert "```" not in pairs["What should I do when loss is NaN?"]
    assert pairs["What should I do when loss is NaN?"].startswith("The learning rate is too high")


def test_one_pair_per_fact_not_one_per_section():
    pairs = pairs_of(DOCS / "guide.md")
    configuring = [q for q in pairs if pairs[q].split(":")[0] in ("max_length", "packing")]
    assert sorted(configuring) == ["What is max_length?", "What is packing?"]
    assert pairs["What is learning rate?"].startswith("Learning rate: How far each")
    assert all(len(a.split()) < 60 for q, a in pairs.items() if "```" not in a)


def test_imperative_headings_faq_entries_and_table_rows_read_as_a_person_wrote_them(tmp_path):
    from tunelab.data.generate.headings import heading_question

    assert heading_question(["Manual", "Reset the router"]) == "How do I reset the router?"
    assert heading_question(["Manual", "Clean your lens"]) == "How do I clean my lens?"
    assert not heading_question(["Manual", "Under the hood"]).startswith("How do I")
    assert heading_question(["Manual", "Focus the camera"]) == "How do I focus the camera?"
    doc = tmp_path / "manual.md"
    doc.write_text(
        "# Gadget\n\n## FAQ\n\n**Q:** How long does the battery last?\n"
        "**A:** About 12 hours of normal use.\n**Q:** Is it waterproof?\n**A:** No, keep it\n"
        "out of the rain.\n\nQ: Does it float?\nA: Yes.\n\n- Q: What color is it? A: Black.\n"
    )
    assert pairs_of(doc) == {
        "How long does the battery last?": "About 12 hours of normal use.",
        "Is it waterproof?": "No, keep it out of the rain.",
        "Does it float?": "Yes.",
        "What color is it?": "Black.",
    }
    page = tmp_path / "widget.html"
    page.write_text(
        "<h1>Widget</h1><h2>Configure Widget</h2><table><tr><th>Key</th><th>Default</th></tr>"
        "<tr><td>timeout</td><td>30</td></tr></table><p>Set these in widget.yaml first.</p>"
    )
    assert pairs_of(page)["How do I configure Widget?"] == "Set these in widget.yaml first."
    # In code an entry is an example of a format, not a pair; the prose after the code stays.
    formats = tmp_path / "formats.md"
    formats.write_text(
        "# Data\n\n## Format\n\nWrite each row as below.\n\n```text\nQ: What is the capital of "
        "France?\nA: Paris\n```\n\nThe model learns the format.\n"
    )
    pairs = pairs_of(formats)
    assert "What is the capital of France?" not in pairs
    assert pairs["What does the model learn?"] == "The model learns the format."
    # A longer fence shows a shorter one: all of it is code, none of it a question.
    nested = tmp_path / "nested.md"
    nested.write_text(
        "# Docs\n\n## Show a fence\n\nWrite it as below.\n\n````markdown\n```\n"
        "The cache is stored in `~/.cache/tunelab`.\n```\n````\n\nThe fence stays whole.\n"
    )
    pairs = pairs_of(nested)
    assert not any("cache" in q for q in pairs)
    assert pairs["How do I show a fence?"].endswith("```\n````")


def test_on_the_readme_every_question_is_a_sentence_that_asks_one_thing():
    pairs = pairs_of(README)
    assert len(pairs) >= 25
    readme = README.read_text(encoding="utf-8")
    for question, answer in pairs.items():
        assert question.endswith("?") and question[0].isupper(), question
        if f"Q: {question}" in readme:
            continue  # an FAQ entry's own question, as the document asks it
        assert not question.startswith(("What is using", "What is the two", "What is them"))
        assert answer.count("\n") <= 20, question  # a code block at most, never a whole section
    assert pairs["What are the two commands?"].startswith("```bash\nmake demo")
    assert "What does `make test-fast` skip?" in pairs


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


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("The support team answers within 4 business hours.", "How soon does the support team answer?"),
        ("The job starts in 5 minutes.", "How soon does the job start?"),
        ("The broker runs in Docker.", "Where does the broker run?"),
    ],
)  # fmt: skip
def test_a_span_of_time_is_asked_how_soon_not_where(sentence, question):
    assert sentence_question(sentence) == question


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
    from tunelab.data.generate.headings import heading_question

    # "How do I pric?", "How do I network?": a topic read as a verb, cut to a wrong stem.
    assert (
        heading_question(["Pricing"], "text", "Harborline")
        == "How does pricing work in Harborline?"
    )
    assert heading_question(["Installing the agent"], "text", "x") == "How do I install the agent?"
    assert heading_question(["Installing"], "text", "Harborline") == "How do I install Harborline?"


def test_an_html_pages_inline_code_and_links_read_as_its_markdown_would(tmp_path):
    # Every inline element was set apart by spaces: "Run pip install harbor ." answered, its
    # command no longer code, and "Harbor 's agent" read.
    page = tmp_path / "harbor.html"
    page.write_text(
        "<h1>Harbor</h1><h2>Installing the agent</h2><p>Run <code>pip install harbor</code>."
        "</p><h2>Uploads</h2><p><b>Harbor</b>'s agent uploads logs to <a href=x>the server</a>,"
        " every<br>hour.</p><ul><li><p>One</p><p>Two</p></li></ul>"
    )
    pairs = pairs_of(page)
    assert pairs["How do I install the agent?"] == "Run `pip install harbor`."
    assert "Harbor's agent uploads logs to the server, every hour." in document_text(page)
    assert "- One Two" in document_text(page)


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


def test_an_options_table_and_a_two_column_table_give_a_pair_a_row(tmp_path):
    # A newcomer's options table (defaults) and limits table made no pair, and no warning said
    # their numbers were in no row.
    doc = tmp_path / "config.md"
    doc.write_text(
        "# Configuration\n\nThe agent reads `agent.toml` at startup.\n\n"
        "| Option | Default | Description |\n|---|---|---|\n"
        "| `poll_interval` | 15 | Seconds between two scans. |\n| `max_retries` | 5 | |\n\n"
        "## Limits\n\n| Limit | Value |\n|---|---|\n| Readers per gateway | 16 |\n\n"
        "## Speed\n\n| mode | pairs | time |\n|---|---|---|\n| template | 94 | 0.2 s |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What is the default `poll_interval`?"] == (
        "The default `poll_interval` is 15. `poll_interval`: Seconds between two scans."
    )
    assert pairs["What is the default `max_retries`?"] == "The default `max_retries` is 5."
    assert pairs["What is the value of Readers per gateway?"].endswith("is 16.")
    assert not any("template" in q for q in pairs)  # a table of results asks nothing


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


def test_a_topic_question_names_a_product_not_a_common_word_or_a_gerund():
    # "How does spooling work in Configuration?" and "What does Installing Ferrytrack Agent
    # require?", from a newcomer's docs.
    from tunelab.data.generate.headings import heading_question

    assert heading_question(["Configuration reference", "Spooling"]) == "How does spooling work?"
    assert heading_question(["Tunelab guide", "Pricing"]) == "How does pricing work in Tunelab?"
    assert heading_question(["Installing Ferrytrack Agent", "Requirements"]) == (
        "What does Ferrytrack Agent require?"
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


def test_an_faq_of_bold_questions_gives_its_pairs(tmp_path):
    # "**Is Gizmo free?**" then its answer gave no pair (only "Q:" / "A:" entries did).
    doc = tmp_path / "faq.md"
    doc.write_text(
        "# Gizmo FAQ\n\n**Is Gizmo free?**\nYes, for teams of up to 5 people.\n\n"
        "**Does Gizmo support Windows?** No, Windows is not supported; use Linux or macOS.\n\n"
        "- **Can I export my data?**\n  Yes, as CSV from the settings page.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["Is Gizmo free?"] == "Yes, for teams of up to 5 people."
    assert pairs["Does Gizmo support Windows?"].startswith("No, Windows is not supported")
    assert pairs["Can I export my data?"] == "Yes, as CSV from the settings page."


def test_a_task_s_steps_are_its_answer_and_a_troubleshooting_heading_asks_what_to_do(tmp_path):
    # From a walk: "How do I reset the router?" was answered by its first step alone, "To update
    # the firmware:" by itself, and "High CPU usage" under Troubleshooting was asked "What is ...?".
    doc = tmp_path / "router.md"
    doc.write_text(
        "# Acme Router Manual\n\n## Resetting the router\n\n1. Unplug the power cable.\n"
        "2. Hold the reset button for 10 seconds.\n3. Plug the cable back in.\n\n"
        "## Updating the firmware\n\nTo update the firmware:\n\n- Download the image.\n"
        "- Choose the file under Settings.\n\n## Troubleshooting\n\n### High CPU usage\n\n"
        "The traffic analyzer causes it. Turn it off under Settings.\n\n"
        "### No internet after reset\n\nCheck that the WAN cable is in the blue port.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I reset the router?"] == (
        "1. Unplug the power cable.\n2. Hold the reset button for 10 seconds.\n"
        "3. Plug the cable back in."
    )
    assert pairs["How do I update the firmware?"] == (
        "To update the firmware:\n- Download the image.\n- Choose the file under Settings."
    )
    assert pairs["What should I do about high CPU usage?"].endswith("under Settings.")
    assert "What should I do when there is no internet after reset?" in pairs


def test_steps_after_an_intro_a_to_do_list_and_a_requirements_table_all_make_pairs(tmp_path):
    # From a walk over a product manual: the steps after "Pairing links..." and under "To add an
    # exclusion rule:" were in no pair, each step became a question ("What did enter the vault
    # address your administrator give?"), an options table's heading was answered by the prose
    # after it, and the "Recommended" column of a requirements table was dropped.
    doc = tmp_path / "agent.md"
    doc.write_text(
        "# Harborline Agent: Getting Started\n\n## Pair a workstation\n\nPairing links a "
        "workstation to one vault.\n\n1. Open the tray icon.\n2. Enter the code your "
        "administrator gave you.\n\n## Exclusions\n\nRules stop uploads of matching files."
        "\n\nTo add an exclusion rule:\n\n1. Open `exclude.txt`.\n2. Run `harborline reload` "
        "so the agent reads the new rules.\n\n## Options\n\n| Option | Default |\n|---|---|\n"
        "| `retries` | 5 |\n\nThe timeout defaults to 30 seconds.\n\n## Requirements\n\n"
        "| Item | Minimum | Recommended |\n|---|---|---|\n| Memory | 4 GB | 8 GB |\n\n"
        "## Uninstalling\n\nUninstalling keeps your files in the vault.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I pair a workstation?"] == (
        "Pairing links a workstation to one vault.\n1. Open the tray icon.\n"
        "2. Enter the code your administrator gave you."
    )
    assert pairs["How do I add an exclusion rule?"].splitlines() == [
        "To add an exclusion rule:",
        "1. Open `exclude.txt`.",
        "2. Run `harborline reload` so the agent reads the new rules.",
    ]
    assert not [q for q in pairs if "enter" in q.lower() or "run `" in q.lower()]
    assert "What are options?" not in pairs
    assert pairs["What does the timeout default to?"] == "The timeout defaults to 30 seconds."
    assert pairs["What is the minimum memory?"] == "The minimum memory is 4 GB."
    assert pairs["What is the recommended memory?"] == "The recommended memory is 8 GB."
    assert "How does uninstalling work in Harborline Agent?" in pairs  # not "...: Getting Started"


def test_a_release_dated_by_month_and_an_error_code_heading_ask_what_a_reader_would():
    from tunelab.data.generate.headings import heading_question

    # "What is version 4.2.0 (March 2025)?" left every entry after the first in no pair.
    assert heading_question(["Changelog", "Version 4.2.0 (March 2025)"]) == "What changed in 4.2.0?"
    assert heading_question(["Agent changelog", "4.2.0 - March 14, 2025"]) == (
        "What changed in Agent 4.2.0?"
    )
    assert heading_question(["Guide", "Error HB-401 after changing your password"]) == (
        "What should I do about error HB-401 after changing your password?"
    )
    assert heading_question(["Guide", "Error handling"]) == "What is error handling?"


def test_a_plain_text_document_s_headings_and_how_long_and_how_often(tmp_path):
    # From a walk over a .txt troubleshooting page: its heading lines were read as sentences
    # ("What is fix?", "How does collecting log?"), 4 of its 6 problems in no pair; "Logs are
    # kept for 14 days" asked "How are logs kept?".
    doc = tmp_path / "troubleshooting.txt"
    doc.write_text(
        "TROUBLESHOOTING\n\nUploads fail with error HB-408\nCause: an upload took longer than "
        "upload_timeout.\nFix: raise upload_timeout to 120 seconds.\n\nThe tray icon is grey\n"
        "The agent service is not running. Start it with `harborline start`.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What should I do when uploads fail with error HB-408?"] == (
        "Cause: an upload took longer than upload_timeout. Fix: raise upload_timeout to 120 "
        "seconds."
    )
    assert pairs["What should I do when the tray icon is grey?"].startswith("The agent service")
    assert "What is fix?" not in pairs and "What is cause?" not in pairs
    from tunelab.data.generate.questions import sentence_question

    assert sentence_question("Logs are kept for 14 days.") == "How long are logs kept?"
    assert sentence_question("The agent checks the schedule every 60 seconds.") == (
        "How often does the agent check the schedule?"
    )


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # From the docs-to-facts benchmark: facts template mode asked nothing about.
        ("The agent never uploads files larger than 20 GB.", "What does the agent never upload?"),
        ("The pairing code expires after 10 minutes.", "When does the pairing code expire?"),
        (
            "The first sync of 50 GB takes about 3 hours.",
            "How long does the first sync of 50 GB take?",
        ),
        ("The agent uploads changed files.", "What does the agent upload?"),
        # A subject too long to ask about whole: what is so by default.
        (
            "Temporary files ending in `.tmp` and `.partial` are excluded by default.",
            "What is excluded by default?",
        ),
        ("Telemetry is disabled by default.", "What is disabled by default?"),
    ],
)
def test_a_negated_verb_a_wait_and_a_rough_time_are_asked_as_said(sentence, question):
    assert sentence_question(sentence) == question


def test_it_stands_for_the_name_its_paragraph_opened_with_and_a_note_is_its_statement(tmp_path):
    doc = tmp_path / "agent.md"
    doc.write_text(
        "# Agent\n\n## About\n\nHarborline Agent is a background service that copies files "
        "from a workstation to a storage vault. It runs on Windows 10 or later.\n\nNote: The agent never uploads files larger than "
        "20 GB.\n"
    )
    pairs = pairs_of(doc)
    assert (
        pairs["Where does Harborline Agent run?"] == "Harborline Agent runs on Windows 10 or later."
    )
    assert pairs["What does the agent never upload?"] == (
        "The agent never uploads files larger than 20 GB."
    )


def test_a_hard_wrapped_paragraph_keeps_its_first_line_and_a_noun_verb_opens_a_statement(
    tmp_path,
):
    from tunelab.data.chunking import plain_headings
    from tunelab.data.generate.section_answer import commands

    wrapped = (
        "The agent synchronizes configuration folders between\nmachines every sixty seconds.\n"
    )
    assert plain_headings(wrapped) == wrapped.rstrip("\n")
    # "sync" and "scan" are verbs too (added for "The agent syncs ..."): a statement still.
    assert not commands("Sync logs are kept for 14 days.", False)
    assert commands("Run `harborline reload` so the agent reads the rules.", False)


@pytest.mark.parametrize(
    "text",
    [
        # Two short lines of one sentence, the second longer: no heading (a walk's .txt).
        "The sync agent runs every\n60 seconds on each device and uploads what changed since.\n",
        "Harborline keeps logs for\nfourteen days and then deletes the oldest of them itself.\n",
    ],
)
def test_a_sentence_wrapped_after_a_few_words_is_no_heading(text):
    from tunelab.data.chunking import plain_headings

    assert plain_headings(text) == text.rstrip("\n")


def test_a_short_line_over_a_sentence_or_a_label_is_still_a_heading():
    from tunelab.data.chunking import plain_headings

    assert plain_headings("Collecting logs\nThe agent writes its logs to a folder per day.\n") == (
        "## Collecting logs\nThe agent writes its logs to a folder per day."
    )
    assert plain_headings("Uploads fail with error HB-408\nCause: the vault is full.\n") == (
        "## Uploads fail with error HB-408\nCause: the vault is full."
    )


def test_a_manual_s_title_range_column_and_bold_faq_read_as_a_user_wrote_them(tmp_path):
    # A user walk: "Brewmate 2 User Manual" asked "What is Brewmate 2 User?", a table's range
    # column made no pair, and bold FAQ questions were listed as numbers "in no answer".
    from tunelab.data.generate.template_qa import prose_sentences

    doc = tmp_path / "manual.md"
    doc.write_text(
        "# Brewmate 2 User Manual\n\nBrewmate 2 is a smart coffee grinder.\n\n## Settings\n\n"
        "| setting | default | range |\n|---|---|---|\n| grind size | 12 | 1–40 |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What is Brewmate 2?"] == "Brewmate 2 is a smart coffee grinder."
    assert pairs["What is the range of grind size?"] == "The range of grind size is 1–40."
    assert pairs["What is the default grind size?"] == "The default grind size is 12."
    faq = tmp_path / "faq.md"
    faq.write_text("# FAQ\n\n**Is the Brewmate 2 dishwasher safe?**\nNo, rinse it by hand.\n")
    chunks = chunk_document(faq)
    assert not [s for c in chunks for s in prose_sentences(c) if "Brewmate 2" in s]


def test_each_template_pair_cites_the_line_its_answer_is_on(tmp_path):
    # A user walk: every FAQ pair was cited at the FAQ's first line, every table row at its
    # section's heading.
    import json

    from tunelab.data.generate.documents import GenerateConfig, generate_dataset

    doc = tmp_path / "faq.md"
    doc.write_text(
        "# FAQ\n\n**How long is the warranty?**\nThe warranty lasts 3 years.\n\n"
        "**What voltage does it use?**\nIt uses 220 V in Europe.\n\n## Settings\n\n"
        "| setting | default |\n|---|---|\n| grind_size | 12 |\n| dose_grams | 18 |\n"
    )
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="template")
    generate_dataset(config, None, progress=False)
    where = {
        row["question"]: row["meta"]["location"].rsplit(":", 1)[1]
        for row in map(json.loads, out.read_text().splitlines())
    }
    assert where["How long is the warranty?"] == "4"
    assert where["What voltage does it use?"] == "7"
    assert where["What is the default dose_grams?"] == "14"


def test_a_table_cells_markup_is_not_an_answers_and_a_requirement_list_is_answered_whole(tmp_path):
    # "The default log_level is **info**." and "What does Backup Tool require?" answered by
    # the first of its list's items alone.
    doc = tmp_path / "tool.md"
    doc.write_text(
        "# Backup Tool Guide\n\nBackupTool copies your files every night.\n\n## Requirements\n\n"
        "- Python 3.10 or newer\n- At least 2 GB of free disk space\n\n## Options\n\n"
        "| Option | Default | Description |\n|---|---|---|\n| log_level | **info** | Verbosity |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What is the default log_level?"].startswith("The default log_level is info.")
    required = next(a for q, a in pairs.items() if q.startswith("What does") and "require" in q)
    assert "Python 3.10" in required and "2 GB of free disk space" in required


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


def test_a_problem_s_answer_keeps_the_command_between_its_cause_and_its_fix(tmp_path):
    # "Test the connection:" was answered without the command it introduces, then the fix.
    doc = tmp_path / "troubleshooting.md"
    doc.write_text(
        "# Troubleshooting\n\n## Spool keeps growing\n\nThe collector is probably unreachable. "
        "Test the connection:\n\n```bash\nferrylog check --collector\n```\n\n"
        "If the check fails, open port 7411 in your firewall.\n\n## Uploads fail\n\n"
        "The token expired. Try these:\n\n1. Log out.\n2. Log in again.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What should I do when spool keeps growing?"] == (
        "The collector is probably unreachable. Test the connection:\n\n"
        "```bash\nferrylog check --collector\n```\n\n"
        "If the check fails, open port 7411 in your firewall."
    )
    # Its steps once, as a list: they were said twice, run into the lead's line and listed
    assert pairs["What should I do when uploads fail?"] == (
        "The token expired. Try these:\n1. Log out.\n2. Log in again."
    )


def test_a_plural_heading_over_a_list_is_answered_by_all_of_it(tmp_path):
    # "What are limits?" was answered by the first limit alone, and the others were in no row.
    doc = tmp_path / "config.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Limits\n\n"
        "- A single log line may be at most 64 KB long; longer lines are cut.\n"
        "- The agent follows at most 256 files at once.\n"
    )
    answer = next(a for q, a in pairs_of(doc).items() if "limits" in q)
    assert answer == (
        "- A single log line may be at most 64 KB long; longer lines are cut.\n"
        "- The agent follows at most 256 files at once."
    )


def test_a_heading_over_definitions_is_answered_by_all_and_each_is_still_asked(tmp_path):
    # Its heading was answered by FERRYLOG_DEBUG's line alone, which then
    # had no "What is FERRYLOG_DEBUG?" of its own.
    doc = tmp_path / "config.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Environment variables\n\n"
        "FERRYLOG_DEBUG: Set to 1 to log every batch the agent sends.\n"
        "FERRYLOG_CONFIG: Path of the configuration file, if not the default.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What environment variables does Ferrylog read?"] == (
        "FERRYLOG_DEBUG: Set to 1 to log every batch the agent sends.\n"
        "FERRYLOG_CONFIG: Path of the configuration file, if not the default."
    )
    assert pairs["What is FERRYLOG_DEBUG?"].startswith("FERRYLOG_DEBUG: Set to 1")
    assert pairs["What is FERRYLOG_CONFIG?"].startswith("FERRYLOG_CONFIG: Path")


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


def test_a_section_that_is_a_table_its_rows_ask_nothing_of_is_answered_by_the_table(tmp_path):
    # "## Ports" over a table of three columns gave no pair: its ports were in no row.
    doc = tmp_path / "install.md"
    table = (
        "| Port | Protocol | Used by |\n|------|----------|---------|\n"
        "| 7410 | HTTP | health checks |\n| 7411 | TLS | log shipping |"
    )
    doc.write_text(f"# Ferrylog\n\nFerrylog ships logs from servers.\n\n## Ports\n\n{table}\n")
    assert pairs_of(doc)["What ports does Ferrylog use?"] == table


def test_a_table_of_meanings_asks_what_each_row_means_and_says_it_once(tmp_path):
    # Each row was asked "What is the meaning of 3?" and answered "The meaning of 3 is Collector
    # unreachable. 3: Collector unreachable", its meaning twice.
    doc = tmp_path / "cli.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Exit codes\n\n| Code | Meaning |\n|---|---|\n"
        "| 0 | Everything is fine |\n| 3 | Collector unreachable |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What does code 3 mean?"] == "Code 3 means Collector unreachable."
    assert pairs["What does code 0 mean?"] == "Code 0 means Everything is fine."


def test_a_quoted_note_is_asked_as_its_statement(tmp_path):
    # "> **Note:** ..." kept its quote mark, so its label stayed and no question was asked.
    doc = tmp_path / "cli.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Checks\n\nThe agent checks its collector.\n\n"
        "> **Note:** The check gives up after 10 seconds.\n> Rerun it with `--timeout`.\n"
    )
    pairs = pairs_of(doc)
    assert "The check gives up after 10 seconds." in pairs.values()
    assert not [a for a in pairs.values() if a.startswith(">")]


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


def test_an_admonition_s_marker_is_no_part_of_its_statement(tmp_path):
    # MkDocs' `!!! warning "Disk usage"` and GitHub's `> [!NOTE]` were read into the sentence
    # after them, which then asked nothing.
    doc = tmp_path / "retention.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Disk\n\nThe collector stores batches.\n\n"
        '!!! warning "Disk usage"\n    The spool holds at most 2 GB of batches.\n\n'
        "> [!NOTE]\n> The archive holds at most 9 GB of batches.\n"
    )
    answers = pairs_of(doc).values()
    assert "The spool holds at most 2 GB of batches." in answers
    assert "The archive holds at most 9 GB of batches." in answers


def test_a_details_block_that_asks_is_an_faq_entry_and_html_tags_are_no_prose(tmp_path):
    # "<details> <summary>Why 14 days?</summary> Most incidents ... </details>" was a sentence
    # of tags, and "<br>" stayed in the answer it was in.
    doc = tmp_path / "retention.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog keeps batches for 14 days.<br>\n\n## Why\n\n<details>\n"
        "<summary>Why 14 days?</summary>\nMost incidents are looked at within two weeks.\n"
        "</details>\n\n<details><summary>Show the log</summary>\n\n"
        "The log is written to `/var/log/ferrylog.log`.\n\n</details>\n"
    )
    pairs = pairs_of(doc)
    assert pairs["Why 14 days?"] == "Most incidents are looked at within two weeks."
    assert pairs["What is Ferrylog?"] == "Ferrylog keeps batches for 14 days."
    assert "The log is written to `/var/log/ferrylog.log`." in pairs.values()
    assert not [a for a in pairs.values() if "<" in a]


def test_a_yes_or_no_question_of_a_statement_is_answered_yes_and_kept(tmp_path):
    # "Are comments allowed in the config file?" answered by the sentence alone was dropped by
    # the quality filters as an answer that restates its question: its fact was in no row.
    import json

    from tunelab.data.generate.documents import generate_dataset
    from tunelab.data.generate.shared import GenerateConfig

    doc = tmp_path / "config.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Sources\n\nThe agent follows log files.\n\n"
        "Comments are allowed in the config file.\n"
    )
    out = tmp_path / "qa.jsonl"
    generate_dataset(GenerateConfig(docs=[str(doc)], output=str(out)), progress=False)
    pairs = {r["question"]: r["answer"] for r in map(json.loads, out.read_text().splitlines())}
    assert pairs["Are comments allowed in the config file?"] == (
        "Yes. Comments are allowed in the config file."
    )


def test_a_task_s_steps_keep_the_commands_each_step_introduces(tmp_path):
    # "How do I install the agent?" was answered "1. Download the package:" and no more: the
    # list ended at the first step's code block.
    doc = tmp_path / "install.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Installing the agent\n\n"
        "1. Download the package:\n\n   ```bash\n   curl -O https://example.com/f.deb\n   ```\n\n"
        "2. Install it:\n\n   ```bash\n   sudo dpkg -i f.deb\n   ```\n\n"
        "3. Start the service with `sudo systemctl start ferrylogd`.\n"
    )
    answer = pairs_of(doc)["How do I install the agent?"]
    assert answer.startswith("1. Download the package:\n")
    assert "curl -O https://example.com/f.deb" in answer and "sudo dpkg -i f.deb" in answer
    assert answer.endswith("3. Start the service with `sudo systemctl start ferrylogd`.")


def test_a_step_keeps_its_code_though_its_line_does_not_end_in_a_colon(tmp_path):
    # "1. Download the package" then its command, indented under it: the answer was the step
    # alone, its code and every later step dropped, as the fix for "...:" steps did not reach it.
    doc = tmp_path / "install.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Installing the agent\n\n"
        "1. Download the package\n   ```\n   curl -O https://example.com/f.deb\n   ```\n"
        "2. Install it with dpkg\n\n```\nsudo dpkg -i f.deb\n```\n\n"
        "3. Start the service.\n\n```\nferrylog --version  # an example, after the steps\n```\n"
    )
    answer = pairs_of(doc)["How do I install the agent?"]
    assert answer.startswith("1. Download the package\n") and "curl -O" in answer
    assert "sudo dpkg -i f.deb" in answer  # code between two steps is the earlier step's
    assert answer.endswith("3. Start the service.")  # code after the last one may be anything


def test_rst_inline_code_reads_as_markdown_code_in_answers(tmp_path):
    # ``pip install ferrylog`` kept its double backticks: the answers of one project's .rst and
    # .md documents wrote the same command two ways.
    doc = tmp_path / "install.rst"
    doc.write_text(
        "Ferrylog\n========\n\nInstall\n-------\n\n"
        "Run ``pip install ferrylog`` to install the agent on any machine.\n\n"
        "The agent reads ``/etc/ferrylog.toml`` at start.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I install Ferrylog?"] == (
        "Run `pip install ferrylog` to install the agent on any machine."
    )
    assert pairs["What does the agent read?"] == "The agent reads `/etc/ferrylog.toml` at start."
    # Markdown's double backticks around code that holds one stay as written.
    from tunelab.data.generate.blocks import clean

    assert clean("Names are quoted as `` `name` `` in logs.") == (
        "Names are quoted as `` `name` `` in logs."
    )


@pytest.mark.parametrize("title", ["Guide", "Documentation", "Manual", "README", "Overview"])
def test_a_filler_title_is_not_the_product_a_generic_heading_asks_about(title):
    from tunelab.data.generate.headings import heading_question

    # "# Guide" then "## Install" asked "How do I install Guide?".
    assert heading_question([title, "Install"], "Run pip install ferrylog.") is None
    # As with no title: the file's name, where it names something.
    assert heading_question([title, "Install"], "", "ferrylog") == "How do I install ferrylog?"
    untitled = heading_question(["Installing"], "", "guide")  # "How does installing work?"
    assert heading_question([title, "Installing"], "", "guide") == untitled
    assert heading_question([f"Ferrylog {title}", "Install"]) == "How do I install Ferrylog?"


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("Your API key is stored in `~/.ferrylog/key`.", "Where is my API key stored?"),
        ("Your logs are kept for 14 days.", "How long are my logs kept?"),
        ("Your token expires after 10 minutes.", "When does my token expire?"),
        ("Your settings are not synced.", "Are my settings synced?"),
        ("Your data never leaves your machine.", "What does my data never leave?"),
    ],
)
def test_a_statement_about_the_reader_s_own_thing_is_asked_as_mine(sentence, question):
    # "Your ..." was read as leaning on what came before, as "Their ..." does, and never asked;
    # the reader's own thing needs no sentence before it, and a reader asks about "my" one.
    assert sentence_question(sentence) == question


def test_a_thing_said_to_be_done_and_nothing_more_is_asked_yes_or_no(tmp_path):
    # "How is my configuration in `/etc/ferrylog.toml` kept?" asked how, which it does not say.
    said = "Your configuration in `/etc/ferrylog.toml` is kept."
    assert sentence_question(said) == "Is my configuration in `/etc/ferrylog.toml` kept?"
    assert sentence_question("Old releases are removed.") == "Are old releases removed?"
    # Said for how long or where: asked so.
    assert sentence_question("Logs are kept for 14 days.") == "How long are logs kept?"
    assert sentence_question("The log is written to `/var/log/x`.") == "Where is the log written?"
    doc = tmp_path / "upgrade.md"
    doc.write_text(f"# Ferrylog\n\nFerrylog ships logs.\n\n## Notes\n\nUpgrades are safe. {said}\n")
    assert pairs_of(doc)["Is my configuration in `/etc/ferrylog.toml` kept?"] == f"Yes. {said}"


def test_an_rst_heading_of_inline_code_is_asked_as_its_markdown_heading_is(tmp_path):
    # ``ferrylog check`` as an RST section asked "What is ``ferrylog check``?"; the same heading
    # in Markdown, `ferrylog check`, asks what the command does.
    body = "Checks the configuration file for errors and exits.\n"
    rst, md = tmp_path / "cli.rst", tmp_path / "cli.md"
    rst.write_text(f"Ferrylog\n========\n\n``ferrylog check``\n------------------\n\n{body}")
    md.write_text(f"# Ferrylog\n\n## `ferrylog check`\n\n{body}")
    assert pairs_of(rst) == pairs_of(md) == {"What does `ferrylog check` do?": body.strip()}


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("The account is deleted after 30 days of inactivity.", "When is the account deleted?"),
        ("The cache is kept in memory.", "Where is the cache kept?"),
        ("The index is loaded at startup.", "When is the index loaded?"),
        ("The config is checked before the agent starts.", "When is the config checked?"),
        ("Settings are read from `~/.ferrylog.toml`.", "Where are settings read from?"),
        ("Your data is encrypted using AES-256.", "How is my data encrypted?"),
        ("Older versions are pruned automatically.", "How are older versions pruned?"),
        # "How is X enabled?" asked how; what is so by default is what it says.
        ("Compression is enabled by default.", "What is enabled by default?"),
        # Neither when, where nor how: no question rather than one the text does not answer.
        ("The account is deleted in most cases.", None),
    ],
)
def test_a_thing_said_done_is_asked_when_where_or_how_as_the_rest_of_the_sentence_says(
    sentence, question
):
    # Every "X is <done> ..." asked "How is X <done>?": "The account is deleted after 30 days of
    # inactivity." asked how, and the text says only when.
    assert sentence_question(sentence) == question


def test_what_a_thing_is_is_answered_by_a_definition_and_a_fact_is_asked_on_its_own(tmp_path):
    # "What is Ferrylog?" was answered "Ferrylog listens on port 7410 by default.", and the port
    # was asked about nowhere else.
    doc = tmp_path / "ferrylog.md"
    doc.write_text("# Ferrylog\n\nFerrylog listens on port 7410 by default.\n")
    assert pairs_of(doc) == {
        "Which port does Ferrylog listen on by default?": "Ferrylog listens on port 7410 by default."
    }
    doc.write_text("# Ferrylog\n\n## Accounts\n\nThe account is deleted after 30 days.\n")
    assert pairs_of(doc) == {
        "When is the account deleted?": "The account is deleted after 30 days."
    }
    # A lead that says what the thing is, or what it does, still answers what it is.
    doc.write_text("# Ferrylog\n\nFerrylog is a log shipper. It listens on port 7410.\n")
    assert pairs_of(doc)["What is Ferrylog?"].startswith("Ferrylog is a log shipper.")
    doc.write_text("# Ferrylog\n\n## Schedules\n\nA schedule limits when the agent uploads.\n")
    assert pairs_of(doc) == {"What are schedules?": "A schedule limits when the agent uploads."}
    # Leads no longer taken as the answer are asked as themselves: as they say, or not at all.
    said = "A checkpoint is written every save_every steps."
    assert sentence_question(said) == "How often is a checkpoint written?"
    assert (
        sentence_question("To set a proxy, add `proxy_url` to the file.") is None
    )  # "What did to set?"


def test_a_sentence_saying_what_code_shows_is_asked_with_the_code(tmp_path):
    doc = tmp_path / "config.md"
    code = "```toml\nport = 7410\n```"
    doc.write_text(
        f"# Ferrylog\n\n## Files\n\nThe default configuration looks like this:\n\n{code}\n"
    )
    assert pairs_of(doc)["What does the default configuration look like?"] == (
        f"The default configuration looks like this:\n\n{code}"
    )
    # A step's code is the step's ("Run:"), asked by the task it belongs to, not as a statement.
    doc.write_text(f"# Ferrylog\n\n## Files\n\nRun this to check it:\n\n{code}\n")
    assert not any(q.startswith("What") for q in pairs_of(doc))


def test_brackets_inside_a_code_span_do_not_make_its_subject_a_clause():
    # "`tunelab bench MODEL [BASE] ...` scores ..." was read as a clause by its "[" and not asked.
    said = "`tunelab bench MODEL [BASE]` scores ARC and MMLU with their own prompts."
    assert sentence_question(said) == "What does `tunelab bench MODEL [BASE]` score?"
    assert sentence_question("The agent, once set up, reads one file.") is None  # still a clause


def test_a_thing_said_to_be_in_something_is_asked_where_only_when_that_is_a_place():
    # "Differences under ~20 points are within the interval." asked "Where are differences ...?"
    said = "Differences under 20 points are within the interval of the test."
    assert sentence_question(said) is None
    assert sentence_question("The loop is in loop.py and nowhere else.") == "Where is the loop?"
    assert sentence_question("The state is on the server.") == "Where is the state?"
