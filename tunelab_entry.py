"""The `tunelab` command's entry point, outside the tunelab package: importing the package
(its Python API: pydantic, the configs, a third of the commands' load) is inside the try here,
where an entry point in the package ran it before any of its code. Ctrl-C in that first moment
printed a KeyboardInterrupt traceback; it exits 130 with one line, as Ctrl-C does later."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from tunelab.__main__ import main as load_and_run  # catches Ctrl-C while the CLI loads
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)  # as `tunelab.cli.main` says it after loading
        sys.exit(130)
    load_and_run()


if __name__ == "__main__":
    main()
