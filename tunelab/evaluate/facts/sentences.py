"""An answer's sentences as facts are read off them (tunelab.evaluate.facts.propose): where one
ends, a list's numbering left out, and the sentence that answers where the first says nothing
yet ("Of course!") or gives a verdict alone ("Yes.")."""

from __future__ import annotations

import re

import regex

from tunelab.evaluate.facts.normalize_numbers import normalize
from tunelab.evaluate.facts.specific_terms import TITLE

# A sentence ends at its punctuation, not at an abbreviation's full stop (e.g., U.S., Dr.; a
# temperature's "°C." does end one); Chinese and Japanese end one at their full-width marks.
SENTENCE_BREAK = regex.compile(
    rf"(?<=[.;:!?])(?<!(?<!°\s?)\b[A-Za-z]\.)(?<!\b(?:{TITLE}|vs\.))\s+|(?<=[。！？；])"
)

# A list item's number or bullet at a line's start ("1.", "2)", "(3)", "Step 4:", "-"), before the
# item's text (answer_values reads each item after it).
LIST_MARKER = r"(?m)^[ \t]*(?:(?:Step[ \t]+)?\d{1,2}[.):]|\(\d{1,2}\)|[-*•])[ \t]+"
_LIST_MARKER = re.compile(rf"{LIST_MARKER}(?=\S)")


# An exclamation or courtesy alone, no answer yet.
_SAYS_NOTHING = re.compile(
    r"\W*(?:(?:i\s+wish|absolutely|of\s+course|sure(?:\s+thing)?|certainly|definitely|indeed|"
    r"great|good|excellent|interesting|thanks|thank\s+you|hi|hello|well|ok(?:ay)?|alas|"
    r"unfortunately|sadly|hmm|question)\W*)+",
    re.IGNORECASE,
)


# A verdict alone, in at most two words: "Yes.", "No!", "Yes, definitely.", "是的。".
_BARE_VERDICT = 2


def without_numbering(answer: str) -> str:
    """`answer` without its list's numbering, which is no fact ("1. Unplug the router." proposed
    "1")."""
    return _LIST_MARKER.sub("", answer).strip()


def answering(sentences: list[str], verdict: list[dict]) -> str:
    """The sentence whose terms answer: the first, or the next after an opening that says
    nothing ("I wish! This documentation only talks about...", "Of course! The repo has
    examples...": "Yes!" is a verdict, and what follows it detail) or after a verdict alone
    ("Yes. Call `cancel_job`.": its terms are the facts, as "Yes, call `cancel_job`." has them;
    a bare "Yes." was scored as good as naming it). `verdict`: the answer's opposite verdict,
    empty where it gives none."""
    first = sentences[0]
    if len(sentences) > 1 and (
        (_SAYS_NOTHING.fullmatch(first) and not verdict)
        or (verdict and len(normalize(first).split()) <= _BARE_VERDICT)
    ):
        return sentences[1]
    return first
