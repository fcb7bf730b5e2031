"""Two rows a `data check` finding pairs (a repeat, a leak, a question answered two ways), shown
side by side in a table's two lines, each cut where a reader sees them part."""

from __future__ import annotations

import os

from tunelab.data.example import Example
from tunelab.data.quality.check import question_text
from tunelab.data.text import one_line

SHOWN = 70  # the characters of a row's text a table shows


def pair_lines(
    first: tuple[str, Example], second: tuple[str, Example], similarity: str
) -> list[list[str]]:
    """Two rows a finding pairs, as two lines of its table (where, similarity, text): each row's
    text, the second's "same text" where they are alike, each cut where they part. One row's text
    alone left a reader to open the file to tell a near-duplicate or a leak from a false alarm.
    Rows asked alike show where their answers part."""
    (where_a, a), (where_b, b) = first, second
    text_a, text_b = _flat(question_text(a)) or "(empty)", _flat(question_text(b)) or "(empty)"
    if text_a == text_b and a.text is None and _flat(a.answer) != _flat(b.answer):
        said = (f"{one_line(text_a, 30)} answer: ", "same question, answer: ")
        answers = side_by_side(_flat(a.answer), _flat(b.answer), SHOWN - len(said[1]))
        return [[where_a, similarity, said[0] + answers[0]], [where_b, "", said[1] + answers[1]]]
    shown_a, shown_b = side_by_side(text_a, text_b, SHOWN)
    return [[where_a, similarity, shown_a], [where_b, "", shown_b]]


def answer_lines(first: tuple[str, Example], second: tuple[str, Example]) -> list[list[str]]:
    """A question answered two ways, as two lines (where, question, answer): both answers, cut
    where they part, for a reader to keep one; the question once."""
    (where_a, a), (where_b, b) = first, second
    question = one_line(question_text(a), SHOWN) or "(empty)"
    answer_a, answer_b = side_by_side(_flat(a.answer), _flat(b.answer), SHOWN)
    return [[where_a, question, answer_a], [where_b, "", answer_b]]


def side_by_side(a: str, b: str, width: int) -> tuple[str, str]:
    """Two one-line texts cut to `width` each where a reader sees them differ: where they part
    (two questions alike in their first 70 characters read as one), or, where one holds the other
    (a test question quoted in a document), where it starts in it; "same text" for the second
    where they are the same."""
    if a == b:
        return one_line(a, width), "same text"
    low_a, low_b = a.lower(), b.lower()
    parted = len(os.path.commonprefix([low_a, low_b]))
    if not parted and low_b in low_a:
        return _from(a, low_a.index(low_b), width, 15), one_line(b, width)
    if not parted and low_a in low_b:
        return one_line(a, width), _from(b, low_b.index(low_a), width, 15)
    return _from(a, parted, width, width - 25), _from(b, parted, width, width - 25)


def _from(text: str, at: int, width: int, lead: int) -> str:
    """`text` cut to `width`, starting a word about `lead` characters before `at` where `at`
    lies too far in to show with what follows it."""
    if at <= width - 25:
        return one_line(text, width)
    start = text.rfind(" ", 0, at - lead) + 1 or at - lead
    return "…" + one_line(text[start:], width - 1)


def _flat(text: str) -> str:
    return " ".join(text.split())
