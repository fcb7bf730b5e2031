"""A list's entries, each a thing named by its number, under the heading that names the list:
"Run 4 fires bisque ware." under "## Programs" asks what run 4 does and which program does it,
where the imperative it reads as ("Run 4 ...") asked nothing."""

from __future__ import annotations

import re

from tunelab.data.generate.template.capitals import lower_first
from tunelab.data.generate.template.heading_grammar import base_form, names_by_number, plural
from tunelab.data.generate.template.heading_words import GROUPS
from tunelab.data.generate.template.second_person import in_my_words
from tunelab.data.generate.template.sentence_end import full_stop
from tunelab.data.generate.template.verb_questions import verb_question
from tunelab.data.generate.template.word_classes import has_past

# "Run 4 fires bisque ware.": a thing named by its number ("Run 4", "Program B"), doing something;
# not "Run 4 times ...".
ENTRY = re.compile(
    r"^(?P<name>[A-Z][a-z]+ (?:\d+|[A-Z]))\s+(?!times\b)(?P<verb>[a-z]+s)\s+(?P<rest>[^,;:]+?)\.?$"
)


def entry_pairs(
    sentence: str, headings: list[str], context: str, *said_in: str
) -> list[tuple[str, str]]:
    """An entry of a list its heading names ("Run 4 fires bisque ware." under "## Programs"): what
    the numbered one does ("What does run 4 fire?") and which one does it ("Which program fires
    bisque ware?", what a reader with bisque ware asks). Nothing under a heading that names no list
    of things ("## Firing", "## Steps"), where "Run 4" may be a step as well as a name."""
    m = ENTRY.match(sentence)
    heading = headings[-1].strip() if headings else ""
    words = heading.split()
    listed = re.fullmatch(r"[A-Za-z][a-z-]*(?: [a-z][a-z-]*){0,2}", heading) and plural(heading)
    if not m or not listed or words[-1].lower() in GROUPS or not names_by_number(m["name"].split()):
        return []
    base = base_form(m["verb"])
    if not has_past(base):  # "Run 4 cones ...": no verb the dictionary knows
        return []
    answer = full_stop(sentence)
    kind = lower_first(" ".join([*words[:-1], base_form(words[-1])]), context, *said_in)
    name = lower_first(m["name"], context, *said_in)
    kind_word, _, kind_rest = kind.partition(" ")
    if kind_word.lower() == name.split()[0].lower():
        # "Program 1 fires ...", "Program 2 fires ...": the word opens every entry before its
        # number, no product's name; cased as the entry's name is ("Which Program fires bisque
        # ware?" was asked beside "What does program 1 fire?").
        kind = " ".join(filter(None, [name.split()[0], kind_rest]))
    mine = in_my_words(m["rest"])  # "fires your bisque": the reader asks
    which = f"Which {kind} {m['verb']} {mine}?"
    what = verb_question(name, "does", base, m["rest"])
    return [(q, answer) for q in (what, which) if q]
