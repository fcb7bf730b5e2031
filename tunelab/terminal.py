"""Whether a table fits the terminal as drawn at its natural width: eval, compare and runs lay a
table out again (an interval's "(over N facts)" under it, fewer columns) where it does not, since
rich would wrap "[-0.53, +0.53]" in two or crop a column mid-word."""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.measure import Measurement


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether `renderable`, nothing in it wrapped, is no wider than `console`."""
    unbounded = console.options.update_width(10**4)
    return Measurement.get(console, unbounded, renderable).maximum <= console.width
