"""How an answer's words are read for fact matching: normalized as phrases are (case folded,
punctuation splitting words, each character a word in scripts written without spaces), numbers
kept whole ("5" is not stated by "0.5", nor "0" by "127.0.0.1"; "1,000" is "1000", "5GB" is
"5 GB") with their sign, per cent or currency, as "++" and "#" stay on "C++" and "C#", and the
words a negation denies marked: in English right after it ("not 8") or a retraction ("Paris?
No, that's wrong"), and a few words on in its clause ("doesn't run on the CPU": not stated there,
yet no denial of the word said elsewhere); in Chinese right before it ("不是北京") or a "not
needed" ending its clause ("GPU不需要。"); in Hindi and Japanese right after it ("नई दिल्ली नहीं",
"東京ではない")."""

from __future__ import annotations

import decimal
import re
import unicodedata
from functools import lru_cache

import regex

from tunelab.data.text import CJK, spaced
from tunelab.evaluate.metrics import normalize as _normalize

# Private-use characters survive `normalize` (neither punctuation, symbol nor space): one joins the
# parts of a number in an answer, the other marks a word a negation applies to.
_NUMBER_JOIN, _NEGATED = "\ue000", "\ue001"
# A word a few words after an English negation ("doesn't run on the CPU"): not stated there, yet
# no denial of the same word stated elsewhere ("The maximum is 2048; do not exceed 2048.").
_NEAR_NEGATION = "\ue100"
_MARKS = f"[{_NEGATED}{_NEAR_NEGATION}]"
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")  # 0.5 is one word, 127.0.0.1 too
# A sign, a per cent, a currency and the "++" or "#" of a language's name are part of the word
# they are glued to: "-8" is not "8", "10%" not "10 GB", "€5" not "$5", "C++" not "C". Each
# becomes a private-use character (a currency symbol its own, at U+F0000 + its code point).
_MINUS, _PERCENT, _PLUS_PLUS, _SHARP = "\ue003", "\ue004", "\ue005", "\ue006"
_CURRENCY = "\U000f0000-\U0010fffd"
_GLUED = "\ue000\ue002-\ue0ff" + _CURRENCY  # what may sit inside or on a word
_NUMBER = r"\d+(?:[.\ue000]\d+)*"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # 1,000 is 1000
# "1 000" with a no-break or thin space (French, ISO) is 1000 too; with a plain space it may be
# two numbers.
_THOUSANDS_SPACE = re.compile(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3}(?!\d))")
# A measure's trailing zeros say nothing: "12.50 W" is 12.5 W, "5.0 GB" 5 GB, "$249.00" $249
# (a version's do: "Python 3.10" is no 3.1, so only before a unit or after a currency).
_MEASURE = regex.compile(
    r"(?<![\w.])(\p{Sc}\s?)?(\d+)\.(\d+)(?!\d|\.\d)(\s?(?:[KMGTP]i?B|[kMG]?Hz|[kMG]?W|[mk]?V|"
    r"m?Ah|k?Wh|[mk]?g|[mck]?m|m?s|%|°[CF]?|[kMGT]?bps)(?!\w))?"
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
# A time's short unit is its name: "2h", "2 hrs" and "2 hours" are one, as "5min" and "5
# minutes" (not a bare "s": "the 30s" are years, "Python 3's" a possessive).
_TIME_UNITS = {"h": "hour", "hr": "hour", "hrs": "hour", "min": "minute", "mins": "minute",
               "sec": "second", "secs": "second"}  # fmt: skip
_TIME_UNIT = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s?({'|'.join(_TIME_UNITS)})\b(?!\.\w)")


# A range said in words is the range: "5 to 10 GB" and "between 5 and 10 GB" are "5-10 GB" (only
# "between" makes "and" a range: "2 and 3 GPUs" may be a list).
_RANGE_WORDS = re.compile(
    r"\bbetween\s+(\d+(?:\.\d+)?)\s+and\s+(?=\d)|(?<![\w.])(\d+(?:\.\d+)?)\s+to\s+(?=\d)", re.I
)
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
    name = _TIME_UNITS[match[2]]
    return f"{match[1]} {name}{'' if match[1] == '1' else 's'}"


# "5GB" is "5 GB" (not "5e-4", nor "SmolLM2X", "gpt-4o": a number glued to a name is the name's).
_UNIT = re.compile(rf"(?<![\w.\-\ue000])({_NUMBER})(?!e[-+\u2212 ]?\d)(?=[^\W\d_]+\b)")
# A sign is no range's dash ("5%-10%") and may stand before a currency ("-$5" is no "$5").
_SIGN = regex.compile(rf"(?<![\w.%{_GLUED}])[-\u2212](?=\p{{Sc}}?\d)")
_PER_CENT = re.compile(r"(?<=\d)\s?%")
_CURRENCY_BEFORE = regex.compile(r"\p{Sc}\s?(?=\d)")  # "$ 5" is "$5"
# A currency named in words is its symbol: "5 dollars", "USD 5" and "5 USD" are "$5".
_CURRENCY_NAMES = {"dollar": "$", "usd": "$", "euro": "€", "eur": "€"}
_CURRENCY_WORD_AFTER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(dollar|usd|euro|eur)s?\b")
_CURRENCY_WORD_BEFORE = re.compile(r"\b(usd|eur)\s?(?=\d)")
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
# ("7b" and "135m" as model sizes are written; a glued "5m" is read as 5 million, not metres;
# in a name too, between its hyphens or spaces: "SmolLM2-135M" is "SmolLM2 135M", "Llama-3-8B"
# "Llama 3 8B").
_MAGNITUDE = regex.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s?((?i:thousand|million|billion|trillion))\b|"
    r"((?i:k|m|b|bn|mn))(?!\w))"
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
# "5 percent" is "5%", "16 gigabytes" "16 GB" (a long unit name its symbol of two letters or
# more; no "10 s" for "10 seconds": "Python 10's" would state it).
_PER_CENT_WORD = re.compile(r"(?<=\d)\s?(?:per\s?cent|pct)\b")
_UNIT_NAMES = {"kilobyte": "kb", "megabyte": "mb", "gigabyte": "gb", "terabyte": "tb",
               "millisecond": "ms", "megahertz": "mhz", "gigahertz": "ghz", "kilogram": "kg",
               "kilometer": "km", "kilometre": "km"}  # fmt: skip
_UNIT_NAME = re.compile(rf"(?<=\d)\s?({'|'.join(_UNIT_NAMES)})s?\b")
# An accent on a Latin letter ("Zürich", "résumé") is left out, as a model's answer often does;
# other scripts' marks are their letters (Devanagari's vowel signs).
_LATIN_ACCENT = regex.compile(r"(?<=[A-Za-z])\p{Mn}+")


# A number written as a word is that number: "seven days" is "7 days", "The default is
# sixteen." states 16, "sixty-four" is 64 ("one" before a unit only: "the one that works" names
# no 1; "a hundred" and larger are left as written).
_COUNT_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen").split()  # fmt: skip
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_COUNT = re.compile(
    rf"\b(?:({'|'.join(_TENS_WORDS)})(?:[-\s]({'|'.join(_COUNT_WORDS[:9])}))?"
    rf"|(one)(?=\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|times|steps|epochs|"
    r"nodes|replicas|retries|attempts|users|seats|[KMGT]i?B|gigabytes?)\b)"
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


def _glued(text: str) -> str:
    """`text` case-folded ("Straße" is "strasse", "İstanbul" "istanbul"), its numbers whole and
    its signs, per cents, currencies and "++"/"#" glued to their words as private characters."""
    text = numbers_as_digits(text)
    text = _ACRONYM_PLURAL.sub(r"\1", _VERSION_V.sub("", _THOUSANDS_SPACE.sub("", text)))
    text = _GLUED_VERSION.sub(r"\1 \2", _SHORT_MONTH.sub(_short_month, text))
    text = _RANGE_WORDS.sub(lambda m: f"{m[1] or m[2]}-", text)
    text = _TIME_UNIT.sub(_time_unit, _VERSION_ZERO.sub(r"\1", text))
    text = _MAGNITUDE.sub(_magnitude, _DECIMAL_COMMA.sub(_decimal_comma, text))
    text = _TIME.sub(
        lambda m: ".".join(filter(None, m.groups())), _MEASURE.sub(_measure_zeros, text)
    )
    text = _ORDINAL.sub("", text)
    text = unicodedata.normalize("NFKC", _LATIN_ACCENT.sub("", unicodedata.normalize("NFD", text)))
    text = text.casefold().replace("i\u0307", "i")
    text = _UNIT_NAME.sub(lambda m: " " + _UNIT_NAMES[m[1]], _PER_CENT_WORD.sub("%", text))
    text = _SIGN.sub(_MINUS, _THOUSANDS.sub("", text))
    text = _CURRENCY_AFTER.sub(lambda m: _currency(m[2]) + m[1], text)
    text = _CURRENCY_WORD_AFTER.sub(lambda m: _CURRENCY_NAMES[m[2]] + m[1], text)
    text = _CURRENCY_WORD_BEFORE.sub(lambda m: _CURRENCY_NAMES[m[1]], text)
    text = _CURRENCY_BEFORE.sub(lambda m: _currency(m[0][0]), text)
    text = _PER_CENT.sub(_PERCENT, _UNIT.sub(r"\1 ", text))
    text = _SCIENTIFIC.sub(_scientific, text)
    return _LANGUAGE_SUFFIX.sub(lambda m: _PLUS_PLUS if m[1] == "++" else _SHARP, text)


def _scientific(number: re.Match) -> str:
    """A number in scientific notation written out: "1e-4" is "0.0001", as an answer may say it."""
    mantissa, sign, exponent = number.groups()
    negative = "-" if sign in ("-", "\u2212") else ""
    if int(exponent) > _WRITTEN_OUT:  # no value anyone writes out: kept short (and finite)
        return mantissa + "e" + (_MINUS if negative else "") + exponent
    value = decimal.Decimal(f"{mantissa}e{negative}{exponent}")
    return format(value.normalize(), "f")


_WRITTEN_OUT = 30  # the largest exponent a number in scientific notation is written out for


def _currency(symbol: str) -> str:
    return chr(0xF0000 + ord(symbol))


# English negates what follows it in its clause, within a few words: "not 8", "no GPU", "doesn't
# run on the CPU", "not the fast GPU", "without a GPU"; so does a contrast or a past value ("16
# rather than 8", "Lyon instead of Paris", "unlike a GPU", "it used to be 8"), and a claim called
# wrong ("some docs wrongly say 16"; not "formatted incorrectly cause errors"), and an exception
# ("every format except Parquet", "all tokens excluding the prompt"; not after a negation in its
# sentence: "nothing except Linux", "it doesn't run on Windows except via WSL" state Linux, WSL).
# A clause ends at punctuation or a word that turns it ("but", "however", "than": "no more than
# 8" states 8), or a limit's verb ("must not exceed 8" states the limit 8).
_NEGATION = re.compile(
    r"\b(?:no\s+longer|rather\s+than|instead\s+of|as\s+opposed\s+to|used\s+to\s+be|formerly|not|no|"
    r"never|cannot|without|neither|nor|none|unable\s+to|lacks|unlike|except(?:\s+for)?|excluding|"
    r"(?:wrongly|mistakenly|incorrectly|falsely|erroneously)\s+(?:say|state|claim|believe|think|"
    r"assume|suggest|report|list)\w*)\b|n['’]t\b",
    re.I,
)
_NEGATED_WORDS = 8  # articles not counted
_DENYING_VERBS = frozenset(
    "support supports run runs work works include includes offer offers provide provides allow "
    "allows contain contains have has need needs require requires".split()
)
_DENIED_WITH_VERB = 3
_SCOPE_BREAKS = frozenset("to when whenever if unless until once so where".split())
_CLAUSE_END = re.compile(
    r"[,;:.?!)\]](?=\s|$)|[(\[\n—–。，；：！？]|\s-\s|\b(?:but|however|yet|although|though|"
    r"whereas|while|instead|rather|than|because|since|which|and|except|besides|beyond|apart|"
    r"aside|other|exceed\w*|surpass\w*|above|below)\b",
    re.I,
)
# A value a text says was so before, no fact of now: "15 seconds (it was 30 seconds before
# version 3.2.0)", "changed from 30 to 15 seconds", "was 30 until 3.2": not proposed from a
# reference (a wrong answer saying the old value was credited with it), not stated by an answer.
_CHANGED = (
    r"\b(?:changed|changes|increased|decreased|raised|lowered|reduced|went|moved|updated|"
    r"bumped|dropped)\s+(?:\w+\s+)?"
)
PAST_VALUE = re.compile(
    r"\(([^()]*\b(?:was|were|previously|formerly|before|until|prior|earlier|older)\b[^()]*)\)"
    rf"|{_CHANGED}from\s+([^,;()]{{1,40}}?)(?:\s+to\b|-(?=\d))"  # "30-15": read as a range
    r"|\b(?:was|were)\s+([^,;()]{1,40}?)\s+(?:before|until|prior|in\s+(?:older|earlier|previous))\b"
    # "raised to 4096 tokens from 2048"
    rf"|{_CHANGED}to\s+[^,;()]{{1,40}}?\s+from\s+([^,;()]{{1,40}}?)"
    r"(?=\s*(?:[,;.!?)]|$)|\s+(?:in|since|as|by)\b)",
    re.IGNORECASE,
)
# A copula's negation denies its subject too: "Windows is not supported", "8 isn't the default",
# "CPU support is unavailable", "16 is wrong", "a GPU is unnecessary", "packing is disabled" or
# "off", "training on a CPU is impossible", "the response is ignored", "the response is masked
# out of the loss" (not "is false": "resume is false by default" states resume)
# (the words before it in its clause: not stated there, as those a few words after a negation).
# Those of `SWITCHED_OFF` put their subject out of use, and a question that asks what is so
# ("Which tokens are masked?", "What is disabled by default?") is answered by it: there, the
# answer's same word states its subject ("Prompt tokens are masked", `asked.asked_off`).
# Each: (as an answer's copula says it, as a question asks it).
SWITCHED_OFF = {
    "disable": (r"disabled", r"disabl\w*"),
    "off": (r"off", r"off"),
    "ignore": (r"ignored", r"ignor\w*"),
    "exclude": (r"excluded", r"exclu\w*"),
    "mask": (r"masked(?:\s+out)?", r"mask\w*"),
    "leave_out": (r"left\s+out", r"(?:leave|leaves|leaving|left)\s+out"),
    "remove": (r"removed", r"remov\w*"),
}
_NEGATED_COPULA = re.compile(
    r"\b(?:is|are|was|were)\s+(?:not|no\s+longer|never|unavailable|unsupported|wrong|incorrect|"
    r"untrue|unnecessary|unneeded|impossible|"
    + "".join(f"(?P<{key}>{said})|" for key, (said, _) in SWITCHED_OFF.items())
    + r"a\s+(?:common\s+)?(?:myth|misconception|mistake))\b"
    r"|\b(?:isn|aren|wasn|weren)['’]t\b",
    re.I,
)
_WORD = regex.compile(rf"[\p{{L}}\p{{N}}\p{{M}}{_GLUED}]+")
_ARTICLE = frozenset({"a", "an", "the"})
# No negation: "not only X (but also Y)", "not X only", "no doubt", "no matter", nor the "No" that
# answers before a new sentence ("No it runs on the CPU").
# "No" that is no verdict either ("No worries, it runs."): derive_facts reads answers' "No" by it.
NO_IDIOMS = frozenset("doubt problem worries wonder question matter".split())
_NOT_NEGATING_FIRST = frozenset("just merely simply".split()) | NO_IDIOMS
_NOT_NEGATING = frozenset({"only", "alone", "solely"})
_ANSWERING_NO = frozenset("it it's you i we they this that there he she".split())
# "…, no, that's wrong" takes back what its sentence (or, alone, the one before) said.
_RETRACTION = re.compile(
    r"\b(?:that|this|it)(?:['’]s|\s+is|\s+was)\s+(?:wrong|incorrect|false|not\s+(?:right|correct|"
    r"true))\b(?=\s*(?:[,;:.?!)]|—|--|[-–]\s|$))"  # ending its clause ("it is not true that..."
    # looks ahead), a dash too: "that's wrong - it is Lyon", "wrong—it is Lyon"
    r"|\b(?:wait|actually|sorry|oh|hmm)\s*[,.]?\s*no\b(?=\s*[,;:.!—-])"  # "32. Wait, no, 16."
    r"|(?<=\?)\s*no\b(?=\s*[,;:.!—–-])",  # "16? No, it defaults to 32."
    re.I,
)
_HEDGE = re.compile(r"\b(?:maybe|perhaps|possibly)\b", re.I)
# What some others say is reported, no claim of the answer's own: "16, although some guides
# say 32", "while some tutorials recommend 32", "others suggest 32", "although the docs say 32"
# (after a concession, any source; without one, some others only: "The docs say the default
# is 32" and "as the docs say" cite the answer's own claim; "Although the default is 32" names no
# one). What the report says, up to its clause's end, is neither stated nor denied.
_SOURCES = (
    r"(?:people|folks|users?|developers?|experts?|authors?|guides?|docs?|documentation|"
    r"tutorials?|sources?|(?:blog\s+)?posts?|blogs?|articles?|answers?|references?|websites?|"
    r"sites?|forums?|threads?|papers?)"
)
# A verb of saying, with up to two auxiliaries or adverbs before it: a plural's ("say", "said")
# for "some say", a source's in any form ("some guide says", "some docs use 32", "list").
_BEFORE_SAYING = (
    r"\s+(?:(?:still|often|also|sometimes|may|might|will|would|can|could|do|did|have|has|had|"
    r"\w+ly)\s+){0,2}"
)
_SAY = (
    r"(?:say|said|claim(?:ed)?|suggest(?:ed)?|recommend(?:ed)?|mention(?:ed)?|advised?|write|"
    r"wrote|written|think|thought|believed?|prefer(?:red)?|insist(?:ed)?|argued?|proposed?)"
)
_SAYS = (
    r"(?:says|claims|suggests|recommends|mentions|advises|writes|thinks|believes|prefers|"
    r"insists|argues|proposes|states?|stated|lists?|listed|reports?|reported|use[sd]?)"
)
_REPORTED = re.compile(
    r"\b(?:(?:(?:although|though|while|whereas)\s+(?:(?:some|many|most|several|other|certain|"
    rf"a\s+few|older|outdated|the)\s+)?{_SOURCES}"
    rf"|(?:some|other|certain|a\s+few|older|outdated)\s+{_SOURCES}){_BEFORE_SAYING}"
    rf"(?:{_SAY}|{_SAYS})"
    # "some say", "others suggest": no noun after "some" ("some use cases", "some lists")
    rf"|(?:some|others){_BEFORE_SAYING}{_SAY})\b",
    re.I,
)
# A report's clause ends at punctuation or a turn, not at "and" or "than" as a negation's
# does: "some guides say 16 and 32", "some say more than 32" report both.
_REPORT_END = re.compile(
    r"[,;:.?!)\]](?=\s|$)|[(\[\n—–。，；：！？]|\s-\s|\b(?:but|however|yet|whereas|while|"
    r"although|though|instead)\b",
    re.I,
)
_SAID_AFTER = re.compile(r"\s*:?")
_SENTENCE_END = re.compile(r"[.?!。！？](?=\s|$)|\n")
_INTERJECTIONS = frozenset("no sorry wait actually oh well hmm".split())
# Chinese puts its "not" right before what it negates: "不是北京" (is not Beijing), "没有GPU" or
# "没有 GPU" (has no GPU), "不需要GPU" (needs no GPU), "不支持" (does not support). Only the word
# right after it is negated ("不在北京", not in Beijing, negates "在").
_NEGATION_UNSPACED = re.compile(
    r"(?:不需要|不是|并非|並非|没有|沒有|不需|不用|不必|不|没|沒|无|無)\s?[\"'“‘`*_「『《【]*"
    rf"(?=[\w{_MINUS}{_CURRENCY}])"
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
    # too, as the ASCII ones ("~0.1") already do: "≈0.1" and "5°C" state "0 1", "5" (a sign, per
    # cent, currency or "++" glued to its word stays on it: "€5" states "5", not "$5"). A
    # decimal stays one word, as in an answer: "2.4" is neither "2-4" nor "2, 4".
    return _words(_DECIMAL_POINT.sub(_NUMBER_JOIN, _glued(text)))


def _words(glued: str) -> str:
    """`normalize` of a text already `_glued` (an answer is glued before its negations are
    marked, and not twice)."""
    text = "".join(" " if unicodedata.category(ch).startswith("S") else ch for ch in glued)
    # Without spaces between words there are no word edges to match at: a character is a word.
    text = spaced(text)
    return _normalize(text, punctuation_splits=True)


def states_words(
    answer: str, phrase: str, negations: bool = True, asked: frozenset[str] = frozenset()
) -> bool:
    """Whether `answer` states the `normalize`d `phrase`: says it somewhere, and denies it nowhere
    right after a negation or by a retraction ("It is Paris. Actually it is not Paris."). With
    `negations` off (a question that asks what is not: "Which OS is not supported?" is answered
    "Windows is not supported"), only a retraction takes a phrase back. `asked`: the words
    of `SWITCHED_OFF` the question asks about (`asked.asked_off`), which deny no subject."""
    said, denied = _said_and_denied(answer, phrase, negations, asked)
    return said and not denied


def denies_words(
    answer: str, phrase: str, negations: bool = True, asked: frozenset[str] = frozenset()
) -> bool:
    """Whether `answer` denies the `normalize`d `phrase` somewhere (`states_words`' reading)."""
    return bool(phrase.strip()) and _said_and_denied(answer, phrase, negations, asked)[1]


def _said_and_denied(
    answer: str, phrase: str, negations: bool, asked: frozenset[str] = frozenset()
) -> tuple[bool, bool]:
    said = denied = False
    for match in _words_pattern(phrase).finditer(_answer_words(answer, negations, asked)):
        before, after, negated_after = match.groups()
        if before == _NEGATED or (negations and (after or negated_after)):
            denied = True
        elif not before:
            said = True
    return said, denied


@lru_cache(maxsize=4096)
def _answer_words(answer: str, negations: bool = True, asked: frozenset[str] = frozenset()) -> str:
    """The answer normalized as phrases are, its numbers kept whole and its negated words marked
    (with `negations` off, the words a retraction takes back only)."""
    text = _DECIMAL_POINT.sub(_NUMBER_JOIN, _glued(answer))
    if negations:
        text = _NOT_NEEDED_AFTER.sub(lambda m: _NOT_AFTER_MARK + " " + m.group().lstrip(), text)
    right_after, near = _negated_english(text, negations, asked)
    text = _mark(
        text, {**dict.fromkeys(near, _NEAR_NEGATION), **dict.fromkeys(right_after, _NEGATED)}
    )
    if negations:
        text = _NEGATION_UNSPACED.sub(lambda m: m.group() + ("" if _a_not_a(m) else _NEGATED), text)
    return _MARK_SPACED.sub(_NEGATED, _words(text))


def negates(clause: str, asked: frozenset[str] = frozenset()) -> bool:
    """Whether a clause holds a negation, or a negated copula ("is not", "is disabled"; not one
    of the `SWITCHED_OFF` words `asked`, which a question asks about)."""
    return bool(_NEGATION.search(clause)) or any(
        not any(copula.group(key) for key in asked) for copula in _NEGATED_COPULA.finditer(clause)
    )


def _mark(text: str, marks: dict[int, str]) -> str:
    """`text` with each mark put before the word that starts where `marks` says."""
    pieces, last = [], 0
    for start in sorted(marks):
        pieces += [text[last:start], marks[start]]
        last = start
    return "".join(pieces) + text[last:]


def _negated_english(
    text: str, read_negations: bool = True, asked: frozenset[str] = frozenset()
) -> tuple[set[int], set[int]]:
    """Where the words start that an English negation denies right after it ("not Paris", "not
    the 8") or that a retraction takes back, and those a few words after a negation (with
    `read_negations` off, a retraction's only)."""
    starts: set[int] = set()
    near: set[int] = set()
    negations = list(_NEGATION.finditer(text)) if read_negations else []
    reach = {n.start(): _reach_end(text, n) for n in negations}
    for negation in negations:
        # "won't work without a GPU" states the GPU: a "without" in a negation's reach turns it
        # back, and ends that reach.
        withouts = [n.start() for n in negations if n.group() == "without"
                    and negation.end() <= n.start() < reach[negation.start()]]  # fmt: skip
        stop = min(withouts, default=reach[negation.start()])
        if negation.group() == "without" and any(
            n.end() <= negation.start() < reach[n.start()] for n in negations if n != negation
        ):
            continue
        if negation.group().lower().startswith(("except", "excluding")) and _NEGATIVE_BEFORE.search(
            text, _sentence_start(text, negation.start()), negation.start()
        ):
            continue  # "nothing except Linux", "doesn't run on Windows except via WSL"
        scope = _WORD.finditer(text, negation.end(), stop)
        words = [w for w in scope if w.group() not in _ARTICLE][:_NEGATED_WORDS]
        # A purpose or a condition after what is denied is a clause of its own: "don't need a
        # GPU to train on a CPU" states the CPU ("no way to run it on a CPU" does not).
        breaks = [i for i, w in enumerate(words) if i >= 2 and w.group().lower() in _SCOPE_BREAKS]
        words = words[: min(breaks, default=len(words))]
        said = [w.group() for w in words]
        if not said or said[0] in _NOT_NEGATING_FIRST or _NOT_NEGATING.intersection(said):
            continue
        if negation.group() == "no" and said[0] in _ANSWERING_NO:
            continue
        starts.add(words[0].start())
        # "does not support the CPU", "doesn't run on a GPU": what a denied verb of having or
        # working takes, within a few words, is denied with it (stated elsewhere, it is taken back).
        taken = 1 + _DENIED_WITH_VERB if said[0].lower() in _DENYING_VERBS else 1
        starts.update(w.start() for w in words[1:taken])
        near.update(w.start() for w in words[taken:])
    for copula in _NEGATED_COPULA.finditer(text) if read_negations else ():
        if any(copula.group(key) for key in asked):
            continue  # "Which tokens are masked? Prompt tokens are masked."
        following = _WORD.findall(text, copula.end(), _reach_end(text, copula))
        if following[:1] and following[0] in _NOT_NEGATING_FIRST | _NOT_NEGATING:
            continue  # "Paris is not only the capital..."
        begins = [m.end() for m in _CLAUSE_END.finditer(text, 0, copula.start())]
        words = _WORD.finditer(text, max(begins, default=0), copula.start())
        near.update(w.start() for w in [w for w in words if w.group() not in _ARTICLE][-4:])
    for hedge in _HEDGE.finditer(text):  # "maybe 32?": a guess, no statement
        guessed = _WORD.finditer(text, hedge.end(), _reach_end(text, hedge))
        near.update(w.start() for w in [w for w in guessed if w.group() not in _ARTICLE][:2])
    for report in _REPORTED.finditer(text):  # "although some guides say 32"
        start = _SAID_AFTER.match(text, report.end()).end()  # "some say: 32"
        end = _REPORT_END.search(text, start)
        reported = _WORD.finditer(text, start, end.start() if end else len(text))
        near.update(w.start() for w in reported)
    for past in PAST_VALUE.finditer(text):  # "was 32 in older versions", "changed from 30"
        group = next(i for i in range(1, 5) if past.group(i))
        near.update(w.start() for w in _WORD.finditer(text, past.start(group), past.end(group)))
    for retraction in _RETRACTION.finditer(text):
        ends = [0] + [m.end() for m in _SENTENCE_END.finditer(text, 0, retraction.start())]
        begin = ends[-1]
        if all(w in _INTERJECTIONS for w in _WORD.findall(text, begin, retraction.start())):
            begin = ends[-2] if len(ends) > 1 else 0
        starts.update(
            w.start() for w in _WORD.finditer(text, begin, retraction.start())
            if w.group() not in _ARTICLE and w.group() not in _INTERJECTIONS
        )  # fmt: skip
    return starts, near - starts


_NEGATIVE_BEFORE = re.compile(
    r"\b(?:no|not|none|nothing|nobody|nowhere|never|neither|nor|cannot|without)\b|n['’]t\b", re.I
)


def _sentence_start(text: str, at: int) -> int:
    return max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)


def _reach_end(text: str, negation: re.Match) -> int:
    """Where a negation's clause ends."""
    end = _CLAUSE_END.search(text, negation.end())
    return end.start() if end else len(text)


def _a_not_a(match: re.Match) -> bool:
    """Chinese asks or allows both ways with a verb, "not", the verb again: "用不用GPU都行" (with
    or without a GPU), "需不需要" (needed or not), "有没有": no negation."""
    text, start = match.string, match.start()
    return start > 0 and text[start - 1] == text[start + 1 : start + 2]


@lru_cache(maxsize=4096)
def _words_pattern(phrase: str) -> re.Pattern:
    """A normalized phrase as whole words, not inside a number; within it a number's parts join
    ("0 0002" is "0.0002") and a negation may come first. Its groups say what denies it: a
    negation's mark on its first word, or one after it in Chinese, Hindi or Japanese."""
    inside = f"(?: {_MARKS}?|{_NUMBER_JOIN})"
    parts = phrase.split(" ")
    words = _word_pattern(parts[0])
    for before, word in zip(parts, parts[1:]):
        # A name and its number are written together too: "GPT 4" (of "GPT-4") is "gpt4",
        # "Llama 2" "llama2".
        glued = before[-1:].isalpha() and before.isascii() and word.isdigit()
        words += (f"(?:{inside}|)" if glued else inside) + _word_pattern(word)
    return re.compile(
        rf"(?:^| )({_MARKS}?){words}({_NOT_AFTER_MARK}?)(?= |$)(?:(?={_NEGATED_AFTER})|)"
    )


def _word_pattern(word: str) -> str:
    """A number may have a currency before it and a per cent after it that the phrase leaves
    out ("5" is stated by "$5" and "5%"); a sign it may not ("8" is not "-8")."""
    pattern = re.escape(word)
    if word[:1].isdigit():
        pattern = f"[{_CURRENCY}]?" + pattern
    if word[-1:].isdigit():
        pattern += f"{_PERCENT}?"
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
