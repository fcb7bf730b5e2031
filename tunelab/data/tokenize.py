"""Tokenize examples with the model's tokenizer: labels are -100 exactly on prompt/template tokens,
and long examples are truncated by a stated policy with counts reported, never silently."""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

from tunelab.data.templates import Example, render_segments

IGNORE = -100


@dataclass
class Tokenized:
    input_ids: list[int]
    labels: list[int]  # unshifted: labels[t] is input_ids[t] where trained, else -100
    source: str = ""

    @property
    def trained_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


@dataclass
class TokenizeReport:
    examples: int = 0
    truncated: int = 0
    dropped: int = 0
    chunked_texts: int = 0
    last_turn_only: int = 0  # multi-turn chats under a template that has room for one exchange
    dropped_sources: list[str] = field(default_factory=list)

    def summary(self) -> str:
        # With long texts split into windows, what is counted is sequences, not rows.
        parts = [f"{self.examples} {'sequences' if self.chunked_texts else 'examples'}"]
        if self.truncated:
            parts.append(f"{self.truncated} truncated")
        if self.dropped:
            parts.append(f"{self.dropped} dropped (too long or nothing left to train on)")
        if self.chunked_texts:
            parts.append(f"{self.chunked_texts} long texts split into chunks")
        if self.last_turn_only:
            parts.append(
                f"{self.last_turn_only} multi-turn chats trained on their last exchange only "
                "(data.template chat keeps every turn)"
            )
        return ", ".join(parts)


def tokenize_example(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    template: str = "chat",
    system_prompt: str | None = None,
) -> Tokenized:
    """Encode segment by segment, so the mask boundary is exact and matches generation, where the
    prompt is encoded alone and the model continues from it."""
    input_ids: list[int] = []
    labels: list[int] = []
    segments = render_segments(example, tokenizer, template, system_prompt)
    # Chat templates write their own BOS into the text; plain templates get the tokenizer's default.
    add_special = template != "chat" or example.text is not None
    for i, (text, trained) in enumerate(segments):
        ids = tokenizer(text, add_special_tokens=add_special and i == 0).input_ids
        input_ids += ids
        labels += ids if trained else [IGNORE] * len(ids)
    return Tokenized(input_ids, labels, example.source)


def tokenize_all(
    examples: list[Example],
    tokenizer: PreTrainedTokenizerBase,
    *,
    template: str = "chat",
    system_prompt: str | None = None,
    max_length: int = 512,
    truncation: str = "keep_response",
) -> tuple[list[Tokenized], TokenizeReport]:
    report = TokenizeReport()
    out: list[Tokenized] = []
    for example in examples:
        item = tokenize_example(example, tokenizer, template, system_prompt)
        if template in ("qa", "alpaca"):
            report.last_turn_only += sum(m["role"] == "user" for m in example.messages) > 1
        if example.text is not None:
            pieces = chunk_text(item, max_length)
            report.chunked_texts += len(pieces) > 1
            out += pieces
            continue
        fitted = fit_length(item, max_length, truncation)
        if fitted is None:
            report.dropped += 1
            report.dropped_sources.append(example.source)
            continue
        report.truncated += fitted is not item
        out.append(fitted)
    report.examples = len(out)
    return out, report


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
    cut = Tokenized(item.input_ids[start:end], item.labels[start:end], item.source)
    return cut if cut.trained_tokens else None


def chunk_text(item: Tokenized, max_length: int) -> list[Tokenized]:
    """Raw text is split into consecutive windows rather than truncated: no text is thrown away."""
    return [
        Tokenized(item.input_ids[i : i + max_length], item.labels[i : i + max_length], item.source)
        for i in range(0, len(item.input_ids), max_length)
        if len(item.input_ids[i : i + max_length]) > 1
    ]


def _last_trained_start(labels: list[int]) -> int:
    pos = len(labels) - 1
    while pos > 0 and labels[pos] == IGNORE:
        pos -= 1
    while pos > 0 and labels[pos - 1] != IGNORE:
        pos -= 1
    return pos
