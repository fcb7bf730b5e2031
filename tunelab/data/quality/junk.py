"""Row-level content checks: answers that only restate the question, and text that is not text."""

from __future__ import annotations

import re

from tunelab.data.text import STOPWORDS, UNSPACED, stems, worded_stems


def repeats_question(question: str, answer: str, overlap: float = 0.8) -> bool:
    """True when the answer is (nearly) the question again and adds nothing: no word that carries
    content is new ("The capital of France is Paris." adds "Paris", and is an answer), and it
    says what the question asks again, most of it or a phrase of it ("The default learning
    rate."), not what it picks from the question's material ("12" to "Which is larger, 7 or
    12?", "Paris" to "Extract the city: I moved to Paris", "apple, fig, pear" to a question to
    sort them)."""
    # A verdict is the answer: "Yes, X supports Y." to "Does X support Y?" teaches that it does,
    # and a negation the question lacks says it does not ("No, X does not need Y.").
    # Words in capitals stay whole (`stems`): a pair answering where plain HTTP redirects, "to
    # HTTPS", was dropped as a restating.
    answer_said = worded_stems(answer)
    answer_words, question_words = [w for w, _ in answer_said], stems(question)
    qw = set(question_words)
    if any(w in VERDICTS and w not in qw for w in answer_words):
        return False
    # An either/or question is answered by its pick, in the question's own words ("Who is
    # faster, a tortoise or a hare?" "A hare is faster."; "Which is denser, water vapor or
    # air?" "Air is denser than water vapor."): TruthfulQA's 6 such rows were dropped by --fix.
    if "or" in qw and "or" not in answer_words:
        return False
    aw = [s for _, s in answer_said]
    if not aw or any(w not in qw and w not in STOPWORDS for w in aw):
        return False
    shared = sum(w in qw for w in aw) / len(aw)
    # Longer than the question's words, not its distinct ones: "What is the X library and what
    # is the X library used for?" given back word for word was kept by `data generate`.
    if shared < overlap or len(aw) > len(question_words) + 2:
        return False
    # What is asked: the question before its material (a line break or a colon).
    asked_text = _ASKED.match(question).group()
    asked = [w for w in stems(asked_text) if w not in STOPWORDS]
    said = [w for w in aw if w not in STOPWORDS]
    said_again = len(set(asked).intersection(said)) / len(set(asked)) if asked else 1.0
    if said_again >= overlap:
        return True
    # A phrase of it said again is no answer, unless the question offers choices ("X or Y", a
    # list): then a phrase of it is the pick ("The Old Man and the Sea" of two books).
    return len(said) >= 3 and not _CHOICES.search(asked_text) and _runs_in(said, asked)


_ASKED = re.compile(r"[^\n:]*")
_CHOICES = re.compile(r"\bor\b|,", re.I)


def _runs_in(part: list[str], whole: list[str]) -> bool:
    """Whether `part` is a run of consecutive words of `whole`, in its order."""
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))


# As `words` splits them ("doesn't" → "doesn", "t").
NEGATIONS = frozenset(
    "no not never cannot don doesn didn isn aren wasn weren won shouldn couldn wouldn hasn haven".split()
)
VERDICTS = NEGATIONS | {"yes"}


def junk_reason(text: str, min_letter_share: float = 0.3, max_word_chars: int = 80) -> str | None:
    """Why `text` is not usable text (broken encoding, binary, blobs), or None when it is fine.
    Numbers are text ("84"); a long run is a blob only when it is made of what encodings use
    (base64, hex), not code's punctuation (a pandas one-liner)."""
    if "\ufffd" in text:
        return "broken encoding (U+FFFD)"
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        return "control characters"
    visible = re.sub(r"https?://\S+|\s", "", text)
    if visible and sum(c.isalnum() for c in visible) / len(visible) < min_letter_share:
        return "mostly non-letters"
    # Chinese and Japanese are written without spaces: their characters end a run, as a space does.
    spaced = UNSPACED.sub(" ", re.sub(r"https?://\S+", "", text))
    blob = re.search(rf"[\w+/=-]{{{max_word_chars},}}", spaced)
    if blob:
        return f"a {len(blob.group())}-character run without spaces"
    return None
