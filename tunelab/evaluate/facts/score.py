"""Fact scoring: does an answer state the facts its question needs, and does it state a known
wrong answer? Token overlap rewards style words; this rewards only the facts.

A test row may carry
    "facts": [["CPU"], ["GPU", "graphics card"], {"regex": "resum(e|ing)"}]
(every entry is one fact; a list gives alternatives, any of which counts) and
    "wrong": ["Yes", "loss.jsonl"]
(phrases whose presence is a hallucination). Phrases match whole words of the answer as
`tunelab.evaluate.facts.answer_words` reads them (numbers whole, negated words not stated); a
`{"regex": ...}` entry or a string starting with `re:` is searched in the raw answer,
case-insensitively."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.data.example import Example
from tunelab.data.files.file_text import DataError
from tunelab.data.shapes import chat_column
from tunelab.data.turns import read_messages
from tunelab.evaluate.calls import reply_text
from tunelab.evaluate.facts.asked import affirms, asked_off, asks_what_is_not, denied_by_question
from tunelab.evaluate.facts.offered import offered
from tunelab.evaluate.facts.other_value import AskedValues, asked_values, other_values
from tunelab.evaluate.facts.stated import Phrase, Words, states


@dataclass
class FactCheck:
    facts: list[list[Phrase]] = field(default_factory=list)  # each fact: its alternatives
    wrong: list[Phrase] = field(default_factory=list)
    # Its question asks what is not ("Which OS is not supported?"): the answer's negations say
    # its facts ("Windows is not supported") and deny none; a clause that affirms what it
    # denies (`denied`'s stems: "Windows is supported") states none.
    negative: bool = False
    denied: frozenset[str] = frozenset()
    # What its question asks is masked, ignored, disabled...: "Which tokens are masked?" is
    # answered "Prompt tokens are masked", which states "prompt" (`asked.asked_off`).
    asked_off: frozenset[str] = frozenset()
    # The values its reference answer gives what its question asks (`other_value`): an answer
    # that gives the same thing another value states something false no wrong phrase names.
    values: AskedValues = field(default_factory=AskedValues)

    def __bool__(self) -> bool:
        # Anything to score an answer by: the values need only the reference, so a test row
        # without facts is still checked for another value (eval skipped it, silently).
        return bool(self.facts or self.wrong or self.values)


def _phrase(value: Any, source: str) -> Phrase:
    if isinstance(value, dict) and set(value) == {"regex"}:
        value = "re:" + str(value["regex"])
    if not isinstance(value, str) or not value.strip():
        raise DataError(
            f'{source}: a fact or wrong phrase must be non-empty text or {{"regex": "..."}}, '
            f"got {value!r}"
        )
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


def parse_fact_check(row: dict[str, Any], source: str) -> FactCheck:
    """The `facts` and `wrong` fields of one test row (absent fields: an empty check). A CSV
    cell holds them as JSON text (`[["CPU"]]`); a near miss of their names is refused, as a row
    so named was scored by its wording alone."""
    for key in row:
        if isinstance(key, str) and key != "facts" and key.strip().lower() in MISNAMED_FACTS:
            raise DataError(f"{source}: column {key!r} is read as nothing: name it 'facts'")
    facts, wrong = (_json_cell(row.get(key), key, source) or [] for key in ("facts", "wrong"))
    if not isinstance(facts, list) or not isinstance(wrong, list):
        raise DataError(f"{source}: 'facts' and 'wrong' must be lists")
    if [] in facts:
        raise DataError(
            f"{source}: fact {facts.index([]) + 1} is an empty list: give it at least one phrase "
            "(its alternatives), or remove it"
        )
    question, reference = _asked_and_replied(row, source)
    return FactCheck(
        facts=[
            [_phrase(alt, source) for alt in (fact if isinstance(fact, list) else [fact])]
            for fact in facts
        ],
        wrong=[_phrase(w, source) for w in wrong],
        negative=asks_what_is_not(question),
        denied=denied_by_question(question),
        asked_off=asked_off(question),
        values=asked_values(reference, question),
    )


_QUESTION_KEYS = ("question", "instruction", "prompt")
_REFERENCE_KEYS = ("answer", "output", "response", "completion")


def _asked_and_replied(row: dict[str, Any], source: str) -> tuple[str, str]:
    """The question and the reference answer's text of a test row in any shape tunelab reads:
    its fields, or its chat as the data stage reads it (`read_messages`): the user text the
    last reply answers, not a Gemini function's result after it (a user turn of
    functionResponse parts), and that reply's text alone, "" where it only calls tools (OpenAI
    writes its content null: it was read as the reference "None")."""
    question = next((row[k] for k in _QUESTION_KEYS if isinstance(row.get(k), str)), None)
    reference = next((row[k] for k in _REFERENCE_KEYS if isinstance(row.get(k), str)), None)
    if (question is None or reference is None) and chat_column(row):
        try:
            chat = Example(messages=read_messages(row, source))
        except DataError:  # the loader refuses the row, or leaves it out (--on-error skip)
            chat = Example()
        question = chat.question if question is None else question
        reference = reply_text(chat) if reference is None else reference
    return question or "", reference or ""


MISNAMED_FACTS = {"fact", "facts", "fact_list", "key_facts"}


def _json_cell(value: Any, key: str, source: str) -> Any:
    """A list written as JSON text (a CSV cell, a spreadsheet export), as the list."""
    if not isinstance(value, str) or not value.strip().startswith("["):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise DataError(f"{source}: '{key}' is not a JSON list ({err.msg})") from None


def read_fact_checks(path: str | Path) -> dict[str, FactCheck]:
    """`file:line` → FactCheck for every row of a test file (or hub dataset) that has facts,
    wrong phrases or a reference that gives values (`FactCheck.__bool__`)."""
    from tunelab.data.load import source_rows

    return fact_checks(source_rows(path, quiet=True))


def fact_checks(rows: Iterable[tuple[str, Any]]) -> dict[str, FactCheck]:
    """`file:line` → FactCheck of each (source, row) read that has something to check."""
    checks = {}
    for source, row in rows:
        if isinstance(row, dict) and (check := parse_fact_check(row, source)):
            checks[source] = check
    return checks


def stated_for(answer: str, phrase: Phrase, check: FactCheck) -> bool:
    """Whether `answer` states `phrase` as its test row's question reads it: plainly (`states`),
    or, where the question asks what is not, said under a negation ("Windows is not supported")
    or in a clause that does not affirm what the question denies ("Windows." but not "Windows
    is supported", nor the wrong "Linux" in "Linux is supported")."""
    asked = check.asked_off
    if not check.negative:
        return states(answer, phrase, asked=asked)
    if not states(answer, phrase, negations=False):
        return False  # not said, or taken back
    if not check.denied or not states(answer, phrase, asked=asked):
        return True  # a negation covers it
    clauses = [c for c in _CLAUSE.split(answer) if c and states(c, phrase, negations=False)]
    return not clauses or not all(affirms(c, check.denied, asked) for c in clauses)


# An answer's clauses, for what each affirms: sentence marks and commas before a space, a new
# line, and the words that turn to a contrast ("Linux is supported but Windows is not"). Not
# english_negation's _CLAUSE_END, which ends a negation's reach at "and": here "and" joins a list
# that one verb affirms ("Linux and macOS are supported").
_CLAUSE = re.compile(
    r"[.;:!?,](?=\s|$)|\n|\b(?:but|however|whereas|while|although|though|yet|except|unlike)\b",
    re.IGNORECASE,
)


def score_facts(answer: str, check: FactCheck) -> dict[str, float]:
    """fact_recall (share of facts stated), fact_accuracy (all stated and no wrong phrase:
    "8, 16, 32 or 64" does not know it is 16, nor "8-16 GB" that it is 16 GB), hallucination
    (a wrong phrase stated, `wrong_stated`: "8 or 16" states no wrong 8), other_value (gives
    what is asked a value its reference does not, `other_value_stated`); a key is absent when
    the row gives nothing to score it by."""
    out: dict[str, float] = {}
    hallucinated = bool(wrong_stated(answer, check))
    if check.facts:
        stated = facts_stated(answer, check)
        out["fact_recall"] = sum(stated) / len(stated)
        out["fact_accuracy"] = float(all(stated) and not hallucinated)
    if check.wrong:
        out["hallucination"] = float(hallucinated)
    if check.values:
        out["other_value"] = float(bool(other_value_stated(answer, check)))
    return out


def facts_stated(answer: str, check: FactCheck) -> list[bool]:
    """For each fact of the row, whether the answer states it (in any alternative), and not
    only as one value of a choice or an end of a range it offers."""
    expected = _expected(check)
    return [
        any(stated_for(answer, alt, check) for alt in fact) and not offered(answer, fact, expected)
        for fact in check.facts
    ]


def _expected(check: FactCheck) -> list[Words]:
    return [alt for f in check.facts for alt in f if isinstance(alt, Words)]


def shown_phrase(phrase: Phrase) -> str:
    """A phrase as reports show it, and as `stated_in` reads it back: a regex as "re:<pattern>"."""
    if isinstance(phrase, re.Pattern):
        return "re:" + phrase.pattern
    return getattr(phrase, "written", phrase)


def shown_regex(shown: str) -> re.Pattern | None:
    """The regex a phrase `shown_phrase` shows as "re:<pattern>" is, as scoring reads it (case
    ignored); None for words."""
    return _phrase(shown, "a shown phrase") if shown.startswith("re:") else None


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
    """The facts an answer did not state (`facts_stated`: "16 or 32" misses 32), each with all
    its alternatives as shown."""
    return [
        [shown_phrase(alt) for alt in fact]
        for fact, stated in zip(check.facts, facts_stated(answer, check))
        if not stated
    ]


def wrong_stated(answer: str, check: FactCheck) -> list[str]:
    """The wrong phrases an answer states, as facts are: a wrong value offered as one of a
    choice or an end of a range ("8000 or 8080", "8-16 GB") is not stated, as no value of it is
    (the answer commits to none: it misses its facts, it states no wrong one)."""
    expected = _expected(check)
    return [
        shown_phrase(w)
        for w in check.wrong
        if stated_for(answer, w, check) and not offered(answer, [w], expected)
    ]


def other_value_stated(answer: str, check: FactCheck) -> list[str]:
    """The values, as written, that an answer gives what its row's question asks where its
    reference gives another ("1.00" of "The learning rate warmup by default is 1.00" where the
    reference says 0.05): `tunelab.evaluate.facts.other_value`."""
    return other_values(answer, check.values, check.facts)
