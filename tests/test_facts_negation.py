"""Fact scoring reads an answer's negations: a fact it denies within a negation's reach, or states
and takes back, is not stated; what the negation does not reach still is."""

import pytest

from tests.conftest import fact_accurate
from tunelab.evaluate.facts.score import parse_fact_check, score_facts


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("CPU", "It doesn't run on the CPU."),
        ("CPU", "It cannot run on a CPU."),
        ("GPU", "You do not need a GPU."),
        ("GPU", "not the fast GPU"),
        ("GPU", "It trains without a graphics card or GPU."),
        ("CPU", "It does not support running inference on the CPU."),
        ("CPU", "There is no way to make it run on the CPU."),
    ],
)
def test_a_negation_a_few_words_before_a_fact_in_its_clause_denies_it(fact, answer):
    assert not fact_accurate(fact, answer)


@pytest.mark.parametrize(
    "answer",
    [
        "The capital is Paris. Actually it is not Paris.",
        "Paris? No, that's wrong; it is Lyon.",
    ],
)
def test_a_fact_the_answer_states_and_also_denies_is_not_stated(answer):
    assert not fact_accurate("Paris", answer)
    assert fact_accurate("Lyon", "Paris? No, that's wrong; it is Lyon.")


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("CPU", "It is not CPU only; it also uses a GPU."),
        ("GPU", "It is not CPU only; it also uses a GPU."),
        ("CPU", "It runs not only on the CPU but also on a GPU."),
        ("GPU", "It runs not only on the CPU but also on a GPU."),
        ("GPU", "It runs on the CPU, not the TPU, but a GPU helps."),  # "but" ends the clause
        ("8", "Use no more than 8 GPUs."),
        # past eight words the clause is about something else
        ("GPU", "It does not need any extra software or drivers installed to run well on a GPU."),
    ],
)
def test_what_a_negation_does_not_reach_is_still_stated(fact, answer):
    assert fact_accurate(fact, answer)


def test_what_a_regex_fact_matches_is_read_with_its_negations():
    def accurate(answer: str) -> bool:
        check = parse_fact_check({"facts": [[{"regex": r"\b0?\.05\b"}]]}, "t.jsonl:1")
        return score_facts(answer, check)["fact_accuracy"] == 1.0

    assert not accurate("The warmup is not 0.05; it is 0.1.")
    assert accurate("The warmup ratio is 0.05.")
    finetune = parse_fact_check({"facts": [[{"regex": "fine[- ]?tun"}]]}, "t.jsonl:1")
    assert score_facts("It is finetuned here.", finetune)["fact_accuracy"] == 1.0  # part of a word


@pytest.mark.parametrize(
    "answer, fact_stated, wrong_stated",
    [
        ("It does not use port 9001 but port 9000.", True, False),
        ("Not port 9001 but port 9000.", True, False),
        ("It does not use port 8000 but port 8080.", False, True),
        ("Not port 8000 but port 8080.", False, True),
        ("It does not use port 8000 but port 9000.", True, False),
        ("It does not use port 9000 but port 8000.", False, True),
    ],
)
def test_each_match_of_a_pattern_is_denied_on_its_own(answer, fact_stated, wrong_stated):
    # A fact and a wrong answer given as patterns of several values ("a 9xxx port", "an 8xxx
    # port"): the value an answer denies says nothing of another it then states.
    row = {"facts": [[{"regex": r"\bport 9\d{3}\b"}]], "wrong": [{"regex": r"\bport 8\d{3}\b"}]}
    scores = score_facts(answer, parse_fact_check(row, "t.jsonl:1"))
    assert scores["fact_recall"] == float(fact_stated)
    assert scores["hallucination"] == float(wrong_stated)


_PORT_ROW = {
    "question": "Which port does the server listen on?",
    "answer": "It listens on port 9000.",
    "facts": [["9000"]],
    "wrong": ["port 8000"],
}


@pytest.mark.parametrize(
    "answer",
    [
        "Many servers use port 8000, but this one does not listen on port 8000: it uses 9000.",
        "Port 8000 is common. The server does not by default listen on port 8000; it uses 9000.",
        "Port 8000 is common. It never binds to port 8000; it listens on port 9000.",
        "Port 8000 is common, yet it won't accept connections on port 8000. It uses 9000.",
    ],
)
def test_a_value_a_negated_verb_takes_is_denied_though_said_before(answer):
    # A negated verb denies what it takes in its clause, whatever the verb: the answer names
    # the wrong port only to deny it, no wrong answer and no other value.
    scores = score_facts(answer, parse_fact_check(_PORT_ROW, "t.jsonl:1"))
    assert scores == {
        "fact_recall": 1.0,
        "fact_accuracy": 1.0,
        "hallucination": 0.0,
        "other_value": 0.0,
    }


@pytest.mark.parametrize(
    "answer",
    [
        "It is not slow; it listens on port 8000.",  # another clause's negation
        "Port 8000 is the default. It is not slow on port 8000 either.",  # a copula's
        "It does not only listen on port 9000 but also on port 8000.",
        "It not only listens on port 9000 but also on port 8000.",
    ],
)
def test_a_value_no_negated_verb_takes_is_stated(answer):
    scores = score_facts(answer, parse_fact_check(_PORT_ROW, "t.jsonl:1"))
    assert scores["hallucination"] == 1.0


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # An adverb of manner after a negated verb takes the denial: it runs there, slowly
        # (the CPU was denied, though the answer said it runs on it).
        ("CPU", "It runs on the CPU, though it won't run fast on the CPU.", True),
        ("GPU", "It trains on a GPU. It does not train well on a GPU.", True),
        ("Windows", "It runs on Windows. It doesn't run natively on Windows.", True),
        # ...but, said only there, where it runs is not stated.
        ("CPU", "It won't run fast on the CPU.", False),
        # A verb negated with no manner, or with an adverb before it, still denies the place.
        ("CPU", "It runs on the GPU. It does not run on the CPU.", False),
        ("CPU", "It runs on the GPU. It does not actually run on the CPU.", False),
        ("CPU", "It runs on the GPU; it does not run on the CPU quickly.", False),
        # A word in -ly before a noun is an adjective: its noun is denied with it.
        ("early stopping", "It does not support early stopping.", False),
        ("nightly builds", "It does not ship nightly builds.", False),
    ],
)
def test_a_negated_verb_s_manner_takes_the_denial_not_where_it_is_done(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated


@pytest.mark.parametrize(
    "answer",
    [
        "The default is 2e-4; you don't need to change the default of 2e-4.",
        "The default is 2e-4, and you do not have to change 2e-4.",
    ],
)
def test_a_negated_need_denies_the_need_not_what_follows(answer):
    assert fact_accurate("2e-4", answer)


@pytest.mark.parametrize(
    "fact, answer",
    [
        # A negation a few words before a word says nothing of the same word stated elsewhere.
        ("2048", "The maximum is 2048 tokens; do not exceed 2048."),
        ("3.8", "It supports 3.8+; it doesn't support versions below 3.8."),
        ("CPU", "Yes, it runs on CPU. It's not slow on CPU either."),
        # Exceptions, "and" and a double negation end a negation's reach.
        ("CPU", "It does not need anything except a CPU."),
        ("PyTorch", "It has no dependencies beyond PyTorch."),
        ("GPU", "Yes, it won't work without a GPU."),
        ("CUDA", "You can't finetune a 7B model without CUDA."),
        ("CPU", "It does not need a GPU and the CPU is enough."),
        # "It is not true that..." and "It's wrong to..." look ahead: they take nothing back.
        ("CPU", "It runs on the CPU. It is not true that you need a GPU."),
        ("2e-4", "Use 2e-4. It's wrong to use 1e-2 with LoRA."),
    ],
)
def test_right_answers_a_reviewer_found_scored_wrong_are_right(fact, answer):
    assert fact_accurate(fact, answer)


@pytest.mark.parametrize("dash", [" - ", " – ", " — "])
def test_a_retraction_before_a_dash_takes_back_what_came_before(dash):
    # "Helsinki? No, that's wrong - it is made in Tampere." scored Helsinki stated, Tampere not.
    answer = f"Helsinki? No, that's wrong{dash}it is made in Tampere."
    assert not fact_accurate("Helsinki", answer) and fact_accurate("Tampere", answer)


@pytest.mark.parametrize(
    "answer",
    ["Helsinki? No, that's wrong—it is made in Tampere.", "Helsinki? That's wrong -- Tampere."],
)
def test_a_retraction_before_an_unspaced_or_double_dash_takes_back_what_came_before(answer):
    assert not fact_accurate("Helsinki", answer) and fact_accurate("Tampere", answer)


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("--gpu", "It doesn't start unless you pass --gpu."),
        ("HF_TOKEN", "It won't work until you set HF_TOKEN."),
        ("8 GB", "You can't train unless you have 8 GB of memory."),
        ("0.1", "Training does not stop when the loss is 0.1."),
    ],
)
def test_a_negated_verb_s_condition_states_what_it_asks(fact, answer):
    # The condition is a clause of its own: what it asks for is stated, not denied.
    assert fact_accurate(fact, answer)


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("127.0.0.1", "If you do not pass --host it listens on 127.0.0.1."),
        ("CPU", "If no GPU is found it uses the CPU."),
        ("port 8000", "If you do not give it a port it picks port 8000."),
    ],
)
def test_a_condition_s_negation_ends_where_its_main_clause_begins_without_a_comma(fact, answer):
    # What the main clause says is stated, as it is with the comma ("--host, it listens").
    assert fact_accurate(fact, answer)


def test_a_negation_inside_a_condition_still_denies_what_it_takes():
    assert not fact_accurate("127.0.0.1", "If it does not listen on 127.0.0.1 restart it.")


def test_a_negated_verb_still_denies_what_it_takes_before_its_condition():
    assert not fact_accurate("Windows", "It does not run on Windows unless you use WSL.")


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("--merged", "Pass --merged. Don't forget to pass --merged when you export."),
        ("warmup", "Don't skip the warmup."),
        ("--merged", "Make sure you don't miss the --merged flag."),
        ("QLoRA", "Do not hesitate to use QLoRA."),
        ("1,400", "The model does not forget what it learned from the 1,400 rows."),
    ],
)
def test_a_negated_verb_of_failing_states_what_it_takes(fact, answer):
    # Not to forget or skip a thing is to do it: the answer says to pass --merged.
    assert fact_accurate(fact, answer)


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("16", "You can't go wrong with a rank of 16."),
        ("data", "Deploy Lamini internally and never lose sight of your data."),
    ],
)
def test_an_idiom_of_failing_negated_states_what_it_takes(fact, answer):
    # Not to go wrong with 16 is to recommend 16, as not to forget --merged is to pass it.
    assert fact_accurate(fact, answer)


def test_a_negated_verb_of_losing_still_denies_what_it_takes():
    assert not fact_accurate("data", "It does not lose your data.")


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("10 MB", "It cannot handle files over 10 MB."),
        ("4 tokens", "It does not accept prompts under 4 tokens."),
        ("30 seconds", "A step won't take over 30 seconds."),
        ("200", "Lamini doesn't charge for the first 200 calls."),
        ("50 steps", "It does not evaluate during the first 50 steps."),
    ],
)
def test_a_limit_over_or_under_a_number_after_a_negation_is_stated(fact, answer):
    # As "can't be more than 512 tokens": the limit is what the answer says.
    assert fact_accurate(fact, answer)


def test_over_before_no_number_is_no_limit():
    assert not fact_accurate("SSH", "It doesn't run over SSH.")


@pytest.mark.parametrize(
    "answer",
    [
        "It supports LoRA. The article does not mention whether it supports LoRA.",
        "It supports LoRA, though the docs don't say how LoRA is set up.",
    ],
)
def test_a_negated_verb_of_saying_leaves_what_it_reports_undenied(answer):
    # Not mentioning a thing is no denial of it: LoRA, said before, is still stated.
    assert fact_accurate("LoRA", answer)


def test_what_a_negated_verb_of_saying_reports_is_not_stated_there():
    assert not fact_accurate("LoRA", "The article does not mention whether it supports LoRA.")
