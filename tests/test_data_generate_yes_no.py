"""Template mode's yes-or-no questions: a statement that something is so, is done or is not so
is asked yes or no, and its answer says "Yes." or "No." before the statement."""

from __future__ import annotations

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.template.questions import sentence_question


def test_a_yes_or_no_question_of_a_statement_is_answered_yes_and_kept(tmp_path):
    # "Are comments allowed in the config file?" answered by the sentence alone was dropped by
    # the quality filters as an answer that restates its question: its fact was in no row.
    import json

    from tunelab.data.generate.from_documents import generate_dataset
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


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("The agent does not upload temporary files.", "Does the agent upload temporary files?"),
        ("Backups do not include the cache.", "Do backups include the cache?"),
        ("Tunelab doesn't need a GPU.", "Does Tunelab need a GPU?"),
        # Was "What did the agent cannot read?": "cannot" taken for part of the subject.
        ("The agent cannot read encrypted files.", "Can the agent read encrypted files?"),
        ("The installer does not ask you for a password.",
         "Does the installer ask me for a password?"),
        # A tail with a clause of its own would be asked too: no question.
        ("The agent does not retry if the collector is down and the queue is full.", None),
    ],
)  # fmt: skip
def test_a_statement_that_says_no_is_asked_yes_or_no(sentence, question):
    assert sentence_question(sentence) == question


def test_a_yes_or_no_question_of_a_negative_statement_is_answered_no(tmp_path):
    # Every yes-or-no answer said "Yes" or nothing: a model trained on them learns to say yes.
    import json

    from tunelab.data.generate.from_documents import generate_dataset
    from tunelab.data.generate.shared import GenerateConfig

    doc = tmp_path / "limits.md"
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Limits\n\nThe agent does not upload temporary "
        "files.\n\nThe agent cannot read encrypted files.\n\nIPv6 is not supported in version "
        "3.8.\n\nComments are allowed in the config file.\n"
    )
    out = tmp_path / "qa.jsonl"
    generate_dataset(GenerateConfig(docs=[str(doc)], output=str(out)), progress=False)
    pairs = {r["question"]: r["answer"] for r in map(json.loads, out.read_text().splitlines())}
    assert pairs["Does the agent upload temporary files?"] == (
        "No. The agent does not upload temporary files."
    )
    assert pairs["Can the agent read encrypted files?"] == (
        "No. The agent cannot read encrypted files."
    )
    assert pairs["Is IPv6 supported in version 3.8?"] == "No. IPv6 is not supported in version 3.8."
    assert pairs["Are comments allowed in the config file?"] == (
        "Yes. Comments are allowed in the config file."
    )
