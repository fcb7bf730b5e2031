"""The `tunelab` command. Each command is a thin call into one stage; heavy imports stay lazy so
`tunelab --help` is instant."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from tunelab.compare import cli as compare_cli
from tunelab.data import cli as data_cli
from tunelab.errors import TunelabError
from tunelab.evaluate import cli as evaluate_cli
from tunelab.export import commands as export_cli
from tunelab.serve import commands as serve_cli

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Finetune, evaluate and run a small language model of your own, on your own machine.",
)
data_app = typer.Typer(no_args_is_help=True, help="Inspect, check, generate and split data sets.")
app.add_typer(data_app, name="data")
console = Console()

ModelArg = Annotated[
    str, typer.Argument(help="Run folder, embedded default, HF dir, hub id, or a server URL.")
]
ApiKey = Annotated[
    str | None, typer.Option(envvar="TUNELAB_API_KEY", help="Bearer key for a server URL.")
]


@app.command()
def train(
    config: Annotated[
        str | None,
        typer.Argument(
            help="YAML config (see examples/) or a run folder (the run, even a copy); "
            "omitted: defaults."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override: train.lr=1e-4, data.path=qa.jsonl")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the run's last checkpoint.")] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Delete an existing run folder of the same name first.")
    ] = False,
) -> None:
    """Finetune a model as the config says; writes runs/<name>/ (Ctrl-C: checkpoint, exit 130)."""
    from tunelab.train.loop import train as run_training
    from tunelab.train.run_folder import config_from

    try:
        run_training(config_from(config, set_ or []), resume=resume, overwrite=overwrite)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None  # what shells expect after Ctrl-C


@app.command()
def generate(
    model: ModelArg,
    prompt: Annotated[str, typer.Argument(help="The question or instruction.")],
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    template: Annotated[
        str | None, typer.Option(help="Default: the run's template, else chat.")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Answer one question with a model, a finetuned run, or a running server."""
    from tunelab.serve.chat import Session

    session = Session.open(model, template=template, api_key=api_key)
    print(
        session.reply(
            prompt, max_new_tokens=max_new_tokens, temperature=temperature, remember=False
        )
    )


@app.command()
def chat(
    model: ModelArg,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    template: Annotated[
        str | None, typer.Option(help="Default: the run's template, else chat.")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Talk with a model or server in the terminal (/reset clears history, /quit or Ctrl-D leaves)."""
    from tunelab.serve.chat import Session

    Session.open(model, template=template, api_key=api_key).repl(
        max_new_tokens=max_new_tokens, temperature=temperature
    )


@data_app.command("inspect")
def data_inspect(
    path: Annotated[
        str, typer.Argument(help="Data file (JSONL, JSON, CSV, Parquet) or dataset dir.")
    ],
    model: Annotated[
        str, typer.Option(help="Model whose tokenizer and template to use.")
    ] = "smollm2-135m-instruct",
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
    from tunelab.data.inspect import inspect_file

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


@app.command()
def demo(
    steps: Annotated[int | None, typer.Option(help="Optimizer steps (default: 3 epochs).")] = None,
    output_dir: str = "runs",
) -> None:
    """Finetune the embedded model on tunelab's own docs and show base vs finetuned, offline."""
    from tunelab.demo.run import run_demo

    run_demo(steps=steps, output_dir=output_dir)


# --- the other stages' commands: their modules keep heavy imports inside the functions ------
app.command("eval")(evaluate_cli.eval_command)
app.command("bench")(evaluate_cli.bench_command)
app.command("errors")(evaluate_cli.errors_command)
app.command("rate")(evaluate_cli.rate_command)
data_app.command("check")(data_cli.check_command)
data_app.command("split")(data_cli.split_command)
data_app.command("generate")(data_cli.generate_command)
data_app.command("augment")(data_cli.augment_command)
app.command("serve")(serve_cli.serve_command)
app.command("export")(export_cli.export_command)
app.command("compare")(compare_cli.compare_command)


def main() -> None:
    try:
        app()
    except TunelabError as err:
        console.print(f"[bold red]error:[/] {err}")
        sys.exit(2)


if __name__ == "__main__":
    main()
