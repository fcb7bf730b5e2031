"""What of a reply's text the engine may send: its tokens are decoded a few at a time by
tunelab.generate's Detokenizer (generate() reads replies the same way, so both cut them at the
same stop strings), and the end that the next tokens may still change is held back."""

from __future__ import annotations


def held_back(text: str, stops: list[str]) -> int:
    """How much of `text` is certain: all but a trailing half-decoded character or the start of a
    stop string, which the next tokens may complete."""
    n = len(text)
    while n and text[n - 1] == "\ufffd":
        n -= 1
    for s in stops:
        for k in range(min(len(s) - 1, n), 0, -1):
            if text[:n].endswith(s[:k]):
                n -= k
                break
    return n
