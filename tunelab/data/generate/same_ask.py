"""Two pairs that ask one thing in other words: "What did the probe read?" answered "The probe
read the same 219 GFLOP/s ..." asks what "How fast did the probe read?" does. A document that
gives two rates of one subject and verb (two runs, told apart only by their paragraph) made a
pair of each, one question with two answers, and a model trained on both learns neither: the
later is dropped as a duplicate question, as a question written twice keeps its first answer."""

from __future__ import annotations

import re

from tunelab.data.generate.rates import SPEED
from tunelab.data.question_keys import normalize_text

# "What did the probe read?": a question of a subject's verb whose object is asked by "What".
_WHAT_DID = re.compile(r"what ((?:do|does|did|can|will) .+)")


def asked_keys(question: str, answer: str) -> frozenset[str]:
    """The keys under which a pair's question counts as asked, one for each way a later pair
    asks it again: its words as "the same question" compares them (`normalize_text`), and for a
    "What … ?" whose answer gives a rate ("94 tok/s", "219 GFLOP/s") the "How fast … ?" it asks.
    Template mode drops a repeat among a chunk's pairs and the filters among all the rows by
    these same keys."""
    key = normalize_text(question)
    if (what := _WHAT_DID.fullmatch(key)) and SPEED.search(answer):
        return frozenset((key, f"how fast {what[1]}"))
    return frozenset((key,))
