"""A reference answer that says its source is silent on the question ("The article does not
mention…", "There is no mention of X in the provided text.", "No information is provided
about…"): it states no fact, and no verdict unless the question asks about the source itself
("Does the documentation provide tips…?", "Is there a section explaining…?", where "there is
no information in the documentation" answers "No"). Read by tunelab.evaluate.facts.propose."""

from __future__ import annotations

import re

# "The text doesn't say…", "This document does not provide any information…" (not "The
# documentation does not include benchmarks", which answers "Does the documentation include
# benchmarks?"); "There is no (explicit) mention of…", "There is no information in … about…",
# "No information is provided…" (lamini_docs: 3 such rows asking about Lamini were scored "No").
_SOURCE_SILENT = re.compile(
    r"\W*(?:(?:the|this|that)\s+(?:(?:given|provided)\s+)?(?:article|text|passage|document|"
    r"documentation|context|source|excerpt)\s+(?:does\s+not|doesn['’]t|did\s+not|didn['’]t)\s+"
    r"(?:(?:explicitly|specifically)\s+)?(?:mention|say|specify|state|discuss|provide\s+(?:any\s+)?"
    r"information)\b"
    r"|(?:there\s+(?:is|['’]s)\s+)?no\s+(?:(?:explicit|specific)\s+)?(?:mention|information)\s+"
    r"(?:is\s+)?(?:provided\s+|given\s+)?(?:of|about|on|in|regarding)\b)",
    re.IGNORECASE,
)
# A question about what the source holds: its documentation, a section, samples, guides.
_ASKS_OF_SOURCE = re.compile(
    r"\b(?:documentation|docs?|documents?|sections?|articles?|passages?|manuals?|readme|"
    r"mention(?:s|ed)?|(?:code\s+)?samples?|examples?|tutorials?|guides?|guidelines?|"
    r"walkthroughs?)\b",
    re.IGNORECASE,
)


def source_silent(sentence: str) -> bool:
    """Whether `sentence` (a reference's opening) says its source is silent on what was asked."""
    return bool(_SOURCE_SILENT.match(sentence))


def asks_of_source(question: str) -> bool:
    """Whether `question` asks what the source holds ("Does the documentation…?"), which a
    reference saying the source is silent answers "No"."""
    return bool(_ASKS_OF_SOURCE.search(question))
