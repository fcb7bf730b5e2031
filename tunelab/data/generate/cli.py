"""`tunelab data generate` and `tunelab data augment`: make Q&A rows from documents or seed pairs,
and new phrasings of existing rows; heavy imports stay inside the functions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tunelab.config import DEFAULT_MODEL
from tunelab.errors import TunelabError

console = Console()


def generate_command(
    docs: Annotated[
        list[str] | None, typer.Argument(help="Files or folders (md, txt, html, pdf).")
    ] = None,
    output: Annotated[str, typer.Option("-o", "--output", help="JSONL to append to.")] = "qa.jsonl",
    mode: Annotated[str, typer.Option(help="template | llm | self-instruct")] = "template",
    model: Annotated[
        str, typer.Option(help="Local model/run, or the model name at --endpoint.")
    ] = DEFAULT_MODEL,
    endpoint: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL.")] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="OPENAI_API_KEY", help="Key for --endpoint.")
    ] = None,
    pairs: Annotated[int, typer.Option(help="Q&A pairs to ask for per chunk (or per prompt).")] = 3,
    max_chunk_tokens: int = 400,
    prompt: Annotated[
        str | None, typer.Option(help="Prompt file or text with {chunk} {n}.")
    ] = None,
    seeds: Annotated[str | None, typer.Option(help="Self-instruct: seed Q&A file.")] = None,
    count: Annotated[int, typer.Option(help="Self-instruct: pairs to end with.")] = 20,
    concurrency: int = 4,
    batch_size: int = 4,
    retries: int = 2,
    temperature: float = 0.0,
    max_new_tokens: int = 512,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Any GenerateConfig key=value.")
    ] = None,
) -> None:
    """Make Q&A rows from documents (template, llm) or from seed pairs (self-instruct); resumable."""
    from tunelab.config import apply_overrides
    from tunelab.data.generate.documents import generate_dataset
    from tunelab.data.generate.shared import GenerateConfig
    from tunelab.data.write import check_writable

    raw = apply_overrides(
        {
            "docs": docs or [],
            "output": output,
            "mode": mode,
            "model": model,
            "endpoint": endpoint,
            "api_key": api_key,
            "pairs_per_chunk": pairs,
            "max_chunk_tokens": max_chunk_tokens,
            "prompt": prompt,
            "seeds": seeds,
            "count": count,
            "concurrency": concurrency,
            "batch_size": batch_size,
            "retries": retries,
            "temperature": temperature,
            "max_new_tokens": max_new_tokens,
        },
        set_ or [],
    )
    try:
        config = GenerateConfig.model_validate(raw)
    except ValueError as err:
        raise TunelabError(f"data generate: {err}") from None
    if config.mode != "self-instruct" and not config.docs:
        raise TunelabError("give the documents to read: tunelab data generate DOCS... -o qa.jsonl")
    check_writable(config.output)  # before any generation is spent on a place it cannot go
    stats = generate_dataset(config)
    unit = "pairs" if config.mode == "self-instruct" else "chunks"
    console.print(
        f"wrote {stats.pairs} pairs to {config.output} in {stats.seconds:.1f} s "
        f"({stats.pairs_per_minute:.1f} pairs/min); {stats.done_before} {unit} done before"
    )
    if stats.retried or stats.malformed:
        console.print(
            f"retried {stats.retried} replies; skipped {stats.malformed} whose replies never parsed"
        )
    if stats.dropped:
        console.print(
            "dropped by the quality filters: "
            + ", ".join(f"{k} x{v}" for k, v in stats.dropped.items())
        )


def augment_command(
    data: Annotated[str, typer.Argument(help="Question/answer file to augment.")],
    output: Annotated[
        str, typer.Option("-o", "--output", help="JSONL to append to (resumes).")
    ] = "augmented.jsonl",
    paraphrases: Annotated[int, typer.Option(min=1, help="New phrasings per question.")] = 3,
    test: Annotated[
        str | None, typer.Option(help="Test file: rewrites matching its questions are dropped.")
    ] = None,
    restate_answers: Annotated[
        bool, typer.Option(help="Also restate answers (numbers, flags, names kept verbatim).")
    ] = False,
    model: Annotated[
        str, typer.Option(help="Local model/run, or the model name at --endpoint.")
    ] = DEFAULT_MODEL,
    endpoint: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL.")] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="OPENAI_API_KEY", help="Key for --endpoint.")
    ] = None,
    temperature: float = 0.7,
    max_new_tokens: int = 256,
    batch_size: int = 8,
) -> None:
    """Rewrite each training question N ways (diverse phrasings teach facts); provenance on every row."""
    from tunelab.data.generate.augment import AugmentConfig, augment
    from tunelab.progress import progress_bars

    cfg = AugmentConfig(
        data=data, output=output, paraphrases=paraphrases, test=test,
        restate_answers=restate_answers, model=model, endpoint=endpoint, api_key=api_key,
        temperature=temperature, max_new_tokens=max_new_tokens, batch_size=batch_size,
    )  # fmt: skip
    bars = progress_bars(console=console)
    with bars:
        task = bars.add_task("rewriting questions", total=None)
        stats = augment(
            cfg, on_progress=lambda done, total: bars.update(task, completed=done, total=total)
        )
    console.print(
        f"{stats.questions} questions ({stats.done_before} done before): {stats.written} new "
        f"phrasings → {output} in {stats.seconds:.0f}s"
    )
    for reason, n in stats.dropped.items():
        console.print(f"  dropped {n}: {reason}")
