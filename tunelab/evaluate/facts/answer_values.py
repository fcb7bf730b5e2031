"""What a manual's answer states that is its facts before any of its words
(tunelab.evaluate.facts.propose): the terms of every item of a list answer ("1. Connect the power
cable. 2. Hold FEED for 3 seconds. 3. Open port 8443.": "FEED", "3 seconds" and "8443", not
"connect" and "power"; "What are the limits?": every limit, not the first item's alone; "What
are the specifications…?": every sentence's amount, "60 °C", "24 V"), and a setting's default a
later sentence states ("darkness sets how much heat the print head applies. Its default is 12.":
"12", not "much" and "heat"; a value is a number, with its unit where it has
one, as `amounts.AMOUNTS` finds it). A sentence that words a quantity as a question
("sleep_timeout sets how long the printer waits before it sleeps") states no value, and none of
its words is one ("long", "waits" were proposed): `quantity_asked`. Nor is a troubleshooting
answer's cause where it labels its fix ("Cause: sleep_timeout is too short. Fix: raise
sleep_timeout to 30 minutes.": "cause" was proposed): `labelled_fix`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from tunelab.data.text import AND_OR, FUNCTION_WORDS
from tunelab.evaluate.facts.amounts import AMOUNTS
from tunelab.evaluate.facts.normalize_numbers import normalize
from tunelab.evaluate.facts.sentences import LIST_MARKER
from tunelab.evaluate.facts.specific_terms import CAPITALISED, TERMS

# A list item's text, after its number or bullet.
_ITEM = re.compile(rf"{LIST_MARKER}(?P<text>\S.*)$")
# The terms an item of a list states: not a name by its capitals, as an item opens with its verb
# ("Choose Settings > Pairing", "Click Restore" were proposed as names).
_ITEM_TERMS = [p for p in TERMS if p not in CAPITALISED]
# An example an item gives is no fact of it: "for example `*.iso`", "e.g. vault.example.com".
_EXAMPLE = re.compile(r"[,(]?\s*\b(?:for\s+example|for\s+instance|e\.g\.|such\s+as)\s", re.I)
# A specification's label before its value: "- Water pressure: 0.5 to 8 bar" (an item's first
# sentence ended at its colon, and its facts were "water" and "pressure").
_LABEL = re.compile(r"^[^\W\d_][^\W\d_ ()/-]*(?:[ /-][^\W\d_()]+){0,4}:\s+(?=\S)")
# A sentence stating a setting's default: "Its default is 12.", "It defaults to 15 minutes.",
# "The default value is 4.", "By default it is 30."
_STATES_DEFAULT = re.compile(r"\bdefault(?:s|\s+value)?\b", re.IGNORECASE)
# A question the answer words in its own sentence: "sets how much heat", "how long it waits".
_HOW = re.compile(
    r"\bhow\s+(?:much|many|long|fast|often|far|big|large|soon|high|low|hot|wide)\b",
    re.IGNORECASE,
)

# A troubleshooting answer's fix by its label: "Cause: the gap sensor is dirty. Fix: clean it."
_FIX = re.compile(r"(?:^|\s)(?:Fix|Solution|Remedy)\s*:\s*(?P<fix>\S[^\n]*)", re.IGNORECASE)

# The terms of a text of the given patterns that are new facts (propose.py's `terms_of`: not
# said by the question, stated by the answer).
Terms = Callable[..., Sequence[str]]


def listed_values(answer: str, item_terms: Terms) -> list[str]:
    """The terms every item of a list answer states (`item_terms(text, patterns)`: those of its
    first sentence, after any label it gives its value), in their order, less any example it
    gives: a step's duration and port, each limit, each change of a release; [] where it lists
    fewer than two items. Each item is asked, so each is a fact, however many (the first item's
    alone were: "50" of three limits, none of "1. Connect the power cable.")."""
    items = [
        _EXAMPLE.split(_LABEL.sub("", m["text"], count=1), maxsplit=1)[0]
        for m in _ITEM.finditer(answer)
    ]
    if len(items) < 2:
        return []
    return list(dict.fromkeys(t for item in items for t in item_terms(item, _ITEM_TERMS)))


def listed_in(sentence: str, terms: list[str]) -> list[str]:
    """The longest run of `terms` `sentence` lists one after another, "a and b", "a, b or c",
    in its order (none for a lone term): a list a sentence gives is asked whole, as a list
    answer's items are."""
    at = sorted((sentence.find(t), t) for t in terms if t in sentence)
    longest: list[str] = []
    run, joined = [t for _, t in at[:1]], False
    for (start, term), (after, next_term) in zip(at, at[1:]):
        # Code or a quotation is listed in its marks: "`--fp16`, `--bf16` or `--fp32`".
        gap = sentence[start + len(term) : after].strip(_QUOTES)
        listed = _ITEM_GAP.fullmatch(gap)
        joined = bool(listed) and (joined or bool(listed["last"]))
        run = [*run, next_term] if listed else [next_term]
        if len(run) >= 2 and joined and len(run) > len(longest):  # reached its last item
            longest = run
    return longest


def as_written(
    sentence: str, facts: list[str], items: list[str], most: int, name_asked: bool = False
) -> list[str]:
    """The facts the cap keeps, in the order `sentence` writes them ("Chrome & Firefox work."
    gave "Firefox" first): the first `most` of `facts` (the most specific kinds first) and every
    item of the list `items` (ordering by place alone let a list cut the "2022" of "founded in
    2022 by Sharon Zhou and Greg Diamos"; cutting first dropped "Greg Diamos"). Where a name is
    asked ("Who created it?"), the names written first answer it, and a list after them says
    more ("…Greg Diamos, and a team from Berkeley, Stanford, … and MLCommons": seven were kept)."""

    def place(fact: str) -> tuple[bool, int]:
        return fact not in sentence, sentence.find(fact)

    if name_asked:
        facts = sorted(facts, key=place)
        items = items if facts.index(items[0]) < most else []
    kept = list(dict.fromkeys(facts[: max(most, len(items))] + items))
    return sorted(kept, key=place)


# What stands between a list's items: a comma, "and" or "or" (", and" whole).
_LIST_GAP = re.compile(rf",?\s+{AND_OR}\s+|,\s*")
# ...or, where each item gives its value in brackets ("Quick (30 min), Normal (60 min) and Long
# (120 min)": the third was dropped), a bracket, and the next item's name where it is no term;
# or a note in brackets ("Chrome (recommended), Firefox and Safari").
_ITEM_GAP = re.compile(
    rf"\s*\(|(?:\)|\s+\([^()\n]{{1,30}}\))?(?:,\s*|,?\s+(?P<last>{AND_OR})\s+)"
    r"(?:[^\W\d_][\w-]*\s+\()?"
)
_QUOTES = "`'\"‘’“”"


def is_list_of(sentence: str, terms: list[str]) -> bool:
    """Whether `sentence` is nothing but a list of two or more of `terms`, "a, b and c" (as a
    colon introduces one: "Supported voltages: 110, 220 and 240 V.")."""
    item = "|".join(map(re.escape, sorted(terms, key=len, reverse=True)))
    gap = _LIST_GAP.pattern
    listed = rf"(?:{item})(?:(?:{gap})(?:{item}))*(?:,?\s+{AND_OR}\s+)(?:{item})[.!]?"
    return bool(terms) and re.fullmatch(listed, sentence.strip()) is not None


def listed_words(sentence: str) -> list[str]:
    """The items of `sentence` where it is nothing but a list of words of one or two words each,
    "low, medium and high" (as a colon introduces one: "Modes: low, medium and high."); []
    otherwise."""
    items = _LIST_GAP.split(sentence.strip().rstrip(".!"))
    words = all(re.fullmatch(r"[^\W\d_]+(?:[ -][^\W\d_]+)?", item) for item in items)
    return items if words and is_list_of(sentence, items) else []


def label_asks(label: str, asked: set[str]) -> bool:
    """Whether the label before a colon ends in a word the question asks of (`asked`: its
    `normalize`d words): "It has three modes:" to "What are the modes?"; no function word."""
    head = normalize(label).split()[-1:]
    return bool(head) and head[0] in asked and head[0] not in FUNCTION_WORDS


# A question asking every value of a thing: "What are the specifications of the PX-40?" (data
# generate's question over a Specifications section).
_ASKS_SPECIFICATIONS = re.compile(
    r"\bwhat\s+are\s+(?:the\s+)?(?:\w+\s+)?spec(?:ification)?s\b", re.I
)


def specified_values(question: str, sentences: Sequence[str], item_terms: Terms) -> list[str]:
    """The amounts every sentence states where `question` asks a thing's specifications ("The
    print head can reach 60 °C. The printer runs at 24 V.": "60 °C" and "24 V", as a list's
    items; the first sentence's alone were facts); [] for other questions."""
    if not _ASKS_SPECIFICATIONS.search(question) or len(sentences) < 2:
        return []
    return list(dict.fromkeys(t for s in sentences for t in item_terms(s, AMOUNTS)))


def default_of(sentence: str, terms_of: Terms) -> list[str]:
    """The value `sentence` states as a default ("Its default is 12."), or []."""
    return list(terms_of(sentence, AMOUNTS)) if _STATES_DEFAULT.search(sentence) else []


def quantity_asked(sentence: str) -> bool:
    """Whether `sentence` names a quantity by a question ("sets how much heat the print head
    applies", "controls how fast labels are printed"): it says which quantity is meant and states
    none of it, so its rare words are no facts ("much", "heat"; "fast", "sets" were proposed)."""
    return bool(_HOW.search(sentence))


def labelled_fix(answer: str) -> str | None:
    """The text of an answer's fix where a label says it ("Fix: raise sleep_timeout to 30
    minutes."), less an example it gives: what a question asking what to do asks, not the cause
    before it. None where no label marks one."""
    m = _FIX.search(answer)
    return _EXAMPLE.split(m["fix"], maxsplit=1)[0] if m else None
