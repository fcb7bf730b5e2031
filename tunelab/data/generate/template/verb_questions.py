"""What the words after a verb ask, for `sentence_question`: when ("expires after 10 minutes"),
how long ("takes about 3 hours", "charges in 2 hours"), how often ("every 60 seconds"), which
port ("listens on port 7410"), at what measure ("spins at 3000 rpm"), where, how, or what; and
the same of a verb with its particle ("The fan shuts off at 40 °C")."""

from __future__ import annotations

import re

from tunelab.data.generate.rates import SPEED
from tunelab.data.generate.template.phrases import (
    AT_A_TIME,
    EVERY,
    EVERY_SO_OFTEN,
    FOR_A_WHILE,
    IN_A_MANNER,
    a_place,
    threshold,
)
from tunelab.data.generate.template.second_person import in_my_words
from tunelab.data.generate.template.subject_and_verb import BARE_OBJECTS, named
from tunelab.data.generate.template.word_classes import (
    ADVERBS,
    AT_A_RATE,
    AUXILIARIES,
    CONDITION,
    DETERMINERS,
    DISTANCE,
    DURATION,
    PARTICLES,
    PLACES,
    POSSESSIVES,
    PREPOSITIONS,
    VERBS,
    WORD,
    english,
    has_past,
    measure_of,
    opens_an_object,
    plural_form,
    s_form_base,
    singular,
    state_before_an_event,
    third_person,
)
from tunelab.data.units import CURRENCIES, CURRENCY_PARTS

# What a verb and its particle are asked without an object: when, how long or at what measure
# they act ("The fan shuts off at 40 °C"), never what ("What does the pump turn off?").
MEASURED = (
    *("When ", "How long ", "How soon ", "How often ", "How fast "),
    *("At what ", "At how many ", "To what "),
)
# Words after a particle that open no object: what follows says when, how long or how much.
NOT_AFTER_A_PARTICLE = PREPOSITIONS | PLACES | {"when", "whenever", "if", "once"}
# Particles that are never a preposition before an object: "backs up the database" (what it
# backs up), where "runs on Windows" is where it runs.
ONLY_PARTICLES = PARTICLES - {"on", "over"}
# Verbs a state follows as a particle does: "The screen goes dark after 20 seconds".
BECOMING = frozenset("go turn stay become fall".split())
# Verbs whose "on" is a particle before its object, as "off" is: "The agent turns on
# compression" says what it turns on ("Where does the agent turn?" read "on" as a place).
SWITCHED = frozenset("turn switch".split())


def particle_question(subject: str, word: str, after: str) -> str | None:
    """The question a verb and its particle answer ("The unit powers down after 10 minutes" ->
    "When does the unit power down?", "The script backs up the database" -> "What does the
    script back up?"), "" where they ask none ("The pump turns off."); None where the word after
    the verb is no particle ("runs on Windows", "runs on every push", "moves up to 3,000 litres")."""
    particle, _, rest = after.partition(" ")
    particle, opener = particle.lower(), rest.split(" ", 1)[0].lower()
    base = s_form_base(word)
    alone = not rest or opener in NOT_AFTER_A_PARTICLE or _manner(opener) or EVERY.match(rest)
    switched = base in SWITCHED and particle in ("on", "off") and not alone
    done_to = switched or (particle in ONLY_PARTICLES and opens_an_object(rest))
    # "goes dark after 20 seconds", "turns green when ...": a state, said as a particle is.
    state = s_form_base(word) in BECOMING and english(particle) and bool(rest)
    state = state and particle.isalpha() and particle not in NOT_AFTER_A_PARTICLE | DETERMINERS
    if not (particle in PARTICLES or state) or not (alone or done_to):
        return None
    rate = any(at.match(rest) for at in AT_A_RATE.values())
    at_most = re.match(r"to [-+−~]?\d", rest) or DURATION.match(rest[3:])
    if particle == "up" and rest.startswith("to ") and at_most and not rate:
        return None  # "moves up to 3,000 litres per hour", "takes up to two weeks": at most
    plain = named(subject) or " " not in subject  # "The fan", "Pairing"
    one = singular(subject) and not re.search(r"\b(?:and|or)\b|ly$", subject)  # "X and Y now"
    if not (re.fullmatch(r"[a-z]+s", word) and english(base) and one and plain):
        return None
    rest = re.split(r",| and | but ", rest)[0]  # "and restarts when it cools": a second verb's
    asked = verb_question(subject, "does", f"{base} {particle}", rest) or ""
    if re.search(r"\d", asked.replace(subject, "")):
        return ""  # "When does the history go back to 2007?" asks with its answer
    return asked if asked.startswith(MEASURED) or done_to else ""


# Questions that ask for a measure.
MEASURES = ("How much ", "How many ", "How long ", "How fast ", "How far", "How often ", "At what ")


def _measure_when(
    subject: str, aux: str, base: str, done: str, condition: str, never: bool
) -> str | None:
    """The measure a verb's object states, asked with the condition it holds under ("The
    battery stores 5000 mAh of charge when full" -> "How much charge does the battery store when
    full?", where "When does the battery store 5000 mAh of charge?" asked with its answer); None
    where the condition states a number too, or the object is no measure ("switches to the 2.4
    GHz band if ...": when it does)."""
    condition = in_my_words(condition.strip(" ."))
    if not re.search(r"\d", done) or re.search(r"\d", condition):
        return None
    asked = verb_question(subject, aux, base, done, never)
    if not asked or not asked.startswith(MEASURES):
        return None  # "exits with code 3 when ...": a code, no measure ("How does it exit?")
    return f"{asked[:-1]} {condition}?"


# "on port 502", after up to four words of what is done on it ("speaks Modbus TCP on port 502").
PORT = re.compile(
    r"(?:(?P<what>[\w`.-]+(?: [\w`.-]+){0,3}) )?(?P<on>on|at|to|over) port \d+\b(?P<after>.*)",
    re.IGNORECASE,
)


def without_hedge(words: str) -> str:
    """Words after a verb without the hedge before their number: "about 3 hours" -> "3 hours"."""
    hedges = r"about|around|roughly|approximately|up to|under|less than|~"
    return re.sub(rf"^(?:{hedges})\s*", "", words.lower())


# A count of things as a verb's object: "600 requests per minute", "at most 12 terms", "64
# connected devices" (not a measure, "1 GB", nor a span of time, which are asked how much and
# how long; nor "5 of the rows", nor "6 yes/no rows", whose "yes" is no plural).
COUNTED = re.compile(
    r"(?:(?:at most|at least|up to|no more than|a maximum of) )?\d[\d,]* "
    r"(?P<things>(?:(?!(?:of|the|an?|and|or|per|in|on|to|for|from|at|by|with|than)\b)[a-z]+ ){0,2}"
    r"[a-z]{2,}s)\b(?![/-])(?P<per> per [a-z]+)?"
)


# A price as a verb's object: "$189", "189 dollars", "4 EUR per month", "12 euros a year".
# (The currencies with a symbol: by it, their name or their code; "pounds" read as money here.)
_PRICED = [c for c in CURRENCIES if c.symbol]
_PRICE_WORDS = [w + "s?" for w in [c.name for c in _PRICED] + list(CURRENCY_PARTS)]
_PRICE_CODES = [c.code.lower() for c in _PRICED]
_PRICE_SAID = "|".join(_PRICE_WORDS + _PRICE_CODES)
PRICE = re.compile(
    rf"(?:[{''.join(c.symbol for c in _PRICED)}]\s?\d[\d,.]*|\d[\d,.]*\s?(?:{_PRICE_SAID})\b)"
    r"(?P<per> (?:per|a|an|each) [a-z]+)?"
)


def _versions_named(rest: str) -> list[str]:
    """The name of each version in a list opening `rest` ("Windows 10, Windows 11 and macOS 13"
    -> Windows, Windows, macOS): "What Windows version ...?" asked of one named a list of three."""
    names, at = [], 0
    while version := VERSION.match(rest, at):
        names.append(version["name"])
        more = re.match(r"\s*(?:,\s*(?:and |or )?|\s(?:and|or)\s+)", rest[version.end() :])
        if not more:
            break
        at = version.end() + more.end()
    return names


# Verbs whose object can be a version of a thing: "requires Python 3.10 or later", "macOS 13".
NEEDING = frozenset("require need support".split())
VERSION = re.compile(
    r"(?P<name>[A-Z][\w.+-]*|[a-z]+[A-Z][\w.+-]*) v?\d+(?:\.\d+)*\+?(?: or (?:later|newer|higher))?\b"
)
# More versions after the first: "Python 2.7 and 3.3+", "Python 3.8, 3.9 and 3.10".
MORE_VERSIONS = re.compile(r"(?:,|,? and) v?\d+(?:\.\d+)*\+?(?!\w)")
# An amount of something measured as a verb's object: "draws 12 W", "weighs 450 g", "needs at
# least 8 GB of RAM", "200 MB of free disk space", "holds 4.5 litres of water" (of a thing not
# counted: "holds at most 1 GB of events" asks how much).
POWER = frozenset("W kW mW watts".split())
QUANTITY = re.compile(
    r"(?:(?:about|around|roughly|approximately|up to|at most|at least|under|less than) )?~?"
    r"\d[\d.,]*\s?(?P<unit>W|kW|mW|watts|g|kg|mg|lbs?|oz|KB|MB|GB|TB|KiB|MiB|GiB|TiB|mAh|Wh|kWh"
    r"|L|mL|ml|litres?|liters?|gallons?)"
    r"\b(?: of (?P<what>[A-Z]{2,}|[A-Za-z][a-z-]*)\b(?P<more>(?: [a-z][a-z-]*){0,3}))?"
)
# Words that end the name of what a measure is of: "10 GB of space on the disk", "of data per
# day", "of memory while idle", "of space left".
NOT_MEASURED = (
    PLACES
    | PREPOSITIONS
    | ADVERBS
    | AUXILIARIES
    | frozenset(
        "per each every and or but so than that which who when if while unless because during"
        " available left remaining".split()
    )
)
# Verbs that put or keep a thing in a place, which is their fact: "Keepsafe stores the key in the
# system keyring" asks where ("What does Keepsafe store?" asks for the key its question names).
PUTTING = frozenset(
    "store keep save write put place install copy move cache hold log record show display".split()
)
PRONOUNS = frozenset("it them this these those something everything".split())
OBJECT_THEN_PLACE = re.compile(
    r"(?P<object>[^,;:()]+?) (?:in|on|at|under|inside|within|into|to) (?P<place>.+)$"
)
WHEN_SAID = re.compile(r"\b(?:during|when|whenever|while|after|before|if|once|until)\b")
# What a step reads or writes, which takes no time itself ("The data takes 1 ms" of a step).
MATERIAL = frozenset("data text content information input output".split())
# Verbs whose "in 5 minutes" is when they happen, not how long they take.
ONSET = frozenset("start begin open close end stop expire arrive launch happen".split())


def _put_somewhere(rest: str) -> str | None:
    """The object of a verb that puts it in a place the words after it name ("the key" of "the
    key in the system keyring", "each deleted note" of "each deleted note to the trash folder");
    None where no place follows ("the key in plain text", "the vault at startup")."""
    m = OBJECT_THEN_PLACE.match(rest)
    if not m or not a_place(m["place"]) or AT_A_TIME.match(m["place"]):
        return None
    words = m["object"].lower().split()
    if len(words) > 6 or {"that", "which", "who"} & set(words):
        return None  # "the files that it finds in ...": a clause, not the thing put there
    # "backups", "old log files": a plain noun phrase; not "them" (what, the text before says),
    # "running" or "only".
    plain = len(words) <= 3 and all(w.isalpha() for w in words) and not words[0].endswith("ing")
    if words[0] not in DETERMINERS | POSSESSIVES and not (
        plain and words[0] not in ADVERBS | PRONOUNS
    ):
        return None
    return in_my_words(m["object"])


def _measured(quantity: re.Match) -> str:
    """What a measure is of, as a question asks how much of it ("free disk space" of "200 MB of
    free disk space on the data volume"); "" for one of a thing ("1 GB of the cache"), a count's
    plural ("1 GB of events") or none said."""
    if not quantity["what"]:
        return ""
    words = [quantity["what"], *quantity["more"].split()]
    if words[0].lower() in DETERMINERS | POSSESSIVES | NOT_MEASURED:
        return ""
    what = words[: next((i for i, w in enumerate(words) if w in NOT_MEASURED), len(words))]
    return "" if plural_form(what[-1]) else " ".join(what)


def _manner(word: str) -> bool:
    """A word after a verb that says how it is done ("charges fully"), not how often ("daily")."""
    return word.endswith("ly") and word not in ADVERBS | EVERY_SO_OFTEN | {"only", "early"}


# Verbs whose object can be a "when" clause: "limits when", "decides when", "shows when".
SAY_WHEN = frozenset("limit decide choose control set show tell say report check record".split())
# Verbs whose "if" right after them (or after whom they ask) is "whether": "checks if the file
# exists" says what is checked, not when.
FINDING_OUT = frozenset("ask check decide detect determine find know see test verify".split())
_ASKED = frozenset({"", "you", "me", "us", "them", "the user"})


def verb_question(subject: str, aux: str, base: str, rest: str, never: bool = False) -> str | None:
    if rest.split(" ", 1)[0] in BARE_OBJECTS.get(base, ()):
        # "take effect after a restart": when the verb and its noun act, nothing else ("What do
        # changes take effect?", "Where do backups take place?" of "at night").
        noun, _, rest = rest.partition(" ")
        asked = verb_question(subject, aux, f"{base} {noun}", rest, never)
        return asked if asked and asked.startswith(("When ", "How often ", "How soon ")) else None
    # "The agent never uploads files larger than 20 GB": what it never does, not what it does.
    said = f"never {base}" if never else base
    # "The agent stops if the disk is full": when it does, not "What does the agent stop?"
    if (condition := CONDITION.search(rest)) and not never:
        done = rest[: condition.start()].strip()
        # "A schedule limits when the agent uploads": the "when" clause is what it limits.
        said_when = not done and base in SAY_WHEN and condition[0].strip() == "when"
        whether = condition[0].strip() == "if" and base in FINDING_OUT and done.lower() in _ASKED
        # "reads the card: it says so when it starts": the "when" is another clause's.
        one_clause = not re.search(r"[,:;]", done)
        if not said_when and len(done.split()) <= 6 and one_clause and not whether:
            # "stores 5000 mAh of charge when full": the measure, asked with its condition
            measured = _measure_when(subject, aux, base, done, rest[condition.start() :], never)
            if measured:
                return measured
            # "compacts the index when it grows beyond 2 GB": at what size, not when
            asked = threshold(rest[condition.start() :]) or "When"
            return f"{asked} {aux} {subject} {said}{' ' + done if done else ''}?"
    # "Ferrylog listens on port 7410 by default", "The K7 speaks Modbus TCP on port 502": which
    # port, not where it listens nor what it speaks; "uses port 443": which port it uses.
    if used := re.match(r"port \d+\b(?P<purpose> for [^,;:]{1,40})?", rest, re.IGNORECASE):
        return (
            f"Which port {aux} {subject} {said}{used['purpose'] or ''}?"  # "... for raw printing"
        )
    if port := PORT.match(rest):
        default = " by default" if "by default" in port["after"] else ""
        what = f" {port['what']}" if port["what"] else ""
        return f"Which port {aux} {subject} {said}{what} {port['on'].lower()}{default}?"
    roughly = without_hedge(rest)
    if base == "take" and (span := DURATION.match(roughly)):  # "takes about 3 hours"
        # "takes about 10 minutes to reindex the wiki": how long it takes to do that.
        done = rest[len(rest) - len(roughly) + span.end() :].strip(" .")
        task = re.fullmatch(r"to ([a-z]+)\b[^,;:]{0,60}", done)
        to_do = f" {done}" if task and task[1] not in DETERMINERS | POSSESSIVES else ""
        if not to_do and subject.lower().split()[-1] in MATERIAL:
            return None  # "The data takes 1 ms": data takes no time, a step's part with it does
        return f"How long {aux} {subject} {said}{to_do}?"
    if (every := EVERY.search(rest)) and len(rest[: every.start()].split()) <= 5:
        # "The agent checks the schedule every 60 seconds", "takes a snapshot of the index every
        # night": how often, of what
        what = rest[: every.start()].strip()
        return f"How often {aux} {subject} {said}{' ' + what if what else ''}?"
    if far := DISTANCE.match(rest):  # "The remote works up to 7 metres away": how far
        return f"How far{far['away'] or ''} {aux} {subject} {said}?"
    if base == "cost" and (price := PRICE.match(roughly)):
        # "costs 4 dollars per month": how much, per month ("How many dollars per month ...?")
        return f"How much {aux} {subject} {said}{price['per'] or ''}?"
    if (counted := COUNTED.match(rest)) and not DURATION.match(without_hedge(rest)):
        # "allows 600 requests per minute", "may contain at most 12 terms": how many, of what
        return f"How many {counted['things']}{counted['per'] or ''} {aux} {subject} {said}?"
    if base in NEEDING and (version := VERSION.match(rest)):
        # "requires Python 3.10 or later": which version ("What does it require?" is every
        # requirement's question, and its "Requirements" heading asks it); "supports Python 2.7
        # and 3.3+": which versions
        names = _versions_named(rest)
        more = "s" if len(names) > 1 or MORE_VERSIONS.match(rest[version.end() :]) else ""
        return f"What {' and '.join(dict.fromkeys(names))} version{more} {aux} {subject} {said}?"
    if quantity := QUANTITY.match(rest):  # "draws 12 W", "weighs 450 g": how much, not what
        what = _measured(quantity) or ("power" if quantity["unit"] in POWER else "")
        return f"How much {what + ' ' if what else ''}{aux} {subject} {said}?"
    if base == "default":  # "`--retries` defaults to 3"; "Overriding defaults via ..." no verb
        return f"What {aux} {subject} default to?" if rest.lower().startswith("to ") else None
    # "ran ~12% faster", "ran slow for all three": how fast, no object; "spins faster during a
    # firmware update" says when it does (below).
    if SPEED.match(rest) and not WHEN_SAID.search(rest):
        return f"How fast {aux} {subject} {said}?"
    if measure := measure_of(rest):  # "can reach 60 °C": what temperature, not what
        asked = "How fast" if measure == "speed" else f"What {measure}"  # "travels 2 km/h"
        return f"{asked} {aux} {subject} {said}?"
    words = rest.lower().split()
    if base == "run" and words[:1] == ["into"]:  # "ran into a stale call": what it met, no place
        return f"What {aux} {subject} {said} into?"
    # "runs only on ...", "charges fully in 2 hours": the phrase after the verb's adverbs.
    at = next((i for i, w in enumerate(words) if w not in ADVERBS and not _manner(w)), len(words))
    head = words[at] if at < len(words) else ""
    phrase = " ".join(words[at:])  # "on each request"
    beyond = phrase.partition(" ")[2]
    if head in ("in", "within") and DURATION.match(without_hedge(beyond)):
        # "charges fully in 2 hours", "starts up in under 2 seconds": how long it takes; "starts in
        # 5 minutes" is when it starts.
        onset = base.split()[0] in ONSET and DURATION.match(beyond)
        if aux in ("does", "do", "did") and not never and not onset:
            how = "".join(f" {w}" for w in words[:at] if _manner(w))
            return f"How long {aux} {subject} take to {said}{how}?"
        return f"How soon {aux} {subject} {said}?"  # "can answer within 4 business hours"
    if head in ("after", "before", "during"):
        return f"When {aux} {subject} {said}?"  # "expires after 10 minutes", "runs before a merge"
    if state := state_before_an_event(phrase):  # "flashes amber during a firmware update"
        return f"When {aux} {subject} {said} {state}?"
    if head == "until" or FOR_A_WHILE.match(phrase):
        return f"How long {aux} {subject} {said}?"  # "runs until the queue is empty"
    if head == "at" and beyond.split(" ", 1)[0] in ("most", "least"):
        return f"How much {aux} {subject} {said}?"  # "holds at most 1 GB": no place
    if rate := next((asked for asked, at in AT_A_RATE.items() if at.match(phrase)), None):
        asked = rate if rate.startswith("How") else f"{head.capitalize()} {rate}"
        return f"{asked} {aux} {subject} {said}?"  # "spins at 3000 rpm": how fast
    # "operates between 5 °C and 40 °C": in what range, named by its upper end's unit.
    if head == "between" and (measure := measure_of(rest.split(" and ", 1)[-1])):
        return f"In what {measure} range {aux} {subject} {said}?"
    upper = re.sub(r"^[-+−~]?\d[\d.,]* to (?=\d)", "", rest.split(" ", at + 1)[-1])  # "on 1 to 2 V"
    if head in ("at", "on") and (measure := measure_of(upper)):
        return f"At what {measure} {aux} {subject} {said}?"  # "runs at 24 V", "on 220 to 240 V"
    if head in ("at", "on") and re.match(r"[-+−~]?\d[\d,]*(?:\.\d+)?(?:\s|$)", beyond):
        return None  # "runs at 3 steps": a measure no rule knows the question of, and no place
    if head in ("at", "on") and AT_A_TIME.match(beyond):
        return f"When {aux} {subject} {said}?"  # "runs on each request", "starts at boot"
    if IN_A_MANNER.match(phrase):
        return f"How {aux} {subject} {said}?"  # "pads in batches": no place
    if head == "in" and (mode := re.match(r"(?:\S+ ){1,2}(mode|state)\b", beyond)):
        return f"In what {mode[1]} {aux} {subject} {said}?"  # "starts in Auto mode": no place
    if head in PLACES:
        return f"Where {aux} {subject} {said}?"
    if head == "without":  # "runs without root": whether it does ("What does it run?" was asked)
        lacking = re.split(r" (?:and|but|so|or) |[,;:]", rest[rest.lower().index("without") :])[0]
        short = len(lacking.split()) <= 5 and aux in ("does", "do", "did") and not never
        return f"{aux.capitalize()} {subject} {said} {lacking.rstrip('.')}?" if short else None
    if head == "for" or (head == "to" and beyond.split(" ", 1)[0] in VERBS | {"be", "have"}):
        return None  # "allows for ...", "needs to be passed": no how (ASKED_WITH asks some)
    if head == "to":  # "changed to 8443": to what ("How did the port change?" asks none)
        verb = re.sub(r"\W", "", beyond.split(" ", 1)[0])  # "needs to mention:": its own verb
        return None if verb in VERBS or has_past(verb) else f"What {aux} {subject} {said} to?"
    if head in PREPOSITIONS:
        return f"How {aux} {subject} {said}?"
    if head in ("it", "them", "sure", "possible"):  # "makes it easy": what it does
        return f"What {aux} {subject} {'never ' if never else ''}do?"
    if base in PUTTING and not never and (put := _put_somewhere(rest)):
        return f"Where {aux} {subject} {said} {put}?"  # "stores the key in the system keyring"
    # Several verbs in a row ("asks ..., finetunes ... and scores ..."): what it does overall;
    # not those of a clause it checks or says ("checks that the fact is said, ... gets through").
    clause = head == "that" and beyond.split(" ", 1)[0] in DETERMINERS | POSSESSIVES | {"it"}
    if not clause and len([w for w in WORD.findall(rest) if third_person(w.lower())]) >= 2:
        return f"What {aux} {subject} {'never ' if never else ''}do?"
    # "blocks incoming connections by default": what it does unless told otherwise.
    default = " by default" if re.search(r"\bby default$", rest) else ""
    return f"What {aux} {subject} {said}{default}?"
