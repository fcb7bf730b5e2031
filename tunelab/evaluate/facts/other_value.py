"""An answer that gives the thing its question asks another value than the reference does: "The
learning rate warmup by default is 1.00" where the reference says "warmup_ratio defaults to
0.05", "Training runs 1000 epochs" where it says "The default is 3 epochs". No row's wrong
phrases can list every such number, so the hallucination rate (a named wrong answer) misses it.

A value claim is a number said as what a setting is ("S defaults to V", "S is V by default",
"The default S is V"), a number before a word that counts it ("512 tokens") or after the word
that names it ("port 8080", "Python 3.11"). A version range holds the versions it opens ("3.x"
holds 3.11, "2.x" does not); a reference's value in capitals ("The log level is DEBUG") is one
that no number of an answer stating none of the row's facts gives ("The log level is 10", not
"10, which is DEBUG"). An answer's claim gives another value where its number is none the
reference says and states none of the row's facts, and it names the reference's setting (the
same words, or words all its question says: the thing asked), or names none and counts what the
reference counts ("there are 10 tokens" against "512 tokens"), or sits where the reference's
value does ("It listens on 80" against "It listens on port 8080": the same verb and "on" or "at"
before it). A question that says a reference value itself ("Which option defaults to 256?") asks
for the setting, not the value: it gets no value claims. On the 215 blindly judged demo answers
(benchmarks/fact_scorer_agreement.py) no answer a reader judged true is flagged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tunelab.data.text import FUNCTION_WORDS, stem, stems
from tunelab.data.units import UNITS, forms
from tunelab.evaluate.facts.stated import Phrase, Words, states

# "10,000" whole: its "000" was read as 0, so "5,000 changes" gave no other value than it.
_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:e[-+]?\d+)?%?"
# A version no decimal number reads: a range of them ("2.x", "3.*") or three parts ("3.11.4").
_VERSION = r"\d+(?:\.\d+)*\.[xX*](?!\w)|\d+\.\d+\.\d+"
_VALUE = rf"(?:{_VERSION}|{_NUMBER})"
# A value in capitals, a named level or mode ("The log level is DEBUG"): a reference's value
# that an answer's number is not ("The log level is 10"). An answer's words are not read as
# values: "JSON" of "JSON Lines (JSONL)" is no other value than "JSONL".
_CAPITALS = r"[A-Z][A-Z0-9_]+\b"
_NAME = r"[A-Za-z_][\w.-]*(?: [A-Za-z_][\w.-]*){0,3}"  # a setting: a name in code or a few words
_CLAIMS = [
    re.compile(
        rf"(?P<setting>{_NAME}) defaults? to (?P<value>{_VALUE}|{_CAPITALS})"
        r"(?: (?P<unit>[a-z]+))?"
    ),
    re.compile(
        rf"(?P<setting>{_NAME}) (?:by default )?(?:is|are) (?P<value>{_VALUE}|{_CAPITALS})"
        r"(?: (?P<unit>[a-z]+))?"
    ),
    # "20 minutes", and "a 20-minute flight" (it gave no claim, so no other value than 22).
    re.compile(rf"(?<![\w.-])(?P<value>{_VALUE})[ -](?P<unit>[a-z]+)"),
    # A number after the word that names it, "port 8080", "level 20", "Python 3.11": "The
    # server listens on port 80" gave no claim, so no other value than 8080.
    re.compile(rf"(?<![\w.-])(?P<label>[A-Za-z][a-z]+) (?P<value>{_VALUE})(?![\w-]|\.\d)"),
    # A number right after "on" or "at", named by no word: "It listens on 80" against "It
    # listens on port 8080" (`_SLOT` says what it is the value of); not a time, "at 10:30".
    re.compile(
        rf"(?<=\b(?:[Oo]n|[Aa]t) )(?P<value>{_VALUE})(?![\w-]|[.:]\d)(?: (?P<unit>[A-Za-z]+))?"
    ),
]
# Where a value sits: the verb and the "on" or "at" before it, or before the word that names it
# ("listens on" of "It listens on port 8080" and of "It listens on 80"). An answer's value in
# the slot of the reference's is a value of the same thing, though the answer names it not.
_SLOT = re.compile(r"\b([A-Za-z]+) (on|at) (?:(?:the|a|an) )?(?:[A-Za-z][\w-]* )?$", re.I)
# A claim is read within its clause: "eval_every defaults to 50 steps and save_every to 100
# steps" gives save_every its 100, not eval_every.
_CLAUSE = re.compile(r"[;,:!?](?:\s|$)|\.(?:\s|$)|\n|\band\b|\bbut\b")
# Markdown and quotes around a value or a name: "The default port is `9120`", "**32**", a chat
# model's usual answer, gave no claim, and its other value went uncounted.
_MARKUP = re.compile(r"[`*\"“”]")
# A unit however written counts one thing: "20 min" was no count of what "22 minutes" counts.
_UNIT_NAMES = {form: (known.names or known.symbols)[0] for known in UNITS for form in forms(known)}
# Words that name no setting of their own: "The default is 3 epochs" names none.
_NO_NAME = frozenset({"default", "defaults", "value", "setting", "option"})
_NOT_NAMING = FUNCTION_WORDS | _NO_NAME


@dataclass(frozen=True)
class Claim:
    setting: frozenset[str]  # its words' stems ({"warmup", "ratio"}); empty where unnamed
    value: Decimal | str  # a version ("2.x") or a value in capitals ("DEBUG") as written
    written: str  # as the text wrote the value ("1.00")
    unit: str  # the stem of the word that counts it ("token"), or ""
    slot: str = ""  # the verb's stem and its "on" or "at" before it (`_SLOT`: "listen on"), or ""
    line: bool = False  # a name's whole-number version ("Python 3"), which "3.11" is a release of


@dataclass(frozen=True)
class AskedValues:
    """What a test row's reference says its question's values are, and its question's words."""

    claims: tuple[Claim, ...] = ()
    question: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.claims)


def _stems(text: str) -> frozenset[str]:
    """The stems of the words that may name a setting, read as tunelab.data.text's `stems` reads
    every text's ("HTTPS" is no plural of "HTTP", "résumé" one word, not "r" and "sum")."""
    return frozenset(stems(text, _NOT_NAMING))


def _value(written: str) -> Decimal | str:
    try:
        number = Decimal(written.rstrip("%").replace(",", ""))
    except InvalidOperation:
        return written
    return number / 100 if written.endswith("%") else number


def _one_value(claim: Claim, said: Claim) -> bool:
    """Whether two claims give one value: equal, or a version inside the other ("3.x" of "3.11",
    "3.11.4" of "3.11"; not "3.1" of "3.11"), or a release of a name's whole version ("Python
    3.11" of the `said` "Python 3", as the scorer reads it: `stated`)."""
    if claim.value == said.value or (said.line and claim.written.startswith(said.written + ".")):
        return True
    if isinstance(claim.value, Decimal) and isinstance(said.value, Decimal):
        return False
    parts = [c.written.rstrip("xX*").rstrip(".").split(".") for c in (claim, said)]
    if not all(p[0].isdigit() for p in parts):
        return False
    shared = min(map(len, parts))
    return parts[0][:shared] == parts[1][:shared]


def value_claims(text: str) -> list[Claim]:
    """The numbers `text` says as a setting's value or as a count of something, clause by clause;
    a count is of what its clause's words before it name ("Checkpoints are written every 100
    steps": checkpoints, written)."""
    claims = []
    for clause in _CLAUSE.split(text):
        clause = _MARKUP.sub("", clause)
        for pattern in _CLAIMS:
            for match in pattern.finditer(clause):
                found = match.groupdict()
                if (found.get("label") or "").lower() in FUNCTION_WORDS | _NO_NAME:
                    continue  # "is 5", "to 80": the other patterns' claims, or none
                named = found.get("setting") or clause[: match.start("value")]
                unit = (found.get("unit") or "").lower()
                unit = "" if unit in FUNCTION_WORDS else stem(_UNIT_NAMES.get(unit, unit))
                value = _value(match["value"])
                slot = _slot(clause[: match.start("value")])
                line = (found.get("label") or "")[:1].isupper() and match["value"].isdigit()
                claims.append(Claim(_stems(named), value, match["value"], unit, slot, line))
    return claims


def _slot(before: str) -> str:
    found = _SLOT.search(before)
    if not found or found[1].lower() in FUNCTION_WORDS:  # "is on 80" says where nothing sits
        return ""
    return f"{stem(found[1].lower())} {found[2].lower()}"


def asked_values(reference: str, question: str) -> AskedValues:
    """The reference's value claims where its question asks for values; none where the question
    says one of them (it gives the value and asks what has it)."""
    claims = value_claims(reference)
    if any(states(question, Words(c.written)) for c in claims):
        return AskedValues()
    return AskedValues(tuple(claims), _stems(question))


def other_values(answer: str, asked: AskedValues, facts: list[list[Phrase]]) -> list[str]:
    """The answer's values, as written, that it gives a setting or count of the reference's and
    that the reference does not: "1.00" of "The learning rate warmup by default is 1.00"."""
    found = []
    # A number may be the word's value ("The log level is 10, which is DEBUG"): against a word,
    # only an answer that states no fact gives another value.
    words = [c for c in asked.claims if _is_word(c)]
    if words and any(states(answer, alt) for fact in facts for alt in fact):
        asked = AskedValues(tuple(c for c in asked.claims if not _is_word(c)), asked.question)
    for claim in value_claims(answer):
        if _is_word(claim):
            continue  # `_CAPITALS`
        if any(_one_value(claim, c) for c in asked.claims) or claim.written in found:
            continue
        if not states(answer, Words(claim.written)):
            continue  # denied: "the warmup is not 1.00"
        if any(states(claim.written, alt) for fact in facts for alt in fact):
            continue  # the fact written otherwise: "5%" of 0.05
        if any(_same_thing(claim, c, asked.question) for c in asked.claims):
            found.append(claim.written)
    return found


def _is_word(claim: Claim) -> bool:
    return isinstance(claim.value, str) and not claim.written[0].isdigit()


def _same_thing(claim: Claim, reference: Claim, question: frozenset[str]) -> bool:
    """Whether a claim of the answer is about what a claim of the reference is: the same name, or
    words the question says that name some of the reference's setting ("learning rate warmup" of
    warmup_ratio) or count what it counts ("Training runs 1000 epochs" of "3 epochs")."""
    if claim.setting and claim.setting == reference.setting:
        return True
    if claim.slot and claim.slot == reference.slot and claim.unit == reference.unit:
        return True  # "listens on 80" of "listens on port 8080"
    if not claim.setting <= question:  # "The default learning rate" of a question on warmup
        return False
    return bool(claim.setting & reference.setting) or (
        claim.unit != "" and claim.unit == reference.unit
    )
