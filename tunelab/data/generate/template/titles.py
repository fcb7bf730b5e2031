"""What a document is about, from its title heading or else its file's name ("Harborline Sync
Agent" of "# Harborline Sync Agent Manual"), and a heading as its words say it, without the badges,
emoji and inline HTML that decorate it."""

from __future__ import annotations

import re
import unicodedata

from tunelab.data.generate.template.blocks import HTML_TAG, RST_CODE
from tunelab.data.generate.template.heading_grammar import is_gerund
from tunelab.data.generate.template.heading_words import GENERIC, TITLE_FILLER


def document_topic(headings: list[str], title: str = "") -> str | None:
    """What a document is about, by its title heading or else its file's name (`title`):
    "Harborline Sync Agent" of "Harborline Sync Agent Manual"; None for a title of filler alone
    ("# Guide"), which names no product."""
    headings = [undecorated(h) for h in headings]
    topic = (
        title_topic(headings[0]) if len(headings) > 1 and not filler_title(headings[0]) else None
    )
    return topic or (title_topic(title) if title and not filler_title(title) else None)


# A Markdown image, and the link around it when it is one: a badge, no word of a heading.
MARKDOWN_IMAGE = re.compile(r"\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?")
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def undecorated(heading: str) -> str:
    """A heading without its emoji ("Retention 🚀", "🛠️ Installation") or inline HTML (an anchor,
    `<a id="getting-started"></a>`): decoration, no word. RST's inline code (``ferrylog check``)
    is written as Markdown's, as prose's is, so both ask alike."""
    heading = MARKDOWN_IMAGE.sub("", HTML_TAG.sub("", heading))  # a badge: "[![Build](...)](...)"
    heading = MARKDOWN_LINK.sub(r"\1", heading)  # "[3.5.3](https://...)": its text
    kept = "".join(
        c for c in heading if unicodedata.category(c) != "So" and c not in "\ufe0f\u200d"
    )
    return " ".join(RST_CODE.sub(r"`\1`", kept).split())


# Markdown's marks around a title's words ("**Rich**", "_Rich_", "`tqdm`"); an underscore inside
# a name is the name's ("How do I install pythondateutil?" was asked of "python_dateutil").
MARKS = re.compile(r"[*`#]|(?<!\w)_+|_+(?!\w)")


def filler_title(title: str) -> bool:
    """A title of filler words and generic headings alone: "Guide", "README", "Overview", "User
    Guide", "Getting Started Guide" ("How do I install Guide?" was asked)."""
    words = [w for w in MARKS.sub("", title).lower().split() if w not in TITLE_FILLER]
    return not words or " ".join(words) in GENERIC or all(w in GENERIC for w in words)


def title_topic(title: str) -> str:
    """A document title without filler words: "Tunelab guide" -> "Tunelab"."""
    # "Harborline Agent: Getting Started", "sqlitedict -- persistent dict, backed by SQLite"
    title = re.split(r":\s|\s(?:[—–-]|--)\s", title)[0]
    words = [w for w in MARKS.sub("", title).split() if w.lower() not in TITLE_FILLER]
    if len(words) > 1 and is_gerund(words[0].lower()):  # "Installing Ferrytrack Agent"
        words = words[1:]
    # "Ferrylog Installation Guide": what the document covers, not the product's name
    words = [w for w in words if w.lower() not in GENERIC.keys() - {"cli"}] or words
    return " ".join(words) or title
