"""`data augment --mode rules` asks each template question the ways a reader does, by its form."""

from __future__ import annotations

from tunelab.data.generate.rephrase import rule_rewrites


def test_an_error_code_is_asked_what_to_do_about_it_not_only_with_a_polite_prefix():
    # "What does code E03 mean?" (template mode's error-code table) got only "Could you tell me:
    # what does code E03 mean?" and two more fillers: no way a customer with the code asks it.
    assert rule_rewrites("What does code E03 mean?", 3) == [
        "What should I do about code E03?",
        "I see code E03. What does it mean?",
        "What is code E03?",
    ]
    assert rule_rewrites("What does error F-12 mean?", 1) == ["What should I do about error F-12?"]
