"""The Python API of the `tunelab data` commands, by the same names: `tunelab.data.check(path)` is
`tunelab data check PATH`. Each takes its command's config whole or as keywords, as the other
commands' functions do. They live here, not in tunelab.data, because they reach stages that the
data pipeline must not import (split's and facts' checks are the evaluate stage's)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tunelab import _settings
from tunelab.config import DEFAULT_MODEL, DataConfig
from tunelab.errors import TunelabError
from tunelab.evaluate import MOST_FACTS
from tunelab.next_step import cleaned

if TYPE_CHECKING:
    from rich.console import Console

    from tunelab.data.generate.augment.augment_rows import AugmentConfig, AugmentStats
    from tunelab.data.generate.shared import GenerateConfig, GenerateStats
    from tunelab.data.quality.findings import QualityConfig, QualityReport
    from tunelab.evaluate.facts.propose_file import Proposed

__all__ = ["augment", "check", "facts", "generate", "inspect", "split"]


def inspect(
    path: str | Path,
    config: DataConfig | None = None,
    model: str = DEFAULT_MODEL,
    rows: int = 3,
    **settings,
) -> None:
    """Print, for the first `rows` rows, the prompt as training renders it, its token counts and
    which tokens are trained on (`tunelab data inspect`). Settings: DataConfig's fields."""
    from tunelab.data.quality.inspect import inspect_file

    if rows < 1:
        raise TunelabError(f"rows {rows}: show at least 1")
    inspect_file(
        _settings(config, DataConfig, {**settings, "path": str(path)}), model=model, rows=rows
    )


def check(
    path: str | Path,
    config: QualityConfig | None = None,
    test: str | Path | None = None,
    report: str | Path | None = None,
    fix: bool = False,
    scrub: bool = False,
    output: str | Path | None = None,
    strict: bool = False,
    overwrite: bool = False,
    console: Console | None = None,
    **settings,
) -> QualityReport:
    """Duplicates, leaks into `test`, lengths, diversity, junk and personal data (`tunelab data
    check`): the report, also written to `report` (.md or .html); `fix` drops the rows it
    faults and `scrub` masks personal data, into `output`; `strict`: any warning is an error.
    `console` shows the report before a set that cannot load is refused. Settings:
    QualityConfig's fields (model, template, max_length, thresholds...)."""
    from tunelab.data.files.write_files import check_new_file, check_writable
    from tunelab.data.quality.check import check_file, write_clean
    from tunelab.data.quality.findings import QualityConfig
    from tunelab.data.quality.report import print_report, save_report
    from tunelab.data.split import held_out_path

    if (fix or scrub) and not output:
        raise TunelabError(f"--fix and --scrub write a new file: add -o {cleaned(path)}")
    test = held_out_path(path, test)  # a DatasetDict's test split, which training holds out
    read = [str(path)] + ([str(test)] if test else [])
    if output:  # before the check's minutes, not after them
        check_new_file(output, overwrite, read)
        check_writable(output)
    if report:
        check_writable(report)
    result = check_file(path, test, _settings(config, QualityConfig, settings))
    if console is not None:
        print_report(result, console)
    if report:
        save_report(result, report)
        if console is not None:
            console.print(f"report written to {report}", markup=False)
    result.raise_if_unloadable()
    if strict and result.warnings and not output:
        raise StrictWarnings(f"--strict: {len(result.warnings)} warning(s) in {path}")
    if output:
        result.dropped = write_clean(result, output, fix=fix, scrub=scrub, overwrite=overwrite)
    return result


class StrictWarnings(TunelabError):
    """`strict` found warnings: the command exits 1 (a CI gate), not 2 as for a mistake."""


def split(
    path: str | Path,
    output: str | Path,
    config: DataConfig | None = None,
    overwrite: bool = False,
    **settings,
) -> dict:
    """Write the seeded train/test split that training makes of `path` into `output`
    (train.jsonl, test.jsonl, and split.json saying how it held out; `tunelab data split`): the
    two files and their rows, what was dropped (said), and training's warning on test rows
    asking a fact no training row states (untaught).
    Settings: DataConfig's fields (test_size, test_path, held_out, seed, shape, dedupe...)."""
    from tunelab.data.quality.dedup import near_questions
    from tunelab.data.split import held_out_path
    from tunelab.data.write_split import split_file

    config = _settings(config, DataConfig, settings)
    # Held out as training holds it: a saved DatasetDict's own test split.
    config = config.model_copy(update={"test_path": held_out_path(path, config.test_path)})
    train, test, said = split_file(
        path, output, config.test_size, config.seed, config.shape, config.dedupe,
        config.on_error, config.fields, config.test_path, near=near_questions,
        overwrite=overwrite, held_out=config.held_out,
    )  # fmt: skip
    rows = [sum(1 for _ in part.open(encoding="utf-8")) for part in (train, test)]
    note = _untaught(train, test, config, *rows)
    return {"train": train, "test": test, "rows": rows, "said": said, "untaught": note,
            "few": _few_test_rows(rows[1])}  # fmt: skip


def _few_test_rows(rows: int) -> str | None:
    """What a test split under MIN_QUESTIONS rows can tell: a newcomer's 40 rows held out 4 at
    the default test size, each answer 25 points of accuracy, and compare names no winner."""
    from tunelab.evaluate.paired import MIN_QUESTIONS
    from tunelab.terminal import n_things

    if not 0 < rows < MIN_QUESTIONS:
        return None
    return (
        f"{n_things(rows, 'test row')}: each answer moves an accuracy by {100 / rows:.0f} points, and eval "
        f"and compare name no winner under {MIN_QUESTIONS} questions; --test-size "
        f"{MIN_QUESTIONS} holds out more (a whole number is rows, a fraction a share)"
    )


def _untaught(
    train: Path, test: Path, config: DataConfig, train_rows: int, test_rows: int
) -> str | None:
    """Training's warning on test rows asking a fact no training row states, read off the
    files just written (their rows are the input's, so they read alike): each row named by its
    line in test.jsonl, where the user looks. Past the check's sizes the files are not read
    again only to be skipped."""
    from tunelab.data.load import read_examples
    from tunelab.evaluate.facts.propose_file import (
        UNTAUGHT_MAX_TEST,
        UNTAUGHT_MAX_TRAIN,
        untaught_note,
    )

    # An empty side (test_size 0, or every training row a test question) has nothing to warn
    # of, and read back it was refused as an empty data file after both were written.
    if not (0 < train_rows <= UNTAUGHT_MAX_TRAIN and 0 < test_rows <= UNTAUGHT_MAX_TEST):
        return None
    # Read without a word: what the input's rows hold was said once, of the input, as it loaded.
    read = [read_examples(part, config.shape, config.fields).examples for part in (train, test)]
    return untaught_note(test, *read)


def generate(
    docs: list[str | Path] | str | Path | None = None,
    config: GenerateConfig | None = None,
    **settings,
) -> GenerateStats:
    """Q&A rows from documents (mode template or llm) or seed pairs (self-instruct), appended to
    `output` and resumed by a rerun (`tunelab data generate`); returns what was done and
    skipped. Settings: GenerateConfig's fields (output, mode, model, pairs_per_chunk,
    seeds and the fields={question: Query, ...} they are read through...)."""
    from tunelab.data.generate.from_documents import generate_dataset
    from tunelab.data.generate.shared import GenerateConfig

    if docs is not None:
        settings["docs"] = [str(d) for d in ([docs] if isinstance(docs, str | Path) else docs)]
    return generate_dataset(_settings(config, GenerateConfig, settings))


def augment(
    data: str | Path | None = None,
    config: AugmentConfig | None = None,
    on_progress=None,
    **settings,
) -> AugmentStats:
    """Each question of `data` rewritten `paraphrases` ways, and facts asked reversed and two at
    once, appended to `output` with provenance (`tunelab data augment`); `on_progress(done,
    total)` after each batch. Settings: AugmentConfig's fields (output, mode, reverse, and
    fields={question: Query, answer: Response} the data is read and written through...)."""
    from tunelab.data.generate.augment.augment_rows import AugmentConfig
    from tunelab.data.generate.augment.augment_rows import augment as augment_rows

    if data is not None:
        settings["data"] = str(data)
    return augment_rows(_settings(config, AugmentConfig, settings), on_progress=on_progress)


def facts(
    path: str | Path,
    output: str | Path,
    config: DataConfig | None = None,
    most: int = MOST_FACTS,
    overwrite: bool = False,
    **settings,
) -> Proposed:
    """Propose the facts each answer of test file `path` must state, read off its reference
    answer where the row names none, into `output` for a person to review (`tunelab data
    facts`). An existing `output` may hold such a review: replaced only with `overwrite`, or
    when it is `path` itself (its rows that name facts stay). A saved DatasetDict or a split's
    folder gives its test split, the rows eval asks of it. Settings: DataConfig's fields."""
    from tunelab.evaluate.facts.propose_file import propose_file
    from tunelab.evaluate.testset import asked_split

    # Its train split's facts were proposed, and the next line's eval scored the trained rows.
    path = asked_split(str(path), "tunelab data facts", "reads")
    if most < 1:
        raise TunelabError(f"most {most}: propose at least 1 fact a row")
    same = Path(output).exists() and Path(output).resolve() == Path(path).resolve()
    if Path(output).exists() and not (overwrite or same):
        # It may hold a person's review of the facts, which proposing again would throw away.
        raise TunelabError(
            f"{output} exists: pass --overwrite to replace it, or give it as the test file (its "
            "rows that name facts stay as they are)"
        )
    config = _settings(config, DataConfig, settings)
    return propose_file(path, output, most, config.on_error, config.shape, config.fields)
