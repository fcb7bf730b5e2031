"""reStructuredText read as the Markdown the document readers know, line for line (answers cite
`file:line`): a note's or warning's text as prose without its marker, `.. code-block::` and
`::` blocks as fenced code, a parameter's field (`:param path: ...`) as the definition of the
parameter of the function or class described ("The `path` parameter of `ship`: ..."), a
definition list's term as `term: definition`, grid and simple tables as Markdown tables,
`|name|` substitutions as their text, underlined headings at the levels their order gives;
version markers, other fields (`:returns:`, a document's `:author:`), images (badges among
them), tables of contents, comments and link targets are dropped."""

from __future__ import annotations

import re

from tunelab.data.documents.fields import named_field

# `.. note::`, `.. code-block:: python`, `.. py:function:: ship(path)`: a directive and its
# argument.
DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\.\s+(?P<name>[\w:.-]+)::(?:\s+(?P<arg>.*?))?\s*$")
# `.. a comment`, `.. _target:`, `.. |name| image:: x.png`: nothing a reader reads as prose.
EXPLICIT = re.compile(r"^\s*\.\.(?:\s|$)")
# `:param path: The file to ship.`, `:returns: ...`, a directive's `:linenos:`.
FIELD = re.compile(r"^(?P<indent>\s*):(?P<name>[^:\s`][^:`]*?):(?:\s+(?P<body>.*))?$")
# A heading's underline (or overline): one punctuation mark, repeated; not a backtick (a fence).
ADORNMENT = re.compile(r"^([!-/:-@\[-_{-~])\1{2,}$")

# Directives whose text is prose: said without the marker, the first line's text kept.
ADMONITIONS = frozenset(
    "note tip hint important warning caution attention danger error seealso todo".split()
)
# Prose directives whose argument is a title or a condition, no sentence of the text.
TITLED = frozenset("admonition topic sidebar container only rubric".split())
CODE = frozenset("code-block code sourcecode parsed-literal doctest testcode testoutput".split())
# What a domain describes (a function, an option): its text, opened by what it describes.
DESCRIBED = frozenset(
    """function method class attribute data exception module decorator classmethod
    staticmethod property option cmdoption envvar confval describe object program""".split()
)
# Fields naming what a described thing takes, by the kind of thing each names: `:param path:
# ...` defines the `path` parameter of the function described, `:ivar size:` an attribute.
NAMED_FIELDS = {
    **dict.fromkeys("param parameter arg argument key keyword".split(), "parameter"),
    **dict.fromkeys("var ivar cvar".split(), "attribute"),
}
# Roles whose text is a word of the sentence, not code: :ref:`the guide <guide>` -> "the guide".
TEXT_ROLES = frozenset("ref doc term abbr emphasis strong numref download pep rfc sub sup".split())
ROLE = re.compile(r":(?:[\w-]+:)?(?P<role>[\w-]+):`(?P<text>[^`]+)`")
# `Click <https://...>`_ and `Click`_: a link, read as its text.
LINK = re.compile(r"(?<!`)`(?P<text>[^`<]+?)(?:\s*<[^>`]*>)?`__?(?!\w)")


# `.. |name| replace:: text`, `.. |logo| image:: logo.png`: what `|name|` in the text stands for.
SUBSTITUTION = re.compile(r"^\s*\.\.\s+\|(?P<name>[^|]+)\|\s+(?P<kind>[\w:-]+)::\s*(?P<text>.*)$")
# `|name|`, `|name|_` (linked): its start just after a space or mark, its end just before one.
REFERENCE = re.compile(r"(?<![\w|])\|(?=\S)(?P<name>[^|\n]*?[^\s|])\|(?:__?)?(?![\w|])")


def rst_as_markdown(text: str) -> str:
    """`text` (reStructuredText) as Markdown, each line where it was (a code block's closing
    fence takes the blank line after it; a table's rows close up at its top)."""
    lines = text.splitlines()
    return "\n".join(_headings(_substituted(_converted(lines), _substitutions(lines))))


def _substitutions(lines: list[str]) -> dict[str, str]:
    """Each substitution's text by its name: a `replace::` one's text, and nothing for an
    image's (a badge), a date's or any other, whose text no sentence reads."""
    found = {}
    for i, line in enumerate(lines):
        if m := SUBSTITUTION.match(line):
            body = lines[i + 1 : _body_end(lines, i, _indent(line))]
            said = " ".join([m["text"], *(b.strip() for b in body)]).strip()
            found[m["name"].strip()] = _inline(said) if m["kind"] == "replace" else ""
    return found


def _substituted(lines: list[str], substitutions: dict[str, str]) -> list[str]:
    """Prose lines with each `|name|` as its text, or without it (a badge, or a name not
    defined): "|pypi| |support|" was a heading's answer. Code, fenced or in a span, is kept."""
    out, fenced = [], False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and "|" in line:
            parts = re.split(r"(`+[^`]*`+)", line)  # odd parts are code spans
            said = "".join(
                part if n % 2 else REFERENCE.sub(lambda m: substitutions.get(m["name"], ""), part)
                for n, part in enumerate(parts)
            )
            line = line[: _indent(line)] + said.strip() if said.strip() else ""
        out.append(line)
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _body_end(lines: list[str], start: int, indent: int) -> int:
    """The index past the lines indented under lines[start], trailing blank lines left out."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _dedented(lines: list[str]) -> list[str]:
    cut = min((_indent(line) for line in lines if line.strip()), default=0)
    return [line[cut:] for line in lines]


def _converted(lines: list[str], owner: str = "") -> list[str]:
    """The lines as Markdown; `owner` is the function or class a directive around them
    describes, which their parameters' fields name."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if directive := DIRECTIVE.match(line):
            end = _body_end(lines, i, len(directive["indent"]))
            name = directive["name"].lower().rsplit(":", 1)[-1]
            out += _directive(name, directive["arg"] or "", lines[i + 1 : end])
            i = end
        elif GRID_BORDER.match(line) or SIMPLE_RULE.match(line):
            end = _table_end(lines, i)
            out += _table(lines[i:end]) if end > i else [""]  # a rule alone says nothing
            i = max(end, i + 1)
        elif EXPLICIT.match(line):
            end = _body_end(lines, i, _indent(line))
            out += [""] * (end - i)
            i = end
        elif line.rstrip().endswith("::") and _literal_follows(lines, i):
            end = _body_end(lines, i, _indent(line))
            # "Example::" -> "Example:", "It runs ::" -> "It runs", "::" alone -> nothing
            said = line.rstrip()[:-2]
            colon = ":" if said.strip() and not said.endswith(" ") else ""
            out += [_inline(said.rstrip() + colon), *_fenced("", lines[i + 1 : end])]
            i = end
        elif field := FIELD.match(line):
            end = _body_end(lines, i, len(field["indent"]))
            out += _field(field["name"], field["body"] or "", lines[i + 1 : end], owner)
            i = end
        elif _term(lines, i):
            end = _body_end(lines, i, _indent(line))
            body = _dedented(lines[i + 1 : end])
            out += ["", f"{line.strip()}: {body[0]}", *body[1:]]
            i = end
        elif not line.strip() and len(out) > i:
            i += 1  # a code block's closing fence took this blank line's place
        else:
            out.append(_inline(re.sub(r"^(\s*)#\.(?=\s)", r"\g<1>1.", line)))
            i += 1
    return out


# A grid table's border ("+-----+----+", "+=====+" under its header) and a simple table's rule
# ("=====  ======": a column's width each).
GRID_BORDER = re.compile(r"^\s*\+(?:[-=]+\+)+\s*$")
SIMPLE_RULE = re.compile(r"^\s*=+(?: +=+)+\s*$")


def _table_end(lines: list[str], i: int) -> int:
    """The index past a table opening at lines[i]: a grid table's lines run while they are its
    borders and rows; a simple table's to its last rule, the one a blank line (or the end)
    follows. i itself when no table opens there."""
    if GRID_BORDER.match(lines[i]):
        end = i + 1
        while end < len(lines) and lines[end].strip()[:1] in ("+", "|"):
            end += 1
        return end if GRID_BORDER.match(lines[end - 1]) else i
    for end in range(i + 2, len(lines)):
        if not lines[end].strip():
            break
        if SIMPLE_RULE.match(lines[end]) and (end + 1 == len(lines) or not lines[end + 1].strip()):
            return end + 1
    return i


def _table(lines: list[str]) -> list[str]:
    """A grid or simple table as a Markdown one (its header, the rule, a line per row, as
    tables are read), in as many lines: a row wrapped over several lines is one, and the lines
    its rows no longer need are blank after it. A table with no header rule is headed by its
    first row."""
    rule = lines[0].strip()
    cuts = [m.start() for m in re.finditer(r"[+]" if rule[0] == "+" else r"(?<!=)=", rule)]
    indent = _indent(lines[0])
    rows: list[list[str]] = []
    header = 0  # how many rows head the table
    wrapped = False  # a grid row's next line goes on with its cells
    for line in lines[1:-1]:
        text = line[indent:]
        if GRID_BORDER.match(line) or SIMPLE_RULE.match(line):
            header = header or (len(rows) if "=" in line else 0)
            wrapped = False
            continue
        if rule[0] == "+":  # a cell between its borders
            cells = [text[a + 1 : b].strip() for a, b in zip(cuts, cuts[1:])]
        else:  # a simple table's last cell runs to the line's end
            cells = [text[a:b].strip() for a, b in zip(cuts, [*cuts[1:], len(text)])]
        # A simple table's row whose first cell is blank goes on with the row above.
        if rows and (wrapped or (rule[0] == "=" and not cells[0])):
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
        else:
            rows.append(cells)
        wrapped = rule[0] == "+"
    if not rows:
        return [""] * len(lines)
    header = header or 1
    head = [" ".join(cells).strip() for cells in zip(*rows[:header])]
    table = [head, ["---"] * len(head), *rows[header:]]
    markdown = ["| " + " | ".join(_inline(cell) for cell in row) + " |" for row in table]
    return ["", *markdown, *[""] * (len(lines) - 1 - len(markdown))]


def _directive(name: str, arg: str, body: list[str]) -> list[str]:
    """The lines a directive's marker and body become, as many as they were."""
    options = 0  # `:linenos:`, `:alt: ...`: the directive's settings, no text
    while options < len(body) and FIELD.match(body[options]):
        options += 1
    content = _dedented(body[options:])
    if name in CODE:
        return _fenced(arg, ["", *[""] * options, *content])
    if name in ADMONITIONS | TITLED | DESCRIBED:
        # "ship(path, retries=3)" describes `ship`, whose parameters its fields name.
        described = re.match(r"[\w.]+", arg) if name in DESCRIBED else None
        said = _converted(content, described[0] if described else "")
        opening = [arg if name in ADMONITIONS else "", *[""] * options]
        if name in DESCRIBED and arg:
            first = next((i for i, line in enumerate(said) if line.strip()), None)
            if first is not None:
                said[first] = f"`{arg}`: {said[first]}"  # "`ship(path)`: Ship one file."
        return [_inline(line) for line in opening] + said
    return [""] * (1 + len(body))  # versionadded, image, toctree, include...: no prose


def _fenced(language: str, lines: list[str]) -> list[str]:
    """Lines holding a code block after blank ones (a directive's marker and settings, the
    blank line before a `::` block's code) as a fence opening on the last blank line; its
    closing fence is one line more, which the blank line after the block makes up for."""
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if first == len(lines):
        return [""] * len(lines)
    return [*[""] * (first - 1), f"```{language}", *_dedented(lines[first:]), "```"]


def _literal_follows(lines: list[str], i: int) -> bool:
    """Whether an indented block follows line i (after blank lines): a `::` paragraph's code."""
    j = i + 1
    while j < len(lines) and not lines[j].strip():
        j += 1
    return j > i + 1 and j < len(lines) and _indent(lines[j]) > _indent(lines[i])


def _field(name: str, body: str, more: list[str], owner: str) -> list[str]:
    """A field's lines: a parameter's as its definition, named with what it is a parameter of
    ("The `path` parameter of `ship`: The file to ship."; "What is `path`?" asked of a name
    every function may have); any other field (`:returns:`, `:type x:`, a document's `:author:`
    or `:title:`) says nothing alone ("What is title?" was asked), and is dropped. A parameter
    of nothing described is said as one ("Parameter `path`: ..."), which no definition reads."""
    words = name.split()
    kind = NAMED_FIELDS.get(words[0].lower())
    if kind is None or len(words) < 2 or not body.strip():
        return [""] * (1 + len(more))
    named = named_field(kind, words[-1], owner)
    return [f"{named}: {_inline(body)}", *[_inline(line) for line in _dedented(more)]]


def _term(lines: list[str], i: int) -> bool:
    """Whether line i is a definition list's term: a short line after a blank one (or the
    start), with no end mark, its definition indented right under it."""
    line = lines[i]
    return (
        (i == 0 or not lines[i - 1].strip())
        and i + 1 < len(lines)
        and bool(lines[i + 1].strip())
        and _indent(lines[i + 1]) > _indent(line)
        and 0 < len(line.split()) <= 6
        and not re.search(r"[.!?:,;]$", line.rstrip())
        and not re.match(r"\s*(?:[-*+•]|\d+[.)]|#\.)\s", line)
    )


def _inline(line: str) -> str:
    """A line's roles and links as Markdown reads them: :func:`ship` -> `ship`, :ref:`the
    guide <guide>` -> the guide, `Click <https://...>`_ -> Click."""

    def role(m: re.Match) -> str:
        text = re.sub(r"\s*<[^>]*>$", "", m["text"]).strip() or m["text"]
        return text if m["role"] in TEXT_ROLES else f"`{text.lstrip('~!')}`"

    return LINK.sub(lambda m: m["text"], ROLE.sub(role, line))


def _headings(lines: list[str]) -> list[str]:
    """Underlined (and overlined) headings as `#` headings, each style's level the order it
    first appears in, as reStructuredText reads them; a rule alone (a transition) dropped. Code
    is left as it is: a docstring's closing quotes and "-------" lines were blanked in it."""
    styles: dict[tuple[str, bool], int] = {}
    out = list(lines)
    fenced = False
    code = []  # whether each line is in a block this module fenced
    for i, line in enumerate(out):
        if line.startswith("```"):
            fenced = not fenced
        code.append(fenced)
        below = out[i + 1].strip() if i + 1 < len(out) else ""
        if fenced or not line.strip() or line[0].isspace() or not ADORNMENT.match(below):
            continue
        over = i > 0 and out[i - 1].strip() == below
        # A code block's closing fence stands where the blank line above a heading was.
        after_code = i > 0 and out[i - 1].startswith("```")
        alone = i == 0 or over or after_code or not out[i - 1].strip()
        if ADORNMENT.match(line.strip()) or not alone:
            continue
        level = styles.setdefault((below[0], over), len(styles) + 1)
        out[i] = f"{'#' * min(level, 6)} {line.strip()}"
        out[i + 1] = ""
        if over:
            out[i - 1] = ""
    return [
        "" if ADORNMENT.match(line.strip()) and not in_code else line
        for line, in_code in zip(out, code)
    ]
