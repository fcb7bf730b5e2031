"""The rows a run's training set makes, as the loop batches them: no batch is larger than the
data, and no row wider than its longest (the loop pads a batch only to its longest row), so a
plan that knows the data sizes the batch the loop will really make. Read without downloading
or converting anything: examples by the data alone, tokens where the model's tokenizer is at
hand (in the Hugging Face cache too)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.config import Config
from tunelab.data.files.hub import is_hub
from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from tunelab.data.example import Example
    from tunelab.data.tokenize import Tokenized

FIRST_TRIED = 1000  # examples, the longest in characters: one of them fills max_length, or none


@dataclass(frozen=True)
class DataRows:
    examples: int | None  # training examples: unpacked, a row each
    packed: int | None  # the rows they pack into; None without a tokenizer
    longest_example: int | None = None  # tokens, after truncation; None without a tokenizer
    longest_packed_row: int | None = None  # tokens of the fullest packed row
    unread: str | None = None  # why a data file training refuses was not read: where, and what
    # The counts are at most: a near repeat of a held-out question, which a run moves to the test
    # side, is counted here on the training side (split_data is not given the near repeats).
    at_most: bool = False


def data_rows(config: Config, batch_size: int, tokenize: bool = True) -> DataRows:
    """The training set of `config` in rows: how many, where it may be smaller than
    `batch_size` rows, and how long the longest is. Packed, a data set of more than
    `batch_size` x max_length examples fills its rows (not tokenized for nothing). Nothing is
    known (None) of no local data file, of raw texts without a tokenizer (it cuts them into
    windows) or of a file training refuses (`unread` says where and what, training says all).
    `tokenize`: False counts examples alone (`tunelab train`, before its model and data load)."""
    from tunelab.data.pipeline import split_data

    data = config.data
    if not data.path or is_hub(data.path) or not Path(data.path).exists():
        return DataRows(None, None)
    try:
        split = split_data(data, quiet=True)
    except TunelabError as error:
        # Its first clause ("bad.jsonl:5: not valid JSON (...)"), not the fixes that follow it:
        # a note under the plan, where `tunelab train` or `tunelab data check` says the rest.
        # Cut after the file:line, which may itself hold "; " ("a; b.jsonl:5: ...").
        said = str(error).splitlines()[0]
        at = said.find(": ", said.find(str(data.path)) + len(str(data.path)))
        return DataRows(None, None, unread=said[: at + 2] + said[at + 2 :].split("; ")[0])
    rows = _rows(split.train, config, batch_size, tokenize)
    # Near repeats move where questions are held out: drawn by test_size, or test_path's, which
    # training rows are dropped for asking (data.dedupe) a near repeat of.
    return replace(rows, at_most=bool(split.test) and (data.dedupe or not data.test_path))


def _rows(train: list[Example], config: Config, batch_size: int, tokenize: bool) -> DataRows:
    """`data_rows` of the training examples `train`, as split."""
    from tunelab.data.pipeline import make_rows

    data = config.data
    raw = any(example.text is not None for example in train)
    examples = None if raw else len(train)
    # Packed, a row holds at most max_length tokens, an example at least one.
    if not raw and data.packing and len(train) >= batch_size * data.max_length:
        return DataRows(examples, None)
    tokenizer = local_tokenizer(config.model.name) if tokenize else None
    if tokenizer is None:
        return DataRows(examples, None)
    tried: list[Tokenized] = []
    if not raw and not data.packing and tries_longest(config):
        longest, train = longest_first(train)
        tried, refused = longest_tokens(longest, tokenizer, config)
        if any(len(item.input_ids) == data.max_length for item in tried):
            # No row is longer: the rest need not be tokenized (a large data set's seconds).
            return DataRows(examples, None, longest_example=data.max_length)
        if refused and data.on_error != "skip":
            return DataRows(examples, None)  # training stops at that row, and says why
    try:
        # Only the rows not tried yet: every row is tokenized alone, and the counts and widths
        # below (pack_rows sorts by length) do not depend on the rows' order.
        tokenized = tried + training_tokens(train, tokenizer, config)
    except TunelabError:
        return DataRows(examples, None)
    if not tokenized:  # every row dropped or refused: training says why
        return DataRows(examples, None)
    rows = make_rows(tokenized, data.max_length, packing=True)
    return DataRows(
        len(tokenized),
        len(rows),
        longest_example=max(len(item.input_ids) for item in tokenized),
        longest_packed_row=max(sum(len(item.input_ids) for item in row) for row in rows),
    )


def training_tokens(
    train: list[Example], tokenizer: PreTrainedTokenizerBase, config: Config
) -> list[Tokenized]:
    """The training rows' tokens (those of `train`: all, or the ones not tried yet) as `prepare`
    makes them, from the split already read: its test rows, which no training batch holds, not
    tokenized, and the file not read again.
    With passages drawn among the rows, `prepare` itself, as it draws them."""
    from tunelab.data.pipeline import prepare, tokenize_settings
    from tunelab.data.tokenize import tokenize_all

    data = config.data
    if data.passages.share:
        return prepare(data, tokenizer, quiet=True).train
    tokenized, _ = tokenize_all(train, tokenizer, **tokenize_settings(data))
    return tokenized


def tries_longest(config: Config) -> bool:
    """Whether the examples longest in characters are tokenized first, to find one that fills a
    row: not where the kept rows depend on more than each row alone (passages added, or
    truncation: drop)."""
    return not config.data.passages.share and config.data.truncation != "drop"


def longest_first(train: list[Example]) -> tuple[list[Example], list[Example]]:
    """The FIRST_TRIED examples longest in characters, longest first, and the rest in order."""
    from tunelab.data.tool_calls import said

    def chars(i: int) -> int:
        return sum(len(said(m)) for m in train[i].messages)

    order = heapq.nlargest(
        FIRST_TRIED, range(len(train)), key=chars
    )  # sorted()[:n] without sorting all
    tried = set(order)
    return [train[i] for i in order], [e for i, e in enumerate(train) if i not in tried]


def longest_tokens(
    longest: list[Example], tokenizer: PreTrainedTokenizerBase, config: Config
) -> tuple[list[Tokenized], bool]:
    """The longest examples' tokens as training makes them, a refused row skipped (all are read
    for one that fills a row), and whether the template refused one."""
    from tunelab.data.pipeline import tokenize_settings
    from tunelab.data.tokenize import tokenize_all

    settings = tokenize_settings(config.data) | {"on_error": "skip"}
    items, report = tokenize_all(longest, tokenizer, **settings)
    return items, bool(report.refused)


def local_tokenizer(model: str) -> PreTrainedTokenizerBase | None:
    """The model's tokenizer where reading it downloads and converts nothing: tiny-random's, the
    embedded default's once cached, a Hugging Face folder's, a trained run's, a hub id's in the
    Hugging Face cache; else None."""
    from transformers import AutoTokenizer

    from tunelab.models.load import cache_root
    from tunelab.models.names import EMBEDDED_NAME
    from tunelab.models.random_shapes import RANDOM_SHAPES, TINY_NAME
    from tunelab.run import Run, load_tokenizer

    embedded = model == EMBEDDED_NAME or model in RANDOM_SHAPES
    cached = (cache_root() / "models" / EMBEDDED_NAME / "tokenizer.json").is_file()
    local = model == TINY_NAME or Path(model).is_dir() or Run.find(model) is not None
    try:
        if local or (embedded and cached):
            return load_tokenizer(model)
        if embedded:
            return None
        # A hub id: from the cache alone (not there, the plan counts examples, asking no one).
        return AutoTokenizer.from_pretrained(model, local_files_only=True)
    except (TunelabError, OSError, ValueError):
        return None
