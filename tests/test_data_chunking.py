"""A document's sections cut to a token budget (tunelab/data/chunking.py) keep what their lines
say: here, a list longer than the budget. Tables and long words: test_data_generate.py."""

from __future__ import annotations

from tunelab.data.chunking import split_text


def test_a_list_over_the_budget_is_cut_between_its_items_each_on_its_own_line():
    # README's `data generate` modes, a list of long items: cut at sentences, the pieces were
    # joined by spaces, so "- `--mode self-instruct`: ..." ran into the item before it and its
    # pair answered with both.
    items = [
        f"- `--mode m{i}`: a mode that reads every document once. It writes one row per fact."
        for i in range(30)
    ]
    pieces = split_text("\n".join(items), 60)
    assert len(pieces) > 1
    lines = [line for piece in pieces for line in piece.splitlines()]
    assert [line for line in lines if line.startswith("- ")] == items
