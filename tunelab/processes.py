"""Other processes of this machine, as runs, checkpoints and the kernels' build lock ask of them,
and the signals they send this one."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def pid_running(pid: int) -> bool:
    """Whether a process of this machine with that pid runs (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def handle_signal(signum: int, handler: Callable):
    """Install `handler` for `signum`; the handler it replaces, None outside the main thread
    (where signals are left alone)."""
    try:
        return signal.signal(signum, handler)
    except ValueError:
        return None


def restore_signal(signum: int, previous) -> None:
    if previous is not None:
        signal.signal(signum, previous)


@contextmanager
def sigterm_cleans_up() -> Iterator[None]:
    """SIGTERM (kill, docker stop, a timeout) inside is raised as KeyboardInterrupt, so the code
    that removes a half-written output on Ctrl-C runs for it too; then the process ends by that
    SIGTERM, as it would have at once (a killed `tunelab export` left a 538 MB `out.part1234/`
    folder, or `model.gguf.part`). A second SIGTERM lets that cleanup finish."""
    received = False

    def handle(signum, frame) -> None:
        nonlocal received
        if not received:
            received = True
            raise KeyboardInterrupt

    previous = handle_signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        restore_signal(signal.SIGTERM, previous)
        if received:
            os.kill(os.getpid(), signal.SIGTERM)
