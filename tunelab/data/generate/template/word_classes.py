"""Which class a word is in: a verb documentation states facts with (listed, or read by its form
and place: "The log names the weights"), its base form and tense, whether a subject is singular,
and the closed classes (determiners, prepositions, auxiliaries) the rules read sentences by."""

from __future__ import annotations

import re

from tunelab.data.text import english, english_dictionary
from tunelab.data.units import alternation, unit, units_of

# A sentence's words as the rules read them: code whole ("`--set k=v`"), paths and names.
WORD = re.compile(r"`[^`]+`|[\w'./<>-]+")
# Base forms of the verbs documentation states facts with; their -s and -ed forms are derived.
VERBS = frozenset(
    """accept add allow answer apply ask build call change check compare contain continue copy
    count create cut decode default drop evaluate expect export fail find finetune finish generate give
    hold ignore include judge keep learn leave let limit list load log make mask match measure
    merge move need open pack pad pass pick plot print produce put rank read record refuse
    remove replace report require resume retry return rewrite run save say score send serve set
    show shuffle skip sort split start stop store stream support take tell test train turn use
    write upload download sync watch encrypt decrypt expire cover connect delete restore rename
    prune queue reject scan receive install uninstall update upgrade back exit listen
    bind speak pause ship come fit lower raise reduce""".split()
)
IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in """took:take gave:give made:make ran:run wrote:write kept:keep left:leave
    found:find said:say held:hold read:read cut:cut set:set put:put let:let""".split()
)
PARTICIPLES = frozenset(
    """built cached checked computed counted cut done dropped given held kept loaded made
    masked measured merged named packed padded printed read refused removed run saved scored
    seeded set shown skipped sorted split stored taken tested trained used written sent sold
    paid told known seen chosen found lost put shut""".split()
)
# A span of time after "in" or "within": "4 business hours", "a day", "30 days".
DURATION = re.compile(
    r"(?:~?\d[\d.,]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|a few)\s+(?:\w+\s+)?"
    rf"(?:{units_of('time')})\b"
)
# What a number after "at" or "to" measures, and the words that ask for it: "spins at 3000 rpm"
# says how fast, "shuts down at 85 °C" at what temperature, "heats up to 35 °C" to what
# temperature (none of them where); "what ..." is asked with the preposition the sentence has.
_DEGREES = units_of("temperature").replace("°", r"°\s?")  # "85 ° C" too
RATES = {
    "How fast": units_of("speed", "rotation", "data rate"),
    "what temperature": rf"(?:{_DEGREES})\b",
}
AT_A_RATE = {
    asked: re.compile(
        rf"(?:at|to)\s+(?:about\s+|up to\s+)?[-+−]?\d[\d.,]*\s*(?:{units})", re.IGNORECASE
    )
    for asked, units in RATES.items()
}
# A verb's measure where its object would be: "charges in 2 hours", "starts in under 2 seconds",
# "expire after 15 minutes" (a span of time after the words that ask it) or a rate; after a word
# that says how ("charges fully in 2 hours").
MEASURE = re.compile(
    r"(?:[a-z]+ly\s+)?(?:(?:(?:in|within|for|after|every)\s+(?:about\s+|up to\s+|under\s+"
    r"|less than\s+)?(?:"
    + DURATION.pattern
    + r"))|"
    + "|".join(p.pattern for p in AT_A_RATE.values())
    + ")"
)
# Words that make one verb of the verb before them: "shuts off", "powers down", "times out".
PARTICLES = frozenset("up down off on out back over".split())
DETERMINERS = frozenset("a an the every one two three four five several".split())
POSSESSIVES = frozenset("our your its their my his her".split())
PLACES = frozenset("in inside under at on into within".split())
PREPOSITIONS = frozenset("to from with by for after before until through over across as".split())
ADVERBS = frozenset("only always never also first then still just even again now".split())
AUXILIARIES = frozenset(
    "is are was were be been have has had can could will would must may might should".split()
) | frozenset(  # "Internal hard limits can't be bypassed": "limits" no verb before "can't"
    "isn't aren't wasn't weren't can't couldn't won't wouldn't mustn't shouldn't hasn't haven't".split()
)


def third_person(word: str) -> str | None:
    """skips -> skip, passes -> pass, applies -> apply; None for words not in VERBS."""
    for suffix, base in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and (stem := word[: -len(suffix)] + base) in VERBS:
            return stem
    return None


def plural_form(word: str) -> bool:
    """A lower-case word ending in one -s ("imports", "requests"), as a plural noun does; not
    "pass" nor "as", nor code ("`names`") or a name ("LoRAs")."""
    return re.fullmatch(r"[a-z]+[^s]s", word) is not None


# Words that open a verb's object: "maps other column names", "names its token".
OBJECT_OPENERS = DETERMINERS | POSSESSIVES | frozenset("other all each both any some".split())
# Verbs that take no object, or not one "What does X ...?" asks for ("goes the other way").
# A distance as what a verb reaches, the whole of the rest: "works up to 7 metres away".
# The units of a distance, one list for every rule that reads one ("reaches 10 m", "Keep the
# heater at least 1 metre from walls").
DISTANCE_UNITS = units_of("distance")
DISTANCE = re.compile(
    r"(?:(?:up to|about|around|roughly|under|less than|at most|over) )?\d[\d.,]* ?"
    rf"(?:{DISTANCE_UNITS})\b"
    r"(?P<away> away)?(?=\W*$)"
)
# What a number's unit measures, as a question names it: "can reach 60 °C" asks what
# temperature, "is rated for 50 km" what distance ("What can the print head reach?" was asked
# of nothing: "reach" is in no list). Weights and sizes are QUANTITY's, asked how much.
MEASURED_IN = {
    kind: units_of(kind)
    for kind in ("temperature", "distance", "voltage", "current", "frequency", "resolution",
                 "noise level")
}  # fmt: skip
NUMBER_IN = re.compile(
    r"(?:(?:up to|about|around|roughly|under|less than|at most|at least|over) )?[-+−~]?\d[\d.,]*"
    r"\s?(?P<unit>°\s?[CF]|[A-Za-z]+)(?!\w)"
)

# Words after a measure that say no more what it is of: "60 °C when printing", "2 mm per step".
MEASURE_ENDS = frozenset("when whenever if while during away".split())
# "150 mm per second": a distance over a time, a speed.
_CLOCK_UNITS = alternation([s for n in ("second", "minute", "hour") for s in (n, *unit(n).symbols)])
PER_TIME = re.compile(rf" ?(?:per|a|an|every) (?:{_CLOCK_UNITS})\b|/(?:{_CLOCK_UNITS})\b")


def measure_of(words: str) -> str | None:
    """What the number and unit opening `words` measure ("60 °C" -> "temperature", "up to 50 km"
    -> "distance"); None where they open with no number, a unit no measure names, or a measure
    of a thing ("50 m of labels", "58 mm, 80 mm and 104 mm labels": no distance the printer
    supports). A phrase may follow it ("60 °C in 30 seconds"); a distance per second is a speed
    ("150 mm per second"), any other rate none ("2 mm per step")."""
    if not (m := NUMBER_IN.match(words)):
        return None
    written = m["unit"].replace(" ", "")  # "60 ° C" is "60 °C"
    measure = next((k for k, units in MEASURED_IN.items() if re.fullmatch(units, written)), None)
    if PER_TIME.match(words, m.end()):
        return "speed" if measure == "distance" else None
    after = words[m.end() :].strip(" .").split(" ", 1)[0].lower()
    return None if after and after not in PREPOSITIONS | PLACES | MEASURE_ENDS else measure


NO_OBJECT = frozenset(
    """go come seem appear become remain stay sit stand lie fall rise live belong happen exist
    matter depend differ last grow work look sound feel mean""".split()
)
# Verbs among them whose span of time is what is asked: "The warranty lasts 3 years".
LASTING = frozenset("last stay remain live".split())
# Verbs whose object follows a preposition, asked with it: "FastAPI depends on Pydantic" ->
# "What does FastAPI depend on?" ("What does FastAPI depend?" asks nothing), and "The next step
# asks for the same tensors" -> "What does the next step ask for?" (not "How does it ask?");
# "The T4 connects to the hub over Wi-Fi" says what it connects to, not how.
ASKED_WITH = {
    "depend": ("on",), "rely": ("on",), "work": ("with",), "consist": ("of",), "belong": ("to",),
    "ask": ("for",), "look": ("for",), "wait": ("for",), "point": ("at", "to"), "allow": ("for",),
    "check": ("for",), "account": ("for",), "apply": ("to",), "connect": ("to",),
    "refer": ("to",), "respond": ("to",),
}  # fmt: skip


def asked_with(word: str, after: str, one: bool) -> tuple[str, str] | None:
    """The auxiliary and the verb with its preposition ("does", "depend on") of a verb
    ASKED_WITH holds, said of one thing ("depends on") or several ("depend on"); else None."""
    for base, prepositions in ASKED_WITH.items():
        said = (base[:-1] + "ies" if base.endswith("y") else base + "s") if one else base
        for preposition in prepositions:
            if word == said and after.lower().startswith(preposition + " "):
                return "does" if one else "do", f"{base} {preposition}"
    return None


# Words before a plural noun that say where, how or how many, not which kind: "vary between
# runs", "selects no imports".
NOT_A_KIND = frozenset(
    "between against during among despite about around without via per no not more less many few".split()
)
# Words a noun phrase does not end with: a subject ending so goes on past the word after it.
NOT_A_HEAD = DETERMINERS | POSSESSIVES | OBJECT_OPENERS | PREPOSITIONS | PLACES | {"and", "or"}


def unlisted_verb(word: str, subject: str, rest: str) -> str | None:
    """The base of a verb VERBS lacks, read by its form and place ("The log names the weights"
    -> "name"): an -s form of an English verb after a plain singular subject (code, a name, or
    a determiner and its noun) and before its object, a measure ("charges in 2 hours") or, last,
    when it acts ("restarts after an update", "switches to the 2.4 GHz band if ..."). None
    for anything less sure: "Sample
    pairs per mode" (no determiner), "Nine other kinds of work" (no noun before it), "A CPU
    run goes the other way" (no object)."""
    if (
        not re.fullmatch(r"[a-z]+s", word)
        or word.endswith(("ss", "us", "is"))
        or word in AUXILIARIES | {"does"}
    ):
        return None
    base = s_form_base(word)
    # "Plain HTTP on port 80 redirects ...": what comes on a port is a thing, its head before it.
    on_port = re.search(r" (?:on|at|over) port \d+$", subject)
    subject = subject[: on_port.start()] if on_port else subject
    words = subject.split()
    head = words[-1].lower()
    # "works up to 7 metres away", "works between 5 and 40 °C", "works at 24 V": a measure
    # where the object would be, which a verb with no object ("work") has too.
    measured = measured_phrase(rest)
    plain = (
        bool(on_port)
        or words[0].startswith("`")
        or (len(words) > 1 and words[0].lower() in DETERMINERS | POSSESSIVES)
        # "Bluetooth reaches 10 m": a capitalised word acting on a measure is its subject,
        # though the dictionary holds it.
        or (len(words) == 1 and (not english(words[0].strip("`")) or measured))
    )
    if (base in NO_OBJECT and not measured) or not english(base) or not plain or head in NOT_A_HEAD:
        return None
    # "The first 100 rows": a count, no head; "The AquaPure 300": a name and its model number.
    model = len(words) > 1 and head.isdigit() and words[-2][:1].isupper()
    if (head[:1].isdigit() and not model) or not singular(subject):
        return None
    following = rest.split(" ", 1)[0]
    if " of " in subject and (third_person(following) or s_form_base(following) in LASTING):
        return None  # "A pair of AAA batteries lasts ...": the verb follows its plural noun
    # "switches to the 2.4 GHz band if ...", "blinks red when ...": what it does, then when.
    condition = CONDITION.search(rest)
    done = rest[: condition.start()] if condition else ""
    # Not "marks when the object is stored": the clause is its object.
    conditioned = condition and 0 < len(done.split()) <= 6 and not re.search(r"[,;:()]", done)
    return (
        base
        if opens_an_object(rest)
        or MEASURE.match(rest)
        or measured
        or state_before_an_event(rest) is not None
        or conditioned
        or re.match(r"to (?:[A-Z`]|port \d)", rest)  # "redirects to HTTPS": to what, by name
        else None
    )


def measured_phrase(rest: str) -> bool:
    """Whether a verb's rest is a measure alone: a distance ("up to 7 metres away"), a range
    ("between 5 °C and 40 °C") or a value after "at" or "on" ("at 2 A", "on 220 to 240 V")."""
    if DISTANCE.match(rest):
        return True
    if rest.startswith("between "):
        return measure_of(rest.split(" and ", 1)[-1]) is not None
    at = re.match(r"(?:at|on) (?:[-+−~]?\d[\d.,]* to (?=\d))?", rest)
    return bool(at) and measure_of(rest[at.end() :]) is not None


# "if the disk is full", "when they reach 50 MB": the clause that says when a thing is so.
CONDITION = re.compile(r"(?:^|\s)(?:when|whenever|if)\s")
# "restarts after an update", "flashes amber during a firmware update": when a verb acts, the
# sentence's last words, after a state it acts in (not "The agent settings after the upgrade
# are kept", whose verb comes later).
AFTER_AN_EVENT = re.compile(
    r"(?:(?P<state>[a-z]+(?: [a-z]+)?) )?(?:after|before|during) (?:the |an? |each |every )?"
    r"[\w-]+(?: [\w-]+)?"
)


def state_before_an_event(rest: str) -> str | None:
    """The state a verb's words put it in before when it acts ("flashes amber during a firmware
    update" -> "amber"), "" where when comes right after the verb ("restarts after an update"),
    None where no event ends the words or an object comes before it ("restarts the modem")."""
    event = AFTER_AN_EVENT.fullmatch(rest)
    if not event or not event["state"]:
        return "" if event else None
    words = event["state"].split()
    plain = all(english(w) and w not in NOT_A_HEAD | ADVERBS | NOT_A_KIND for w in words)
    # "removes old files before each build": a plural noun is its object, no state.
    plain = plain and not plural_form(words[-1])
    return event["state"] if plain and not opens_an_object(rest) else None


def s_form_base(word: str) -> str:
    """The base an -s form is of, by its spelling: "names" -> "name", "switches" -> "switch",
    "applies" -> "apply", "goes" -> "go"."""
    trimmed = word[:-3] + "y" if word.endswith("ies") else word[:-2]
    esses = word.endswith(("ches", "shes", "sses", "xes", "zes", "oes", "ies"))
    return trimmed if esses else word[:-1]


def opens_an_object(rest: str, nouns: bool = True) -> bool:
    """Whether the words after a verb open its object, past any adverb ("keeps only the last
    three"): a determiner, code or a number, or (with `nouns`) a plural noun ("accept
    requests"). No words open none: "... contain only the LoRA weights" read "weights" as a
    verb whose object, nothing, was asked ("What does the adapters contain only the LoRA
    weight?")."""
    # "indexes up to 1,000 files per minute": a count, however hedged, is an object's.
    words = re.sub(
        r"^(?:up to|at most|at least|no more than|a maximum of) (?=\d)", "", rest
    ).split()
    while words and words[0].lower() in ADVERBS:
        words = words[1:]
    if not words or re.match(r"(?:one|the other|the same|both) ways?\b", " ".join(words).lower()):
        return False  # "Imports run one way": how they run, no object ("What do imports run?")
    # "PDF and Markdown files": two kinds of one noun, which follows the second.
    noun = 3 if len(words) > 3 and words[1] in ("and", "or") else 1
    obj, after = words[0], (words[noun : noun + 1] or [""])[0].lower()
    # "... empty score tables are not": a plural before a verb heads the subject, no object;
    # "... guide covers the locks": a verb's -s form before its own object is no noun.
    heads = after in AUXILIARIES | VERBS or third_person(after) is not None
    verb = third_person(obj) is not None and after not in PREPOSITIONS | PLACES | {""}
    plural = plural_form(obj) and english(obj) and not (heads or verb)
    # "indexes wiki pages": a noun saying which kind before the plural noun it names.
    # A name or an acronym says a kind as well: "PDF files", "Markdown files".
    known = english(obj) or re.fullmatch(r"[A-Z][A-Za-z]+", obj) is not None
    kind = obj.isalpha() and known and not plural_form(obj) and third_person(obj) is None
    kind = kind and obj.lower() not in NOT_A_HEAD | VERBS | ADVERBS | NOT_A_KIND
    # "blocks incoming connections by default": the phrase is the object, then what holds of it.
    beyond = words[noun + 1 :]
    ends = beyond[:1] in ([], ["and"], ["or"]) or beyond == ["by", "default"]
    named = plural_form(after) and english(after) and ends
    plural_noun = nouns and (plural or bool(kind and named))
    return obj.lower() in OBJECT_OPENERS or obj[:1] in "`0123456789" or bool(plural_noun)


def has_past(word: str) -> bool:
    """Whether an English word has a past tense the dictionary knows ("name" -> "named",
    "stop" -> "stopped"), as a verb does and most nouns ("folder", "with") do not."""
    forms = {word + "ed", word + "d", word + word[-1:] + "ed", word[:-1] + "ied"}
    return english(word) and bool(english_dictionary().known(forms))


def past(word: str) -> str | None:
    return IRREGULAR_PAST.get(word) or (regular_base(word) if word.endswith("ed") else None)


def regular_base(word: str) -> str | None:
    """The listed verb (VERBS) a regular -ed form is of, or None."""
    return next((stem for stem in ed_stems(word) if stem in VERBS), None)


def ed_stems(word: str) -> tuple[str, ...]:
    """What a regular -ed form may be of, most likely first: used, kept+ed, applied, stopped."""
    return word[:-1], word[:-2], word[:-3] + "y", word[:-3]


def singular(subject: str) -> bool:
    last = subject.split()[-1]
    return last.startswith("`") or not (last.endswith("s") and not last.endswith(("ss", "us")))
