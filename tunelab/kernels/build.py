"""tunelab's own CPU kernels (thin.cpp: decoding's products; attention.cpp: training's attention
inside short documents; transpose.cpp: the output gradient turned for weight gradients;
swiglu.cpp: the MLP's silu(gate) * up, forward and backward; rms_norm.cpp: Llama's RMSNorm,
forward and backward; dropout.cpp: LoRA's dropout, its mask from a counter-based generator),
compiled together the first time a process needs one (~30 s, with the C++ compiler torch
extensions use; cached under ~/.cache/torch_extensions, or TORCH_EXTENSIONS_DIR, in a folder named
by the sources' text, torch's and Python's versions and the flags, so that every checkout and venv
with the same ones loads the first one's build and compiles nothing). Each has AVX-512 code
and, but for transpose, AVX2 code, picked per call by what the CPU runs. Where they
cannot be (no compiler, not an x86-64 CPU, or TUNELAB_KERNELS=0), decoding keeps oneDNN's
packed kernel and training torch's attention, copies, SwiGLU, norms and dropout: slower, the
same model (dropout: other masks, as likely)."""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import torch

from tunelab.processes import pid_running

SOURCES = [
    Path(__file__).with_name(name)
    for name in (
        "thin.cpp",
        "attention.cpp",
        "transpose.cpp",
        "swiglu.cpp",
        "rms_norm.cpp",
        "dropout.cpp",
    )
]
# Included by the sources, so part of their text: a change to one compiles anew.
HEADERS = [Path(__file__).with_name(name) for name in ("isa.h", "attention_avx2.h")]

log = logging.getLogger(__name__)
WITHOUT_THEM = "decoding uses oneDNN's products and training torch's attention, slower"
# What the compile takes, said before it starts: "~30 s" alone was said where 2 cores shared with
# other jobs took 149 s (a 120-row LoRA walk, 2026-12-06; 124 s for a fresh clone's build).
COMPILE_TIME = "~30 s on idle cores, 2-3 minutes on 2 busy ones"
_lock = threading.Lock()
_loaded: bool | None = None


def available() -> bool:
    """Whether the kernel is compiled and loaded (compiling it on the first call)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load()
        return _loaded


def _load() -> bool:
    if os.environ.get("TUNELAB_KERNELS", "1") == "0":
        return False
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    from torch.utils import cpp_extension

    name = _name()
    try:
        folder = Path(cpp_extension._get_build_directory(name, verbose=False))
        library = folder / f"{name}.so"
        if not library.exists():
            log.warning("tunelab: compiling its CPU kernels, once (%s)", COMPILE_TIME)
        if not _lock_free(folder):
            return False
        if not _load_built(library):
            with _said_while_compiling():
                _compile(name, folder, cpp_extension)
    except Exception as error:  # no compiler, no headers: decoding still works, slower
        log.warning(
            "tunelab: its CPU kernels did not compile (%s); %s",
            _reason(str(error)) or type(error).__name__,
            WITHOUT_THEM,
        )
        return False
    return torch.ops.tunelab_thin.best_isa() > 0


CFLAGS = ["-O3", "-fopenmp"]
LDFLAGS = ["-fopenmp"]


def _name() -> str:
    """The build's name, one per source text, torch and Python version and flags: an upgrade of
    any of them compiles anew instead of loading a stale build (TORCH_EXTENSIONS_DIR holds every
    Python's), and the checkout's path is no part of it."""
    python = f"py{sys.version_info.major}{sys.version_info.minor}"
    given = b"".join(source.read_bytes() for source in [*SOURCES, *HEADERS])
    given += " ".join([torch.__version__, python, *CFLAGS, "/", *LDFLAGS]).encode()
    return "tunelab_kernels_" + hashlib.sha256(given).hexdigest()[:12]


def _load_built(library: Path) -> bool:
    """Whether a build of these sources was there and loaded. torch's builder would rerun ninja,
    which compiles everything again whenever build.ninja names other paths (another checkout's
    sources, another venv's torch headers): checkouts sharing one build folder took turns
    recompiling it (~100 s each)."""
    if not library.exists():
        return False
    try:
        torch.ops.load_library(str(library))
    except OSError as error:  # cut short by a stopped link: torch's builder links it again
        log.warning(
            "tunelab: %s did not load (%s); compiling it again (%s)", library, error, COMPILE_TIME
        )
        return False
    return True


def _compile(name: str, folder: Path, cpp_extension) -> None:
    """Compile the kernels into `folder` and load them, holding the lock torch's builder takes."""
    _ninja_on_path()
    owner = folder / OWNER
    owner.write_text(str(os.getpid()), encoding="utf-8")
    # torch's builder warns at length about a compiler not named g++; one that fails is
    # named in the warning below, and tunelab goes on either way.
    builder_log = logging.getLogger(cpp_extension.__name__)
    level = builder_log.level
    builder_log.setLevel(logging.ERROR)
    try:
        cpp_extension.load(
            name=name,
            sources=[str(source) for source in SOURCES],
            extra_cflags=CFLAGS,
            extra_ldflags=LDFLAGS,
            is_python_module=False,
            verbose=False,
        )
    finally:
        builder_log.setLevel(level)
        owner.unlink(missing_ok=True)


# Piped to a log, a compile in progress says so this often: on 2 busy cores it took 149 s with
# no line after the one before it, and a user took it for a hang.
STILL_COMPILING_S = 30.0


@contextmanager
def _said_while_compiling() -> Iterator[None]:
    """A live line while the kernels compile: on a terminal rich's spinner with the time spent,
    piped (nohup, CI) a line every STILL_COMPILING_S, as training's piped progress says its time,
    and so under another live display (compare's bars: a second one would garble both), whose
    redirected stderr prints the lines above it. rich is imported here, where a compile begins:
    a cached build loads without it, silent."""
    from rich.console import Console

    from tunelab.progress import draws_live, elapsed_said

    console, started, done = Console(stderr=True), time.monotonic(), threading.Event()

    def spent() -> str:
        return elapsed_said(time.monotonic() - started)

    def spinning() -> str:
        return f"compiling tunelab's CPU kernels ({spent()}; {COMPILE_TIME})"

    if draws_live(console):
        shown, every = console.status(spinning()), 1.0

        def say() -> None:
            shown.update(spinning())
    else:
        shown, every = nullcontext(), STILL_COMPILING_S

        def say() -> None:
            log.warning("tunelab: still compiling its CPU kernels (%s)", spent())

    def beat() -> None:
        while not done.wait(every):
            say()

    heartbeat = threading.Thread(target=beat, name="tunelab-compiling", daemon=True)
    with shown:
        heartbeat.start()
        try:
            yield
        finally:
            done.set()
            heartbeat.join()


# torch's builder holds `lock` in the build folder while it compiles and waits, with no end, for
# a lock it finds. A compile stopped by SIGTERM or SIGKILL (a timeout, a CI cancel) leaves the
# lock behind, and every later process would hang on it: tunelab writes its own pid beside it,
# so that a lock whose compiling process is gone can be told from one still in use.
OWNER = "tunelab-compiling.pid"
# A lock without tunelab's pid file (torch's own build of the same name) is taken as stale once
# this old: the compile takes ~20 s.
STALE_S = 300
# A live compile is waited for this long: ~30 s idle, but 124 s on 2 busy cores (a fresh clone's
# build, by its ninja log), past the 120 s waited before; and a run going on without the kernels
# is slower for all of its length.
WAIT_S = 600


def _lock_free(folder: Path) -> bool:
    """Whether the build folder's lock is gone (or was stale, and is removed); False, with a
    warning, if another live process has held it for WAIT_S. The wait is said as it begins:
    up to WAIT_S without a word looked like a hang."""
    lock, owner = folder / "lock", folder / OWNER
    deadline = time.monotonic() + WAIT_S
    said = False
    while lock.exists():
        try:
            pid = int(owner.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pid = None
        try:
            age = time.time() - lock.stat().st_mtime
        except FileNotFoundError:
            break
        if (pid is not None and not pid_running(pid)) or (pid is None and age > STALE_S):
            log.warning("tunelab: removing %s, left by a compile that was stopped", lock)
            lock.unlink(missing_ok=True)
            owner.unlink(missing_ok=True)
            break
        if not said:
            log.warning(
                "tunelab: waiting for another tunelab process %scompiling the CPU kernels in %s "
                "(up to %.0f s; then this one goes on without them, slower)",
                "" if pid is None else f"(pid {pid}) ",
                folder,
                WAIT_S,
            )
            said = True
        if time.monotonic() > deadline:
            log.warning(
                "tunelab: another process has been compiling tunelab's CPU kernels for %.0f s "
                "(%s); this one goes on without them: %s (a later run loads them once compiled)",
                age,
                lock,
                WITHOUT_THEM,
            )
            return False
        time.sleep(0.2)
    return True


def _ninja_on_path() -> None:
    """torch's builder runs `ninja` from PATH: the one pip installed with tunelab is in the
    environment's bin folder, off PATH when `.venv/bin/tunelab` runs without the venv active."""
    try:
        import ninja
    except ImportError:
        return
    folder = getattr(ninja, "BIN_DIR", None)
    path = os.environ.get("PATH", "")
    if folder and folder not in path.split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([folder, path]) if path else folder


def _reason(error: str) -> str:
    """The line of a build's error that says what went wrong (the compiler's, not ninja's
    "build stopped")."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    said = [line for line in lines if re.search(r"error:|not found|no such file", line, re.I)]
    return (said or lines or [""])[0][:300]
