"""`tunelab export`: the CLI face of tunelab.export; imports stay light for `--help`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def export_command(
    run: Annotated[str, typer.Argument(help="Run folder (a LoRA run is merged) or any model.")],
    merged: Annotated[
        str | None, typer.Option(help="Write a plain Hugging Face folder here.")
    ] = None,
    gguf: Annotated[
        str | None, typer.Option(help="Write a GGUF file here (llama.cpp, Ollama).")
    ] = None,
    gguf_type: Annotated[str, typer.Option(help="GGUF weights: f16, f32 or q8_0.")] = "f16",
    dtype: Annotated[
        str, typer.Option(help="Merged weights: float32, bfloat16 (half the size) or float16.")
    ] = "float32",
    overwrite: Annotated[
        bool,
        typer.Option(help="Replace an existing --gguf file (a --merged folder must be empty)."),
    ] = False,
) -> None:
    """Export a run as merged Hugging Face weights and/or a GGUF file."""
    from rich.console import Console

    from tunelab.errors import TunelabError
    from tunelab.export import export_gguf, export_merged
    from tunelab.export.prompt import TEMPLATES, modelfile
    from tunelab.export.to_gguf import FILE_TYPES, check_gguf_target
    from tunelab.run import prompt_for

    if not merged and not gguf:
        raise TunelabError("say what to write: --merged DIR and/or --gguf FILE")
    if gguf and gguf_type not in FILE_TYPES:  # before a merged export spends a minute
        raise TunelabError(f"--gguf-type {gguf_type!r} is not one of {FILE_TYPES}")
    if gguf:
        check_gguf_target(Path(gguf), overwrite)
    console = Console()
    prompt = prompt_for(run)
    if prompt.template not in TEMPLATES:
        console.print(
            "[bold yellow]note:[/] this run was trained with a custom Jinja prompt template, which "
            "the export cannot turn into a chat template: give it prompts in that format as plain "
            "completions (the exported chat template is the base model's)"
        )
    if merged:
        console.print(f"merged weights ({dtype}): {export_merged(run, merged, dtype)}")
    if gguf:
        path = export_gguf(run, gguf, gguf_type, overwrite=overwrite)
        console.print(f"GGUF ({gguf_type}): {path}")
        console.print(
            "For Ollama, put these lines in a file named Modelfile and run "
            "`ollama create NAME -f Modelfile`:"
        )
        print(modelfile(path, prompt.template, prompt.system_prompt))
