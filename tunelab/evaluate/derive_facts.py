"""The facts a correct answer must state (tunelab.evaluate.facts), read off its reference
answer, for a person to review (`tunelab data facts` proposes them for a test file's rows that
name none: facts_file).

Token F1 rewards an answer for sounding like its reference; a finetuned model that learned the
style and not the facts scores well on it. The facts of a reference are mostly its specific
terms: numbers and values, names of files, options and functions, URLs, acronyms and proper
names. Those of the answer's first sentence are taken (where the answer to the question usually
is; later sentences add detail; the second after an opening that says nothing, "Of course!"),
at most `most` of them, and never a term the question already
says (restating the question states no fact) nor a word the test set's answers say all along
(lamini_docs' "LLM": an answer in their style says it whatever it states). A first sentence
with none of them gives its rarest content words over the test set, less the question's words
in any form ("generate" of "generating") and the words any explaining answer uses ("runs",
"provides", "depends" are no facts; "weekly" and "checkpoint" may be), or none, for a person to
write. A
yes/no question answered "Yes" or "No" also gets the opposite as a wrong answer (a
hallucination), in Chinese, Japanese, Hindi, German, French, Spanish, Portuguese and Russian
too ("是的" / "不是", "はい" / "いいえ", "हाँ" / "नहीं", "Ja" / "Nein"...).
In Chinese and Japanese, written without spaces, the terms are found where the text changes
script ("端口是8080"); a reference in those characters alone gets no facts, for a person to
write. `benchmarks/derived_facts.py` measures how often these agree
with hand-written facts."""

from __future__ import annotations

import re

import regex

from tunelab.data.markers import plain_question
from tunelab.data.text import STOPWORDS, spaced, stem, unspaced
from tunelab.evaluate.answer_words import NO_IDIOMS, PAST_VALUE
from tunelab.evaluate.asked import asks_what_is_not
from tunelab.evaluate.normalize_numbers import normalize
from tunelab.evaluate.stated import Words, states

# A number's unit written after a space ("16 GB", "0.5 s", "100 °C", "10 days": not "10
# seconds"); one glued to it ("5GB") is any run of letters, as the scorer reads "5GB" as "5 GB".
# Other words after a number are no part of its value ("100 steps" states 100).
_SPACED_UNIT = (
    r"(?:[KMGTP]i?B|[kMG]?Hz|[kMG]?W|[mµn]?s|°[CF]?|[kMGT]?bps|[kMGT]?bit/s|dB[mi]?|m?Ah|k?Wh|"
    r"[mk]?V|mA|[mk]?g|m?[lL]|ft|lbs?|oz|mph|rpm|fps|dpi|ppm|px|[mck]m|(?:(?:milli|micro|nano)?"
    r"second|minute|hour|day|week|month|year|(?:kilo|mega|giga|tera)?byte|bit|(?:kilo|centi|"
    r"milli)?(?:met(?:er|re)|gram|lit(?:er|re))|mile|f(?:oo|ee)t|inch(?:es)?|pound|ounce|"
    r"percent|thousand|million|billion|trillion)s?)(?:/[A-Za-z]+)?(?![\w/])"  # "5 GB/s" too
)
# A value's unit in its other common forms, each an alternative of the fact: "10 days" is said
# "10 day" ("10-day") too, "2 GB" "2 gigabytes" ("16GB" is read "16 GB"); "30s" is "30 seconds".
# No one-letter form is given to a fact: "3 s" would be stated by "Python 3's", "10 d" by "10
# D-cells".
_UNIT_FORMS = [
    ("second", "seconds", "sec", "s"), ("minute", "minutes", "min"), ("hour", "hours", "h"),
    ("day", "days", "d"), ("week", "weeks"), ("month", "months"), ("year", "years"),
    ("millisecond", "milliseconds", "ms"), ("byte", "bytes"),  # "70B" is parameters
    ("kilobyte", "kilobytes", "KB", "kB"), ("megabyte", "megabytes", "MB"),
    ("gigabyte", "gigabytes", "GB"), ("terabyte", "terabytes", "TB"),
    ("gram", "grams", "g"), ("kilogram", "kilograms", "kg"), ("litre", "litres", "liter",
    "liters", "L", "l"), ("foot", "feet", "ft"), ("pound", "pounds", "lb", "lbs"),
    ("ounce", "ounces", "oz"), ("kilometre", "kilometres", "kilometer", "kilometers", "km"),
]  # fmt: skip
_FORMS_OF = {form: forms for forms in _UNIT_FORMS for form in forms}
_VALUE_AND_UNIT = re.compile(r"^(\S*\d)\s?([^\W\d_]+)$")
# A number is read as the scorer reads it (tunelab.evaluate.normalize_numbers): whole, with its
# sign, currency, per cent and unit, as "-8" is not "+5", "$20" not "€20" and "5GB" not "50GB".
# A rate's period is part of its value: "$20 per month" is not "$20 per year".
_PERIOD = r"(?:second|minute|hour|day|week|month|year|user|seat)"
_NUMBER = (
    r"(?<![\w.-])(?:[-+\u2212]|\p{Sc}\s?)?\d+(?:[.,]\d+)*(?:[eE][-+\u2212]?\d+)?"
    rf"(?:\s?%|\s?\p{{Sc}}|\s(?:USD|EUR|GBP|JPY|CNY|INR|CHF|CAD|AUD)\b|[^\W\d_]+(?![\w-])|"
    rf"\s{_SPACED_UNIT})?(?:(?:\s?/\s?|\s+per\s+|\s+an?\s+){_PERIOD}\b)?(?![\w]|-(?!\d))"
)
_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?|January|February|March|April|May|"
    r"June|July|August|September|October|November|December"
)
# A name's title, taken for a name or a sentence's end otherwise ("Dr. Jane Smith").
_TITLE = r"(?:Dr|Mr|Mrs|Ms|Prof|St)\."
# The forms a specific term takes, most specific first (`regex` for a currency symbol and a
# lookbehind of several lengths).
_TERMS = [
    re.compile(r"https?://[^\s)>\]]*[^\s.,;:)>\]]"),  # a URL, without the sentence's full stop
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),  # an e-mail address, whole
    re.compile(r"(?<![\w./~])(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)*/?(?<![.])"),  # a path: /var/lib/x
    re.compile(r"`([^`]+)`"),  # code
    re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*"),  # a command-line option
    re.compile(r"\b[\w<>-]*[A-Za-z][\w<>-]*(?:[./_][\w<>-]+)+/?"),  # a file, dotted or snake name
    # A file type alone (".zfw", ".PDF"; not ".Then" after a stray full stop).
    # (R's mixed-case ones too: ".R", ".Rmd", ".Rds".)
    re.compile(
        r"(?<![\w./])\.(?:[a-z][a-z0-9]{0,11}|[A-Z0-9]{2,6}|R|Rmd|Rds|Rdata|Rproj)\b(?!\.\w)"
    ),
    re.compile(r"\b(?=[\w-]*\d)[A-Za-z]\w*(?:-\w+)+"),  # a hyphenated name with a digit (gpt-4o)
    re.compile(r"(?<![\w\\-])[A-Za-z]+\d\w*(?![\w-])"),  # a name with a digit (A100; not "\\n1")
    # A name and its version, one fact: "Java 21", "Python 3.10", "Windows 11".
    # (Not a sentence's first word, nor a word that only numbers a thing: "Version 3.8.2 was
    # released" has the fact 3.8.2, "Port 8443" 8443.)
    re.compile(
        r"(?<=[a-z0-9,;:] )(?!(?:Version|Port|Step|Section|Page|Chapter|Figure|Table|Line|Item|"
        r"Option|Level|Phase|Stage|Tier|Plan|Number|No)\b)[A-Z][A-Za-z]+ \d+(?:\.\d+)*"
        r"(?![\w-]|\.\w)"  # a sentence's full stop after it ("under Apache 2.0.") is none of it
    ),
    re.compile(r"(?<![\w.-])\d+(?:[-/]\d+)+(?![\w-])"),  # a date (2023-05-01, 5/1/2023)
    re.compile(
        r"(?<![\w.:-])\d+(?::\d+)+(?:\s?(?:[AaPp]M|[ap]m|[ap]\.m\.))?(?![\w:])"
    ),  # 10:30 PM, 16:9
    # A range of shares or measures ("5%-10%", "5-10 GB"): one fact, not its two ends.
    regex.compile(rf"(?<![\w.-])\d+(?:\.\d+)?%?\s?[-–]\s?\d+(?:\.\d+)?(?:%|\s{_SPACED_UNIT})"),
    re.compile(  # a date in words (March 5, 2024; 5 March 2024; March 2024)
        rf"\b(?:(?:{_MONTH}) \d{{1,2}}(?:st|nd|rd|th)?(?:, \d{{4}})?|"
        rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTH})(?: \d{{4}})?|"
        rf"(?:{_MONTH}) \d{{4}})(?![\w-])"
    ),
    regex.compile(_NUMBER),  # a number, not a name's part
    re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b"),  # CamelCase
    re.compile(r"\b[A-Z]{2,}[a-z]?\b"),  # an acronym (GPU, VPCs)
    # A name of several capitalised words, a sentence's first too ("Harborline Gateway requires
    # ...": its "Gateway" alone was a fact), but not one that opens with a function word.
    regex.compile(
        r"(?<![\w.])(?!(?:The|A|An|This|That|These|Those|It|Its|You|Your|We|Our|In|On|For|To|If|"
        r"When|Yes|No|Use|Set|Run|See|Both|Currently|Also|However|Additionally|Furthermore|"
        r"Moreover|Some|Many|Most|All|Each|Every|Any|There|Here|Unlike|Like|While|With|By|From|"
        r"As|At|Since|Although|Today|Now|Then|So|Integrating|Using)\b)"
        r"[A-Z][a-z]+(?: [A-Z][a-z]+)+\b(?![A-Za-z])"
    ),
    # A proper name, of one word or more ("San Francisco"; "Jane Smith" of "Dr. Jane Smith").
    regex.compile(
        rf"(?<=[a-z0-9,;:] |{_TITLE} )(?!{_TITLE})[A-Z][a-z]+(?: [A-Z][a-z]+)*\b(?![A-Za-z])"
    ),
]
# A sentence ends at its punctuation, not at an abbreviation's full stop (e.g., U.S., Dr.);
# Chinese and Japanese end one at their full-width marks, with no space after.
_FIRST_SENTENCE = regex.compile(
    rf"(?<=[.;:!?])(?<!\b[A-Za-z]\.)(?<!\b(?:{_TITLE}|vs\.))\s+|(?<=[。！？；])"
)
_WORDLIKE = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")  # words of letters: a name, an acronym
# Abbreviations the term patterns take for dotted names ("e.g").
_ABBREVIATION = re.compile(r"(?:e\.g|i\.e|a\.m|p\.m|cf|etc|vs)\.?", re.IGNORECASE)
_YES_NO_QUESTION = re.compile(
    r"^\W*(is|are|was|were|can|could|does|do|did|will|would|should|has|have|had|may|might|must)\b",
    re.IGNORECASE | re.MULTILINE,
)
# Other languages' yes/no answers: (question, yes, no). A question in Chinese is a yes/no one by
# its particle (吗) or its "A not A" (是不是, 能不能); the others by their question mark (Spanish by
# its opening ¿, as "No" opens English answers too). A verdict stands alone, before a comma or
# the sentence's end: "是的，" and "不需要。" are verdicts, "是16，不是8" (it is 16) and
# "可以只用CPU" (you can just use the CPU) are not, nor "Si quieres..." (if you want) or "Non-
# volatile". A "yes" answer gets the "no" verdict as its wrong answer, and the other way round.
_ALONE = r"(?=\s*(?:[,，、.。!！;；:：।]|$))"
_ANY_QUESTION = r"[?？]\s*$"
_YES_NO = [
    (r"(?:[吗嗎][?？]?|([是能有会會要])(?:不|没|沒)\1.*)\s*$",
     r"(?:是的|是|对的|對的|对|對|没错|沒錯|可以|能|会|會|有|需要|要)",
     r"(?:不是|不对|不對|不可以|不能|不会|不會|不需要|不要|不用|没有|沒有|不|否)"),
    (r".", r"はい", r"いいえ"),
    (r"^\W*क्या|[?？।]\s*$", r"(?:जी )?(?:हाँ|हां)", r"(?:जी )?नहीं"),
    (r"¿", r"s[ií]", r"no"),
    (_ANY_QUESTION, r"(?:ja|oui|sim|да)", r"(?:nein|non|não|нет)"),
]  # fmt: skip
# "No" that is no verdict: "No doubt, it does.", "No problem, ..." (as the scorer reads it).
_ENGLISH_NO = rf"no\b(?!\s+(?:{'|'.join(sorted(NO_IDIOMS))})\b)"
# Words that name no fact: the stop words, and the common ones an answer's phrasing adds.
_FUNCTION_WORDS = STOPWORDS | frozenset(
    """else these those me us them may might must have has had also just only more most less very
    such too out up down over under use used using uses one all any each other some
    once during beyond least before after above below since until upon onto toward towards
    among against along around through throughout despite although though whether while
    whereas within without per via yet still already even ever never again almost enough
    rather quite longer""".split()
    # a contraction's first part, as normalize leaves it ("hasn't" -> "hasn t")
) | frozenset("hasn haven isn aren wasn weren doesn didn don won wouldn couldn shouldn mustn "
              "needn shan ain cannot none nothing nobody".split())  # fmt: skip


# A URL, an e-mail address, a path, code, an option or a file name: specific by their form.
_ADDRESS_OR_CODE = _TERMS[:6]


def specific_terms(text: str, patterns: list = _TERMS) -> list[str]:
    """The specific terms of `text`, most specific kinds first, each once (in Chinese or
    Japanese text too: "設定はconfig.yamlです" holds "config.yaml")."""
    text, found = spaced(text), []
    for pattern in patterns:
        found += [m.group(1) if pattern.groups else m.group(0) for m in pattern.finditer(text)]
    return list(dict.fromkeys(unspaced(term).strip() for term in found))


def propose(
    question: str,
    answer: str,
    rarity: dict[str, float],
    most: int = 2,
    common: frozenset[str] = frozenset(),
) -> tuple[list[list[str]], list[dict]]:
    """(facts, wrong) for one row: up to `most` facts, each a list of one phrase; `rarity` is
    each word's inverse document frequency over the answers; `common` the words the answers say
    all along (`facts_file.vocabulary`): no fact of any one of them."""
    facts, wrong, _ = propose_marked(question, answer, rarity, most, common)
    return facts, wrong


def propose_marked(
    question: str,
    answer: str,
    rarity: dict[str, float],
    most: int = 2,
    common: frozenset[str] = frozenset(),
) -> tuple[list[list[str]], list[dict], bool]:
    """`propose`, and whether the facts are rare words of the answer rather than its specific
    terms (a weaker guess: "ability" of "Lamini has the ability to..."), to review first."""
    question = plain_question(question)
    asked = set(normalize(question).split())
    # "Which OS is not supported?" / "Windows is not supported.": the negation says the fact.
    read = not asks_what_is_not(question)
    # A word the question says in another form restates it ("generating", "generate"); a term
    # made of the question's words in another form may not ("cached": "~/.cache/tunelab").
    asked_roots = set(map(_root, asked))

    def new(phrase: Words) -> bool:
        if _ABBREVIATION.fullmatch(phrase.written):
            return False
        words = phrase.split()
        # A URL, path, value or code is specific by its form, however often its words recur.
        said_all_along = _WORDLIKE.fullmatch(phrase.written) and all(w in common for w in words)
        return (
            bool(words)
            and not said_all_along
            and not all(w in asked or w in _FUNCTION_WORDS for w in words)
            # The reference must pass its own check: "16, not 8" does not state 8.
            and states(answer, phrase, read)
        )

    # A list's numbering is no fact: "1. Unplug the router." proposed "1".
    unnumbered = _LIST_MARKER.sub("", answer).strip()
    sentences = _FIRST_SENTENCE.split(unnumbered, maxsplit=2)
    first = sentences[0]
    # "I wish! This documentation only talks about...", "Of course! The repo has examples...":
    # an opening that says nothing leaves the answer to the next sentence ("Yes!" is a verdict,
    # and what follows it detail).
    if len(sentences) > 1 and _SAYS_NOTHING.fullmatch(first) and not opposite(question, answer):
        first = sentences[1]
    if _TWO_ASKS.search(question):  # "What does FT-401 mean and how do I fix it?": both answers
        parts = _FIRST_SENTENCE.split(unnumbered, maxsplit=_TWO_ASKS_SENTENCES)
        first = " ".join(parts[:_TWO_ASKS_SENTENCES])

    def terms_of(sentence: str, patterns: list = _TERMS) -> list[Words]:
        past = [next(filter(None, m.groups())) for m in PAST_VALUE.finditer(sentence)]
        return [
            p
            for p in map(Words, specific_terms(sentence, patterns))
            if new(p) and not any(p.written in span for span in past)
        ]

    terms = terms_of(first)
    # "… for details visit: https://…", "To uninstall it, type: `pip uninstall lamini`.": a
    # first sentence that ends in a colon and names no term introduces the answer; an address
    # or code it introduces is the fact, not "visit" or "type".
    rest = unnumbered[unnumbered.find(first) + len(first) :].strip()
    if not terms and first.endswith(":") and rest:
        terms = terms_of(_FIRST_SENTENCE.split(rest, maxsplit=1)[0], _ADDRESS_OR_CODE)
    kept: dict[str, str] = {}  # each term as matched -> as written
    for phrase in terms:  # once, and not again inside a longer one (the path inside a URL)
        if any(f" {phrase} " in f" {longer} " for longer in kept):
            continue
        # One found earlier inside this one goes: "kbit/s" (a slash name) of "56 kbit/s".
        kept = {k: v for k, v in kept.items() if f" {k} " not in f" {phrase} "}
        kept[phrase] = phrase.written
    facts = list(kept.values())
    from_words = not facts
    if not facts:
        words = [
            w for w in normalize(first).split()
            # A character of a script without spaces is a word of its own: too short to be a fact.
            if len(w) > 3 and not w.isdigit() and _root(w) not in asked_roots
            and not _PRIVATE.search(w)  # how the scorer marks a sign or a currency: no text
            and w not in _FUNCTION_WORDS and w not in common
            and w not in _GENERIC  # "provides", "depends": a correct answer need not say them
        ]  # fmt: skip
        words = [w for w in words if states(answer, Words(w), read)]  # "not specifically designed"
        facts = sorted(dict.fromkeys(words), key=lambda w: -rarity.get(w, 0.0))
    # Its verdict is no fact of a yes/no answer ("It does, on any CPU." is right too); the other
    # verdict is a wrong answer.
    grouped = [
        [*alternatives, *(form for forms in _OTHER_FORMS for form in forms(alternatives[0]))]
        for alternatives in _same_values(answer, facts)
    ]
    return grouped[:most], opposite(question, answer), from_words and bool(grouped)


# A list item's number or bullet at a line's start ("1.", "2)", "(3)", "Step 4:", "-"), followed
# by the item's text.
_LIST_MARKER = re.compile(
    r"(?m)^[ \t]*(?:(?:Step[ \t]+)?\d{1,2}[.):]|\(\d{1,2}\)|[-*•])[ \t]+(?=\S)"
)


# An exclamation or courtesy alone, no answer yet.
_SAYS_NOTHING = re.compile(
    r"\W*(?:(?:i\s+wish|absolutely|of\s+course|sure(?:\s+thing)?|certainly|definitely|indeed|"
    r"great|good|excellent|interesting|thanks|thank\s+you|hi|hello|well|ok(?:ay)?|alas|"
    r"unfortunately|sadly|hmm|question)\W*)+",
    re.IGNORECASE,
)


# A question asking two things: its answer's first sentence answers the first only (the fix of
# "What does error FT-401 mean and how do I fix it?" was no fact).
_TWO_ASKS = re.compile(r"\band\s+(?:how|what|where|when|why|which|who)\b", re.IGNORECASE)
_TWO_ASKS_SENTENCES = 3


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
    if not match or regex.fullmatch(_SPACED_UNIT, match[2].strip()):  # "16 GB" is written so
        return []
    number, rest = int(match[1]), match[2]
    if number < len(_SMALL):
        words = [_SMALL[number]]
    else:
        tens, ones = _TENS[number - number % 10], _SMALL[number % 10]
        words = [tens] if number % 10 == 0 else [f"{tens}-{ones}", f"{tens} {ones}"]
    return [w + rest for w in words]


_RATE = re.compile(rf"^(.*\d\S*)(?:\s?/\s?|\s+per\s+|\s+an?\s+)({_PERIOD})$")


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
    letter, none for other terms."""
    match = _VALUE_AND_UNIT.match(value)
    forms = _FORMS_OF.get(match[2]) if match else None
    return [f"{match[1]} {f}" for f in forms if f != match[2] and len(f) > 1] if forms else []


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


# A value's other spellings, each an alternative of its fact.
_OTHER_FORMS = (_unit_forms, _date_forms, _number_words, _rate_forms)


def _root(word: str) -> str:
    """A word without its ending: "generating" and "generate" are one word, "applies" and
    "apply" too (the question's "apply" was proposed as the fact "applies")."""
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    return stem(word).removesuffix("e")


_PRIVATE = regex.compile(r"\p{Co}")
# A value and the same value written another way after it: "5e-4 (0.0005)".
_SAME_VALUE = re.compile(r"(\S+)\s*\((\S+)\)")
_VALUE = re.compile(r"[-+]?\d[\d.,]*(?:e[-+\u2212]?\d+)?%?", re.IGNORECASE)


def _same_values(answer: str, facts: list[str]) -> list[list[str]]:
    """The facts, each a list of its alternatives: a value with the same value in brackets after
    it is one fact written two ways."""
    grouped = {fact: [fact] for fact in facts}
    for match in _SAME_VALUE.finditer(answer):
        value, again = match[1], match[2]
        if value in grouped and again in grouped and all(map(_VALUE.fullmatch, (value, again))):
            grouped[value] += grouped.pop(again)
    return list(grouped.values())


# Words an explaining answer uses whatever it explains: no fact, though rare in a test set.
_GENERIC = frozenset(
    """provides provide provided offers offer offered depends depend allows allow allowed helps
    help helped holds hold held contains contain uses used includes include including included makes make made runs run keeps
    keep works work working worked gives give given takes take lets let needs need means mean
    various different specific available important possible able certain several many
    constantly generally usually often typically always simply easily directly especially
    between within without across case cases example examples expanding ensure ensures
    based well like also however therefore things thing way ways part parts kind kinds
    number lot lots sure better best good great fully completely entirely totally really
    actually basically talks talk says say sadly unfortunately fortunately luckily""".split()
)


def opposite(question: str, answer: str) -> list[dict]:
    """The wrong answer to a yes/no question answered yes or no: the other opening, as a regex."""
    asked = question.splitlines()[-1] if question else ""
    if _YES_NO_QUESTION.match(asked):  # English: a question that opens with its verb
        pairs = [(r"yes\b", _ENGLISH_NO)]
    else:
        pairs = [(yes + _ALONE, no + _ALONE) for asks, yes, no in _YES_NO if re.search(asks, asked)]
    for yes, no in pairs:
        for said, other in ((yes, no), (no, yes)):
            if re.match(r"^\W*" + said, answer, re.IGNORECASE):
                return [{"regex": r"^\W*" + other}]
    return []
