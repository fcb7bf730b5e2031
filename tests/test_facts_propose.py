"""`tunelab data facts`: facts read off reference answers catch a right-sounding answer with the
wrong value, which token F1 calls right; they come from what the reference states, in the
sentence that answers, never a value it negates or says was so before (which words:
test_facts_propose_terms.py; yes/no verdicts: test_facts_propose_verdicts.py; the file:
test_facts_propose_file.py)."""

import re

import pytest

from tests.conftest import proposed_check
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.propose_file import propose_rows
from tunelab.evaluate.facts.score import parse_fact_check, score_facts
from tunelab.evaluate.metrics import token_f1


def test_a_wrong_value_in_the_reference_s_words_misses_the_fact():
    reference = "The LoRA rank r defaults to 16."
    check = proposed_check("What LoRA rank does tunelab use by default?", reference)
    wrong = "The LoRA rank r defaults to 8."
    assert token_f1(wrong, reference) > 0.8  # token F1 calls it right
    assert score_facts(wrong, check)["fact_accuracy"] == 0.0
    assert score_facts("It uses 16 unless you set it.", check)["fact_accuracy"] == 1.0


def test_a_question_that_asks_what_is_not_gets_the_facts_its_answer_negates():
    # "Windows is not supported" denied Windows: the row got no fact at all.
    facts, _ = propose("Which OS is not supported?", "Windows is not supported; use Linux.", {})
    assert facts and facts[0] == ["windows"]
    facts, _ = propose("Which formats does it not read?", "It does not read XML files.", {})
    assert facts == [["XML"]]


def test_a_term_the_reference_negates_is_no_fact_of_it():
    # The reference must pass its own check: "not 8" does not state 8.
    assert propose("What is the default rank?", "The default rank is 16, not 8.", {})[0] == [["16"]]
    rows = [
        {"question": "Is it built for GPUs?",
         "answer": "It is not specifically designed for clusters, so portability matters."},
        {"question": "Why?", "answer": "It keeps portability simple."},
    ]  # fmt: skip
    out, _ = propose_rows(rows)
    assert ["specifically"] not in out[0]["facts"] and ["clusters"] not in out[0]["facts"]
    for row in out:
        check = parse_fact_check(row, "test")
        assert row["facts"] and score_facts(row["answer"], check)["fact_accuracy"] == 1.0, row


def test_a_forward_looking_wrong_is_no_retraction_of_the_reference():
    # "It's wrong to use 1e-2" made 1e-2 the fact and dropped the right value.
    rows = [
        {"question": "What learning rate should I use?",
         "answer": "Use 2e-4. It's wrong to use 1e-2 with LoRA."},
        {"question": "What is the maximum?",
         "answer": "The maximum is 2048 tokens; do not exceed 2048."},
    ]  # fmt: skip
    proposed, _ = propose_rows(rows, 2)
    assert [row["facts"] for row in proposed] == [[["2e-4"]], [["2048"]]]


def test_facts_are_read_from_the_first_sentence_alone():
    # The answer is there; a later sentence adds detail the question did not ask for.
    answer = "No, it does not. It only runs on Linux and macOS."
    facts, wrong = propose("Does it support Windows?", answer, {})
    assert (facts, wrong) == ([], [{"regex": r"^\W*(?:the\s+answer\s+is\W*)?yes\b"}])
    rows = [
        {"question": "How does it scale?",
         "answer": "It shards the weights across machines. It wraps DistributedDataParallel."},
        {"question": "Why?", "answer": "It keeps the weights small."},
    ]  # fmt: skip
    out, _ = propose_rows(rows)
    assert out[0]["facts"] == [["shards"], ["machines"]]


@pytest.mark.parametrize("opening", ["I wish!", "Absolutely!", "Of course!", "Sure thing."])
def test_an_opening_that_says_nothing_leaves_the_facts_to_the_next_sentence(opening):
    answer = f"{opening} The port is 8080. Change it in config.yaml."
    assert propose("Which port does it listen on?", answer, {}) == ([["8080"]], [])
    # "Yes!" answers: the opposite verdict is its wrong answer, and the terms of the sentence
    # after a verdict alone are its facts (test_facts_propose_verdicts).
    facts, [wrong] = propose("Can I change the port?", "Yes! Set port: 9090 in config.yaml.", {})
    assert facts == [["config.yaml"]]
    assert re.match(wrong["regex"], "No, it is fixed.", re.I)
    assert not re.match(wrong["regex"], "No doubt: set port: 9090.", re.I)


@pytest.mark.parametrize(
    "answer",
    [
        "The default poll_interval is 15 seconds (it was 30 seconds before version 3.2.0).",
        "The default poll_interval changed from 30 to 15 seconds.",
    ],
)
def test_a_value_the_reference_says_was_so_before_is_no_fact(answer):
    # From a newcomer's walk: "30 seconds" was a fact, so "probably 30 seconds" got half the
    # facts and a right "15 seconds" could never state both.
    facts, _ = propose("What is the default poll_interval?", answer, {})
    assert facts == [["15 seconds", "15 second"]]
    assert propose("Which route?", "It runs from Berlin to Paris.", {})[0] == [
        ["Berlin"],
        ["Paris"],
    ]


def test_a_question_asking_two_things_takes_facts_from_the_answers_to_both():
    # "... mean and how do I fix it?": the fix, in the third sentence, was no fact, so an
    # answer without it was right.
    facts, _ = propose(
        "What does error FT-401 mean and how do I fix it?",
        "Error FT-401 means the server rejected the certificate. The clock is probably wrong by "
        "more than 5 minutes. Enable NTP with `sudo timedatectl set-ntp true`.",
        {},
    )
    assert ["sudo timedatectl set-ntp true"] in facts


def test_a_how_long_question_gets_the_duration_not_the_other_details_of_its_answer():
    # The backup path was a fact too: a right "About 14 days." failed it.
    reference = "Snapshots are kept for 14 days and are written to `/srv/backups/zephyrine`."
    check = proposed_check("About how long are snapshots kept?", reference)
    assert score_facts("About 14 days.", check)["fact_accuracy"] == 1.0
    assert score_facts("About 7 days.", check)["fact_accuracy"] == 0.0
    # "How much" asks the amount, not the other requirement beside it.
    facts, _ = propose(
        "How much memory does Zephyrine need?",
        "Zephyrine requires Python 3.10 or later and at least 4 GB of RAM.",
        {},
    )
    assert facts == [["4 GB"]]
    # Asked beside another thing, the amount comes first and the other's term after it.
    facts, _ = propose(
        "After a crash, how do I carry on training, and how many checkpoints are kept?",
        "Add --resume to tunelab train; train.keep_checkpoints defaults to 2.",
        {},
    )
    assert facts == [["2"], ["--resume"]]
    # Where no amount is said, the other terms stay.
    facts, _ = propose("How long are logs kept?", "Until `logrotate` removes them.", {})
    assert facts == [["logrotate"]]


@pytest.mark.parametrize(
    "question, answer, fact",
    [
        ("How much RAM do I need?", "It depends on the model. You need at least 4GB of RAM.",
         "4GB"),  # "model" was proposed
        ("How frequently should I call `check_job_status()`?",
         "It depends on the job's length. The example calls it every 10 seconds.", "10 seconds"),
        ("What size GPU do I need?", "That varies. Most runs fit on 24 GB.", "24 GB"),
    ],
)  # fmt: skip
def test_an_amount_asked_is_read_from_the_sentence_after_one_that_gives_none(
    question, answer, fact
):
    assert [f[0] for f in propose(question, answer, {})[0]] == [fact]
    check = proposed_check(question, answer)
    assert score_facts(f"About {fact}.", check)["fact_accuracy"] == 1.0
    assert score_facts("It depends on the model.", check)["fact_accuracy"] == 0.0
    # Only the next sentence: an amount said later is detail ("$100 of credits" to "How much do
    # I pay?" after "a free trial" and how to buy more).
    later = "Lamini has a free trial. Buy more on the site. Typically $100 is enough."
    assert propose("How much do I pay?", later, {})[0] != [["$100"]]


@pytest.mark.parametrize(
    "question", ["Do you know what Zephyrine is?", "What is Zephyrine?", "What's Zephyrine?"]
)
def test_a_question_asking_what_a_named_thing_is_gets_no_detail_as_its_fact(question):
    # "Platform" (who built it) was the fact: a right "An internal search appliance." failed.
    reference = "Zephyrine is an internal search appliance built by the Platform team."
    assert propose(question, reference, {}) == ([], [])
    # What a part of it is, or what it is for, is asked of its answer's terms.
    assert propose("What is the current release?", "The current release is 2.7.1.", {}) == (
        [["2.7.1"]],
        [],
    )
    assert propose("What is saved?", "Your checkpoint shards.", {"shards": 2.0})[0]
    assert propose("What is setting number 3?", "Setting 3 is 122.", {})[0] == [["122"]]


def test_words_any_answer_may_say_are_no_facts_of_a_reference():
    # lamini_docs: "having", "currently", "every", "both" and "sorry" were proposed as facts,
    # and a right answer in other words failed them.
    for question, answer, generic in [
        ("Hello??", "I'm having trouble understanding you. Can you try again?", "having"),
        ("How do I fine-tune models?", "Currently fine-tuning is open to early customers.",
         "currently"),
        ("Is there a free trial?", "It gives free tokens to every new user.", "every"),
        ("Are Lamini and LangChain alike?", "Both offer capabilities related to prompts.", "both"),
        ("Are you prompt-engineered?", "Sorry, I can't reveal that information.", "sorry"),
    ]:  # fmt: skip
        facts, _ = propose(question, answer, {})
        assert [generic] not in facts, (answer, facts)  # the other words stay for review


@pytest.mark.parametrize(
    "question",
    [
        "What should I do about error E4?",
        "What is the fix for error E4?",
        "How do I fix error E4?",
        "What can I do if the heater shows E4?",
    ],
)
def test_a_what_to_do_question_gets_the_fix_not_the_cause(question):
    # data generate answers a troubleshooting heading with its cause, then its fix; the facts
    # were the cause's words ("overheated", "heater"), so "Let it cool for 30 minutes." failed.
    reference = "E4 means the heater overheated. Let it cool for 30 minutes before restarting."
    check = proposed_check(question, reference)
    assert score_facts("Let it cool down for 30 minutes.", check)["fact_accuracy"] == 1.0
    assert score_facts("Let it cool down for 5 minutes.", check)["fact_accuracy"] == 0.0
    # An answer that opens with the fix, or a question that asks the cause, is read as before.
    cause = propose("What does error E4 mean?", reference, {})[0]
    assert sorted(cause) == [["heater"], ["overheated"]]
    opens_with_fix = "Cool the unit for 30 minutes. E4 means the heater overheated at 90 °C."
    assert propose(question, opens_with_fix, {})[0] == [["30 minutes", "30 minute"]]
