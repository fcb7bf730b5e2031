"""A Markdown report as one self-contained HTML page (no script, no external file): what
`tunelab data check --report x.html` and `tunelab eval`'s errors.html show is their Markdown
report, so the page and the file never say different things."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# A list item that is a counted label over a list ("asked after (3):") is folded on the page:
# the label says what is there and how much, and the list opens on a click.
COUNTED_LABEL = re.compile(r"[\w ]+ \(\d+\):")

STYLE = (
    "body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
)


def markdown_page(markdown: str, title: str) -> str:
    """`markdown` rendered as a page titled `title`. HTML in it is shown as text: a report quotes
    rows and answers, and a `<script>` one of them holds must not run in the page."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    parser.core.ruler.push("fold_counted_lists", _fold_counted_lists)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>\n{parser.render(markdown)}</body></html>\n"
    )


def _fold_counted_lists(state: StateCore) -> None:
    """Each list item `label (n):` over a list becomes `<details><summary>label (n)` and it."""
    tokens = state.tokens
    folds = [
        i
        for i in range(len(tokens) - 4)
        if tokens[i].type == "list_item_open"
        and tokens[i + 2].type == "inline"
        and COUNTED_LABEL.fullmatch(tokens[i + 2].content)
        and tokens[i + 4].type == "bullet_list_open"
    ]
    for i in reversed(folds):  # from the end, so the places of those before stay where they are
        level = tokens[i].level
        close = next(
            j
            for j in range(i + 5, len(tokens))
            if tokens[j].type == "list_item_close" and tokens[j].level == level
        )
        label = html.escape(tokens[i + 2].content.removesuffix(":"))
        tokens[close:close] = [Token("html_block", "", 0, content="</details>\n")]
        # The label's paragraph (open, text, close) becomes the summary.
        tokens[i + 1 : i + 4] = [
            Token("html_block", "", 0, content=f"<details><summary>{label}</summary>\n")
        ]
