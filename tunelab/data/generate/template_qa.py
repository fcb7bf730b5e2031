"""Rule-based questions from a document's structure, no model needed: a heading becomes "What
is ...?" / "How do I ...?" answered by its section, `X: Y` lines and definition lists become
"What is X?", and CLI help text becomes "What does the --flag option do?"."""

from __future__ import annotations

import re

from tunelab.data.chunking import FENCE, Chunk, split_text

QUESTION_WORDS = {
    "how",
    "why",
    "what",
    "when",
    "where",
    "which",
    "who",
    "can",
    "should",
    "does",
    "do",
    "is",
    "are",
    "will",
    "may",
}
IMPERATIVES = {
    "install",
    "configure",
    "set",
    "run",
    "use",
    "create",
    "add",
    "remove",
    "deploy",
    "train",
    "evaluate",
    "export",
    "merge",
    "load",
    "save",
    "write",
    "read",
    "build",
    "update",
    "upgrade",
    "start",
    "stop",
    "enable",
    "disable",
    "connect",
    "change",
}
# Headings that mean nothing alone: the question names the document's topic instead.
GENERIC = {
    "installation": "How do I install {topic}?",
    "install": "How do I install {topic}?",
    "usage": "How do I use {topic}?",
    "getting started": "How do I get started with {topic}?",
    "quickstart": "How do I get started with {topic}?",
    "quick start": "How do I get started with {topic}?",
    "overview": "What is {topic}?",
    "introduction": "What is {topic}?",
    "about": "What is {topic}?",
    "requirements": "What does {topic} require?",
    "prerequisites": "What does {topic} require?",
    "configuration": "How do I configure {topic}?",
    "examples": "What are examples of using {topic}?",
    "troubleshooting": "How do I troubleshoot {topic}?",
    "features": "What features does {topic} have?",
    "limitations": "What are the limitations of {topic}?",
    "license": "What license does {topic} use?",
    "command line": "How do I use {topic} from the command line?",
    "cli": "How do I use {topic} from the command line?",
    "glossary": None,
    "faq": None,
    "contents": None,
    "table of contents": None,
    "see also": None,
    "references": None,
    "notes": None,
    "changelog": None,
}
TITLE_FILLER = {"guide", "documentation", "docs", "manual", "readme", "reference", "handbook"}
SKIP_TERMS = {
    "note",
    "notes",
    "warning",
    "tip",
    "example",
    "e.g",
    "default",
    "usage",
    "options",
    "see also",
    "important",
    "http",
    "https",
    "step",
    "caution",
    "info",
}
# "-ing" stems that need their "e" back (configur-ing -> configure); the list of endings is a
# heuristic, good for the verbs documentation headings use.
E_ENDINGS = (
    "at",
    "iz",
    "ys",
    "ur",
    "ov",
    "av",
    "iv",
    "rv",
    "bl",
    "pl",
    "gl",
    "tl",
    "dl",
    "uc",
    "us",
    "ag",
    "rg",
    "ng",
    "tun",
    "sav",
    "cod",
    "typ",
    "scal",
    "mak",
    "tak",
    "writ",
    "shar",
    "stor",
    "scor",
    "clon",
    "compar",
    "prepar",
    "nam",
    "tim",
    "cach",
    "serv",
)
DEFINITION = re.compile(
    r"^\s*(?:[-*]\s+)?(?:\*\*|`)?([A-Za-z][\w .()/-]{0,40}?)(?:\*\*|`)?\s*:\s+(\S.{8,})$"
)
OPTION = re.compile(r"^\s+((?:-\w,\s*)?--[\w-]+)(?:[ =]([A-Z][A-Z_]+|<[^>]+>))?\s+([A-Z].*)$")
USAGE = re.compile(r"^\s*Usage:\s+(.+)$", re.IGNORECASE)


def template_pairs(chunk: Chunk, max_answer_tokens: int = 300) -> list[tuple[str, str]]:
    """Every (question, answer) the rules find in one chunk, without repeated questions."""
    pairs: list[tuple[str, str]] = []
    if chunk.part == 0 and chunk.headings:
        question = heading_question(chunk.headings, chunk.text)
        answer = split_text(chunk.text.strip(), max_answer_tokens)[0] if chunk.text.strip() else ""
        if question and answer:
            pairs.append((question, answer))
    pairs += definition_pairs(chunk.text) + cli_pairs(chunk.text)
    seen: set[str] = set()
    unique = []
    for q, a in pairs:
        if q.lower() not in seen:
            seen.add(q.lower())
            unique.append((q, a))
    return unique


def heading_question(headings: list[str], context: str = "") -> str | None:
    """The question a reader would ask to land on this heading's section."""
    heading = re.sub(r"[*_`]", "", headings[-1]).strip().rstrip(":").strip()
    if not heading:
        return None
    topic = _topic(headings[0]) if len(headings) > 1 else None
    words = heading.split()
    first = words[0].lower()
    if heading.endswith("?"):
        return heading
    if m := re.match(r"how to\s+(.+)", heading, re.IGNORECASE):
        return f"How do I {m.group(1)}?"
    if first in QUESTION_WORDS:
        return heading + "?"
    if heading.lower() in GENERIC:
        return (
            GENERIC[heading.lower()].format(topic=topic)
            if topic and GENERIC[heading.lower()]
            else None
        )
    rest = " ".join(words[1:])
    if first.endswith("ing") and len(first) > 5:
        return f"How do I {_base_verb(first)}{' ' + rest if rest else ''}?"
    if first in IMPERATIVES:
        return f"How do I {_lower_first(heading, context)}?"
    if re.search(r"\b(is|are|was|fails?|not|cannot|can't|doesn't|won't)\b", heading, re.IGNORECASE):
        return f"What should I do when {_lower_first(heading, context)}?"
    if len(headings) == 1:
        heading = _topic(heading)
    plural = len(words) == 1 and first.endswith("s") and not first.endswith(("ss", "us", "is"))
    return f"What {'are' if plural else 'is'} {_lower_first(heading, context)}?"


def definition_pairs(text: str) -> list[tuple[str, str]]:
    """`Term: definition` lines and `Term` / `: definition` pairs, outside code blocks."""
    pairs = []
    lines = _prose_lines(text)
    for i, line in enumerate(lines):
        if line.lstrip().startswith(":") and i > 0 and lines[i - 1].strip():
            term, definition = lines[i - 1].strip(), line.strip()[1:].strip()
        elif m := DEFINITION.match(line):
            term, definition = m.group(1).strip(), m.group(2).strip()
        else:
            continue
        if (
            term.lower() in SKIP_TERMS
            or len(term.split()) > 5
            or len(definition.split()) < 3
            or definition.startswith("//")
        ):
            continue
        # Judge the term's capitals by the rest of the text, not by its own line.
        rest = text.replace(line, "").replace(term, "")
        pairs.append((f"What is {_lower_first(term, rest)}?", f"{term}: {definition}"))
    return pairs


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
            pairs.append(
                (
                    f"What does the {long_flag} option{where} do?",
                    f"`{shown}`: {description.strip()}",
                )
            )
    return pairs


def _prose_lines(text: str) -> list[str]:
    out, in_code = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            out.append(line)
    return out


def _topic(title: str) -> str:
    """A document title without filler words: "Tunelab guide" -> "Tunelab"."""
    words = [w for w in re.sub(r"[*_`#]", "", title).split() if w.lower() not in TITLE_FILLER]
    return " ".join(words) or title


def _lower_first(phrase: str, context: str) -> str:
    """Lower-case the first word for mid-sentence use, unless it is an acronym ("LoRA") or a name
    the text always capitalises ("Tunelab")."""
    first, _, rest = phrase.partition(" ")
    acronym = first[1:] != first[1:].lower()
    lower_seen = re.search(rf"\b{re.escape(first.lower())}\b", context) is not None
    name = first[:1].isupper() and first in context and not lower_seen
    if acronym or name:
        return phrase
    return f"{first.lower()} {rest}".strip()


def _base_verb(gerund: str) -> str:
    """installing -> install, running -> run, configuring -> configure (a heuristic)."""
    stem = gerund.lower()[:-3]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsfz":
        return stem[:-1]
    if stem.endswith(E_ENDINGS) and not stem.endswith(("ing", "eng")):
        return stem + "e"
    return stem
