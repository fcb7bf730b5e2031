"""Fact scoring reads values as values: a number with its unit, sign or symbol, written another
common way, is the same value; one offered among others or as an end of a range, or inside a
larger one, is not stated."""

from __future__ import annotations

import pytest

from tests.conftest import fact_accurate
from tunelab.evaluate.facts import parse_fact_check, score_facts


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("1000", "It is 1,000 tokens."),
        ("1,000", "It is 1000 tokens."),
        ("5 GB", "It needs 5GB."),
        ("5GB", "It needs 5 GB."),
        ("Straße", "Die STRASSE."),
        ("İstanbul", "istanbul"),
        ("-8", "The minimum is −8."),  # a minus sign is a hyphen's equal
        ("10%", "It drops 10 % of them."),
        ("€5", "It costs 5 €."),
        ("5", "It costs $5."),  # a fact that names no currency or unit accepts any
        ("C++", "Written in C++."),
        ("5e-4", "The rate is 5E-4."),
        ("5e-4", "The rate is 5e-04."),
        ("5e4", "The rate is 5e+4."),
        ("1.5e-4", "The rate is 1.5e-4."),
        ("5e-4", "The rate is 5e\u22124."),  # a minus sign in the exponent
    ],
)
def test_the_same_value_written_another_way_is_stated(fact, answer):
    assert fact_accurate(fact, answer)


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("-8", "It is 8."),
        ("8", "It is −8."),
        ("10%", "It is 10 GB."),
        ("€5", "It costs $5."),
        ("C++", "Written in C."),
        ("C", "Written in C++."),
        ("C#", "Written in C."),
        ("gpt-4", "It is gpt-4o."),
        ("5e-4", "It is 5e+4."),  # the exponent's sign is the number's
        ("2e-5", "It is 2e+5."),
        ("5e-4", "It is -5e-4."),
        ("4", "Use 1e-4."),  # an exponent is no number of its own
        ("16", "Set eps to 1e-16."),
    ],
)
def test_a_sign_unit_or_symbol_glued_to_a_word_is_part_of_it(fact, answer):
    assert not fact_accurate(fact, answer)


def test_an_exponent_is_not_a_wrong_answer_stated():
    check = parse_fact_check({"facts": [["16"]], "wrong": ["8"]}, "t.jsonl:1")
    scores = score_facts("The rank defaults to 16, trained with AdamW (eps 1e-8).", check)
    assert scores["fact_accuracy"] == 1.0 and scores["hallucination"] == 0.0


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # What a denied verb of having or working takes is denied with it, said before or not; past a few
        # words, or after a purpose or condition, it has taken something else.
        # What a denied verb of having or working takes is denied with it, said before or not.
        ("CPU", "It runs on the CPU. Lamini does not support the CPU.", False),
        ("stemming", "It supports stemming. It does not support stemming.", False),
        ("CPU", "It runs on a CPU; it doesn't run on the CPU of a phone.", False),
        # Past a few words the verb has taken something else.
        ("CPU", "You don't have to use a GPU to run on the CPU.", True),
        ("CPU", "It runs on the CPU. It does not need a GPU.", True),
        # A purpose or a condition is a clause of its own.
        ("CPU", "You don't need a GPU to train on a CPU.", True),
        ("CPU", "It does not need a GPU when it runs on the CPU.", True),
        # "? No," takes back what it asks; a value in e-notation offered among others is not stated.
        ("32", "It could be 8, 16, 32 or 64.", False),  # the audit's hedges, all scored 1
        ("32", "Try 16 or 32.", False),
        ("$20", "$10 or $20 a month", False),
        ("16 GB", "8 GB or 16 GB", False),
        # With its unit or its name said again, it is offered all the same.
        ("3", "It trains for 3 epochs or 4 epochs.", False),
        ("3.10", "It needs Python 3.9 or Python 3.10.", False),
        ("8080", "It listens on port 8000 or port 8080.", False),
        ("3", "It trains for 3 epochs, or fewer with max_steps.", True),
        ("32", "The default is 32; 16 or 32 both fit small GPUs.", True),  # said alone too
        # From a review: a restatement or an alternative after ", or" is no guess.
        ("1 GB", "The max upload size is 1 GB, or 1024 MB.", True),
        ("32", "The default batch size is 32, or 64 if you have an A100.", True),
        # Unless the second is hedged; and numbers in words are offered as digits are.
        ("16", "It is 16, or maybe 8.", False),
        ("3", "Two epochs or three?", False),
        ("3 hours", "It takes two or three hours.", False),
        ("5", "Use three to five epochs.", False),
    ],
)
def test_a_value_offered_among_others_is_not_stated(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated
    # Two values the row expects both are no hedge: "3.10 or 3.11" states both.
    for facts, answer in [
        ([["3.10"], ["3.11"]], "Python 3.10 or 3.11."),
        ([["10%"], ["20%"]], "Set the split to 10% or 20%."),  # as the facts write them
        ([["7B"], ["13B"]], "It comes in 7B or 13B sizes."),
        ([["1,000"], ["2,000"]], "It accepts 1,000 or 2,000 rows."),
    ]:
        both = parse_fact_check({"facts": facts}, "t.jsonl:1")
        assert score_facts(answer, both)["fact_accuracy"] == 1.0, answer


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # Two values of one kind around a slash offer a choice, as "8000 or 8080" does.
        ("8080", "The default port is 8000/8080.", False),
        ("8000", "The default port is 8000 / 8080.", False),
        ("3.11", "It needs Python 3.10/3.11.", False),
        ("16 GB", "It needs 8GB/16GB.", False),
        ("$10", "It costs $5/$10 a month.", False),
        ("1024", "Use 1024/2048 tokens.", False),
        # Small powers of two are a setting's choices too (in lowest terms no fraction of them
        # has more than 1 on top): "16/32" is offered as "16 or 32" is.
        ("16", "Set the rank to 16/32.", False),
        ("32", "Use a batch size of 16/32.", False),
        ("8", "Use 8/16 GPUs.", False),
        ("8080", "The default port is 8080; 8000/8080 both work.", True),  # said alone too
        # A fraction, a score, a ratio, a date, a path or a rate is no choice.
        ("3", "Use 3/4 of the data.", True),
        ("4", "Use 3/4 of the data.", True),
        ("2", "Use 1/2 of the data.", True),
        ("8", "Use 1/8 of the data.", True),
        ("80", "Use an 80/20 split.", True),
        ("9", "It scored 9/10.", True),
        ("24", "Support is 24/7.", True),
        ("2026", "It was released 12/05/2026.", True),
        ("12", "It was released 12/05/2026.", True),
        ("2024", "It was released 2024/01/15.", True),
        ("v1", "Call /v1/chat/completions.", True),
        ("50", "It does 50 tokens/s.", True),
        ("24", "Use the subnet 10.0.0.0/24.", True),
        ("TCP", "It uses TCP/IP.", True),
        ("output", "Check input/output.", True),
        # After two names joined by a slash, each value is its name's: r is 128, alpha 256.
        ("128", "Use r/alpha 128/256.", True),
        ("256", "Use r/alpha 128/256.", True),
        ("256", "Set lora_r/lora_alpha: 128/256 for this model.", True),
        ("16", "Use r/alpha 16/32.", True),
        ("32", "Use r/alpha 16/32.", True),
        ("256", "Set alpha 128/256.", False),  # one name: a choice of its value
        # HTTP statuses of a plural kind are each one of them; a singular one is still a choice.
        ("404", "It returns 404/500 errors.", True),
        ("503", "Throttled calls get 429/503 status codes.", True),
        ("500", "It returns a 404/500 error.", False),
    ],
)
def test_values_either_side_of_a_slash_are_offered_as_a_choice(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated
    # Both expected, they are both stated ("3.10/3.11" may be the row's two facts).
    both = parse_fact_check({"facts": [["3.10"], ["3.11"]]}, "t.jsonl:1")
    assert score_facts("It needs Python 3.10/3.11.", both)["fact_accuracy"] == 1.0
    # The pair itself, as `data facts` proposes it from such a reference, is the fact.
    for fact, said in [("8000/8080", "The default port is 8000/8080."), ("8GB/16GB", "8GB/16GB")]:
        assert fact_accurate(fact, said), said


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # Several values of one kind where one is asked ("is", "was", "defaults to") are a hedge,
        # as "8000, 8080 or 9000" is.
        ("8080", "The default port is 8000, 8080, 9000.", False),
        ("8000", "The default port is 8000, 8080.", False),
        ("16 GB", "The memory needed is 8 GB, 16 GB, 32 GB.", False),
        ("3.11", "The required version was 3.10, 3.11.", False),
        ("8080", "It defaults to 8000, 8080, 9000.", False),
        ("8080", "It's 8000, 8080, 9000.", False),
        # A list that names several is several facts; a value after the list's is another one.
        ("3.11", "Supported: Python 3.10, 3.11, 3.12", True),
        ("3.11", "The supported versions are 3.10, 3.11, 3.12.", True),
        ("CSV", "It reads JSONL, CSV and Parquet.", True),
        ("16", "The default is 16, 32 with QLoRA.", True),
        ("16", "The default is 16, 32 recommended.", True),
        ("16", "The rank is 16, the alpha is 32.", True),
        ("2024", "The release date is March 5, 2024.", True),
    ],
)
def test_values_listed_where_one_is_asked_are_a_hedge(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated
    # A wrong one among them is not stated; all of them expected, all are stated.
    check = parse_fact_check({"facts": [["8080"]], "wrong": ["8000"]}, "t.jsonl:1")
    assert score_facts("The default port is 8000, 8080, 9000.", check)["hallucination"] == 0.0
    every = parse_fact_check({"facts": [["3.10"], ["3.11"], ["3.12"]]}, "t.jsonl:1")
    assert score_facts("The version is 3.10, 3.11, 3.12.", every)["fact_accuracy"] == 1.0
    assert fact_accurate("8000, 8080", "The default port is 8000, 8080.")  # the list is the fact


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # A range does not know the value, as "16 or 32" does not: an end said only as one is
        # not stated (each scored 1).
        ("3", "It trains for 1-3 epochs.", False),
        ("3", "It trains for 1 to 3 epochs.", False),
        ("3", "It trains for between 1 and 3 epochs.", False),
        ("1", "It trains for 1\u20133 epochs.", False),
        ("16 GB", "You need 8-16 GB.", False),
        ("16 GB", "You need 8GB to 16GB.", False),
        ("8 GB", "You need 8 GB-16 GB.", False),
        ("10%", "Use 5-10% of the data.", False),
        ("10%", "The discount is 5%-10%.", False),
        ("$20", "It costs $10-$20 a month.", False),
        ("3", "It is 3-4x faster.", False),
        ("3", "It ranges from -3 to 3.", False),
        ("3.10", "It supports Python 3.9-3.10.", False),  # up, as versions go
        # A span of versions is a range: neither end is stated, with its name or without.
        ("3.8", "Python 3.8-3.11 is supported.", False),
        ("Python 3.8", "Python 3.8-3.11 is supported.", False),
        ("Python 3.8", "It needs Python 3.8 to 3.11.", False),
        ("batch 16", "Use batch 16-32.", False),
        # "increased 10 to 15 percent" is by 10 to 15 percent; "from 10 to 15" a change.
        ("15%", "Sales increased 10 to 15 percent.", False),
        ("15%", "Sales increased from 10 to 15 percent.", True),
        ("3", "It trains for 3 epochs; 1-3 epochs is common.", True),  # said alone too
        # A date, a version, a code, a phone number, a sign or a score is no range.
        ("2024", "It was released 2024-01-15.", True),
        ("2024", "It was released in 2024-01.", True),
        ("3.10", "Use the python:3.10-slim image.", True),
        ("1.2", "Install v1.2-3.", True),
        ("401", "It fails with HB-401.", True),
        ("4567", "Call 555-123-4567.", True),
        ("1234", "Call +1 555-1234.", True),
        ("1234", "Call 555-1234.", True),
        ("1234", "Our phone number is 555-1234.", True),
        ("1000", "Use 500-1000 rows.", False),  # no phone number
        ("1000", "Set the number of rows to 500-1000.", False),
        ("-3", "Set it to -3.", True),
        ("16", "Use 16-bit precision.", True),
        ("5", "It won 10-5.", True),
        # Nor is a change of a value: the new value is stated.
        ("8", "Raise it from 4 to 8 GPUs.", True),
        ("8", "The batch size was increased from 4 to 8.", True),
    ],
)
def test_a_value_said_only_as_an_end_of_a_range_is_not_stated(fact, answer, stated):
    assert fact_accurate(fact, answer) == stated


@pytest.mark.parametrize(
    "facts, answer",
    [
        ([["1"], ["3"]], "It trains for 1-3 epochs."),  # both ends expected
        ([["5%"], ["10%"]], "The discount is 5%-10%."),  # a range's dash is no sign
        ([["1-3"]], "It trains for 1-3 epochs."),  # the range is the fact
        ([["3", "1-3"]], "It trains for 1-3 epochs."),
        ([["5-10 GB"]], "It needs between 5 and 10 GB."),
        ([["555-1234"]], "Call 555-1234."),
        ([["Python 3.8-3.11"]], "Python 3.8-3.11 is supported."),
        ([["3.8"], ["3.11"]], "Python 3.8-3.11 is supported."),
    ],
)
def test_a_range_the_row_expects_is_stated(facts, answer):
    check = parse_fact_check({"facts": facts}, "t.jsonl:1")
    assert score_facts(answer, check)["fact_accuracy"] == 1.0


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("2.4 Gbps", "It reaches 2-4 Gbps."),
        ("2.4 Gbps", "2/4 Gbps"),
        ("0.5", "between 0-5"),
        ("1.5", "Use 1 or 2; 1–5 works too."),
        ("3.14", "3, 14"),
        ("v1.2", "v1-2"),
    ],
)
def test_a_decimal_is_not_stated_by_its_digits_in_a_range_or_list(fact, answer):
    # A fact's "2.4" was read as the words "2 4", which a range "2-4" says.
    assert not fact_accurate(fact, answer)
    assert fact_accurate(fact, f"It is {fact}.")


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("3.5 GB", "Es braucht 3,5 GB Speicher."),  # a decimal comma
        ("3.5", "Il faut 3,5 Go."),
        ("1000", "It holds 1,000 rows."),  # a thousands comma stays one
    ],
)
def test_a_decimal_comma_is_a_decimal(fact, answer):
    # Kept one word, "3.5" was no longer stated by a German "3,5".
    assert fact_accurate(fact, answer)


@pytest.mark.parametrize(
    "fact, answer", [("3", "Use steps 1,2,3."), ("16", "Batch sizes 8,16,32."), ("5", "1，5")]
)
def test_a_list_written_without_spaces_keeps_its_numbers_apart(fact, answer):
    # The decimal comma rule read "1,2,3" as 1, 2.3 and the full-width "1，5" as 1.5.
    assert fact_accurate(fact, answer) and not fact_accurate("2.3", "Use steps 1,2,3.")


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("12.5 W", "It draws 12.50 W.", True),
        ("$249", "It costs $249.00.", True),
        ("5 GB", "It needs 5.0 GB.", True),
        ("2.4 GHz", "On the 2.40 GHz band.", True),
        ("$249", "It costs $249.50.", False),
        ("3.1", "It needs Python 3.10.", False),  # a version's zero is no trailing zero
        ("1.1", "Since the 1.10 release.", False),
    ],
)
def test_a_measures_trailing_zeros_say_nothing_but_a_versions_do(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated


# Found by an adversarial audit of the scorer (each was scored the other way).
@pytest.mark.parametrize(
    "fact, answer",
    [
        # A negated copula denies its subject.
        ("Windows", "Windows is not supported."),
        ("8", "8 isn't the default; it is 16."),
        ("GPU", "A GPU is not required."),
        ("8", "8 is no longer the default; it is 16."),
        # A contrast or a past value denies what it sets aside.
        ("8", "The default is 16 rather than 8."),
        ("Paris", "It's Lyon instead of Paris."),
        ("Paris", "It's Lyon, as opposed to Paris."),
        ("8", "The default is 16; it used to be 8."),
        # A magnitude is part of the value.
        ("$5", "It costs $5 million."),
        ("$5", "It costs $5M."),
        ("5", "It reads 5k rows."),
        ("7", "Use the 7B model."),
        ("$5", "It costs -$5."),
        # A time is one value; an address is said whole.
        ("10", "It runs at 10:30."),
        ("https://example.com/docs", "See https://example.com/docs/v2."),
        ("example.com", "Write to example.com.au."),
        ("a@b.com", "Mail a.b.com."),
        # "one" is a number before a unit only.
        ("1", "Pick the one that works."),
        ("16", "It keeps sixty checkpoints."),
    ],
)
def test_values_denied_set_aside_or_inside_a_larger_one_are_not_stated(fact, answer):
    assert not fact_accurate(fact, answer)


@pytest.mark.parametrize(
    "fact, answer",
    [
        ("8", "It must not exceed 8."),  # a limit's verb: the limit is stated
        ("2048", "Do not exceed 2048 tokens."),
        ("8", "It should not go above 8."),
        ("Paris", "Paris is not only the capital but the largest city."),
        ("Linux", "Windows is not supported; use Linux."),
        ("Python", "Python 3.8 is not supported; Python 3.10 is."),
        ("$5 million", "It costs $5M a year."),
        ("7B", "Use the 7 billion parameter model."),
        ("10:30", "The backup runs at 10:30 PM."),
        ("10.30", "The backup runs at 10:30."),
        ("March 5, 2024", "It was released on March 5th, 2024."),
        ("5%", "about 5 percent"),
        ("16 GB", "16 gigabytes"),
        ("100 ms", "100 milliseconds"),
        ("$5", "5 dollars"),
        ("$5", "USD 5"),
        ("Zürich", "The office is in Zurich."),
        ("7 days", "Logs are kept for seven days."),  # a count before its unit
        ("3", "It retries three times."),
        ("16", "The default is sixteen."),  # a number word alone too
        # A model's name with hyphens or spaces, its size a magnitude either way.
        ("SmolLM2-135M", "The model is SmolLM2 135M."),
        ("Llama 3 8B", "Use Llama-3-8B."),
        ("smollm2-135m-instruct", "It is SmolLM2 135M Instruct."),
        ("64", "It has sixty-four layers."),
        ("24", "It keeps twenty four checkpoints."),
        ("16 GB", "It needs sixteen gigabytes."),
        ("LLMs", "It trains large language models (LLM)."),  # from an audit: each scored 0
        ("REST API", "It offers REST APIs."),
        ("2 hours", "It takes about 2h."),
        ("2 hours", "It takes 2 hrs."),
        ("5 minutes", "Wait 5 min."),
        ("0.0001", "Use a learning rate of 1e-4."),
        ("1e-4", "Use a learning rate of 0.0001."),
        ("v2.1", "Install version 2.1."),
        ("v2.1", "Install 2.1.0."),
        ("2.1.0", "Install v2.1."),
        ("add_data()", "Call add_data on the program."),
        ("--max-tokens", "Set max-tokens to 64."),
        ("5-10 GB", "It needs between 5 and 10 GB."),
        ("1,000", "Le maximum est 1\u202f000 lignes."),
        ("1000", "Le maximum est 1\u00a0000 lignes."),
        ("5-10 GB", "It needs 5 to 10 GB."),
        ("March 2024", "It came out in Mar 2024."),
        ("Python 3.8", "You need python3.8 or later."),
        ("example.com", "See https://www.example.com/."),
        ("https://example.com/docs", "Read https://example.com/docs."),
        ("config.yaml", "設定はconfig.yamlに保存されます。"),
    ],
)
def test_values_stated_another_common_way_or_bounded_are_stated(fact, answer):
    assert fact_accurate(fact, answer)
