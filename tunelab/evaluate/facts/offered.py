"""Values an answer offers rather than knows: one of a choice ("16 or 32", "8000/8080", "The
port is 8000, 8080, 9000.") or an end of a range ("1-3 epochs"). Fact scoring does not credit a
value said only so."""

from __future__ import annotations

import re

import regex

from tunelab.evaluate.facts.normalize_numbers import numbers_as_digits, spread_units
from tunelab.evaluate.facts.stated import Phrase, Words, states

# Values offered as a choice: "16 or 32", "8, 16, 32 or 64", "$5/$10 or $20", "16, or maybe 8",
# each with its unit or its name again ("3 epochs or 4 epochs", "Python 3.9 or Python 3.10").
_VALUE = r"\p{Sc}?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+\u2212]?\d+)?(?:\s?%|\s?(?!or\b)[A-Za-z]+\b)?"
_NAMED = rf"(?:(?P=name)\s+)?{_VALUE}"
_CHOICE = regex.compile(
    rf"(?:\b(?P<name>[A-Za-z]+)\s+)?(?<![\w.]){_VALUE}(?:\s*[,/]\s*{_NAMED})*(?P<comma>,?)\s+or\s+"
    r"(?P<hedge>(?:maybe|perhaps|possibly)\s+)?" + _NAMED,
    regex.IGNORECASE,
)
_OFFERED_VALUE = regex.compile(_VALUE)


# Two values around a slash: "8000/8080", "3.10/3.11", "8GB/16GB", "$5/$10" (not one of a
# longer chain, a date "12/05/2026", or of an address "10.0.0.0/24"); `_slash_choice` says which
# offer a choice, as "8000 or 8080" does.
def _slashed(end: str) -> str:
    return rf"(?P<currency{end}>\p{{Sc}})?(?P<number{end}>\d+(?:,\d{{3}})*(?:\.\d+)?)" + (
        rf"(?:\s?(?P<unit{end}>%|[A-Za-z]+\b))?"
    )


_SLASHED = regex.compile(
    rf"(?<![\w.,/]){_slashed('a')}\s?/\s?{_slashed('b')}(?![\w/]|[.,]\d)", regex.IGNORECASE
)


def _slash_choice(pair: regex.Match) -> bool:
    """Whether two values around a slash are two of one kind that no fraction, score, ratio or
    rate is ("3/4", "9/10", "80/20", "24/7", "50 tokens/s" keep their numbers): each with the
    same currency or unit ("$5/$10", "8GB/16GB"), each a decimal ("3.10/3.11"), whole numbers
    past any fraction's or score's ("8000/8080"), or powers of two a setting takes ("16/32")."""
    a, b = (pair[f"number{end}"].replace(",", "") for end in "ab")
    if a == b or any(re.match(r"0\d", n) for n in (a, b)):
        return False  # one value, or a code's part ("05")
    if pair["currencya"] or pair["currencyb"]:
        return pair["currencya"] == pair["currencyb"]
    if pair["unita"]:
        return pair["unita"].lower() == (pair["unitb"] or "").lower()
    if "." in a or "." in b:
        return "." in a and "." in b
    numbers = (int(a), int(b))
    return all(n > _FRACTION_PARTS for n in numbers) or all(map(_power_of_two, numbers))


def _power_of_two(n: int) -> bool:
    """Whether `n` is 2, 4, 8, …: values a setting is offered in ("16/32"); in lowest terms, no
    fraction of two of them has more than 1 on top ("1/2", "1/8" keep their numbers)."""
    return n >= 2 and n & (n - 1) == 0


_FRACTION_PARTS = 100  # the largest number read as a fraction's or score's part ("45/100")

# Two values around a slash that each belong to their own name: right after two names joined
# the same way ("r/alpha 128/256" says r is 128 and alpha 256; "lora_r/lora_alpha: 64/128"), or
# two HTTP statuses of a plural kind ("returns 404/500 errors" returns both; "a 404/500 error"
# is still one of them).
_SLASHED_NAMES = re.compile(r"(?<![\w/])[^\W\d_][\w-]*\s?/\s?[^\W\d_][\w-]*\s*[:=]?\s*$")
_STATUSES = re.compile(
    r"[1-5]\d\d\s?/\s?[1-5]\d\d\s+(?:(?:HTTP|status|error)\s+)?(?:errors|codes|responses)\b",
    re.IGNORECASE,
)


def _each_its_own(answer: str, pair: regex.Match) -> bool:
    return bool(
        _SLASHED_NAMES.search(answer, 0, pair.start()) or _STATUSES.match(answer, pair.start())
    )


# Values listed by commas alone where one value is said ("The default port is 8000, 8080,
# 9000.", "It defaults to 16, 32."): a hedge, as "8000, 8080 or 9000" is. Only a list that ends
# its sentence: "The default is 16, 32 with QLoRA" says another value after it, and "The
# versions are 3.10, 3.11" or "Supported: 3.10, 3.11" name several (`_one_kind` says which
# values are of one kind).
_LISTED = regex.compile(
    rf"\b(?:is|was|(?:it|that)['’]s|defaults\s+to)\s+(?P<list>(?<![\w.]){_VALUE}"
    rf"(?:,\s+{_VALUE})+)(?=\s*(?:[.;!?\n]|$))",
    regex.IGNORECASE,
)


def _one_kind(items: list[str]) -> bool:
    """Whether values differ and each has the same currency and unit ("8 GB, 16 GB"; not "16,
    32 recommended")."""
    kinds = {regex.sub(r"[\d,.]+", "", item).strip().lower() for item in items}
    return len(kinds) == 1 and len(set(items)) > 1


# A numeric range: "1-3", "8–16 GB", "8 GB-16 GB", "$10-$20", "3-4x", "1 to 3 epochs", "from -3
# to 3", "between 1 and 3". Not a part of a longer code, date or phone number ("2024-01-15",
# "555-123-4567", "+1 555-1234"), nor a name's number ("HB-401-403", "GPT-3-4", "v1.2-3"), nor
# a sign ("1 -3"); `_ranges` keeps those that go up.
_NUMBER = r"\p{Sc}?\d+(?:,\d{3})*(?:\.\d+)?"
_UNIT = r"(?:\s?%|\s?(?![eE][-+\u2212]?\d)(?!(?:to|and|or|through)\b)[A-Za-z]+\b)?"
_RANGE = regex.compile(
    rf"(?P<between>\bbetween\s+)?(?<![\w.,/:#+\-\u2212\u2013\u2014])(?<!\d\)?\s)"
    rf"(?P<low>[-\u2212]?{_NUMBER}{_UNIT})"
    r"(?(between)\s+and\s+|(?:\s+(?:(?:up\s+)?to|through)\s+|\s[-\u2013]\s|[-\u2013\u2014]))"
    rf"(?P<high>(?:(?<=\s)[-\u2212])?{_NUMBER}{_UNIT})(?![.,]?\d|[-\u2013\u2014/]\d)",
    regex.IGNORECASE,
)
_RANGE_NUMBER = regex.compile(r"[-\u2212]?\d[\d,]*(?:\.\d+)?")
# "from 4 to 8" after a verb of change is a change, not a range: "raised it from 4 to 8 GPUs"
# states 8 (and `PAST_VALUE` takes the 4 back).
_CHANGE = re.compile(
    r"\b(?:(?:chang|increas|decreas|rais|lower|reduc|bump|updat|mov|jump|climb|grow|drop|dropp)"
    r"(?:e|es|ed|ing|s)?|go|goes|went|gone|going|grew|rose|rise|rises|fell|fall|falls|cut|cuts)"
    r"(?:\s+[\w.'’]+){0,4}?\s+from\s+$",
    re.IGNORECASE,
)


# A local phone number after a word that says it is one: "Call 555-1234", "phone: 555-1234"
# (without such a word "555-1234" may be a range, as "100-1000" is).
_PHONE = re.compile(
    r"\b(?:call|calls|calling|phone|telephone|tel|dial|fax|hotline|mobile)\b"
    r"(?:\s+[\w.'’]+){0,3}?[\s:.]+$",
    re.IGNORECASE,
)


def _ranges(answer: str) -> list[regex.Match]:
    """The numeric ranges `answer` says: each going up ("10-5" is a score, "2024-01" a month),
    with no end written with a leading zero ("555-0100" is a number), no phone number ("Call
    555-1234") and no change of a value ("changed from 4 to 8"). A span of versions is a range
    as any other span is ("Python 3.8-3.11" offers 3.8 to 3.11, and states no 3.8: it goes up
    as versions do, 3.9 to 3.10); a version is no range only where its dash is part of its
    name ("v1.2-3", "python:3.10-slim", which `_RANGE` does not read as one)."""
    found = []
    for match in _RANGE.finditer(answer):
        low, high = (_RANGE_NUMBER.search(match[k])[0].replace(",", "") for k in ("low", "high"))
        low, high = (n.replace("\u2212", "-") for n in (low, high))
        if any(re.match(r"-?0\d", n) for n in (low, high)):
            continue
        if _CHANGE.search(answer, max(0, match.start() - 60), match.start()):
            continue
        if re.fullmatch(r"\d{3}-\d{4}", match[0]) and _PHONE.search(
            answer, max(0, match.start() - 40), match.start()
        ):
            continue
        versions = "." in low and "." in high and "-" not in low + high
        if float(low) < float(high) or (
            versions and [int(p) for p in low.split(".")] < [int(p) for p in high.split(".")]
        ):
            found.append(match)
    return found


_NAME_BEFORE = re.compile(r"\b([^\W\d_]+)\s+$")


def _unworded_choices(answer: str) -> list[tuple[tuple[int, int], str, list[str]]]:
    """The choices an answer offers with no "or" (`_SLASHED`'s, `_LISTED`'s): each one's span,
    text and values."""
    found = []
    for listed in _LISTED.finditer(answer):
        items = _OFFERED_VALUE.findall(listed["list"])
        if _one_kind(items):
            found.append((listed.span("list"), listed["list"], items))
    for pair in _SLASHED.finditer(answer):
        if _slash_choice(pair) and not _each_its_own(answer, pair):
            found.append((pair.span(), pair[0], _OFFERED_VALUE.findall(pair[0])))
    return found


def _is_the_fact(whole: str, items: list[str], values: list[Words]) -> bool:
    """Whether a value the row expects is a whole choice or range and none of its values (the
    fact "5-10 GB" said as "5-10 GB", "8000/8080" as "8000/8080")."""
    return any(states(whole, v) and not any(states(i, v) for i in items) for v in values)


def offered(answer: str, fact: list[Phrase], expected: list[Words]) -> bool:
    """Whether the answer gives a value fact only as one of several it offers ("16 or 32",
    "8000/8080" do not know it is 32, 8080) or as an end of a range ("1-3 epochs" does not know
    it is 3), some of which the row does not expect ("3.10 or 3.11" may be its two facts, "1-3"
    its facts 1 and 3, or its one fact). Two values with a comma before "or" are one said again or an
    alternative to it, no guess ("1 GB, or 1024 MB", "32, or 64 on an A100"), unless the second
    is hedged ("16, or maybe 8")."""
    values = [alt for alt in fact if isinstance(alt, Words) and any(c.isdigit() for c in alt)]
    if not values:
        return False
    answer = numbers_as_digits(answer)  # "two or three epochs" is a choice as "2 or 3" is
    offers, spans = [], []
    for choice in _CHOICE.finditer(answer):
        spans.append(choice.span())
        # "24, 48 or 72 hours" offers "24 hours", as the row's facts may each be one of them.
        items = _OFFERED_VALUE.findall(spread_units(choice[0]))
        restated = len(items) == 2 and choice["comma"] and not choice["hedge"]
        if not restated and any(states(choice[0], v) for v in values):
            offers.append(items)
    for span, choice, items in _unworded_choices(answer):
        spans.append(span)
        if _is_the_fact(choice, items, values):
            return False  # the choice is the fact ("8000/8080", as data facts proposes it)
        if any(states(choice, v) for v in values):
            offers.append(items)
    for bounds in _ranges(answer):
        spans.append(bounds.span())
        # Each end with the word before the range, as a choice's name: "Python 3.8-3.11" offers
        # "Python 3.8" as it offers "3.8".
        name = _NAME_BEFORE.search(answer, 0, bounds.start())
        named = f"{name[1]} " if name else ""
        ends = [named + bounds["low"], named + bounds["high"]]
        if _is_the_fact(named + bounds[0], ends, values):
            return False  # the range is the fact ("5-10 GB", "Python 3.8-3.11")
        if any(states(end, v) for end in ends for v in values):
            offers.append(ends)
    pieces, last = [], 0
    for start, end in sorted(spans):  # the answer less its choices and ranges
        pieces.append(answer[last:start])
        last = max(last, end)
    rest = " ".join([*pieces, answer[last:]])
    if not offers or any(states(rest, v) for v in values):
        return False  # said outside a choice or a range too ("It is 32; 16 or 32 both run")
    return any(not any(states(item, e) for e in expected) for items in offers for item in items)
