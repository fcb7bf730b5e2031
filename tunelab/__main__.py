"""`python -m tunelab`, and the `tunelab` command once tunelab_entry (outside the package, so
that Ctrl-C while the package itself loads is caught too) has imported the package. Loading the
commands takes seconds (torch, transformers): Ctrl-C during that is the exit of 130 that Ctrl-C
gives anywhere later, not a traceback."""

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
