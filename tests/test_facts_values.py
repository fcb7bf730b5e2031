"""Fact scoring reads values as values: a number with its unit, sign or symbol, written another
common way, is the same value; one denied, set aside or inside a larger one is not stated (offered
among others: test_facts_offered.py; ranges: test_facts_ranges.py)."""

from __future__ import annotations

import pytest

from tests.conftest import fact_accurate
from tunelab.evaluate.facts.score import parse_fact_check, score_facts


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


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("Python 3.11", "It runs on Python 3.11.4.", True),  # a patch release of it
        ("Python 3.11", "Install python3.11.4 first.", True),
        ("Ubuntu 22.04", "Tested on Ubuntu 22.04.3 LTS.", True),
        ("2.1", "Pelican 2.1.5 reads it.", True),
        ("Python 3.11", "It runs on Python 3.111.", False),  # another number
        ("Python 3.11", "It runs on Python 3.1.", False),
        ("2.1.0", "Install 2.1.5.", False),  # a ".0" written names that release
        ("v2.1.0", "Install v2.1.5.", False),
    ],
)
def test_a_version_is_stated_by_the_same_version_with_more_parts(fact, answer, stated):
    # "Python 3.11.4" scored 0 against the fact "Python 3.11", which it states.
    assert fact_accurate(fact, answer) is stated


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # A name's whole-number version is a line of releases: "Python 3.11" is a Python 3.
        ("Python 3", "It needs Python 3.11.", True),
        ("Python 3", "Install python3.11 first.", True),
        ("iOS 17", "It runs on iOS 17.2 and later.", True),
        ("Windows 11", "It runs on Microsoft Windows 11.", True),
        ("Python 3", "It needs Python 2.7.", False),
        ("Python 3", "It needs Python 31.", False),
        # Not a number alone, nor a setting's ("temperature 1" is no 1.5), nor an initialism's
        # version ("TLS 1" is no TLS 1.3, "GPT 4" no GPT-4.5: another protocol, another model).
        ("3", "It needs Python 3.11.", False),
        ("temperature 1", "Set temperature 1.5.", False),
        ("TLS 1", "It speaks TLS 1.3.", False),
        ("GPT 4", "It calls GPT-4.5.", False),
    ],
)
def test_a_names_whole_number_version_is_stated_by_a_release_of_it(fact, answer, stated):
    # A reference's "Python 3" scored 0 against a right "Python 3.11".
    assert fact_accurate(fact, answer) is stated


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # A licence's or a product's name with its version, said the long way.
        ("Apache 2.0", "It is released under the Apache License, Version 2.0.", True),
        ("Apache 2.0", "Licensed under the Apache License 2.0.", True),
        ("apache 2.0", "It uses the Apache licence, version 2.0.", True),
        ("Apache 2.0", "It is under version 2.0 of the Apache License.", True),
        ("Apache 2.0", "It ships under the 2.0 version of Apache.", True),
        ("Pelican 2.1", "Pelican, version 2.1, reads it.", True),
        # Another version, another name, or a name between: not that fact.
        ("Apache 2.0", "It is released under the Apache License, Version 1.1.", False),
        ("Apache 2.0", "It needs version 2.0 of Django.", False),
        ("Apache 2.0", "It runs on Apache Kafka version 2.0.", False),
        ("Apache 2.0", "It runs on version 2.0 of Apache Kafka.", False),
        ("Apache 2.0", "It is MIT-licensed, not the Apache License, Version 2.0.", False),
    ],
)
def test_a_name_with_its_version_is_stated_the_long_way_too(fact, answer, stated):
    # "Apache License, Version 2.0", the licence's own title, scored 0 against "Apache 2.0".
    assert fact_accurate(fact, answer) is stated


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        # An initialism with its version, said another way or in the words it stands for.
        ("GPL 3", "It is released under the GNU General Public License, version 3.", True),
        ("GPL 3", "The code is GPL version 3.", True),
        ("GPL 3", "It is GPLv3.", True),
        ("GPL 3", "It ships under the GNU GPL v3.", True),
        ("GPL 3", "Licensed under the GNU General Public License v3.0.", True),  # GitHub's name
        ("GPL 3", "SPDX: GPL-3.0-only.", True),
        ("GPL 3", "It is under version 3 of the GNU General Public License.", True),
        ("GPLv3", "It is under the GPL 3.", True),
        ("GPL-3.0", "It is GPLv3.", True),
        ("LGPL 2.1", "It uses the GNU Lesser General Public License v2.1.", True),
        ("AGPL 3", "It is under the GNU Affero General Public License, version 3.", True),
        ("MPL 2.0", "It is under the Mozilla Public License, version 2.0.", True),
        ("TLS 1.3", "It speaks Transport Layer Security 1.3.", True),
        # Another version, another licence, or denied: not that fact.
        ("GPL 3", "It is released under the GNU General Public License, version 2.", False),
        ("GPL 3", "It is LGPL 3.", False),
        ("GPL 3", "It is under the GNU Lesser General Public License v3.", False),
        ("GPL 3", "It is under the Affero General Public License v3.", False),
        ("GPL 3", "It is MIT-licensed, not GPL 3.", False),
        ("GPL 3", "It is MIT-licensed, not the GNU General Public License, version 3.", False),
        ("GPL 3", "It is GPL 3.1.", False),
        ("GPT 4", "It runs on GPT-4.5.", False),  # a whole version is no minor one's
        # (A name's is: "Python 3" by "Python 3.11", test_a_names_whole_number_version_...)
        ("IP 6", "In Python 6 it is fine.", False),  # two letters are not spelled out
    ],
)
def test_an_initialism_with_its_version_is_stated_spelled_out_too(fact, answer, stated):
    # "GNU General Public License, version 3" and "GPLv3" scored 0 against "GPL 3".
    assert fact_accurate(fact, answer) is stated


def test_a_wrong_initialisms_version_spelled_out_is_a_wrong_answer_stated():
    check = parse_fact_check({"facts": [["GPL 3"]], "wrong": ["GPL 2"]}, "t.jsonl:1")
    said = score_facts("It is under the GNU General Public License, version 2.0.", check)
    assert (said["fact_accuracy"], said["hallucination"]) == (0.0, 1.0)


def test_a_wrong_version_said_the_long_way_is_a_wrong_answer_stated():
    check = parse_fact_check({"facts": [["Apache 2.0"]], "wrong": ["Apache 1.1"]}, "t.jsonl:1")
    said = score_facts("It is under the Apache License, Version 1.1.", check)
    assert (said["fact_accuracy"], said["hallucination"]) == (0.0, 1.0)


def test_a_wrong_version_with_more_parts_is_a_wrong_answer_stated():
    check = parse_fact_check({"facts": [["3.11"]], "wrong": ["3.10"]}, "t.jsonl:1")
    assert score_facts("It needs Python 3.10.12.", check)["hallucination"] == 1.0


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
