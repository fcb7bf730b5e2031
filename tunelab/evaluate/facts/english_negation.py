"""Which words an English answer denies, or leaves unstated: right after a negation ("not 8", "no
GPU"), taken by a negated verb in its clause ("doesn't listen on port 8000"; its manner only in
"won't run fast on the CPU") or taken back by a retraction ("Paris? No, that's wrong"); a few
words on in a negation's clause, a negated copula's subject ("Windows is not supported"), a
hedge's guess ("maybe 32"), what others are reported to say ("although some guides say 32") and a
past value ("was 30 before 3.2"). `answer_words` marks them before it matches a phrase."""

from __future__ import annotations

import re

import regex

from tunelab.data.text import PREPOSITIONS
from tunelab.evaluate.facts.normalize_numbers import GLUED

# English negates what follows it in its clause, within a few words: "not 8", "no GPU", "doesn't
# run on the CPU", "not the fast GPU", "without a GPU"; so does a contrast or a past value ("16
# rather than 8", "Lyon instead of Paris", "unlike a GPU", "it used to be 8"), and a claim called
# wrong ("some docs wrongly say 16"; not "formatted incorrectly cause errors"), and an exception
# ("every format except Parquet", "all tokens excluding the prompt"; not after a negation in its
# sentence: "nothing except Linux", "it doesn't run on Windows except via WSL" state Linux, WSL).
# A clause ends at punctuation or a word that turns it ("but", "however", "than": "no more than
# 8" states 8), or a limit's word ("must not exceed 8", "cannot handle files over 10 MB" state the
# limit; "doesn't charge for the first 200 calls" states 200, the limit of what is free).
_NEGATION = re.compile(
    r"\b(?:no\s+longer|rather\s+than|instead\s+of|as\s+opposed\s+to|used\s+to\s+be|formerly|not|no|"
    r"never|cannot|without|neither|nor|none|unable\s+to|lacks|unlike|except(?:\s+for)?|excluding|"
    r"(?:wrongly|mistakenly|incorrectly|falsely|erroneously)\s+(?:say|state|claim|believe|think|"
    r"assume|suggest|report|list)\w*)\b|n['’]t\b",
    re.I,
)
_NEGATED_WORDS = 8  # articles not counted
_DENYING_VERBS = frozenset(
    "support supports run runs work works include includes offer offers provide provides allow "
    "allows contain contains have has need needs require requires".split()
)
_DENIED_WITH_VERB = 3
# A verb's negation ("does not listen on port 8000", "doesn't bind to", "never uses", "cannot
# run", "won't accept", "does not by default listen"): the verb and what it takes, to its
# clause's end, are denied, whatever the verb (an adverb of its manner, the verb and it:
# `_MANNER`). Not a copula's ("is not slow on CPU", "isn't",
# "It's not"), whose first word says what it is not, and the rest where.
_AUXILIARIES = frozenset(
    "do does did can could will would shall should may might must wo ca".split()
)
_COPULAS = frozenset("is are was were be been being am s re ai".split())
# A negated need denies the need, not what the verb after it takes: "The default is 2e-4; you
# don't need to change 2e-4" states 2e-4.
_NECESSITY = re.compile(r"(?:need|needs|have|has) to")
# A negated verb of saying or knowing leaves what it reports unstated, not denied: "The docs do
# not mention whether it supports LoRA", "does not say which port" deny no LoRA, no port.
_SAYING = frozenset(
    "mention mentions say says state states specify specifies list lists document documents "
    "describe describes explain explains know knows".split()
)
# A verb of failing or leaving out, negated, says what it takes is done: "Don't forget to pass
# --merged", "don't skip the warmup", "never fail to set the seed", "do not hesitate to use
# QLoRA" state --merged, the warmup, the seed and QLoRA.
_FAILING = frozenset(
    "forget forgets forgot skip skips skipped fail fails failed miss misses missed neglect "
    "neglects neglected omit omits omitted overlook overlooks hesitate hesitates".split()
)
# Idioms of failing, the same: "You can't go wrong with a rank of 16", "never lose sight of your
# data" state 16 and the data.
_FAILING_IDIOMS = re.compile(
    r"(?:go|goes|going|went)\s+wrong|(?:lose|loses|losing)\s+(?:sight|track)"
)
# An adverb of manner or degree right after a negated verb, its phrase ending there or a
# preposition following, is what the negation denies, not where or with what the verb is done:
# "It won't run fast on the CPU", "does not train well on a GPU", "doesn't run natively on
# Windows" say it runs there (the CPU was denied, though the answer said elsewhere it runs on
# it). A word in -ly a noun follows is an adjective, whose noun is denied with it ("does not
# support early stopping", "doesn't ship nightly builds").
_MANNER = re.compile(r"[a-z]{2,}ly|fast|well|much|right|quick|slow", re.I)
# A negation inside a condition these open reaches no further than the main clause's subject
# after it, which a comma often does not mark: "If you do not pass --host it listens on
# 127.0.0.1" states 127.0.0.1 ("If it does not listen on 127.0.0.1, restart it" does not).
_CONDITION_OPENERS = frozenset("if unless when whenever".split())
# A negated verb's condition is a clause of its own from its first word on: "It doesn't start
# unless you pass --gpu", "won't work until you set HF_TOKEN" state --gpu and HF_TOKEN.
_CONDITIONS = _CONDITION_OPENERS | {"until", "once"}
# Words that end a negation's reach from its third word on (a condition's from its second).
_SCOPE_BREAKS = _CONDITIONS | {"to", "so", "where"}
_MAIN_SUBJECTS = frozenset("it you we they this".split())
_CLAUSE_END = re.compile(
    r"[,;:.?!)\]](?=\s|$)|[(\[\n—–。，；：！？]|\s-\s|\b(?:but|however|yet|although|though|"
    r"whereas|while|instead|rather|than|because|since|which|and|except|besides|beyond|apart|"
    r"aside|other|exceed\w*|surpass\w*|above|below|(?:over|under)(?=\s+\d)|"
    r"(?:for|during|within|in)\s+the\s+first(?=\s+\d))\b",
    re.I,
)
# A value a text says was so before, no fact of now: "15 seconds (it was 30 seconds before
# version 3.2.0)", "changed from 30 to 15 seconds", "was 30 until 3.2": not proposed from a
# reference (a wrong answer saying the old value was credited with it), not stated by an answer.
_CHANGED = (
    r"\b(?:changed|changes|increased|decreased|raised|lowered|reduced|went|moved|updated|"
    r"bumped|dropped)\s+(?:\w+\s+)?"
)
PAST_VALUE = re.compile(
    r"\(([^()]*\b(?:was|were|previously|formerly|before|until|prior|earlier|older)\b[^()]*)\)"
    rf"|{_CHANGED}from\s+([^,;()]{{1,40}}?)(?:\s+to\b|-(?=\d))"  # "30-15": read as a range
    r"|\b(?:was|were)\s+([^,;()]{1,40}?)\s+(?:before|until|prior|in\s+(?:older|earlier|previous))\b"
    # "raised to 4096 tokens from 2048"
    rf"|{_CHANGED}to\s+[^,;()]{{1,40}}?\s+from\s+([^,;()]{{1,40}}?)"
    r"(?=\s*(?:[,;.!?)]|$)|\s+(?:in|since|as|by)\b)",
    re.IGNORECASE,
)
# A copula's negation denies its subject too: "Windows is not supported", "8 isn't the default",
# "CPU support is unavailable", "16 is wrong", "a GPU is unnecessary", "packing is disabled" or
# "off", "training on a CPU is impossible", "the response is ignored", "the response is masked
# out of the loss" (not "is false": "resume is false by default" states resume)
# (the words before it in its clause: not stated there, as those a few words after a negation).
# Those of `SWITCHED_OFF` put their subject out of use, and a question that asks what is so
# ("Which tokens are masked?", "What is disabled by default?") is answered by it: there, the
# answer's same word states its subject ("Prompt tokens are masked", `asked.asked_off`).
# Each: (as an answer's copula says it, as a question asks it).
SWITCHED_OFF = {
    "disable": (r"disabled", r"disabl\w*"),
    "off": (r"off", r"off"),
    "ignore": (r"ignored", r"ignor\w*"),
    "exclude": (r"excluded", r"exclu\w*"),
    "mask": (r"masked(?:\s+out)?", r"mask\w*"),
    "leave_out": (r"left\s+out", r"(?:leave|leaves|leaving|left)\s+out"),
    "remove": (r"removed", r"remov\w*"),
}
_NEGATED_COPULA = re.compile(
    r"\b(?:is|are|was|were)\s+(?:not|no\s+longer|never|unavailable|unsupported|wrong|incorrect|"
    r"untrue|unnecessary|unneeded|impossible|"
    + "".join(f"(?P<{key}>{said})|" for key, (said, _) in SWITCHED_OFF.items())
    + r"a\s+(?:common\s+)?(?:myth|misconception|mistake))\b"
    r"|\b(?:isn|aren|wasn|weren)['’]t\b",
    re.I,
)
_WORD = regex.compile(rf"[\p{{L}}\p{{N}}\p{{M}}{GLUED}]+")
_ARTICLE = frozenset({"a", "an", "the"})
# No negation: "not only X (but also Y)", "not X only", "no doubt", "no matter", nor the "No" that
# answers before a new sentence ("No it runs on the CPU").
# "No" that is no verdict either ("No worries, it runs."): propose.py reads answers' "No" by it.
NO_IDIOMS = frozenset("doubt problem worries wonder question matter".split())
_NOT_NEGATING_FIRST = frozenset("just merely simply".split()) | NO_IDIOMS
_NOT_NEGATING = frozenset({"only", "alone", "solely"})
_ANSWERING_NO = frozenset("it it's you i we they this that there he she".split())
# "…, no, that's wrong" takes back what its sentence (or, alone, the one before) said.
_RETRACTION = re.compile(
    r"\b(?:that|this|it)(?:['’]s|\s+is|\s+was)\s+(?:wrong|incorrect|false|not\s+(?:right|correct|"
    r"true))\b(?=\s*(?:[,;:.?!)]|—|--|[-–]\s|$))"  # ending its clause ("it is not true that..."
    # looks ahead), a dash too: "that's wrong - it is Lyon", "wrong—it is Lyon"
    r"|\b(?:wait|actually|sorry|oh|hmm)\s*[,.]?\s*no\b(?=\s*[,;:.!—-])"  # "32. Wait, no, 16."
    r"|(?<=\?)\s*no\b(?=\s*[,;:.!—–-])",  # "16? No, it defaults to 32."
    re.I,
)
_HEDGE = re.compile(r"\b(?:maybe|perhaps|possibly)\b", re.I)
# What some others say is reported, no claim of the answer's own: "16, although some guides
# say 32", "while some tutorials recommend 32", "others suggest 32", "although the docs say 32"
# (after a concession, any source; without one, some others only: "The docs say the default
# is 32" and "as the docs say" cite the answer's own claim; "Although the default is 32" names no
# one). What the report says, up to its clause's end, is neither stated nor denied.
_SOURCES = (
    r"(?:people|folks|users?|developers?|experts?|authors?|guides?|docs?|documentation|"
    r"tutorials?|sources?|(?:blog\s+)?posts?|blogs?|articles?|answers?|references?|websites?|"
    r"sites?|forums?|threads?|papers?)"
)
# A verb of saying, with up to two auxiliaries or adverbs before it: a plural's ("say", "said")
# for "some say", a source's in any form ("some guide says", "some docs list 32", "state"); not
# "use", which says what is done ("While most users use the default of 16" states 16).
_BEFORE_SAYING = (
    r"\s+(?:(?:still|often|also|sometimes|may|might|will|would|can|could|do|did|have|has|had|"
    r"\w+ly)\s+){0,2}"
)
_SAY = (
    r"(?:say|said|claim(?:ed)?|suggest(?:ed)?|recommend(?:ed)?|mention(?:ed)?|advised?|write|"
    r"wrote|written|think|thought|believed?|prefer(?:red)?|insist(?:ed)?|argued?|proposed?)"
)
_SAYS = (
    r"(?:says|claims|suggests|recommends|mentions|advises|writes|thinks|believes|prefers|"
    r"insists|argues|proposes|states?|stated|lists?|listed|reports?|reported)"
)
_REPORTED = re.compile(
    r"\b(?:(?:(?:although|though|while|whereas)\s+(?:(?:some|many|most|several|other|certain|"
    rf"a\s+few|older|outdated|the)\s+)?{_SOURCES}"
    rf"|(?:some|other|certain|a\s+few|older|outdated)\s+{_SOURCES}){_BEFORE_SAYING}"
    rf"(?:{_SAY}|{_SAYS})"
    # "some say", "others suggest": no noun after "some" ("some use cases", "some lists")
    rf"|(?:some|others){_BEFORE_SAYING}{_SAY})\b",
    re.I,
)
# A report's clause ends at punctuation or a turn, not at "and" or "than" as a negation's
# does: "some guides say 16 and 32", "some say more than 32" report both.
_REPORT_END = re.compile(
    r"[,;:.?!)\]](?=\s|$)|[(\[\n—–。，；：！？]|\s-\s|\b(?:but|however|yet|whereas|while|"
    r"although|though|instead)\b",
    re.I,
)
# A report the answer then affirms is its own claim too: "Some guides recommend 16, which is the
# default", "some say 16, and that is the default", "Some say 16. That's correct."
_AFFIRMED = re.compile(
    r"\s*[,;.]?\s*(?:which|(?:and\s+)?(?:that|this|it))(?:\s+is|['’]s)\s+"
    r"(?:(?:indeed|also|actually|in\s+fact)\s+)?(?:the\s+default|correct|right|true|accurate)\b"
    r"|\s*[,;.]?\s*(?:and\s+)?they(?:\s+are|['’]re)\s+(?:correct|right)\b",
    re.I,
)
_SAID_AFTER = re.compile(r"\s*:?")
_SENTENCE_END = re.compile(r"[.?!。！？](?=\s|$)|\n")
_INTERJECTIONS = frozenset("no sorry wait actually oh well hmm".split())


def negates(clause: str, asked: frozenset[str] = frozenset()) -> bool:
    """Whether a clause holds a negation, or a negated copula ("is not", "is disabled"; not one
    of the `SWITCHED_OFF` words `asked`, which a question asks about)."""
    return bool(_NEGATION.search(clause)) or any(
        not any(copula.group(key) for key in asked) for copula in _NEGATED_COPULA.finditer(clause)
    )


def negated_english(
    text: str, read_negations: bool = True, asked: frozenset[str] = frozenset()
) -> tuple[set[int], set[int]]:
    """Where the words start that an English negation denies right after it ("not Paris", "not
    the 8") or that a retraction takes back, and those a few words after a negation (with
    `read_negations` off, a retraction's only)."""
    starts: set[int] = set()
    near: set[int] = set()
    negations = list(_NEGATION.finditer(text)) if read_negations else []
    reach = {n.start(): _reach_end(text, n) for n in negations}
    for negation in negations:
        verb = _negates_a_verb(text, negation)
        words = _reached_words(text, negation, negations, reach, verb)
        taken = _denied_count([w.group() for w in words], verb)
        starts.update(w.start() for w in words[:taken])
        near.update(w.start() for w in words[taken:])
    for copula in _NEGATED_COPULA.finditer(text) if read_negations else ():
        if any(copula.group(key) for key in asked):
            continue  # "Which tokens are masked? Prompt tokens are masked."
        following = _WORD.findall(text, copula.end(), _reach_end(text, copula))
        if following[:1] and following[0] in _NOT_NEGATING_FIRST | _NOT_NEGATING:
            continue  # "Paris is not only the capital..."
        begins = [m.end() for m in _CLAUSE_END.finditer(text, 0, copula.start())]
        words = _WORD.finditer(text, max(begins, default=0), copula.start())
        near.update(w.start() for w in [w for w in words if w.group() not in _ARTICLE][-4:])
    for hedge in _HEDGE.finditer(text):  # "maybe 32?": a guess, no statement
        guessed = _WORD.finditer(text, hedge.end(), _reach_end(text, hedge))
        near.update(w.start() for w in [w for w in guessed if w.group() not in _ARTICLE][:2])
    for report in _REPORTED.finditer(text):  # "although some guides say 32"
        start = _SAID_AFTER.match(text, report.end()).end()  # "some say: 32"
        end = _REPORT_END.search(text, start)
        end = end.start() if end else len(text)
        if any(_AFFIRMED.match(text, w.end()) for w in _WORD.finditer(text, start, end)):
            continue  # "some guides recommend 16, which is the default": the answer's claim too
        reported = _WORD.finditer(text, start, end)
        near.update(w.start() for w in reported)
    for past in PAST_VALUE.finditer(text):  # "was 32 in older versions", "changed from 30"
        group = next(i for i in range(1, 5) if past.group(i))
        near.update(w.start() for w in _WORD.finditer(text, past.start(group), past.end(group)))
    for retraction in _RETRACTION.finditer(text):
        ends = [0] + [m.end() for m in _SENTENCE_END.finditer(text, 0, retraction.start())]
        begin = ends[-1]
        if all(w in _INTERJECTIONS for w in _WORD.findall(text, begin, retraction.start())):
            begin = ends[-2] if len(ends) > 1 else 0
        starts.update(
            w.start() for w in _WORD.finditer(text, begin, retraction.start())
            if w.group() not in _ARTICLE and w.group() not in _INTERJECTIONS
        )  # fmt: skip
    return starts, near - starts


def _reached_words(
    text: str, negation: re.Match, negations: list[re.Match], reach: dict[int, int], verb: bool
) -> list[re.Match]:
    """The words a negation reaches in its clause (articles aside), up to a purpose or a
    condition of their own; none where it negates nothing there ("not only", "No it runs",
    "don't forget to", a "without" or "except" another negation turns back)."""
    # "won't work without a GPU" states the GPU: a "without" in a negation's reach turns it
    # back, and ends that reach.
    withouts = [n.start() for n in negations if n.group() == "without"
                and negation.end() <= n.start() < reach[negation.start()]]  # fmt: skip
    stop = min(withouts, default=reach[negation.start()])
    if negation.group() == "without" and any(
        n.end() <= negation.start() < reach[n.start()] for n in negations if n != negation
    ):
        return []
    if negation.group().lower().startswith(("except", "excluding")) and _NEGATIVE_BEFORE.search(
        text, _sentence_start(text, negation.start()), negation.start()
    ):
        return []  # "nothing except Linux", "doesn't run on Windows except via WSL"
    scope = _WORD.finditer(text, negation.end(), stop)
    words = [w for w in scope if w.group() not in _ARTICLE][:_NEGATED_WORDS]
    # A purpose or a condition after what is denied is a clause of its own: "don't need a
    # GPU to train on a CPU" states the CPU ("no way to run it on a CPU" does not).
    breaks = [
        i
        for i, w in enumerate(words)
        if w.group().lower() in _SCOPE_BREAKS
        and (i >= 2 or (i == 1 and verb and w.group().lower() in _CONDITIONS))
    ]
    if _in_a_condition(text, negation):  # a negated verb's first word after it is its object
        breaks += [
            i
            for i, w in enumerate(words)
            if w.group().lower() in _MAIN_SUBJECTS and (i >= 2 or (i == 1 and not verb))
        ]
    words = words[: min(breaks, default=len(words))]
    said = [w.group() for w in words]
    if not said or said[0] in _NOT_NEGATING_FIRST or _NOT_NEGATING.intersection(said):
        return []
    if negation.group() == "no" and said[0] in _ANSWERING_NO:
        return []
    if verb and (
        said[0].lower() in _FAILING or _FAILING_IDIOMS.fullmatch(" ".join(said[:2]).lower())
    ):
        return []
    return words


def _in_a_condition(text: str, negation: re.Match) -> bool:
    """Whether a negation is in a clause a condition's word opens ("If you do not pass")."""
    begins = [m.end() for m in _CLAUSE_END.finditer(text, 0, negation.start())]
    before = _WORD.findall(text, max(begins, default=0), negation.start())
    return any(word.lower() in _CONDITION_OPENERS for word in before)


def _denied_count(said: list[str], verb: bool) -> int:
    """How many of the words a negation reaches it denies (the rest: unstated there)."""
    # "does not support the CPU", "doesn't listen on port 8000": what a denied verb takes
    # is denied with it (stated elsewhere, it is taken back); past a verb of having or
    # working after another negation ("lacks support for the CPU"), a few words of it.
    if not said:
        return 0
    if _NECESSITY.fullmatch(" ".join(said[:2]).lower()) or (verb and said[0].lower() in _SAYING):
        return 1
    if verb:
        return 2 if _denies_the_manner(said) else len(said)
    return 1 + _DENIED_WITH_VERB if said[0].lower() in _DENYING_VERBS else 1


_NEGATIVE_BEFORE = re.compile(
    r"\b(?:no|not|none|nothing|nobody|nowhere|never|neither|nor|cannot|without)\b|n['’]t\b", re.I
)


def _negates_a_verb(text: str, negation: re.Match) -> bool:
    """Whether a negation is a verb's: "cannot", "unable to", "n't" on an auxiliary ("doesn't",
    "won't"), "not" after one ("does not"), "never" or "no longer" after no copula."""
    said = " ".join(negation.group().lower().split())
    if said in ("cannot", "unable to"):
        return True
    before = _WORD.findall(text, max(0, negation.start() - 40), negation.start())
    host = before[-1].lower() if before else ""
    if said in ("n't", "n’t", "never", "no longer"):
        return host not in _COPULAS
    return said == "not" and host in _AUXILIARIES


def _denies_the_manner(said: list[str]) -> bool:
    """Whether the words a negated verb opens deny only its manner (`_MANNER`): "run fast on
    the CPU", "train well", not "support early stopping"."""
    return (
        len(said) > 1
        and bool(_MANNER.fullmatch(said[1]))
        and (len(said) == 2 or said[2].lower() in PREPOSITIONS)
    )


def _sentence_start(text: str, at: int) -> int:
    return max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)


def _reach_end(text: str, negation: re.Match) -> int:
    """Where a negation's clause ends."""
    end = _CLAUSE_END.search(text, negation.end())
    return end.start() if end else len(text)
