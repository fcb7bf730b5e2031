"""The test rows an evaluation asks: which file (`test_path`), read as the run that owns it reads
its rows, each with a reference answer; and what a user does of a bad row."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.hub import is_hub
from tunelab.data.load import OPTION_SKIP_HINT, load_examples, not_found
from tunelab.errors import TunelabError, first_few
from tunelab.run import Run

if TYPE_CHECKING:
    from tunelab.evaluate.suite import EvalConfig

# What to do of a bad test row where the command has no --on-error (compare: a test row skipped
# is a score changed), and where it has (eval, which counts and shows the rows it leaves out).
_ROWS_BEFORE_IT = "or ask only the rows before it with --limit"
TEST_ROW_HINT = f"or leave it out of the test file, {_ROWS_BEFORE_IT}"
EVAL_ROW_HINT = f"{OPTION_SKIP_HINT}, {_ROWS_BEFORE_IT}"


def test_path(model: str | Run, cfg: EvalConfig) -> str:
    """--data, else the run's test questions (data.test_path, or the rows it held out)."""
    if cfg.data:
        return named_file(cfg.data, "--data")
    run = Run.find(model)
    path = run.test_path if run else None
    if not path:
        raise TunelabError(
            f"no test data for {model}: pass --data test.jsonl (question/answer rows)"
        )
    return path


def named_file(path: str, option: str) -> str:
    """`path`, which the user named with `option`, refused where it is not there with the
    option named: "data file not found: nothere.jsonl" did not say which option to correct."""
    if not is_hub(path) and not Path(path).exists():
        raise TunelabError(f"{option}: {not_found(path)}")
    return path


def examples_as_read(
    path: str,
    runs: Sequence[Run],
    on_error: str = "raise",
    fields: dict[str, str] | None = None,
    limit: int | None = None,
    skip_hint: str = TEST_ROW_HINT,
) -> list:
    """The rows of `path` (the first `limit`), read through `fields` where given (its columns
    renamed), else the data.shape and data.fields of the one of `runs` that reads it
    (`Run.reads`), else of whatever shape they are. A bad row stops it with `skip_hint`, how the
    calling command's user skips one."""
    owner = None if fields else next((r for r in runs if r.reads(path)), None)
    data = owner.config.data if owner else None
    shape = data.shape if data else "auto"
    fields = fields or (data.fields if data else None)
    return load_examples(path, shape, fields, on_error, skip_hint, limit)


def test_questions(
    path: str, cfg: EvalConfig, runs: Sequence[Run] = (), skip_hint: str = TEST_ROW_HINT
) -> list:
    """The test examples of `path` (see `test_path`), the first --limit of them, read as training
    read them where the file is the test file of one of `runs` (its data.shape and data.fields: a
    file of custom columns was refused as of no known shape). A bad row stops it with
    `skip_hint`, how the calling command's user skips one."""
    examples = examples_as_read(path, runs, cfg.on_error, cfg.fields, cfg.limit, skip_hint)
    missing = [ex.source for ex in examples if not ex.answer]
    if missing:
        raise TunelabError(
            f"{missing[0]}: test rows need a reference answer ({len(missing)} have none)"
        )
    return examples


def fact_field(example) -> dict[str, str]:
    """A scored row's "source_key": the meta.source_key `tunelab data augment` gave the rows it
    wrote from one row (`rephrasings_note`), which the paired intervals resample together
    (`tunelab.evaluate.scores.row_fact`); nothing in a row of its own."""
    return {"source_key": example.rewrite_of} if example.rewrite_of else {}


def rephrasings_note(examples: Sequence) -> str:
    """How many facts the test questions ask, where `tunelab data augment` wrote several of them
    from one row (its meta.source_key), or "": the ways of asking one fact are mostly right or
    wrong together, so the paired intervals resample facts, not questions."""
    by_fact: dict[str, list[str]] = {}
    for ex in examples:
        by_fact.setdefault(ex.rewrite_of or ex.source, []).append(ex.source)
    asked_again = [sources[1] for sources in by_fact.values() if len(sources) > 1]
    if not asked_again:
        return ""
    n, facts = len(examples), len(by_fact)
    return (
        f"the {n} test questions ask {facts} facts (rows `tunelab data augment` wrote from one "
        f"row, by their meta.source_key: {first_few(asked_again)} ask again what a row before "
        f"them asks): the ways of asking one fact are mostly right or wrong together, so each "
        f"paired interval and verdict is over the {facts} facts, not {n} questions; test more "
        "facts for a surer answer"
    )
