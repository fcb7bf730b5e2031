"""Whether a capital letter stays when a phrase moves mid-sentence: a name ("Tunelab", "Windows",
"Ferrytrack Agent") keeps it, an ordinary word that opened a sentence or a heading loses it."""

from __future__ import annotations

import re
from functools import lru_cache

from tunelab.data.generate.template.heading_grammar import (
    MODEL_NUMBER,
    base_verb,
    is_gerund,
    named_with_the,
)
from tunelab.data.generate.template.heading_words import GENERIC, TITLE_FILLER
from tunelab.data.generate.template.word_classes import (
    DETERMINERS,
    POSSESSIVES,
    english,
    plural_form,
)
from tunelab.data.text import NAMES_THAT_ARE_WORDS

# What a name is wrapped in mid-sentence: a link's bracket, bold or italics ("[Click](...)",
# "**Backup Tool**", "_Rich_"); "_" is a word's character to `\b`, so a word ends at no letter.
EMPHASIS = r"[\[*_]*"
WORD_END = r"(?![^\W_])"
# Code in prose: a fenced block or a span in backticks.
CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)


def lower_first(phrase: str, context: str, topic: str | None = None, document: str = "") -> str:
    """Lower-case the first word for mid-sentence use, unless it is code, an acronym ("LoRA") or
    a name the text always capitalises ("Tunelab"), the document's `topic` among them ("Rich
    requires Python 3.8" in rich's README: "What does Rich require?"), or a name the whole
    `document` writes capitalised mid-sentence ("Thank you for choosing Quill." above the
    section's "Quill keeps a backup ...": "What does Quill keep?")."""
    first, _, rest = phrase.partition(" ")
    acronym = first[1:] != first[1:].lower()
    # Written in lower case as a word, not in a link, a file's name ("click.palletsprojects.com")
    # or code (`pip install quill` is the package's name, which "Quill" is the product's).
    prose = CODE.sub(" ", context)
    lower_seen = re.search(rf"(?<![\w./-]){re.escape(first.lower())}(?![\w/-]|\.\w)", prose)
    # A capital after a lower-case word ("built with Rich", "on [Click](...)") is a name's,
    # whatever the dictionary.
    # Within a paragraph: a line wrapped, not a heading-like line ended ("Or an entire repository"
    # above "Files will be downloaded ...").
    # The rest of the document as prose: "returns True" in its code makes no name of "True
    # color", nor a heading's Title Case ("## Installing Beacon") of "Beacon"; "The" is no name
    # wherever a title puts it. "Plug the Beacon in" once makes one of "Beacon is a lamp ...".
    elsewhere = named_in_prose(first, document) and first.lower() not in OPENERS
    mid_sentence = _mid_sentence(first, context) or elsewhere
    # "Beacon keeps your phone in sync." and "Beacon stores ...": a dictionary word standing
    # alone as the subject of two sentences or more, and never written in lower case, is the
    # product's name ("What does beacon store?" was asked); not a plural ("Logs ...") nor a
    # phrase's first word ("Configuration for `tox` is ...", "Possible values are ...").
    product = not rest and not plural_form(first.lower()) and first.lower() not in OPENERS
    product = product and _always_capitalised(first, CODE.sub(" ", document or context))
    proper = mid_sentence or not _ordinary(first) or first in NAMES_THAT_ARE_WORDS or product
    name = first[:1].isupper() and first in context and not lower_seen and proper
    # The document's name as it spells it, unless the prose writes it in lower case as a word
    # (`typer`, the command, is code: "Typer" stays).
    topical = first in _named_by(topic) and not _said_lower(first, context)
    # "Beautiful Soup", "Daniel Veillard": a phrase capitalised past its first word is a name or a
    # title, as written ("What is beautiful Soup?" lowered half of it); "The Agent" is not.
    # Every word past the first (an aside in brackets aside) in Title Case: not "A", "CPU",
    # "HB-401", nor "Full Unicode case-folding".
    later = [w for w in re.sub(r"\([^)]*\)", "", rest).split() if w not in TITLE_SMALL_WORDS]
    titled = bool(later) and all(w.istitle() and w.isalpha() and len(w) > 1 for w in later)
    titled = titled and first.lower() not in OPENERS
    if first.startswith("`") or acronym or name or topical or titled:
        return phrase
    return f"{first.lower()} {rest}".strip()


def _mid_sentence(word: str, text: str) -> bool:
    """Whether `text` writes `word` capitalised after a lower-case word ("built with Rich", "on
    [Click](...)"), the wrapped line of a paragraph too: a name's capital, not a place's."""
    after_a_word = rf"[a-z,;](?:[ \t]+|[ \t]*\n[ \t]*){EMPHASIS}{re.escape(word)}{WORD_END}"
    return re.search(after_a_word, text) is not None


def named_in_prose(word: str, document: str) -> bool:
    """Whether the `document` writes `word` capitalised after a word in lower case or a sentence's
    first word in a line of prose ("Plug the Beacon in", "The Beacon is ..."), which makes a name
    of it even once; not in code, a heading ("## Installing Beacon"), a Title Case line or link
    ("- [Getting Help](#getting-help)", "- Embedding Models"), nor where only a sentence's
    opening capitalises it ("Light stores your alarms.")."""
    lower = r"(?<![\w'-])[a-z][\w'-]*[,;]?"  # "plug the Beacon"
    opener = r"(?:^\s*(?:[-*+>]|\d+[.)])?\s*|[.!?:]\s+)[A-Z][a-z']*"  # "The Beacon", "Plug Beacon"
    after_a_word = re.compile(rf"(?:{lower}|{opener})[ \t]+{EMPHASIS}{re.escape(word)}{WORD_END}")
    return any(after_a_word.search(line) for line in _prose_lines(document) if word in line)


@lru_cache(maxsize=4)
def _prose_lines(document: str) -> tuple[str, ...]:
    """The `document`'s lines of prose: no code, heading nor Title Case line. Read once per
    document, not once per word each heading asks of (three quarters of template mode's time
    went to reading the whole document again for each word)."""
    lines = CODE.sub(" ", document).splitlines()
    return tuple(line for line in lines if not _title_line(line))


def _title_line(line: str) -> bool:
    """A heading, or a line of words in Title Case that ends no sentence (a contents' "- [Night
    Light](#night-light)", "- Embedding Models"): it capitalises a word as a title does."""
    words = re.findall(r"[A-Za-z][\w'-]*", re.sub(r"\]\([^)]*\)", "]", line))
    titled = all(w[0].isupper() or w in TITLE_SMALL_WORDS for w in words)
    return HEADING(line) is not None or titled and not re.search(r"[.!?]\W*$", line)


HEADING = re.compile(r"\s{0,3}#").match


def sentence_cased(phrase: str, document: str, topic: str | None = None) -> str:
    """A heading or a table's first cell in sentence case ("Barcodes do not scan") with its first
    word in lower case where the dictionary lacks it and only its place capitalises it, a
    sentence's opening in its section too ("What should I do when Barcodes do not scan?" was
    asked: an unknown word read as a name). A name is kept: capitalised mid-sentence in
    `document` ("run Ferrylog"), the `topic`'s, an acronym or one with inner capitals ("LoRA").
    A dictionary word ("Solid green") is `lower_first`'s to lower where it moves mid-sentence."""
    first, _, rest = phrase.partition(" ")
    second = rest.split(" ", 1)[0]
    if not (first.isalpha() and first[:1].isupper() and first[1:].islower() and second.islower()):
        return phrase  # one word, code, an acronym, or Title Case ("Solid Green", "Backup Tool")
    if _ordinary(first):
        return phrase
    prose = CODE.sub(" ", document)
    if first in _named_by(topic) | NAMES_THAT_ARE_WORDS or _mid_sentence(first, prose):
        return phrase
    return phrase if _always_capitalised(first, prose) else f"{first.lower()} {rest}"


def _always_capitalised(word: str, text: str) -> bool:
    """Whether `text` writes `word` capitalised in two sentences or more and never in lower case,
    as it writes a name ("Printly stops when ..." and "Printly needs ...", a title's line aside:
    "- [Night Light](...)"): the name opened every sentence it is in, and "What should I do when
    printly stops?" was asked."""
    if _said_lower(word, text):
        return False
    # A line without the word holds no sentence of it: it is not read as a title's or not.
    lines = {line for line in text.splitlines() if word in line and not _title_line(line)}
    sentences = {s for line in lines for s in re.split(r"(?<=[.!?])\s+", line) if word in s}
    return len([s for s in sentences if re.search(rf"(?<![\w-]){re.escape(word)}\b", s)]) >= 2


def lower_title(phrase: str, context: str, topic: str | None = None, document: str = "") -> str:
    """A Title Case phrase ("Log Rotation", "Backup Tool") for mid-sentence use: as written where
    it names something (a word the dictionary lacks: "Ferrytrack Agent"; or capitalised after a
    lower-case word in its section: "run the Backup Tool"), else every ordinary word lower-cased
    ("log rotation", not "log Rotation") but the document's `topic` ("Configure Widget" in
    Widget's manual), nor a word the `document`'s prose capitalises mid-sentence ("Installing
    Beacon" where it says "plug the Beacon in"). Any other phrase: `lower_first`."""
    words = phrase.split()
    capitalised = [w for w in words if w.lower() not in TITLE_SMALL_WORDS]
    if len(capitalised) < 2 or not all(w[:1].isupper() for w in capitalised):
        return lower_first(phrase, context, topic, document)
    ordinary = [w for w in capitalised if len(w) > 1 and w[1:] == w[1:].lower()]
    # "run the Backup Tool", "run the [Backup Tool](...)", "run the **Backup Tool**".
    named = rf"[a-z,;]\s+{EMPHASIS}{re.escape(phrase)}{WORD_END}"
    named_mid_sentence = re.search(named, context) is not None
    if named_mid_sentence or not all(english(w) for w in ordinary):
        return phrase
    # A word of the topic stays as the name writes it, unless the text writes it in lower case
    # as a word ("the first sync" under "Harborline Sync Agent"; "widget.yaml" is a file's name),
    # and unless the whole name is in the phrase ("Use Harborline Sync Agent").
    said = {w for w in words if _said_lower(w, context) and (topic or "") not in phrase}
    in_prose = {w for w in ordinary if named_in_prose(w, document)} - said
    # "the Vireo Hub" in a sentence names both words, however often it says "the hub" alone.
    prose = "\n".join(
        line for line in f"{context}\n{document}".splitlines() if not _title_line(line)
    )
    together = set(_named_mid_sentence(words, CODE.sub(" ", prose)).values())
    names = NAMES_THAT_ARE_WORDS | in_prose | together | (_named_by(topic) - said)
    return " ".join(w.lower() if w in ordinary and w not in names else w for w in words)


def topic_mid_sentence(topic: str, context: str, document: str = "") -> str:
    """A document's name asked about mid-sentence: as written where it is a name ("Accelerate",
    "Harborline Sync Agent"), in lower case where its file's name gave an ordinary phrase
    ("Battery care" of battery_care.md: "What is battery care?", not "What is Battery care?"),
    after "the" where the text always says it so ("the K9 Router"), or the whole `document` does
    where the section never says it ("How secure is the K9 Router?" of its "## Security")."""
    topic = as_prose_says(topic, document or context)
    said = topic if _named_by(topic) else lower_first(topic, context)
    return f"the {said}" if named_with_the(topic, context, document) else said


@lru_cache(maxsize=16)  # each chunk of a document asks it of the same title and text
def as_prose_says(name: str, text: str) -> str:
    """A title's name as the text writes it where the text never says it whole: "Beacon R5" of
    "# Beacon R5 Router" whose prose says "the Beacon R5" (the kind dropped, an English word after
    a model's number or one the prose writes in lower case: "a home Wi-Fi router"), so that
    questions name the product as its answers do; else `name` ("FastAPI Cloud", whose prose says
    "FastAPI" and never "cloud", is no kind of FastAPI)."""
    words = name.split()
    said = lambda part: re.search(rf"(?<![\w-]){re.escape(part)}(?![\w-])", text)  # noqa: E731
    if not text or said(name):
        return name
    for n in range(len(words) - 1, 0, -1):
        part = " ".join(words[:n])
        # A kind follows a model's number ("Ember H2 Heater") or is said as one ("a router").
        numbered = MODEL_NUMBER.fullmatch(words[n - 1]) is not None
        kinds = all(
            w.isalpha() and english(w.lower()) and (numbered or _said_lower(w, text))
            for w in words[n:]
        )
        if kinds and not all(map(_ordinary, words[:n])) and said(part):
            return part
    return name


def in_full(subject: str, topic: str, text: str) -> str:
    """The document's name where a sentence's subject is its first words and the `text` never
    says it whole nor drops a kind (`as_prose_says`): "FastAPI Cloud" for "FastAPI stores your
    logs" under "# FastAPI Cloud" ("What does FastAPI store?" asked of another product); else
    `subject`. Where the text says both, the short name may be another thing: as written."""
    if not topic.startswith(f"{subject} ") or as_prose_says(topic, text) != topic:
        return subject
    rest = topic.split()[len(subject.split()) :]
    if {w.lower() for w in rest} & (TITLE_FILLER | GENERIC.keys()):
        return subject  # "Tunelab guide", "Ferrylog Installation": a document's, not a name
    if not all(re.fullmatch(r"[A-Za-z][\w-]*", w) for w in rest):
        return subject  # "Databricks SDK for Python (Beta)": an aside, no name's word
    return subject if re.search(rf"(?<![\w-]){re.escape(topic)}(?![\w-])", text) else topic


def _ordinary(word: str) -> bool:
    """An English word, each part of it if hyphenated ("Low-level"), or the gerund of one
    ("Reindexing", which the dictionary lacks); not a name ("Ferrylog")."""
    return all(english(part) or _gerund(part) for part in word.split("-") if part)


def _gerund(word: str) -> bool:
    """Whether a word is an English verb's -ing form, after "re", "un" or "pre" if it has one
    ("Reindexing": re-index): a sentence opening with it names an act, not a thing."""
    if not is_gerund(word.lower()):
        return False
    verb = base_verb(word)
    return any(english(verb[len(p) :]) for p in ("", "re", "un", "pre") if verb.startswith(p))


def _named_by(topic: str | None) -> set[str]:
    """The words a document's name keeps capitalised: a name's ("Rich", "Harborline Sync Agent"),
    not those of an ordinary phrase its file's name gave in sentence case ("Battery care" of
    battery_care.md, capitalised where a sentence opens with it: "What is Battery care?")."""
    words = (topic or "").split()
    phrase = len(words) > 1 and all(w.islower() for w in words[1:]) and all(map(_ordinary, words))
    return set() if phrase else set(words)


def _said_lower(word: str, context: str) -> bool:
    """Whether the text writes a word in lower case as a word, not in code, a link or a file's
    name ("the first sync", not `sync` or "widget.yaml")."""
    return (
        re.search(rf"(?<![\w./`-]){re.escape(word.lower())}(?![\w`/-]|\.\w)", context) is not None
    )


# Words a noun phrase opens with that a name does not: "The Agent", "Your Config".
OPENERS = DETERMINERS | POSSESSIVES | frozenset("all each this these those some any no".split())
TITLE_SMALL_WORDS = frozenset("a an the of and or for to in on at by with from vs".split())


def unshouted(heading: str, text: str) -> str:
    """A heading in capitals ("SETTING A STATIC IP ADDRESS", a plain-text manual's) with each word
    as the `text` writes it elsewhere: in lower case where it says it so (or a dictionary word
    only capitalised), an acronym ("IP") where it only writes it in capitals, else as it writes
    it ("Wi-Fi", "Wrenfield"); a word it never says, in lower case. "How do I set A STATIC IP
    ADDRESS?" was asked. Any other heading as it is."""
    words = heading.split()
    if len(words) < 2 or heading != heading.upper() or heading == heading.lower():
        return heading
    prose = "\n".join(line for line in text.splitlines() if line != line.upper())
    named = _named_mid_sentence(words, prose)
    said = []
    for i, word in enumerate(words):
        found = re.findall(rf"(?<![\w-]){re.escape(word)}(?![\w-])", prose, re.IGNORECASE)
        written = [w for w in found if w != w.upper()]
        # A dictionary word capitalised only where a sentence or a label opens ("to Static").
        opened = written and all(w == w.capitalize() for w in written) and english(word.lower())
        if i in named:  # a name's word, whatever the prose says in lower case ("the hub")
            said.append(named[i])
        elif not found or word.lower() in found or opened:
            said.append(word.lower())
        else:  # the spelling it uses most, an acronym's capitals where it has no other
            said.append(max(written, key=written.count) if written else word)
    return " ".join([said[0][:1].upper() + said[0][1:], *said[1:]])


def _named_mid_sentence(words: list[str], prose: str) -> dict[int, str]:
    """The heading's words that the `prose` writes as a name of two capitalised words after one
    in lower case, by their places, as written ("INSTALLING THE VIREO HUB" over "Mount the Vireo
    Hub ..." and "The hub needs ..." was asked "How do I install the vireo hub?")."""
    named: dict[int, str] = {}
    for i, pair in enumerate(zip(words, words[1:], strict=False)):
        phrase = r"[ \t]+".join(re.escape(word) for word in pair)
        for m in re.finditer(rf"(?<![\w'-])([a-z][\w'-]*)[ \t]+({phrase})(?![\w-])", prose, re.I):
            name = m[2].split()
            if m[1].islower() and all(w[:1].isupper() and w != w.upper() for w in name):
                named.update({i: name[0], i + 1: name[1]})
    return named
