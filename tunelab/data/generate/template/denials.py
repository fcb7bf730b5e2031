"""A denial ("X does not upload ...", "X cannot read ...", "won't") and the yes-or-no question it
answers no to."""

from __future__ import annotations

import re

from tunelab.data.generate.template.second_person import in_my_words

_NOT_IN_TAIL = r"[,;]|\b(?:and|or|but|because|so|since|neither|nor|must|which|that)\b"


def short_tail(tail: list[str]) -> bool:
    """Whether the words after a state ("in version 3.8") may be asked with it: a short tail
    with no clause of its own ("... and neither is Kubernetes", "... because the installer runs
    per user" would be asked too, and the question then asks the opposite)."""
    said = " ".join(tail)
    return len(said.split()) <= 5 and not re.search(_NOT_IN_TAIL, said)


# "does not", "cannot", "won't": the auxiliary a yes-or-no question of the statement opens with.
NEGATED_AUXILIARIES = {
    "doesn't": "does", "don't": "do", "didn't": "did", "cannot": "can", "can't": "can",
    "won't": "will",
}  # fmt: skip


def said_no(word: str, after: str) -> tuple[str, str] | None:
    """The auxiliary and the rest of "X does not upload ...", "X cannot read ..." (word is the
    verb's place: "does", "cannot"); None for a sentence that says no such thing."""
    if word in NEGATED_AUXILIARIES:
        return NEGATED_AUXILIARIES[word], after
    if word in ("does", "do", "did", "can", "will") and after.lower().startswith("not "):
        return word, after[4:].lstrip()
    return None


def yes_or_no(subject: str, aux: str, rest: str) -> str | None:
    """The question a denial answers no to ("The agent does not upload temporary files" ->
    "Does the agent upload temporary files?"). It asks with every word denied, so a tail with a
    clause of its own ("... if the collector is down and ...") is asked nothing."""
    if not rest or len(rest.split()) > 8 or re.search(_NOT_IN_TAIL, rest):
        return None
    rest = in_my_words(rest)
    return f"{aux.capitalize()} {subject} {rest}?"
