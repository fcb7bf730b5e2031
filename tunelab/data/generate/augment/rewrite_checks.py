"""Which new question `data augment` keeps: none that is junk, matches a test question (equal once
normalised, or nearly), repeats one already taken, or strays from its source (names what it never
did, or shares no content word with it); and which restated answer: one that keeps every literal."""

from __future__ import annotations

import re

from tunelab.data.quality.dedup import jaccard, shingles
from tunelab.data.quality.grounding import ungrounded
from tunelab.data.quality.junk import junk_reason
from tunelab.data.text import STOPWORDS, stems

# Words an answer's restatement must keep verbatim: numbers, flags, dotted keys, paths, code.
_LITERAL = re.compile(r"--?[\w-]+|[\w~/.-]*[\d_./~][\w~/.-]*|`[^`]+`")


def normalized(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


class TestQuestions:
    """The questions a rewrite must not become: equal after normalisation, or nearly equal."""

    def __init__(
        self,
        path: str | None,
        max_similarity: float,
        fields: dict[str, str] | None = None,
        on_error: str = "raise",
    ) -> None:
        from tunelab.data.load import OPTION_SKIP_HINT, load_examples

        # Read as the data is: a bad test row stopped `data augment --on-error skip`, and told
        # it to pass `--set data.on_error=skip`, which it had been given.
        tests = (
            load_examples(path, fields=fields, on_error=on_error, skip_hint=OPTION_SKIP_HINT)
            if path
            else []
        )
        questions = [ex.question for ex in tests]
        self.exact = {normalized(q) for q in questions}
        self.shingles = [shingles(q) for q in questions]
        self.max_similarity = max_similarity

    def matches(self, question: str) -> bool:
        if normalized(question) in self.exact:
            return True
        mine = shingles(question)
        return any(jaccard(mine, theirs) >= self.max_similarity for theirs in self.shingles)


def names_unseen(question: str, grounds: str) -> bool:
    """Whether a new question names a number, command or name its `grounds` (the questions and
    answers it was written from) never did: it asks something else."""
    return ungrounded(question, grounds, min_share=0.0, settings_placed=False) is not None


def strays_from(rewrite: str, ex) -> bool:
    """A rewrite naming what the original never did asks something else (the share of words
    kept can't tell: a good rewrite changes most of them)..."""
    if names_unseen(rewrite, f"{ex.question}\n{ex.answer}"):
        return True
    # ... and one that shares no content word with the question asks about nothing in particular
    # ("What would be your answer to this question?").
    return not set(stems(rewrite, STOPWORDS)) & set(stems(ex.question, STOPWORDS))


def keeps_literals(original: str, restated: str) -> bool:
    return all(lit in restated for lit in _LITERAL.findall(original))


def kept_question(
    question: str, tests: TestQuestions, taken: set[str], stats, strays: bool
) -> bool:
    """Whether a new question is kept (then taken): not junk, no test question, no repeat, not
    `strays` (asking what its source never did); a dropped one is counted by why."""
    reason = (
        "junk" if junk_reason(question)
        else "matches a test question" if tests.matches(question)
        else "repeats a question" if normalized(question) in taken
        else "strays from the question" if strays
        else None
    )  # fmt: skip
    if reason:
        stats.dropped[reason] += 1
        return False
    taken.add(normalized(question))
    return True
