"""Compiling tunelab's CPU kernels on first use (tunelab/kernels/build.py): turned off, failing,
or stopped halfway, tunelab goes on without them and says why in one line."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest
import torch
import torch.utils.cpp_extension  # the loader imports it on first use; the tests patch it first

from tunelab.kernels import OneDnnLinear, build


def test_turned_off_or_failing_to_compile_the_kernels_are_done_without(monkeypatch, caplog):
    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.setenv("TUNELAB_KERNELS", "0")
    assert not build.available()

    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.delenv("TUNELAB_KERNELS")

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
    # It was silent for up to WAIT_S (120 s), then said only that it gave up.
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
    assert f"compiling the CPU kernels in {tmp_path} (up to 120 s; then this one goes on" in said
    assert len(calls) == 1  # then compiled (here: loaded) as usual


def test_an_old_lock_of_torchs_own_is_taken_as_stale(monkeypatch, tmp_path):
    calls = _fake_build(monkeypatch, tmp_path)
    lock = tmp_path / "lock"
    lock.touch()
    old = __import__("time").time() - build.STALE_S - 5
    __import__("os").utime(lock, (old, old))
    assert build.available() and len(calls) == 1 and not lock.exists()


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
