"""How much of a step or a wait a manual asks for, as the question a reader asks: how often
("Clean the filter every 2 weeks."), how far ("Keep the heater at least 1 metre from walls."),
how long ("Hold the WIFI button for 5 seconds until the blue light blinks.", "... and let it dry
for 1 hour.", "The D8 must stand upright for 2 hours before its first use.")."""

from __future__ import annotations

import re

from tunelab.data.generate.capitals import lower_first
from tunelab.data.generate.heading_words import STEP_VERBS
from tunelab.data.generate.phrases import EVERY
from tunelab.data.generate.word_classes import (
    DISTANCE_UNITS,
    DURATION,
    PLACES,
    PREPOSITIONS,
    english,
    has_past,
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


def _step_verb(verb: str) -> bool:
    """Whether a word can be a step's verb ("Clean", "Hold"), not a noun or a verb's other form."""
    if verb.endswith(("s", "ing", "ed")):
        return False
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
    what = re.sub(r"\byour\b", "my", m["what"])
    return f"How often should I {verb} {what}?", sentence.rstrip(".") + "."


def how_far(sentence: str) -> tuple[str, str] | None:
    """How far away a thing is kept ("Keep the heater at least 1 metre from walls." -> "How far
    from walls should I keep the heater?"); None for a sentence that is no such step."""
    if not (m := KEEP_AWAY.match(sentence)) or re.search(r"\b(?:it|them)\b", m["what"]):
        return None
    what = re.sub(r"\byour\b", "my", m["what"])
    return f"How far from {m['away']} should I keep {what}?", sentence.rstrip(".") + "."


def how_long(sentence: str, *said_in: str) -> tuple[str, str] | None:
    """How long a step lasts or a wait is ("Hold the WIFI button for 5 seconds until ..." ->
    "How long should I hold the WIFI button?"); None for a sentence that is no such step."""
    answer = sentence.rstrip(".") + "."
    if (m := HELD_FOR.match(sentence)) and _step_verb(m["verb"].lower()):
        if not re.search(r"\b(?:it|them)\b", m["what"]):
            what = re.sub(r"\byour\b", "my", m["what"])
            return f"How long should I {m['verb'].lower()} {what}?", answer
    if (m := LET_IT.match(sentence)) and english(m["act"]) and not m["act"].endswith("s"):
        what = re.sub(r"\byour\b", "my", m["what"])
        return f"How long should I let {what} {m['act']}?", answer
    m = MUST_FOR.match(sentence)
    if not m or m["verb"].endswith(("s", "ed", "ing")) or not english(m["verb"]):
        return None
    how = m["how"] or ""
    if how.strip() in PREPOSITIONS | PLACES or re.search(r"\b(?:it|they)\b", m["subject"], re.I):
        return None
    subject = re.sub(r"^(?:Your|your)\b", "my", lower_first(m["subject"], *said_in))
    return f"How long {m['modal']} {subject} {m['verb']}{how}?", answer
