"""Template mode's sentence questions read well: grammatical, one per fact, answered by the
sentences that answer them (code only when the question asks for a command), on the fixture
documents. Headings: test_data_generate_headings.py; tables, FAQs, steps: _structured.py;
telling a subject from its verb: _subject_verb.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pairs_of
from tunelab.data.generate.questions import sentence_question

DOCS = Path(__file__).parent / "fixtures" / "docs"
README = Path(__file__).parent.parent / "README.md"


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
        ("Several GPUs can train one model with torchrun.", "What can several GPUs train?"),
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
        # A verb and its particle ask what follows them: not "How does the next step ask?"
        ("The next step asks for the same tensors.", "What does the next step ask for?"),
        ("The loader looks for a config file in the home folder.",
         "What does the loader look for?"),
        ("The agent waits for the lock.", "What does the agent wait for?"),
        ("The symlink points to the latest run.", "What does the symlink point to?"),
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

    from tunelab.data.generate.documents import generate_dataset
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


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("The agent can run on Windows 10.", "Where can the agent run?"),
        ("The agent can retry a batch when the collector is down.",
         "When can the agent retry a batch?"),
        # What it can do to "it" says nothing a question could carry: none.
        ("The server can make it easy to test a model.", None),
    ],
)  # fmt: skip
def test_what_a_thing_can_do_is_asked_with_what_it_does_it_to(sentence, question):
    # Every "X can <verb> ..." was asked "What can X do?", which any one ability answers badly.
    assert sentence_question(sentence) == question


def test_a_lead_saying_what_a_thing_can_do_asks_what_its_code_shows(tmp_path):
    doc = tmp_path / "tests.md"
    code = '```json\n{"question": "Is a GPU required?", "must": ["No"]}\n```'
    doc.write_text(
        f"# Tests\n\n## Rows\n\nA test row can say what a correct answer must state:\n\n{code}\n"
    )
    pairs = pairs_of(doc)
    assert "What can a test row do?" not in pairs
    assert pairs["What can a test row say?"] == (
        f"A test row can say what a correct answer must state:\n\n{code}"
    )


def test_a_purpose_and_its_step_is_asked_how_do_i(tmp_path):
    # "To set a proxy, add ..." has no subject and asked nothing: its task was in no pair.
    doc = tmp_path / "agent.md"
    code = '```toml\nproxy = "http://proxy:8080"\n```'
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## Accounts\n\nAccounts are kept for 30 days. "
        "To change your password, run `ferry passwd`. To set a proxy, add `HTTPS_PROXY` to the "
        "environment. To run the agent yourself, start `ferry run`. To be safe, the agent keeps a "
        "copy.\n\nThe agent reads its settings at startup.\n\n"
        f"To pin a proxy for one source, add this to the file:\n\n{code}\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I set a proxy?"] == "Add `HTTPS_PROXY` to the environment."
    assert pairs["How do I change my password?"] == "Run `ferry passwd`."
    assert pairs["How do I run the agent myself?"] == "Start `ferry run`."
    assert pairs["How do I pin a proxy for one source?"] == (
        f"To pin a proxy for one source, add this to the file:\n\n{code}"
    )
    # A purpose followed by a statement, not a step, is no task of the reader's; a pointer
    # elsewhere answers nothing, and "this" is what came before.
    assert not any(q.startswith("How do I be") for q in pairs)
    doc.write_text(
        "# Ferrylog\n\nFerrylog ships logs.\n\n## More\n\nFerrylog reads its settings at startup. "
        "To learn about plugins, see the plugin guide. To try this out yourself, run the demo.\n"
    )
    assert not any(q.startswith("How do I") for q in pairs_of(doc))


def test_a_step_done_to_it_is_answered_with_its_purpose_that_says_what_it_is(tmp_path):
    # From MLflow's monitoring guide: "How do I pause scoring while keeping registration?" was
    # answered "Stop it.", which names nothing to stop.
    doc = tmp_path / "monitoring.md"
    doc.write_text(
        "# Monitoring\n\nMonitoring scores live traffic.\n\n## Operate\n\n"
        "To pause scoring while keeping registration, stop it. "
        "To change your password, run `ferry passwd`.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["How do I pause scoring while keeping registration?"] == (
        "To pause scoring while keeping registration, stop it."
    )
    assert pairs["How do I change my password?"] == "Run `ferry passwd`."


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A machine's parts are where a computation runs or a thing is kept: asked where.
        ("Training runs on the GPU.", "Where does training run?"),
        ("The weights are kept on the GPU.", "Where are the weights kept?"),
        ("The model is on the CPU.", "Where is the model?"),
        # "on each request" is a time and "in batches" a manner, neither a place.
        ("The agent runs on each request.", "When does the agent run?"),
        ("The tokenizer pads in batches.", "How does the tokenizer pad?"),
        ("The loader reads in order.", "How does the loader read?"),
    ],
)
def test_where_is_asked_of_a_place_a_machine_s_part_included_and_of_nothing_else(
    sentence, question
):
    assert sentence_question(sentence) == question
