"""The one error type for mistakes a user can cause and fix (bad file, unknown model, bad config),
and a path the user gave looked for without a PermissionError (`exists`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


class TunelabError(Exception):
    """A user-facing error: its message names the file, line or field and what to do."""


class SigtermAsCtrlC(KeyboardInterrupt):
    """SIGTERM (kill, systemd, a CI timeout), which `tunelab` turns into a Ctrl-C so that a command
    keeps and says what it would on Ctrl-C; unlike a keypress, no prompt may shrug it off."""


def first_few(items: list[str], shown: int = 3) -> str:
    """The first `shown` of `items`, then how many more: a long list named in one message."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def one_line(err: BaseException) -> str:
    """A library's error message on one line, to quote inside ours (its type's name if empty)."""
    return " ".join(str(err).split()) or type(err).__name__


def error_chain(err: BaseException | None) -> Iterator[BaseException]:
    """`err`, then what it was raised from or while handling, and so on (each once)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        yield err
        seen.add(id(err))
        err = err.__cause__ or err.__context__


def cut_short_by_ctrl_c(err: BaseException) -> bool:
    """Whether `err` came of a Ctrl-C: a library that wraps what its import raised (transformers'
    lazy modules turn a KeyboardInterrupt into "Could not import module 'PreTrainedModel'")
    keeps the KeyboardInterrupt as its cause or context."""
    return any(isinstance(e, KeyboardInterrupt) for e in error_chain(err))


def broken_link(path: str | Path) -> str:
    """ " (a symbolic link to X, which is not there)" for a path that is a link whose target is
    gone (moved, unmounted, or a loop of links), else "": a plain "no such file or folder" beside
    an `ls` that lists the name, and a "did you mean" offering the name typed, misled."""
    try:
        target = os.readlink(path)
    except OSError:  # not a link, or not there at all
        return ""
    return f" (a symbolic link to {target}, which is not there)"


def exists(path: str | Path) -> bool:
    """Whether `path` is there, for a path the user gave (a model, a run, a data file): one
    inside a folder this user may not enter cannot be looked for, and is refused naming that
    folder, not with a PermissionError's traceback."""
    try:
        return Path(path).exists()
    except PermissionError:
        above = reversed(Path(path).parents)
        shut = next((p for p in above if not os.access(p, os.X_OK)), Path(path).parent)
        raise TunelabError(
            f"{path}: cannot look for it: permission denied on the folder {shut}/, which this "
            f"user may not enter. Give a path outside it, or ask its owner (ls -ld {shut}) for access"
        ) from None
