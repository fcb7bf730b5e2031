"""A manual's second person as its reader asks: "If you hear a rattle, ..." asks "What should I
do if I hear a rattle?", "Clean your filter every week." asks "How often should I clean my
filter?"."""

from __future__ import annotations

import re

from tunelab.data.generate.template.word_classes import (
    POSSESSIVES,
    PREPOSITIONS,
    VERBS,
    third_person,
)

_MINE = {"your": "my", "yours": "mine", "yourself": "myself"}
_YOURS = re.compile(r"\byour(?:s|self)?\b", re.IGNORECASE)
# Its apostrophe either straight or curly, as a manual's PDF or web page writes it ("if you’re
# away" was asked "if I’re away").
_YOU = re.compile(
    r"\byou(?:(?P<verb> are|['\u2019](?:re|ll|ve))|(?P<were> were(?:n['\u2019]t)?))?\b",
    re.IGNORECASE,
)
_I = {"re": "m", "ll": "ll", "ve": "ve"}
# "thank you" is a fixed phrase, the manual's own thanks, not a "you" the reader says as "me"
# ("To say thank you to a helper" was asked "How do I say thank me ...", "a thank-you card" "a
# thank-me card").
_THANK = re.compile(r"\bthank[\s-]+$", re.IGNORECASE)
# "you were" as a subject is "I was" ("the page you were on": "the page I were on" was asked),
# but after "if" or "though" a wish or a supposition, "I were" ("if you were", "as though").
_SUPPOSING = re.compile(r"\b(?:if|though)\s+$", re.IGNORECASE)
# "you" opening a clause is its subject ("if you hear", "what you need", "If it blinks, you
# ..."); elsewhere, a verb's object ("tells you").
_CLAUSE_OPENS = re.compile(
    r"(?:^|,\s*|\b(?:if|when|so|that|and|or|before|after|until|once|unless|while|because|since"
    r"|though|although|whether|how|what|where|which|who|why)\s+)$",
    re.IGNORECASE,
)
# "you" right after a noun a determiner opens, or after "anything" or "all", with a verb after
# it, is the subject of a clause whose "that" is left out ("the files you download", "each file
# you add", "your filter you use": "my filter me use" was asked, "anything you need"); after a
# verb it is still its object ("the tool lets you choose", "this gives you").
_NOUN_BEFORE = re.compile(
    r"(?:\b(?P<determiner>the|a|an|any|each|every|all|some|these|those|your|our|their|its)"
    r"\s+(?P<noun>[a-z][\w-]*)"
    r"|\b(?:anything|everything|something|nothing|all))\s+$",
    re.IGNORECASE,
)
# A determiner that also stands alone, its verb after it ("These let you choose", "Each lets you
# pick": "let I choose" was asked): the word after it, a verb of its number, is no noun.
_STANDS_ALONE_PLURAL = frozenset("all some these those".split())
_STANDS_ALONE_SINGULAR = frozenset("any each".split())
_NEXT_WORD = re.compile(r"\s+([a-z]+)\b", re.IGNORECASE)  # "each time you SSH in"
_NO_VERB = PREPOSITIONS | POSSESSIVES | {"a", "an", "the", "and", "or", "all", "each"}


def in_my_words(text: str) -> str:
    """`text` as its reader says it of themself: "your" -> "my", "yourself" -> "myself", "you"
    -> "I" opening a clause ("you hear", "you are", "the files you download"), "me" after a verb
    ("it tells you"); "thank you" as it is, and words in capitals still in capitals ("YOU WERE"
    -> "I WAS")."""

    def you(m: re.Match) -> str:
        if _THANK.search(text[: m.start()]):
            return m[0]
        if verb := m["verb"]:  # " are", else its apostrophe as written and the contraction's
            return "I" + verb[0] + _I[verb[1:].lower()] if verb[0] != " " else "I am"
        were = m["were"] or ""
        if not _a_subject(text, m.start(), m.start() + len("you")):
            return "me" + were
        if _SUPPOSING.search(text[: m.start()]):
            return "I" + were
        return "I" + re.sub("were", "was", were, flags=re.IGNORECASE)

    # "you" first: its clause is read in `text` as written, before "your" -> "my" moves it.
    mine = _YOU.sub(lambda m: _cased(you(m), m[0]), text)
    return _YOURS.sub(lambda m: _cased(_MINE[m[0].lower()], m[0]), mine)


def _cased(mine: str, yours: str) -> str:
    """`mine` in capitals where `yours` was written in capitals ("YOUR FILTER" was asked "my
    FILTER"); otherwise as the question says it, "I" and "my" whatever "You" opened."""
    return mine.upper() if yours.isupper() else mine


def _a_subject(text: str, start: int, end: int) -> bool:
    """Whether the "you" at `text[start:end]` is its clause's subject, not a verb's object."""
    before = text[:start]
    if _CLAUSE_OPENS.search(before):
        return True
    verb = _NEXT_WORD.match(text, end)
    noun = _NOUN_BEFORE.search(before)
    return bool(noun and not _a_verb(noun) and verb and verb[1].lower() not in _NO_VERB)


def _a_verb(noun: re.Match) -> bool:
    """Whether the word a standing-alone determiner opens is its verb ("these let", "each
    lets"), not a noun ("these logs", "each test")."""
    determiner, word = (noun["determiner"] or "").lower(), (noun["noun"] or "").lower()
    if determiner in _STANDS_ALONE_PLURAL:
        return word in VERBS
    return determiner in _STANDS_ALONE_SINGULAR and third_person(word) is not None
