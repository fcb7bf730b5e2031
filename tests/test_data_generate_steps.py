"""Template mode answers a task by all of its steps, with the commands each step introduces, and a
problem by its cause, the command between and its fix; a step pressing "it" is asked of the one
control the sentence before names."""

from __future__ import annotations

from tests.conftest import pairs_of


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


def test_a_fact_before_a_task_s_steps_is_asked_on_its_own_and_the_steps_answer_the_task(tmp_path):
    # A printer manual turned into Q&A: "How do I install the driver?" was answered by the
    # systems the driver supports, the steps after it, and that fact was asked nowhere else.
    doc = tmp_path / "printer.md"
    doc.write_text(
        "# LP-200 Label Printer\n\n## Installing the driver\n\nThe driver supports Windows 10, "
        "Windows 11 and macOS 13 or later.\n\n1. Download the installer from the support page."
        "\n2. Run it and follow the prompts.\n3. Restart the computer.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(doc)
    assert pairs["How do I install the driver?"] == (
        "1. Download the installer from the support page.\n2. Run it and follow the prompts.\n"
        "3. Restart the computer."
    )
    assert pairs["What Windows and macOS versions does the driver support?"] == (
        "The driver supports Windows 10, Windows 11 and macOS 13 or later."
    )


def test_a_control_pressed_as_it_is_named_only_where_the_sentence_before_names_one(tmp_path):
    manual = tmp_path / "d8.md"
    manual.write_text(
        "# Halcyon D8 Dehumidifier\n\n## Buttons\n\nThe reset key is under the lid. "
        "Hold it for 8 seconds.\n\nOpen the lid. Press it for 3 seconds.\n\n"
        "Find the POWER button and the MODE button. Press it for 2 seconds.\n",
        encoding="utf-8",
    )
    pairs = pairs_of(manual)
    assert pairs["How long should I hold the reset key?"] == "Hold the reset key for 8 seconds."
    # no control before, or two: "it" is left unsaid, and the step unasked
    assert [q for q in pairs if q.startswith("How long should I press")] == []
