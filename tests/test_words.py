"""tunelab.data.text.words: the one split into words that dedup, diversity, grounding, retrieval,
error analysis and ROUGE-L share, for every script."""

import re

from tunelab.data.quality.dedup import near_duplicates
from tunelab.data.text import one_line, sentences, words
from tunelab.evaluate.metrics import rouge_l


def test_marks_stay_inside_their_words():
    # Hindi's vowel signs and Thai's are combining marks, which Python's \w leaves out.
    assert words("हिंदी भाषा, café") == ["हिंदी", "भाषा", "café"]
    assert words("cafe\u0301 naïve") == ["café", "naïve"]  # a decomposed accent too
    # Without spaces there is no telling where a word ends: a character, with its marks, is one.
    assert words("ที่ภาษา") == ["ที่", "ภ", "า", "ษ", "า"]
    assert words("首都は東京です") == ["首", "都", "は", "東", "京", "で", "す"]
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


def test_chinese_and_japanese_text_is_compared_by_its_characters():
    from tunelab.data.quality.junk import junk_reason
    from tunelab.data.question_keys import normalize_text
    from tunelab.data.retrieval import BM25
    from tunelab.evaluate.metrics import token_f1

    # The same answer in another order is the same words; in one "word" per clause it was 0.
    assert token_f1("北京是中国的首都。", "中国的首都是北京。") == 1.0
    assert rouge_l("首都は東京です。", "首都は東京です") == 1.0
    passages = ["Tokyo has many parks.", "中国的首都是北京。日本の首都は東京です。", "ब्रेड"]
    assert BM25(passages).top("日本の首都はどこですか？", 1)[0].index == 1
    assert near_duplicates(["请问中国的首都是哪里？", "中国的首都是哪里？"], threshold=0.5)
    # A full-width question mark or letter is the same question (a leak across a split).
    assert normalize_text("ＡＢＣとは？") == normalize_text("abcとは?")
    # Text written without spaces is not a run of junk.
    assert junk_reason("中国的首都是北京，" * 12) is None and junk_reason("x" * 90)


def test_one_sentence_splitter_keeps_an_abbreviation_and_code_in_their_sentence():
    # The quality checks split "e.g." and "`tunelab.data.`" off as sentences of their own, where
    # template mode's splitter (now this one) kept them; both read Chinese full stops and lines.
    text = (
        "Pick a format, e.g. Alpaca. A command is `tunelab.data.` and its name.\n"
        "首都是北京。人口很多。\n## Heading"
    )
    assert sentences(text) == [
        "Pick a format, e.g. Alpaca.",
        "A command is `tunelab.data.` and its name.",
        "首都是北京。",
        "人口很多。",
        "## Heading",
    ]


def test_a_line_cut_short_ends_its_last_word_with_the_ellipsis():
    # A cut after a space left "write …" (generate's sentences in no answer stripped it alone).
    assert one_line("Set the\n  learning rate low", 9) == "Set the…"
    assert one_line("Set the rate", 12) == "Set the rate"
