"""A plain statement becomes the question it answers (`sentence_question`): asked as said, by
when, where, how long or what, of the reader's own thing as mine, and nothing when the sentence
leaves its subject or its answer unclear. Yes-or-no questions: test_data_generate_yes_no.py."""

from __future__ import annotations

import pytest

from tunelab.data.generate.template.questions import sentence_question


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
        ("The cap applies to uploads only.", "What does the cap apply to?"),  # not "How ...?"
        # Done to a path: where, not "How is the log written?"
        ("The log is written to `/var/log/ferrylog.log`.", "Where is the log written?"),
        ("Backups are saved in ~/backups by the agent.", "Where are backups saved?"),
        # Put in a place: where it puts its object (was "What does Keepsafe store?", which the
        # sentence answers with the key, not the keyring it is in).
        ("Keepsafe stores the key in the system keyring.", "Where does Keepsafe store the key?"),
        ("Keepsafe stores backups on an external drive.", "Where does Keepsafe store backups?"),
        ("The installer puts the binary under `/usr/local/bin`.",
         "Where does the installer put the binary?"),
        ("Keepsafe stores every password.", "What does Keepsafe store?"),  # no place said
        ("Keepsafe saves the vault at startup.", "What does Keepsafe save?"),  # a time
        # Where, in which version or unless told otherwise the rest holds, said last (each was
        # no pair: the sentence opened with no subject).
        ("On macOS, the agent keeps its logs in `~/Library/Logs`.",
         "Where does the agent keep its logs on macOS?"),
        ("By default, the agent listens on port 8080.",
         "Which port does the agent listen on by default?"),
        ("In version 3.2, the default port changed to 8443.",
         "What did the default port change to in version 3.2?"),
        ("In this case, the agent retries the upload.", None),
        ("A short list needs to mention: Ada, Brook.", None),  # "to" opens a verb, no value  # which case, the text before says
        ("On the other hand, the agent is slower.", None),
    ],
)  # fmt: skip
def test_a_plain_statement_becomes_the_question_it_answers(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # How long a thing takes ("How soon does the team answer?" read stiffly), or when a
        # thing that starts or ends does so.
        ("The support team answers within 4 business hours.",
         "How long does the support team take to answer?"),
        ("The job starts in 5 minutes.", "How soon does the job start?"),
        ("The broker runs in Docker.", "Where does the broker run?"),
    ],
)  # fmt: skip
def test_a_span_of_time_is_asked_how_long_or_how_soon_not_where(sentence, question):
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
        ("Telemetry is disabled by default.", "Is telemetry enabled by default?"),
    ],
)
def test_a_negated_verb_a_wait_and_a_rough_time_are_asked_as_said(sentence, question):
    assert sentence_question(sentence) == question


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
        # "How is X enabled?" asked how; whether it is on by default is what it says.
        ("Compression is enabled by default.", "Is compression enabled by default?"),
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


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("`more-itertools` is maintained by @erikrose and @bbayles, with help from many others.",
         "Who maintains `more-itertools`?"),
        ("The dateutil module was written by Gustavo Niemeyer in 2003.",
         "Who wrote the dateutil module?"),
        ("FastAPI Cloud is built by the same author and team behind FastAPI.",
         "Who builds FastAPI Cloud?"),
        ("The files are copied by the maintainers.", "Who copies the files?"),
        # By what, not whom: how it is done.
        ("The scores are computed by the same leaderboard.", "How are the scores computed?"),
    ],
)  # fmt: skip
def test_a_thing_done_by_someone_is_asked_who_does_it(sentence, question):
    # "How is `more-itertools` maintained?" was answered "by @erikrose and @bbayles".
    assert sentence_question(sentence) == question


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
