"""Other processes of this machine, as runs, checkpoints and the kernels' build lock ask of them."""

from __future__ import annotations

import os


def pid_running(pid: int) -> bool:
    """Whether a process of this machine with that pid runs (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
