"""What the words after a verb say, as the question word that asks for them: a span of time
("for 14 days": how long), how often ("every week"), when ("at startup", "if the disk is
full"), at what measure ("when they reach 50 MB": at what size), where ("in memory", "to
`/var/log`"), how ("with gzip", "in batches"), and who ("by @erikrose": "Who maintains X?", not
"How is X maintained?"); and the phrase a sentence opens with before its subject ("On
Windows, ...": where the rest holds, which its question says last)."""

from __future__ import annotations

import re

from tunelab.data.generate.template.subject_and_verb import english_stem
from tunelab.data.generate.template.word_classes import (
    CONDITION,
    DETERMINERS,
    DURATION,
    PLACES,
    PREPOSITIONS,
    VERBS,
    measure_of,
)

# How often: "every 60 seconds", "every day", "every week", "every night", "every Sunday", and
# in what a thing wears by: "every 25 km", "every 500 labels" (not "every 2 of the rows").
EVERY_COUNT = r"|\d[\d.,]*\s?(?!of\b)[^\W\d_]+"
EVERY = re.compile(
    r"\bevery\s+(?:" + DURATION.pattern + EVERY_COUNT + r"|(?:second|minute|hour|day|night"
    r"|morning|evening|week|month|year|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)\b)"
)
# Words that say how often on their own: "The logs are rotated weekly".
EVERY_SO_OFTEN = frozenset("daily nightly hourly weekly monthly yearly".split())
# "for 10 seconds", "for a day": how long, not what for.
FOR_A_WHILE = re.compile(r"for\s+(?:about\s+|up to\s+)?" + DURATION.pattern, re.IGNORECASE)
# "to `/var/log/ferrylog.log`", "in ~/backups": a place on disk a thing is put.
TO_A_PATH = re.compile(r"(?:to|in|into|under|at)\s+`?[/~]")
# "set to level 3 at the factory": the value a thing is given before a user changes it.
FACTORY = re.compile(r"to (?!the\b)\S.{0,40}? (?P<when>at the factory|by default)$")


def done_how(tail: str) -> tuple[str, str] | None:
    """What the words after "X is <done>" say, as the question word that asks for them (and any
    word the question ends with: "Where is it read from?"); None when they say none of these.
    "The account is deleted after 30 days" asked "How is the account deleted?": how the text
    never says, only when."""
    lower = tail.lower()
    if re.match(r"only (?:when|if|after|before|once)\b", lower):  # "downloaded only when idle"
        lower = lower[len("only ") :]
    prep, _, rest = lower.partition(" ")
    if prep == "for" and DURATION.match(rest):
        return "How long", ""  # "Logs are kept for 14 days"
    if prep in ("for", "to", "at") and (measure := measure_of(tail.partition(" ")[2])):
        return f"What {measure}", f" {prep}"  # "The roller is rated for 50 km"
    if EVERY.search(tail) or EVERY_STEPS.match(lower) or prep in EVERY_SO_OFTEN:
        return "How often", ""  # "... are rotated every week"
    if prep in ("in", "within") and DURATION.match(rest):
        return "How soon", ""  # "... is answered within 4 business hours"
    if prep == "into" and re.match(r"[~-]?\d", rest):
        return "How", ""  # "Logs are split into 10 MB files": pieces, no place ("Where ...?")
    purpose = prep == "to" and rest.split(" ", 1)[0] in VERBS  # "to include more files"
    if TO_A_PATH.match(tail) or (prep in PLACES | {"to", "from"} and a_place(rest) and not purpose):
        return "Where", " from" if prep == "from" else ""  # "The cache is kept in memory"
    if factory := FACTORY.match(lower):  # "What is water hardness set to at the factory?"
        return "What", f" to {factory['when']}"
    if CONDITION.match(" " + lower) or prep in ("after", "before", "until", "during", "once"):
        # "... deleted after 30 days of inactivity", "... before any work"; "... rotated when
        # they reach 50 MB": at what size
        return threshold(lower) or "When", ""
    if prep in ("at", "on") and AT_A_TIME.match(rest):
        return "When", ""  # "The index is rebuilt at startup"
    if prep == "by" and _someone(tail[3:]):
        return "Who", ""  # "`more-itertools` is maintained by @erikrose and @bbayles"
    if prep in MEANS and not lower.startswith("by default"):
        return "How", ""  # "A checkpoint is loaded with `weights_only=True`"
    if re.match(r"(?:\w+ly|alike)\b", lower) and prep not in ("only", "early"):
        return "How", ""  # "Older versions are pruned automatically"
    if IN_A_MANNER.match(lower):
        return "How", ""  # "Every pair is asked in both orders"
    return None


# "when they reach 50 MB", "once the queue holds more than 500 jobs": a condition that is a
# measure crossed, whose answer is the measure, not a time.
THRESHOLD = re.compile(
    r"(?:when|whenever|if|once)\s+(?:[\w`'.-]+\s+){1,4}?(?:reach(?:es)?|exceeds?|hits?|pass(?:es)?"
    r"|tops?|(?:grows?|gets?|goes|rises?|climbs?|falls?|drops?|holds?|has|have|is|are)\s+"
    r"(?:to|beyond|past|over|above|below|under|(?:larger|bigger|greater|more|smaller|less|fewer)"
    r"\s+than))\s+(?:about\s+)?~?(?P<number>\d[\d.,]*)\s*(?P<unit>%|°\s?[CF]\b|[A-Za-z]+)"
)
# A measure's unit, and the words that ask for it: a count of things ("500 jobs") is asked "At
# how many jobs".
THRESHOLD_ASKED = {
    "At what size": re.compile(r"(?:[KMGT]i?)?B|bytes|(?:kilo|mega|giga|tera)bytes", re.I),
    "At what percentage": re.compile("%|percent"),
    "At what temperature": re.compile(r"°\s?[CF]|degrees"),
}


def threshold(condition: str) -> str | None:
    """The words that ask for the measure a condition crosses ("when they reach 50 MB" -> "At
    what size", "if the queue holds more than 500 jobs" -> "At how many jobs"); None for any
    other condition ("when the file changes") or a span of time ("when it is over 2 hours old")."""
    if not (m := THRESHOLD.match(condition.strip())):
        return None
    if asked := next((q for q, unit in THRESHOLD_ASKED.items() if unit.fullmatch(m["unit"])), ""):
        return asked
    span = DURATION.match(f"{m['number']} {m['unit']}")  # "over 2 hours": when, asked as when
    counted = re.fullmatch(r"[a-z]{3,}s", m["unit"]) and not span
    return f"At how many {m['unit']}" if counted else None


# "in batches", "in both orders": how a thing is done, not where.
IN_A_MANNER = re.compile(
    r"in (?:parallel|turn|full|bulk|batches|order|(?:both|either|any) orders?)\b"
)
# "every save_every steps", "every 500 steps": how often, counted in a run's steps.
EVERY_STEPS = re.compile(r"every\s+\S+\s+(?:steps?|epochs?|batches|rows|requests)\b")
# Words after which a phrase says how a thing is done: "by the same leaderboard", "with gzip".
MEANS = frozenset("by with using via through as against".split())
# What a thing can be kept in, on or under: "in memory", "on disk", "in the key store".
PLACE_NOUNS = frozenset(
    """memory ram disk drive folder directory dir file database db cache bucket store keystore
    keychain keyring vault bin home path location repository repo table server host machine
    cloud storage volume partition container registry console stdout stderr journal queue
    browser section environment workspace sandbox trash clipboard device cpu gpu tpu core node
    cluster accelerator tab menu screen dialog window panel pane sidebar toolbar""".split()
)
# "at startup", "on boot", "at 02:00", "on Mondays", "on each run": a time, not a place.
AT_A_TIME = re.compile(
    r"(?:(?:the|each|every|first|next)\s+)*(?:startup|start|boot|shutdown|exit|login|launch|"
    r"midnight|noon|restart|install|upgrade|run|end|request|call|step|save|push|commit|merge|"
    r"\d{1,2}(?::\d{2})|(?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b"
)


def a_place(phrase: str) -> bool:
    """Whether a phrase after "in", "on", "to" ... names a place: a path or code ("in
    `config.toml`"), or a place's noun among its first words ("in the operating system's key
    store"), not "in both orders" or "to the user"."""
    words = phrase.split()[:5]
    if words and (words[0][:1] in "`/~" or re.fullmatch(r"[\w-]+\.[a-z]{1,5}", words[0])):
        return True  # code, a path, a file's name ("loop.py")
    for word, after in zip(words, [*words[1:], ""]):
        word = re.sub(r"'s$|[^\w]", "", word).lower()  # "the CPU", "the GPU's memory"
        after = re.sub(r"[^\w]", "", after).lower()
        # "to repository collaborators": a place's noun saying which, before the noun it names
        kind_of = re.fullmatch(r"[a-z]+[^s]s", after) and after.rstrip("s") not in PLACE_NOUNS
        if (word in PLACE_NOUNS or word.rstrip("s") in PLACE_NOUNS) and not kind_of:
            return True
        if word in PREPOSITIONS | {"and", "or", "but", "so"}:
            break
    return False


# Nouns for people who do a thing: "by the same author and team", "by its maintainers".
PEOPLE = frozenset(
    """author authors team maintainer maintainers developer developers contributor contributors
    community volunteers people engineers staff founder founders creator creators""".split()
)
# The tense a participle's verb is said in, where it is no -ed form: "written" -> "writes",
# "wrote".
DONE_BY = {
    "written": ("writes", "wrote"), "built": ("builds", "built"), "made": ("makes", "made"),
    "run": ("runs", "ran"), "led": ("leads", "led"), "done": ("does", "did"),
    "begun": ("begins", "began"), "taken": ("takes", "took"), "given": ("gives", "gave"),
}  # fmt: skip


def _someone(phrase: str) -> bool:
    """Whether a phrase after "by" names who, not what, does a thing: a handle ("@erikrose"), a
    person's or a body's name ("Gustavo Niemeyer": two capitalised words, as no tool's is), or a
    noun for people ("the same author and team"); not code, a tool or "the same leaderboard"."""
    words = [w.strip(",.;:()") for w in phrase.split()[:5]]
    if any(w.startswith("@") or w.lower() in PEOPLE for w in words):
        return True
    return all(re.fullmatch(r"[A-Z][a-z]+", w) for w in words[:2]) and len(words) > 1


def who_did(subject: str, verb: str, done: str) -> str:
    """ "Who maintains X?" of "X is maintained by ...", "Who wrote X?" of "X was written by
    ..."; "Who is X <done> by?" for a participle whose verb is no -ed form nor in DONE_BY."""
    present = verb in ("is", "are")
    base = english_stem(done)
    if done in DONE_BY:
        said = DONE_BY[done][0 if present else 1]
    elif base and present and re.search(r"[^aeiou]y$", base):
        said = base[:-1] + "ies"  # "copied" -> "copies"
    elif base and present:
        said = base + ("es" if base.endswith(("s", "sh", "ch", "x", "z", "o")) else "s")
    elif base:
        said = done
    else:
        return f"Who {verb} {subject} {done} by?"
    return f"Who {said} {subject}?"


# "On Windows, ...", "In version 3.2, ...", "By default, ...": where, in which version or unless
# told otherwise the rest of the sentence holds; a question of the rest says it last.
OPENING_PHRASE = re.compile(
    r"^(?P<phrase>By default|(?:On|In|Under|As of) (?:[\w`~./-]+ ){0,3}[\w`~./-]+), (?P<rest>\S.+)$"
)
# The same with no comma, ended by the subject's "the": "In Sleep mode the D8 runs at 35 dB."
OPENING_BARE = re.compile(
    r"^(?P<phrase>(?:On|In|Under) (?:[\w`~./-]+ ){0,2}[\w`~./-]+) (?P<rest>(?:the|your) \S.+)$"
)
# Openers that lean on what came before or say how the text goes on ("In this case", "On the
# other hand", "In addition", "In the second row" of a table above), not where the rest holds.
NOT_A_SETTING = frozenset(
    """this that these those it them such other addition short practice general particular fact
    turn contrast summary total theory most some either both which same above below previous
    next second third last former latter row rows table column figure example""".split()
)


def opening_phrase(text: str) -> tuple[str, str] | None:
    """The phrase a sentence opens with, as a question ends with it ("on Windows"), and the rest
    of the sentence, which says what holds there; None for any other sentence."""
    m = OPENING_PHRASE.match(text) or OPENING_BARE.match(text)
    if not m or NOT_A_SETTING & set(m["phrase"].lower().split()):
        return None
    if m.re is OPENING_BARE and DETERMINERS & set(m["phrase"].lower().split()[2:]):
        return None  # "In the tank the ...": the phrase ends before a later "the"
    phrase, rest = m["phrase"], m["rest"]
    return phrase[0].lower() + phrase[1:], rest[0].upper() + rest[1:]
