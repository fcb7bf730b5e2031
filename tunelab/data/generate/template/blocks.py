"""How template mode reads a chunk's text: paragraphs and list items (their wrapped lines
joined), code blocks and tables, a sentence's "It" said with the name it stands for (and "Press
it" with the control), and prose without its Markdown (a paragraph's sentences are
`tunelab.data.text.sentences`')."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tunelab.data.documents.fields import NAMED
from tunelab.data.documents.sections import LIST_ITEM, fenced_parts
from tunelab.data.generate.template.heading_grammar import is_gerund, names_a_command
from tunelab.data.generate.template.word_classes import third_person
from tunelab.data.text import FUNCTION_WORDS, english, sentences

# `term`: ..., **Term**: ..., Term: ... (a plain term never starts inside a code span).
DEFINITION = re.compile(
    rf"^\s*(?:[-*]\s+)?({NAMED}|`[^`]{{1,40}}`|\*\*[^*]{{1,40}}\*\*|[A-Za-z][\w .()/-]{{0,40}}?)"
    r"\s*:\s+(\S.{8,})$"
)
# A specification written as a label and its measure ("Weight: 6.4 kg"), a table's row in prose:
# lines of them, with no full stop, are each a block, not one paragraph. A label is a noun of a
# few words, not a numbered one ("Step 2: 5 minutes") nor a clause ("The runs of LoRA on this
# kind: 2.15x, ..."), and a measure a few words, perhaps with a clause on it ("Brew temperature:
# 93 °C by default; it can be set between 88 °C and 96 °C.").
SPEC_LINE = re.compile(
    r"^(?!(?:The|A|An|This|These|Each|Every|All) )(?P<key>[A-Z][\w/-]*(?: [\w/-]+){0,3})(?<!\d):"
    r" (?P<value>~?\d[^\s:;]*(?: [^\s:;]+){0,5}(?:; [^:;]{3,80})?)$"
)
# A table row as the HTML reader writes it ("timeout | 30"): cells, no sentence.
TABLE_ROW = re.compile(r"^[^.!?|]{1,60}(?: \| [^.!?|]{0,60})+$")
# RST's inline code: ``x``, no space just inside it and no backtick or letter just outside (so
# Markdown's "`` `x` ``", code holding a backtick, is left as written).
RST_CODE = re.compile(r"(?<![`\w])``([^`\s](?:[^`]*[^`\s])?)``(?![`\w])")
# Inline HTML a Markdown page uses for layout: no words of its prose ("<br>", "<kbd>").
HTML_TAG = re.compile(
    r"<!--.*?-->|</?(?:details|summary|br|hr|div|span|p|sup|sub|kbd|b|i|em|strong|u|small|"
    r"center|a|img)\b[^>]*>",
    re.I | re.S,
)
ITEM = LIST_ITEM
QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
# An admonition's marker: MkDocs' `!!! warning "Disk usage"` (or `??? note`), GitHub's `[!NOTE]`.
ADMONITION = re.compile(r'^\s*(?:(?:!!!|\?\?\?\+?)\s*[\w-]+(?:\s+"[^"]*")?|\[![A-Za-z]+\])\s*$')


@dataclass
class Block:
    kind: str  # "prose" (a paragraph or list item, unwrapped), "code" or "table"
    text: str
    item: str = ""  # a list item's marker ("1.", "-"), without it in `text`


def blocks_of(text: str) -> list[Block]:
    """Paragraphs and list items (their wrapped lines joined), code blocks and tables. A `Term:
    definition` line after a finished sentence starts a block of its own, as does a `Label:
    measure` line after another."""
    blocks: list[Block] = []
    lines: list[str] = []
    marker = ""

    def close(kind: str = "prose") -> None:
        nonlocal marker
        joined = "\n".join(lines) if kind != "prose" else clean(" ".join(lines))
        if joined.strip():  # a paragraph of badges cleans to nothing
            blocks.append(Block(kind, joined, marker if kind == "prose" else ""))
        lines.clear()
        marker = ""

    for code, part in fenced_parts(text):
        if code:
            close()
            blocks.append(Block("code", "\n".join(part.splitlines())))
            continue
        for line in part.splitlines():
            line = QUOTE.sub("", line)  # "> **Note:** ...": a quoted paragraph is read as one
            if not line.strip() or ADMONITION.match(line):  # its body is a paragraph of its own
                close()
            elif line.lstrip().startswith("|") or TABLE_ROW.match(line):
                close()
                lines.append(line)
                close("table")
            else:
                ended = not lines or lines[-1].rstrip().endswith((".", "!", "?", ":"))
                if ITEM.match(line) or (ended and (DEFINITION.match(line) or line.startswith(":"))):
                    close()
                elif SPEC_LINE.match(line.strip()) and (ended or SPEC_LINE.match(lines[-1])):
                    close()
                if item := ITEM.match(line):
                    marker = item[0].strip()
                lines.append(line[item.end() :] if item else line.strip())
    close()
    return blocks


def clean(text: str) -> str:
    """Prose without Markdown emphasis and link targets; code spans are kept, and a double-backtick
    one (RST's inline code, ``pip install x``) is written as Markdown's usual single-backtick one."""
    text = HTML_TAG.sub(" ", text)
    text = RST_CODE.sub(r"`\1`", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images and badges
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return " ".join(text.split())


# "Harborline Sync Agent is a background service ...": the name a later "It ..." stands for.
IT_NAMES = re.compile(
    r"^((?:[A-Z][\w.-]*|`[^`]+`)(?: [A-Z][\w.-]*){0,4}) (?:is|are) (?:a|an|the|our)\b"
)
# "Zephyrine requires Python 3.10 ...": a name no dictionary holds, doing something.
NAME_ACTS = re.compile(r"^([A-Z][\w.-]*) [a-z]+s\b")
# "tear_offset sets how far ...", "darkness sets how much heat ...", "The volume sets how loud
# ...": a setting's name, as code writes it or as a word in lower case opening a sentence (prose
# opens one with a capital) or after "The", doing something; every "It" and "Its" of its
# paragraph stands for it (a setting's section says its default, its range).
SETTING_ACTS = re.compile(r"^(`[^`]+`|[a-z]\w*_\w+|(?:The )?[a-z][a-z-]+) (?:[a-z]+s|is|are)\b")


def setting_name(sentence: str) -> str | None:
    """The setting a sentence opens with, doing something ("darkness sets how much heat ..."):
    None for a word of grammar ("this is ...") or a verb ("uses less memory") in lower case."""
    if not (m := SETTING_ACTS.match(sentence)):
        return None
    word = m[1].removeprefix("The ")
    plain = re.fullmatch(r"[a-z-]+", word)
    return None if plain and (word in FUNCTION_WORDS or third_person(word)) else m[1]


# "Hold the WIFI button for 5 seconds ... Press it for 3 seconds.": a control pressed as "it" is
# the one control the sentence before names; a sentence naming none, or two, leaves "it" unsaid.
PRESSED_IT = re.compile(r"^(?P<verb>Press|Hold|Tap|Push|Turn|Release) it\b")
CONTROL = re.compile(
    r"\b(?:[Tt]he|[Yy]our) (?:[\w-]+ ){0,2}?(?:button|key|knob|switch|dial|lever)s?\b"
)


def control_named(sentence: str, before: str) -> str:
    """`sentence` pressing "it" said with the control the sentence `before` it names ("Press it
    for 3 seconds." -> "Press the WIFI button for 3 seconds."), else as it is."""
    controls = CONTROL.findall(before)
    if not (m := PRESSED_IT.match(sentence)) or len(controls) != 1 or controls[0].endswith("s"):
        return sentence
    control = controls[0][0].lower() + controls[0][1:]
    return f"{m['verb']} {control}{sentence[m.end() :]}"


def said_with_name(sentence: str, paragraph: list[str]) -> str:
    """A sentence whose "It" stands for the name its paragraph opened with, said with that name
    ("It runs on Windows 10 or later." -> "Harborline Sync Agent runs on ..."): "It" alone is
    no subject a question can ask about. A name only doing something is what "It" stands for
    in the next sentence alone ("PyPI contains wheels. If ..., the tarball is used. It requires
    a C compiler": the library does). A setting's name as code writes it ("tear_offset sets ...")
    is what every "It" and "Its" of its paragraph stand for ("Its default is 12 mm."), and one
    after "The" what its "Its" and "It ranges" stand for."""
    first = paragraph[0]
    if sentence != first and sentence in paragraph and PRESSED_IT.match(sentence):
        return control_named(sentence, paragraph[paragraph.index(sentence) - 1])
    if sentence == first or not sentence.startswith(("It ", "Its ")):
        return sentence
    pronoun, rest = sentence.split(" ", 1)
    name = setting_name(first)
    # "The volume sets ...": its "Its default" and "It ranges" are a setting's; "The service
    # starts at boot. It logs to syslog." names no one thing.
    if name and name.startswith("The ") and pronoun == "It" and not rest.startswith("ranges "):
        name = None
    if name:  # "Its default is 12 mm." -> "The default of ..."
        if pronoun == "It":
            return f"{name} {rest}"
        thing = re.match(r"(\w+) (?=is |are )", rest)  # "Its default is", not "Its own ..."
        name = re.sub(r"^The ", "the ", name)  # "The default of the volume is 3."
        return f"The {thing[1]} of {name} {rest[thing.end() :]}" if thing else sentence
    if not sentence.startswith("It "):
        return sentence
    acts = NAME_ACTS.match(first) if paragraph[1:2] == [sentence] else None
    if m := IT_NAMES.match(first) or (acts if acts and not english(acts[1]) else None):
        return f"{m[1]} {sentence[3:]}"
    return sentence


# A setting's section under its parent: "## Settings", "## Configuration options".
SETTINGS_HEADING = re.compile(
    r"\b(?:settings|options|configuration|parameters|preferences)\b", re.I
)
# "The default is 3.", "The range is 0 to 5.", as a label, "Default: 12 mm.", "Range: 0 to 30
# mm.", and "Defaults to 3.": a value said of no one thing.
VALUE_OF_NONE = re.compile(
    r"^(?:(?:The (?P<thing>default|range)|(?P<label>Default|Range))(?P<value> value)?(?: is|:)"
    r"|(?P<verb>Default)s to) "
)


def section_setting(headings: list[str], text: str) -> str | None:
    """The setting a section's heading names, as a question says it: "tear_offset" (code, or a
    name with "_"), "darkness" over "darkness sets ...", "the volume" over "The volume sets ...",
    "volume" under "## Settings"; None for any other heading ("### Cleaning")."""
    heading = headings[-1].strip() if headings else ""
    if re.fullmatch(r"`[^`]+`|[a-z]\w*_\w+", heading):
        return heading
    under = len(headings) > 1 and SETTINGS_HEADING.search(headings[-2])
    if under and (named := sentence_case_setting(heading, text)):
        return named  # "### Start time" over "Sets when ...": "How do I start time?" read a step
    if not re.fullmatch(r"[a-z][a-z-]+", heading) or heading in FUNCTION_WORDS:
        return None
    said = setting_name(text.strip()) or ""
    if said.removeprefix("The ") == heading:
        return f"the {heading}" if said.startswith("The ") else heading
    return heading if under else None


def sentence_case_setting(heading: str, text: str = "") -> str | None:
    """A setting's name as a manual's heading writes it, in sentence case, lowered for a question
    ("Start time" -> "start time", "Duration" -> "duration", "Padding", "Ring volume"): up to
    three plain words, none a function word; None for anything else. A gerund before more words
    is a step ("Changing tones" over "Press MENU ..."), unless its section `text` says what a
    setting does or its default ("Logging level" over "Sets how much ..." or "Defaults to info.",
    where "How do I log level?" was asked)."""
    if not re.fullmatch(r"[A-Z][a-z-]+(?: [a-z][a-z-]+){0,2}", heading):
        return None
    words = heading.lower().split()
    if any(w in FUNCTION_WORDS for w in words):
        return None
    if len(words) > 1 and is_gerund(words[0]) and not _says_a_setting(heading, text):
        return None
    return " ".join(words)


def _says_a_setting(heading: str, text: str) -> bool:
    """Whether a section's `text` says what a setting does ("Sets how much ...") or its default or
    range of no one thing ("Defaults to info.", "Range: 1 to 5")."""
    if names_a_command(heading, text.strip()):
        return True
    prose = [b.text for b in blocks_of(text) if b.kind == "prose"]
    return any(VALUE_OF_NONE.match(s) for p in prose for s in sentences(p))


def said_of_setting(sentence: str, setting: str | None) -> str:
    """A default or range its section says of no one thing, said of the setting the section's
    heading names ("The default is 3.", "Default: 3." or "Defaults to 3." under "### volume" ->
    "The default of volume is 3."): "What is the default?" does not say of what, and a label no
    question asks."""
    if not setting or not (m := VALUE_OF_NONE.match(sentence)):
        return sentence
    thing = (m["thing"] or (m["label"] or m["verb"]).lower()) + (m["value"] or "")
    value = sentence[m.end() :].rstrip()
    end = "" if value.endswith((".", "!", "?")) else "."  # "- Default: 12 mm", a list's item
    return f"The {thing} of {setting} is {value}{end}"
