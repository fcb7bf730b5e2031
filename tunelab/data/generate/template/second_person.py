"""A manual's second person as its reader asks: "If you hear a rattle, ..." asks "What should I
do if I hear a rattle?", "Clean your filter every week." asks "How often should I clean my
filter?"."""

from __future__ import annotations

import re

_MINE = {"your": "my", "yours": "mine", "yourself": "myself"}
_YOURS = re.compile(r"\byour(?:s|self)?\b", re.IGNORECASE)
_YOU = re.compile(r"\byou(?P<verb> are|'re|'ll|'ve)?\b", re.IGNORECASE)
_I = {" are": " am", "'re": "'m", "'ll": "'ll", "'ve": "'ve"}
# "you" opening a clause is its subject ("if you hear", "what you need", "If it blinks, you
# ..."); elsewhere, a verb's object ("tells you").
_CLAUSE_OPENS = re.compile(
    r"(?:^|,\s*|\b(?:if|when|so|that|and|or|before|after|until|once|unless|while|because|since"
    r"|though|although|whether|how|what|where|which|who|why)\s+)$",
    re.IGNORECASE,
)


def in_my_words(text: str) -> str:
    """`text` as its reader says it of themself: "your" -> "my", "yourself" -> "myself", "you"
    -> "I" opening a clause ("you hear", "you are"), "me" after a verb ("it tells you")."""

    def you(m: re.Match) -> str:
        if m["verb"]:
            return "I" + _I[m["verb"].lower()]
        return "I" if _CLAUSE_OPENS.search(text[: m.start()]) else "me"

    return _YOU.sub(you, _YOURS.sub(lambda m: _MINE[m[0].lower()], text))
