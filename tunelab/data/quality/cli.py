"""`tunelab data inspect` and `tunelab data check`: what rows become, and what is wrong with a data
set; heavy imports stay inside the functions so `tunelab --help` stays instant."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tunelab.config import DEFAULT_MODEL, DataConfig
from tunelab.data.files.read import formats
from tunelab.data.quality.findings import QualityConfig, QualityReport
from tunelab.next_step import (
    asked_once,
    cleaned,
    command,
    model_option,
    read_through,
    rephrased,
    rewrites_command,
    say_next,
    split_command,
    train_command,
)
from tunelab.options import options
from tunelab.terminal import n_things

console = Console()
PATH_HELP = f"The data: {formats()}."  # both read it through the loader, as training does


@options(
    DataConfig,
    *("template", "shape", "max_length", "truncation", "system_prompt"),
    source="tunelab data inspect",
)
def inspect_command(
    path: Annotated[str, typer.Argument(help=PATH_HELP)],
    config: DataConfig,
    model: Annotated[
        str, typer.Option(help="Model whose tokenizer and template to use.")
    ] = DEFAULT_MODEL,
    rows: Annotated[int, typer.Option(min=1, help="How many rows to show.")] = 3,
) -> None:
    """Show, for a few rows, the rendered prompt, token counts and which tokens are trained on."""
    from tunelab.data_commands import inspect

    inspect(path, config, model=model, rows=rows)
    say_next(console, _after_inspect(path, config, model))


def _after_inspect(path: str, config: DataConfig, model: str) -> str:
    """The check of the whole set, its rows read and counted as they were shown here: with the
    settings the two commands share that the user gave, the fields among them."""
    options = model_option(model)
    for name in ("template", "shape", "max_length"):
        if name in config.model_fields_set:
            options += [f"--{name.replace('_', '-')}", getattr(config, name)]
    return command("data", "check", path, *options, *read_through(config.fields))


@options(QualityConfig, "model", "template", "max_length", "shape", source="tunelab data check")
def check_command(
    path: Annotated[str, typer.Argument(help=PATH_HELP)],
    config: QualityConfig,
    test: Annotated[str | None, typer.Option(help="Test set to look for train/test leaks.")] = None,
    report: Annotated[
        str | None, typer.Option(help="Also write the report (.md or .html).")
    ] = None,
    fix: Annotated[
        bool, typer.Option(help="Drop duplicates, leaks and junk; mend typed \\n (needs -o).")
    ] = False,
    scrub: Annotated[bool, typer.Option(help="Mask personal data and keys (needs -o).")] = False,
    output: Annotated[str | None, typer.Option("-o", "--output", help="Cleaned JSONL.")] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when any warning is found (a gate for CI).")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the -o file if it exists.")
    ] = False,
) -> None:
    """Report duplicates, leaks, lengths, diversity, junk and personal data; --fix/--scrub clean it.
    Every threshold can be set: --set near_dup_threshold=0.9."""
    from tunelab.data.quality.check import escapes_left, escapes_unlisted
    from tunelab.data_commands import StrictWarnings, check

    try:
        result = check(
            path, config, test=test, report=report, fix=fix, scrub=scrub, output=output,
            strict=strict, overwrite=overwrite, console=console,
        )  # fmt: skip
    except StrictWarnings as err:
        console.print(str(err), style="red", markup=False)
        raise typer.Exit(1) from None
    if output:
        kept = len(result.data.examples) - len(result.dropped)
        console.print(
            f"wrote {n_things(kept, 'row')} to {output}"
            + (" (personal data masked)" if scrub else ""),
            markup=False,
        )
        if fix:
            # The rejected rows are listed in the report above; a colon with none of the
            # removed ones after it ("removed 0 rows, plus 1 the loader rejects:") led nowhere.
            said = f"removed {n_things(len(result.dropped), 'row')}"
            if rejected := len(result.data.rejected):
                said += f", and left out {rejected} the loader rejects (listed above)"
            console.print(said + (":" if result.dropped else ""))
            for row, why in result.dropped.items():
                console.print(f"  {result.where(row)}: {why}", markup=False, highlight=False)
            if mended := [i for i in result.escapes if i not in result.dropped]:
                where = ", ".join(result.where(i) for i in mended)
                console.print(
                    f"mended escapes typed as text in {n_things(len(mended), 'row')}: {where}",
                    markup=False,
                    highlight=False,
                )
            if left := escapes_left(result):  # rows explaining escapes, kept as they were
                said = f"left the escapes of {len(left)} row(s) as written"
                if escapes_unlisted(result):  # past the rows Content problems lists
                    said += ": " + ", ".join(result.where(i) for i in left)
                else:
                    said += " (listed above)"
                console.print(said, markup=False, highlight=False)
    say_next(console, _after_check(path, test, output, result))


def _after_check(path: str, test: str | None, output: str | None, result: QualityReport) -> str:
    """What follows a check: the --fix/--scrub that cleans what it found, fixing the lines the
    loader rejects, or, on clean rows (or once -o has them), training's split or training; each
    reading the columns through the user's fields, as the check did (-o keeps the columns), and
    passing on the user's own model (to augment as --train-model: its --model is the one that
    rewrites)."""
    fields, model = result.config.fields, result.config.model
    read = [*model_option(model), *read_through(fields)]
    if not output:
        flags = ["--fix"] if result.removals() or result.escapes else []
        flags += ["--scrub"] if result.pii else []
        if flags:
            tested = ["--test", test] if test else []
            return command("data", "check", path, *tested, *flags, "-o", cleaned(path), *read)
        if result.data.rejected:
            again = command("data", "check", path, *read)
            return f"fix the rejected rows listed above, then {again}"
    from tunelab.data.split import held_out_path

    data, test = output or path, held_out_path(path, test)  # a DatasetDict's own test split
    if asked_once(result.data.rows):  # template pairs: rewrites first, as generate said
        return rewrites_command(data, test, fields, model)
    if test:
        template = result.markers.fit if result.markers else None
        return train_command(data, test, fields, template, model)
    return split_command(data, rephrased(result.data.rows), fields, model)
