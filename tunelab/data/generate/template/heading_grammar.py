"""How a heading's words read, by their form alone: a gerund and its verb ("configuring" ->
"configure"), a plural noun, a verb's base form ("goes" -> "go"), a plural subject and its verb (a
sentence, not a name), and a reported question put in question order."""

from __future__ import annotations

import re

from tunelab.data.generate.template.heading_words import IMPERATIVES, STEP_VERBS
from tunelab.data.generate.template.word_classes import VERBS, english, has_past, plural_form
from tunelab.data.text import FUNCTION_WORDS

# A heading's verb comes before these ("Reset the router", "Clean your lens"); a noun seldom does.
DETERMINERS = frozenset("the a an your my this these that those all each every its our".split())
NOT_VERBS = DETERMINERS | frozenset(
    """both half such about above across after against along among around at before behind
    below beneath beside between beyond by during for from in inside into near of off on onto
    out outside over past since through throughout to toward towards under until up upon with
    within without why whats best most least first last next""".split()
)
PLURAL_WORDS = frozenset("two three four five several many both multiple various".split())
NOT_GERUND = frozenset("thing nothing something anything everything string spring".split())
# "-ing" stems that need their "e" back (configur-ing -> configure): a heuristic, good for the
# verbs documentation headings use.
E_ENDINGS = tuple(
    """at iz ys ur ov av iv rv bl pl gl tl dl uc us ag rg ng rs tun sav cod typ scal mak tak writ
    shar stor scor clon compar prepar nam tim cach serv"""
    .split()
)  # fmt: skip
WH_WORDS = frozenset("how why what when where which who".split())
COPULAS = frozenset("is are was were can should will must".split())
IRREGULAR_THIRD = {"goes": "go", "does": "do", "has": "have"}
PRONOUNS = frozenset("i you we they he she it".split())
HOW_PHRASES = frozenset("much many long often far well fast big large small soon good".split())
# Those that ask about the verb, not a noun after them ("How much memory is needed").
HOW_ADVERBS = frozenset("long often far well fast soon".split())
CLAUSE_WORDS = frozenset("when if where that which while because unless after before".split())


def in_question_order(words: list[str]) -> str:
    """A reported question as asked: "How facts are measured" -> "How are facts measured",
    "Where a decoding step goes" -> "Where does a decoding step go". A verb right after the
    question word ("What limits the speed") or one not found is left as written."""
    # "How far the score can be trusted": "How far" asks, as one question word would.
    if len(words) > 3 and words[0].lower() == "how" and words[1].lower() in HOW_ADVERBS:
        words = [f"{words[0]} {words[1]}", *words[2:]]
    lower = [w.lower() for w in words]
    if (
        lower[0].split()[0] not in WH_WORDS
        or len(words) < 3
        # "Which model is best", "How much memory is needed": the question word heads a phrase
        or (lower[0] in ("what", "which", "who") and lower[1] not in DETERMINERS | PRONOUNS)
        or (lower[0] == "how" and lower[1] in HOW_PHRASES)
    ):
        return " ".join(words)
    # "What happens when loss is NaN": a verb after a clause's word is that clause's.
    end = next((i for i in range(1, len(words)) if lower[i] in CLAUSE_WORDS), len(words))
    if verb := next((i for i in range(2, end) if lower[i] in COPULAS), None):
        return " ".join([words[0], lower[verb], *words[1:verb], *words[verb + 1 :]])
    for i in range(2, end):
        # A singular verb ends in "s" after a word that is no article, and a phrase or nothing
        # follows it ("picks a server", "goes"); "model outputs scale" has no such verb.
        word, before = lower[i], lower[i - 1]
        after = lower[i + 1] if i + 1 < len(words) else None
        if (
            word.endswith("s")
            and not word.endswith(("ss", "us", "is"))
            and before not in DETERMINERS
            and (after is None or after in NOT_VERBS)
        ):
            return " ".join([words[0], "does", *words[1:i], base_form(word), *words[i + 1 :]])
    return " ".join(words)


def base_form(verb: str) -> str:
    """goes -> go, picks -> pick, applies -> apply, passes -> pass, uses -> use."""
    if verb in IRREGULAR_THIRD:
        return IRREGULAR_THIRD[verb]
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    return verb[:-2] if verb.endswith(("sses", "xes", "zes", "ches", "shes")) else verb[:-1]


def statement(words: list[str]) -> bool:
    """A sentence, not a name: a plural noun, then a verb's base form, then more ("Imports run
    one way", "The backups expire after a week"). Compounds take a singular first noun ("File
    sync"), so a plural then a verb is a subject and its verb."""
    words = [w.lower() for w in words]
    words = words[1:] if words[0] in DETERMINERS else words
    return len(words) > 2 and plural(words[0]) and words[1] in VERBS


def said_of(words: list[str]) -> bool:
    """A problem said as a sentence: a plural noun, then a word that reads as its verb's base form
    ("Logs arrive late", "Requests time out"), or a noun, then a listed verb's -s form and more
    ("Search returns no results", "The sync stops at 99%"); not "Logs from the agent", "Jobs
    queued", "Agent logs"; or a determiner, a noun, then its verb ("The screen flickers")."""
    words = [w.lower() for w in words]
    led = words[0] in DETERMINERS
    words = words[1:] if led else words
    verb = words[1] if len(words) > 1 else ""
    last = words[-1]  # "The tray icon disappears": a noun of two words, then its verb
    noun = not any(w.endswith("s") for w in words[:-1])
    if led and len(words) in (2, 3) and noun and re.fullmatch(r"[a-z]+[^s']s", last):
        return last in IRREGULAR_THIRD or base_form(last) in VERBS or has_past(base_form(last))
    # "The status LED blinks red": a noun of two words, then its verb.
    at = 2 if len(words) > 3 and not words[1].endswith("s") and words[2].endswith("s") else 1
    if len(words) > at + 1 and not plural(words[0]) and words[at].endswith("s"):
        base = base_form(words[at])  # a verb no list holds by its past: "blinks" (blinked)
        return words[at] in IRREGULAR_THIRD or base in VERBS or has_past(base)
    return (
        plural(words[0])
        and verb.isalpha()
        and verb not in NOT_VERBS | PRONOUNS
        and not verb.endswith(("s", "ing", "ed"))
    )


PREPOSITIONS = (
    r"\s+(?:of|from|for|in|on|with|to|by|over|per|at|across|about|after|before|between|within|"
    r"without|into|through|under|via|against|among|until|since|during)\s+"
)


def plural(phrase: str) -> bool:
    """By the head noun: the last word before any preposition ("Log-probabilities from X")."""
    words = re.split(PREPOSITIONS, phrase.lower())[0].split()
    # "The recipe `tunelab demo` uses", "Rules the engine follows": the head noun is the word
    # before the clause that says what is done to it (a subject of code or an article, a verb).
    begins = 1 if words[0] in DETERMINERS else 0
    verb = words[-1].endswith(("s", "ed")) or words[-1] in VERBS
    clause = [
        i for i, w in enumerate(words[:-1]) if i > begins and (w in DETERMINERS or w[0] == "`")
    ]
    if clause and verb:
        words = words[: clause[0]]
    last = words[-1]
    noun = last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3
    return noun or bool(PLURAL_WORDS & set(words))


def is_gerund(word: str) -> bool:
    stem = word[:-3]
    return (
        word.endswith("ing")
        and len(word) >= 5
        and word not in NOT_GERUND
        and bool(re.search(r"[aeiouy]", stem))
    )


def base_verb(gerund: str) -> str:
    """installing -> install, running -> run, configuring -> configure (a heuristic)."""
    stem = gerund.lower()[:-3]
    doubled = len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsfz"
    if doubled and (not english(stem) or stem[:-1] in VERBS):  # not "adding", "guaranteeing"
        return stem[:-1]
    if stem.endswith(E_ENDINGS) and not stem.endswith(("ing", "eng")):
        return stem + "e"
    # "parsing", "citing", "determining": a stem that is no word has lost its "e" ("How do I
    # pars webhook payloads?" was asked).
    return stem + "e" if not english(stem) and english(stem + "e") else stem


def with_article(phrase: str, context: str) -> str:
    """A heading's thing as its section says it: "the fan" when the text says "The fan spins
    ..." and never opens a sentence with "Fan", so "What is the fan?", not "What is fan?", and
    "a factory reset" where it says only that; a term the text says bare ("Learning rate is the
    step size") and a name or code stay as written."""
    if named_with_the(phrase, context):
        return f"the {phrase}"  # "What is the K9 Router?"
    if not re.fullmatch(r"[a-z][a-z -]*", phrase) or phrase.split()[0] in DETERMINERS:
        return phrase
    said = re.escape(phrase)
    bare = re.search(rf"(?:^|[.!?:]\s+|\n\s*(?:[-*]\s+)?){said}\b", context, re.IGNORECASE)
    with_the = re.search(rf"\bthe\s+(?:\w+\s+)?{said}\b", context, re.IGNORECASE)
    if with_the or bare:
        return f"the {phrase}" if with_the and not bare else phrase
    # "A factory reset erases every setting": "What is a factory reset?", not "What is factory
    # reset?"
    with_a = re.search(rf"\b(an?)\s+{said}\b", context, re.IGNORECASE)
    return f"{with_a[1].lower()} {phrase}" if with_a else phrase


def problem_said(problem: str, text: str) -> str:
    """A problem heading in sentence case with "the" where the text says its subject so
    ("printer does not wake" -> "the printer does not wake" in a manual that says "the printer
    waits ..."); a plural ("labels skip"), a name, a gerund or a determiner's phrase as written."""
    first, _, rest = problem.partition(" ")
    if not rest or plural_form(first) or first.endswith("ing") or first in FUNCTION_WORDS:
        return problem
    return f"the {problem}" if with_article(first, text) == f"the {first}" else problem


# A model's number: "R5", "H2", "300", "X-100" (letters and digits, a digit among them).
MODEL_NUMBER = re.compile(r"(?=[\w-]*\d)[A-Z0-9][A-Za-z0-9-]{0,7}")


# What names one of a kind by its place ("Run 9", "Version 2.1", "Set B", "Part II"): a number,
# a capital letter alone or a Roman numeral; not a name with letters and digits ("Enable S3").
PLACE_NUMBER = re.compile(r"\d+(?:\.\d+)*|[A-Z]|[IVX]{2,4}")


def names_by_number(words: list[str], context: str = "") -> bool:
    """Whether a heading is a word and the number that names one of its kind ("Run 9", "Build
    12", "Set B"): a thing, asked "What is run 9?", never a task ("How do I run 9?" was asked).
    A letter its section `context` says alone is a name the verb acts on, a language or a
    product: "## Install R" over "Download R from CRAN ..." stays "How do I install R?". Nor is
    a letter its section says as a step or its task ("Press A to pause.": `letter_step`)."""
    if len(words) != 2 or PLACE_NUMBER.fullmatch(words[1]) is None:
        return False
    return not letter_step(words, context) and not _letter_said_alone(*words, context)


# What follows a key or letter a step acts on ("Press A to pause", "Press 5 twice"): no verb.
STEP_AFTER = NOT_VERBS | frozenset("and or again twice once then when if while".split())


def letter_step(words: list[str], context: str) -> str | None:
    """How a section says its heading's verb and the letter or number it acts on ("Press A",
    "Update X"): "task" where its steps are done to do it ("... restart the printer to update
    X."), "step" where it is a step done for something else ("Press A to pause the job."),
    whose own sentence asks that task; None where it names a thing ("Set B holds ...", "Run 9
    is ...") or the section says it neither way."""
    if (
        len(words) != 2
        or words[0].lower() not in STEP_VERBS
        or not PLACE_NUMBER.fullmatch(words[1])
    ):
        return None
    said = rf"(?<![\w'-])(?i:{re.escape(words[0])})\s+{re.escape(words[1])}(?![\w'-])"
    if re.search(rf"\bto\s+{said}", context):
        return "task"
    for m in re.finditer(said, context):
        after = re.match(r"[ \t]*([A-Za-z]+)", context[m.end() :])
        if not after or after[1].lower() in STEP_AFTER:
            return "step"
    return None


def _letter_said_alone(word: str, letter: str, context: str) -> bool:
    """Whether `context` says the capital `letter` on its own, not after `word` ("written in C",
    not "Set B holds ..."); "A" and "I" are words too, never counted."""
    if not re.fullmatch(r"[B-HJ-Z]", letter):
        return False
    alone = rf"(?<!(?i:\b{re.escape(word)})\s)(?<![\w'-]){letter}(?![\w'-])"
    return re.search(alone, context) is not None


def opens_with_numbered(sentence: str, headings: list[str]) -> bool:
    """Whether a sentence's subject is the thing its heading names by number: "Set B holds the
    tall shelves." under "## Set B" says what set B does, and tells no one to set anything."""
    heading = headings[-1].strip() if headings else ""
    return names_by_number(heading.split()) and sentence.startswith(f"{heading} ")


def named_with_the(name: str, context: str, document: str = "") -> bool:
    """Whether the text says a name of a model and its kind with "the" wherever it says it
    ("Connect the K9 Router to ...": "How do I set up the K9 Router?"), as the whole `document`
    does where `context` never says it; a name of one word ("Zephyrine", "the Rich library") is
    said bare. A model's number ends a name as its kind does ("the Beacon R5")."""
    words = name.split()
    kind = words[-1].isalpha() and english(words[-1].lower()) if words else False
    if len(words) < 2 or not (kind or MODEL_NUMBER.fullmatch(words[-1])):
        return False
    # As a word, in a link, bold or italics too: "the [Backup Tool](...)", "the _Backup Tool_".
    word = rf"(?<![A-Za-z0-9-]){re.escape(name)}(?![A-Za-z0-9-])"
    said = [m.start() for m in re.finditer(word, context, re.IGNORECASE)]
    if not said and document:
        return named_with_the(name, document)
    # "Batch size is ...": said bare where a sentence opens.
    return bool(said) and all(re.search(r"\bthe\s+[\[*_]*$", context[:at], re.I) for at in said)


# A section that opens with numbered steps: "1. Unplug the router."
FIRST_STEP = re.compile(r"\s*1[.)]\s+(?P<verb>[A-Za-z]+)\b")


def act_of_steps(words: list[str], context: str) -> str | None:
    """A heading naming an act by its noun ("Factory reset", "Firmware update") over the steps
    that do it: the act, which "How do I do a factory reset?" asks for; None for any other."""
    step = FIRST_STEP.match(context)
    if not step or step["verb"].lower() not in STEP_VERBS or not 2 <= len(words) <= 3:
        return None
    *kind, act = (w.lower() for w in words)
    plain = all(re.fullmatch(r"[a-z][a-z-]*", w) and w not in DETERMINERS for w in kind)
    if act not in STEP_VERBS or not plain or kind[0] in STEP_VERBS | IMPERATIVES:
        return None
    return " ".join(words)


def names_a_command(code: str, context: str) -> bool:
    """Whether code a heading names is a command: a program and its subcommand ("`ferrylog
    check`"), or what its section opens with says what it does ("Prints the lines ...",
    "tear_offset sets how far ...", "Chooses how much ..." of a verb no list holds)."""
    words = [w.lower() for w in context.split(maxsplit=3)] or [""]
    at = 1 if words[0].strip("`") == code.strip("`") and words[1:] else 0
    opener, after = words[at], (words[at + 1 : at + 2] or [""])[0]
    # An -s word before "how", "which" ... is a verb whatever it is ("Controls how many ..."),
    # before "the" one the dictionary has a past of ("Caps the ...", not "Sometimes the ...").
    verb = plural_form(opener) and english(base := base_form(opener))
    unlisted = verb and (after in ASKED_CLAUSE_OPENERS or after in DETERMINERS and has_past(base))
    acts = opener.endswith("s") and base_form(opener) in VERBS | IMPERATIVES
    return acts or bool(unlisted) or re.fullmatch(r"`[\w-]+ [\w-]+`", code) is not None


# The words a clause a verb asks about opens with: "Chooses how much ...", "Decides which ...".
ASKED_CLAUSE_OPENERS = frozenset("how what which whether when where who".split())
