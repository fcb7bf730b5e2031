"""A reply's text as its tokens arrive, decoded a few tokens at a time: decoding the whole reply
again after every token costs time that grows with its length, on the engine's one thread."""

from __future__ import annotations

from transformers import PreTrainedTokenizerBase


class Detokenizer:
    """The text of a growing list of token ids. A new token's text is what decoding it with the
    tokens since the last emitted piece adds to decoding those tokens alone: that context keeps a
    word's leading space, and a character split over tokens is held until it is whole."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.tokenizer = tokenizer
        self.text = ""
        self._prefix = 0  # ids[_prefix:_read] were decoded already: the context of what follows
        self._read = 0

    def update(self, ids: list[int], final: bool = False) -> str:
        """The text `ids` (the whole reply so far) add since the last call; `final` gives a
        half-decoded character at the end too, as U+FFFD, rather than holding it back."""
        if len(ids) == self._read:
            return ""
        decode = self.tokenizer.decode
        before = decode(ids[self._prefix : self._read], skip_special_tokens=True)
        after = decode(ids[self._prefix :], skip_special_tokens=True)
        if len(after) <= len(before) or (after.endswith("\ufffd") and not final):
            return ""  # a skipped special token, or a character not yet whole
        piece = after[len(before) :]
        self._prefix, self._read = self._read, len(ids)
        self.text += piece
        return piece


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
