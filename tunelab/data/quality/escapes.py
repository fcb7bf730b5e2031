"""Escapes typed into text: a line break written as the two characters `\\n` where one was meant
(lamini_docs: 47 in 9 rows, "growth.\\n2. Collaboration"), which the model learns as text ("\\nBias"
read as the word "nbias"). `data check` names them and `--fix` writes the character each stands
for; one the text speaks of ("Use \\n to start a new line") it reads as a mention and leaves."""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Not one after a letter ("C:\Users\new"), nor one in code: a code block, a `span`, a string
# literal ("\n" in `split("\n")`), nor LaTeX's commands (MMLU's "\times", "\nabla", "\text": 13
# of its 17,467 rows read so); entities are what a page's HTML left behind ("AT&amp;T").
_BREAKS = re.compile(r"(?<![\w\\])(?:\\[ntr](?![a-z]))+")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|nbsp|#\d+|#x[0-9a-f]+);")
_QUOTE = re.compile(r'(?<!\\)\\"')
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`|([\"'])\S*?\\[ntr]\S*?\1", re.S)
# What a mention stands between: a space or an opening bracket or quote before it ("the “\n”"),
# a space or a closing mark after it ("split on \n.", "a \n-separated list").
_OPENS, _ALONE_AFTER = "([{\"'“‘", re.compile(r"$|[\s.,;:!?)\]}\"'”’-]")
# A line break typed between spaces still opens a list item ("one \n - two", "one \n 2. two"), or
# ends a sentence and opens the next one ("growth. \n Collaboration").
_ITEM, _ENDS = re.compile(r"\s*(?:[-*•]|\d+[.)])\s"), re.compile(r"[.:;!?]\s+$")


@dataclass
class Escapes:
    """What a row's texts hold typed: the escapes `--fix` mends, and the ones it leaves."""

    typed: list[str] = field(default_factory=list)  # \n, \t, \r typed for the character; entities
    mentions: list[str] = field(default_factory=list)  # \n the text speaks of ("Use \n to ...")
    quotes: int = 0  # \" typed for a quote

    @property
    def twice(self) -> bool:
        """Whether the row was escaped twice (JSON written into JSON): its line breaks typed, so its
        `\\"` are typed quotes too; alone, a `\\"` may be what the text means (JSON it shows)."""
        return any(e.startswith("\\") for e in self.typed)

    @property
    def mended(self) -> list[str]:
        """The escapes `--fix` writes as characters."""
        return self.typed + ['\\"'] * self.quotes * self.twice

    def left(self) -> str:
        """What `--fix` leaves, and why ("1 \\n read as a mention, left"); "" when nothing."""
        said = []
        if self.mentions:
            kinds = ", ".join(f"{n} {k}" for k, n in Counter(self.mentions).items())
            said.append(f"{kinds} read as {'a mention' if len(self.mentions) == 1 else 'mentions'}")
        if self.quotes and not self.twice:
            said.append(f'{self.quotes} \\" with no other escape typed in the row')
        return "; ".join(said) + ", left" if said else ""


def row_escapes(texts: list[str]) -> Escapes:
    """The escapes a row's texts hold as characters, outside code, each read as typed for the
    character or as a mention (`_mentioned`)."""
    found = Escapes()
    for text in texts:
        blanked = _code_blanked(text)
        for m in _BREAKS.finditer(blanked):
            kind = found.mentions if _mentioned(text, m.start(), m.end()) else found.typed
            kind.extend(re.findall(r"\\.", m[0]))
        found.typed += _ENTITY.findall(blanked)
        found.quotes += len(_QUOTE.findall(blanked))
    return found


def _mentioned(text: str, start: int, end: int) -> bool:
    """Whether the escape at text[start:end] is one the text speaks of: alone, as a word is
    ("Use \\n to start a new line", "split on \\n.", "the “\\n” character"), where a typed one
    is glued to the text beside it ("\\nBias", "growth.\\n2.") or breaks a line between spaces
    ("growth. \\n 2.")."""
    before, after = text[:start], text[end:]
    if before and not before[-1].isspace() and before[-1] not in _OPENS:
        return False
    if not _ALONE_AFTER.match(after):
        return False
    return not (_ITEM.match(after) or _ENDS.search(before) and re.match(r"\s+[A-Z0-9]", after))


def mend_escapes(text: str, quotes: bool = False) -> str:
    """`text` with each line break, tab or HTML entity typed in it (`row_escapes`) written as the
    character it stands for, and each `\\"` as `"` when `quotes` (its row escaped twice); code,
    where the two characters are meant, and a mention as they were."""
    blanked = _code_blanked(text)
    found = [m for m in _BREAKS.finditer(blanked) if not _mentioned(text, m.start(), m.end())]
    found += _ENTITY.finditer(blanked)
    found += _QUOTE.finditer(blanked) if quotes else []
    mended, at = [], 0
    for m in sorted(found, key=lambda m: m.start()):
        run = html.unescape(m[0]) if m[0].startswith("&") else m[0]
        for typed, character in (("\\r\\n", "\n"), ("\\r", "\n"), ("\\n", "\n"), ("\\t", "\t")):
            run = run.replace(typed, character)
        mended += [text[at : m.start()], run.replace('\\"', '"')]
        at = m.end()
    return "".join(mended) + text[at:]


def mend_row(value: Any, quotes: bool = False) -> Any:
    """A data row (strings, lists, dicts) with its typed escapes mended (`mend_escapes`); its
    provenance (`meta`) and a call's arguments (code) as they were."""
    if isinstance(value, str):
        return mend_escapes(value, quotes)
    if isinstance(value, list):
        return [mend_row(v, quotes) for v in value]
    if isinstance(value, dict):
        return {
            k: v if k in ("meta", "arguments") else mend_row(v, quotes) for k, v in value.items()
        }
    return value


def _code_blanked(text: str) -> str:
    """`text` with its code as spaces, each where it was."""
    return _CODE.sub(lambda m: " " * len(m[0]), text)
