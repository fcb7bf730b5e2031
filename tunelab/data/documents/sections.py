"""Read documents (Markdown, text, HTML, PDF; folders recursively) into sections under their
headings, each with the line it starts on (answers cite `file:line`);
tunelab.data.documents.chunking cuts them to a token budget."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tunelab.data.documents.document_names import FRONT_TITLE, document_name, names_something
from tunelab.data.documents.fields import numpy_fields
from tunelab.data.documents.rst import rst_as_markdown
from tunelab.errors import TunelabError, is_utf16, undecoded
from tunelab.meant import meant_file

DOC_SUFFIXES = {".md", ".markdown", ".txt", ".rst", ".html", ".htm", ".pdf"}
ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A code fence and its info string; a line of backticks that closes itself is inline code.
FENCE = re.compile(r"^\s*(`{3,}(?!.*`)|~{3,})(.*)")


@dataclass
class Section:
    headings: list[str]  # from the top heading down to this section's own
    text: str
    line: int  # 1-based line of the heading in the (converted, for HTML) text; page for PDFs
    title: str = ""  # the document's name (`document_name`), for what its headings leave unnamed


def find_documents(paths: list[str | Path]) -> list[Path]:
    """The readable documents among `paths`, folders searched recursively, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            meant = meant_file(path, folders=True)  # a folder too: docs/ typed doc/
            hint = f"; give documents ({documents_said()}) or folders of them"
            raise TunelabError(f"document not found: {path}{meant or hint}")
        if path.is_dir():
            found += [p for p in _files_under(path) if p.suffix.lower() in DOC_SUFFIXES]
        elif path.suffix.lower() in DOC_SUFFIXES:
            found.append(path)
        else:
            raise TunelabError(f"{path}: cannot read {path.suffix!r} files; use {documents_said()}")
    if not found:
        raise TunelabError(
            f"no documents ({', '.join(sorted(DOC_SUFFIXES))}) under {', '.join(map(str, paths))}"
        )
    return found


UNREAD_NAMED = 5  # files named of those a folder holds that are not documents; the rest counted
# A docs folder's pictures: no Word file to save as PDF; still named, as their text is not read.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico", ".tif", ".tiff"}


def unread_note(folder: Path, besides: Callable[[Path], bool] = lambda p: False) -> str | None:
    """What a person is told of the files under `folder` that `find_documents` leaves out for
    their kind (a Word file, an image), but those `besides` picks; None when there are none. A
    manual saved as .docx in a folder of Markdown was skipped without a word."""
    unread = [
        p for p in _files_under(folder) if p.suffix.lower() not in DOC_SUFFIXES and not besides(p)
    ]
    images = [p for p in unread if p.suffix.lower() in IMAGE_SUFFIXES]
    others = [p for p in unread if p.suffix.lower() not in IMAGE_SUFFIXES]
    said = []
    if broken := [p for p in _shown_under(folder) if p.is_symlink() and not p.exists()]:
        # A link to a manual on an unmounted share was left out without a word: no file to read.
        links = [f"{p.relative_to(folder)} -> {os.readlink(p)}" for p in broken[:UNREAD_NAMED]]
        more = f" and {len(broken) - UNREAD_NAMED} more" if len(broken) > UNREAD_NAMED else ""
        said.append(
            f"links whose target is not there were left out ({', '.join(links)}{more}): mount "
            "or copy what they point to"
        )
    if others:
        said.append(
            f"files of a kind not read were left out ({_named(folder, others)}); documents are "
            f"{documents_said()}: save a Word file or slides as .pdf or .html"
        )
    if images:
        # docs/'s two plots were told "save a Word file or slides as .pdf or .html".
        said.append(
            f"images were left out ({_named(folder, images)}): text in a picture is not read"
        )
    return f"{folder}: {'; '.join(said)}" if said else None


def _named(folder: Path, files: list[Path]) -> str:
    named = ", ".join(str(p.relative_to(folder)) for p in files[:UNREAD_NAMED])
    more = f" and {len(files) - UNREAD_NAMED} more" if len(files) > UNREAD_NAMED else ""
    return named + more


def _files_under(folder: Path) -> list[Path]:
    """The files under `folder`, searched recursively, but for hidden ones (`.git`), in order."""
    return [p for p in _shown_under(folder) if p.is_file()]


def _shown_under(folder: Path) -> list[Path]:
    """Everything under `folder`, searched recursively, but hidden ones (`.git`), in order."""
    return sorted(
        p
        for p in folder.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def documents_said() -> str:
    """The suffixes of the documents read, as a sentence lists them: ".htm, .html, ... or .txt"
    (the help of every command that takes documents, and its errors)."""
    *others, last = sorted(DOC_SUFFIXES)
    return f"{', '.join(others)} or {last}"


def read_sections(path: Path) -> list[Section]:
    """The document as sections, each under its chain of headings; the entries of a NumPy-style
    "Parameters" section read as their function's named fields (fields.py)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf_sections(path)
    text = _read_utf8(path)
    front = FRONT_TITLE.search(m[0]) if (m := FRONT_MATTER.match(text)) else None
    if suffix in (".html", ".htm"):
        text = html_to_markdown(text)
    else:
        text = without_hidden_text(text)
    if suffix == ".rst":
        text = rst_as_markdown(text)
    if suffix == ".txt" and not any(ATX.match(line) for line in text.splitlines()):
        text = plain_headings(text)
    title = (
        front[1].strip("\"'")
        if front and names_something(front[1])
        else document_name(path.stem, text)
    )
    return numpy_fields(markdown_sections(text, title=title))


# What a Markdown file holds that its readers never see: YAML front matter ("title: Sync
# Service" became an answer) and HTML comments ("<!-- internal note: do not publish -->" did).
FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


def without_hidden_text(text: str) -> str:
    """`text` less its front matter and HTML comments, each left as its line breaks, so that
    every line keeps its number (answers cite `file:line`)."""
    for hidden in (FRONT_MATTER, HTML_COMMENT):
        text = hidden.sub(lambda m: "\n" * m.group().count("\n"), text)
    return text


# A list item ("- x", "• x", "2. x") and a labelled line ("Cause: ..."): a block's start, no heading.
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
BLOCK_START = re.compile(LIST_ITEM.pattern + r"|^\S+:\s")
# A plain-text heading: a short line with no end mark that starts no block of its own.
PLAIN_HEADING = re.compile(r"^[^\s].{0,79}(?<![.!?,;:])$")


def plain_headings(text: str) -> str:
    """A plain-text document's headings marked as Markdown's: a short line alone after a blank
    line with its text right under it ("Uploads fail with error HB-408", then "Cause: ..."); a
    line in capitals heads the ones after it (# TROUBLESHOOTING, ## Uploads fail ...)."""
    lines = text.splitlines()
    if any(len(line.strip()) >= 3 and set(line.strip()) in ({"="}, {"-"}) for line in lines):
        return text  # underlined (setext) headings: Markdown's own, read as such
    out = []
    for i, line in enumerate(lines):
        alone = (i == 0 or not lines[i - 1].strip()) and len(line.split()) <= 10
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        # What a heading heads starts a block (a label, a list) or is a longer line of its own;
        # a hard-wrapped paragraph's first line (no end mark either) is as long as the next.
        heads = bool(after) and (
            BLOCK_START.match(after) is not None or len(after) > 1.5 * len(line.strip())
        )
        heading = PLAIN_HEADING.match(line.strip()) and not BLOCK_START.match(line.strip())
        if heading and i + 1 < len(lines) and _sentence_goes_on(line, lines[i + 1]):
            heading = None
        if alone and heading and (heads or line.isupper()):
            line = ("# " if line.isupper() else "## ") + line.strip()
        out.append(line)
    return "\n".join(out)


# Words a heading does not end on, and a hard-wrapped line often does ("runs every", "logs for").
OPEN_ENDS = frozenset(
    "a an the of to for from with in on at by as and or but than that which who every each per "
    "is are was were be been its their your our this these those into about after before".split()
)


def _sentence_goes_on(line: str, following: str) -> bool:
    """Whether a short line is a hard-wrapped sentence's first part: the next line carries on in
    lower case (not indented, as a command under a heading would be), or the line stops on a
    word no heading ends with."""
    words = line.split()
    return (following[:1].islower()) or (bool(words) and words[-1].lower() in OPEN_ENDS)


def fenced_parts(text: str) -> list[tuple[bool, str]]:
    """The text cut at its fenced code blocks, as (is_code, part) in turn; the parts join back to
    the text. As in CommonMark, a block (fences included) closes at a fence of its own character,
    at least as long and with nothing after it, and an unclosed one runs to the end."""
    parts: list[tuple[bool, str]] = []
    current: list[str] = []
    opening = ""  # the open block's fence (```, ~~~~, ...); empty outside code
    for line in text.splitlines(keepends=True):
        fence = FENCE.match(line)
        if fence and not opening:
            parts.append((False, "".join(current)))
            current, opening = [line], fence[1]
            continue
        current.append(line)
        if fence and fence[1].startswith(opening) and not fence[2].strip():
            parts.append((True, "".join(current)))
            current, opening = [], ""
    parts.append((bool(opening), "".join(current)))
    return [(code, part) for code, part in parts if part]


def lines_in_code(text: str) -> list[bool]:
    """For each of the text's lines, whether it is in a fenced code block."""
    return [code for code, part in fenced_parts(text) for _ in part.splitlines()]


def markdown_sections(text: str, title: str = "") -> list[Section]:
    """Split Markdown (or plain text) at ATX (`# x`) and setext (`x` over `===`) headings. A
    first heading at the top level ("# x", "x" over "===") is the document's title, and names it
    where it names something (`names_something`) its file's name (`title`) does not: "How do I
    install q2?" was asked of q2.md's "# Installation" after its "# Ferrytrack Agent"."""
    lines = text.splitlines()
    stack: list[tuple[int, str]] = []
    seen: list[tuple[int, str]] = []  # every heading, with its level
    sections: list[Section] = []
    body: list[str] = []
    code_lines = lines_in_code(text)
    start, i = 1, 0

    def close() -> None:
        content = "\n".join(body).strip()
        if content:
            sections.append(Section([h for _, h in stack] or [title], content, start, title))
        body.clear()

    while i < len(lines):
        line, in_code = lines[i], code_lines[i]
        heading = None
        if not in_code and (m := ATX.match(line)):
            heading = (len(m.group(1)), m.group(2).strip())
        elif not in_code and _overlined(lines, i):
            # reStructuredText's title: above every other heading, its rules no text of it.
            close()
            stack.clear()
            stack.append((0, lines[i + 1].strip()))
            seen.append(stack[-1])
            start = i + 2
            i += 3
            continue
        elif (
            not in_code
            and line.strip()
            and i + 1 < len(lines)
            # after a blank line, or right after a code block ("Parameters" under its code)
            and (not (body and body[-1].strip()) or (i > 0 and code_lines[i - 1]))
        ):
            underline = lines[i + 1].strip()
            if underline and set(underline) in ({"="}, {"-"}) and len(underline) >= 3:
                heading = (1 if underline[0] == "=" else 2, line.strip())
        if heading:
            seen.append(heading)
            close()
            while stack and stack[-1][0] >= heading[0]:
                stack.pop()
            stack.append(heading)
            start = i + 1  # the heading's own line, before a setext underline is skipped
            if not ATX.match(line):
                i += 1
        else:
            body.append(line)
        i += 1
    close()
    head = seen[0][1] if seen and seen[0][0] <= 1 else ""  # "## FastAPI of CLIs": no title
    # The file's name the text writes ("httpcore2" under "# HTTPCore 2") stays, unless the title
    # says more of it ("FastAPI Cloud" of cloud.md).
    name = rf"(?<![\w-]){re.escape(title)}(?![\w-])"
    says_more = re.search(name, head, re.I) and head.lower() != title.lower()
    if names_something(head) and (not title or not re.search(name, text, re.I) or says_more):
        for section in sections:
            section.title = head
    return sections


def _overlined(lines: list[str], i: int) -> bool:
    """Whether line `i` opens a title between two equal rules ("=====", the title, "=====")."""
    rule = lines[i].strip()
    return (
        len(rule) >= 3
        and len(set(rule)) == 1
        and rule[0] in "=~#"  # not Markdown's rules (---, ***): a line between two is text
        and i + 2 < len(lines)
        and bool(lines[i + 1].strip())
        and lines[i + 2].strip() == rule
    )


def html_to_markdown(html: str) -> str:
    """Text of an HTML page as Markdown-like lines: headings, paragraphs, list items, code,
    and definition lists as `term: definition`; scripts, styles and navigation dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "noscript", "template"]):
        tag.decompose()
    blocks = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "dt", "dd", "tr", "blockquote"]
    # Text runs on across inline elements ("Run `pip install x`.", not "Run pip install x ."):
    # only blocks and line breaks part words. Inline code is marked as Markdown marks it.
    for code in soup.find_all("code"):
        if not code.find_parent("pre"):
            code.replace_with(f"`{code.get_text()}`")
    for tag in soup.find_all([*blocks, "br", "div", "td", "th", "ul", "ol", "table", "dl"]):
        tag.insert_before(" ")
        tag.insert_after(" ")
    out: list[str] = []
    term = None
    for el in soup.find_all(blocks):
        if el.find_parent(blocks):  # nested block: its text is already in its parent's
            continue
        text = " ".join(el.get_text().split())
        if el.name == "pre":
            out.append("```\n" + el.get_text().strip("\n") + "\n```")
        elif el.name[0] == "h" and el.name[1:].isdigit():
            out.append("#" * int(el.name[1]) + " " + text)
        elif el.name == "li":
            out.append("- " + text)
        elif el.name == "dt":
            term = text
            continue
        elif el.name == "dd":
            out.append(f"{term}: {text}" if term else text)
        elif el.name == "tr":
            out.append(" | ".join(c.get_text(" ", strip=True) for c in el.find_all(["td", "th"])))
        elif text:
            out.append(text)
        term = None
    if not out:
        return soup.get_text("\n")
    return "\n\n".join(out)


def document_text(path: Path) -> str:
    """The whole document as text (HTML as Markdown, PDF page by page): continued pretraining's
    input, where headings and layout stay as written."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "\n\n".join(page.strip() for page in _pdf_pages(path) if page.strip())
    text = _read_utf8(path)
    return html_to_markdown(text) if suffix in (".html", ".htm") else text


def _read_utf8(path: Path) -> str:
    data = path.read_bytes()
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is no text to train on.
        # Decoded as read_text() does, its "\r\n" read as "\n", so lines count as before.
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as err:
        raise TunelabError(_not_utf8(path, data, err)) from None


def _not_utf8(path: Path, data: bytes, err: UnicodeDecodeError) -> str:
    """Why a document is unread, where its first bad byte is, and how to mend it: a legacy
    encoding's text (Latin-1, Windows-1252) converts, a binary file under a text suffix does not."""
    head = data[:4096]
    if is_utf16(head):  # named as such before its zero bytes look binary
        return undecoded(path, data, err)
    # A text's control bytes are its tabs and line ends; one in twenty others is a binary file.
    if sum(byte < 9 or 13 < byte < 32 for byte in head) > len(head) // 20:
        return f"{path}: not UTF-8 text but a binary file, no document; move it out of the folder"
    return undecoded(path, data, err)


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs what it finds wrong ("EOF marker not found") to stderr, above the error that
    # says it in a line; a page it reads in spite of them needs no warning either.
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        return [page.extract_text() or "" for page in PdfReader(path).pages]
    except (PdfReadError, OSError) as err:
        raise TunelabError(f"{path}: cannot read this PDF ({err})") from None
    finally:
        pypdf_log.setLevel(level)


def _pdf_sections(path: Path) -> list[Section]:
    sections = []
    pages = _pdf_pages(path)
    title = document_name(path.stem, "\n".join(pages))
    for number, text in enumerate(pages, 1):
        first, _, rest = text.strip().partition("\n")
        # A short first line without a full stop reads as the page's heading.
        named = [title] if title else []
        if rest.strip() and len(first.split()) <= 8 and not first.rstrip().endswith("."):
            sections.append(Section([*named, first.strip()], rest.strip(), number, title))
        elif text.strip():
            sections.append(Section(named, text.strip(), number, title))
    return sections
