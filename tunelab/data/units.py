"""The units a number may carry, once: each unit's spellings and its kind. Every reader derives
what it needs from here: the scorer's spellings ("8 h" is "8 hours", "6 feet" "6 ft", "180
degrees Celsius" "180 °C": `tunelab.evaluate.facts.normalize_numbers`), the units of a
value `tunelab data facts` proposes (`tunelab.evaluate.facts.amounts`, `value_forms`),
and what a template question asks a measure by ("How far ...?", "At what temperature ...?",
`tunelab.data.generate.template.word_classes`)."""

from __future__ import annotations

import re
from typing import NamedTuple


class Unit(NamedTuple):
    """A unit: what it measures, its symbols as written after a number ("km"), and its names
    as written out ("kilometre"; a regular plural adds an "s", an irregular one is listed)."""

    kind: str
    symbols: tuple[str, ...]
    names: tuple[str, ...] = ()


def _metric(kind: str, symbol: str, name: str, prefixes: str) -> list[Unit]:
    """A unit and its prefixed multiples: "V" "volt" with "mk" is V, mV and kV."""
    words = dict(zip("kMGTmµn", ("kilo", "mega", "giga", "tera", "milli", "micro", "nano")))
    units = [Unit(kind, (symbol,), (name,) if name else ())]
    for p in prefixes:
        units.append(Unit(kind, (p + symbol,), (words[p] + name,) if name else ()))
    return units


def _scale(name: str, letter: str) -> tuple[str, ...]:
    """A temperature scale's names: "Celsius", "degree Celsius", "degrees C"..."""
    return name, f"degree {name}", f"degrees {name}", f"degree {letter}", f"degrees {letter}"


UNITS: list[Unit] = [
    Unit("size", ("KB", "kB"), ("kilobyte",)),
    Unit("size", ("MB",), ("megabyte",)),
    Unit("size", ("GB",), ("gigabyte",)),
    Unit("size", ("TB",), ("terabyte",)),
    Unit("size", ("PB",)),
    *(Unit("size", (p + "iB",)) for p in "KMGTP"),  # a power of 1024: "16 GiB" is no "16 GB"
    Unit("size", (), ("byte",)),  # no "B": "a 7B model" counts parameters
    Unit("size", (), ("bit",)),
    *_metric("data rate", "bps", "", "kMGT"),
    *_metric("data rate", "bit/s", "", "kMGT"),
    *_metric("frequency", "Hz", "hertz", "kMG"),
    *_metric("power", "W", "", "kMG"),
    *_metric("energy", "Wh", "", "k"),
    *_metric("charge", "Ah", "", "m"),
    *_metric("voltage", "V", "volt", "mk"),
    Unit("current", ("A",), ("amp", "ampere")),
    Unit("current", ("mA",), ("milliamp", "milliampere")),
    # A scale's names, with "degrees" before them ("180 degrees Celsius", "180 degrees C").
    Unit("temperature", ("°C",), _scale("Celsius", "C") + ("centigrade",)),
    Unit("temperature", ("°F",), _scale("Fahrenheit", "F")),
    Unit("temperature", (), ("degree",)),  # "180 degrees": an angle's too
    Unit("angle", ("°",)),  # a bare degree sign: "rotate 90°", or a temperature
    Unit("time", ("h", "hr", "hrs"), ("hour",)),
    Unit("time", ("min", "mins"), ("minute",)),
    Unit("time", ("s", "sec", "secs"), ("second",)),
    *_metric("time", "s", "second", "mµn")[1:],
    Unit("time", ("d",), ("day",)),  # "30d"
    *(Unit("time", (), (name,)) for name in ("week", "month", "year")),
    Unit("distance", ("m",), ("metre", "meter")),
    Unit("distance", ("mm",), ("millimetre", "millimeter")),
    Unit("distance", ("cm",), ("centimetre", "centimeter")),
    Unit("distance", ("km",), ("kilometre", "kilometer")),
    Unit("distance", ("ft",), ("foot", "feet")),
    Unit("distance", (), ("inch", "inches")),
    Unit("distance", (), ("mile",)),
    Unit("distance", (), ("yard",)),
    *_metric("mass", "g", "gram", "mk"),
    Unit("mass", ("lb", "lbs"), ("pound",)),
    Unit("mass", ("oz",), ("ounce",)),
    Unit("volume", ("l", "L"), ("litre", "liter")),
    Unit("volume", ("ml", "mL"), ("millilitre", "milliliter")),
    *(Unit("speed", (symbol,)) for symbol in ("mph", "km/h", "m/s")),
    Unit("rotation", ("rpm",)),
    Unit("frame rate", ("fps",)),
    Unit("resolution", ("dpi",)),
    # "8 bar" (a manual's water pressure: "8" alone was proposed, and "8 psi" would state it)
    *(Unit("pressure", (symbol,)) for symbol in ("bar", "mbar", "psi", "kPa", "MPa")),
    Unit("concentration", ("ppm",)),
    Unit("pixels", ("px",)),
    Unit("image size", ("MP",), ("megapixel",)),  # a camera's: "48" alone was proposed
    Unit("noise level", ("dB",), ("decibel",)),
    Unit("noise level", ("dBA",)),  # A-weighted
    *(Unit("signal level", (symbol,)) for symbol in ("dBm", "dBi")),
    Unit("share", (), ("percent",)),
    *(Unit("magnitude", (), (name,)) for name in ("thousand", "million", "billion", "trillion")),
]


def unit(name: str) -> Unit:
    """The unit of that name ("hour": h, hr, hrs)."""
    return next(u for u in UNITS if name in u.names)


# Names that take no "s" after a number: a count's ("5 million", "10 percent"), "centigrade",
# and one whose plural is listed beside it ("foot": "feet", "inch": "inches"). Nor does a scale's
# ("180 degrees Celsius"), nor one that ends in "s" or "z" ("hertz").
_NO_PLURAL = frozenset(
    "percent thousand million billion trillion centigrade foot feet inch".split()
)


def forms(known: Unit) -> tuple[str, ...]:
    """Every way `known` is written after a number: its names, each with its plural, and its
    symbols ("kilometre", "kilometres", "kilometer", "kilometers", "km")."""
    names = [
        (name, name + "s") if name.isalpha() and name.islower() and name[-1] not in "sz"
        and name not in _NO_PLURAL else (name,)
        for name in known.names
    ]  # fmt: skip
    return (*(form for said in names for form in said), *known.symbols)


def spellings(*kinds: str, symbols: bool = True, names: bool = True) -> list[str]:
    """The spellings of the units of `kinds` (of every kind where none is named)."""
    units = [u for u in UNITS if not kinds or u.kind in kinds]
    return [s for u in units for s in (u.symbols if symbols else ()) + (u.names if names else ())]


def alternation(words: list[str]) -> str:
    """A regular expression's alternatives for `words`, the longest first (so "mm" is tried
    before "m" where nothing after them ends the word)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def units_of(*kinds: str, excluded: tuple[str, ...] = ()) -> str:
    """The units of `kinds` as one alternation: a symbol, or a name with its plural "s"
    ("km", "kilometre", "kilometres"); none of the spellings `excluded`."""
    symbols = [s for s in spellings(*kinds, names=False) if s not in excluded]
    names = alternation([n for n in spellings(*kinds, symbols=False) if n not in excluded])
    return f"{alternation(symbols)}|(?:{names})s?" if names else alternation(symbols)


class Currency(NamedTuple):
    """A currency: its ISO code ("USD"), its symbol as tunelab's templates read it ("$"), and its
    name written out after a number ("dollar"; a regular plural adds an "s")."""

    code: str
    symbol: str = ""
    name: str = ""


# The currencies a number may carry. A symbol is any currency sign to the scorer (\p{Sc}); those
# listed here are the ones a template question reads as a price. "¥" is two currencies' sign.
CURRENCIES: list[Currency] = [
    Currency("USD", "$", "dollar"),
    Currency("EUR", "€", "euro"),
    Currency("GBP", "£", "pound"),
    *(Currency(code) for code in ("JPY", "CNY", "INR", "CHF", "CAD", "AUD")),
]
# A hundredth of a dollar or a euro: a price ("costs 50 cents"), but no symbol of its own.
CURRENCY_PARTS = ("cent",)
# A currency's name that names no unit too, and the symbol it is read as ("89 euros" is "€89"):
# "5 pounds" may be a weight (UNITS' "pound"), so it is not read as "£5".
CURRENCY_WORDS = {
    c.name: c.symbol for c in CURRENCIES if c.name and c.name not in spellings(symbols=False)
}
# Those currencies' codes, as said before or after a number ("USD 5", "5 EUR": "$5", "€5").
CURRENCY_CODES = {c.code.lower(): c.symbol for c in CURRENCIES if c.name in CURRENCY_WORDS}
