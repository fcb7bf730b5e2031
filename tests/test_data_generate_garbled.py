"""Questions template mode asked that read garbled, gave their answer away or made no sense outside
their document, each from a measured set (harborline's documents, tunelab's docs, the installed
packages' READMEs, a newcomer's manuals), and the question each asks now, or none: a wrong
question teaches the model nonsense and makes a test question no one would ask."""

from __future__ import annotations

import pytest

from tunelab.data.generate.questions import sentence_question


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        # "turns on" is a verb and its particle, not a place: "Where does the agent turn?"
        ("The agent turns on compression for files over 1 MB.", "What does the agent turn on?"),
        ("The agent switches off TLS for local peers.", "What does the agent switch off?"),
        ("The display turns on when the lid opens.", "When does the display turn on?"),
        # A hyphenated adjective is no subject, nor its noun a verb: "Where does held-out answer?"
        ("Held-out answers in the log are scored after each epoch.",
         "When are held-out answers in the log scored?"),
        ("Case-insensitive matches in Unicode use full case-folding.", None),
        ("Built-in checks on each row run before training.", None),
        ("Pre-commit runs on every push.", "When does Pre-commit run?"),  # a noun: asked
        # What a thing connects to, not how: "How does the T4 connect?"
        ("The T4 connects to the hub over Wi-Fi.", "What does the T4 connect to?"),
        ("The T4 connects over Wi-Fi.", "How does the T4 connect?"),
        # A phrase opening with a past participle is no subject: "What does pooled over the two
        # split?"
        ("Pooled over the two splits (48 question-runs a half): half A 6 → 31 right.", None),
        ("Trained models keep their tokenizer.", "What do trained models keep?"),
        # A "when" past a colon is another clause's: "When does X read the card: it says so?"
        ("`tunelab chat URL` reads the card: it says so when it starts.",
         "What does `tunelab chat URL` do?"),
        # A subject that points at what the reader has just seen asks nothing alone.
        ("The split below puts the adapters' products at 150 ms.", None),
        ("The rows below are on CPUs with AVX-512.", None),
        ("The other order is the faster one at every decoder shape.", None),
        ("The extra is the adapters' own work around each layer.", None),
        ("Files above 2 GB are skipped.", "Are files above 2 GB skipped?"),  # above a size
    ],
)  # fmt: skip
def test_a_sentence_is_asked_as_it_reads_or_not_at_all(sentence, question):
    assert sentence_question(sentence) == question
