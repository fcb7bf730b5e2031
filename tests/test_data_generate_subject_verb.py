"""Template mode tells a sentence's subject from its verb before it asks anything: a verb read
by its form and place, plural subjects and their bare verbs, participles, steps, modifiers,
formulas and phrases before the subject (tunelab/data/generate/template/subject_and_verb.py). Sentence
questions as a whole: test_data_generate_statements.py."""

from __future__ import annotations

import pytest

from tunelab.data.generate.template.questions import sentence_question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # From numpy.ma's README, lm-eval's HumanEval page and MLflow's skills: each was asked
        # "did" of a subject that is none ("What did invoke the match?", "How did everything went
        # fine until I need?", "Where did evaluating Large Language Models train?").
        ("Invoke the matched skill using the Skill tool.", None),
        ("Confirm the same regression now passes and controls remain green.", None),
        ("Verify installed constructors; `Correctness` is a judge.", None),
        ("Fetch and read at least one fresh persisted trace.", None),
        ("Uncomment and set to True to select maskedarray everywhere.", None),
        ("Everything went fine until I needed to subclass my new class.", None),
        ("Evaluating Large Language Models Trained on Code.", None),
        ("Apart from a couple of issues listed below, the behavior is the same.", None),
        ("Getting started → `mlflow-onboarding`.", None),  # "What did getting start?"
        # A verb joined to the next by "and" leaves no subject for that one.
        ("The agent compresses and uploads each file.", None),  # "What does the agent compresses and upload?"
        # What did a thing named so, or a determiner's noun, do: still asked.
        ("The old evaluation guide used `MemAlignOptimizer` from the optimizers module.",
         "What did the old evaluation guide use?"),
        ("Ferrylog dropped the `--legacy` flag.", "What did Ferrylog drop?"),
        ("Training runs on the GPU.", "Where does training run?"),
    ],
)  # fmt: skip
def test_did_is_asked_only_of_a_subject_and_a_step_of_any_verb_is_asked_nothing(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # MLflow's guides: a plural noun after a one-word modifier read as its verb.
        ("Conditional changes need cases where the behavior must not fire.", None),  # "What does conditional change?"
        ("Metric-only runs and empty score tables are not success.", None),  # "What does Metric-only run?"
        ("Built-ins supply tested scaffolding, not proof.", None),  # "What did built-ins supply test?"
        # A one-word subject with its verb still asks.
        ("Training runs on the GPU.", "Where does training run?"),
        ("Packing puts several examples in one row.", "What does packing put?"),
        ("ARC-Easy moved by one point.", "How did ARC-Easy move?"),  # a name, not a modifier
    ],
)  # fmt: skip
def test_a_modifier_and_its_plural_noun_are_no_subject_and_verb(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # Real sentences of docs/knowledge.md whose verbs VERBS lacks: each was asked nothing.
        ("The log names the weights and generation settings it was made with.",
         "What does the log name?"),
        ("A vote names its token.", "What does a vote name?"),
        ("`tunelab judge`'s leaderboard draws its verdicts by question the same way.",
         "What does `tunelab judge`'s leaderboard draw?"),
        ("`data.fields` maps other column names.", "What does `data.fields` map?"),
        ("Ferrylog ships logs to the collector.", "What does Ferrylog ship?"),
        ("The agent compresses each file before the upload.", "What does the agent compress?"),
        ("The agent rotates the log when it reaches 100 MB.",
         "At what size does the agent rotate the log?"),
        # Read by form alone these are no verbs, or no verbs with an object: still nothing.
        ("Sample pairs per mode are shown below it.", None),
        ("A CPU run goes the other way by default.", None),
        ("Train loss falls below 0.5 by epoch 1.", None),
        ("Nine other kinds of work take 1–5% each.", None),
        ("The same recipe for 2 epochs stated 73.2% over 1 epoch.", None),
        ("`tunelab bench RUN BASE` does the same per benchmark.", None),
    ],
)  # fmt: skip
def test_a_verb_outside_the_list_is_read_by_its_form_and_place(sentence, question):
    assert sentence_question(sentence) == question


def test_what_a_thing_used_to_do_is_not_asked_how_it_used():
    # From typer's README: "Typer used to depend on Click" was asked "How did Typer use?".
    assert sentence_question("Typer used to depend on Click as well.") is None
    assert sentence_question("The demo used 2 cores.") == "How many cores did the demo use?"


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A plural subject takes a verb's bare form: each of these was asked nothing.
        ("`/leaderboard` and `/api/ratings` name the models.",
         "What do `/leaderboard` and `/api/ratings` name?"),
        ("The logprobs score the tokens of the prompt.", "What do the logprobs score?"),
        ("Benchmarks measure the speed of each mode.", "What do benchmarks measure?"),
        ("The CLI and the Python API share one config object.",
         "What do the CLI and the Python API share?"),
        # Nouns that read as bare verbs after a plural, and plurals read as subjects: nothing,
        # or the question of the verb that follows them.
        ("The runs folder holds the weights.", "What does the runs folder hold?"),
        ("Rows like the ones above are dropped.", "Are rows like the ones above dropped?"),
        ("Pairs with a short answer score lower.", None),
        ("Release notes list the changes since 0.9.", "What do release notes list?"),
        ("Benchmarks run nightly on the GPU.", None),
        ("Between 2 and 4 workers share the queue.", None),
        ("Your checkpoints keep the optimizer state.", "What do my checkpoints keep?"),
    ],
)  # fmt: skip
def test_a_plural_subject_s_bare_verb_is_asked_what_it_does(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # "runs" after a lone "Your" or a noun's modifier was read as the verb: "What does my
        # run?", "What does test run?". A possessive is no subject, and a plural noun followed
        # by its own verb is the subject's noun.
        ("Your runs write a log.", "What do my runs write?"),
        ("Your runs use the GPU when one is free.", "When do my runs use the GPU?"),
        ("Your run uses the GPU when one is free.", "When does my run use the GPU?"),
        ("Test runs skip the slow tests.", "What do test runs skip?"),
        ("Unit tests cover the training loop.", "What do unit tests cover?"),
        ("The unit tests cover the training loop.", "What do the unit tests cover?"),
        ("Log files name the run they belong to.", "What do log files name?"),
        # A verb after its object is a step's ("Let tests skip ..."), and one that takes a bare
        # verb ("helps find") is the verb.
        ("Let tests skip the network.", None),
        ("`tunelab doctor` helps find the missing file.", None),
        ("`make test-fast` skips the few tests marked slow.", "What does `make test-fast` skip?"),
        # A participle before a noun is no subject (from benchmarks/README.md: "What does
        # simulated judge?").
        ("Simulated judges vote on random pairs of models.", None),
        ("Cached rows skip the tokenizer.", "What do cached rows skip?"),
        # A plural noun and code, then a verb: a clause (from benchmarks/README.md: "What does
        # the fewest 80 GB GPUs `tunelab plan` do?").
        ("The fewest 80 GB GPUs `tunelab plan` says each run fits on.", None),
        ("The tests `make test` runs take 2 minutes.", None),
        ("The command `tunelab plan` says each run fits on one GPU.",
         "What does the command `tunelab plan` say?"),
        # A noun after "the" is no verb (was "What does rerun 2026-12-01 after words the answer?").
        ("Rerun 2026-12-01 after words the answers say all along stopped being proposed.", None),
    ],
)  # fmt: skip
def test_a_plural_noun_before_its_verb_is_the_subject_s_not_the_verb(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    "sentence",
    [
        # From benchmarks/README.md: each asked a question of the words after the preposition
        # ("What does against the 75.0% run the answer?", "What does under torchrun a Ctrl-C
        # save?"); its subject comes after a phrase no rule reads.
        "Against the 75.0% run the answers moved by 6 of 56, 4 lost and 2 gained.",
        "Over all seven runs of this engine code the medians are 4.82x, 7.61x and 1.56x.",
        "Under torchrun a Ctrl-C saves the last step but measures no last eval loss.",
        "Within a section the newest runs come first where a summary says so.",
    ],
)
def test_a_sentence_opening_with_a_phrase_before_its_subject_is_asked_nothing(sentence):
    assert sentence_question(sentence) is None


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # From README and benchmarks/README.md: an -ed word whose sentence's verb comes later
        # describes its noun ("A run trained with `qa`" has no turns), and was asked as the verb.
        ("A run trained with `qa` or `alpaca` has no turns.", None),
        ("A compare cut short asks only the questions left when run again.", None),
        ("The model trained on the demo set is saved to `runs/demo`.", None),
        # docs/knowledge.md: "What does facts proposed from reference do?"
        (
            "Facts proposed from reference answers (`tunelab data facts`) call 88% of them wrong.",
            None,
        ),
        # The sentence's own verb in the past: asked as before.
        ("The demo used 2 cores and finished in 8 minutes.", "How many cores did the demo use?"),
        ("The demo used two runs of the recipe.", "What did the demo use?"),
        ("The run stopped at step 40 and resumed from there.", "When did the run stop?"),
    ],
)
def test_a_participle_before_the_sentence_s_verb_is_not_asked_as_its_verb(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    "sentence",
    [
        # From benchmarks/README.md: a formula and a label read as a subject and its verb
        # ("What did peak = hold?", "What did tried and not keep?").
        "Peak = held (weights, state) + max(end of forward, backward) + runtime.",
        "Tried and not kept: parts of 16 KB with prefetch 4 KB ahead.",
    ],
)
def test_a_formula_or_a_negated_label_is_no_subject(sentence):
    assert sentence_question(sentence) is None


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # From MLflow's evaluation guide: a step the reader takes has no subject to ask about.
        ("Do not delete runs unless the user requests it.", None),  # "What does do not delete run?"
        ("Investigate suspicious uniform scores against actual responses.", None),
        ("Distinguish scored negatives from scorer failures.", None),  # "What did distinguish score?"
        ("Decorate code checks with the scorer decorator.", None),
        ("Identify trace-only upgrades separately.", None),
        ("Re-register changed definitions only after the small check.", None),
        # A participle before its noun is no verb: "What did historical support?"
        ("Historical supported names include `min` and `max`.",
         "What do historical supported names include?"),
        ("Malformed/missing required inputs should not silently pass.", None),
        # A verb with no object is the sentence's verb all the same: none comes after it.
        ("Completion means the process exited successfully.", None),  # "What did completion means the process exit?"
        # A thing's name that is also a verb stays a subject.
        ("The scorer validates the inputs first.", "What does the scorer validate?"),
        ("Duplicate rows are removed.", "Are duplicate rows removed?"),
    ],
)  # fmt: skip
def test_a_step_a_participle_or_a_verb_without_object_gets_no_false_question(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # "Test runs before each merge." was asked "How does test run?": a phrase of time after
        # the verb says when, and a lone noun that is also a verb ("Test", "Export") before an
        # -s word with no object may be one noun ("test runs") with no verb said at all.
        ("Test runs before each merge.", None),
        ("Export runs after training.", None),
        ("The test runs before each merge.", "When does the test run?"),
        ("The job starts after the build finishes.", "When does the job start?"),
        ("The run stops during the eval.", "When does the run stop?"),
        ("The job runs until the queue is empty.", "How long does the job run?"),
        ("Lint runs on every push.", "When does lint run?"),
        # With its object, the lone noun is the subject all the same.
        ("Export writes a GGUF file.", "What does export write?"),
        ("Training runs on the GPU.", "Where does training run?"),
    ],
)
def test_a_verb_followed_by_a_time_is_asked_when_and_a_noun_that_may_be_a_verb_nothing(
    sentence, question
):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # "What does FastAPI depend?" asks nothing, so these were asked nothing at all.
        ("FastAPI depends on Pydantic and Starlette.", "What does FastAPI depend on?"),
        ("The HTTPX project relies on these libraries.", "What does the HTTPX project rely on?"),
        ("The agent works with any collector.", "What does the agent work with?"),
        ("The tests depend on torch and numpy.", "What do the tests depend on?"),
        # tqdm's README: "How does ... allow?", "How does ... check?"
        ("Instantiation outside of the loop allows for manual control over `tqdm()`.",
         "What does instantiation outside of the loop allow for?"),
        ("A concurrent monitoring thread checks for overdue updates.",
         "What does a concurrent monitoring thread check for?"),
        # What used to be so is no fact to ask.
        ("Typer used to depend on Click as well.", None),
    ],
)  # fmt: skip
def test_a_verb_whose_object_follows_a_preposition_is_asked_with_it(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    "sentence",
    [
        # From tqdm's README, each asked garbled before:
        # "What does overriding default?": "defaults" with no "to" is a plural noun, no verb.
        "Overriding defaults via environment variables: e.g. `export TQDM_MININTERVAL=5`.",
        # "How does `postfix` need?": what it needs is to be done, which no "how" asks.
        "`postfix` also needs to be passed as an initial argument in a compatible format.",
        # "Where did `tqdm` always gets update?": "gets" is the verb, "updated" its participle.
        "`tqdm` always gets updated in the background, but it will display only every 10 s.",
        # "How does `on_field` run?": "for" opens no manner.
        "`on_field` runs for every text field.",
        # "What is using `update`?": a gerund and its object is no thing that is.
        "Using `update(0)` is a handy way to let `tqdm` decide when to refresh the display.",
    ],
)
def test_an_infinitive_a_for_a_get_passive_or_a_gerund_and_its_object_asks_nothing(sentence):
    assert sentence_question(sentence) is None


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # From benchmarks/README.md: a word saying which or how many ("earlier", "more") was
        # the subject's end and the plural noun after it the verb ("What does the earlier
        # run?", "Where does three more run?", "What are LoRA's 74 ms more?"), and "read" of
        # "A coverage read from 2,000 sets is ..." the verb, its "is" unseen past "2,000".
        ("The earlier runs, on earlier commits, are further below.", None),
        ("Three more runs on an idle machine, and the bound they sit against.", None),
        ("LoRA's 74 ms more are its 210 layers' Python.", None),
        ("A coverage read from 2,000 sets is within 1 point.", None),
        # The noun's own verb after it is asked as before ("The other runs" ask nothing alone:
        # other than which? test_data_generate_garbled.py).
        ("The next step reads the config.", "What does the next step read?"),
        ("The other runs took 3 minutes.", None),
    ],
)
def test_a_word_before_a_noun_is_not_the_subject_s_end(sentence, question):
    assert sentence_question(sentence) == question


def test_a_verb_whose_object_is_so_is_asked_nothing():
    # From the README: "`data generate` says so when it is done." was asked "When does `data
    # generate` say so?": what it says, only the sentence before it says.
    assert sentence_question("`data generate` says so when it is done.") is None
    assert sentence_question("The agent pads rows so that they fit.") == "What does the agent pad?"


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A plural subject's verb before an adverb or a plural noun asked nothing.
        ("The checkpoints keep only the last three steps.", "What do the checkpoints keep?"),
        # The port, the fact the sentence states, not what they accept.
        ("The servers accept requests on port 8000.", "Which port do the servers accept requests on?"),
        ("Workers process files in parallel.", "What do workers process?"),
        # A participle of a verb no list holds ("rotated", "compressed", "archived").
        ("The logs are rotated every week.", "How often are the logs rotated?"),
        ("The logs are compressed with gzip.", "How are the logs compressed?"),
        ("Old runs are archived after 30 days.", "When are old runs archived?"),
        ("The tokeniser API is documented in `tiktoken/core.py`.",
         "Where is the tokeniser API documented?"),
    ],
)  # fmt: skip
def test_a_plural_subject_and_a_verb_no_list_holds_are_asked(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    "sentence",
    [
        # Each was asked garbled: "What does the answers vary between run?", "What does the
        # adapters contain only the LoRA weight?" (the last word read as a verb), or would be
        # by the rules above: "What do `execution_provider` accepts short?", "What do Windows
        # code?", "How is make sure `None` converted?", "How are a couple of them affected?".
        "The answers vary between runs.",
        "`execution_provider` accepts short aliases for the providers.",
        "Portalocker provides file locks for Python on Linux.",
        "An empty or absent declaration selects no imports.",
        "Windows code pages (Windows-1250 through Windows-1258)",
        "Make sure `None` is converted as `NoneType` in Python 3.14.",
        "A couple of them are affected by the fact that libxml2 has no protection.",
        "Imports run one way: cli → stages → data → config.",  # "What do imports run?"
    ],
)
def test_a_plural_or_a_verb_read_wrongly_asks_nothing_garbled(sentence):
    asked = sentence_question(sentence)
    assert asked in (None, "What does `execution_provider` accept?"), asked


def test_a_plural_subject_s_last_word_is_never_read_as_a_verb_with_nothing_after_it():
    assert sentence_question("The adapters contain only the LoRA weights.") == (
        "What do the adapters contain?"
    )
    # Nor a singular subject's verb before its object as a plural noun ("What do the Redis
    # guide?"), nor "this" as a plural.
    assert (
        sentence_question("The Redis guide covers the locks.") == "What does the Redis guide cover?"
    )
    assert sentence_question("The documentation for this project covers its security.") == (
        "What does the documentation for this project cover?"
    )


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A relative clause in the subject: "How fast did the repetition whose probe read?",
        # "What are a pair whose two answers?" were asked.
        ("The repetition whose probe read 205 GFLOP/s reads 102%.", None),
        ("A pair whose two answers are the same text is not asked.", None),
        # A participle or an adjective after a determiner goes on to its noun, no verb: "What does
        # a blend of two trained answer?", "When does the new limit take effect?" were asked
        # (the second is asked of "the new limits" below).
        ("A blend of two trained answers gets through.", None),
        # An -ing word after a noun opens a clause whose object follows ("What does a `--data`
        # file holding row?"); a listed verb after it is the sentence's own.
        ("A `--data` file holding rows the run trained on is named in a note.", None),
        ("Data loading takes 3 seconds.", "How long does data loading take?"),
        # A noun that only ends in -ing is no verb's ("th(e)" of "thing" was read as one).
        ("The key thing controls the fan.", "What does the key thing control?"),
        # An aside between a plural noun and its auxiliary: "What does a run's benchmark score?"
        ("A run's benchmark scores (`tunelab bench RUN`) are a line under the table.", None),
        # "yes/no rows": "yes" is no plural count ("How many yes does the rule reach?").
        ("The rule reaches 6 yes/no rows.", "What does the rule reach?"),
    ],
)  # fmt: skip
def test_a_subject_s_clause_or_modifier_is_never_asked_as_its_verb(sentence, question):
    assert sentence_question(sentence) == question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # A plural subject's "take effect" was asked nothing, a singular one's when; a plural noun
        # and what it is of is plural by its head ("Changes to vault.conf").
        ("The change takes effect after a restart.", "When does the change take effect?"),
        ("The settings take effect after a restart.", "When do the settings take effect?"),
        ("The new limits take effect after a restart.", "When do the new limits take effect?"),
        ("Changes to vault.conf take effect after `systemctl restart snapvault`.",
         "When do changes to vault.conf take effect?"),
        ("Backups take place every night.", "How often do backups take place?"),
        # Only when they act: "What do changes take effect?", "Where do backups take place?"
        ("Changes take effect at once.", None),
        ("Backups take place at night.", None),
    ],
)  # fmt: skip
def test_take_effect_is_asked_when_of_one_thing_or_several(sentence, question):
    assert sentence_question(sentence) == question
