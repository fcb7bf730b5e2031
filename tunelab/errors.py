"""The one error type for mistakes a user can cause and fix (bad file, unknown model, bad config),
a path the user gave looked for without a PermissionError (`exists`), and a file that is no UTF-8
said one way by every reader of one (`undecoded`, `not_utf8`)."""

from __future__ import annotations

import os
import shlex
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


def is_utf16(start: bytes) -> bool:
    """Whether a file starting with these bytes is UTF-16 (its byte-order mark)."""
    return start[:2] in (b"\xff\xfe", b"\xfe\xff")


def utf16_said(path: Path) -> str:
    return f"{path}: not UTF-8 text but UTF-16; re-save the file as UTF-8"


def not_utf8(path: Path, line: int, byte: int, at: int | None = None) -> str:
    """How every reader says a file is no UTF-8 (a data file, a document, a config, a benchmark's
    CSV): where (its line, the byte and where it stands) and how to mend it: re-saved, or a
    legacy encoding's text (Latin-1, Windows-1252) converted by iconv, its path shell-quoted (a
    path with a space pastes whole)."""
    where = f"byte {byte:#04x}" + (f" at byte {at}" if at is not None else "")
    spreadsheet = (
        " (a spreadsheet's 'CSV UTF-8')" if path.suffix.lower() in (".csv", ".tsv") else ""
    )
    return (
        f"{path}:{line}: not UTF-8 text ({where}); re-save the file as UTF-8{spreadsheet}, or "
        f"convert it from Latin-1: iconv -f latin1 -t utf-8 {shlex.quote(str(path))} > "
        f"converted{path.suffix}"
    )


def undecoded(path: Path, data: bytes, err: UnicodeDecodeError) -> str:
    """`not_utf8` for a file's bytes that failed to decode as UTF-8 (UTF-16 named as such)."""
    if is_utf16(data):
        return utf16_said(path)
    line = data.count(b"\n", 0, err.start) + 1  # where to look, in an editor
    return not_utf8(path, line, data[err.start], err.start)
