"""`tunelab train` and `tunelab data split` (training's own split, written out, with training's
warning on untaught test facts, which the data stage below evaluate cannot give): the CLI face of
the train stage; imports stay light for `--help`."""

from __future__ import annotations

from typing import Annotated

import typer

from tunelab.config import DEFAULT_MODEL, Config, DataConfig
from tunelab.data.files.read import formats
from tunelab.options import options


def train_command(
    config: Annotated[
        str | None,
        typer.Argument(
            help="YAML config (see examples/) or a run folder (the run, even a copy); "
            "omitted: defaults."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override: train.lr=1e-4, data.path=qa.jsonl (every setting, each with a line "
            "on what it does: examples/lora.yaml).",
        ),
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the run's last checkpoint.")] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Delete an existing run folder of the same name first.")
    ] = False,
) -> None:
    """Finetune a model as the config says; writes runs/<name>/ (Ctrl-C: checkpoint, exit 130)."""
    from rich.console import Console
    from rich.markup import escape

    from tunelab.errors import TunelabError
    from tunelab.train.loop import train
    from tunelab.train.parallel import distributed
    from tunelab.train.run_config import config_from
    from tunelab.train.stopping import LauncherStop, Terminated
    from tunelab_entry import CTRL_C_EXIT, SIGTERM_EXIT

    world = distributed.launched_world()
    try:
        run = train(config_from(config, set_ or []), resume=resume, overwrite=overwrite)
        code = 0
        if world.is_main:  # what a newcomer asks next: did it learn, and does it beat prompting?
            from tunelab.next_step import command, say_next
            from tunelab.run import Run

            if Run.open(run).trained_on_text:  # no questions: eval and compare want --data
                say_next(Console(), command("runs", run))
            else:
                say_next(Console(), command("eval", run), command("compare", run))
    except KeyboardInterrupt:
        code = CTRL_C_EXIT  # the loop said which step is kept; `tunelab.cli` says no more
    except Terminated:
        code = SIGTERM_EXIT  # the loop said which step is kept
    except TunelabError as err:
        if world.size == 1:
            raise
        # Under torchrun every process refuses alike: the first of each machine says it, once
        # (the others, still running when torchrun has not stopped them, say it then).
        if world.local_rank != 0:
            if LauncherStop.reached_process:
                # torchrun's SIGTERM came while this process was still on its way to the same
                # refusal (in the collective that shares it): the first one has said it, and no
                # second SIGTERM will end the wait, only torchrun's SIGKILL 30 s later.
                distributed.leave_without_teardown(2)
            distributed.leave_refusal_to_first_process()
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(err))}")
        code = 2
    if world.size > 1:
        distributed.leave_without_teardown(code)
    if code:
        raise typer.Exit(code)


train_command.section = Config  # what --set reaches, as options() marks its commands


@options(
    DataConfig,
    "test_size",
    "test_path",
    "held_out",
    "seed",
    "shape",
    "dedupe",
    "on_error",
    source="tunelab data split",
)
def split_command(
    path: Annotated[str, typer.Argument(help=f"The data to split: {formats()}.")],
    output: Annotated[
        str, typer.Option("-o", "--output", help="Folder for train.jsonl, test.jsonl.")
    ],
    config: DataConfig,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace train.jsonl/test.jsonl if they exist.")
    ] = False,
    model: Annotated[
        str, typer.Option(help="Model to finetune: the next line's train (and facts) name it.")
    ] = DEFAULT_MODEL,
) -> None:
    """Write the same seeded train/test split that training uses (other column names: --set
    data.fields.question=Query, as on train)."""
    from rich.console import Console

    from tunelab.data.files.read import is_raw_text
    from tunelab.data.markers import file_template
    from tunelab.data_commands import split
    from tunelab.models.names import check_model_named
    from tunelab.next_step import command, model_option, read_through, say_next, train_command
    from tunelab.terminal import n_things, say_wrapped

    check_model_named(model)  # before the split is written: its next lines name it
    console = Console()
    written = split(path, output, config, overwrite=overwrite)
    for part, rows in zip(("train", "test"), written["rows"]):
        console.print(f"{written[part]}: {n_things(rows, 'row')}", markup=False)
    if written["said"]:
        console.print("; ".join(written["said"]))
    for note in filter(None, (written["few"], written["untaught"])):
        say_wrapped(console, f"warning: {note}", "yellow")
    if is_raw_text(path, config.shape):  # no questions to give facts: train on the input,
        # whose split training draws again the same, with no EOS trained at a text's cut
        say_next(console, train_command(path, None, config.fields, None, model, config.test_size))
        return
    # The rows written are the input's, in its columns: read through the same fields.
    template = file_template(written["train"], config.shape, config.fields)
    if not written["rows"][1]:  # nothing held out (test_size 0): no test rows to give facts
        say_next(console, train_command(written["train"], None, config.fields, template, model))
        return
    facts = written["test"].parent / "test_facts.jsonl"
    carried = [*model_option(model), *read_through(config.fields)]
    propose = command("data", "facts", written["test"], "-o", facts, *carried)
    train = train_command(written["train"], facts, config.fields, template, model)
    say_next(console, propose, train)
