"""The leak note of `tunelab compare`: RAG prompts that held their test row's reference answer
word for word, found per arm, and what that says of the arms' scores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelab.data.markers import plain_question
from tunelab.data.quality.dedup import MIN_QUOTED_WORDS, quoted_in
from tunelab.data.retrieval import Passage
from tunelab.data.text import words
from tunelab.evaluate.refusals import marked_off_topic

if TYPE_CHECKING:
    from tunelab.compare.arms import Arm

# A question this long found word for word beside its answer is the test row itself, not a
# phrase any text might say ("What is it?").
MIN_QUESTION_WORDS = 4
LEAK = "leak?"  # how the note of a corpus holding the test rows themselves starts


def leak_note(arms: list[Arm], examples: list) -> str | None:
    """What RAG prompts holding their test row's reference answer word for word means. With the
    question beside it, the corpus holds the test row itself (an FAQ the test set was cut from):
    retrieval finds it by its own words, a leak. The answer alone is what retrieval over the
    documents the Q&A was made from finds, the path the README recommends: no leak, but token F1
    and ROUGE-L reward quoting the reference over the same fact in other words."""
    rag = [a for a in arms if a.rag and a.answers_given]
    if not rag:
        return None
    on_topic = [ex for ex, row in zip(examples, rag[0].rows) if not marked_off_topic(row)]
    searched = sum(len(words(ex.answer)) >= MIN_QUOTED_WORDS for ex in on_topic)
    leaked = [a for a in rag if a.rows_given]
    given = {a.name: a.rows_given if leaked else a.answers_given for a in leaked or rag}
    most = max(given, key=lambda name: len(given[name]))
    test, passage = given[most][0]
    counts = ", ".join(f"{name} {len(rows)}" for name, rows in given.items())
    found = (
        f"for {len(given[most])} of the {searched} questions whose answer has {MIN_QUOTED_WORDS} "
        f"words or more ({counts}; e.g. {test} in {passage})"
    )
    if leaked:
        # A compare of a model alone asks no finetuned arms, so none leads.
        lead = ", and any lead over the finetuned arm," if len(arms) > 2 else ""
        return (
            f"{LEAK} RAG prompts held the test row itself, its question and its reference answer "
            f"word for word, {found}: retrieval found the answer key by the question's own "
            f"words, so the RAG arms' scores{lead} are a "
            "ceiling: leave the test rows out of the corpus, or write the test questions in "
            "other words"
        )
    return (
        f"RAG prompts quoted the reference answer word for word {found}, as retrieval over the "
        "documents the test answers were taken from does: token F1 and ROUGE-L favour the RAG "
        "arms, which can quote the reference's wording; fact accuracy does not"
    )


def find_given(arm: Arm, examples: list, kept: list[list[Passage]]) -> None:
    """Each RAG question whose prompt's passages held its reference answer word for word, into
    arm.answers_given, and, where that passage held the question too, into arm.rows_given.
    An off-topic row's reference is the canned refusal: a passage quoting it helps the refusal
    score, not the token F1 the note speaks of, so those rows are left out (`arm.rows` holds
    each row's refusal fields, in the order of `examples`)."""
    for ex, used, row in zip(examples, kept, arm.rows):
        if marked_off_topic(row):
            continue
        if held := quoted_in([ex.answer], [p.text for p in used]):
            passage = used[held[0]]
            arm.answers_given.append((ex.source, passage.source))
            # Without its `### Question:` headers, which no FAQ's question is written with.
            if quoted_in([plain_question(ex.question)], [passage.text], MIN_QUESTION_WORDS):
                arm.rows_given.append((ex.source, passage.source))
