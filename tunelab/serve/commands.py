"""`tunelab serve`: the CLI face of tunelab.serve.launch.serve; imports stay light for `--help`."""

from __future__ import annotations

from typing import Annotated

import typer

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(
    models: Annotated[
        list[str],
        typer.Argument(
            help="Runs or models to serve; a client picks one by id (a run's folder name)."
        ),
    ],
    host: Annotated[
        str, typer.Option(help="Interface to listen on; 0.0.0.0 opens it to your network.")
    ] = "127.0.0.1",
    port: int = 8000,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="TUNELAB_API_KEY", help="Require `Authorization: Bearer KEY`."),
    ] = None,
    max_batch: Annotated[int, typer.Option(help="Requests decoded together, per model.")] = 8,
    threads: Annotated[
        int | None,
        typer.Option(help="CPU threads for the model; on a small CPU, one less than the cores."),
    ] = None,
) -> None:
    """Serve models over an OpenAI-compatible API (/v1/chat/completions, /v1/completions)."""
    from rich.console import Console

    from tunelab.serve.launch import model_id, serve

    console = Console()
    if threads:
        import torch

        # The HTTP server shares the CPU with the model: spinning math threads can starve it.
        torch.set_num_threads(threads)
    if host not in LOOPBACK and not api_key:
        console.print(
            f"[bold yellow]warning:[/] listening on {host} with no --api-key: anyone who "
            "can reach this machine can use the models"
        )
    ids = ", ".join(model_id(m) for m in models)
    console.print(f"serving {ids} at http://{host}:{port}/v1 (OpenAI API; set base_url to this)")
    serve(models, host=host, port=port, api_key=api_key, max_batch=max_batch)
