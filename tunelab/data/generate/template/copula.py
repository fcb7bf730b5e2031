"""The question a sentence whose verb is "is" or "are" answers: what X is ("The default port is
7410"), where ("The loop is in `loop.py`"), whether ("Is IPv6 supported?"), and how, when or by
whom a thing is done ("How often are the logs rotated?", "Who maintains X?")."""

from __future__ import annotations

import re

from tunelab.data.generate.template.capitals import lower_first
from tunelab.data.generate.template.denials import short_tail
from tunelab.data.generate.template.phrases import a_place, done_how, who_did
from tunelab.data.generate.template.subject_and_verb import noun_phrase, participle
from tunelab.data.generate.template.word_classes import (
    ADVERBS,
    DETERMINERS,
    PARTICIPLES,
    PARTICLES,
    PLACES,
    POSSESSIVES,
    regular_base,
)

# "Temporary files ending in `.tmp` and `.partial` are excluded by default": a subject too long
# to ask about whole still says what is so by default.
BY_DEFAULT = re.compile(
    r"^\S.{2,120}? (?:is|are) (\w+ed|" + "|".join(PARTICIPLES) + r") by default$"
)

# A subject naming a default or range and what it is of ("the default log level", "the log
# level's default", "the range of log level"), not "the default" alone.
DEFAULT_OF = re.compile(r"\bdefault \w|\brange of\b|\w+'s (?:default|range)\b", re.IGNORECASE)

# A value's span: "tear_offset ranges from 0 to 30 mm.", "The volume ranges from 1 to 10.", "The
# threads value can be set between 1 and 16."; not "It ranges ..." ("What is the range of it?").
RANGES = re.compile(
    r"^(?!(?:It|They|This|That|These|Those) )"
    r"(?P<subject>`[^`]+`|[a-z][\w-]*|[A-Z][^,;:]{0,40}?) (?:ranges|can be set) "
    r"(?:from \S.* to|between \S.* and) \S"
)


# A measure and the dimension it gives after "is": "1.8 metres long", "about 40 cm wide" (what
# "must be" says is questions.SIZED).
DIMENSION = re.compile(
    r"^(?:about |around |up to |at most |at least )?[-+−~]?\d[\d.,]*\s*[^\W\d]\S*"
    r" (?P<size>long|wide|tall|high|deep|thick|heavy|old)$"
)


def by_default(text: str) -> str | None:
    if m := BY_DEFAULT.match(text):
        return f"What is {m[1]} by default?"
    return None


def copula(subject: str, verb: str, rest: str) -> str | None:
    if subject.lower().startswith("any "):
        return None  # "Any row of the table is ...": what holds of each, no thing to ask about
    # "Using `update(0)` is a way to ...": "What is using `update`?" asks who uses it.
    if re.match(r"\w+ing (?:`|the |an? )", subject):
        return None
    while rest.split(" ", 1)[0].lower() in ADVERBS - {"only"}:  # "is now 15 seconds"
        rest = rest.partition(" ")[2]
    first = rest.split(" ", 1)[0].lower().strip("`") if rest else ""
    # "The loop is in `loop.py`"; not "Differences under 20 points are within the interval".
    if verb in ("is", "are") and first in PLACES and a_place(rest.partition(" ")[2]):
        return f"Where {verb} {subject}?"
    if measure := DIMENSION.match(rest):  # "The power cord is 1.8 metres long": how long it is
        return f"How {measure['size']} {verb} {subject}?"
    if first in DETERMINERS | POSSESSIVES or re.match(r"[-+−~]?\d", first) or rest.startswith("`"):
        return f"What {verb} {subject}?"  # "X is our internal daemon", "X is -20 to 60 °C"
    if " " not in rest and re.search(r"\d", rest):
        return f"What {verb} {subject}?"  # "The default password is k7admin": a value
    if first[:1] in "/~" or re.match(r"\S+[@.]\S*[a-z]", first):  # a path, an address
        return f"What {verb} {subject}?"
    # "The default log level is WARNING", "The default theme is dark": a default said in a word
    # (or a name of two, "Postgres 16") is its value, with no number to tell it (the fact was in
    # no row); "The range of log level is debug to error" a range, from one word to another.
    if (
        DEFAULT_OF.search(subject)
        and (
            len(rest.split()) == 1
            or (len(rest.split()) == 2 and rest[:1].isupper())
            or re.fullmatch(r"[\w-]+ to [\w-]+", rest)
        )
        and first not in STATES | {"not"}
        and not done(first, subject)
    ):
        return f"What {verb} {subject}?"
    # "Windows is not supported", "IPv6 is not supported in version 3.8": what it says no to.
    negated = rest.split(" ", 2)
    if (
        first == "not"
        and len(negated) > 1
        and (negated[1] in PARTICIPLES or (negated[1].endswith("ed") and regular_base(negated[1])))
        and short_tail(negated[2:])
    ):
        return f"{verb.capitalize()} {subject} {' '.join(negated[1:])}?"
    after = rest.split()[1:2]
    if first in ("required", "needed", "used") and after and after[0].lower() in ("to", "for"):
        return f"What {verb} {subject} {first} for?"  # "Python is required to run the installer"
    if first in STATES:  # "Comments are allowed": whether they are, never how
        if not short_tail(rest.split(" ", 1)[1:]):
            return None  # its tail would be asked too (`short_tail`)
        return f"{verb.capitalize()} {subject} {rest}?"
    if first in SWITCHED and rest.split(" ", 1)[1:] == ["by default"]:
        # "The guest network is disabled by default": whether it is on ("What is disabled by
        # default?" asked for the subject the sentence opens with); the answer says no.
        return f"{verb.capitalize()} {subject} enabled by default?"
    if done(first, subject):
        tail = rest.split(" ", 1)[1] if " " in rest else ""
        if not tail:  # "Your configuration is kept": that it is, not how ("How is it kept?")
            return f"{verb.capitalize()} {subject} {first}?"
        return done_question(subject, verb, first, tail)
    return None


def done(word: str, subject: str) -> bool:
    """Whether a word after "is" or "must be" is a participle ("The logs are rotated"): a verb
    no list holds is known by its English stem, said of a subject that is surely a noun phrase
    ("Make sure `None` is converted" is not)."""
    unlisted = participle(word) and noun_phrase(subject)
    return word in PARTICIPLES or (word.endswith("ed") and regular_base(word)) or unlisted


def done_question(subject: str, verb: str, word: str, tail: str) -> str | None:
    """How, where, when or by whom a thing is done, as the words after its participle say ("The
    logs are rotated every week" -> "How often are the logs rotated?"), with "is" or a modal
    ("The filter should be replaced every 6 months" -> "How often should the filter be
    replaced?"); None when the words say none of these."""
    particle, _, after = tail.partition(" ")
    if not (asked := done_how(tail)) and particle in PARTICLES and (asked := done_how(after)):
        word = f"{word} {particle}"  # "switched off before cleaning": when it is switched off
    if not asked:
        return None
    if asked[0] == "Who":  # "X is maintained by @erikrose": "Who maintains X?"
        return who_did(subject, verb, word) if verb in ("is", "are", "was", "were") else None
    be = "" if verb in ("is", "are", "was", "were") else " be"
    return f"{asked[0]} {verb} {subject}{be} {word}{asked[1]}?"


# "The filter cartridge should be replaced every 6 months", "The key must be stored in a vault".
MODAL_PASSIVE = re.compile(
    r"^(?P<subject>[A-Z`][\w`-]*(?: [\w`-]+){0,4}) (?P<modal>must|should|can|will|may) be"
    r" (?P<done>[a-z]+) (?P<tail>\S.*)$"
)


def modal_question(said: re.Match, subject: str) -> str | None:
    """The question of what MODAL_PASSIVE matched, said of `subject` as a question says it; None
    for a subject that leans on what came before ("The same can be achieved via ..."), a state
    ("will be supported indefinitely": how, it does not say) or a "by" that is no one ("can be
    followed by a comment": "How can values be followed?" asks nothing it says)."""
    if said["subject"].lower() in ("the same", "the other", "the former", "the latter"):
        return None
    if said["done"] in STATES or said["tail"].startswith("by ") or not done(said["done"], subject):
        return None
    return done_question(subject, said["modal"], said["done"], said["tail"])


# "Proxies that need NTLM authentication are not supported": a subject with a clause of its own,
# asked whole (the question says every word the denial does, so it asks nothing else).
DENIED = re.compile(
    r"^(?P<subject>[A-Z][\w-]*(?: [\w-]+){0,2} (?:that|which|who) [^,;:()]{3,60}?)"
    r" (?P<verb>is|are) not (?P<state>\w+)$"
)


def denied_state(text: str, context: str, topic: str = "", document: str = "") -> str | None:
    """ "Are proxies that need NTLM authentication supported?" of "Proxies that need NTLM
    authentication are not supported", which the rules for a plain subject leave unasked."""
    if not (m := DENIED.match(text)) or m["state"] not in STATES:
        return None
    return f"{m['verb'].capitalize()} {lower_first(m['subject'], context, topic, document)} {m['state']}?"


# Participles that say a state, asked yes or no as their negation is ("Is IPv6 supported in
# version 3.9?"), never how ("How is IPv6 supported?" asks something the text does not say).
STATES = frozenset("allowed supported permitted accepted".split())
# A state that is on or off, asked as whether it is on.
SWITCHED = frozenset("enabled disabled".split())
