"""tunelab.data.text.words: the one split into words that dedup, diversity, grounding, retrieval,
error analysis and ROUGE-L share, for every script."""

import re

from tunelab.data.quality.dedup import near_duplicates
from tunelab.data.text import words
from tunelab.evaluate.metrics import rouge_l


def test_marks_stay_inside_their_words():
    # Hindi's vowel signs and Thai's are combining marks, which Python's \w leaves out.
    assert words("हिंदी भाषा, café") == ["हिंदी", "भाषा", "café"]
    assert words("cafe\u0301 naïve") == ["café", "naïve"]  # a decomposed accent too
    assert words("ภาษาไทย") == ["ภาษาไทย"]
    assert words("snake_case don't 2048 Привет") == ["snake", "case", "don", "t", "2048", "привет"]


def test_ascii_and_latin_text_splits_as_before():
    old = re.compile(r"[^\W_]+")  # the split before marks were kept
    text = "Résumé: set `train.lr` to 5e-4 (see docs/README.md) — ÆØÅ, straße, ½, x²."
    assert words(text) == old.findall(text.lower())


def test_hindi_sentences_that_differ_are_not_near_duplicates():
    # Cut at every vowel sign, these shared all their fragments of two or more letters.
    a = "मेरा नाम राम है और मैं दिल्ली में रहता हूँ"
    b = "मेरी नीम रूम है और में दिल्ला मीं रहती हैं"
    assert near_duplicates([a, b]) == []
    assert rouge_l(a, b) < 0.5
