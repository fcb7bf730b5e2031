"""What a document is called: the title that names it ("# Ferrytrack Agent", front matter's
`title:`), else its file's name as its prose spells it, which template mode asks about where
its headings leave the thing unnamed."""

from __future__ import annotations

import re
from collections import Counter

from tunelab.data.text import english

# A title in YAML front matter: "title: Ferrytrack Agent".
FRONT_TITLE = re.compile(r"^title:[ \t]*(\S.*?)[ \t]*$", re.M)


def names_something(title: str) -> bool:
    """Whether a plain title names something, a word no dictionary holds ("Ferrytrack Agent",
    "Beacon R5 Router"), not ordinary words, acronyms or a document's kind alone ("Battery care",
    "API Reference", "Changelog" of httpcore.md: "What changed in 0.10.0?" named no product)."""
    if re.search(r"[\[<]", title):  # a badge's link or HTML: no plain name to trust
        return False
    words = re.findall(r"[A-Za-z][\w']*", title)
    return any(
        not english(w) and (re.search(r"\d", w) or not w.isupper()) and w.lower() not in KINDS
        for w in words
    )


# A document's kind, which no dictionary holds: no name.
KINDS = frozenset("changelog readme faq faqs todo howto api cli sdk".split())


# What a name is not spelled as prose spells it in: code spans, links' and images' targets, web
# addresses and HTML tags ("fastapi.tiangolo.com", "`pip install fastapi`").
NOT_PROSE = re.compile(r"`[^`\n]*`|\]\([^)]*\)|<[^>]*>|\b[a-z]+://\S+")


def document_name(stem: str, text: str) -> str:
    """A document's name from its file's, spelled as its prose spells it most: "fastapi.md" is
    about "FastAPI", "httpx.md" about "HTTPX" ("What is fastapi?" was asked); the file's own
    name where the prose never writes it (code does not count: `import fastapi`), unless that
    is ordinary words ("install-guide", "operations"), which name nothing a reader knows ("How
    do I upgrade operations?" was asked): then the name the prose gives ("Zephyrine"), or none.
    """
    # sections names its documents from here
    from tunelab.data.documents.sections import fenced_parts

    prose = NOT_PROSE.sub(" ", "".join(part for code, part in fenced_parts(text) if not code))
    words = r"[-_ ]".join(map(re.escape, re.split(r"[-_ ]", stem)))  # "more_itertools"
    spelled = re.findall(rf"(?<![\w./@-]){words}(?![\w/@-]|\.\w)", prose, re.IGNORECASE)
    if spelled:
        return Counter(spelled).most_common(1)[0][0]
    if all(map(english, filter(None, re.split(r"[-_ ]", stem)))):
        return _name_in(prose)
    return stem


def _name_in(prose: str) -> str:
    """The name `prose` says most, "" where none is said more than the others: a capitalised
    word no dictionary holds and the prose never writes in lower case ("Zephyrine")."""
    words = re.findall(r"(?<![\w./@-])[A-Za-z]\w*(?![\w/@-])", prose)  # a path's are none
    lower = {w for w in words if w.islower()}
    names = Counter(
        w
        for w in words
        if w[0].isupper() and not w.isupper() and w.lower() not in lower and not english(w)
    ).most_common(2)
    return names[0][0] if names and (len(names) == 1 or names[0][1] > names[1][1]) else ""
