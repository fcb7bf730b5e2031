"""What a step is for and how much of a step or a wait a manual asks for, as the question a
reader asks: what for ("Press POWER to switch the machine on.", "Press 2-CUP for a double
shot."), how often ("Clean the filter every 2 weeks."), how far ("Keep the heater at least 1
metre from walls."), how long ("Hold the WIFI button for 5 seconds until the blue light
blinks.", "... and let it dry for 1 hour.", "The D8 must stand upright for 2 hours before its
first use."), how much ("Use 500 ml of water with one sachet of descaler.")."""

from __future__ import annotations

import re

from tunelab.data.generate.template.capitals import lower_first
from tunelab.data.generate.template.heading_grammar import NOT_VERBS, is_gerund
from tunelab.data.generate.template.heading_words import STEP_VERBS
from tunelab.data.generate.template.phrases import EVERY
from tunelab.data.generate.template.second_person import in_my_words
from tunelab.data.generate.template.sentence_end import full_stop
from tunelab.data.generate.template.titles import undecorated
from tunelab.data.generate.template.word_classes import (
    DISTANCE_UNITS,
    DURATION,
    PLACES,
    PREPOSITIONS,
    english,
    has_past,
)
from tunelab.data.units import units_of

# Words by which a task names what came before it ("To try this out, ..."): no task alone.
BEFORE = frozenset("it this that these those them they here there".split())
# "Press and hold the reset button for 10 seconds to reset the K7.": a step, then what it is for.
# Only after these verbs does "to ..." say what the step is for: "Configure the agent to start at
# boot" says what the agent does, and "How do I start at boot?" asks nothing the text says.
PURPOSE_STEPS = frozenset(
    "press hold click tap select enter run use type edit add remove restart reboot open install"
    " pass call".split()
)
DONE_FOR = re.compile(r" to (?P<task>(?P<verb>[a-z]+)(?: [^,;:]{2,80}?)?)\.?$")
# "Press 2-CUP for a double shot.": a key and the thing it gives (not "for a few seconds").
KEY_FOR = re.compile(
    r"^(?P<verb>Press|Tap|Click|Hold|Select) (?:[A-Z0-9][\w+-]*|`[^`]+`) for "
    r"(?P<thing>(?:an?|the) (?!few |moment|while|second|minute)[^,;:]{3,60}?)\.?$"
)
# Tasks a step does with no object ("Press Enter to continue"): only these, as "Set the dial to
# low" names a value.
DONE_ALONE = frozenset("continue confirm cancel proceed finish exit quit undo save start".split())
# "On the Welcome screen, press Next to continue.": where a step is taken, which a task of one
# word needs to be asked at all ("How do I continue?" is every manual's question).
SCREEN = re.compile(
    r"^(?P<where>(?:On|In|From) (?:the )?[^,]{1,40}? (?:screen|page|dialog|window|menu|tab|wizard"
    r"|panel|pane)), (?P<step>[a-z].+)$"
)

# How often in words without "every": "once a week", "twice a day", "3 times per month".
TIMES_A = r"(?:once|twice|(?:\d+|two|three|four) times) (?:a|an|per|each) (?:day|week|month|year)"
# "Clean the filter every 2 weeks.", "Empty and rinse the tank once a week.": a step (of one verb
# or two) and how often to take it.
EVERY_STEP = re.compile(
    r"^(?P<verb>[A-Z][a-z]+(?: and [a-z]+)?) (?P<what>(?:the|your|a|an|each|all) [^,;:]{1,50}?) "
    r"(?P<every>every .+?|" + TIMES_A + r")\.?$"
)
# "Keep the heater at least 1 metre from walls.": a distance to keep, a safety section's fact.
KEEP_AWAY = re.compile(
    r"^Keep (?P<what>(?:the|your|a|an|all) [^,;:]{1,50}?) (?:(?:at least|no closer than|about) )?"
    rf"\d[\d.,]* ?(?:{DISTANCE_UNITS}|in)\b (?:away )?from "  # "in": inches, before "from"
    r"(?P<away>[^,;:]{1,50}?)\.?$"
)
# "Hold the WIFI button for 5 seconds until the blue light blinks.": a step and how long it lasts
# (what it waits for, or is for, after it).
HELD_FOR = re.compile(
    r"^(?P<verb>[A-Z][a-z]+) (?P<what>(?:the|your|a|an) [^,;:]{1,50}?) for (?:about |at least )?"
    + DURATION.pattern
    + r"(?: (?:until|to|while|before|after) [^,;:]+)?\.?$"
)
# "Rinse the filter under warm water and let it dry for 1 hour.": how long to let a thing be.
LET_IT = re.compile(
    r"^[A-Z][a-z]+ (?P<what>(?:the|your) \w+(?: \w+){0,2}) (?:(?:under|in|with|on|at|from) "
    r"[^,;:]+? )?and let (?:it|them) (?P<act>[a-z]+) for (?:about |at least )?"
    + DURATION.pattern
    + r"\.?$"
)
# "The D8 must stand upright for 2 hours before its first use.": how long a thing must wait.
MUST_FOR = re.compile(
    r"^(?P<subject>(?:The|Your) [^,;:]{1,30}?) (?P<modal>must|should) (?P<verb>[a-z]+)"
    r"(?P<how> [a-z]+)? for (?:about |at least )?" + DURATION.pattern + r"\b"
)

# "Use 500 ml of water with one sachet of descaler.": how much of a thing a step takes, and what
# with (which says what the step is for: "How much water should I use?" is every step's).
AMOUNT_OF = re.compile(
    r"^(?P<verb>Use|Add|Pour|Mix) (?:about |at least |up to )?\d[\d.,]* ?(?:"
    + units_of("volume", "mass")
    + r") of (?P<what>(?!(?:it|them|this|that|each)\b)[a-z][a-z-]*(?: [a-z][a-z-]*){0,2}?)"
    r"(?P<with> (?:with|for|per|in|into) (?!(?:it|them)\b)[^,;:]{3,60}?)?\.?$"
)


def _step_verb(verb: str) -> bool:
    """Whether a word can be a step's verb ("Clean", "Hold"), not a noun or a verb's other form."""
    if verb.endswith(("ing", "ed")) or (verb.endswith("s") and not verb.endswith("ss")):
        return False  # "holds", "held"; "press" and "pass" are a step's own
    return verb in STEP_VERBS or (english(verb) and has_past(verb))


def how_often(sentence: str) -> tuple[str, str] | None:
    """How often a step is taken ("Clean the filter every 2 weeks." -> "How often should I clean
    the filter?"); None for a sentence that is no such step."""
    m = EVERY_STEP.match(sentence)
    times = m and (EVERY.match(m["every"]) or re.fullmatch(TIMES_A, m["every"]))
    if not times or re.search(r"\b(?:it|them)\b", m["what"]):
        return None
    verb = m["verb"].lower()
    if not all(english(v) and has_past(v) and _step_verb(v) for v in verb.split(" and ")):
        return None  # "Backups every 2 weeks ...", "Daily ...": no step's verb
    what = in_my_words(m["what"])
    return f"How often should I {verb} {what}?", full_stop(sentence)


def how_far(sentence: str) -> tuple[str, str] | None:
    """How far away a thing is kept ("Keep the heater at least 1 metre from walls." -> "How far
    from walls should I keep the heater?"); None for a sentence that is no such step."""
    if not (m := KEEP_AWAY.match(sentence)) or re.search(r"\b(?:it|them)\b", m["what"]):
        return None
    what = in_my_words(m["what"])
    return f"How far from {m['away']} should I keep {what}?", full_stop(sentence)


def how_long(sentence: str, *said_in: str) -> tuple[str, str] | None:
    """How long a step lasts or a wait is ("Hold the WIFI button for 5 seconds until ..." ->
    "How long should I hold the WIFI button?"); None for a sentence that is no such step."""
    answer = full_stop(sentence)
    if (m := HELD_FOR.match(sentence)) and _step_verb(m["verb"].lower()):
        if not re.search(r"\b(?:it|them)\b", m["what"]):
            what = in_my_words(m["what"])
            return f"How long should I {m['verb'].lower()} {what}?", answer
    if (m := LET_IT.match(sentence)) and english(m["act"]) and not m["act"].endswith("s"):
        what = in_my_words(m["what"])
        return f"How long should I let {what} {m['act']}?", answer
    m = MUST_FOR.match(sentence)
    if not m or m["verb"].endswith(("s", "ed", "ing")) or not english(m["verb"]):
        return None
    how = m["how"] or ""
    if how.strip() in PREPOSITIONS | PLACES or re.search(r"\b(?:it|they)\b", m["subject"], re.I):
        return None
    subject = in_my_words(lower_first(m["subject"], *said_in))
    return f"How long {m['modal']} {subject} {m['verb']}{how}?", answer


def how_much(sentence: str) -> tuple[str, str] | None:
    """How much of a thing a step takes ("Use 500 ml of water with one sachet of descaler." ->
    "How much water should I use with one sachet of descaler?"); None for another sentence."""
    if not (m := AMOUNT_OF.match(sentence)):
        return None
    asked = f"How much {m['what']} should I {m['verb'].lower()}{m['with'] or ''}?"
    return asked, full_stop(sentence)


def done_for(sentence: str, product: str | None = None) -> tuple[str, str] | None:
    """The task a step closing with its purpose does, and the step ("Press and hold the reset
    button for 10 seconds to reset the K7." -> "How do I reset the K7?"); a task of one word
    asked where the step is taken ("How do I continue on the Welcome screen?") or in the
    `product` the document names, else not at all. None for a step whose "to ..." is a value or
    a place ("Add the key to the file"), says what its object does ("Configure the agent to
    start at boot") or leans on what came before ("... to stop it")."""
    screen = SCREEN.match(sentence)
    # What follows a semicolon is said of the step done ("...; the light blinks while it heats")
    step = (screen["step"] if screen else sentence).split("; ")[0]
    if step.split(" ", 1)[0].lower() not in PURPOSE_STEPS:
        return None
    if key := KEY_FOR.match(step):
        return f"What do I {key['verb'].lower()} for {key['thing']}?", full_stop(sentence)
    for m in DONE_FOR.finditer(step):
        verb = m["verb"]
        if verb in NOT_VERBS or not (verb in STEP_VERBS or has_past(verb)):
            continue  # "to the file", "to factory settings"
        if " " not in m["task"] and verb not in DONE_ALONE:
            continue  # "Set the dial to low"
        if re.fullmatch(r"[a-z]+ \d[\d.]*", m["task"]):
            continue  # "... porcelain to cone 10": a value, no task ("How do I cone 10?")
        if BEFORE & set(m["task"].split()) or re.search(r"\b(?:it|them)\b", m["task"]):
            return None
        task = in_my_words(m["task"])
        if " " not in task:
            named = product and not english(product)  # "in Tunelab", not "in Configuration"
            where = lower_first(screen["where"], sentence) if screen else named and f"in {product}"
            if not where:
                return None
            task = f"{task} {where}"
        return f"How do I {task}?", full_stop(sentence)
    return None


# "Set the address with the notify_email key.": the key, option or flag a step sets a thing with.
SET_WITH = re.compile(
    r"^(?P<verb>Set|Change|Choose|Select|Pick|Adjust) (?P<what>(?:the|your) [^,;:`]{1,40}?) "
    r"(?:with|in|using|through|via) (?:the )?(?P<name>`[^`]+`|[\w.-]+) "
    r"(?P<kind>key|option|setting|flag|field|variable|parameter)\.?$"
)


def set_with(sentence: str) -> tuple[str, str] | None:
    """Which key a step sets a thing with ("Set the address with the notify_email key." ->
    "Which key sets the address?"); None for a sentence of another form."""
    if not (m := SET_WITH.match(sentence)) or re.search(r"\b(?:it|them)\b", m["what"]):
        return None
    return f"Which {m['kind']} {m['verb'].lower()}s {in_my_words(m['what'])}?", full_stop(sentence)


# "Stop when the jug is too hot to touch, at about 65 °C.": when a task a heading names ends.
STOP_WHEN = re.compile(r"^(?:Stop|Finish) (?:when|once|as soon as) (?P<case>[^;:]+?)\.?$")


def when_to_stop(sentence: str, heading: str, *said_in: str) -> tuple[str, str] | None:
    """When to stop the task the section's heading names by its gerund ("Stop when the jug is too
    hot to touch, at about 65 °C." under "Frothing milk" -> "When should I stop frothing
    milk?"); None for a sentence of another form, or under a heading that names no task."""
    if not STOP_WHEN.match(sentence):
        return None
    # "Frothing milk (optional) 🥛" asks of frothing milk, as heading_question reads it.
    heading = re.sub(r"\s*\([^()]*\)$", "", undecorated(heading).strip())
    words = heading.split()
    if not words or not is_gerund(words[0].lower()):
        return None
    task = in_my_words(lower_first(heading, *said_in))
    return f"When should I stop {task}?", full_stop(sentence)
