"""Whether a table fits the terminal as drawn at its natural width: eval, compare and runs lay a
table out again (an interval's "(over N facts)" under it, fewer columns) where it does not, since
rich would wrap "[-0.53, +0.53]" in two or crop a column mid-word; and a note under a table,
wrapped at words; a count as a message says it ("1 question", "2 questions"; "1 is",
"2 are"); and a time as one ("2 min 49 s")."""

from __future__ import annotations

import textwrap

from rich.console import Console, RenderableType
from rich.measure import Measurement


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether `renderable`, nothing in it wrapped, is no wider than `console`."""
    unbounded = console.options.update_width(10**4)
    return Measurement.get(console, unbounded, renderable).maximum <= console.width


def say_wrapped(console: Console, text: str, style: str = "") -> None:
    """Print `text` as written (a path may hold brackets rich reads as markup), wrapped at spaces
    to the console's width: one soft-wrapped line had a narrow terminal split words at its edge,
    and rich's own wrap folds a word wider than the console, which stays whole on its line here
    (a path pastes whole)."""
    width = max(console.width, 1)
    for line in textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False):
        console.print(line, style=style, markup=False, soft_wrap=True)


def n_things(n: int, thing: str, things: str = "") -> str:
    """ "1 question", "7 questions" (`things`: an irregular plural): a count as every message says
    it, where a fixed plural printed "1 questions" and "those 1 are judged"."""
    return f"{n} {thing}" if n == 1 else f"{n} {things or thing + 's'}"


def is_are(n: int) -> str:
    """ "is" after a count of 1, "are" after any other ("1 question is", "0 questions are"): the
    verb every message gives a count, `n_things`'s or a bare number."""
    return "is" if n == 1 else "are"


def duration(seconds: float, compact: bool = False) -> str:
    """ "17 s", "2 min 49 s", "1 h 06 min": a time as every message says it (training's done line,
    `tunelab runs`), where two formatters gave one run "2 min 49 s" and "2m 49s"; `compact`
    ("2m 49s") for a table column, where the words would cost the table its width."""
    minutes, seconds = divmod(round(seconds), 60)
    hour, minute, second = ("h", "m", "s") if compact else (" h", " min", " s")
    if minutes >= 60:
        return f"{minutes // 60}{hour} {minutes % 60:02d}{minute}"
    return f"{minutes}{minute} {seconds:02d}{second}" if minutes else f"{seconds}{second}"
