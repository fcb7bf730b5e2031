"""Other processes of this machine, as runs, checkpoints and the kernels' build lock ask of them,
and the signals they send this one."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
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

    if threading.current_thread() is not threading.main_thread():  # signals are the main's
        yield
        return
    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        # None: a handler set outside Python, which cannot be put back; the default ends the process
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
        if received:
            os.kill(os.getpid(), signal.SIGTERM)
