"""`tunelab data facts` on a model's name with its variant: a size word after the name ("Phi-3
mini", "GPT-2 XL", "BERT base") or a mixture's experts and size ("Mixtral 8x7B") is one fact, so
another variant of the same model is not credited."""

import pytest

from tests.conftest import proposed_check
from tunelab.evaluate.facts.propose import propose
from tunelab.evaluate.facts.score import score_facts
from tunelab.evaluate.facts.specific_terms import specific_terms


def _facts(question: str, answer: str) -> list[str]:
    return [alternatives[0] for alternatives in propose(question, answer, {})[0]]


def _accuracy(question: str, reference: str, answer: str) -> float:
    return score_facts(answer, proposed_check(question, reference))["fact_accuracy"]


@pytest.mark.parametrize(
    "model, right, wrong",
    [
        # "Phi-3", "GPT-2", "Mixtral" and "BERT" were proposed alone: any variant stated them.
        ("Phi-3 mini", "phi-3 Mini", "Phi-3 medium"),
        ("GPT-2 XL", "GPT-2 XL", "GPT-2 medium"),
        ("GPT-2 medium", "gpt-2 medium", "GPT-2 large"),
        ("Mixtral 8x7B", "Mixtral-8x7B", "Mixtral 8x22B"),
        ("Mixtral 8x22B", "mixtral 8x22b", "Mixtral 8x7B"),
        ("BERT base", "BERT base", "BERT large"),
        ("T5 small", "T5 small", "T5 base"),
    ],
)
def test_a_model_with_its_variant_is_one_fact(model, right, wrong):
    question, reference = "Which model does it use?", f"It uses {model} by default."
    assert _facts(question, reference) == [model]
    assert _accuracy(question, reference, f"It uses {right}.") == 1
    assert _accuracy(question, reference, f"It uses {wrong}.") == 0


def test_a_variant_is_its_name_s_where_the_sentence_opens_with_it_too():
    assert _facts("Which model runs on a phone?", "Phi-3 mini runs on a phone.") == ["Phi-3 mini"]
    assert _facts("Which model?", "Phi-3 mini answers questions.") == ["Phi-3 mini"]
    assert _facts("Which is better?", "Mixtral 8x7B outperforms Llama 2 70B.") == [
        "Llama 2 70B",
        "Mixtral 8x7B",
    ]
    assert sorted(_facts("Which sizes?", "We tried GPT-2 small and GPT-2 large.")) == [
        "GPT-2 large",
        "GPT-2 small",
    ]


@pytest.mark.parametrize(
    "reference",
    ["It uses Claude 3 Opus.", "Claude 3 Opus is the largest.", "Claude 3 Opus really shines."],
)
def test_a_tier_after_a_spaced_version_is_one_fact_with_the_name(reference):
    # "Claude 3" and "Opus" were two facts ("3" and "Opus" where an adverb came before the verb),
    # so "Claude 3 Haiku" stated half of it.
    question = "Which model is the largest?"
    assert _facts(question, reference) == ["Claude 3 Opus"]
    assert _accuracy(question, reference, "Claude 3 Opus.") == 1
    assert _accuracy(question, reference, "It is claude-3-opus.") == 1
    assert _accuracy(question, reference, "Claude 3 Haiku.") == 0


@pytest.mark.parametrize(
    "reference, model, right, wrong",
    [
        # "1.5" and "Pro", "Llama 3" and "Instruct", "GPT-3.5" and "Turbo" were two facts each,
        # so another tier or the untuned model stated half of the name.
        (
            "Gemini 1.5 Pro reads long files.",
            "Gemini 1.5 Pro",
            "gemini-1.5-pro",
            "Gemini 1.5 Flash",
        ),
        ("It uses Gemini 1.5 Flash.", "Gemini 1.5 Flash", "Gemini 1.5 Flash", "Gemini 1.5 Pro"),
        ("Llama 3 Instruct answers well.", "Llama 3 Instruct", "llama-3-instruct", "Llama 3"),
        ("It uses Llama 2 Chat by default.", "Llama 2 Chat", "Llama-2-chat", "Llama 2"),
        ("We use GPT-3.5 Turbo here.", "GPT-3.5 Turbo", "gpt-3.5-turbo", "GPT-3.5"),
        ("GPT-4 Turbo answers fast.", "GPT-4 Turbo", "gpt-4-turbo", "GPT-4"),
        ("It runs Phi-3.5 mini.", "Phi-3.5 mini", "Phi-3.5-mini", "Phi-3.5 medium"),
        ("It runs on an M3 Max.", "M3 Max", "M3 Max", "M3 Pro"),
    ],
)
def test_a_tier_or_tuning_after_a_name_with_a_digit_is_one_fact_with_it(
    reference, model, right, wrong
):
    question = "Which model?"
    assert _facts(question, reference) == [model]
    assert _accuracy(question, reference, f"It is {right}.") == 1
    assert _accuracy(question, reference, f"It is {wrong}.") == 0


@pytest.mark.parametrize(
    "text, terms",
    [
        # A tier's word in its ordinary use is no part of the number or the name beside it.
        ("Pro tip: use Python 3.", ["Python 3", "3", "Python"]),
        ("Base 2 logarithm is used.", ["2"]),
        ("Chat 2 times a day.", ["2"]),
        ("Use the API Pro plan.", ["API"]),
        ("The GPU Max clock is 2 GHz.", ["2 GHz", "GPU", "GHz"]),
    ],
)
def test_a_tier_s_word_in_its_ordinary_use_is_no_model_s(text, terms):
    assert specific_terms(text) == terms


@pytest.mark.parametrize(
    "reference, model",
    [
        ("Phi-3 mini really shines.", "Phi-3 mini"),
        ("Phi-3 mini often wins.", "Phi-3 mini"),
        ("GPT-2 XL clearly helps.", "GPT-2 XL"),
        ("T5 small only needs a CPU.", "T5 small"),
    ],
)
def test_a_variant_before_an_adverb_and_its_verb_is_its_name_s(reference, model):
    # "Phi-3", "GPT-2" and "T5" were proposed alone: the verb was not looked for past the adverb.
    assert _facts("Which model?", reference)[0] == model


def test_a_variant_an_adverb_follows_is_its_name_s():
    # "Phi-3" alone was proposed: "first" read as a noun that "mini" sized.
    assert _facts("Which model?", "Install Phi-3 mini first.") == ["Phi-3 mini"]
    assert _facts("Which model?", "Run Phi-3 mini locally.") == ["Phi-3 mini"]
    assert _facts("Which model?", "Try BERT base instead.") == ["BERT base"]
    # A noun after the size word is still the noun's.
    assert _facts("Which URL?", "Set the API base URL first.") == ["API"]
    # So is an adjective in -ly before a noun: an adverb ends its clause or a preposition follows
    # ("API base" and "A100 base" were proposed: "daily", "supply" read as adverbs).
    assert _facts("What limits calls?", "The API base daily limit is 100.") == ["100", "API"]
    assert _facts("Which GPU?", "The A100 base supply voltage is 12 V.") == ["A100", "12 V"]
    assert _facts("Which model?", "Run Phi-3 mini quickly on a laptop.") == ["Phi-3 mini"]
    assert _facts("Which model?", "It is of the BERT base family of models.") == ["BERT base"]
    # Any preposition ends its phrase ("Phi-3" alone was proposed before "without"), save "of",
    # after which it is its noun's.
    assert _facts("Which model?", "Run Phi-3 mini without a GPU.") == ["Phi-3 mini"]
    assert _facts("Which model?", "Use GPT-2 XL over BERT.") == ["GPT-2 XL", "BERT"]
    assert _facts("Which GPU?", "The A100 base of the card is 12 V.") == ["A100", "12 V"]


def test_names_that_hold_their_variant_or_size_stay_whole():
    assert _facts("Which model?", "It uses Phi-3-mini-4k-instruct.") == ["Phi-3-mini-4k-instruct"]
    assert _facts("Which model?", "Try T5-large here.") == ["T5-large"]
    assert _facts("Which model?", "We fine-tuned Llama 3.1 70B.") == ["Llama 3.1 70B"]
    assert _facts("Which model?", "It uses Gemma 2 9B.") == ["Gemma 2 9B"]


def test_a_size_word_with_no_model_before_it_is_no_variant():
    for reference in ("Start from the base model.", "A small model is enough."):
        assert not any(" " in fact for fact in _facts("Which model?", reference))
    assert _facts("Which URL?", "Set the API base URL first.") == ["API"]
    assert _facts("Which model?", "GPT-4 large language models answer it.") == ["GPT-4"]
    # A size word a noun follows is the noun's ("A100 base", "GPT-4 large" were proposed).
    assert _facts("Which GPU?", "The A100 base clock is 1 GHz.") == ["A100", "1 GHz"]
    assert _facts("Which model?", "GPT-4 large context windows help.") == ["GPT-4"]
    # Claude's tiers are its variants ("Claude-3 Opus"); in lower case, a poem.
    assert _facts("Which model?", "Use Claude-3 Opus.") == ["Claude-3 Opus"]
    assert _facts("What can I write?", "Write an LLM haiku.") == ["LLM"]
    assert _facts("What did it write?", "The GPT-4 sonnet is long.") == ["GPT-4"]
    # A plural after a number still says what it counts.
    assert _facts("How was it tested?", "It ran Python 3 8M times.") == ["Python 3", "8M"]
    assert _facts("What did it serve?", "It served Redis 2M keys.") == ["2M", "Redis"]


def test_a_sentence_s_opening_verb_before_a_size_is_no_model_s_name():
    # "Uses 2x4B" was proposed: "chips" read as the name's verb.
    assert "Uses 2x4B" not in specific_terms("Uses 2x4B chips.")
    assert _facts("Which model?", "Gemma 2B runs on a laptop.") == ["Gemma 2B"]
    # ...nor before a name with its version: "Runs Llama 3 8B" was proposed ("models" read as
    # its verb), and "Supports Windows" beside "Windows 11".
    assert _facts("Which model?", "Runs Llama 3 8B models.") == ["Llama 3 8B"]
    assert _facts("Which OS?", "Supports Windows 11 and macOS 14.") == ["Windows 11", "macOS 14"]
    # A name's first word in -s is the name's where the name's verb follows it.
    assert _facts("Which plugin?", "Jenkins Pipeline 2.0 runs builds.") == ["Jenkins Pipeline 2.0"]


def test_an_acronym_a_hyphen_and_digit_follow_is_its_name_s_part_not_a_fact_alone():
    # "GPT" was proposed beside "GPT-2 small" and "GPT-4": any GPT model stated it.
    assert specific_terms("GPT-2 small and GPT-4 are models.") == ["GPT-2 small", "GPT-4"]
    assert _facts("Which model?", "It uses GPT-4.") == ["GPT-4"]
    # Its capitalised hyphened parts are its own: "GPT-J", "JSON-RPC", "CC-BY" are one each.
    assert _facts("Which model?", "It uses GPT-J.") == ["GPT-J"]
    assert _facts("Which license?", "It is under a CC-BY license.") == ["CC-BY"]
