"""Prompt-template markup already inside the data. Some data sets bake a template into their text
(lamini_docs' question field holds `### Question:\\n...\\n\\n### Answer:`); the default chat
template would wrap it a second time. `find_markers` says which markers rows carry and which
`data.template` uses the text as it is; `plain_question` removes the markup before words are
counted or shown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tunelab.data.example import Example
from tunelab.data.prompts.templates import BUILTIN_TEMPLATES, in_qa_form

# Section headers of the Alpaca / "### Question:" styles, anywhere in the text.
HEADERS = re.compile(r"###\s*(Question|Answer|Instruction|Input|Response)\s*:?", re.IGNORECASE)
# Special tokens and turn labels of chat formats (ChatML, Llama 2/3, Zephyr, Anthropic-style).
_MARKERS = (
    r"###\s*(?:Question|Answer|Instruction|Input|Response)\s*:",
    r"<\|im_start\|>",
    r"<\|im_end\|>",
    r"<\|(?:user|assistant|system)\|>",
    r"<\|start_header_id\|>",
    r"<\|begin_of_text\|>",
    r"\[/?INST\]",
    r"<</?SYS>>",
    r"^\s*(?:Human|Assistant)\s*:",
)
MARKERS = re.compile("|".join(f"(?:{m})" for m in _MARKERS), re.IGNORECASE | re.MULTILINE)
QA_FIT = "qa"
MIN_SHARE = 0.1  # of the rows carrying markers before the data counts as templated
AS_IS_FIT = "{{ prompt }}"  # a Jinja template that gives the prompt as it is


@dataclass(frozen=True)
class Markers:
    """Rows whose prompt already carries template markup, and the template that fits them."""

    rows: int  # rows carrying markers
    total: int  # rows looked at
    found: tuple[str, ...]  # the markers seen, most frequent first
    example: str  # the first such row's file:line
    # Every such row opens with `### Question:`: only then does qa pass it through, where a
    # marker further in would be wrapped in a second `### Question:`.
    qa_form: bool = False

    @property
    def fit(self) -> str:
        """The data.template that leaves the marked text as it is: `qa` when the rows are in its
        own `### Question:` form (it passes them through), else a Jinja string giving the prompt
        unchanged."""
        qa_markers = set(self.found) <= {"### Question:", "### Answer:"}
        return QA_FIT if self.qa_form and qa_markers else AS_IS_FIT

    def fits(self, template: str) -> bool:
        """Whether `template` leaves the marked text alone. A Jinja string is the user's own
        rendering of the data, not judged here."""
        return template == self.fit or template not in BUILTIN_TEMPLATES

    def warning(self, template: str) -> str:
        """One sentence for `data inspect`, `data check`, `train` and `eval`, naming the setting
        to use; "" where `template` fits the rows."""
        if self.fits(template):
            return ""
        shown = ", ".join(repr(m) for m in self.found[:3])
        return (
            f"{self.rows} of {self.total} rows already carry prompt-template markers ({shown}; "
            f"e.g. {self.example}): template {template!r} wraps them in its own markup again. "
            f"Use template {self.fit!r} to keep the text as it is (data.template in a config, "
            f"--set data.template={self.fit!r} on train, --template on data and eval commands)."
        )


def find_markers(examples: Iterable[Example]) -> Markers | None:
    """The template markup in the examples' prompts (their user turns, or an Alpaca instruction),
    or None when fewer than MIN_SHARE of the rows have any. Raw-text rows are documents, not prompts: not looked at."""
    counts: dict[str, int] = {}
    rows = total = 0
    example = ""
    qa_form = True
    for ex in examples:
        if ex.text is not None:
            continue
        total += 1
        prompt = "\n".join(
            [m["content"] for m in ex.messages if m["role"] != "assistant"] + [ex.instruction or ""]
        )
        seen = dict.fromkeys(_canonical(m.group()) for m in MARKERS.finditer(prompt))
        if seen:
            rows += 1
            example = example or ex.source
            qa_form = qa_form and in_qa_form(ex.question)
            for marker in seen:
                counts[marker] = counts.get(marker, 0) + 1
    # A data set that bakes a template in does so in (nearly) every row; a few rows that carry a
    # marker are talking about templates (tunelab's own demo set has one), not wrapped in one.
    if rows < max(1, MIN_SHARE * total):
        return None
    found = tuple(sorted(counts, key=lambda m: -counts[m]))  # ties: in the order first seen
    return Markers(rows, total, found, example, qa_form)


def file_template(path: str | Path, shape: str = "auto", fields: dict | None = None) -> str | None:
    """The template the markers of the rows of `path` fit (their first 200, bad rows left out),
    for the `train` a data command names next; None where they carry none."""
    from tunelab.data.load import read_examples

    markers = find_markers(read_examples(path, shape, fields, limit=200).examples)
    return markers.fit if markers else None


def template_warning(examples: Iterable[Example], template: str) -> str:
    """`Markers.warning` of the examples' markup asked with `template`, or "" where they carry
    none or it fits them."""
    markers = find_markers(examples)
    return markers.warning(template) if markers else ""


def _canonical(marker: str) -> str:
    """One spelling per marker: '###  question :' and '### Question:' are one."""
    header = HEADERS.search(marker)
    return f"### {header.group(1).capitalize()}:" if header else " ".join(marker.split())


def plain_question(question: str) -> str:
    """The question without baked-in `### Question:`-style headers."""
    return HEADERS.sub(" ", question).strip()
