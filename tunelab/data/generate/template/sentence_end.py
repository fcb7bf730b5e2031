"""How a sentence given as an answer ends: with one full stop, whatever a manual's line ended
with."""

from __future__ import annotations


def full_stop(sentence: str, dropped: str = ".") -> str:
    """`sentence` ending with one full stop, whatever of `dropped` it ended with: a manual's line
    becomes an answer ("Press it for 3 seconds" -> "Press it for 3 seconds."). A sentence that
    ends with its own mark keeps it ("Clean it every 2 weeks!." was an answer), an ellipsis too
    ("Wait…" was answered "Wait….", "Wait..." "Wait."); nothing said stays nothing (a table's
    cell "." was answered ".")."""
    said = sentence.rstrip(dropped)
    if sentence.rstrip(dropped.replace(".", "")).endswith("..."):
        return said + "..."
    return said if not said or said.endswith(("!", "?", "…")) else said + "."
