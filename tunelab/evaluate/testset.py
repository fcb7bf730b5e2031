"""The test rows an evaluation asks: which file (`test_path`), read as the run that owns it reads
its rows, each with a reference answer; what a user does of a bad row; and the fact each row
asks (`asked_facts`), which the paired intervals resample."""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from tunelab.data.files.file_text import console as data_notes
from tunelab.data.files.hub import is_hub
from tunelab.data.files.split_folders import SPLIT_FILES, own_test_split, saved_splits, split_folder
from tunelab.data.load import OPTION_SKIP_HINT, Loaded, load_data, not_found
from tunelab.errors import TunelabError, first_few
from tunelab.evaluate.metrics import normalize
from tunelab.evaluate.refusals import Refusals, declines
from tunelab.run import Run
from tunelab.run_files import METRICS_FILE
from tunelab.terminal import say_wrapped

if TYPE_CHECKING:
    from tunelab.evaluate.eval_config import EvalConfig

# What to do of a bad test row where the command has no --on-error (compare: a test row skipped
# is a score changed), and where it has (eval, which counts and shows the rows it leaves out).
_ROWS_BEFORE_IT = "or ask only the rows before it with --limit"
TEST_ROW_HINT = f"or leave it out of the test file, {_ROWS_BEFORE_IT}"
EVAL_ROW_HINT = f"{OPTION_SKIP_HINT}, {_ROWS_BEFORE_IT}"


def test_path(model: str | Run, cfg: EvalConfig) -> str:
    """--data, else the run's test questions (data.test_path, or the rows it held out)."""
    if cfg.data:
        return asked_split(named_file(cfg.data, "--data"))
    run = Run.find(model)
    path = run.test_path if run else None
    if not path and run and run.trained_on_text:  # its held-out texts hold no question
        raise TunelabError(
            f"{run.name} trained on raw text: it has no test questions; the eval loss of its "
            f"held-out texts is in {run.path / METRICS_FILE} (and `tunelab runs`); scoring answers "
            "needs questions: pass --data test.jsonl (question/answer rows)"
        )
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


def asked_split(path: str, option: str = "--data", verb: str = "asks") -> str:
    """The split of a saved DatasetDict at `path` that eval and compare ask, and `data facts`
    reads, said: its own test split (else validation) where it has one beside 'train'
    (`own_test_split`), which training held out; else its 'train'. Any other path as it is. A
    DatasetDict given as --data was scored on its train split, the rows a run trained on,
    without a word; a split's folder (`tunelab data split`'s) asks its test.jsonl. The note
    names the other split as `option` takes it, which `verb`s it, quoted as a shell takes it."""
    if split_folder(path):
        asked = str(Path(path) / SPLIT_FILES[1])
        say_wrapped(
            data_notes,
            f"{path}: a train/test split's folder: its test.jsonl, the rows held out of training "
            f"({option} {shlex.quote(str(Path(path) / SPLIT_FILES[0]))} {verb} its training rows)",
        )
        return asked
    splits = saved_splits(path)
    if "train" not in splits:  # no DatasetDict, or one the reader names the splits of
        return path
    own = own_test_split(path)
    asked = own or str(Path(path) / "train")
    other = next((s for s in splits if s != Path(asked).name), None)
    why = "held out of training" if own else "trained on: it has no test or validation split"
    # A DatasetDict of its train split alone has no other split to name: the note named the
    # very split it reads ("`--data faq/train` asks its 'train'").
    where = (
        f" (a split is a folder of its own: {option} "
        f"{escape(shlex.quote(str(Path(path) / other)))} {verb} its '{other}')"
        if other
        else ""
    )
    data_notes.print(
        f"{escape(path)}: its split '{Path(asked).name}', the rows {why}{where}",
        soft_wrap=True,  # a path broken across lines cannot be pasted
    )
    return asked


def loaded_as_read(
    path: str,
    runs: Sequence[Run],
    on_error: str = "raise",
    fields: dict[str, str] | None = None,
    limit: int | None = None,
    skip_hint: str = TEST_ROW_HINT,
) -> Loaded:
    """The rows of `path` (the first `limit`; `cut` says whether it left one unread), read through
    `fields` where given (its columns renamed), else the data.shape and data.fields of the one of
    `runs` that reads it (`Run.reads`), else of whatever shape they are. A bad row stops it with
    `skip_hint`, how the calling command's user skips one."""
    owner = None if fields else next((r for r in runs if r.reads(path)), None)
    data = owner.config.data if owner else None
    shape = data.shape if data else "auto"
    fields = fields or (data.fields if data else None)
    return load_data(path, shape, fields, on_error, skip_hint, limit)


def test_questions(
    path: str, cfg: EvalConfig, runs: Sequence[Run] = (), skip_hint: str = TEST_ROW_HINT
) -> list:
    """The test examples of `path` (see `test_path`), the first --limit of them, read as training
    read them where the file is the test file of one of `runs` (its data.shape and data.fields: a
    file of custom columns was refused as of no known shape). A bad row stops it with
    `skip_hint`, how the calling command's user skips one."""
    return test_rows(path, cfg, runs, skip_hint).examples


def test_rows(
    path: str, cfg: EvalConfig, runs: Sequence[Run] = (), skip_hint: str = TEST_ROW_HINT
) -> Loaded:
    """`test_questions`' reading, with whether --limit left rows of `path` unasked (`cut`): "the
    first 12 of its rows (--limit 12)" was said of a 12-row file. One reading tells both: a
    second one streamed a hub dataset twice."""
    loaded = loaded_as_read(path, runs, cfg.on_error, cfg.fields, cfg.limit, skip_hint)
    missing = [ex.source for ex in loaded.examples if not ex.answer]
    if missing:
        raise TunelabError(
            f"{missing[0]}: test rows need a reference answer ({len(missing)} have none)"
        )
    return loaded


# References that rows share without asking one fact: a bare verdict ("Yes.": "Does it run on a
# CPU?" and "Is it free?" are different questions) and a refusal (each off-topic question tests it
# on its own: lamini_docs' "Let's keep the discussion relevant to Lamini." answers 39 unrelated
# questions, 6 of a 150-row test split). Any other reference written out alike for several rows
# is one fact asked several ways (lamini_docs: "Lamini supports Python 3.6 and above." for two
# wordings of the question, "No, Lamini AI is an independent company..." for "Is Lamini owned by
# Google / Microsoft / OpenAI?"): those rows are right or wrong together.
VERDICTS = frozenset({"yes", "no", "true", "false"})


def asked_facts(examples: Sequence, refusals: Refusals) -> list[str]:
    """The fact each of `examples` asks, the one place that says it: rows `tunelab data augment`
    wrote from one row (its meta.source_key) ask one fact, and so do rows that share a reference
    answer (case, punctuation and articles aside) other than a bare verdict or a refusal (an
    off-topic row of `refusals`, or a reply that declines); any other row is a fact of its own,
    named by its `file:line`."""
    own = [ex.rewrite_of or ex.source for ex in examples]
    first: dict[str, str] = {}  # a reference -> the fact of the first row that gives it
    joined: dict[str, str] = {}  # a fact -> the fact it is one with (a union-find)

    def root(fact: str) -> str:
        while fact in joined:
            fact = joined[fact]
        return fact

    for ex, fact in zip(examples, own):
        if reference := _one_fact_reference(ex, refusals):
            a, b = root(first.setdefault(reference, fact)), root(fact)
            if a != b:
                joined[b] = a
    return [root(fact) for fact in own]


def _one_fact_reference(example, refusals: Refusals) -> str:
    """The example's reference answer, normalized, where rows that share it ask one fact; else
    "" (see VERDICTS)."""
    text = normalize(example.answer)
    if example.source in refusals.off_topic or text in VERDICTS or declines(text):
        return ""
    return text


def source_keys(examples: Sequence, refusals: Refusals) -> list[dict[str, str]]:
    """Each scored row's "source_key" (`asked_facts`), which the paired intervals resample
    together (`tunelab.evaluate.scores.row_fact`): where another row asks its fact, or `tunelab
    data augment` wrote it; nothing in a row of a fact of its own."""
    facts = asked_facts(examples, refusals)
    shared = Counter(facts)
    return [
        {"source_key": fact} if shared[fact] > 1 or ex.rewrite_of else {}
        for ex, fact in zip(examples, facts)
    ]


def rephrasings_note(examples: Sequence, refusals: Refusals) -> str:
    """How many facts the test questions ask (`asked_facts`), where some ask one together, or
    "": the ways of asking one fact are mostly right or wrong together, so the paired intervals
    resample facts, not questions. It names the rows `tunelab data augment` wrote from one row
    and those that share their reference answer with a row of another fact."""
    facts = asked_facts(examples, refusals)
    if len(set(facts)) == len(examples):
        return ""
    n, f = len(examples), len(set(facts))
    by_rewrite: dict[str, list[str]] = {}
    for ex in examples:
        by_rewrite.setdefault(ex.rewrite_of or ex.source, []).append(ex.source)
    again = [sources[1] for sources in by_rewrite.values() if len(sources) > 1]
    references = [_one_fact_reference(ex, refusals) for ex in examples]
    of_facts: dict[str, set[str]] = {}  # a reference -> the facts of their own its rows ask
    for ex, reference in zip(examples, references):
        of_facts.setdefault(reference, set()).add(ex.rewrite_of or ex.source)
    shared = [
        ex.source
        for ex, reference in zip(examples, references)
        if reference and len(of_facts[reference]) > 1
    ]
    why = []
    if again:
        why.append(
            "rows `tunelab data augment` wrote from one row, by their meta.source_key: "
            f"{first_few(again)} ask again what a row before them asks"
        )
    if shared:
        why.append(
            f"{len(shared)} test rows share their reference answer with another row, as a "
            f"question asked again does: {first_few(shared)}; rows that share a bare yes/no or a "
            "refusal count apart"
        )
    return (
        f"the {n} test questions ask {f} facts ({'; '.join(why)}): the ways of asking one fact "
        f"are mostly right or wrong together, so each paired interval and verdict is over the "
        f"{f} facts, not {n} questions; test more facts for a surer answer"
    )
