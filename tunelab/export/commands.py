"""`tunelab export`: the CLI face of tunelab.export; imports stay light for `--help`."""

from __future__ import annotations

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
) -> None:
    """Export a run as merged Hugging Face weights and/or a GGUF file."""
    from rich.console import Console

    from tunelab.errors import TunelabError
    from tunelab.export import export_gguf, export_merged
    from tunelab.export.to_gguf import modelfile_line

    if not merged and not gguf:
        raise TunelabError("say what to write: --merged DIR and/or --gguf FILE")
    console = Console()
    if merged:
        console.print(f"merged weights: {export_merged(run, merged)}")
    if gguf:
        path = export_gguf(run, gguf, gguf_type)
        console.print(f"GGUF ({gguf_type}): {path}")
        console.print(
            "For Ollama, put this line in a file named Modelfile and run "
            "`ollama create NAME -f Modelfile`:"
        )
        print(modelfile_line(path))
