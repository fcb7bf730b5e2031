"""Compiling tunelab's CPU kernels on first use (tunelab/kernels/build.py): turned off, failing,
or stopped halfway, tunelab goes on without them and says why in one line."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
import torch.utils.cpp_extension  # the loader imports it on first use; the tests patch it first

from tunelab.kernels import OneDnnLinear, build


def test_turned_off_or_failing_to_compile_the_kernels_are_done_without(
    monkeypatch, tmp_path, caplog
):
    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.setenv("TUNELAB_KERNELS", "0")
    assert not build.available()

    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.delenv("TUNELAB_KERNELS")
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))  # no build there yet

    def no_compiler(**_):
        raise RuntimeError("Error building extension 'tunelab_thin'\ng++: not found")

    monkeypatch.setattr(torch.utils.cpp_extension, "load", no_compiler)
    builder_log = logging.getLogger("torch.utils.cpp_extension")
    level = builder_log.level
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert not build.available()
    assert builder_log.level == level  # quieted for the build only
    assert "g++: not found" in caplog.text and "uses oneDNN's" in caplog.text
    assert not OneDnnLinear(packed=True).thin


def _fake_build(monkeypatch, tmp_path):
    """The loader pointed at an empty build folder, with a compile that only records the call."""
    # The real kernels loaded first: a fake build compiles nothing, and the loader then asks the
    # loaded ops what the CPU runs.
    if not build.available():
        pytest.skip("tunelab's kernels do not compile here")
    calls = []
    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.setattr(
        torch.utils.cpp_extension, "_get_build_directory", lambda name, verbose: str(tmp_path)
    )
    monkeypatch.setattr(torch.utils.cpp_extension, "load", lambda **kw: calls.append(kw))
    return calls


def test_a_lock_left_by_a_stopped_compile_is_removed_not_waited_on(monkeypatch, tmp_path, caplog):
    calls = _fake_build(monkeypatch, tmp_path)
    (tmp_path / "lock").touch()
    dead = __import__("subprocess").Popen(["true"])
    dead.wait()
    (tmp_path / build.OWNER).write_text(str(dead.pid), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert build.available()
    assert len(calls) == 1 and "left by a compile that was stopped" in caplog.text
    assert not (tmp_path / "lock").exists() and not (tmp_path / build.OWNER).exists()


def test_a_compile_running_elsewhere_is_waited_for_then_left(monkeypatch, tmp_path, caplog):
    calls = _fake_build(monkeypatch, tmp_path)
    monkeypatch.setattr(build, "WAIT_S", 0.3)
    (tmp_path / "lock").touch()
    (tmp_path / build.OWNER).write_text(str(__import__("os").getpid()), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert not build.available()
    assert calls == [] and "another process has been compiling" in caplog.text
    assert "goes on without them: decoding uses oneDNN's products" in caplog.text
    assert (tmp_path / "lock").exists()  # not ours to remove


def test_waiting_for_a_compile_elsewhere_is_said_as_it_begins(monkeypatch, tmp_path, caplog):
    # It was silent for up to WAIT_S (then 120 s), then said only that it gave up.
    calls = _fake_build(monkeypatch, tmp_path)
    lock = tmp_path / "lock"
    lock.touch()
    (tmp_path / build.OWNER).write_text(str(os.getpid()), encoding="utf-8")
    finished = threading.Timer(0.5, lock.unlink)  # the other compile ends
    finished.start()
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert build.available()
    finished.join()
    said = caplog.text
    assert f"waiting for another tunelab process (pid {os.getpid()}) " in said
    assert f"compiling the CPU kernels in {tmp_path} (up to 600 s; then this one goes on" in said
    assert len(calls) == 1  # then compiled (here: loaded) as usual


def test_an_old_lock_of_torchs_own_is_taken_as_stale(monkeypatch, tmp_path):
    calls = _fake_build(monkeypatch, tmp_path)
    lock = tmp_path / "lock"
    lock.touch()
    old = __import__("time").time() - build.STALE_S - 5
    __import__("os").utime(lock, (old, old))
    assert build.available() and len(calls) == 1 and not lock.exists()


def test_checkouts_with_the_same_sources_share_one_build_compiled_once(monkeypatch, tmp_path):
    # Two clones of one project took turns compiling the one build folder their sources name
    # (~100 s each): torch's builder wrote each clone's source paths into its build.ninja.
    if not build.available():  # the real kernels loaded: the loader asks them what the CPU runs
        pytest.skip("tunelab's kernels do not compile here")
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "extensions"))
    compiled, loaded = [], []

    def compile_into_the_build_folder(name, sources, **_):
        compiled.append(sources)
        folder = Path(torch.utils.cpp_extension._get_build_directory(name, verbose=False))
        (folder / f"{name}.so").write_bytes(b"built")

    monkeypatch.setattr(torch.utils.cpp_extension, "load", compile_into_the_build_folder)
    monkeypatch.setattr(torch.ops, "load_library", loaded.append)
    sources, headers = build.SOURCES, build.HEADERS
    for checkout in ("dev-clone", "ci-clone"):
        kernels = tmp_path / checkout / "tunelab" / "kernels"
        kernels.mkdir(parents=True)
        copies = [Path(shutil.copy(source, kernels)) for source in [*sources, *headers]]
        monkeypatch.setattr(build, "SOURCES", copies[: len(sources)])
        monkeypatch.setattr(build, "HEADERS", copies[len(sources) :])
        monkeypatch.setattr(build, "_loaded", None)
        assert build.available()
    assert len(compiled) == 1 and "dev-clone" in compiled[0][0]
    assert len(loaded) == 1 and loaded[0].endswith(".so")  # the ci clone loaded the dev one's


def test_a_library_cut_short_by_a_stopped_link_is_compiled_again(monkeypatch, tmp_path, caplog):
    calls = _fake_build(monkeypatch, tmp_path)
    (tmp_path / f"{build._name()}.so").write_bytes(b"\x7fELF")
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert build.available()
    assert len(calls) == 1 and "did not load" in caplog.text


def test_a_first_compile_says_it_can_take_minutes_on_busy_cores(monkeypatch, tmp_path, caplog):
    # "once (~30 s)" was said where 2 cores shared with other jobs compiled for 149 s, with no
    # other line meanwhile: the estimate is the one a user sees before the wait.
    calls = _fake_build(monkeypatch, tmp_path)
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert build.available()
    assert len(calls) == 1
    assert "compiling its CPU kernels, once (~30 s on idle cores, 2-3 minutes" in caplog.text


def test_a_compile_says_it_is_still_compiling_and_a_cached_build_says_nothing(
    monkeypatch, tmp_path, caplog
):
    # Piped, a first compile said one line, then nothing for the 149 s it took on 2 busy cores:
    # a user took it for a hang. Here a compile of half a second, said every 0.05 s instead of 30 s.
    _fake_build(monkeypatch, tmp_path)
    monkeypatch.setattr(build, "STILL_COMPILING_S", 0.05)

    def slow_compile(name, **_):
        time.sleep(0.5)
        (tmp_path / f"{name}.so").write_bytes(b"built")

    monkeypatch.setattr(torch.utils.cpp_extension, "load", slow_compile)
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert build.available()
    said = caplog.messages
    assert said[0].startswith("tunelab: compiling its CPU kernels, once (~30 s on idle cores")
    assert len(said) > 1 and set(said[1:]) == {
        "tunelab: still compiling its CPU kernels (0:00 elapsed)"
    }

    # The next process finds the build and loads it: no compile, not a word.
    caplog.clear()
    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.setattr(torch.ops, "load_library", lambda path: None)
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.build"):
        assert build.available()
    assert caplog.messages == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_compile_shows_a_spinner_with_its_time(monkeypatch, tmp_path):
    _fake_build(monkeypatch, tmp_path)
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(torch.utils.cpp_extension, "load", lambda **_: time.sleep(0.3))
    assert build.available()
    shown = sys.stderr.getvalue()
    assert "compiling tunelab's CPU kernels (0:00 elapsed; ~30 s on idle cores" in shown


def test_every_header_the_kernels_include_is_part_of_the_builds_name():
    # A header left out of the name was compiled once: an edit to it loaded the stale build.
    included = set()
    for source in [*build.SOURCES, *build.HEADERS]:
        included |= set(re.findall(r'#include "([^"]+)"', source.read_text(encoding="utf-8")))
    assert included <= {header.name for header in build.HEADERS}


def test_a_torch_upgrade_compiles_anew_instead_of_loading_the_old_build(monkeypatch):
    before = build._name()
    monkeypatch.setattr(torch, "__version__", "9.9.9+cpu")
    assert build._name() != before


def test_a_failed_build_is_named_by_the_compilers_error_line():
    log = (
        "Error building extension 'tunelab_thin_x': [1/2] c++ -c thin.cpp\n"
        "FAILED: thin.o\nthin.cpp:3:10: fatal error: immintrin.h: No such file or directory\n"
        "compilation terminated.\nninja: build stopped: subcommand failed."
    )
    assert build._reason(log).startswith("thin.cpp:3:10: fatal error: immintrin.h")
    assert build._reason("Error building extension 'x'\nsomething else") == (
        "Error building extension 'x'"
    )


def test_the_ninja_pip_installed_is_found_without_the_venv_on_path(monkeypatch):
    ninja = pytest.importorskip("ninja")
    monkeypatch.setenv("PATH", "/usr/local/nonexistent")
    build._ninja_on_path()
    assert __import__("shutil").which("ninja", path=__import__("os").environ["PATH"]) == str(
        Path(ninja.BIN_DIR) / "ninja"
    )
