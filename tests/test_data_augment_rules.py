"""`data augment --mode rules` asks each template question the ways a reader does, by its form."""

from __future__ import annotations

from tunelab.data.generate.augment.rephrase import rule_rewrites


def test_an_error_code_is_asked_what_to_do_about_it_not_only_with_a_polite_prefix():
    # "What does code E03 mean?" (template mode's error-code table) got only "Could you tell me:
    # what does code E03 mean?" and two more fillers: no way a customer with the code asks it.
    assert rule_rewrites("What does code E03 mean?", 3) == [
        "What should I do about code E03?",
        "I see code E03. What does it mean?",
        "What is code E03?",
    ]
    assert rule_rewrites("What does error F-12 mean?", 1) == ["What should I do about error F-12?"]


def test_a_default_named_in_words_is_asked_with_the_not_as_a_setting_left_unset():
    # "What is the default user name?" (a printer's login) was rewritten "If I leave user name
    # unset, what value does it take?" and "What does user name default to?".
    assert rule_rewrites("What is the default user name?", 3) == [
        "What does the user name default to?",
        "What is the user name by default?",
        "What value does the user name have out of the box?",
    ]
    # A setting's name, as code writes it, is one a reader leaves unset.
    assert "If I leave `retry_count` unset, what value does it take?" in rule_rewrites(
        "What is the default `retry_count`?", 3
    )


def test_only_a_setting_named_as_code_writes_it_is_asked_as_left_unset():
    # "What is the default password?" was rewritten "If I leave password unset, what value does
    # it take?": a plain word was read as a setting's name.
    assert rule_rewrites("What is the default password?", 2) == [
        "What does the password default to?",
        "What is the password by default?",
    ]
    for setting in ("max_retries", "log.level", "--retries", "maxRetries"):
        assert f"If I leave {setting} unset, what value does it take?" in rule_rewrites(
            f"What is the default {setting}?", 3
        )
    assert rule_rewrites("What is the default of the print speed?", 2) == [
        "What does the print speed default to?",
        "What is the print speed by default?",
    ]
    assert "If I leave tear_offset unset, what value does it take?" in rule_rewrites(
        "What is the default of tear_offset?", 3
    )
