"""`tunelab data generate` and `tunelab data augment`: make Q&A rows from documents or seed pairs,
and new phrasings of existing rows; heavy imports stay inside the functions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tunelab.config import DEFAULT_MODEL
from tunelab.data.documents.sections import documents_said
from tunelab.data.files.read import formats
from tunelab.data.generate.augment.augment_rows import AugmentConfig, AugmentStats
from tunelab.data.generate.filters import CUT_OFF
from tunelab.data.generate.shared import GenerateConfig, GenerateStats
from tunelab.data.text import one_line
from tunelab.errors import cut_short_by_ctrl_c, first_few
from tunelab.next_step import (
    command,
    model_option,
    rewrites_command,
    say_next,
    split_command,
    train_command,
)
from tunelab.options import options, spelled
from tunelab.terminal import is_are, n_things, say_wrapped

console = Console()


UNASKED_SHOWN = 5  # sentences of numbers no pair asks about, shown (the file lists them all)
UNASKED_ROOM = 40  # the characters of each shown, at least, however long its document's path
GENERATE_OPTIONS = (
    *("output", "mode", "model", "endpoint", "api_key", "pairs_per_chunk", "max_chunk_tokens"),
    *("prompt", "seeds", "count", "concurrency", "batch_size", "retries", "temperature"),
    *("max_new_tokens", "limit", "on_error"),
)
GENERATE_FLAGS = {"output": ("-o", "--output"), "pairs_per_chunk": ("--pairs",)}
UNUSED_SAID = {  # of the settings a mode leaves unused (shared.UNUSED_BY_MODE), given it
    "template": "template mode asks no model: {} unused; --mode llm asks one",
    "llm": "llm mode asks about the documents, not seed pairs: {} unused; --mode self-instruct "
    "asks from seed pairs",
}


@options(
    GenerateConfig,
    *GENERATE_OPTIONS,
    flags=GENERATE_FLAGS,
    envvars={"api_key": "OPENAI_API_KEY"},
    source="tunelab data generate",
)
def generate_command(
    config: GenerateConfig,
    docs: Annotated[
        list[str] | None,
        typer.Argument(help=f"Files or folders of documents ({documents_said()})."),
    ] = None,
    train_model: Annotated[
        str,
        typer.Option(
            help="Model to finetune on the rows (not --model, the one that writes them): the next "
            "line's check and rewrites (or split) name it."
        ),
    ] = DEFAULT_MODEL,
) -> None:
    """Make Q&A rows from documents (template, llm) or from seed pairs (self-instruct); resumable."""
    from tunelab.data_commands import generate
    from tunelab.models.names import check_model_named

    check_model_named(train_model)  # before the generating: the next lines name it
    rest = "up to --count" if config.mode == "self-instruct" else "with the chunks not yet done"
    with _saying_kept_on_ctrl_c(Path(config.output), rest):
        _say_generated(config, generate(config=config), train_model)


def _say_generated(config: GenerateConfig, stats: GenerateStats, train_model: str) -> None:
    """What `data generate` wrote and left out, then the next commands, of `train_model`."""
    say_wrapped(console, _what_was_written(config, stats))  # a long path stays whole
    if stats.unused:  # named by their fields, which the user typed as options
        unused = ", ".join(spelled(name, GENERATE_OPTIONS, GENERATE_FLAGS) for name in stats.unused)
        console.print(UNUSED_SAID[config.mode].format(unused), markup=False)
    if stats.cut_row_dropped:
        console.print(
            f"{config.output} ended in a row a crash had cut short: dropped with its chunk's other "
            "rows, and that chunk asked again",
            markup=False,
        )
    if stats.stale:
        console.print(
            f"dropped {n_things(stats.stale, 'row')} an earlier run made from text since edited or removed "
            "from the documents"
        )
    if stats.cut_otherwise:
        console.print(
            f"the chunking changed since an earlier run: kept its rows, and did not ask again about "
            f"{n_things(stats.cut_otherwise, 'chunk')} (cut at max_chunk_tokens {config.max_chunk_tokens}) "
            "whose text they cover"
        )
    if stats.asked_before:
        from tunelab.data.generate.asked import asked_path

        console.print(
            f"did not ask again about {n_things(stats.asked_before, 'chunk')} an earlier run asked about and "
            f"kept no pair of (recorded in {asked_path(Path(config.output))}; delete it to ask "
            "about them again)",
            markup=False,
        )
    if config.mode == "self-instruct" and (made := stats.done_before + stats.pairs) < config.count:
        # Its rounds are capped: the embedded model kept 1 of --count 3, and nothing said so.
        console.print(
            f"self-instruct stopped short: {made} of --count {config.count} pairs, the filters "
            "below dropped the rest of what was asked; run the same command again to ask more",
            markup=False,
        )
    for reason in stats.failed:
        console.print(f"skipped a document: {reason}", markup=False)
    if stats.too_short:
        console.print(
            f"skipped {n_things(stats.too_short.total(), 'chunk')} shorter than min_chunk_tokens "
            f"({config.min_chunk_tokens} tokens), too little to ask about: "
            + ", ".join(f"{source} x{n}" for source, n in stats.too_short.items())
            + "; lower it with --set min_chunk_tokens=N",
            markup=False,
        )
    if stats.no_pairs:
        console.print(
            f"{n_things(stats.no_pairs.total(), 'chunk')} gave no pair (no rule found a question in them, or "
            "the filters dropped those found), so their text is in no row: "
            + ", ".join(f"{source} x{n}" for source, n in stats.no_pairs.items())
            + "; --mode llm asks a model about each chunk",
            markup=False,
        )
    if stats.unasked:
        _say_unasked(config, stats.unasked)
    if stats.replies:
        console.print(
            f"{stats.parse_rate:.0%} of {stats.replies} replies parsed; retried {stats.retried}; "
            f"skipped {stats.malformed} prompts whose replies never parsed"
            + (
                "; a rerun asks their chunks again"
                if stats.malformed and config.mode == "llm"
                else ""
            )
        )
    if config.mode != "self-instruct" and stats.pairs + stats.ungrounded:
        console.print(
            f"{stats.grounded_rate:.0%} of the pairs checked against their chunk were grounded in it"
        )
    if stats.dropped:
        console.print(
            "dropped by the quality filters: "
            + ", ".join(f"{k} x{v}" for k, v in stats.dropped.items())
        )
    # The limit is named where a reply ended at it, or where no model said how its replies ended.
    ended = stats.finish_reasons
    limit_may_have_cut = not ended or ended["length"] or ended[None]
    if stats.dropped[CUT_OFF] and limit_may_have_cut:
        # The reply ran out of tokens: the one setting that mends it, named with its value. Not
        # where every reply ended itself: its answer stopped short by the model's own doing, or
        # at the schema's maxLength; the dropped count above says so plainly.
        console.print(
            f"an answer cut off mid-sentence ran out of --max-new-tokens ({config.max_new_tokens}):"
            " raise it, or ask for fewer --pairs per chunk",
            markup=False,
        )
    if config.mode == "template" and stats.pairs:
        # Measured (benchmarks/docs_to_facts.py, three runs): 3 epochs of one pair a fact stated
        # 28% of the held-out facts, 12 epochs 46%, 3 rule rewrites a question at 3 epochs 53%.
        augment = rewrites_command(config.output, model=train_model)
        console.print(
            "each fact is asked once: train on it longer than usual (12 epochs, not 3) or add "
            f"rewrites first (`{augment}`)",
            markup=False,
        )
    if Path(config.output).exists():
        say_next(console, *_after_generate(config, train_model))


def _say_unasked(config: GenerateConfig, unasked: list[dict]) -> None:
    """The sentences in no answer: their count, the first few cut to a line each (20 whole ones
    were a wall of text on a first run), and the file beside the output that holds them all."""
    from tunelab.data.generate.unasked import unasked_path

    n, one = len(unasked), len(unasked) == 1  # "1 sentence ... about it", not "them"
    listed = unasked_path(Path(config.output))
    shown = f"the first {UNASKED_SHOWN}, all in {listed}" if n > UNASKED_SHOWN else f"in {listed}"
    console.print(
        f"{n_things(n, 'sentence')} stating a number or introducing code {is_are(n)} in no "
        f"answer (no rule asks about {'it' if one else 'them'}): {'its' if one else 'their'} "
        f"facts are in no row; write pairs for {'it' if one else 'them'}, or --mode llm asks a "
        f"model ({shown}):",
        markup=False,
    )
    for said in unasked[:UNASKED_SHOWN]:
        # The sentence is cut to the line the document's path leaves it, not the path: a long
        # path would leave no word of it (a line of at least UNASKED_ROOM may wrap).
        room = max(console.width - len(said["source"]) - 4, UNASKED_ROOM)
        sentence = one_line(said["sentence"], room)
        console.print(f"  {said['source']}: {sentence}", markup=False, highlight=False)


def _after_generate(config: GenerateConfig, train_model: str) -> list[str]:
    """The check of the pairs written, then their rewrites (template mode asks each fact once)
    or the split training makes, each of `train_model` where it is the user's own (generate's
    --model wrote the pairs). The rows are question/answer whatever fields read the seeds
    through: none are carried."""
    out = config.output
    if config.mode == "template":
        then = rewrites_command(out, model=train_model)
    else:
        then = split_command(out, model=train_model)
    return [command("data", "check", out, *model_option(train_model)), then]


@contextmanager
def _saying_kept_on_ctrl_c(path: Path, rest: str) -> Iterator[None]:
    """A Ctrl-C (or SIGTERM) anywhere from the first row written to the last line said, the
    summary included, says the rows `path` keeps, then stops as Ctrl-C does. One landing just
    after the last write, as the summary printed, said "interrupted" alone; so did one a library
    wrapped in its own error (see cut_short_by_ctrl_c)."""
    try:
        yield
    except BaseException as err:
        if not cut_short_by_ctrl_c(err):
            raise
        said = _kept_on_ctrl_c(path, rest)
        console.print(f"[yellow]{escape(said)}[/]", soft_wrap=True)
        raise KeyboardInterrupt(said) from None  # said: `tunelab` adds no line of its own


def _kept_on_ctrl_c(path: Path, rest: str) -> str:
    """What a Ctrl-C (or SIGTERM) left: the rows written so far stay (each chunk's, self-instruct
    round's or question's rewrites in one write), and the same command goes on from them, `rest`.
    It said "interrupted" alone."""
    from tunelab.data.files.jsonl_files import read_jsonl
    from tunelab.data.generate.asked import asked_path

    rows = len(read_jsonl(path, skip_broken=True))
    # What was asked and kept nothing counts as done too: "keeps its 0 rows" read as all lost.
    asked = asked_path(path)
    records = read_jsonl(asked, skip_broken=True) if asked.is_file() else []
    none = sum(record.get("kept") == 0 for _, record in records)
    also = f" (and {none} asked about that kept none, in {asked})" if none else ""
    return (
        f"interrupted: {path} keeps its {n_things(rows, 'row')}{also}; run the same command again to go on "
        f"{rest}"
    )


RATE_AFTER_S = 10.0  # the shortest run whose pairs per minute are told


def _what_was_written(config: GenerateConfig, stats: GenerateStats) -> str:
    """The run's first line: the pairs written and how fast, or that an earlier run left nothing
    to do (a rerun said "wrote 0 pairs ... (0.0 pairs/min)")."""
    unit = "pair" if config.mode == "self-instruct" else "chunk"
    whole = config.count if config.mode == "self-instruct" else stats.chunks
    exists = Path(config.output).exists()
    if not stats.pairs and whole and stats.done_before >= whole:
        kept = f"whose pairs are in {config.output}" if exists else "which kept no pair"
        done = f"the {unit} was" if whole == 1 else f"all {whole} {unit}s were"
        return f"nothing new: {done} done by an earlier run, {kept}"
    written = (
        f"wrote {n_things(stats.pairs, 'pair')} to {config.output}"
        if exists
        else f"no pairs: {config.output} not written"
    )
    # A rate of a run of a few seconds measures the start more than the work ("5865.4 pairs/min"
    # of a 0.2 s run), and the chunks done before are news only to a run that resumed.
    steady = stats.pairs and stats.seconds >= RATE_AFTER_S
    rate = f" ({stats.pairs_per_minute:.1f} pairs/min)" if steady else ""
    done = stats.done_before
    before = f"; {n_things(done, unit)} done before" if done else ""
    return f"{written} in {stats.seconds:.1f} s{rate}{before}"


@options(
    AugmentConfig,
    *("output", "mode", "paraphrases", "reverse", "combine", "test", "restate_answers", "model"),
    *("endpoint", "api_key", "on_error"),
    *("temperature", "max_new_tokens", "batch_size"),
    flags={"output": ("-o", "--output")},
    envvars={"api_key": "OPENAI_API_KEY"},
    source="tunelab data augment",
)
def augment_command(
    data: Annotated[str, typer.Argument(help=f"The question/answer rows to augment: {formats()}.")],
    config: AugmentConfig,
    train_model: Annotated[
        str,
        typer.Option(
            help="Model to finetune on the rows (not --model, the one that rewrites): the next "
            "line's split (or train) names it."
        ),
    ] = DEFAULT_MODEL,
) -> None:
    """Rewrite each training question N ways (diverse phrasings teach facts), optionally ask facts
    reversed and two at once; provenance on every row."""
    from tunelab.data_commands import augment
    from tunelab.models.names import check_model_named
    from tunelab.progress import progress_bars

    check_model_named(train_model)  # before the rewriting: the next line names it
    bars = progress_bars(console=console)
    with _saying_kept_on_ctrl_c(Path(config.output), "with the questions not yet rewritten"):
        with bars:
            task = bars.add_task("rewriting questions", total=None)
            stats = augment(
                config=config,
                on_progress=lambda done, total: bars.update(task, completed=done, total=total),
            )
        _say_augmented(config, stats, train_model)


def _say_augmented(config: AugmentConfig, stats: AugmentStats, train_model: str) -> None:
    """What `data augment` wrote and dropped, then the next command: of `train_model`, the
    user's, never the rewriting model (often a larger one, or an endpoint's)."""
    related = (
        f" ({stats.reversed} reversed, {stats.combined} combined)"
        if config.reverse or config.combine
        else ""
    )
    console.print(
        f"{n_things(stats.questions, 'question')} ({stats.done_before} done before): "
        f"{n_things(stats.written, 'new question')}{related} → {config.output} in "
        f"{stats.seconds:.0f}s",
        markup=False,
    )
    if stats.asked_before:
        from tunelab.data.generate.asked import asked_path

        console.print(
            f"did not ask again about {stats.asked_before} facts or pairs of facts an earlier run "
            f"asked about and kept no question of (recorded in {asked_path(Path(config.output))}; "
            "delete it to ask about them again)",
            markup=False,
        )
    if stats.replies:
        parsed = stats.replies - stats.unparsed
        console.print(f"{parsed} of {stats.replies} replies parsed")
    for reason, n in stats.dropped.items():
        if isinstance(reason, tuple):  # (what was dropped, why): said as n of them
            noun, why = reason
            console.print(f"  dropped {n_things(n, noun)}: {why}")
        else:
            console.print(f"  dropped {n}: {reason}")
    for reason, n in stats.unmade.items():
        # Rewrites never made, not made and then dropped: "dropped 5: no rule ..." said otherwise.
        console.print(
            f"  {n} rewrites not made ({config.paraphrases} asked per question): {reason}"
        )
    if stats.unrephrased and config.paraphrases:  # `--paraphrases 0` asked for none
        by_model = ", or have a model rewrite them (without --mode rules)"
        # Counts of dropped rewrites said which were missing, never whose: the rows left with
        # their one phrasing, which `data split --held-out rephrasings` cannot hold out either.
        console.print(
            f"no new phrasing for {len(stats.unrephrased)} of {stats.questions} questions "
            f"({first_few(stats.unrephrased)}): their facts keep one, harder to learn; write "
            f"others by hand{by_model if config.mode == 'rules' else ''}",
            markup=False,
        )
    # The output holds the originals too: it is the training set. Split, it holds out rephrasings,
    # each asking a fact that another training question still teaches. Its rows are in the
    # columns the fields map: read so again.
    out, fields = config.output, config.fields
    if config.test:
        say_next(console, train_command(out, config.test, fields, model=train_model))
    else:
        say_next(console, split_command(out, rephrased=True, fields=fields, model=train_model))
