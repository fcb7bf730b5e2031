"""Template mode reads a table by what its columns say: options and their defaults, limits, ranges,
symptoms and fixes, meanings each give a pair a row, and a table nothing is asked of answers its
section whole."""

from __future__ import annotations

from tests.conftest import pairs_of
from tunelab.data.documents.chunking import chunk_document


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


def test_a_manual_s_title_range_column_and_bold_faq_read_as_a_user_wrote_them(tmp_path):
    # A user walk: "Brewmate 2 User Manual" asked "What is Brewmate 2 User?", a table's range
    # column made no pair, and bold FAQ questions were listed as numbers "in no answer".
    from tunelab.data.generate.template.template_qa import prose_sentences

    doc = tmp_path / "manual.md"
    doc.write_text(
        "# Brewmate 2 User Manual\n\nBrewmate 2 is a smart coffee grinder.\n\n## Settings\n\n"
        "| setting | default | range |\n|---|---|---|\n| grind size | 12 | 1–40 |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What is Brewmate 2?"] == "Brewmate 2 is a smart coffee grinder."
    assert pairs["What is the range of the grind size?"] == "The range of the grind size is 1–40."
    assert pairs["What is the default grind size?"] == "The default grind size is 12."
    faq = tmp_path / "faq.md"
    faq.write_text("# FAQ\n\n**Is the Brewmate 2 dishwasher safe?**\nNo, rinse it by hand.\n")
    chunks = chunk_document(faq)
    assert not [s for c in chunks for s, _ in prose_sentences(c) if "Brewmate 2" in s]


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


def test_two_tables_a_blank_line_apart_are_each_read_under_their_own_header(tmp_path):
    # The second table's header was read as a row of the first, and its rows under the first's
    # header: "| Service | Port |" after an options table asked nothing of its ports.
    doc = tmp_path / "ports.md"
    doc.write_text(
        "# Setup\n\n| Option | Default |\n|---|---|\n| `retries` | 5 |\n\n"
        "| Service | Port |\n|---|---|\n| admin console | 8443 |\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What is the default `retries`?"] == "The default `retries` is 5."
    assert (
        pairs["What is the port of the admin console?"] == "The port of the admin console is 8443."
    )
    assert not [q for q in pairs if "Service" in q or "Port" in q]


def test_a_table_of_error_codes_asks_what_each_code_means_and_what_to_do_about_it(tmp_path):
    # A support engineer's printer manual: "| Code | Meaning | What to do |" gave no pair at all,
    # so a model trained on it could not say what the display's E03 means.
    doc = tmp_path / "troubleshooting.md"
    doc.write_text(
        "# W200 Troubleshooting\n\n## Error codes\n\nThe display shows an error code.\n\n"
        "| Code | Meaning | What to do |\n|---|---|---|\n"
        "| E03 | Label jam | Open the cover and remove the jammed labels. |\n"
        "| 7 | Calibration failed | Hold FEED for 3 seconds. |\n\n"
        "## Faults\n\n| Error | Description | Solution |\n|---|---|---|\n"
        "| F-12 | Fan stalled | Clean the fan. |\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What does code E03 mean?"] == (
        "Code E03 means Label jam. Open the cover and remove the jammed labels."
    )
    assert pairs["What does code 7 mean?"] == (
        "Code 7 means Calibration failed. Hold FEED for 3 seconds."
    )
    # One fact, asked once: a second question of the same answer is `data check`'s reworded
    # duplicate, which `--fix` drops; `data augment` asks it other ways.
    assert "What should I do about code E03?" not in pairs
    assert pairs["What does error F-12 mean?"] == "Error F-12 means Fan stalled. Clean the fan."


def test_a_specifications_table_asks_each_property_of_the_product(tmp_path):
    # "| Specification | Value |" asked "What is the value of Weight?", answered "The value of
    # Weight is 1.9 kg.": no customer asks so, and the question named no product.
    doc = tmp_path / "manual.md"
    doc.write_text(
        "# Wrenfield W200 Label Printer\n\nThe Wrenfield W200 prints labels.\n\n## Specifications\n\n"
        "| Specification | Value |\n|---|---|\n| Weight | 1.9 kg |\n"
        "| Interfaces | USB-C, Ethernet |\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What is the weight of the Wrenfield W200?"] == "The weight is 1.9 kg."
    assert pairs["What are the interfaces of the Wrenfield W200?"] == (
        "The interfaces are USB-C, Ethernet."
    )
    assert not [q for q in pairs if "value of" in q]


def test_a_cell_of_only_a_dash_or_dots_says_nothing_and_a_cells_own_end_is_kept(tmp_path):
    # "| `--host` | - |" was answered "The default `--host` is -.", a description "." "`Lid`: .",
    # and a meaning's full stop or ellipsis got one more ("Ready..", "Wait....").
    doc = tmp_path / "kettle.md"
    doc.write_text(
        "# Brewmaster Kettle\n\n## Options\n\n| Option | Default |\n|---|---|\n"
        "| `--retries` | 3 |\n| `--host` | - |\n| `--port` | ... |\n\n"
        "## Parts\n\n| Part | Description |\n|---|---|\n| `Lid` | . |\n| `Cord` | Plugs in |\n\n"
        "## Codes\n\n| Code | Meaning |\n|---|---|\n| 1 | Ready. |\n| 2 | Wait... |\n| 3 | — |\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["What is the default `--retries`?"] == "The default `--retries` is 3."
    assert pairs["What is `Cord`?"] == "`Cord`: Plugs in."
    assert pairs["What does code 1 mean?"] == "Code 1 means Ready."
    assert pairs["What does code 2 mean?"] == "Code 2 means Wait..."
    asked = set(pairs)
    assert not asked & {"What is the default `--host`?", "What is the default `--port`?"}
    assert not asked & {"What is `Lid`?", "What does code 3 mean?"}
