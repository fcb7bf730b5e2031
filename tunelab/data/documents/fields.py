"""What a described function or class takes (its parameters, attributes and options), written
the one way the readers write them: "The `path` parameter of `ship`: The file to ship." An RST
field (`:param path: ...`, rst.py) and an entry of a NumPy-style docstring section ("Parameters"
over a rule, then `path : str` and its description indented under it) are both read so:
"What is path?" asked of a name any function may have, and "What are ncols?" guessed a plural."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tunelab.data.documents.sections import Section

KINDS = ("parameter", "attribute", "option")
# A field named with what it is one of, as `named_field` writes it.
NAMED = rf"The `[^`]{{1,40}}` (?:{'|'.join(KINDS)}) of `[^`]{{1,60}}`"

# A NumPy-style section's heading, by the kind of thing its entries name ("Other Parameters",
# "Extra CLI Options"); "Returns" and "Raises" name no thing the function takes.
SECTION_KINDS = {
    **dict.fromkeys(("parameters", "arguments", "args"), "parameter"),
    "attributes": "attribute",
    "options": "option",
}
SECTION = re.compile(rf"(?:^|\s)({'|'.join(SECTION_KINDS)})$")
# An entry: "path : str", "* desc  : str, optional" (a space before the colon, as NumPy writes
# it; "Note: ..." is prose), its description indented under it.
ENTRY = re.compile(r"^(?P<lead>\s*(?:[-*+]\s+)?)(?P<name>\*{0,2}[A-Za-z_]\w*)\s+:(?:\s.*)?$")
# What a section's entries belong to: the outermost `def`/`class` of the code above it, or the
# function an RST description names ("`ship(path)`: Ship one file.", rst.py).
DEFINED = re.compile(r"^(?P<indent>\s*)(?:async\s+)?(?:def|class)\s+(?P<name>[A-Za-z_]\w*)", re.M)
DESCRIPTION = re.compile(r"^`(?P<name>[A-Za-z_][\w.]*)\([^`]*\)`: ", re.M)
CALLABLE_HEADING = re.compile(r"^`?(?P<name>[A-Za-z_][\w.]*)(?:\(.*\))?`?$")


def named_field(kind: str, name: str, owner: str) -> str:
    """ "The `path` parameter of `ship`"; "Parameter `path`" of nothing described, which no
    definition reads (whose `path` it is, nothing says)."""
    return f"The `{name}` {kind} of `{owner}`" if owner else f"{kind.capitalize()} `{name}`"


def numpy_fields(sections: list[Section]) -> list[Section]:
    """The sections, each NumPy-style one's entries as named fields, a paragraph each: the
    entry's line says what it names and the first line of its description, the description's
    other lines move up one, every entry ending on a blank line (its type, as an RST `:type x:`
    field's, is not said)."""
    out = list(sections)
    for i, section in enumerate(sections):
        heading = section.headings[-1].strip("`*# ").lower() if section.headings else ""
        if m := SECTION.search(heading):
            owner = _owner(sections, i)
            text = _entries_named(section.text, SECTION_KINDS[m[1]], owner)
            out[i] = replace(section, text=text)
    return out


def _entries_named(text: str, kind: str, owner: str) -> str:
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        entry = ENTRY.match(lines[i])
        indent = len(lines[i]) - len(lines[i].lstrip())
        end = i + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        if not entry or end == i + 1:  # no description: a type alone says nothing
            i += 1
            continue
        said = named_field(kind, entry["name"].lstrip("*"), owner)
        lines[i:end] = [f"{entry['lead']}{said}: {lines[i + 1].strip()}", *lines[i + 2 : end], ""]
        i = end
    return "\n".join(lines)


def _owner(sections: list[Section], i: int) -> str:
    """The function or class the entries of sections[i] belong to: named by the code or the
    description nearest above it under the same parent heading, or by that heading itself
    ("`ship(path)`"); "" when nothing names one."""
    from tunelab.data.documents.sections import fenced_parts  # sections reads its fields from here

    parent = sections[i].headings[:-1]
    for section in reversed(sections[:i]):
        if section.headings[: len(parent)] != parent:
            break
        for code, part in reversed(fenced_parts(section.text)):
            if code and (defined := DEFINED.findall(part)):
                return min(defined, key=lambda d: len(d[0]))[1]  # the outermost, first
            if not code and (described := DESCRIPTION.findall(part)):
                return described[-1]
        if section.headings == parent:
            break
    heading = CALLABLE_HEADING.match(parent[-1].strip()) if parent else None
    return heading["name"] if heading and ("(" in parent[-1] or "`" in parent[-1]) else ""
