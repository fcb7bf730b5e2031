"""Rule-based Q&A from a document, no model needed, one pair per fact: a heading becomes the
question its section's lead sentences answer ("How do I ...?" for a task, with its code when it
asks for a command); each plain statement becomes the question it answers (questions.py); `Term:
definition` lines become "What is term?"; CLI help text becomes "What does --flag do?"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tunelab.data.chunking import LIST_ITEM, Chunk, fenced_parts
from tunelab.data.generate.headings import DETERMINERS, IMPERATIVES, heading_question
from tunelab.data.generate.questions import (
    AUXILIARIES,
    LEANING,
    VERBS,
    lower_first,
    sentence_question,
)

# `term`: ..., **Term**: ..., Term: ... (a plain term never starts inside a code span).
DEFINITION = re.compile(
    r"^\s*(?:[-*]\s+)?(`[^`]{1,40}`|\*\*[^*]{1,40}\*\*|[A-Za-z][\w .()/-]{0,40}?)\s*:\s+(\S.{8,})$"
)
# "X: 8.3 minutes", "Several GPUs: start ...": a measurement or a lead-in, not a definition.
NOT_DEFINED = re.compile(r"^[~\d]|^\S+(\s\S+){0,5}\s~?\d[\d.]*\s?(s|ms|min|minutes|seconds|%)\b")
LEAD_IN = frozenset("several many some all each most every any is are not".split()) | LEANING
# Feature lists ("Fast: very high performance") name qualities, which "What is ...?" cannot ask.
ADJECTIVE = re.compile(
    r"(ive|ful|less|ous|based)$|^(fast|easy|short|simple|quick|large|small|"
    r"robust|safe|secure|free|open|lightweight|modern|clean|flexible|fewer|more|less|better)$"
)
# A lead that tells the reader to do something answers "How do I ...?", never "What is ...?".
IMPERATIVE = VERBS | IMPERATIVES | frozenset("now modify go see try import define declare".split())
SKIP_TERMS = frozenset(
    """note notes warning tip example e.g default usage options important http https step
    caution info cause fix solution symptom symptoms problem reason workaround""".split()
    + ["see also"]
)
# A table row as the HTML reader writes it ("timeout | 30"): cells, no sentence.
TABLE_ROW = re.compile(r"^[^.!?|]{1,60}(?: \| [^.!?|]{0,60})+$")
# An FAQ entry: "Q: How long does it last?" then "A: About 12 hours." on its line or the next,
# either bold ("**Q:**"), in a list or not; its answer runs to the next entry or a blank line.
_LABEL = r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?(?:{})(?:\*\*)?[ \t]*[:.][ \t]*(?:\*\*)?[ \t]*"
FAQ = re.compile(
    _LABEL.format("Q|Question")
    + r"(?P<q>[^\n]+?\?)[ \t]*(?:\*\*)?[ \t]*\n?"
    + _LABEL.format("A|Answer").replace("^", "")
    + r"(?P<a>.+?)"
    + r"(?=\n"
    + _LABEL.format("Q|Question").replace("^", "")
    + r"|\n[ \t]*\n|\Z)",
    re.M | re.S,
)
# An FAQ written as a bold question, its answer on the same or the next lines ("**Is it free?**"
# then "Yes, for teams of up to 5."), to a blank line or the next bold question.
BOLD_FAQ = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?\*\*(?P<q>[^*\n]+?\?)\*\*[ \t]*\n?[ \t]*(?P<a>[^\s*].*?)"
    r"(?=\n[ \t]*\n|\n[ \t]*(?:[-*+][ \t]+)?\*\*[^*\n]+?\?\*\*|\Z)",
    re.M | re.S,
)
# An FAQ entry folded in HTML: "<details><summary>Why 14 days?</summary> Most ... </details>".
DETAILS = re.compile(
    r"<details>\s*<summary>\s*(?P<q>[^<]+?\?)\s*</summary>\s*(?P<a>.+?)\s*</details>", re.S | re.I
)
# Inline HTML a Markdown page uses for layout: no words of its prose ("<br>", "<kbd>").
HTML_TAG = re.compile(
    r"<!--.*?-->|</?(?:details|summary|br|hr|div|span|p|sup|sub|kbd|b|i|em|strong|u|small|"
    r"center|a|img)\b[^>]*>",
    re.I | re.S,
)
OPTION = re.compile(r"^\s+((?:-\w,\s*)?--[\w-]+)(?:[ =]([A-Z][A-Z_]+|<[^>]+>))?\s+([A-Z].*)$")
USAGE = re.compile(r"^\s*Usage:\s+(.+)$", re.IGNORECASE)
ITEM = LIST_ITEM
QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
# An admonition's marker: MkDocs' `!!! warning "Disk usage"` (or `??? note`), GitHub's `[!NOTE]`.
ADMONITION = re.compile(r'^\s*(?:(?:!!!|\?\?\?\+?)\s*[\w-]+(?:\s+"[^"]*")?|\[![A-Za-z]+\])\s*$')
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])")
ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf)\.$")
ASKS_FOR_CODE = re.compile(r"\b(how do i|commands?|call|run|install|usage)\b", re.IGNORECASE)
LEAD_WORDS = 12  # a lead sentence shorter than this takes the next sentence with it
MAX_CODE_LINES = 15
MAX_STEPS = 12  # of a list that answers a heading's question
# "To add an exclusion rule:" before its steps: "How do I add an exclusion rule?".
TASK_INTRO = re.compile(r"^To (?P<task>[a-z]\w+ [^:]{2,80}):$")


@dataclass
class Block:
    kind: str  # "prose" (a paragraph or list item, unwrapped), "code" or "table"
    text: str
    item: str = ""  # a list item's marker ("1.", "-"), without it in `text`


def template_pairs(chunk: Chunk, max_answer_tokens: int = 300) -> list[tuple[str, str]]:
    """Every (question, answer) the rules find in one chunk, one question per fact, no repeats."""
    # An FAQ's entries are pairs as they stand; the rest of the text is read for the others. In
    # code an entry is an example (a prompt format), not a pair.
    parts = fenced_parts(chunk.text)
    prose = [part for code, part in parts if not code]
    blocks = blocks_of("".join(part if code else _without_faq(part) for code, part in parts))
    pairs: list[tuple[str, str]] = []
    used: set[str] = set()  # sentences already answering a question
    if chunk.part == 0 and chunk.headings:
        title = Path(chunk.source).stem
        question = heading_question(chunk.headings, chunk.text, title)
        if question and (answer := _lead_answer(question, blocks, used)):
            pairs.append((question, answer))
    pairs += [
        (clean(m["q"]), clean(m["a"]))
        for p in prose
        for faq in (FAQ, BOLD_FAQ, DETAILS)
        for m in faq.finditer(FAQ.sub("", p) if faq is BOLD_FAQ else p)
    ]
    pairs += table_pairs(blocks)
    for i, block in enumerate(blocks):
        if block.kind == "code":
            pairs += cli_pairs(block.text)
        elif block.kind == "prose":
            sentences = split_sentences(block.text)
            task = TASK_INTRO.match(sentences[-1])
            if task and i + 1 < len(blocks) and blocks[i + 1].item:  # "To add a rule:" 1. 2.
                asked = re.sub(r"\byour\b", "my", task["task"])
                pairs.append((f"How do I {asked}?", f"{sentences[-1]}\n{_listed(blocks, i + 1)}"))
                used.add(sentences[-1])
            if sentences[0] not in used and (definition := _definition(block.text, chunk.text)):
                pairs.append(definition)
                used.add(sentences[0])
            for sentence in sentences:
                if sentence in used or (len(sentences) == 1 and _title_line(sentence)):
                    continue  # a title line says nothing to ask about
                stated = _named(NOTE_LABEL.sub("", sentence), sentences[0])
                if _commands(stated, bool(block.item)):
                    continue  # "Run `x reload` so the agent reads...": a step, no statement
                if q := sentence_question(stated, chunk.text):
                    pairs.append((q, _verdict(q, stated)))
    seen: set[str] = set()
    words = max_answer_tokens * 3 // 4  # tokens are approximate: about 3/4 of a word each
    unique = []
    for q, a in pairs:
        if q.lower() not in seen and len(a.split()) <= words:
            seen.add(q.lower())
            unique.append((q, a))
    return unique


# A table's column that holds each row's value: "What is the default poll_interval?".
VALUE_COLUMNS = (
    "default", "value", "limit", "maximum", "max", "minimum", "min", "recommended", "range", "unit"
)  # fmt: skip
QUALIFIERS = ("default", "maximum", "minimum", "recommended")  # said before the row's name


def table_pairs(blocks: list[Block]) -> list[tuple[str, str]]:
    """Questions from key-value tables (an options table with a Default column, a limits table
    of two columns): one per row, its first cell the key. A table of more columns and none of
    `VALUE_COLUMNS` (a benchmark's) is left alone: its rows ask nothing one answer gives."""
    pairs: list[tuple[str, str]] = []
    table: list[list[str]] = []
    for block in [*blocks, Block("prose", "")]:
        if block.kind == "table":
            cells = [clean(c) for c in block.text.strip().strip("|").split("|")]  # "**info**"
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):  # the header's rule
                table.append(cells)
            continue
        if len(table) > 1:
            pairs += _rows_asked(table[0], table[1:])
        table = []
    return pairs


def _rows_asked(header: list[str], rows: list[list[str]]) -> list[tuple[str, str]]:
    names = [h.lower().strip("*` ") for h in header]
    values = [i for i, n in enumerate(names) if n in VALUE_COLUMNS and i > 0]
    if not values and (len(header) != 2 or len(names[1].split()) > 2):
        return []  # a second column named by a phrase ("the implementation it follows") no noun
    described = next((i for i, n in enumerate(names) if n in ("description", "meaning")), None)
    pairs = []
    for value in values or [1]:  # each value column: "Minimum" and "Recommended" both
        column = names[value]
        for row in rows:
            if len(row) != len(header) or not row[0] or not row[value]:
                continue
            key, said = row[0], row[value]
            if column in MEANING_COLUMNS:  # "Code | Meaning": not "What is the meaning of 3?"
                pairs.append(_meaning_asked(header[0], key, said))
                continue
            # "the minimum memory", "the default `retries`"; "the value of Readers per gateway"
            named = (
                f"{column} {lower_first(key, '')}" if column in QUALIFIERS else f"{column} of {key}"
            )
            question, answer = f"What is the {named}?", f"The {named} is {said}."
            if described is not None and row[described]:
                answer += f" {key}: {row[described]}"
            pairs.append((question, answer))
    return pairs


MEANING_COLUMNS = ("meaning", "description")


def _meaning_asked(kind: str, key: str, said: str) -> tuple[str, str]:
    """A row of a table of meanings: "What does code 3 mean?" (a number is named by its kind,
    the first column's name), "What does epoch mean?"."""
    named = key if re.search(r"[A-Za-z]", key) else f"{lower_first(kind.strip('*` '), '')} {key}"
    return f"What does {named} mean?", f"{named[:1].upper()}{named[1:]} means {said}."


def prose_sentences(chunk: Chunk) -> list[str]:
    """The sentences of a chunk's prose (not its code, tables or FAQ entries, which make pairs of
    their own), as `template_pairs` reads them."""
    text = "".join(part for code, part in fenced_parts(chunk.text) if not code)
    return [
        NOTE_LABEL.sub("", s)  # stated without its label, as its pair's answer says it
        for block in blocks_of(_without_faq(text)) if block.kind == "prose"
        for s in split_sentences(block.text)
    ]  # fmt: skip


def _without_faq(prose: str) -> str:
    """Prose without its FAQ entries, which are pairs as they stand."""
    return BOLD_FAQ.sub("", FAQ.sub("", DETAILS.sub("", prose)))


def blocks_of(text: str) -> list[Block]:
    """Paragraphs and list items (their wrapped lines joined), code blocks and tables. A `Term:
    definition` line after a finished sentence starts a block of its own."""
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
                if item := ITEM.match(line):
                    marker = item[0].strip()
                lines.append(line[item.end() :] if item else line.strip())
    close()
    return blocks


def split_sentences(text: str) -> list[str]:
    pieces = SENTENCE_END.split(text)
    sentences: list[str] = []
    for piece in pieces:
        if sentences and ABBREVIATION.search(sentences[-1]):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return [s.strip() for s in sentences if s.strip()]


def clean(text: str) -> str:
    """Prose without Markdown emphasis and link targets; code spans are kept."""
    text = HTML_TAG.sub(" ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images and badges
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return " ".join(text.split())


def cli_pairs(text: str) -> list[tuple[str, str]]:
    """Questions from `--help` output: how to call the program and what each option does."""
    pairs = []
    program = None
    for line in text.splitlines():
        if m := USAGE.match(line):
            program = re.split(r"\s+(?=\[|[A-Z]{2,}|<)", m.group(1).strip())[0]
            pairs.append((f"How do I call {program}?", f"Usage: {m.group(1).strip()}"))
        elif m := OPTION.match(line):
            flags, metavar, description = m.groups()
            if flags.endswith("--help"):
                continue
            long_flag = flags.split(",")[-1].strip()
            where = f" of {program}" if program else ""
            shown = f"{flags} {metavar}" if metavar else flags
            question = f"What does the {long_flag} option{where} do?"
            pairs.append((question, f"`{shown}`: {description.strip()}"))
    return pairs


# A question asking what to do about a problem, or what a release changed: its answer is the
# section's steps or entries, not its first sentence alone.
ASKS_WHAT_TO_DO = re.compile(
    r"(?:What (?:should|do|can) I do|How (?:do|can) I (?:fix|solve|resolve|recover|stop))\b"
)
FIX_SENTENCES = 5  # sentences of a troubleshooting section its answer keeps


# A sentence that says what a thing is: "Ferrytrack Agent is our internal tracking daemon."
DESCRIBES = re.compile(r"^[A-Z][\w\- ]{0,40}? (?:is|are) (?:a|an|our|the|your)\b")


def _lead_answer(question: str, blocks: list[Block], used: set[str]) -> str | None:
    """What a section's heading question is answered by: its first sentence (two when the first
    is short), and its first code block when the question asks for a command."""
    prose = next((i for i, b in enumerate(blocks) if b.kind == "prose"), None)
    code = next((i for i, b in enumerate(blocks) if b.kind == "code"), None)
    if blocks and blocks[0].kind == "table" and not question.startswith("How"):
        return _table_answer(blocks)
    wants_code = bool(ASKS_FOR_CODE.search(question)) and code is not None
    if wants_code and (prose is None or code < prose):
        return _cut_code(blocks[code].text)  # the section opens with its commands
    if prose is None:
        return None
    sentences = split_sentences(blocks[prose].text)
    opener = sentences[0].split()[0].lower().strip("`")
    commands = _commands(sentences[0], False)  # "Support the ...", not "Support is available"
    fix = ASKS_WHAT_TO_DO.match(question) is not None or question.startswith("What changed in")
    asks_how = question.startswith("How") or fix  # a command answers these
    if not asks_how and (commands or opener in LEANING or lead_in(sentences)):
        return None  # "Now go to ...", "In summary, ...", "X stands on:": not what it is
    if len(sentences) == 1 and _title_line(sentences[0]):
        return None  # a bare title line ("Harborline CLI Reference"): it answers nothing
    if question.startswith("How do I") and DESCRIBES.match(sentences[0]) and code is None:
        return None  # "X is our internal daemon." says what X is, not how to install it
    if fix:
        return _fix_answer(blocks, prose, used)
    if defined := _defined(blocks[prose:]):
        return defined  # each is still asked about, "What is FERRYLOG_DEBUG?", so none is used
    lead = sentences[:2] if len(sentences[0].split()) < LEAD_WORDS else sentences[:1]
    used.update(lead)
    answer = " ".join(lead)
    # The steps a task's section lists, or the list its lead introduces ("To update it:"), are
    # the answer: its first step alone answered "How do I reset the router?".
    # So is a list a section opens with for "What does X require?" or "What are limits?": its
    # first item alone dropped "At least 2 GB of free disk space".
    if blocks[prose].item and (asks_how or question.startswith(("What does", "What are"))):
        return _listed(blocks, prose)
    listed = prose + 1 < len(blocks) and blocks[prose + 1].item
    if listed and (asks_how or lead[-1].endswith(":")):  # "Pairing links... 1. Open..."
        answer += "\n" + _listed(blocks, prose + 1)
    elif wants_code and code == prose + 1:
        answer += "\n\n" + _cut_code(blocks[code].text)
    return answer


def _defined(blocks: list[Block]) -> str | None:
    """The `Term: definition` lines a section opens with, one a line, if more than one: all of
    them answer its heading ("Environment variables"), not the first alone."""
    defined = []
    for block in blocks[:MAX_STEPS]:
        if block.kind != "prose" or block.item or not _definition(block.text, ""):
            break
        defined.append(block.text)
    return "\n".join(defined) if len(defined) > 1 else None


def _table_answer(blocks: list[Block]) -> str | None:
    """The table a section opens with, as written, when its rows make no pairs ("## Ports" over
    Port | Protocol | Used by); an options table's rows are its pairs, and its heading gets none."""
    rows = []
    for block in blocks:
        if block.kind != "table":
            break
        rows.append(block)
    if table_pairs(rows) or len(rows) > MAX_STEPS + 2:  # a header, its rule, the rows
        return None
    return "\n".join(row.text for row in rows)


def _fix_answer(blocks: list[Block], start: int, used: set[str]) -> str:
    """What to do about a problem is the cause and then the fix: the section's prose from its lead
    on (FIX_SENTENCES sentences; the fix after "The clock is probably wrong." was in no pair),
    with its commands and steps where they stand ("Test the connection:" lost its command)."""
    parts: list[tuple[str, str]] = []  # (kind, text): "prose", "item" or "code"
    told = 0
    for block in blocks[start:]:
        if told >= FIX_SENTENCES:
            break
        if block.kind == "code":
            parts.append(("code", _cut_code(block.text)))
        elif block.kind == "prose":
            sentences = split_sentences(block.text)
            sentences = sentences if block.item else sentences[: FIX_SENTENCES - told]
            told += 0 if block.item else len(sentences)
            used.update(sentences)
            said = " ".join(sentences)
            parts.append(("item", f"{block.item} {said}") if block.item else ("prose", said))
    answer = parts[0][1]
    for (before, _), (kind, text) in zip(parts, parts[1:]):
        gap = "\n\n" if "code" in (before, kind) else "\n" if "item" in (before, kind) else " "
        answer += gap + text
    return answer


# "Note: The agent never uploads ...": the label says how to read it, the rest is the statement.
NOTE_LABEL = re.compile(r"^(?:Note|Tip|Important|Warning|Caution|Info)\s*:\s+(?=[A-Z`])")
# "Harborline Sync Agent is a background service ...": the name a later "It ..." stands for.
NAMED = re.compile(
    r"^((?:[A-Z][\w.-]*|`[^`]+`)(?: [A-Z][\w.-]*){0,4}) (?:is|are) (?:a|an|the|our)\b"
)


def _named(sentence: str, first: str) -> str:
    """A sentence whose "It" stands for the name its paragraph opened with, said with that name
    ("It runs on Windows 10 or later." -> "Harborline Sync Agent runs on ..."): "It" alone is
    no subject a question can ask about."""
    if sentence.startswith("It ") and sentence != first and (m := NAMED.match(first)):
        return f"{m[1]} {sentence[3:]}"
    return sentence


def _verdict(question: str, statement: str) -> str:
    """A yes-or-no question's answer says yes before the statement that it is so: the statement
    alone says the question again, and the quality filters drop it as no answer."""
    asks = question.split(" ", 1)[0] in ("Is", "Are", "Does", "Do", "Can")
    negated = re.search(r"\b(?:not|never|no)\b|n't\b", statement, re.IGNORECASE)
    return f"Yes. {statement}" if asks and not negated else statement


def _commands(sentence: str, step: bool) -> bool:
    """Whether a sentence tells the reader what to do: it opens with a verb ("Run ...", "Support
    the ..."; not "Support is ..."), or, as a list's step, with a word and then an article
    ("Enter the vault address ...")."""
    words = [w.lower().strip("*") for w in sentence.split()[:4]]
    if len(words) < 2 or words[0].startswith("`"):  # "`make test-fast` skips ...": a name
        return False
    # "Sync logs are kept for 14 days": a noun that is also a verb, then the sentence's own verb.
    if words[0] in IMPERATIVE and not AUXILIARIES & set(words[1:]):
        return True
    return step and words[1] in DETERMINERS and words[0] not in DETERMINERS


def _listed(blocks: list[Block], start: int) -> str:
    """The list that starts at blocks[start], one item a line, as written (up to MAX_STEPS), with
    the code a step introduces ("1. Download the package:" then its command)."""
    lines, items = [], 0
    for block in blocks[start:]:
        if block.kind == "code" and lines and lines[-1].endswith(":"):
            lines.append(_cut_code(block.text))
            continue
        if block.kind != "prose" or not block.item or items == MAX_STEPS:
            break
        lines.append(f"{block.item} {block.text}")
        items += 1
    return "\n".join(lines)


# Words a title leaves in lower case: "Getting Started with the Harborline CLI".
TITLE_SMALL_WORDS = frozenset("a an the of to with for and or in on at by from".split())


def _title_line(line: str) -> bool:
    """A line that names rather than says: no end mark, and its words capitalized but for small
    ones ("Getting Started with the Harborline CLI"), or in a script without capitals ("命令行参考";
    "默认端口是 8080。" says, by its end mark). Not "The default port is 8080"."""
    if re.search(r"[.!?:;)\]`\"'。！？]$", line.rstrip()):
        return False
    return all(  # a caseless first letter (Chinese): its script has no capitals to show
        w[:1].isupper()
        or not w[:1].isalpha()
        or w in TITLE_SMALL_WORDS
        or w[:1].lower() == w[:1].upper()
        for w in line.split()
    )


def lead_in(sentences: list[str]) -> bool:
    """The first sentence only introduces what follows it ("It needs:")."""
    return sentences[0].rstrip().endswith(":")


def _definition(text: str, context: str) -> tuple[str, str] | None:
    """("What is term?", "term: definition") for a block that defines a term."""
    first = split_sentences(text)[0]
    m = DEFINITION.match(first) or re.match(r"^(.{1,40}?)\s+:\s+(\S.{8,})$", first)
    if not m:
        return None
    term, definition = m.group(1).strip().strip("*"), m.group(2).strip()
    words = term.strip("`").lower().split()
    if (
        term.lower() in SKIP_TERMS
        or len(words) > 5
        or len(definition.split()) < 3
        or LEAD_IN & set(words)
        or NOT_DEFINED.search(definition)
        or definition.endswith(":")  # "Spoiler alert: the guide includes:"
        or (not term.startswith("`") and (words[0] in IMPERATIVE or _adjective(words)))
    ):
        return None
    rest = context.replace(first, "").replace(term, "")  # judge its capitals by the rest
    purpose = definition.lower().startswith("to ")  # "`rich`: to show errors nicely"
    question = f"What is {lower_first(term, rest)}{' for' if purpose else ''}?"
    return question, f"{term}: {definition}"


def _adjective(words: list[str]) -> bool:
    return bool(ADJECTIVE.search(words[-1]) or ADJECTIVE.search(words[0]))


def _cut_code(code: str) -> str:
    lines = code.splitlines()
    if len(lines) <= MAX_CODE_LINES + 2:
        return code
    return "\n".join([*lines[: MAX_CODE_LINES + 1], lines[-1]])  # keep the closing fence
