"""The `tunelab` command's entry point, outside the tunelab package, and `python -m tunelab`'s
(tunelab/__main__.py calls it). Importing the package (its Python API: pydantic, the configs)
and then the commands (torch, transformers: seconds) happens inside the try here: an entry
point in the package ran the package's import before any of its code, and Ctrl-C in that first
moment printed a KeyboardInterrupt traceback. It exits 130 with one line, as Ctrl-C does later:
`exit_interrupted`, which `tunelab.cli.main` calls too. This module imports nothing but sys."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing's import, a few ms, kept out of the moment before the try
    from collections.abc import Callable
    from typing import NoReturn

CTRL_C_EXIT = 130  # what shells expect of a command Ctrl-C stopped
SIGTERM_EXIT = 143  # and of one SIGTERM stopped (a timeout, a CI cancel)


def exit_interrupted(
    kept: str | None = None,
    *,
    said: bool = False,
    code: int = CTRL_C_EXIT,
    say: Callable[[str], None] | None = None,
) -> NoReturn:
    """End a command stopped by Ctrl-C: one line on stderr, no traceback, exit `code`. The line is
    `kept` (what the command's work log keeps for a rerun) or "interrupted"; none where the
    command has `said` it. `say` prints it (the command line's, in colour); plain print here, as
    a Ctrl-C may have cut an import short."""
    if not said:
        (say or _to_stderr)(kept or "interrupted")
    sys.exit(code)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def main() -> None:
    try:
        from tunelab.cli import main as run_command
    except KeyboardInterrupt:
        exit_interrupted()
    run_command()


if __name__ == "__main__":
    main()
