"""reStructuredText read as the Markdown the document readers know, line for line (answers cite
`file:line`): a note's or warning's text as prose without its marker, `.. code-block::` and
`::` blocks as fenced code, a parameter's field (`:param path: ...`) as the definition of the
parameter of the function or class described ("The `path` parameter of `ship`: ..."), a
definition list's term as `term: definition`, underlined headings at the levels their order
gives; version markers, other fields (`:returns:`, a document's `:author:`), images, tables
of contents, comments and link targets are dropped."""

from __future__ import annotations

import re

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


def rst_as_markdown(text: str) -> str:
    """`text` (reStructuredText) as Markdown, each line where it was (a code block's closing
    fence takes the blank line after it)."""
    return "\n".join(_headings(_converted(text.splitlines())))


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
    named = (
        f"The `{words[-1]}` {kind} of `{owner}`" if owner else f"{kind.capitalize()} `{words[-1]}`"
    )
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
    first appears in, as reStructuredText reads them; a rule alone (a transition) dropped."""
    styles: dict[tuple[str, bool], int] = {}
    out = list(lines)
    fenced = False
    for i, line in enumerate(out):
        if line.startswith("```"):
            fenced = not fenced
        below = out[i + 1].strip() if i + 1 < len(out) else ""
        if fenced or not line.strip() or line[0].isspace() or not ADORNMENT.match(below):
            continue
        over = i > 0 and out[i - 1].strip() == below
        if ADORNMENT.match(line.strip()) or not (i == 0 or over or not out[i - 1].strip()):
            continue
        level = styles.setdefault((below[0], over), len(styles) + 1)
        out[i] = f"{'#' * min(level, 6)} {line.strip()}"
        out[i + 1] = ""
        if over:
            out[i - 1] = ""
    return [
        "" if ADORNMENT.match(line.strip()) and not line.startswith("```") else line for line in out
    ]
