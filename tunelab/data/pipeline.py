"""load → split → tokenize(+mask) → rows (packed or single) → batches: the data half of a run."""

from __future__ import annotations

import hashlib
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from transformers import PreTrainedTokenizerBase

from tunelab.config import DataConfig
from tunelab.data.example import Example, counted
from tunelab.data.files.file_text import console
from tunelab.data.files.hub import is_hub
from tunelab.data.files.split_folders import asked_anew
from tunelab.data.load import holds_no_rows, load_examples, not_found
from tunelab.data.markers import template_warning
from tunelab.data.pack import collate, pack_rows
from tunelab.data.passages import with_passages
from tunelab.data.prompts.chat_notes import empty_system_turns, rows_system_prompt, unanswered_turns
from tunelab.data.prompts.templates import Prompt
from tunelab.data.question_keys import drop_duplicates
from tunelab.data.retrieval import OwnRows
from tunelab.data.split import NearQuestions, drop_leaked, near_repeats_note, split_examples
from tunelab.data.tokenize import Tokenized, TokenizeReport, tokenize_all
from tunelab.errors import TunelabError


@dataclass
class PreparedData:
    train: list[Tokenized]
    test: list[Tokenized]
    train_examples: list[Example]
    test_examples: list[Example]
    duplicates_removed: int
    report: TokenizeReport
    test_report: TokenizeReport = field(default_factory=TokenizeReport)
    leaked_removed: int = 0  # training examples that repeated a question of data.test_path
    near_repeats: str = ""  # questions test_size did not draw, held out as near repeats, said
    with_passages: int = 0  # training rows asked with retrieved passages (data.passages)
    drawn_for_passages: int = 0  # of which some may stay bare: nothing found, or nothing fits
    # Whether leaked_removed counts rows giving a test row's answer to its question reworded
    # (data.held_out questions beside a test file), not only a test question asked again.
    leaks_by_fact: bool = False
    adopted_system: str | None = None  # the training rows' system prompt, the test side's too

    def summary(self) -> str:
        parts = [
            f"train {len(self.train_examples)} / test {len(self.test_examples)} "
            + counted(self.train_examples + self.test_examples),
            f"{self.duplicates_removed} exact duplicates removed",
        ]
        if self.leaked_removed:
            also = ", or its answer to it reworded," if self.leaks_by_fact else ""
            parts.append(
                f"{self.leaked_removed} training examples asking a test question{also} removed"
            )
        if self.near_repeats:
            parts.append(self.near_repeats)
        if self.drawn_for_passages:
            parts.append(self._passages_said())
        # Both sides' truncation counts: an eval set quietly shrunk by `drop` skews eval loss.
        # A side's report that only repeats its count says nothing new.
        for side, report, examples in (
            ("train", self.report, self.train_examples),
            ("test", self.test_report, self.test_examples),
        ):
            said = report.summary(held_out=side == "test")
            if said != f"{len(examples)} {report.counts}":
                parts.append(f"{side}: {said}")
        return "; ".join(parts)

    def _passages_said(self) -> str:
        asked, drawn = self.with_passages, self.drawn_for_passages
        said = f"{asked} training examples asked with retrieved passages"
        if asked == drawn:
            return said
        # Otherwise the share a user set reads as met while fewer rows learned to read passages.
        return (
            f"{said} ({drawn} drawn; {drawn - asked} asked bare: BM25 found no passage sharing "
            "a word with them, or none fits data.max_length beside the answer)"
        )


def check_data_files(config: DataConfig) -> None:
    """Fail, naming the setting and where it looked, on a data file that is not there or is
    empty: training checks before the model loads (minutes, for a large one), not after."""
    if not config.path:
        raise TunelabError("data.path is not set: point it at a JSONL, JSON, CSV or Parquet file")
    for key in ("path", "test_path"):  # which setting names a missing file, and where it looked
        value = getattr(config, key)
        if value and not is_hub(value) and not Path(value).exists():
            # Where a relative path was looked for; an absolute one was looked for where it says.
            relative = (
                ""
                if Path(value).is_absolute()
                else " (a relative path in a config is read beside the config, then from the "
                f"current folder, {Path.cwd()})"
            )
            raise TunelabError(f"data.{key}: {not_found(value)}{relative}")
        if value and not is_hub(value) and Path(value).is_file() and not Path(value).stat().st_size:
            raise TunelabError(f"data.{key}: {holds_no_rows(value)}")
    # Every training row then asks a test question and is dropped: "no training example left".
    if config.test_path and not is_hub(config.path) and Path(config.test_path).exists():
        if Path(config.test_path).resolve() == Path(config.path).resolve():
            raise TunelabError(
                f"data.test_path is data.path itself ({config.path}): the test rows must be rows "
                "the run does not train on: give another file, or leave data.test_path unset to "
                "hold out data.test_size of data.path"
            )


@dataclass
class Split:
    """data.path's examples as training splits them, before any is tokenized."""

    train: list[Example]
    test: list[Example]
    removed: int  # exact duplicates
    leaked: int  # training examples asking a question of data.test_path
    joined: str  # questions test_size did not draw, held out as near repeats, said
    by_fact: bool  # leaked counts rows giving a test row's answer reworded too


def split_data(config: DataConfig, near: NearQuestions | None = None, quiet: bool = False) -> Split:
    """Read data.path (and data.test_path) and split them as a run does: exact repeats dropped,
    the test questions held out. Without `near`, a typo'd question stays on the training side,
    where a run moves it to the test side: `tunelab plan` counts the training set so, at most."""
    read = dict(shape=config.shape, fields=config.fields, on_error=config.on_error, quiet=quiet)
    examples = load_examples(config.path, **read)
    if not quiet:
        warn_template(examples, config.template, config.system_prompt)
    leaked, joined, facts = 0, "", False
    if config.test_path:
        test_examples = load_examples(config.test_path, **read)
        train_examples, removed = drop_duplicates(examples) if config.dedupe else (examples, 0)
        if config.dedupe:  # as `data split` drops them, its record read beside the test file
            facts = not asked_anew(config.test_path, config.held_out)
            train_examples, leaked = drop_leaked(train_examples, test_examples, near, facts)
    else:
        deduped, removed = drop_duplicates(examples) if config.dedupe else (examples, 0)
        train_examples, test_examples = split_examples(
            deduped, config.test_size, config.seed, False, near, config.held_out
        )
        joined = near_repeats_note(deduped, test_examples, config.test_size)
    return Split(train_examples, test_examples, removed, leaked, joined, facts)


def tokenize_settings(config: DataConfig) -> dict:
    """`tokenize_all`'s settings from data: (one list, for a run's rows and `tunelab plan`'s)."""
    return dict(
        template=config.template,
        system_prompt=config.system_prompt,
        max_length=config.max_length,
        truncation=config.truncation,
        on_error=config.on_error,
        special_tokens_in_text=config.special_tokens_in_text,
        train_on_prompt=config.train_on_prompt,
    )


def prepare(
    config: DataConfig,
    tokenizer: PreTrainedTokenizerBase,
    near: NearQuestions | None = None,
    own_rows: OwnRows | None = None,
    quiet: bool = False,
    adopt_system_prompt: bool = False,
) -> PreparedData:
    """The run's examples, tokenized. `near` and `own_rows` (tunelab.data.quality's, which
    stages pass down) find a question asked again with typos, for the split and for the
    passages a training row must not be shown (data.passages). `quiet`: prepared again (as
    another split), what the reading and the template warnings say already said.
    `adopt_system_prompt`: where data.system_prompt is unset and every training chat opens
    with one system prompt (`rows_system_prompt`), the test rows are asked under it too, and
    it is returned as `adopted_system` for the run to ask with."""
    check_data_files(config)
    split = split_data(config, near, quiet)
    train_examples, test_examples = split.train, split.test
    removed, leaked, joined, facts = split.removed, split.leaked, split.joined, split.by_fact
    settings = tokenize_settings(config)
    if not train_examples:
        raise TunelabError(
            f"{config.path}: no training example left: {removed} exact duplicate(s) removed and "
            f"{leaked} asking a question of the test set ({config.test_path or 'the split'})"
        )
    # After the split, so no test row is ever a training row's passage.
    train_examples, asked, drawn = with_passages(
        train_examples, test_examples, config, tokenizer, own_rows
    )
    train, report = tokenize_all(train_examples, tokenizer, **settings)
    # A row skipped as one the template cannot render (on_error: skip) is no example anywhere
    # after: not a held-out question asked during training, nor in held_out.jsonl for eval.
    train_examples = [e for e in train_examples if e.source not in report.refused_sources]
    asked_as = Prompt(config.template, config.system_prompt)
    # Training stays as it was (each of its rows opens with that prompt already).
    adopted = rows_system_prompt(train_examples, asked_as) if adopt_system_prompt else None
    settings["system_prompt"] = adopted or config.system_prompt
    test, test_report = tokenize_all(test_examples, tokenizer, **settings)
    test_examples = [e for e in test_examples if e.source not in test_report.refused_sources]
    if not train:
        raise TunelabError(
            f"{config.path}: no training example left after tokenizing ({report.summary()})"
        )
    return PreparedData(
        train,
        test,
        train_examples,
        test_examples,
        removed,
        report,
        test_report,
        leaked,
        joined,
        asked,
        drawn,
        leaks_by_fact=facts and near is not None,
        adopted_system=adopted,
    )


def warn_template(
    examples: list[Example], template: str, system_prompt: str | None, to: Console = console
) -> None:
    """Say so when the rows already carry a prompt template that `template` would wrap again,
    when chat rows hold an empty system turn (`empty_system_turns`) or end on turns no reply
    follows (`unanswered_turns`), or when a system prompt is
    given to a template with no place for one (it was left out without a word)."""
    if wrapped := template_warning(examples, template):
        to.print(f"[yellow]warning:[/] {escape(wrapped)}")
    if template == "chat" and (empty := empty_system_turns(examples)):
        to.print(f"[yellow]warning:[/] {escape(empty)}")
    if unanswered := unanswered_turns(examples):
        to.print(f"[yellow]warning:[/] {escape(unanswered)}")
    if template in ("qa", "alpaca"):
        turns = sum(any(m["role"] == "system" for m in ex.messages) for ex in examples)
        given = ["data.system_prompt"] if system_prompt else []
        given += [f"the system turns of {turns} row(s)"] if turns else []
        if given:
            to.print(
                f"[yellow]warning:[/] the {template} template has no place for a system prompt: "
                f"{' and '.join(given)} are not used (the chat template and Jinja templates "
                "use them)"
            )


def fingerprint(items: list[Tokenized], samples: int = 1000) -> str:
    """A digest of the examples' lengths and of up to `samples` of them whole, spread over the
    list: processes that read other files, or tokenize otherwise, get other digests."""
    digest = hashlib.sha256(array("l", [len(item.input_ids) for item in items]).tobytes())
    for item in items[:: max(1, len(items) // samples)]:
        digest.update(array("l", item.input_ids).tobytes())
        digest.update(array("l", item.labels).tobytes())
    return digest.hexdigest()[:16]


def make_rows(items: list[Tokenized], max_length: int, packing: bool) -> list[list[Tokenized]]:
    """Group examples into rows once per run; an epoch is then a shuffled pass over the rows."""
    if packing:
        return [[items[i] for i in row] for row in pack_rows(items, max_length)]
    return [[item] for item in items]


def epoch_batches(
    rows: list[list[Tokenized]],
    batch_size: int,
    seed: int,
    epoch: int,
    packing: bool,
    batches_per_step: int = 1,
) -> list[list[list[Tokenized]]]:
    """The batches of one epoch, in an order fixed by (seed, epoch) so a resumed run replays it.
    Unpacked, the rows are sorted by length and shuffled a step's rows (`batches_per_step` x
    `batch_size`: micro-batches x processes) at a time, so that each optimizer step gets the
    same rows however they are split: batch 4 x grad_accum 1 and batch 1 x grad_accum 4 train
    alike, as they do packed."""
    order = list(range(len(rows)))
    rng = random.Random(seed * 1_000_003 + epoch)
    rng.shuffle(order)
    if packing:
        return [
            [rows[i] for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)
        ]
    # Sort inside windows of 16 steps: much less padding, still shuffled at large scale.
    step_rows = batch_size * batches_per_step
    window = step_rows * 16
    order = [
        i
        for start in range(0, len(order), window)
        for i in sorted(order[start : start + window], key=lambda i: len(rows[i][0].input_ids))
    ]
    steps = [order[s : s + step_rows] for s in range(0, len(order), step_rows)]
    # A short last step stays last: shuffled in, its few micro-batches would join the next
    # step's when the step is split finer, and every later step would take other rows.
    short = [steps.pop()] if steps and len(steps[-1]) < step_rows else []
    rng.shuffle(steps)
    steps += short
    return [
        [rows[i] for i in step[s : s + batch_size]]
        for step in steps
        for s in range(0, len(step), batch_size)
    ]


def iterate_batches(
    rows: list[list[Tokenized]],
    batch_size: int,
    seed: int,
    packing: bool,
    pad_id: int,
    start_epoch: int = 0,
    start_batch: int = 0,
    batches_per_step: int = 1,
) -> Iterator[tuple[int, int, dict]]:
    """Endless (epoch, batch index, collated batch) stream, resumable at any position."""
    epoch, index = start_epoch, start_batch
    while True:
        batches = epoch_batches(rows, batch_size, seed, epoch, packing, batches_per_step)
        for b in range(index, len(batches)):
            yield epoch, b, collate(batches[b], pad_id)
        epoch, index = epoch + 1, 0


def batches_per_epoch(n_rows: int, batch_size: int) -> int:
    return -(-n_rows // batch_size)
