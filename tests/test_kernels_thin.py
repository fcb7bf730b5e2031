"""tunelab's decoding kernel (tunelab/kernels/thin.cpp): the products of torch's linear, and each
row's result the same whatever shares its call, so that a reply does not depend on its batch."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tunelab.kernels import OneDnnLinear, thin, uses_onednn

pytestmark = pytest.mark.skipif(
    not thin.available(), reason="tunelab's decoding kernel does not compile or run here"
)


def _reference(x, weight, bias=None):
    out = x.double() @ weight.double().T
    return (out if bias is None else out + bias.double()).float()


@pytest.mark.parametrize(
    "rows, n, k", [(1, 576, 576), (8, 192, 576), (5, 50, 37), (17, 33, 64), (70, 1, 5), (3, 40, 1)]
)
@pytest.mark.parametrize("with_bias", [False, True])
def test_products_are_the_linear_layers(rows, n, k, with_bias):
    torch.manual_seed(rows * n + k)
    x, weight = torch.randn(rows, k), torch.randn(n, k)
    bias = torch.randn(n) if with_bias else None
    got = thin.linear(x, thin.pack(weight), n, bias)
    torch.testing.assert_close(got, _reference(x, weight, bias), rtol=1e-5, atol=1e-5 * k**0.5)


def test_a_row_is_the_same_alone_in_any_batch_on_any_thread_count():
    torch.manual_seed(0)
    weight, bias = torch.randn(100, 96), torch.randn(100)
    packed = thin.pack(weight)
    # Past 8 rows the sum is taken in parts (8 < rows <= 32), past 32 whole again.
    x = torch.randn(40, 96)
    alone = torch.cat([thin.linear(x[i : i + 1], packed, 100, bias) for i in range(40)])
    threads = torch.get_num_threads()
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            for rows in (2, 3, 7, 8, 9, 16, 20, 32, 33, 40):
                assert torch.equal(thin.linear(x[:rows], packed, 100, bias), alone[:rows]), rows
    finally:
        torch.set_num_threads(threads)


@pytest.mark.skipif(
    thin.available() and thin.best_isa() < thin.AVX512, reason="this CPU has no AVX-512"
)
def test_the_avx2_and_avx512_paths_agree_bit_for_bit():
    torch.manual_seed(1)
    weight, x = torch.randn(70, 600), torch.randn(11, 600)
    packed = thin.pack(weight)
    assert torch.equal(
        thin.linear(x, packed, 70, isa=thin.AVX2), thin.linear(x, packed, 70, isa=thin.AVX512)
    )


def test_batched_inputs_keep_their_shape():
    x, weight = torch.randn(2, 3, 16), torch.randn(8, 16)
    got = thin.linear(x, thin.pack(weight), 8)
    assert got.shape == (2, 3, 8)
    torch.testing.assert_close(got, _reference(x, weight))


def test_a_weight_of_other_columns_is_refused():
    with pytest.raises(RuntimeError, match="columns"):
        thin.linear(torch.randn(2, 16), thin.pack(torch.randn(8, 12)), 8)


@pytest.mark.skipif(not uses_onednn(torch.zeros(1)), reason="this torch has no oneDNN linear")
@pytest.mark.parametrize("thin_kernel", [True, False])
def test_decoding_runs_the_thin_kernel_where_it_compiled_and_onednn_when_told(thin_kernel):
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(48, 32), requires_grad=False)
    x = torch.randn(8, 32)
    mode = OneDnnLinear(packed=True, thin_kernel=thin_kernel)
    with mode:
        batched, alone = F.linear(x, weight), F.linear(x[:1], weight)
    torch.testing.assert_close(batched, x @ weight.T)
    assert torch.equal(alone[0], batched[0])
    (copy,) = (held[2] for held in mode.packed.values())
    assert (copy.shape == (2, 32, 32)) == thin_kernel  # the thin kernel's panels of 32 columns


def test_turned_off_or_failing_to_compile_decoding_falls_back(monkeypatch, caplog):
    monkeypatch.setattr(thin, "_loaded", None)
    monkeypatch.setenv("TUNELAB_THIN_KERNEL", "0")
    assert not thin.available()

    monkeypatch.setattr(thin, "_loaded", None)
    monkeypatch.delenv("TUNELAB_THIN_KERNEL")

    def no_compiler(**_):
        raise RuntimeError("Error building extension 'tunelab_thin'\ng++: not found")

    monkeypatch.setattr(torch.utils.cpp_extension, "load", no_compiler)
    builder_log = logging.getLogger("torch.utils.cpp_extension")
    level = builder_log.level
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.thin"):
        assert not thin.available()
    assert builder_log.level == level  # quieted for the build only
    assert "g++: not found" in caplog.text and "uses oneDNN's" in caplog.text
    assert not OneDnnLinear(packed=True).thin


@pytest.mark.parametrize(
    "weight_shape, bias",
    [((40, 24), torch.ones(1)), ((40, 24), torch.ones(3, 40)), ((24,), None), ((5, 0), None)],
)
def test_what_the_packed_kernels_do_not_take_runs_as_torch_runs_it(weight_shape, bias):
    """A bias that broadcasts, a vector weight, no columns: F.linear's answers, not an error."""
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(weight_shape), requires_grad=False)
    x = torch.randn(3, weight_shape[-1])
    expected = F.linear(x, weight, bias)
    with OneDnnLinear(packed=True):
        got = F.linear(x, weight, bias)
    torch.testing.assert_close(got, expected)


def _fake_build(monkeypatch, tmp_path):
    """The loader pointed at an empty build folder, with a compile that only records the call."""
    calls = []
    monkeypatch.setattr(thin, "_loaded", None)
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
    (tmp_path / thin.OWNER).write_text(str(dead.pid), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.thin"):
        assert thin.available()
    assert len(calls) == 1 and "left by a compile that was stopped" in caplog.text
    assert not (tmp_path / "lock").exists() and not (tmp_path / thin.OWNER).exists()


def test_a_compile_running_elsewhere_is_waited_for_then_left(monkeypatch, tmp_path, caplog):
    calls = _fake_build(monkeypatch, tmp_path)
    monkeypatch.setattr(thin, "WAIT_S", 0.3)
    (tmp_path / "lock").touch()
    (tmp_path / thin.OWNER).write_text(str(__import__("os").getpid()), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tunelab.kernels.thin"):
        assert not thin.available()
    assert calls == [] and "another process has been compiling" in caplog.text
    assert (tmp_path / "lock").exists()  # not ours to remove


def test_an_old_lock_of_torchs_own_is_taken_as_stale(monkeypatch, tmp_path):
    calls = _fake_build(monkeypatch, tmp_path)
    lock = tmp_path / "lock"
    lock.touch()
    old = __import__("time").time() - thin.STALE_S - 5
    __import__("os").utime(lock, (old, old))
    assert thin.available() and len(calls) == 1 and not lock.exists()


def test_a_failed_build_is_named_by_the_compilers_error_line():
    log = (
        "Error building extension 'tunelab_thin_x': [1/2] c++ -c thin.cpp\n"
        "FAILED: thin.o\nthin.cpp:3:10: fatal error: immintrin.h: No such file or directory\n"
        "compilation terminated.\nninja: build stopped: subcommand failed."
    )
    assert thin._reason(log).startswith("thin.cpp:3:10: fatal error: immintrin.h")
    assert thin._reason("Error building extension 'x'\nsomething else") == (
        "Error building extension 'x'"
    )


def test_the_ninja_pip_installed_is_found_without_the_venv_on_path(monkeypatch):
    ninja = pytest.importorskip("ninja")
    monkeypatch.setenv("PATH", "/usr/local/nonexistent")
    thin._ninja_on_path()
    assert __import__("shutil").which("ninja", path=__import__("os").environ["PATH"]) == str(
        Path(ninja.BIN_DIR) / "ninja"
    )
