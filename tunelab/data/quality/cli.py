"""`tunelab data inspect` and `tunelab data check`: what rows become, and what is wrong with a data
set; heavy imports stay inside the functions so `tunelab --help` stays instant."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tunelab.config import DEFAULT_MODEL
from tunelab.errors import TunelabError

console = Console()


def inspect_command(
    path: Annotated[
        str, typer.Argument(help="Data file (JSONL, JSON, CSV, Parquet) or dataset dir.")
    ],
    model: Annotated[
        str, typer.Option(help="Model whose tokenizer and template to use.")
    ] = DEFAULT_MODEL,
    rows: int = 3,
    template: str = "chat",
    shape: str = "auto",
    max_length: int = 512,
    truncation: Annotated[
        str, typer.Option(help="keep_response, right or drop.")
    ] = "keep_response",
    system_prompt: str | None = None,
) -> None:
    """Show, for a few rows, the rendered prompt, token counts and which tokens are trained on."""
    from tunelab.config import Config
    from tunelab.data.quality.inspect import inspect_file

    # Through Config, so a bad option value is named like a bad YAML key.
    settings = dict(
        path=path,
        template=template,
        shape=shape,
        max_length=max_length,
        truncation=truncation,
        system_prompt=system_prompt,
    )
    data = Config.from_dict({"data": settings}, source="tunelab data inspect").data
    inspect_file(data, model=model, rows=rows)


def check_command(
    path: Annotated[
        str, typer.Argument(help="Data file (JSONL, JSON, CSV, Parquet) or dataset dir.")
    ],
    test: Annotated[str | None, typer.Option(help="Test set to look for train/test leaks.")] = None,
    model: Annotated[str, typer.Option(help="Whose tokenizer counts lengths.")] = DEFAULT_MODEL,
    template: str = "chat",
    max_length: int = 512,
    shape: str = "auto",
    report: Annotated[
        str | None, typer.Option(help="Also write the report (.md or .html).")
    ] = None,
    fix: Annotated[bool, typer.Option(help="Drop duplicates, leaks and junk (needs -o).")] = False,
    scrub: Annotated[bool, typer.Option(help="Mask personal data and keys (needs -o).")] = False,
    output: Annotated[str | None, typer.Option("-o", "--output", help="Cleaned JSONL.")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Threshold: near_dup_threshold=0.9")
    ] = None,
) -> None:
    """Report duplicates, leaks, lengths, diversity, junk and personal data; --fix/--scrub clean it."""
    from tunelab.config import apply_overrides
    from tunelab.data.quality.check import QualityConfig, check_file, write_clean
    from tunelab.data.quality.report import print_report, save_report

    if (fix or scrub) and not output:
        raise TunelabError("--fix and --scrub write a new file: add -o clean.jsonl")
    raw = apply_overrides(
        {"model": model, "template": template, "max_length": max_length, "shape": shape},
        set_ or [],
    )
    try:
        config = QualityConfig.model_validate(raw)
    except ValueError as err:
        raise TunelabError(f"data check: bad threshold: {err}") from None
    result = check_file(path, test, config)
    print_report(result, console)
    if report:
        save_report(result, report)
        console.print(f"report written to {report}")
    # A set with no loadable row stops training and `data inspect`: this check must not pass it.
    for loaded in (result.data, result.test):
        if loaded is not None and not loaded.examples:
            raise TunelabError(
                f"{loaded.path}: none of its {len(loaded.rejected)} rows loads (see the rejects)"
            )
    if output:
        drops = write_clean(result, output, fix=fix, scrub=scrub)
        kept = len(result.data.examples) - len(drops)
        console.print(
            f"wrote {kept} rows to {output}" + (" (personal data masked)" if scrub else "")
        )
        if fix:
            console.print(
                f"removed {len(drops)} rows, plus {len(result.data.rejected)} the loader rejects:"
            )
            for row, why in drops.items():
                console.print(f"  {result.where(row)}: {why}", markup=False, highlight=False)
