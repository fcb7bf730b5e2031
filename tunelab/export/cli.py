"""`tunelab export`: the CLI face of tunelab.export; imports stay light for `--help`."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer

from tunelab.export import DEFAULT_DTYPE, DEFAULT_GGUF_TYPE


def export_command(
    run: Annotated[str, typer.Argument(help="Run folder (a LoRA run is merged) or any model.")],
    merged: Annotated[
        str | None, typer.Option(help="Write a plain Hugging Face folder here.")
    ] = None,
    gguf: Annotated[
        str | None, typer.Option(help="Write a GGUF file here (llama.cpp, Ollama).")
    ] = None,
    gguf_type: Annotated[
        str, typer.Option(help="GGUF weights: f16, f32 or q8_0.")
    ] = DEFAULT_GGUF_TYPE,
    dtype: Annotated[
        str, typer.Option(help="Merged weights: float32, bfloat16 (half the size) or float16.")
    ] = DEFAULT_DTYPE,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace an existing --gguf file and its Modelfile (a --merged folder must be "
            "empty)."
        ),
    ] = False,
    push: Annotated[
        str | None,
        typer.Option(
            help="Upload the merged weights (and the GGUF and Modelfile) to this Hugging Face "
            "hub repo, org/name; created private if new."
        ),
    ] = None,
) -> None:
    """Export a run as merged Hugging Face weights and/or a GGUF file with its Ollama Modelfile,
    and/or push it to the Hugging Face hub."""
    from rich.console import Console

    from tunelab.data.prompts.templates import BUILTIN_TEMPLATES
    from tunelab.export import export
    from tunelab.run import prompt_for

    written = export(run, merged, gguf, gguf_type, dtype, overwrite, push)
    console = Console()
    prompt = prompt_for(run)
    if prompt.template not in BUILTIN_TEMPLATES:  # a custom Jinja template
        console.print(
            "[bold yellow]note:[/] this run was trained with a custom Jinja prompt template, which "
            "the export cannot turn into a chat template: give it prompts in that format as plain "
            "completions (the exported chat template is the base model's)"
        )
    # The paths said as written, whole on a line: rich read a folder's "[v1]" as markup.
    if "merged" in written:
        console.print(
            f"merged weights ({dtype}): {written['merged']}", markup=False, soft_wrap=True
        )
    if "gguf" in written:
        console.print(f"GGUF ({gguf_type}): {written['gguf']}", markup=False, soft_wrap=True)
        modelfile = written["modelfile"]  # a path of spaces pastes as said
        console.print(
            f"Ollama Modelfile: {modelfile} (`ollama create NAME -f {shlex.quote(str(modelfile))}`)",
            soft_wrap=True,
            markup=False,
        )
    if "hub" in written:
        console.print(f"pushed to {written['hub']}")
