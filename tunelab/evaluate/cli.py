"""The `tunelab eval`, `tunelab errors` and `tunelab data facts` commands: thin wrappers that read the command line once
and call the evaluate stage; heavy imports stay inside."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.config import DEFAULT_MODEL, DataConfig
from tunelab.evaluate import MOST_FACTS
from tunelab.evaluate.eval_config import EvalConfig
from tunelab.next_step import command, model_option, read_through, say_next, train_command
from tunelab.options import options
from tunelab.terminal import is_are, n_things

console = Console()


@options(
    EvalConfig,
    *("data", "output", "template", "system_prompt", "max_new_tokens", "temperature"),
    *("batch_size", "limit", "embeddings", "on_error"),
    source="tunelab eval",
)
def eval_command(
    models: Annotated[
        list[str],
        typer.Argument(
            help="Runs (folders) or models (a Hugging Face id or folder, smollm2-135m-instruct); "
            "several answer the same questions, and the first is compared with the last "
            "(RUN BASE: the run's gain over its base)."
        ),
    ],
    config: EvalConfig,
) -> None:
    """Answer a test set and score it: fact accuracy where test rows name facts, exact and
    normalized match, token F1, ROUGE-L; then an error analysis."""
    from tunelab.evaluate.difference_plot import EVAL_DIFFERENCES
    from tunelab.evaluate.paired import MIN_QUESTIONS
    from tunelab.evaluate.scores import LOWER_NOTE, comparison, comparison_folder, wording_note
    from tunelab.evaluate.suite import evaluate
    from tunelab.run import Run
    from tunelab.terminal import fits, say_wrapped

    results = evaluate(models, config, console)
    # One of the notes, said under the table, where it qualifies the scores: above the answers'
    # errors, it scrolled away before them.
    facts_note = results[0].facts_note
    said = {facts_note}  # a note of the test set, once for all its models
    for result in results:
        console.print(
            f"[green]{escape(result.label)}[/]: {n_things(len(result.rows), 'answer')} → "
            f"{escape(str(result.out_dir))}/ "
            "(predictions.csv and .jsonl: each answer with its scores; summary.json: the means)",
            soft_wrap=True,
        )
        _print_errors(result, said)
    lines = comparison(results)
    short = _short_names([r.label for r in results])  # "X (1)", "X (2)": a model given twice
    table = _scores_table(results, lines, short, " ")
    if not fits(console, table):
        # "(over 10 facts)" under its interval: wrapped, it broke "[-0.53, +0.53]" in two.
        table = _scores_table(results, lines, short, "\n")
    console.print(table)
    if legend := [f"{name} = {model}" for model, name in short.items() if name != model]:
        console.print(escape("; ".join(legend)), soft_wrap=True)
    if len(results) == 1:
        console.print(
            f"[dim]{LOWER_NOTE}. n: the questions a "
            "metric is over. 95%: Wilson's interval for right/wrong "
            "rates, a bootstrap over the questions for partial scores (Wilson's at their mean "
            f"below {MIN_QUESTIONS} questions).[/]"
        )
    else:
        saved = comparison_folder(results) / "comparison.md"
        pictured = saved.with_name(EVAL_DIFFERENCES)  # Δ in points: 100 × the table's
        console.print(
            f"comparison: {saved} (and comparison.json); Δ in points as a picture: {pictured}",
            soft_wrap=True,
            markup=False,
        )
        console.print(
            "[dim]Δ [95% interval]: paired over the n questions (Newcombe's for right/wrong scores, "
            "a bootstrap for partial ones, Wilson's on their differences below "
            f"{MIN_QUESTIONS} questions). 'ahead' names the model "
            "the metric favours (the lower rate for those marked ↓) when the "
            "interval is on one side of zero and a paired sign-flip test agrees (p < 0.05); "
            "else 'no clear winner'.[/]"
        )
        if facts := next((line["facts"] for line in lines if line["facts"]), None):
            console.print(
                f"[dim](over {facts} facts): the questions ask fewer facts, each asked several "
                "ways (`tunelab data augment`'s rephrasings, rows that share a reference answer), "
                "which are mostly right or wrong together: the interval and test resample the "
                "facts.[/]"
            )
    if facts_note:
        say_wrapped(console, f"{facts_note}.", "yellow")
    if wording := wording_note(lines):
        say_wrapped(console, f"{wording}.", "yellow")
    if len(models) == 1 and (run := Run.find(models[0])):
        # The path's last step, as train's line names it: does finetuning beat prompting on
        # these same questions? An eval of a run ended on its notes, naming no command; of its
        # model/ folder (asked as the run), likewise: the line names the run.
        given = ["--data", config.data] if config.data else []
        given += ["--limit", str(config.limit)] if config.limit else []
        say_next(console, command("compare", run.path, *given, *read_through(config.fields)))


def _scores_table(results: list, lines: list[dict], short: dict[str, str], facts_sep: str) -> Table:
    """Eval's table: each metric's mean per model; with several, the first − last difference
    with its interval, never broken across lines, and `facts_sep` before "(over N facts)"."""
    from tunelab.evaluate.paired import over_facts
    from tunelab.evaluate.scores import metric_label

    title = "evaluation" if len(results) == 1 else "comparison"
    table = Table(title=f"{title}, questions asked with {escape(results[0].asked())}")
    table.add_column("metric")
    # The rows a metric is over: a hallucination rate of 1.000 over the one row that names a
    # wrong answer read as "every answer hallucinated".
    table.add_column("n", justify="right")
    # A model's last path part heads its column (whole paths were cut to "/tmp/fresh18…" in
    # every column of an 80-column terminal); the legend below says which is which.
    for name in short.values():
        table.add_column(escape(name), justify="right")
    if len(results) > 1:
        table.add_column("Δ (first − last)", justify="right", no_wrap=True)
        table.add_column("ahead (95%)")
    else:
        table.add_column("95%", justify="right")
    for line in lines:
        cells = [f"{v:.3f}" for v in line["values"]]
        if len(results) > 1:
            cells += [
                f"{line['delta']:+.3f} [{line['low']:+.2f}, {line['high']:+.2f}]"
                + over_facts(line["facts"], facts_sep),
                escape(short.get(line["ahead"], line["ahead"])),
            ]
        else:
            ci = results[0].intervals[line["metric"]]
            cells.append(f"[{ci.low:.2f}, {ci.high:.2f}]")
        # Named as compare names it ("hallucination_rate" read as a key, not as a score).
        table.add_row(metric_label(line["metric"]), str(line["n"]), *cells)
    return table


def _short_names(models: list[str]) -> dict[str, str]:
    """Each model by its last path part ("runs/demo" → "demo"), whole where two would read the
    same."""
    from pathlib import Path

    short = {m: Path(m).name or m for m in models}
    if len(set(short.values())) < len(short):
        return {m: m for m in models}
    return short


def _print_errors(result, said: set[str] | None = None) -> None:
    from rich.markup import escape

    from tunelab.data.markers import plain_question
    from tunelab.evaluate.analysis import NO_CLOSEST, by_wording, examples_of
    from tunelab.terminal import say_wrapped

    for note in getattr(result, "notes", []):
        if said is None or note not in said:
            say_wrapped(console, f"note: {note}", "yellow")
            if said is not None:
                said.add(note)
    analysis = getattr(result, "analysis", None)
    if analysis is None:
        return
    if not analysis.counts:  # said, not an empty screen that reads as a crash or no eval
        judged = f", {note}" if (note := by_wording(analysis, result.notes)) else ""
        console.print(
            f"no answer falls in an error category{escape(judged)}: "
            f"{escape(str(result.out_dir / 'errors.md'))}",
            soft_wrap=True,
        )
        return
    for category, n in analysis.counts.items():
        examples = examples_of(analysis, category)
        shown = f" ({len(examples)} shown; all in errors.md)" if len(examples) < n else ""
        console.print(f"[bold]{category}[/]: {n}{shown}")
        for ex in examples:
            q = plain_question(ex["question"])
            console.print(f"  Q: {q[:80]!r} → {ex['answer'][:80]!r} ({ex['reason']})", markup=False)
            # The first row of each kind of match: two rows teaching the reference hid the one
            # whose answer the model recited.
            firsts: dict[str, dict] = {}
            for s in ex["closest"]:
                firsts.setdefault(s["match"], s)
            for s in firsts.values():
                q = plain_question(s["question"])
                said = escape(f"{s['source']} {q[:70]!r} ({s['match']})")
                console.print(f"    [dim]closest training: {said}[/]")
            if not ex["closest"] and analysis.training_known:
                console.print(f"    [dim]closest training: {NO_CLOSEST}[/]")
    console.print(
        f"error reports (each category with examples and their closest training rows): "
        f"{result.out_dir / 'errors.md'}, {result.out_dir / 'errors.html'}",
        soft_wrap=True,
        markup=False,
    )


def errors_command(
    run: Annotated[
        str, typer.Argument(help="Run folder (or an eval output folder) with predictions.")
    ],
    data: Annotated[
        str | None, typer.Option(help="Training data for retrieval (default: the run's).")
    ] = None,
) -> None:
    """Categorize the wrong or weak answers of the last `tunelab eval` and show similar training data."""
    from tunelab.evaluate.suite import errors

    _print_errors(errors(run, data))


@options(DataConfig, "on_error", "shape", source="tunelab data facts")
def facts_command(
    path: Annotated[str, typer.Argument(help="Test file: question/answer rows of any shape.")],
    output: Annotated[str, typer.Option("-o", "--output", help="JSONL file to write.")],
    config: DataConfig,
    most: Annotated[
        int,
        typer.Option(
            min=1, help="Facts proposed per row, at most (a list answer gets every item's)."
        ),
    ] = MOST_FACTS,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace OUTPUT if it exists.")
    ] = False,
    model: Annotated[
        str,
        typer.Option(help="Model to finetune: the next line's train (or eval) names it."),
    ] = DEFAULT_MODEL,
) -> None:
    """Propose the facts each test answer must state (and a yes/no answer's opposite as a wrong
    one), read off its reference answer, where the row names none: review them, then
    `tunelab eval --data OUTPUT` scores fact accuracy instead of wording alone."""
    from tunelab.data_commands import facts
    from tunelab.errors import first_few
    from tunelab.evaluate.refusals import CANNED_ROWS
    from tunelab.models.names import check_model_named

    check_model_named(model)  # before the facts are written: the next line names it
    found = facts(path, output, config, most=most, overwrite=overwrite)
    verdicts = (
        f", and the opposite verdict as a wrong answer for {len(found.verdicts)} yes/no rows "
        "(no fact: eval scores them for hallucination)"
        if found.verdicts
        else ""
    )
    console.print(
        f"{output}: {found.rows} rows, facts proposed for {found.proposed}{verdicts}; each is "
        'marked "facts_from": "reference"; rows that named facts are as they were. Review them '
        "before trusting the scores: a proposed fact may be a detail the question did not ask for.",
        markup=False,
    )
    if found.worded:
        console.print(
            f"{len(found.worded)} of them had no specific term (a number, name, file, option...) and "
            'got rare words of their answer instead (marked "facts_from": "reference words"; '
            f"{first_few(found.worded)}): review those first, a rare word is often no fact.",
            markup=False,
        )
    if found.declines:
        console.print(
            f"{n_things(len(found.declines), 'row')} whose reference declines the question with a "
            "reply given "
            f"alike to {CANNED_ROWS} rows or more of this file and its training rows (a split's "
            "train.jsonl beside it; for a run's held_out.jsonl, the rows the run trained on), or "
            "with one that asks to keep to the subject: "
            f"{first_few(found.declines)}, {is_are(len(found.declines))} marked as "
            'refusals ("kind": "off_topic"): eval scores whether the answer refuses them as well, '
            'not its words; delete the "kind" of any that should be answered.',
            markup=False,
        )
    if found.off_topic:
        console.print(
            f'{n_things(found.off_topic, "row")} marked "kind": "off_topic" '
            f"{'gets' if found.off_topic == 1 else 'get'} no facts: eval scores whether the answer "
            "says their refusal (their reference answer).",
            markup=False,
        )
    if found.calls:
        console.print(
            f"{len(found.calls)} rows reply only with tool calls ({first_few(found.calls)}): no "
            "facts are read off a call; eval scores them by the calls they make.",
            markup=False,
        )
    if left := found.left:
        console.print(
            f"{len(left)} {'rows have' if len(left) > 1 else 'row has'} no facts (no specific "
            "term in the answer: a number, name, file, option...; in Chinese or Japanese only "
            "terms in other scripts are found; or the question asks what a thing is, which no "
            f"one term answers): {first_few(left, 5)}. Write theirs by hand, or "
            "eval scores them by wording alone.",
            markup=False,
        )
    # The file read (a saved DatasetDict's test split): the next line's train is beside it.
    say_next(console, _after_facts(found.read, output, config.fields, model))


def _after_facts(path: str, output: str, fields: dict[str, str], model: str) -> str:
    """Training (of the user's own model, where named) on the train.jsonl that `data split` wrote
    beside the test file, asked the facts (eval and compare of the run then score them), else
    eval on them of the run whose held_out.jsonl they were (as `tunelab eval RUN` proposes
    them), of the user's own model, or of a run or model to be named; the rows, in their own
    columns still, read through the same fields."""
    from pathlib import Path

    from tunelab.data.markers import file_template
    from tunelab.evaluate.facts.propose_file import train_beside
    from tunelab.run import Run
    from tunelab.run_files import HELD_OUT

    if train := train_beside(path):
        return train_command(train, output, fields, file_template(train, fields=fields), model)
    if Path(path).name == HELD_OUT and Run.is_run(Path(path).parent):  # as eval's note asks
        return command("eval", Path(path).parent, "--data", output, *read_through(fields))
    if model_option(model):  # the model named: its own eval, ready to paste
        return command("eval", model, "--data", output, *read_through(fields))
    asked = command("eval", "RUN", "--data", output, *read_through(fields))
    return asked + " (RUN: a run folder, or a model's name)"
