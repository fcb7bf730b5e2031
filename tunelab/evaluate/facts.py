"""Fact scoring: does an answer state the facts its question needs, and does it state a known
wrong answer? Token overlap rewards style words; this rewards only the facts.

A test row may carry
    "facts": [["CPU"], ["GPU", "graphics card"], {"regex": "resum(e|ing)"}]
(every entry is one fact; a list gives alternatives, any of which counts) and
    "wrong": ["Yes", "loss.jsonl"]
(phrases whose presence is a hallucination). Phrases match whole words after `normalize`
(case, punctuation and articles ignored; punctuation separates words; in scripts written without
spaces, Chinese, Japanese, Thai..., each character is a word, so "学習率" is found in
"学習率は5e-4です" and "SmolLM2" in "モデルはSmolLM2です"); a `{"regex": ...}` entry or a string
starting with `re:` is searched in the raw answer, case-insensitively. A number is one word ("5" is not stated by
"0.5", nor "0" by "127.0.0.1"), and a phrase right after a negation ("not 8", "isn't 8", "no GPU",
"不是北京") or right before one in Hindi and Japanese ("नई दिल्ली नहीं", "東京ではない"), or before a
Chinese "not needed" ending a clause ("GPU不需要。") is not stated."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tunelab.data.read import DataError, read_rows
from tunelab.data.text import CJK, spaced
from tunelab.evaluate.metrics import normalize as _normalize

Phrase = str | re.Pattern
# Private-use characters survive `normalize` (neither punctuation, symbol nor space): one joins the
# parts of a number in an answer, the other marks the word a negation applies to.
_NUMBER_JOIN, _NEGATED = "\ue000", "\ue001"
_NUMBER_SEPARATOR = re.compile(r"(?<=\d)(?:\.|,(?=\d{3}(?!\d)))(?=\d)")  # 0.5, 1,000 (not 1,2)
# "not", "no", "never", "cannot" or "…n't", then the word it negates (after an article or the
# quotes and emphasis of "not **8**"); "No, 8080" is no negation of 8080.
_NEGATION = re.compile(
    r"(?:\b(?:not|no|never|cannot)|n['’]t)\s+(?:(?:a|an|the)\s+)?[\"'“‘`*_]*(?=\w)", re.IGNORECASE
)
# Chinese puts its "not" right before what it negates: "不是北京" (is not Beijing), "没有GPU" or
# "没有 GPU" (has no GPU), "不需要GPU" (needs no GPU), "不支持" (does not support). As in English, only the word right after
# it is negated ("不在北京", not in Beijing, negates "在").
_NEGATION_UNSPACED = re.compile(
    r"(?:不需要|不是|并非|並非|没有|沒有|不需|不用|不必|不|没|沒|无|無)\s?[\"'“‘`*_「『《【]*(?=\w)"
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


def normalize(text: str) -> str:
    # Punctuation splits words here: "train.lr" must contain the fact "lr", "config.yaml" the
    # fact "config yaml", and a hyphenated "graphics-card" the fact "graphics card". Symbols
    # too, as the ASCII ones ("$5", "~0.1") already do: "€5", "≈0.1" and "5°C" state "5", "0 1".
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch).startswith("S") else ch for ch in text)
    # Without spaces between words there are no word edges to match at: a character is a word.
    text = spaced(text)
    return _normalize(text, punctuation_splits=True)


@dataclass
class FactCheck:
    facts: list[list[Phrase]] = field(default_factory=list)  # each fact: its alternatives
    wrong: list[Phrase] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.facts or self.wrong)


def _phrase(value: Any, source: str) -> Phrase:
    if isinstance(value, dict) and set(value) == {"regex"}:
        value = "re:" + str(value["regex"])
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{source}: a fact or wrong phrase must be non-empty text, got {value!r}")
    if value.startswith("re:"):
        try:
            return re.compile(value[3:], re.IGNORECASE)
        except re.error as err:
            raise DataError(f"{source}: bad regex {value[3:]!r} ({err})") from None
    if not (words := Words(value)):
        raise DataError(
            f"{source}: fact {value!r} is empty once punctuation and symbols are ignored"
        )
    return words


class Words(str):
    """A phrase as it is matched (`normalize`d: "東 京", "config yaml") that remembers how the
    test row wrote it ("東京", "config.yaml"), which is what reports show."""

    written: str

    def __new__(cls, value: str) -> Words:
        phrase = super().__new__(cls, normalize(value))
        phrase.written = value.strip()
        return phrase


def parse_fact_check(row: dict[str, Any], source: str) -> FactCheck:
    """The `facts` and `wrong` fields of one test row (absent fields: an empty check)."""
    facts, wrong = row.get("facts") or [], row.get("wrong") or []
    if not isinstance(facts, list) or not isinstance(wrong, list):
        raise DataError(f"{source}: 'facts' and 'wrong' must be lists")
    return FactCheck(
        facts=[
            [_phrase(alt, source) for alt in (fact if isinstance(fact, list) else [fact])]
            for fact in facts
        ],
        wrong=[_phrase(w, source) for w in wrong],
    )


def read_fact_checks(path: str | Path) -> dict[str, FactCheck]:
    """`file:line` → FactCheck for every row of a test file that has facts or wrong phrases."""
    checks = {}
    for source, row in read_rows(Path(path)):
        if isinstance(row, dict):
            check = parse_fact_check(row, source)
            if check:
                checks[source] = check
    return checks


def states(answer: str, phrase: Phrase) -> bool:
    if isinstance(phrase, re.Pattern):
        return phrase.search(answer) is not None
    return _words_pattern(phrase).search(_answer_words(answer)) is not None


@lru_cache(maxsize=4096)
def _answer_words(answer: str) -> str:
    """The answer normalized as phrases are, its numbers kept whole and its negated words marked."""
    text = _NUMBER_SEPARATOR.sub(_NUMBER_JOIN, unicodedata.normalize("NFKC", answer))
    text = _NOT_NEEDED_AFTER.sub(lambda m: _NOT_AFTER_MARK + " " + m.group().lstrip(), text)
    text = _NEGATION.sub(lambda m: m.group() + _NEGATED, text)
    text = _NEGATION_UNSPACED.sub(lambda m: m.group() + ("" if _a_not_a(m) else _NEGATED), text)
    return _MARK_SPACED.sub(_NEGATED, normalize(text))


def _a_not_a(match: re.Match) -> bool:
    """Chinese asks or allows both ways with a verb, "not", the verb again: "用不用GPU都行" (with
    or without a GPU), "需不需要" (needed or not), "有没有": no negation."""
    text, start = match.string, match.start()
    return start > 0 and text[start - 1] == text[start + 1 : start + 2]


@lru_cache(maxsize=4096)
def _words_pattern(phrase: str) -> re.Pattern:
    """A normalized phrase as whole words: it may not start on a negated word or inside a number,
    but within it a number's parts join ("0 0002" is "0.0002") and a negation may come first."""
    inside = f"(?: {_NEGATED}?|{_NUMBER_JOIN})"
    words = inside.join(map(re.escape, phrase.split(" ")))
    return re.compile(r"(?:^| )" + words + r"(?= |$)" + _NEGATED_AFTER)


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
    "(?! (?:"
    + "|".join(
        " ".join(f"{_NEGATED}?{re.escape(x)}" for x in normalize(w).split()) for w in _NOT_AFTER
    )
    + ")(?: |$))"
)


def score_facts(answer: str, check: FactCheck) -> dict[str, float]:
    """fact_recall (share of facts stated), fact_accuracy (all stated), hallucination (a wrong
    phrase stated); a key is absent when the row gives nothing to score it by."""
    out: dict[str, float] = {}
    if check.facts:
        stated = [any(states(answer, alt) for alt in fact) for fact in check.facts]
        out["fact_recall"] = sum(stated) / len(stated)
        out["fact_accuracy"] = float(all(stated))
    if check.wrong:
        out["hallucination"] = float(any(states(answer, w) for w in check.wrong))
    return out


def _shown(phrase: Phrase) -> str:
    """A phrase as reports show it, and as `stated_in` reads it back: a regex as "re:<pattern>"."""
    if isinstance(phrase, re.Pattern):
        return "re:" + phrase.pattern
    return getattr(phrase, "written", phrase)


def stated_in(shown: list[str], texts: list[str]) -> dict[str, list[int]]:
    """For each phrase as `missed_facts` and `missed_alternatives` show it, the indices of the
    `texts` that state it: a fact an answer missed is either in the training answers (the model
    did not learn it) or in none of them (nothing taught it)."""
    phrases = {s: _phrase(s, "missed fact") for s in dict.fromkeys(shown)}
    found: dict[str, list[int]] = {s: [] for s in phrases}
    for i, text in enumerate(texts):  # text by text: `states` normalizes each once (its cache)
        for s, phrase in phrases.items():
            if states(text, phrase):
                found[s].append(i)
    return found


def missed_facts(answer: str, check: FactCheck) -> list[str]:
    """The facts an answer did not state, each shown by its first alternative."""
    return [alternatives[0] for alternatives in missed_alternatives(answer, check)]


def missed_alternatives(answer: str, check: FactCheck) -> list[list[str]]:
    """The facts an answer did not state, each with all its alternatives as shown."""
    return [
        [_shown(alt) for alt in fact]
        for fact in check.facts
        if not any(states(answer, alt) for alt in fact)
    ]


def wrong_stated(answer: str, check: FactCheck) -> list[str]:
    """The wrong phrases an answer states."""
    return [_shown(w) for w in check.wrong if states(answer, w)]
