"""Test rows a run trained on: `tunelab eval RUN --data FILE` of rows its training data asks
(the whole file a run split, a split's train.jsonl) scores what it memorised, which read as
what it learnt without a word."""

from __future__ import annotations

from pathlib import Path

from tunelab.data.load import read_examples
from tunelab.data.question_keys import prompt_key
from tunelab.errors import TunelabError, first_few
from tunelab.next_step import command
from tunelab.run import Run


def trained_questions(run: Run) -> set[str]:
    """What the rows `run` trained on ask (`prompt_key`): its data.path read as training read it,
    less the questions it held out (its held_out.jsonl or data.test_path); empty where that data
    is gone or unreadable (the eval goes on; its reports say the data is not found)."""
    data = run.config.data
    if not data.path:  # a run folder made by hand or by a script names no training data
        return set()
    try:
        rows = read_examples(data.path, data.shape, data.fields, quiet=True).examples
        test = run.test_path
        held = read_examples(test, data.shape, data.fields, quiet=True).examples if test else []
    except (TunelabError, OSError):
        return set()
    return {prompt_key(e) for e in rows} - {prompt_key(e) for e in held}


def trained_on_note(run: Run, path: str, examples: list) -> str | None:
    """A note naming the rows of `examples` (read from `path`) that ask a question `run`
    trained on, or None: none do, or `path` is the run's own test set."""
    own = run.test_path
    if own and Path(own).resolve() == Path(path).resolve():
        return None
    trained = trained_questions(run)
    seen = [e.source for e in examples if prompt_key(e) in trained]
    if not seen:
        return None
    return (
        f"{len(seen)} of {len(examples)} test rows ask a question {run.name} trained on "
        f"({first_few(seen)}): their scores measure what it memorised, not what it learnt; "
        f"ask rows held out of its training (`{command('eval', run.path)}` without --data asks its "
        "own)"
    )
