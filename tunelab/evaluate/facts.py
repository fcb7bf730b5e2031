"""Fact scoring: does an answer state the facts its question needs, and does it state a known
wrong answer? Token overlap rewards style words; this rewards only the facts.

A test row may carry
    "facts": [["CPU"], ["GPU", "graphics card"], {"regex": "resum(e|ing)"}]
(every entry is one fact; a list gives alternatives, any of which counts) and
    "wrong": ["Yes", "loss.jsonl"]
(phrases whose presence is a hallucination). Phrases match whole words after `normalize`
(case, punctuation and articles ignored; punctuation separates words); a `{"regex": ...}` entry or a string starting with
`re:` is searched in the raw answer, case-insensitively."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.data.read import DataError, read_rows
from tunelab.evaluate.metrics import normalize as _normalize

Phrase = str | re.Pattern


def normalize(text: str) -> str:
    # Punctuation splits words here: "train.lr" must contain the fact "lr", "config.yaml" the
    # fact "config yaml", and a hyphenated "graphics-card" the fact "graphics card".
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
    if not normalize(value):
        raise DataError(f"{source}: fact {value!r} is empty once punctuation is ignored")
    return normalize(value)


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
    return f" {phrase} " in f" {normalize(answer)} "


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
    return phrase.pattern if isinstance(phrase, re.Pattern) else phrase


def missed_facts(answer: str, check: FactCheck) -> list[str]:
    """The facts an answer did not state, each shown by its first alternative."""
    return [_shown(fact[0]) for fact in check.facts if not any(states(answer, alt) for alt in fact)]


def wrong_stated(answer: str, check: FactCheck) -> list[str]:
    """The wrong phrases an answer states."""
    return [_shown(w) for w in check.wrong if states(answer, w)]
