"""A document's sections cut to a token budget (tunelab/data/documents/chunking.py) keep what their
lines say: here, a list longer than the budget, and a wrapped list item or paragraph, which are cut
at sentence ends, not line ends. Tables and long words: test_data_generate_reading.py."""

from __future__ import annotations

import pytest

from tunelab.data.documents.chunking import chunk_document, split_text
from tunelab.data.documents.sections import fenced_parts
from tunelab.data.generate.template.template_qa import template_pairs


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


MODES = """# Modes

## The modes

- `--mode template`: questions from headings, no model.
- `--mode llm`: a model is asked about each chunk. A local model decodes under the
  pairs' JSON schema, so every reply parses whatever the
  model; `--endpoint URL` asks any served model instead.
"""


@pytest.mark.parametrize("budget", [400, 45], ids=["section under the budget", "over it"])
def test_a_wrapped_list_item_is_read_whole_whatever_the_budget(tmp_path, budget):
    # Cut at a line end inside the item, README's `--mode llm` answered "Where does a local
    # model decode?" with "A local model decodes under the", and its next chunk began "pairs'".
    doc = tmp_path / "modes.md"
    doc.write_text(MODES)
    pairs = {q: a for chunk in chunk_document(doc, budget) for q, a in template_pairs(chunk)}
    assert pairs["Where does a local model decode?"] == (
        "A local model decodes under the pairs' JSON schema, so every reply parses whatever the "
        "model; `--endpoint URL` asks any served model instead."
    )
    assert pairs["What is `--mode template`?"] == (
        "`--mode template`: questions from headings, no model."
    )


def test_a_wrapped_paragraph_over_the_budget_is_cut_at_sentence_ends_not_line_ends():
    sentence = "The agent copies each new file\nto the vault once it has been closed\nfor a minute."
    pieces = split_text("\n".join([sentence] * 6), 45)
    assert len(pieces) > 1
    assert all(piece.endswith("for a minute.") for piece in pieces)
    assert "\n".join(pieces) == "\n".join([sentence] * 6)  # its lines as written


def test_a_code_block_over_the_budget_is_cut_into_pieces_each_still_code(tmp_path):
    # A piece after the first lost its opening fence: the rest of the block was read as prose,
    # its sample pairs as the document's FAQ, and the prose after it (even right after its
    # closing fence) as code.
    samples = "\n".join(f"Q: How long is log {i} kept?\nA: {i} days." for i in range(40))
    doc = tmp_path / "data.md"
    doc.write_text(
        f"# Data\n\nSample rows:\n\n```text\n{samples}\n```\n"
        "Exported files take your umask's permissions.\n\nOld logs are deleted after 30 days.\n"
    )
    chunks = chunk_document(doc, max_tokens=60)
    assert len(chunks) > 3
    prose = [part for c in chunks for code, part in fenced_parts(c.text) if not code]
    assert not [part for part in prose if "Q: How long" in part]
    pairs = {q: a for chunk in chunks for q, a in template_pairs(chunk)}
    assert not [q for q in pairs if q.startswith("How long is log")]
    assert pairs["What do exported files take?"] == "Exported files take your umask's permissions."
    assert pairs["When are old logs deleted?"] == "Old logs are deleted after 30 days."
