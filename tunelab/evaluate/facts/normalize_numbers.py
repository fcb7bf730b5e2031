"""How text is normalized for fact matching, a phrase's and an answer's alike: case folded,
punctuation splitting words, each character a word in scripts written without spaces, numbers
kept whole ("5" is not stated by "0.5", nor "0" by "127.0.0.1"; "1,000" is "1000", "5GB" is
"5 GB") with their sign, per cent or currency, as "++" and "#" stay on "C++" and "C#"."""

from __future__ import annotations

import decimal
import re
import unicodedata
from collections.abc import Collection

import regex

from tunelab.data.text import AND_OR, spaced
from tunelab.data.units import (
    CURRENCY_CODES,
    CURRENCY_WORDS,
    UNITS,
    alternation,
    spellings,
    unit,
    units_of,
)
from tunelab.evaluate.facts.amounts import PERIOD
from tunelab.evaluate.facts.model_names import NAME_WORD
from tunelab.evaluate.metrics import normalize as _normalize

# A private-use character survives `normalize` (neither punctuation, symbol nor space): this one
# joins the parts of a number in an answer (`answer_words` marks a negated word with others).
NUMBER_JOIN = "\ue000"
DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")  # 0.5 is one word, 127.0.0.1 too
# A sign, a per cent, a currency and the "++" or "#" of a language's name are part of the word
# they are glued to: "-8" is not "8", "10%" not "10 GB", "€5" not "$5", "C++" not "C". Each
# becomes a private-use character (a currency symbol its own, at U+F0000 + its code point).
MINUS, PERCENT, _PLUS_PLUS, _SHARP = "\ue003", "\ue004", "\ue005", "\ue006"
CURRENCY = "\U000f0000-\U0010fffd"
GLUED = "\ue000\ue002-\ue0ff" + CURRENCY  # what may sit inside or on a word
_NUMBER = r"\d+(?:[.\ue000]\d+)*"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # 1,000 is 1000
# "1 000" with a no-break or thin space (French, ISO) is 1000 too; with a plain space it may be
# two numbers.
_THOUSANDS_SPACE = re.compile(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3}(?!\d))")
# A measure's trailing zeros say nothing: "12.50 W" is 12.5 W, "5.0 GB" 5 GB, "$249.00" $249
# (a version's do: "Python 3.10" is no 3.1, so only before a unit or after a currency; not the
# amps' "A", the article: "In 3.10 A new flag ..." states 3.10).
_MEASURE_UNITS = [s for s in spellings(names=False) if s != "A"] + ["%"]
_MEASURE = regex.compile(
    r"(?<![\w.])(\p{Sc}\s?)?(\d+)\.(\d+)(?!\d|\.\d)"
    rf"(\s?(?:{alternation(_MEASURE_UNITS)})(?!\w))?"
)


def _measure_zeros(match: regex.Match) -> str:
    currency, whole, fraction, unit = match.groups()
    if not (currency or unit):
        return match[0]
    fraction = fraction.rstrip("0")
    return f"{currency or ''}{whole}{'.' + fraction if fraction else ''}{unit or ''}"


# A decimal comma (German, French, Spanish...): "3,5 GB" is 3.5 GB; "2, 4", a list "1,2,3", a
# pair in brackets "(3,4)" and a full-width "1，5" stay numbers apart (read before NFKC makes
# "，" a ",").
_DECIMAL_COMMA = re.compile(
    r"(?<![\d,])(?<![(\[])(\d+),(\d{1,2})(?![\d,])|(?<=[(\[])(\d+),(\d{1,2})(?![\d,)\]])"
)


def _decimal_comma(match: re.Match) -> str:
    whole, fraction = (match[1], match[2]) if match[1] else (match[3], match[4])
    return f"{whole}.{fraction}"


# An acronym's plural is the acronym: "LLMs" states "LLM", "GPU" states "GPUs".
_ACRONYM_PLURAL = re.compile(r"\b([A-Z]{2,}[0-9]*)s\b")
# A version's "v" and its last ".0" are no part of its value: "v2.1", "version 2.1" and "2.1.0"
# are one (only a dotted version's "v": "V100" is a GPU; only a third part: "3.0" is kept, an
# address "10.0.0.1" too).
_VERSION_V = re.compile(r"(?<![\w.-])[vV](?=\d+(?:\.\d+)+(?!\w|\.\d))")  # not V100, V8
_VERSION_ZERO = re.compile(r"(?<![\w.])(\d+\.\d+)\.0(?!\w|\.\d)")


def names_release(text: str) -> bool:
    """Whether `text` writes a version with a last ".0" that `glue` leaves out ("2.1.0",
    "v2.1.0"): it names that release, which no later one ("2.1.5") states, where "2.1" is
    stated by any 2.1.x (`answer_words`)."""
    return bool(_VERSION_ZERO.search(_VERSION_V.sub("", text)))


# A time's short unit is its name: "2h", "2 hrs" and "2 hours" are one, as "5min" and "5
# minutes" (not a bare "s": "the 30s" are years, "Python 3's" a possessive); `specific_terms`
# reads these as units too ("8 h" is proposed whole).
# (A shorter time is read by its symbol: "5 milliseconds" is "5 ms", `_UNIT_NAMES`.)
TIME_UNITS = {
    symbol: name for name in ("hour", "minute", "second") for symbol in unit(name).symbols
    if symbol != "s"
}  # fmt: skip
_TIME_UNIT = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s?({'|'.join(TIME_UNITS)})\b(?!\.\w)")


# A range said in words is the range: "5 to 10 GB", "5 through 10 GB" and "between 5 and 10 GB"
# are "5-10 GB", "Python 3.8 through 3.12" is "Python 3.8-3.12" (only "between" makes "and" a
# range: "2 and 3 GPUs" may be a list).
_RANGE_WORDS = re.compile(
    r"\bbetween\s+(\d+(?:\.\d+)?)\s+and\s+(?=\d)"
    r"|(?<![\w.])(\d+(?:\.\d+)?)\s+(?:to|through)\s+(?=\d)",
    re.I,
)
# A list of numbers that ends in a unit gives each its unit: "24, 48 or 72 hours" states "24
# hours" as "24 h" does ("24" was proposed, which any "24" stated), "5, 10 and 20 GB/s" "5
# GB/s", "2,000 or 4,000 mAh" "2,000 mAh", and a range among them its unit too ("1-5 and 10
# minutes": "1-5 minutes"), and a list of prices its period ("$10, $20 or $50 per month": "$10
# per month"); "between 5 and 10 GB" is a range. Not "A" (an article).
_LISTED = r"\p{Sc}?\d+(?:,\d{3})*(?:\.\d+)?(?:\s?[-\u2013]\s?\d+(?:,\d{3})*(?:\.\d+)?)?"
_LIST_UNIT = regex.compile(
    rf"(?<![\w.,\u2013-])(?<!\b[Bb]etween\s+)({_LISTED})(?=(?:,\s*{_LISTED})*,?\s+{AND_OR}\s+"
    rf"{_LISTED}(?:\s?((?:{units_of(excluded=('A',))})(?:/[A-Za-z]+)?)(?![\w/])"
    rf"|(?<=\p{{Sc}}[\d.,]+)((?:\s?/\s?|\s+per\s+|\s+an?\s+){PERIOD}\b)))"
)


# A list of versions that opens with a name gives each that name: "Windows 10 and 11" states
# "Windows 11" ("11" alone was proposed, which any 11 stated); not one that ends in a unit, nor
# one of whole and dotted numbers.
_VERSION = r"\d+(?:\.\d+)*"
_LIST_NAME = regex.compile(
    rf"(?<![\w.-])(?P<name>{NAME_WORD} ){_VERSION}"
    rf"(?P<rest>(?:,\s*{_VERSION})*,?\s+{AND_OR}\s+{_VERSION})"
    rf"(?![\w%-]|[.,]\d|\s?(?:{units_of(excluded=('A',))})(?![\w/]))"
)


def spread_units(text: str, names: Collection[str] | None = ()) -> str:
    """`text` with a list of numbers that ends in a unit giving each number that unit ("24, 48 or
    72 hours": "24 hours, 48 hours or 72 hours"), as the list says; a list of prices its period;
    and a list of versions that opens with one of `names` (a name with its version, "Windows
    10"; None: any capitalised word, as the scorer reads an answer) that name ("Windows 10 and
    11": "Windows 10 and Windows 11")."""
    text = _LIST_UNIT.sub(lambda m: f"{m[1]} {m[2]}" if m[2] else m[1] + m[3], text)

    def named(m: regex.Match) -> str:
        opening = m[0][: len(m[0]) - len(m["rest"])]
        versions = regex.findall(_VERSION, m[0])  # written alike: not "Python 3.10 and 3 GPUs"
        if (names is not None and opening not in names) or len({"." in v for v in versions}) > 1:
            return m[0]
        return opening + regex.sub(_VERSION, lambda v: m["name"] + v[0], m["rest"])

    return _LIST_NAME.sub(named, text) if names is None or names else text


# A month's short name before its day or year is the month: "Mar 2024" is "March 2024".
_MONTHS = ("january february march april may june july august september october november "
           "december").split()  # fmt: skip
_SHORT_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?(?=\s+\d)", re.I)
# A name glued to its dotted version is the name and the version: "python3.8" is "Python 3.8".
_GLUED_VERSION = re.compile(r"(?<![\w.])([A-Za-z]{2,})(\d+\.\d+(?:\.\d+)?)(?!\w|\.\d)")


def _short_month(match: re.Match) -> str:
    short = match[1].lower()[:3]
    return next(m for m in _MONTHS if m.startswith(short))


def _time_unit(match: re.Match) -> str:
    name = TIME_UNITS[match[2]]
    return f"{match[1]} {name}{'' if match[1] == '1' else 's'}"


# "5GB" is "5 GB" (not "5e-4", nor "SmolLM2X", "gpt-4o": a number glued to a name is the name's).
_UNIT = re.compile(rf"(?<![\w.\-\ue000])({_NUMBER})(?!e[-+\u2212 ]?\d)(?=[^\W\d_]+\b)")
# A sign is no range's dash ("5%-10%") and may stand before a currency ("-$5" is no "$5").
_SIGN = regex.compile(rf"(?<![\w.%{GLUED}])[-\u2212](?=\p{{Sc}}?\d)")
_PER_CENT = re.compile(r"(?<=\d)\s?%")
_CURRENCY_BEFORE = regex.compile(r"\p{Sc}\s?(?=\d)")  # "$ 5" is "$5"
# A currency named in words is its symbol: "5 dollars", "USD 5" and "5 USD" are "$5".
_CURRENCY_NAMES = {**CURRENCY_WORDS, **CURRENCY_CODES}
_CURRENCY_WORD_AFTER = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s?({'|'.join(_CURRENCY_NAMES)})s?\b")
_CURRENCY_WORD_BEFORE = re.compile(rf"\b({'|'.join(CURRENCY_CODES)})\s?(?=\d)")
_CURRENCY_AFTER = regex.compile(rf"(?<![\w.])({_NUMBER})\s?(\p{{Sc}})")
_LANGUAGE_SUFFIX = re.compile(r"(?<=\w)(\+\+|#)(?![\w+#])")
# A number in scientific notation is its value written out: "5e-4" is 0.0005, neither "5e+4"
# nor "4", and "eps 1e-8" states no "8" ("1e-08" is "1e-8", "1e-4" is "0.0001").
# (Latin letters at its edges make it part of a name, "gpt5e-4"; other scripts' letters do not.)
_SCIENTIFIC = re.compile(
    r"(?<![0-9A-Za-z_.])(\d+(?:\.\d+)?)e([-+\u2212]?)0*(\d+)(?![0-9A-Za-z_])(?!\.\d)"
)


# A magnitude is part of its number's value: "$5 million" is no "$5", "5k rows" no 5, "a 7B
# model" no 7; each is written out ("$5000000"), so "$5M", "$5m" and "$5 million" are one value
# ("7b" as a model size is written; in a name too, between its hyphens or spaces:
# "SmolLM2-135M" is "SmolLM2 135M", "Llama-3-8B" "Llama 3 8B"). A glued lower-case "m" is a
# million only after a currency ("$5m") or in a name ("pythia-70m"; no range's, "5-10m"):
# elsewhere it is metres or minutes as written ("a 50m cable", "up to 50m", "a 5m timeout" are
# "50 m", "5 m"), as a manual means it; a capital "M" is a million ("50M rows"). The
# words after it would tell ("135m parameters"), but a fact is read without them: "135m" alone
# must be read as it is in its answer.
_MAGNITUDE = regex.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s?((?i:thousand|million|billion|trillion))\b|"
    r"((?i:k|b|bn|mn)|M|(?<=(?:\p{Sc}\s?|[A-Za-z]\d*-)\d+(?:\.\d+)?)m)(?!\w))"
)
_TIMES = {"thousand": 3, "k": 3, "million": 6, "mn": 6, "m": 6, "billion": 9, "bn": 9, "b": 9,
          "trillion": 12}  # fmt: skip


def _magnitude(match: regex.Match) -> str:
    number, times = decimal.Decimal(match[1]), _TIMES[(match[2] or match[3]).lower()]
    return format(number.scaleb(times).normalize(), "f")


# "March 5th" is March 5; a time "10:30" one word, as "10.30" is ("at 10:30" states no 10). Only
# an hour and its minutes: "80:20", "16:9" and "3:1" are ratios, two numbers.
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.I)
_TIME = re.compile(r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])")
# "5 percent" is "5%", "16 gigabytes" "16 GB", "6 feet" "6 ft", "180 degrees Celsius" "180 °C"
# (a long unit name its symbol of two letters or more, and a volt its "V": "12 volts" is "12V";
# no "10 s" for "10 seconds": "Python 10's" would state it, nor "5 g" for "5 grams": "5G" would;
# "5 minutes" stays, as TIME_UNITS writes "5 min").
_PER_CENT_WORD = re.compile(r"(?<=\d)\s?(?:per\s?cent|pct)\b")
_UNIT_NAMES = {
    name.casefold(): known.symbols[0].casefold()
    for known in UNITS
    if known.symbols and (len(known.symbols[0]) > 1 or known.kind == "voltage")
    and known.names[:1] != ("minute",)
    for name in known.names
}  # fmt: skip
_UNIT_NAME = re.compile(rf"(?<=\d)\s?({alternation(list(_UNIT_NAMES))})s?\b")
# An accent on a Latin letter ("Zürich", "résumé") is left out, as a model's answer often does;
# other scripts' marks are their letters (Devanagari's vowel signs).
_LATIN_ACCENT = regex.compile(r"(?<=[A-Za-z])\p{Mn}+")


# A number written as a word is that number: "seven days" is "7 days", "The default is
# sixteen." states 16, "sixty-four" is 64 ("one" before a unit only: "the one that works" names
# no 1; "a hundred" and larger are left as written).
_COUNT_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen").split()  # fmt: skip
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_COUNTED = units_of("time", "size", excluded=("s", "h"))  # "one GB", "one hour"; no "one s"
_COUNT = re.compile(
    rf"\b(?:({'|'.join(_TENS_WORDS)})(?:[-\s]({'|'.join(_COUNT_WORDS[:9])}))?"
    rf"|(one)(?=\s+(?:{_COUNTED}|times|steps|epochs|nodes|replicas|retries|attempts|users|"
    r"seats)\b)"
    rf"|({'|'.join(_COUNT_WORDS[1:])}))\b(?!-\d)",
    re.I,
)


def numbers_as_digits(text: str) -> str:
    """`text` with its numbers written as words in digits ("two or three epochs": "2 or 3
    epochs"), as `normalize` reads them."""
    return _COUNT.sub(_count, text)


def _count(match: re.Match) -> str:
    tens, ones, one, small = (g and g.lower() for g in match.groups())
    if tens:
        return str(
            10 * (_TENS_WORDS.index(tens) + 2) + (_COUNT_WORDS.index(ones) + 1 if ones else 0)
        )
    return str(_COUNT_WORDS.index(one or small) + 1)


def glue(text: str) -> str:
    """`text` case-folded ("Straße" is "strasse", "İstanbul" "istanbul"), its numbers whole and
    its signs, per cents, currencies and "++"/"#" glued to their words as private characters."""
    text = numbers_as_digits(text)
    text = _ACRONYM_PLURAL.sub(r"\1", _VERSION_V.sub("", _THOUSANDS_SPACE.sub("", text)))
    text = _GLUED_VERSION.sub(r"\1 \2", _SHORT_MONTH.sub(_short_month, text))
    text = _RANGE_WORDS.sub(lambda m: f"{m[1] or m[2]}-", text)
    text = spread_units(text, names=None)
    text = _TIME_UNIT.sub(_time_unit, _VERSION_ZERO.sub(r"\1", text))
    text = _MAGNITUDE.sub(_magnitude, _DECIMAL_COMMA.sub(_decimal_comma, text))
    text = _TIME.sub(
        lambda m: ".".join(filter(None, m.groups())), _MEASURE.sub(_measure_zeros, text)
    )
    text = _ORDINAL.sub("", text)
    text = unicodedata.normalize("NFKC", _LATIN_ACCENT.sub("", unicodedata.normalize("NFD", text)))
    text = text.casefold().replace("i\u0307", "i")
    text = _UNIT_NAME.sub(lambda m: " " + _UNIT_NAMES[m[1]], _PER_CENT_WORD.sub("%", text))
    text = _SIGN.sub(MINUS, _THOUSANDS.sub("", text))
    text = _CURRENCY_AFTER.sub(lambda m: _currency(m[2]) + m[1], text)
    text = _CURRENCY_WORD_AFTER.sub(lambda m: _CURRENCY_NAMES[m[2]] + m[1], text)
    text = _CURRENCY_WORD_BEFORE.sub(lambda m: _CURRENCY_NAMES[m[1]], text)
    text = _CURRENCY_BEFORE.sub(lambda m: _currency(m[0][0]), text)
    text = _PER_CENT.sub(PERCENT, _UNIT.sub(r"\1 ", text))
    text = _SCIENTIFIC.sub(_scientific, text)
    return _LANGUAGE_SUFFIX.sub(lambda m: _PLUS_PLUS if m[1] == "++" else _SHARP, text)


def _scientific(number: re.Match) -> str:
    """A number in scientific notation written out: "1e-4" is "0.0001", as an answer may say it."""
    mantissa, sign, exponent = number.groups()
    negative = "-" if sign in ("-", "\u2212") else ""
    if int(exponent) > _WRITTEN_OUT:  # no value anyone writes out: kept short (and finite)
        return mantissa + "e" + (MINUS if negative else "") + exponent
    value = decimal.Decimal(f"{mantissa}e{negative}{exponent}")
    return format(value.normalize(), "f")


_WRITTEN_OUT = 30  # the largest exponent a number in scientific notation is written out for


def _currency(symbol: str) -> str:
    return chr(0xF0000 + ord(symbol))


def normalize(text: str) -> str:
    # Punctuation splits words here: "train.lr" must contain the fact "lr", "config.yaml" the
    # fact "config yaml", and a hyphenated "graphics-card" the fact "graphics card". Symbols
    # too, as the ASCII ones ("~0.1") already do: "≈0.1" and "5°C" state "0 1", "5" (a sign, per
    # cent, currency or "++" glued to its word stays on it: "€5" states "5", not "$5"). A
    # decimal stays one word, as in an answer: "2.4" is neither "2-4" nor "2, 4".
    return glued_words(DECIMAL_POINT.sub(NUMBER_JOIN, glue(text)))


def glued_words(glued: str) -> str:
    """`normalize` of a text `glue` made (an answer is glued before its negations are
    marked, and not twice)."""
    text = "".join(" " if unicodedata.category(ch).startswith("S") else ch for ch in glued)
    # Without spaces between words there are no word edges to match at: a character is a word.
    text = spaced(text)
    return _normalize(text, punctuation_splits=True)
