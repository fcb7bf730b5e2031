"""The `tunelab` command's entry point, outside the tunelab package, and `python -m tunelab`'s
(tunelab/__main__.py calls it). Importing the package (its Python API: pydantic, the configs)
and then the commands (torch, transformers: seconds) happens inside the try here: an entry
point in the package ran the package's import before any of its code, and Ctrl-C in that first
moment printed a KeyboardInterrupt traceback. It exits 130 with one line, as Ctrl-C does later."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from tunelab.cli import main as run_command
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)  # as `tunelab.cli.main` says it after loading
        sys.exit(130)
    run_command()


if __name__ == "__main__":
    main()
