"""A value's other spellings, each an alternative of its fact (tunelab.evaluate.facts.propose):
"10 days" is said "10 day", "3-year" "3 years", "16 GB" "16 gigabytes", "3" "three", "$20 per
month" "$20/month", "14 March 2026" "2026-03-14", "Pelican 2.1" "version 2.1 of Pelican", and
"5e-4 (0.0005)" is one value written two ways; and, for the scorer
(`tunelab.evaluate.facts.stated`), a name with its version said the long way: "Apache License,
Version 2.0" is "Apache 2.0", "GNU General Public License, version 3" and "GPLv3" are "GPL 3",
"Claude Opus 3" is "Claude 3 Opus"."""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from tunelab.data.text import FUNCTION_WORDS
from tunelab.data.units import UNITS, alternation, forms, units_of
from tunelab.evaluate.facts.amounts import JOINED, PERIOD, SPACED_UNIT
from tunelab.evaluate.facts.model_names import VARIANT_OR_TIER
from tunelab.evaluate.facts.normalize_numbers import normalize

# A value's unit in its other forms (`units.forms`), each an alternative of the fact: "10 days" is
# said "10 day" ("10-day") too, "2 GB" "2 gigabytes" ("16GB" is read "16 GB"), "12 V" "12 volts",
# "180 °C" "180 degrees Celsius"; "30s" is "30 seconds". No one-letter form is given to a fact:
# "3 s" would be stated by "Python 3's", "10 d" by "10 D-cells".
_FORMS_OF = {form: unit_forms for unit_forms in map(forms, UNITS) for form in unit_forms}
_VALUE_AND_UNIT = re.compile(rf"^(\S*\d)\s?({alternation(list(_FORMS_OF))})$")


# A small count is often written as a word: "16" as "sixteen", "4 propellers" as "four
# propellers" (the demo's hand-written facts give "3" and "three").
_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_TENS = dict(
    zip(range(20, 100, 10), "twenty thirty forty fifty sixty seventy eighty ninety".split())
)
_COUNT = re.compile(r"^(\d{1,2})((?: [^\W\d_]+)?)$")


def _number_words(value: str) -> list[str]:
    """The value with its number as a word ("32" -> "thirty-two" and "thirty two"), for whole
    numbers under 100 alone or before a word that is no unit; none for other values."""
    match = _COUNT.match(value)
    if not match or regex.fullmatch(SPACED_UNIT, match[2].strip()):  # "16 GB" is written so
        return []
    number, rest = int(match[1]), match[2]
    if number < len(_SMALL):
        words = [_SMALL[number]]
    else:
        tens, ones = _TENS[number - number % 10], _SMALL[number % 10]
        words = [tens] if number % 10 == 0 else [f"{tens}-{ones}", f"{tens} {ones}"]
    return [w + rest for w in words]


# The amount may end in a word ("89 euros per year" is "89 euros a year" too).
_RATE = re.compile(rf"^(.*\d\S*(?: [^\W\d_]+)?)(?:\s?/\s?|\s+per\s+|\s+an?\s+)({PERIOD})$")


def _rate_forms(value: str) -> list[str]:
    """A rate's other spellings: "$20 per month" is said "$20/month" and "$20 a month" too."""
    match = _RATE.match(value)
    if not match:
        return []
    amount, period = match[1], match[2]
    article = "an" if period == "hour" else "a"
    forms = [f"{amount} per {period}", f"{amount}/{period}", f"{amount} {article} {period}"]
    return [form for form in forms if form != value]


def _unit_forms(value: str) -> list[str]:
    """The other forms of a value's unit ("10 days": "10 day"; "30s": "30 seconds"), none of one
    letter, none for other terms; none for a glued "m": "50m" is metres or minutes to the
    scorer (`normalize_numbers.glue`), and may be millions ("135m parameters")."""
    match = _VALUE_AND_UNIT.match(value)
    if match and match[2] == "m" and " " not in value:
        return []
    forms = _FORMS_OF.get(match[2]) if match else None
    return [f"{match[1]} {f}" for f in forms if f != match[2] and len(f) > 1] if forms else []


# A temperature on its scale ("180 °C", "180 degrees Celsius") is said by its degrees alone too,
# as "How many degrees ...?" is answered ("180 degrees"); never on the other scale, which the
# scorer reads as "180 °F".
_ON_A_SCALE = re.compile(rf"^(\S*\d)\s?(?:{units_of('temperature', excluded=('degree',))})$")


def _scale_forms(value: str) -> list[str]:
    """A temperature with its scale said in degrees alone: "180 °C" is "180 degrees" too."""
    match = _ON_A_SCALE.match(value)
    return [f"{match[1]} degrees"] if match else []


def _joined_forms(value: str) -> list[str]:
    """A number joined to its unit or noun ("3-year", "2-pin") said in the plural too: "3
    years", "2 pins" ("3 year" the scorer reads as "3-year" itself); one with its own unit
    glued to it ("7B-parameter") said by that value alone too, "7B"; none for other terms, nor
    a plural for one ("1-year" is "1 year") or for a noun whose plural is not its regular one."""
    match = JOINED.fullmatch(value) and re.fullmatch(r"([\d.,]+)([A-Za-z]*)-([A-Za-z]+)", value)
    if not match or match[1] + match[2] == "1":
        return []
    number, glued, noun = match[1] + match[2], match[2], match[3]
    if noun in _FORMS_OF and not glued:  # a unit's own forms: "24-hour" is "24 hours", not "24 h"
        return _unit_forms(f"{number} {noun}")
    plural = plural_noun(noun)
    return [f"{number} {plural}"] * bool(plural) + [number] * bool(glued)


# Nouns whose plural is no regular one, or no plural at all: left alone, not guessed ("2
# mans", "3 seriess"). Endings too: "-man" ("chairmen", "humans"), "-f"/"-fe" ("shelves",
# "roofs"). A version's tag counts nothing ("1.2-beta" was said "1.2 betas").
_IRREGULAR = frozenset(
    """man woman child person tooth goose mouse louse ox die penny dice criterion phenomenon
    automaton datum medium curriculum bacterium stratum spectrum maximum minimum optimum
    quantum corpus genus radius stimulus nucleus fungus cactus alumnus focus locus syllabus
    octopus matrix vertex vortex index appendix helix apex quiz hertz series species means
    news sheep fish deer moose bison salmon trout swine aircraft spacecraft offspring data
    information equipment software hardware feedback research staff advice knowledge
    evidence progress traffic music alpha beta rc dev preview snapshot lts""".split()
)
# "-ch" said as "k" takes "-s": "epochs", not "epoches".
_HARD_CH = frozenset(
    "epoch stomach monarch patriarch matriarch oligarch tech loch eunuch czech mach psych".split()
)
# Consonant + "o" nouns that take "-es" (others take "-s": "photos", "demos", "repos").
_O_ES = frozenset("potato tomato hero echo veto torpedo embargo mosquito".split())


def plural_noun(noun: str) -> str | None:
    """`noun`'s regular English plural ("coach": "coaches", "library": "libraries", "box":
    "boxes", "pin": "pins"), or None where it has no regular one (`_IRREGULAR`, "-man", "-f",
    a participle, "3-sided"): no form beats a wrong one. An acronym takes "-s" ("GPUs")."""
    word = noun.lower()
    if not noun.islower():
        return noun + "s" if noun.isupper() else None
    # (A participle: "3-sided", not "3-bed" nor "3-speed".)
    participle = len(word) > 3 and re.search(r"[^e]ed$", word)
    if word in _IRREGULAR or participle or re.search(r"(?:man|fe|ics|[^f]f|[aeiou]z)$", word):
        return None
    if re.search(r"(?:s|x)is$", word):  # "analysis": "analyses", "axis": "axes"
        return noun[:-2] + "es"
    if word.endswith("is"):  # "irises", "tennis": not guessed
        return None
    if word in _HARD_CH:
        return noun + "s"
    if re.search(r"(?:s|x|ch|sh|z)$", word):  # "fezzes", "topazes" are left out above
        return noun + "es"
    if re.search(r"[^aeiou]y$", word):
        return noun[:-1] + "ies"
    return noun + ("es" if word in _O_ES else "s")


_MONTHS = "January February March April May June July August September October November December"
_MONTH_NUMBER = (
    {m.lower(): i + 1 for i, m in enumerate(_MONTHS.split())}
    | {m.lower()[:3]: i + 1 for i, m in enumerate(_MONTHS.split())}
    | {"sept": 9}
)
_DATE_FORMS = [
    re.compile(r"(?P<month>[A-Za-z]+)\.? (?P<day>\d{1,2})(?:st|nd|rd|th)?,? (?P<year>\d{4})"),
    re.compile(
        r"(?P<day>\d{1,2})(?:st|nd|rd|th)? (?:of )?(?P<month>[A-Za-z]+)\.?,? (?P<year>\d{4})"
    ),
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"),
]


def _date_forms(value: str) -> list[str]:
    """The same date written the other common ways ("14 March 2026": "March 14, 2026",
    "2026-03-14"), none for other terms."""
    for pattern in _DATE_FORMS:
        if found := pattern.fullmatch(value.strip()):
            month = found["month"]
            number = int(month) if month.isdigit() else _MONTH_NUMBER.get(month.lower())
            day, year = int(found["day"]), found["year"]
            if not number or not 1 <= number <= 12 or not 1 <= day <= 31:
                return []
            name = _MONTHS.split()[number - 1]
            forms = [
                f"{name} {day}, {year}",
                f"{day} {name} {year}",
                f"{year}-{number:02d}-{day:02d}",
            ]
            return [f for f in forms if normalize(f) != normalize(value)]
    return []


# A name with its dotted version ("Pelican 2.1", "Zephyr Router 4.2.1"; `specific_terms` proposes
# them whole). Not one with a whole number: "Llama 2", "Windows 11" and "GPT 4" are names, not
# "version 2 of Llama".
_NAMED_VERSION = re.compile(r"([A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)*) (\d+(?:\.\d+)+)")


def _version_forms(value: str) -> list[str]:
    """A name's version said the other common ways: "Pelican 2.1" is "Pelican version 2.1" and
    "version 2.1 of Pelican" too ("Pelican v2.1" the scorer reads as "Pelican 2.1" already)."""
    found = _NAMED_VERSION.fullmatch(value)
    if not found:
        return []
    name, version = found.groups()
    return [f"{name} version {version}", f"version {version} of {name}"]


@lru_cache(maxsize=1024)
def _version_said_long(value: str) -> re.Pattern | None:
    """Where an answer says the name and version of `value` ("Apache 2.0", any case) the long
    way: the name, a licence's word or not, then the version ("Apache License, Version 2.0",
    "Apache License 2.0", "Apache version 2.0"), or the version of the name ("version 2.0 of
    the Apache License", "the 2.0 version of Apache"). Nothing else may come between: "Apache
    Kafka version 2.0" is not Apache 2.0, nor "version 2.0 of Django"."""
    found = _NAMED_VERSION.fullmatch(value.title())  # a fact written "apache 2.0" too
    if not found:
        return None
    name, version = re.escape(found[1]), r"\d+(?:\.\d+)*"
    return re.compile(
        rf"(?<![\w-])(?P<name>{name})(?:\s+licen[cs]e,?\s+(?:version\s+)?|,?\s+version\s+)"
        rf"(?P<version>{version})(?![\w-])"
        rf"|(?<![\w-])(?:version\s+(?P<after>{version})|(?P<before>{version})\s+version)"
        # The name ends there: "version 2.0 of Apache Kafka" is Kafka's.
        rf"\s+of\s+(?:the\s+)?(?P<of>{name})(?:\s+licen[cs]e)?"
        rf"(?![\w-]|\s+(?-i:[A-Z]))",
        re.IGNORECASE,
    )


# A name that is an initialism, with its version, as a fact writes it ("GPL 3", "GPLv3",
# "LGPL-2.1", "TLS 1.3", "GPT-4"): its letters, what joins the version on, the version.
_INITIALISM = re.compile(r"([A-Z]{2,6})(\s?v|\s?-\s?|\s?)(\d+(?:\.\d+)*)")
# What joins a version to its name in an answer: ", version 3", " v3", "-3.0", " 3", "3".
_JOINER = r"(?:,?\s+(?i:version|ver\.)\s*|\s*v\.?\s?|\s?-\s?|\s?)"
_ANY_VERSION = r"\d+(?:\.\d+)*(?!\w|\.\d|-\d)"


def _spelled_out(letters: str) -> str:
    """The capitalised words an initialism stands for, one a letter ("GPL": "General Public
    License", "GPT": "Generative Pre-trained Transformer"), "and", "of" or "for" between them
    left out ("CDDL": "Common Development and Distribution License")."""
    word = r"[A-Za-z]*(?:-[A-Za-z]+)*"
    return r"\s+(?:(?:and|of|for|the|&)\s+)?".join(f"{letter}{word}" for letter in letters)


@lru_cache(maxsize=1024)
def _initialism_said(value: str) -> tuple[re.Pattern, str, str, str] | None:
    """Where an answer says `value`, an initialism with its version ("GPL 3"), another way: the
    initialism or the words it stands for, then the version ("GPLv3", "GPL version 3", "GPL-3.0",
    "GNU General Public License, version 3", "General Public License (GPL) v3"), or the version
    of it ("version 3 of the GNU GPL"); with the fact's initialism, joiner and version. Spelled
    out only for three letters or more: "In Python 3" is no "IP 3"."""
    found = _INITIALISM.fullmatch(value.strip())
    if not found:
        return None
    letters, joiner, version = found.groups()
    name = letters
    if len(letters) > 2:
        name = rf"(?:{letters}|{_spelled_out(letters)}(?:\s+\({letters}\))?)"
    pattern = re.compile(
        rf"(?<![\w-])(?P<name>{name}){_JOINER}(?P<version>{_ANY_VERSION})"
        rf"|(?<![\w-])(?i:version)\s+(?P<after>{_ANY_VERSION})\s+of\s+(?:the\s+)?"
        rf"(?:[A-Z]{{2,}}\s+)?(?P<of>{name})(?![\w-])"
    )
    return pattern, letters, joiner, version


def _starts_the_name(answer: str, at: int) -> bool:
    """Whether the name found at `at` is not the end of a longer one: no capitalised word but a
    function word ("The") or an initialism ("GNU") before it: "Lesser General Public License"
    is the LGPL, no GPL."""
    before = re.search(r"([\w-]+)\s+$", answer[:at])
    word = before[1] if before else ""
    return not word[:1].isupper() or word.isupper() or word.lower() in FUNCTION_WORDS


def _same_version(said: str, version: str) -> bool:
    """Whether `said` is `version` but for a last ".0" ("GPL-3.0" is GPLv3)."""
    return re.sub(r"(\.0)+$", "", said) == re.sub(r"(\.0)+$", "", version)


# A model's name with its version and its tier or size word ("Claude 3 Opus", "Gemini 1.5 Pro",
# "Phi-3 mini"), either way round: its maker wrote "Claude 3 Opus" and then "Claude Opus 4", and
# "Gemini Pro 1.5" beside "Gemini 1.5 Pro", one model each (an answer saying "Claude Opus 3" got
# no credit for "Claude 3 Opus").
_VERSION = r"\d+(?:\.\d+)*"
_TIERED = re.compile(
    rf"([A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)*)[ -](?:({_VERSION}) ({VARIANT_OR_TIER})"
    rf"|({VARIANT_OR_TIER}) ({_VERSION}))"
)


@lru_cache(maxsize=1024)
def _tier_moved(value: str) -> re.Pattern | None:
    """Where an answer says `value`, a model's name, version and tier, with the tier and the
    version the other way round ("Claude Opus 3" of "Claude 3 Opus"): the three adjacent, any
    case, spaced or hyphened, the version whole ("Claude Opus 3.5" is another model)."""
    found = _TIERED.fullmatch(value.strip())
    if not found:
        return None
    name, version, tier = found[1], found[2] or found[5], found[3] or found[4]
    first, second = (tier, version) if found[2] else (version, tier)
    words = [*name.split(), first, second]
    return re.compile(
        r"(?<![\w.-])" + r"[\s-]".join(map(re.escape, words)) + r"(?![\w-]|\.\d)", re.IGNORECASE
    )


def named_version_as_written(answer: str, value: str) -> str:
    """`answer` with each long way of saying `value`'s name and version (`_version_said_long`,
    `_initialism_said`) written as `value` writes it ("Apache License, Version 2.0" read "Apache
    2.0", "GNU General Public License v3.0" "GPL 3"), and a model's tier before or after its
    version as `value` puts it (`_tier_moved`: "Claude Opus 3" read "Claude 3 Opus"), for the
    scorer to read as it reads that (a version with more parts, a negation before it); the
    answer as it was for a value that is no name with its version."""
    if (moved := _tier_moved(value)) is not None:
        answer = moved.sub(value.strip(), answer)
    said = _version_said_long(value)
    if said is not None:
        answer = said.sub(
            lambda m: f"{m['name'] or m['of']} {m['version'] or m['after'] or m['before']}",
            answer,
        )
    initialism = _initialism_said(value)
    if initialism is None:
        return answer
    pattern, letters, joiner, version = initialism

    def as_written(m: re.Match) -> str:
        if not _starts_the_name(m.string, m.start("name") if m["name"] else m.start("of")):
            return m[0]
        said = m["version"] or m["after"]
        return letters + joiner + (version if _same_version(said, version) else said)

    return pattern.sub(as_written, answer)


def version_alone(value: str, asked: set[str]) -> list[str]:
    """The version of a name with its version whose name the question says (`asked`: its
    `normalize`d words), as an alternative: "Which Pelican version reads /etc/pelican?" is
    answered "2.1". Where the question does not name it, "2.1" alone says not what is at 2.1,
    and only the name with it (in a form of `_version_forms`) states the fact."""
    found = _NAMED_VERSION.fullmatch(value)
    return [found[2]] if found and set(normalize(found[1]).split()) & asked else []


# A value's other spellings, each an alternative of its fact.
OTHER_FORMS = (
    _unit_forms, _joined_forms, _scale_forms, _date_forms, _number_words, _rate_forms,
    _version_forms,
)  # fmt: skip


# A value and the same value written another way after it: "5e-4 (0.0005)".
_SAME_VALUE = re.compile(r"(\S+)\s*\((\S+)\)")
_VALUE = re.compile(r"[-+]?\d[\d.,]*(?:e[-+\u2212]?\d+)?%?", re.IGNORECASE)


def same_values(answer: str, facts: list[str]) -> list[list[str]]:
    """The facts, each a list of its alternatives: a value with the same value in brackets after
    it is one fact written two ways."""
    grouped = {fact: [fact] for fact in facts}
    for match in _SAME_VALUE.finditer(answer):
        value, again = match[1], match[2]
        if value in grouped and again in grouped and all(map(_VALUE.fullmatch, (value, again))):
            grouped[value] += grouped.pop(again)
    return list(grouped.values())
