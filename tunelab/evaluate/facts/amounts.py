"""A number as a specific term (tunelab.evaluate.facts.specific_terms) and as the scorer reads it
(normalize_numbers, value_forms): whole, with its sign, currency, per cent, unit and period; a
time of day, a range and a number joined to its noun, each one fact. AMOUNTS is what "how long",
"how many" or "how often" asks."""

from __future__ import annotations

import re

import regex

from tunelab.data.units import CURRENCIES, CURRENCY_WORDS, units_of

# A number's unit written after a space ("16 GB", "0.5 s", "100 °C", "10 days": not "10
# seconds"; "50 m" and "8 h" too, "50" and "8" were proposed, and "8 min" is "8 minutes" to the
# scorer); one glued to it ("5GB") is any run of letters, as the scorer reads "5GB" as "5 GB".
# Other words after a number are no part of its value ("100 steps" states 100). Not "A" (the
# scorer drops it as the article, and "8 A.M.", "2 A) ... B)" name no amps), so not "2 amps"
# either ("2" is stated by "2 A"); not "degrees" without a scale ("90 degrees" is stated by
# "90°"; "180 degrees Celsius" is one value, as the scorer reads "180 °C").
_NOT_A_VALUE_UNIT = ("A", "amp", "ampere", "degree")
SPACED_UNIT = rf"(?:{units_of(excluded=_NOT_A_VALUE_UNIT)})(?:/[A-Za-z]+)?(?![\w/])"  # "5 GB/s"
# A number is read as the scorer reads it (tunelab.evaluate.facts.normalize_numbers): whole,
# with its sign, currency, per cent and unit, as "-8" is not "+5", "$20" not "€20" and "5GB" not
# "50GB".
# A rate's period is part of its value: "$20 per month" is not "$20 per year".
PERIOD = r"(?:second|minute|hour|day|week|month|year|user|seat)"
# A currency written out after its number (tunelab.data.units' CURRENCY_WORDS, read as its
# symbol: "89 euros" is "€89"): a fact proposed as "89 euros", not "89", which "89 dollars" would
# state.
_NUMBER = (
    # (Whole: "2.8b-deduped" gave "2", a number's part, where its value ends in no unit; nor
    # a fraction's or date's last number: "3/4 inch" gave "4 inch" beside "3/4".)
    r"(?<![\w.-])(?<!\d/)(?:[-+\u2212]|\p{Sc}\s?)?\d+(?:[.,]\d+)*(?![.,]\d)(?:[eE][-+\u2212]?\d+)?"
    rf"(?:\s?%|\s?\p{{Sc}}|\s(?:{'|'.join(c.code for c in CURRENCIES)}|"
    rf"(?i:{'|'.join(word + 's?' for word in CURRENCY_WORDS)}))\b|"
    r"[^\W\d_]+(?![\w-])|"
    rf"\s{SPACED_UNIT})?(?:(?:\s?/\s?|\s+per\s+|\s+an?\s+){PERIOD}\b)?(?![\w]|-(?!\d))"
)
AMOUNT = regex.compile(_NUMBER)
# A time of day or a ratio ("10:30 PM", "16:9").
CLOCK = re.compile(r"(?<![\w.:-])\d+(?::\d+)+(?:\s?(?:[AaPp]M|[ap]m|[ap]\.m\.))?(?![\w:])")
# A range of shares or measures ("5%-10%", "5-10 GB"), in words too as the scorer reads it
# ("2 to 8 inches per second", "between 5 and 10 GB": "2" alone was proposed): one fact, not its
# two ends.
RANGE = regex.compile(
    rf"(?<![\w.-])(?:(?i:between)\s+(?=\S+\s+and\s))?\d+(?:\.\d+)?%?"
    rf"(?:\s?[-–]\s?|\s+(?:to|through)\s+|(?<=(?i:between)\s+\S+)\s+and\s+)\d+(?:\.\d+)?"
    rf"(?:%|\s{SPACED_UNIT}(?:(?:\s?/\s?|\s+per\s+){PERIOD}\b)?)"
)
# A number joined by a hyphen to its unit or noun ("a 3-year warranty", "a 24-hour cycle", "a
# 2-pin plug", "1,024-token"), its own unit glued to it too ("a 7B-parameter model": nothing
# was proposed): one value ("year" and "limited" were the facts of "a 3-year limited
# warranty"). Not an ordinal's ("3rd-party", "4th-generation" count nothing).
JOINED = re.compile(
    r"(?<![\w.,-])\d+(?:[.,]\d+)*(?!(?:st|nd|rd|th)-)[A-Za-z]*(?:-[A-Za-z]+)+(?![\w-])"
)
# What "how long", "how many" or "how often" asks: a number with its unit, a range, a time.
AMOUNTS = [AMOUNT, RANGE, CLOCK, JOINED]
