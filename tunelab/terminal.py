"""Whether a table fits the terminal as drawn at its natural width: eval, compare and runs lay a
table out again (an interval's "(over N facts)" under it, fewer columns) where it does not, since
rich would wrap "[-0.53, +0.53]" in two or crop a column mid-word; and a note under a table,
wrapped at words; a count as a message says it ("1 question", "2 questions"; "1 is",
"2 are"), a list ("a, b and c"); and a time as one ("2 min 49 s")."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console, RenderableType
from rich.measure import Measurement


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether `renderable`, nothing in it wrapped, is no wider than `console`."""
    unbounded = console.options.update_width(10**4)
    return Measurement.get(console, unbounded, renderable).maximum <= console.width


def say_wrapped(console: Console, text: str, style: str = "") -> None:
    """Print `text` as written (a path may hold brackets rich reads as markup), wrapped at spaces
    to the console's width: one soft-wrapped line had a narrow terminal split words at its edge,
    and rich's own wrap folds a word wider than the console. A word, a `code` span and a path
    with a space (`whole_spans`) stay whole on their line, past the width if they must, so
    that each pastes whole."""
    width = max(console.width, 1)
    joined = " ".join(span.replace(" ", _KEPT_SPACE) for span in whole_spans(text))
    for line in textwrap.wrap(joined, width, break_long_words=False, break_on_hyphens=False):
        console.print(line.replace(_KEPT_SPACE, " "), style=style, markup=False, soft_wrap=True)


# A space no line may break at, inside a span kept whole (textwrap breaks at ASCII whitespace
# alone); a private-use character, which no message holds.
_KEPT_SPACE = "\ue000"
# What may stand around a path in a message: "(in /tmp/my runs/demo)", "'runs/a',".
_AROUND_PATH = "'\"()[],.;:"
# The most words a path with spaces is looked for in: a note's every later word was looked up.
PATH_WORDS = 8


def whole_spans(text: str) -> list[str]:
    """`text`'s words, with the words of a `code` span (a command to copy) joined into one, and
    of a path with a space: a word with a slash and the words after it that, joined, name
    something on disk or a folder's entry whose name has a space ("/tmp/my runs/demo" was cut
    after "my" at 40 columns)."""
    words, spans, i = text.split(), [], 0
    while i < len(words):
        end = i + 1
        if words[i].count("`") % 2:  # a code span opens and runs to the word that closes it
            end = next((j + 1 for j in range(i + 1, len(words)) if "`" in words[j]), end)
        elif "/" in words[i]:  # a path of up to PATH_WORDS words, the longest on disk
            after = range(i + 1, min(len(words), i + PATH_WORDS))
            end = max((j + 1 for j in after if _names_a_path(words[i : j + 1])), default=end)
        spans.append(" ".join(words[i:end]))
        i = end
    return spans


def _names_a_path(words: list[str]) -> bool:
    """Whether `words` joined by spaces name a path whose spaces are its own: it exists, or its
    folder does and holds every space (a file about to be written there; a space in a name not
    yet on disk is no path's, as in "runs/my run is done")."""
    path = Path(" ".join(words).strip(_AROUND_PATH)).expanduser()
    return path.exists() or (" " not in path.name and path.parent.is_dir())


def n_things(n: int, thing: str, things: str = "") -> str:
    """ "1 question", "7 questions" (`things`: an irregular plural): a count as every message says
    it, where a fixed plural printed "1 questions" and "those 1 are judged"."""
    return f"{n} {thing}" if n == 1 else f"{n} {things or thing + 's'}"


def listed(names: Sequence[str], last: str = "and") -> str:
    """ "a", "a and b", "a, b and c" (`last`: "or" for choices): a list as every message says it,
    compare's leaders and a refused option's choices alike."""
    return f" {last} ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


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
