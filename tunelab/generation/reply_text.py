"""How a reply's text is read as its tokens come, and where the reply ends: generate() and the
server's engine feed each reply's tokens to a ReplyText, so both end it at the same EOS, stop
string, repeat or length, and what either streams is the text the finished reply has."""

from __future__ import annotations

from typing import Literal

from transformers import PreTrainedTokenizerBase

from tunelab.data.text import SENTENCE_END, SaidSentences, repeat_start

# The prompt's last tokens a continuation's text is read after: enough to settle its first word's
# space (a sentencepiece "▁is" decodes as "is" alone).
PROMPT_CONTEXT = 6


class ReplyText:
    """One reply, fed a token at a time: whether and why it is over ("stop": an EOS token or a
    stop string, which is cut; "repeat": with `repeats`, it began saying a sentence or line
    again, which is cut; "length": `max_tokens` tokens), and the text certain to be in it.

    Its text is read a few tokens at a time (Detokenizer), in whole characters; `trim` "ends"
    takes the whitespace around it away (generate()'s replies, which eval and data generation
    compare), "gap" only the gap its template left before it (template_gap) and the whitespace
    after it (a chat's reply, whose code keeps its indentation), "end" only the whitespace after
    it (a text continued as written keeps its leading space); None keeps it as decoded (the
    server's, which trims a chat reply's start as it streams). Not `streamed` (no `take` before
    the end), with no stop strings or repeats to look for, it is decoded once, at the end.
    `context`, the last prompt tokens, is what the reply continues: a completion's first word
    keeps the space a sentencepiece "▁is" gives it only when read after them (alone, it decodes
    as "is")."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        eos: set[int],
        stops: list[str] | None,
        max_tokens: int,
        *,
        repeats: bool = False,
        trim: Literal["ends", "gap", "end"] | None = None,
        streamed: bool = True,
        context: list[int] | None = None,
    ):
        self.tokenizer, self.eos, self.max_tokens = tokenizer, eos, max_tokens
        self.stops = [s for s in stops or [] if s]
        self.repeats, self.trim = repeats, trim
        self.incremental = streamed or bool(self.stops) or repeats  # read a token at a time
        self.longest = max((len(s) for s in self.stops), default=0)
        self.tokens: list[int] = []  # the reply's tokens, EOS not counted
        self.eos_token: int | None = None  # the EOS token that ended it, if one did
        self.finish_reason: str | None = None
        self.text = ""  # the reply's text, once it is over
        self.context = list(context or [])
        self._reader = Detokenizer(tokenizer, self.context)
        self._taken = 0  # characters of text already given by `take`
        self._said = SaidSentences()  # sentences of the text so far, for repeats
        self._said_certain = SaidSentences()  # of the text `take` reads (stop strings held back)

    def add(self, token: int) -> str | None:
        """Add the next token; why the reply is over now, or None."""
        eos = token in self.eos
        if eos:
            self.eos_token = token
        else:
            self.tokens.append(token)
        full = len(self.tokens) >= self.max_tokens
        before = len(self._reader.text)
        if self.incremental:
            # At the reply's end a character still split is final (U+FFFD), and may complete a stop.
            self._reader.update(self.tokens, final=eos or full)
        if eos or self._stopped(before):
            self._finish("stop")
        elif self.repeats and self._repeated(before):
            self._finish("repeat")
        elif full:
            self._finish("length")
        return self.finish_reason

    @property
    def sampled(self) -> list[int]:
        """Every token added, the EOS that ended it included: what the reply cost, as vLLM's
        usage and logprobs count it."""
        return [*self.tokens, self.eos_token] if self.eos_token is not None else self.tokens

    def take(self) -> str:
        """The text now certain to be in the reply that no call gave before; once the reply is
        over, all the rest of it. The pieces join to the finished `text`."""
        text = self.text if self.finish_reason else self._certain()
        piece = text[self._taken :]
        self._taken = max(self._taken, len(text))
        return piece

    def _stopped(self, before: int) -> bool:
        """Whether the text added since it was `before` characters long completed a stop string.
        Only the reply's tokens count (a prompt ending in "\n" must not stop "\n\n" at once), and
        only whole characters: until its last byte comes, a character split over tokens decodes
        as U+FFFD, which a stop string must not match (unless the reply ends there)."""
        # A stop string completed now starts at most its length before the new text.
        recent = self._reader.text[max(0, before - self.longest) :]
        return any(s in recent for s in self.stops)

    def _repeated(self, before: int) -> bool:
        """Whether the text now says a sentence again. Only a sentence's end can make it one said
        before, so the text is read only when the new text holds an end, or follows one that
        waited to see whether it ended a sentence ("3." of "3.6")."""
        text = self._reader.text
        if SENTENCE_END.search(text, max(0, before - 1)) is None:
            return False
        return self._said.repeat_start(text) is not None

    def _finish(self, reason: str) -> None:
        """Cut the text at the stop strings, in the order given (of "b" and "pb", completed by one
        token together, "b" cuts first and leaves the "p"), then where it began repeating."""
        if self.incremental:
            text = self._reader.text
        else:
            text = decode_after(self.tokenizer, self.context, self.tokens)
        for s in self.stops:
            if s in text:
                text, reason = text[: text.index(s)], "stop"
        # Before trimming: a line's end is the "\n" that trimming would take away.
        if self.repeats and (cut := repeat_start(text)) is not None:
            text, reason = text[:cut], "repeat"
        self.text = self._trimmed(text)
        self.finish_reason = reason

    def _certain(self) -> str:
        """The start of the text so far that no next token can take back: all but the start of
        a stop string, a sentence that may still turn out to repeat one, and, when the text is
        trimmed, trailing whitespace and a start that may yet be the template's gap (which the
        end of the reply would trim)."""
        text = self._reader.text
        text = text[: held_back(text, self.stops)]
        if self.repeats:
            text = text[: self._said_certain.held_back(text)]
        return self._trimmed(text)

    def _trimmed(self, text: str) -> str:
        if self.trim is None:
            return text
        if self.trim == "end":
            return text.rstrip()
        start = template_gap(text) if self.trim == "gap" else len(text) - len(text.lstrip())
        return text[start:].rstrip()


def template_gap(text: str) -> int:
    """How much of a reply's start is the gap its template's prompt leaves before it rather than
    its own text: the blank lines, and the one space a word's token carries (" Yes" after "###
    Answer:"). More indentation on its first line is the reply's own (a code answer's
    "    return x"). All of a text of whitespace alone, whose first character is still to come."""
    lead = len(text) - len(text.lstrip())
    if lead == len(text):
        return lead
    start = text.rfind("\n", 0, lead) + 1
    return lead if text[start:lead] == " " else start


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


class Detokenizer:
    """The text of a growing list of token ids, read a few tokens at a time. A new token's text
    is what decoding it with the tokens since the last emitted piece adds to decoding those
    tokens alone: that context keeps a word's leading space, and a character split over tokens
    is held until it is whole. Decoding the whole reply again after every token would cost time
    that grows with its length."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, context: list[int] | None = None):
        self.tokenizer = tokenizer
        self.text = ""
        self._context = list(context or [])  # tokens before the reply, read but never given
        # (context + ids)[_prefix:_read] were decoded already: the context of what follows (a
        # character the context's last tokens begin is the reply's to give)
        self._prefix, self._read = 0, whole_characters(tokenizer, self._context)

    def update(self, ids: list[int], final: bool = False) -> str:
        """The text `ids` (the whole reply so far) add since the last call; `final` gives a
        half-decoded character at the end too, as U+FFFD, rather than holding it back."""
        if self._context:  # until the reply's first piece is given, read after the prompt's end
            ids = self._context + ids
        if len(ids) == self._read:
            return ""
        decode = self.tokenizer.decode
        before = decode(ids[self._prefix : self._read], skip_special_tokens=True)
        after = decode(ids[self._prefix :], skip_special_tokens=True)
        if len(after) <= len(before) or (after.endswith("\ufffd") and not final):
            return ""  # a skipped special token, or a character not yet whole
        piece = after[len(before) :]
        self._prefix, self._read = self._read, len(ids)
        if self._context and self._prefix >= len(self._context):
            # The context is read: indices count the reply's own tokens again (no list copy a
            # token).
            shift = len(self._context)
            self._prefix, self._read, self._context = self._prefix - shift, self._read - shift, []
        self.text += piece
        return piece


def decode_after(tokenizer: PreTrainedTokenizerBase, context: list[int], ids: list[int]) -> str:
    """The text `ids` add after `context`, special tokens skipped; a character whose first
    bytes end the context is the reply's (a prompt of token ids may end inside "東")."""
    if not context:
        return tokenizer.decode(ids, skip_special_tokens=True)
    whole = whole_characters(tokenizer, context)
    before = tokenizer.decode(context[:whole], skip_special_tokens=True)
    after = tokenizer.decode(context + ids, skip_special_tokens=True)
    return after[len(before) :] if after.startswith(before) else after


def whole_characters(tokenizer: PreTrainedTokenizerBase, context: list[int]) -> int:
    """How many of the `context` tokens end in whole characters: all but those holding the first
    bytes of a character the tokens after them complete."""
    n = len(context)
    while n and tokenizer.decode(context[:n], skip_special_tokens=True).endswith("\ufffd"):
        n -= 1
    return n
