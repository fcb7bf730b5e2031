"""Tokenize examples with the model's tokenizer: labels are -100 exactly on prompt/template tokens,
and long examples are truncated by a stated policy with counts reported, never silently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from jinja2 import TemplateError
from transformers import PreTrainedTokenizerBase

from tunelab.data.example import Example, counted
from tunelab.data.prompts.templates import check_template, render_segments
from tunelab.data.tool_calls import said
from tunelab.errors import TunelabError, first_few

IGNORE = -100
# A raw text is tokenized this many characters at a time: bounded memory for any length.
PIECE_CHARS = 1 << 16
PROGRESS_CHARS = 4_000_000  # texts this long (seconds of tokenizing) get a progress bar
ENCODE_CHUNK = 1000  # examples encoded in one tokenizer call


@dataclass
class Tokenized:
    input_ids: list[int]
    labels: list[int]  # unshifted: labels[t] is input_ids[t] where trained, else -100
    source: str = ""
    answer_cut: bool = False  # truncation cut off a reply's end (and its stop token)

    @property
    def trained_tokens(self) -> int:
        """The tokens the loss predicts: a row's first is never one (nothing comes before it),
        though a raw text labels it (its windows overlap by that token)."""
        return sum(1 for label in self.labels[1:] if label != IGNORE)


@dataclass
class TokenizeReport:
    examples: int = 0
    truncated: int = 0
    answers_cut: int = 0  # of the truncated, those whose reply lost its end
    cut_sources: list[str] = field(default_factory=list)  # their file:line, to shorten there
    dropped: int = 0
    chunked_texts: int = 0
    last_turn_only: int = 0  # multi-turn chats under a template that has room for one exchange
    last_reply_only: int = 0  # chats whose template rewrites earlier replies in the history
    refused: list[str] = field(default_factory=list)  # rows the template could not render, why
    refused_sources: set[str] = field(default_factory=set)  # their file:line
    dropped_sources: list[str] = field(default_factory=list)
    special_text: dict[str, str] = field(default_factory=dict)  # source → the token's text
    special_in_texts: dict[str, str] = field(default_factory=dict)  # raw texts: trained as tokens
    counts: str = "examples"  # what `examples` counts when no text was split: example.counted

    def summary(self, held_out: bool = False) -> str:
        """What tokenizing did, said of training rows, or of `held_out` test rows (which eval
        loss scores, no training)."""
        # With long texts split into windows, what is counted is sequences, not rows.
        parts = [f"{self.examples} {'sequences' if self.chunked_texts else self.counts}"]
        if self.truncated:
            parts.append(f"{self.truncated} truncated")
        if self.answers_cut:
            done = "scored by eval loss" if held_out else "trained"
            # Named by file:line: "shorten those answers" left the reader to find them.
            named = [source for source in self.cut_sources if source]
            where = f" ({first_few(named)})" if named else ""
            parts.append(
                f"{self.answers_cut} of them inside a reply{where}, {done} without its end and "
                "stop token (raise data.max_length or shorten those answers)"
            )
        if self.dropped:
            parts.append(f"{self.dropped} dropped (too long or nothing left to train on)")
        if self.special_text:
            source, token = next(iter(self.special_text.items()))
            parts.append(
                f"{len(self.special_text)} dropped for holding a special token's text ({source}: "
                f"{token!r}), which the tokenizer reads as the token itself: the model would "
                "learn to stop there"
            )
        if self.special_in_texts:
            source, token = next(iter(self.special_in_texts.items()))
            parts.append(
                f"{len(self.special_in_texts)} texts holding a special token's text ({source}: "
                f"{token!r}), read as the token itself: set data.special_tokens_in_text=text "
                "where they are documents that only mention it"
            )
        if self.chunked_texts:
            parts.append(f"{self.chunked_texts} long texts split into chunks")
        if self.last_turn_only:
            parts.append(
                f"{self.last_turn_only} multi-turn chats trained on their last exchange only "
                "(data.template chat, or a template that reads `messages`, keeps every turn)"
            )
        if self.refused:
            parts.append(
                f"{len(self.refused)} skipped, which the prompt template could not render "
                f"({self.refused[0]})"
            )
        if self.last_reply_only:
            parts.append(
                f"{self.last_reply_only} multi-turn chats trained on their last reply only: the "
                "chat template writes earlier replies differently once they are history (Qwen3 "
                "drops their reasoning), so only the last is the text the model is to write"
            )
        return ", ".join(parts)


def tokenize_example(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    template: str = "chat",
    system_prompt: str | None = None,
    special_as_text: bool = False,
) -> Tokenized:
    """Encode segment by segment, so the mask boundary is exact and matches generation, where the
    prompt is encoded alone and the model continues from it. `special_as_text`: a raw text's
    special tokens' text is plain characters (data.special_tokens_in_text)."""
    if example.text is not None:  # every token trained; read in pieces to bound memory
        pieces = _text_pieces(example, tokenizer, PIECE_CHARS, special_as_text=special_as_text)
        ids = [i for piece in pieces for i in piece]
        return Tokenized(ids, list(ids), example.source)
    segments = example_segments(example, tokenizer, template, system_prompt)
    return assembled(example, segments, encoded(tokenizer, [text for text, _ in segments]))


def example_segments(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    template: str = "chat",
    system_prompt: str | None = None,
) -> list[tuple[str, bool]]:
    """A (non-text) example's rendered segments, each trained or not; a row the template cannot
    render is a TunelabError naming its file:line."""
    # Every template writes its BOS into the prompt's text (plain ones the tokenizer's default):
    # encoded without special tokens, as generation encodes a prompt.
    try:
        return render_segments(example, tokenizer, template, system_prompt)
    except (TunelabError, TemplateError) as err:  # a template that cannot render this row
        why = str(err) if isinstance(err, TunelabError) else f"the chat template refused it: {err}"
        raise TunelabError(f"{example.source}: {why}" if example.source else why) from None


def encoded(tokenizer: PreTrainedTokenizerBase, texts: list[str]) -> list[list[int]]:
    """The ids of each text, without special tokens, in one call: a fast tokenizer encodes a
    list in one pass (each text's ids the same as alone), where a call per text spent about as
    long in transformers' bookkeeping as in the encoding."""
    if not texts:
        return []
    return tokenizer(texts, add_special_tokens=False, return_attention_mask=False).input_ids


def assembled(
    example: Example, segments: list[tuple[str, bool]], ids: list[list[int]]
) -> Tokenized:
    """The example's ids and labels from its segments' ids: untrained segments labelled -100."""
    input_ids: list[int] = []
    labels: list[int] = []
    for (_, trained), piece in zip(segments, ids, strict=True):
        input_ids += piece
        labels += piece if trained else [IGNORE] * len(piece)
    return Tokenized(input_ids, labels, example.source)


def tokenize_all(
    examples: list[Example],
    tokenizer: PreTrainedTokenizerBase,
    *,
    template: str = "chat",
    system_prompt: str | None = None,
    max_length: int = 512,
    truncation: str = "keep_response",
    on_error: str = "raise",
    special_tokens_in_text: str = "token",
    train_on_prompt: bool = False,
) -> tuple[list[Tokenized], TokenizeReport]:
    check_template(template, examples)
    report = TokenizeReport(counts=counted(examples))
    out: list[Tokenized] = []
    special = special_texts(tokenizer)
    as_text = special_tokens_in_text == "text"
    # Two passes over a chunk of examples: all rendered, then their texts encoded in one
    # tokenizer call (a call per text spent as long again in transformers), memory bounded by it.
    for start in range(0, len(examples), ENCODE_CHUNK):
        chunk = examples[start : start + ENCODE_CHUNK]
        rendered = [
            _rendered(example, tokenizer, template, system_prompt, special) for example in chunk
        ]
        texts = [t for segs in rendered if isinstance(segs, list) for t, _ in segs]
        ids = iter(encoded(tokenizer, texts))
        for example, segments in zip(chunk, rendered, strict=True):
            report.last_turn_only += trained_last_exchange_only(example, template)
            if segments is None:  # a raw text
                out += _text_windows(example, tokenizer, max_length, as_text, special, report)
            elif isinstance(segments, str):
                report.special_text[example.source] = segments
            elif isinstance(segments, TunelabError):  # data.on_error: skip skips (and counts) it
                if on_error != "skip":
                    raise segments
                report.refused.append(str(segments))
                report.refused_sources.add(example.source)
            else:
                item = assembled(example, segments, [next(ids) for _ in segments])
                report.last_reply_only += trained_last_reply_only(example, item, template)
                if (fitted := _fitted(item, max_length, truncation, report)) is not None:
                    out.append(prompt_trained(fitted) if train_on_prompt else fitted)
    report.examples = len(out)
    return out, report


def _text_windows(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    as_text: bool,
    special: list[str],
    report: TokenizeReport,
) -> list[Tokenized]:
    """A raw text in windows of max_length tokens, told in `report`: a special token's text it
    holds (trained as the token unless `as_text`), and whether it took more than one window."""
    if not as_text and (token := special_token_text(example, special)):
        report.special_in_texts[example.source] = token
    windows = _windows_with_progress(example, tokenizer, max_length, as_text)
    report.chunked_texts += len(windows) > 1
    return windows


def _fitted(
    item: Tokenized, max_length: int, truncation: str, report: TokenizeReport
) -> Tokenized | None:
    """An example cut to max_length by the truncation policy (`fit_length`), or None where it
    is dropped, told in `report` with its file:line: dropped, truncated, its reply's end cut."""
    fitted = fit_length(item, max_length, truncation)
    if fitted is None:
        report.dropped += 1
        report.dropped_sources.append(item.source)
        return None
    report.truncated += fitted is not item
    report.answers_cut += fitted.answer_cut
    if fitted.answer_cut:
        report.cut_sources.append(item.source)
    return fitted


def _rendered(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    template: str,
    system_prompt: str | None,
    special: list[str],
) -> str | list[tuple[str, bool]] | TunelabError | None:
    """A chat example's special-token text (the row is left out), else its segments or the
    error its template raised (data.on_error decides); None for a raw text, read in windows."""
    if example.text is not None:
        return None
    if token := special_token_text(example, special):
        return token
    try:
        return example_segments(example, tokenizer, template, system_prompt)
    except TunelabError as err:
        return err


def prompt_trained(item: Tokenized) -> Tokenized:
    """The example with its prompt's tokens trained as well as its answer's (data.train_on_prompt);
    after truncation, which finds the answer by its labels."""
    return Tokenized(item.input_ids, list(item.input_ids), item.source, item.answer_cut)


def trained_last_exchange_only(example: Example, template: str) -> bool:
    """Whether a chat of several exchanges keeps only its last under `template`: qa and alpaca,
    and a Jinja template that never reads `messages` ("{{ prompt }}"), have room for one."""
    one_exchange = template != "chat" and "messages" not in template
    return one_exchange and sum(m["role"] == "user" for m in example.messages) > 1


def trained_last_reply_only(example: Example, item: Tokenized, template: str) -> bool:
    """Whether a chat of several replies was trained on its last one only (its chat template
    rewrites earlier replies once they are history: `chat_template.chat_segments`)."""
    if template != "chat" or example.text is not None:
        return False
    replies = sum(m["role"] == "assistant" and m.get("weight", 1) for m in example.messages[1:])
    labels = item.labels
    spans = sum(
        label != IGNORE and (i == 0 or labels[i - 1] == IGNORE) for i, label in enumerate(labels)
    )
    return replies > 1 and spans < replies


def special_texts(tokenizer: PreTrainedTokenizerBase) -> list[str]:
    """The texts of the tokenizer's special tokens that a user's text could hold by accident
    ("<|im_end|>"; not one-character ones): what `special_token_text` looks for."""
    return [token for token in tokenizer.all_special_tokens if len(token) > 1]


def special_token_text(example: Example, tokens: list[str]) -> str | None:
    """The first of the special `tokens` whose text a turn (or a raw text) holds ("<|im_end|>"
    in an answer about chat templates): encoded as the token itself, it ends the reply there
    (and the chat template's cut at the first one dropped the rest)."""
    texts = [example.text] if example.text is not None else [said(m) for m in example.messages]
    return next((token for text in texts for token in tokens if token in text), None)


def fit_length(item: Tokenized, max_length: int, policy: str) -> Tokenized | None:
    """Apply the truncation policy; None means drop. The same object back means it already fit."""
    n = len(item.input_ids)
    if n <= max_length:
        return item
    if policy == "drop":
        return None
    if policy == "right":
        start, end = 0, max_length
    else:  # keep_response: drop the oldest prompt tokens first, keep the last reply whole
        reply_start = _last_trained_start(item.labels)
        if n - reply_start < max_length:
            start, end = n - max_length, n
        else:  # the reply alone is too long: keep some context and the reply's beginning
            start = reply_start - min(reply_start, max_length // 4)
            end = start + max_length
    answer_cut = any(label != IGNORE for label in item.labels[end:])
    cut = Tokenized(item.input_ids[start:end], item.labels[start:end], item.source, answer_cut)
    return cut if cut.trained_tokens else None


def chunk_text(item: Tokenized, max_length: int) -> list[Tokenized]:
    """Raw text is split into windows rather than truncated: no text is thrown away. Each window
    starts at the last token of the one before: a window's first token is never predicted (there
    is nothing before it), so without that overlap every window's first token went untrained."""
    stride = _window_stride(max_length)
    return [
        Tokenized(item.input_ids[i : i + max_length], item.labels[i : i + max_length], item.source)
        for i in range(0, len(item.input_ids), stride)
        if len(item.input_ids[i : i + max_length]) > 1
    ]


def _window_stride(max_length: int) -> int:
    return max(1, max_length - 1)


def window_count(length: int, max_length: int) -> int:
    """How many windows chunk_text (and text_windows) cut a raw text of `length` tokens into."""
    return 0 if length < 2 else (length - 2) // _window_stride(max_length) + 1


def text_windows(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    piece_chars: int = PIECE_CHARS,
    progress: Callable[[int], None] | None = None,
    special_as_text: bool = False,
) -> Iterator[Tokenized]:
    """`chunk_text(tokenize_example(example), max_length)` made lazy for a raw text: tokenized a
    piece at a time and cut into windows as it goes, so a text of gigabytes never sits in memory
    as one list of ids (or one tokenizer encoding, several times larger). `progress` is called
    with the characters read so far."""
    buffer: list[int] = []
    stride = _window_stride(max_length)
    for piece in _text_pieces(example, tokenizer, piece_chars, progress, special_as_text):
        buffer += piece
        start = 0
        while len(buffer) - start >= max_length:
            window = buffer[start : start + max_length]
            yield Tokenized(window, list(window), example.source)
            start += stride
        del buffer[:start]
    if len(buffer) > 1:  # as chunk_text: a lone last token has nothing to predict
        yield Tokenized(buffer, list(buffer), example.source)


def _text_pieces(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    piece_chars: int,
    progress: Callable[[int], None] | None = None,
    special_as_text: bool = False,
) -> Iterator[list[int]]:
    """The ids of `example.text` + EOS (as render_segments writes a text row; none where the
    text goes on in the test split, `Example.text_ends`), piece by piece.
    A piece ends before a single space between two words, where byte-level BPE pre-tokenizers
    split anyway, so the ids equal those of the whole text; a text with no such space (or a
    SentencePiece tokenizer) may differ by a token at a cut, once per `piece_chars`."""
    text = example.text or ""
    start = 0
    while start < len(text):
        end = min(start + piece_chars, len(text))
        if end < len(text):
            end = _last_cut(text, start, end) or end
        # The first piece gets the tokenizer's start tokens, as the whole text would.
        yield _ids(tokenizer, text[start:end], special=start == 0, split=special_as_text)
        start = end
        if progress:
            progress(end)
    if tokenizer.eos_token and example.text_ends:
        yield _ids(tokenizer, tokenizer.eos_token, special=not text)


def _ids(
    tokenizer: PreTrainedTokenizerBase, text: str, special: bool, split: bool = False
) -> list[int]:
    """`text`'s ids; `special`: with the tokenizer's start tokens; `split`: a special token's
    text in it as plain characters. Not `verbose`: a piece longer than the model's context is
    cut into windows after, where transformers warned of "indexing errors" that never come."""
    return tokenizer(
        text,
        add_special_tokens=special,
        return_attention_mask=False,
        split_special_tokens=split,
        verbose=False,
    ).input_ids


def _last_cut(text: str, start: int, end: int) -> int | None:
    """The last position in (start, end] holding a single space between two non-spaces."""
    cut = text.rfind(" ", start + 1, end + 1)
    while cut > start:
        if not text[cut - 1].isspace() and not text[cut + 1 : cut + 2].isspace():
            return cut
        cut = text.rfind(" ", start + 1, cut)
    return None


def _windows_with_progress(
    example: Example, tokenizer: PreTrainedTokenizerBase, max_length: int, as_text: bool
) -> list[Tokenized]:
    """All windows of a text row, with a progress bar when it is long enough to take a while."""
    size = len(example.text or "")
    if size < PROGRESS_CHARS:
        return list(text_windows(example, tokenizer, max_length, special_as_text=as_text))
    from rich.console import Console
    from rich.markup import escape

    from tunelab.progress import progress_bars

    mb = 1_000_000
    with progress_bars(console=Console(stderr=True)) as bars:
        # Escaped: a file's name as given ("manual [v2].md"), not read as markup.
        label = escape(f"tokenizing {example.source} (MB)")
        task = bars.add_task(label, total=-(-size // mb))

        def advance(done: int) -> None:
            bars.update(task, completed=-(-done // mb))

        return list(
            text_windows(example, tokenizer, max_length, progress=advance, special_as_text=as_text)
        )


def _last_trained_start(labels: list[int]) -> int:
    pos = len(labels) - 1
    while pos > 0 and labels[pos] == IGNORE:
        pos -= 1
    while pos > 0 and labels[pos - 1] != IGNORE:
        pos -= 1
    return pos
