"""How an answer's words are read for fact matching: normalized as phrases are
(`normalize_numbers`), and the words a negation denies marked: in English right after it ("not
8"), what a negated verb takes ("doesn't listen on port 8000") or a retraction ("Paris? No, that's
wrong"), and a few words on in its clause ("no way to run it on the CPU": not stated there, yet
no denial of the word said elsewhere); in Chinese right before it
("不是北京") or a "not needed" ending its clause ("GPU不需要。"); in Hindi and Japanese right after
it ("नई दिल्ली नहीं", "東京ではない"). Which English words are denied is `english_negation`'s
reading."""

from __future__ import annotations

import re
from functools import lru_cache

from tunelab.data.text import CJK
from tunelab.evaluate.facts.english_negation import negated_english
from tunelab.evaluate.facts.normalize_numbers import (
    CURRENCY,
    DECIMAL_POINT,
    MINUS,
    NUMBER_JOIN,
    PERCENT,
    glue,
    glued_words,
    normalize,
)

# A private-use character survives `normalize` (neither punctuation, symbol nor space): this one
# marks a word a negation applies to.
_NEGATED = "\ue001"
# A word a few words after an English negation ("no way to run it on the CPU"): not stated there,
# yet no denial of the same word stated elsewhere ("The maximum is 2048; do not exceed 2048.").
_NEAR_NEGATION = "\ue100"
_MARKS = f"[{_NEGATED}{_NEAR_NEGATION}]"

# Chinese puts its "not" right before what it negates: "不是北京" (is not Beijing), "没有GPU" or
# "没有 GPU" (has no GPU), "不需要GPU" (needs no GPU), "不支持" (does not support). Only the word
# right after it is negated ("不在北京", not in Beijing, negates "在").
_NEGATION_UNSPACED = re.compile(
    r"(?:不需要|不是|并非|並非|没有|沒有|不需|不用|不必|不|没|沒|无|無)\s?[\"'“‘`*_「『《【]*"
    rf"(?=[\w{MINUS}{CURRENCY}])"
)
# Chinese says a thing is not needed after it, at the end of a clause: "GPU不需要。", "GPU是不
# 必要的" (where "GPU不需要配置" says the GPU needs no setting up: it states GPU). The word before
# gets a mark glued to its end, so that no phrase ends there.
_NOT_NEEDED_AFTER = re.compile(
    r"\s*(?:(?:也|并|並|都|就|是|也是)?(?:不需要|不必要|不需|不用|不必|用不着|用不著|没有必要|沒有必要|"
    r"没必要|沒必要)|(?:也|并|並)?(?:不是|並不是|并不是)(?:必需|必须|必須|必要)|非必需|非必要)"
    r"(?:的|了)?(?=\s*(?:[，。！？；、,.!?;:]|$))"
)
_NOT_AFTER_MARK = "\ue002"
# Where `normalize` spaces out the Chinese character a negation marks, the mark goes back onto it.
_MARK_SPACED = re.compile(_NEGATED + " (?=" + CJK.pattern + ")")


def states_words(
    answer: str,
    phrase: str,
    negations: bool = True,
    asked: frozenset[str] = frozenset(),
    release: bool = False,
    line: bool = False,
) -> bool:
    """Whether `answer` states the `normalize`d `phrase`: says it somewhere, and denies it nowhere
    right after a negation or by a retraction ("It is Paris. Actually it is not Paris."). With
    `negations` off (a question that asks what is not: "Which OS is not supported?" is answered
    "Windows is not supported"), only a retraction takes a phrase back. `asked`: the words
    of `SWITCHED_OFF` the question asks about (`asked.asked_off`), which deny no subject. A
    version is stated by the same one with more parts ("3.11" by "3.11.4"), unless the phrase
    names its `release` (`normalize_numbers.names_release`: "2.1.0" is no "2.1.5"); a name's
    whole-number version is stated by a release of its `line` ("Python 3" by "Python 3.11")."""
    said, denied, _ = _said_and_denied(answer, phrase, negations, asked, release, line)
    return said and not denied


def phrase_reading(
    answer: str, phrase: str, negations: bool = True, asked: frozenset[str] = frozenset()
) -> tuple[bool, bool, bool]:
    """Whether `answer` says the `normalize`d `phrase`, denies it, and says it only a few words
    after a negation ("no way to run it on the CPU": not stated there, no denial): `states_words`'
    reading, each part apart (all False: not there as whole words)."""
    if not phrase.strip():
        return False, False, False
    return _said_and_denied(answer, phrase, negations, asked)


def _said_and_denied(
    answer: str,
    phrase: str,
    negations: bool,
    asked: frozenset[str] = frozenset(),
    release: bool = False,
    line: bool = False,
) -> tuple[bool, bool, bool]:
    """Whether the phrase is said, denied, and said a few words after a negation only."""
    said = denied = near = False
    pattern = _words_pattern(phrase, release, line)
    for match in pattern.finditer(_answer_words(answer, negations, asked)):
        before, after, negated_after = match.groups()
        if before == _NEGATED or (negations and (after or negated_after)):
            denied = True
        elif not before:
            said = True
        else:
            near = True
    return said, denied, near


@lru_cache(maxsize=4096)
def _answer_words(answer: str, negations: bool = True, asked: frozenset[str] = frozenset()) -> str:
    """The answer normalized as phrases are, its numbers kept whole and its negated words marked
    (with `negations` off, the words a retraction takes back only)."""
    text = DECIMAL_POINT.sub(NUMBER_JOIN, glue(answer))
    if negations:
        text = _NOT_NEEDED_AFTER.sub(lambda m: _NOT_AFTER_MARK + " " + m.group().lstrip(), text)
    right_after, near = negated_english(text, negations, asked)
    text = _mark(
        text, {**dict.fromkeys(near, _NEAR_NEGATION), **dict.fromkeys(right_after, _NEGATED)}
    )
    if negations:
        text = _NEGATION_UNSPACED.sub(lambda m: m.group() + ("" if _a_not_a(m) else _NEGATED), text)
    return _MARK_SPACED.sub(_NEGATED, glued_words(text))


def _mark(text: str, marks: dict[int, str]) -> str:
    """`text` with each mark put before the word that starts where `marks` says."""
    pieces, last = [], 0
    for start in sorted(marks):
        pieces += [text[last:start], marks[start]]
        last = start
    return "".join(pieces) + text[last:]


def _a_not_a(match: re.Match) -> bool:
    """Chinese asks or allows both ways with a verb, "not", the verb again: "用不用GPU都行" (with
    or without a GPU), "需不需要" (needed or not), "有没有": no negation."""
    text, start = match.string, match.start()
    return start > 0 and text[start - 1] == text[start + 1 : start + 2]


@lru_cache(maxsize=4096)
def _words_pattern(phrase: str, release: bool = False, line: bool = False) -> re.Pattern:
    """A normalized phrase as whole words, not inside a number (but a version inside a longer
    one, unless it names its `release`); within it a number's parts join ("0 0002" is "0.0002")
    and a negation may come first. Its groups say what denies it: a negation's mark on its first
    word, or one after it in Chinese, Hindi or Japanese."""
    inside = f"(?: {_MARKS}?|{NUMBER_JOIN})"
    parts = phrase.split(" ")
    words = _word_pattern(parts[0], release)
    for before, word in zip(parts, parts[1:]):
        # A name and its number are written together too: "GPT 4" (of "GPT-4") is "gpt4",
        # "Llama 2" "llama2".
        glued = before[-1:].isalpha() and before.isascii() and word.isdigit()
        words += (f"(?:{inside}|)" if glued else inside) + _word_pattern(word, release)
        if line and word.isdigit() and before.isalpha():  # "python 3" of "Python 3.11"
            words += rf"(?:{NUMBER_JOIN}\d+)*"
    return re.compile(
        rf"(?:^| )({_MARKS}?){words}({_NOT_AFTER_MARK}?)(?= |$)(?:(?={_NEGATED_AFTER})|)"
    )


def _word_pattern(word: str, release: bool) -> str:
    """A number may have a currency before it and a per cent after it that the phrase leaves
    out ("5" is stated by "$5" and "5%"); a sign it may not ("8" is not "-8"). A dotted number
    may have more parts after it: "Python 3.11" is stated by "Python 3.11.4", its patch
    release (no decimal is written with a third part), but not by "3.111" nor "3.1"."""
    pattern = re.escape(word)
    if word[:1].isdigit():
        pattern = f"[{CURRENCY}]?" + pattern
    if NUMBER_JOIN in word and word[-1:].isdigit() and not release:
        pattern += rf"(?:{NUMBER_JOIN}\d+)*"
    if word[-1:].isdigit():
        pattern += f"{PERCENT}?"
    return pattern


# Hindi and Japanese put "not" after what it negates: "नई दिल्ली नहीं", "東京ではない" (its
# characters one word each once normalized): a phrase right before one is not stated.
_NOT_AFTER = ["नहीं", "नही", "ではない", "じゃない", "ではありません", "じゃありません"] + [
    # "GPUは不要です" (a GPU is not needed), "GPUは必要ありません", "GPUはいらない"
    particle + need
    for particle in ("は", "が", "も")
    for need in (
        "不要",
        "必要ない",
        "必要ありません",
        "必要がない",
        "いらない",
        "要らない",
        "いりません",
    )
]
# Each of their words may carry a Chinese negation's mark ("不要" reads as 不 before 要).
_NEGATED_AFTER = (
    "( (?:"
    + "|".join(
        " ".join(f"{_NEGATED}?{re.escape(x)}" for x in normalize(w).split()) for w in _NOT_AFTER
    )
    + ")(?: |$))"
)
