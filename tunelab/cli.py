"""The `tunelab` command: a table of commands, each defined in its stage's cli.py. The stages keep
heavy imports inside their commands, so `tunelab --help` is instant."""

from __future__ import annotations

import atexit
import gc
import inspect
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from tunelab.compare import cli as compare
from tunelab.data.generate import cli as data_generate
from tunelab.data.quality import cli as data_quality
from tunelab.demo import cli as demo
from tunelab.errors import SigtermAsCtrlC, TunelabError, cut_short_by_ctrl_c, error_chain
from tunelab.evaluate import cli as evaluate
from tunelab.evaluate.bench import cli as bench
from tunelab.evaluate.human import cli as human
from tunelab.evaluate.judge import cli as judge
from tunelab.export import cli as export
from tunelab.serve import cli as serve
from tunelab.setting_names import other_tools_way, setting_named
from tunelab.train import cli as train
from tunelab.train.plan import cli as plan
from tunelab.train.runs import cli as runs
from tunelab_entry import CTRL_C_EXIT, SIGTERM_EXIT, exit_interrupted

COMMANDS = {
    "train": train.train_command,
    "plan": plan.plan_command,
    "runs": runs.runs_command,
    "generate": serve.generate_command,
    "chat": serve.chat_command,
    "demo": demo.demo_command,
    "eval": evaluate.eval_command,
    "bench": bench.bench_command,
    "errors": evaluate.errors_command,
    "rate": human.rate_command,
    "judge": judge.judge_command,
    "serve": serve.serve_command,
    "export": export.export_command,
    "compare": compare.compare_command,
}
DATA_COMMANDS = {
    "inspect": data_quality.inspect_command,
    "check": data_quality.check_command,
    "split": train.split_command,
    "generate": data_generate.generate_command,
    "augment": data_generate.augment_command,
    "facts": evaluate.facts_command,
}

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Finetune, evaluate and run a small language model of your own, on your own machine.",
)
data_app = typer.Typer(
    no_args_is_help=True,
    help="Inspect, check, generate, split data sets, and propose the facts test answers must state.",
)
app.add_typer(data_app, name="data")


def _print_version(asked: bool) -> None:
    if asked:
        # The installed package's version (pyproject.toml's), read without importing the stages.
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"tunelab {version('tunelab')}")
        except PackageNotFoundError:  # run from a checkout on PYTHONPATH, never pip-installed
            print(f"tunelab (not installed: run from {Path(__file__).parent})")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Options before any command: --version, --help."""


def _short_help(command) -> str:
    """The docstring's first paragraph as one line: in typer's rich markup mode (its default) the
    command table keeps a docstring's line breaks, mid-sentence there. Markdown mode would join
    them, but would also read every help's `*`, `_` and `<name>` as markup."""
    return " ".join((inspect.getdoc(command) or "").split("\n\n")[0].split())


# The click typer parses with: its own copy in the typer installed here (0.29), click in older ones.
_click = getattr(typer.core, "_click", None) or typer.core.click


class _SettingHint(typer.core.TyperCommand):
    """A command whose unknown option names a setting of its config says how to give it
    (`train --lr 1e-4`: --set train.lr=VALUE), where click named only --help as close."""

    section = None  # what the command's --set reaches

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except _click.exceptions.NoSuchOption as err:
            path = self.section and setting_named(self.section, err.option_name)
            way = self.section and other_tools_way(self.section, err.option_name)
            if not (path or way):
                raise
            hint = f"No such option: {err.option_name} ({way or f'a setting: --set {path}=VALUE'})"
            raise _click.exceptions.NoSuchOption(err.option_name, message=hint, ctx=ctx) from None


def _command_class(command) -> type[typer.core.TyperCommand]:
    section = getattr(command, "section", None)
    return type("SettingHint", (_SettingHint,), {"section": section})


for name, command in COMMANDS.items():
    app.command(name, short_help=_short_help(command), cls=_command_class(command))(command)
for name, command in DATA_COMMANDS.items():
    data_app.command(name, short_help=_short_help(command), cls=_command_class(command))(command)


def main() -> None:
    # Python's exit collects garbage over every object torch and transformers made, several
    # times: `tunelab train` ended 2.5 s after its last line (0.4 s frozen), under load. Frozen,
    # they are left to the process's end; exit handlers registered later (trackers) run first.
    atexit.register(gc.freeze)
    _STOPPED_BY[0] = CTRL_C_EXIT
    previous = None
    if os.environ.get("WORLD_SIZE", "1") == "1":  # under torchrun, its SIGTERM is the loop's
        previous = signal.signal(signal.SIGTERM, _stop_as_ctrl_c)
    # Left alone where it is not Python's own (ignored in a shell's background job).
    ctrl_c = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ctrl_c:
        signal.signal(signal.SIGINT, _ctrl_c)
    try:
        app()
    except TunelabError as err:
        # To stderr, so `tunelab ... > out` still shows it; escaped, as a message may hold a
        # user's "[...]" (a value, a file name) that rich would read as markup.
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(err))}")
        sys.exit(2)
    except KeyboardInterrupt as stop:
        _stopped(stop)  # Ctrl-C in any command: what shells expect, without a traceback
    except Exception as err:
        if not cut_short_by_ctrl_c(err):
            raise
        _stopped(err)
    except SystemExit as exit_:
        if exit_.code == CTRL_C_EXIT:  # typer turns a Ctrl-C inside a command into 130 itself
            _stopped(exit_)
        raise
    finally:
        if previous is not None:  # a caller in Python (a test) goes on with its own
            signal.signal(signal.SIGTERM, previous)
        if ctrl_c:
            signal.signal(signal.SIGINT, signal.default_int_handler)


# The exit code of a command stopped as by Ctrl-C: 130, or SIGTERM's 143 when that stopped it.
_STOPPED_BY = [CTRL_C_EXIT]


def _stop_as_ctrl_c(signum: int, frame) -> None:
    """SIGTERM (kill, systemd, docker stop, a CI job's timeout) stops a command as Ctrl-C does:
    it died at once, and `eval` and `compare` exited without saying what their work logs kept,
    `rate` without its closing line. Training sets its own handler for its loop (the last
    complete step is kept), and uvicorn its own while `serve` and `rate` serve (raising the
    signal again once stopped). A torchrun process keeps the default: torchrun's SIGTERM stops
    rank 0's loop, and the others die at once, as the loop expects."""
    if _in_finalizer(frame):
        _again_soon(signum)
        return
    _STOPPED_BY[0] = SIGTERM_EXIT
    raise SigtermAsCtrlC


def _ctrl_c(signum: int, frame) -> None:
    """Python's own Ctrl-C, but never lost in a finalizer (see `_in_finalizer`)."""
    if _in_finalizer(frame):
        _again_soon(signum)
        return
    raise KeyboardInterrupt


def _in_finalizer(frame) -> bool:
    """Whether the signal came inside a `__del__`, where Python ignores what its handler raises
    ("Exception ignored in: SetBase.__del__", regex's, as transformers loaded): a Ctrl-C in a
    command's first seconds was lost so, and `tunelab train` ran on for thousands of steps."""
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _again_soon(signum: int) -> None:
    """The signal delivered again a moment later, once the finalizer has returned."""
    import threading

    threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()


def _stopped(err: BaseException) -> NoReturn:
    """Exit as stopped (`tunelab_entry.exit_interrupted`), with one line after a Ctrl-C: what a
    work log keeps for the rerun, or that the command was interrupted (it exited 130 without a
    word, `data split` of a big file too); none when the command has said it: its
    KeyboardInterrupt carries the words (train, judge, export), or it exited 130 itself (train,
    after saying where it stopped)."""
    stops = [e for e in error_chain(err) if isinstance(e, KeyboardInterrupt)]
    said = (isinstance(err, SystemExit) and not stops) or any(stop.args for stop in stops)
    # Only a command that opened a work log has one to speak of, and it imported the module.
    # Importing it here imports torch, which a Ctrl-C in a command's first second had cut short
    # mid-import: importing it again crashed (a traceback, or a segfault) instead of exiting 130.
    work_log = sys.modules.get("tunelab.work_log")
    again = f"`{shlex.join(['tunelab', *sys.argv[1:]])}`"  # the command as typed
    kept = work_log.interrupted(again) if work_log and not said else None  # eval, compare, bench
    exit_interrupted(kept, said=said, code=_STOPPED_BY[0], say=_say_yellow)


def _say_yellow(line: str) -> None:
    Console(stderr=True).print(f"[yellow]{escape(line)}[/]", soft_wrap=True)


if __name__ == "__main__":
    main()
