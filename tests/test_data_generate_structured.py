"""Template mode reads structured content whole: tables, FAQ entries, lists and definitions, a
task's steps with their code, notes, admonitions and HTML or RST markup each give the pairs a reader
would ask of them."""

from __future__ import annotations

from tests.conftest import pairs_of
from tunelab.data.chunking import chunk_document
from tunelab.data.sections import document_text


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


def test_a_cell_that_is_a_sentence_is_quoted_after_its_name_not_run_into_it(tmp_path):
    # MLflow's dataset guide: "The required check of Location is Use the intended table; verify
    # ..." ran the cell's own sentence into ours, and a cell's full stop doubled ("by name..").
    doc = tmp_path / "datasets.md"
    doc.write_text(
        "# Datasets\n\nDatasets hold records.\n\n| Concern | Required check |\n|---|---|\n"
        "| Location | Use the intended table; verify that it exists. |\n"
        "| Search | Some versions do not support it; use `get_dataset` by name. |\n"
        "| Size | 3 records |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What is the required check of Location?"] == (
        "The required check of Location: Use the intended table; verify that it exists."
    )
    assert pairs["What is the required check of Search?"].endswith("`get_dataset` by name.")
    assert (
        pairs["What is the required check of Size?"] == "The required check of Size is 3 records."
    )


def test_a_plural_term_is_asked_what_they_are(tmp_path):
    from tunelab.data.generate.structured import definition

    # MLflow's evaluation guide: "What is API details?", "What is requested behavior fixes?".
    doc = tmp_path / "guide.md"
    doc.write_text(
        "# Guide\n\nThe guide covers scoring.\n\n## Handoffs\n\nHandoffs go to other skills.\n\n"
        "API details: the evaluation quickstart or the exact reference page.\n\n"
        "Requested behavior fixes: hand the results to the improvement skill.\n"
    )
    pairs = pairs_of(doc)
    assert "What are API details?" in pairs
    assert "What are requested behavior fixes?" in pairs
    # A name ending in s is one thing.
    said = "RAGAS: a generator of test sets from a corpus."
    assert definition(said, said)[0] == "What is RAGAS?"


def test_a_table_of_symptoms_and_fixes_asks_what_to_do_about_each(tmp_path):
    # MLflow's failure index: 7 sections of "| Symptom | Check / next action |" rows gave no
    # pair at all, and the run said only that their chunks were in no row.
    doc = tmp_path / "troubleshooting.md"
    doc.write_text(
        "# Failure index\n\nPick the row of the failing phase.\n\n## Setup\n\n"
        "| Symptom | Check / next action |\n| --- | --- |\n"
        "| Agent import fails | Use the project environment and the real module path. |\n"
        "| Missing MLflow/import/CLI | Confirm the project interpreter and MLflow version. |\n\n"
        "## Network\n\n| Problem | Cause | Fix |\n|---|---|---|\n"
        "| `ConnectionError: refused` | The server is down | Start it with `ferry serve`. |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What should I do when agent import fails?"] == (
        "Use the project environment and the real module path."
    )
    assert pairs["What should I do about missing MLflow/import/CLI?"] == (
        "Confirm the project interpreter and MLflow version."
    )
    assert pairs["What should I do about `ConnectionError: refused`?"] == (
        "The server is down. Start it with `ferry serve`."
    )


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
