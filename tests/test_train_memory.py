"""What a run costs in memory is written down: each metrics.jsonl row holds the peak so far, and
the end of the run prints it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from tests.conftest import tiny_config
from tunelab.train import loop, session
from tunelab.train.memory import describe_peak, peak_memory


def test_each_step_records_the_peak_memory_and_the_end_prints_it(tmp_path, qa_file, capsys):
    config = tiny_config(tmp_path, qa_file, max_steps=3)
    run = loop.train(config)
    steps = [json.loads(line) for line in (run / "metrics.jsonl").open()]
    peaks = [r["peak_rss_gib"] for r in steps if "loss" in r]
    assert len(peaks) == 3 and 0 < peaks[0] <= peaks[-1] < 64  # a peak never goes down
    printed = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert f"peak memory {peaks[-1]:.1f} GiB RSS" in printed


def test_the_gpu_peak_is_named_beside_the_rss():
    assert "peak_gpu_gib" not in peak_memory(torch.device("cpu"))
    text = describe_peak({"peak_rss_gib": 5.56, "peak_gpu_gib": 3.04})
    assert text == "peak memory 5.6 GiB RSS, 3.0 GiB on the GPU"


def test_a_run_started_from_a_large_process_reports_its_own_peak():
    # Linux's ru_maxrss survives fork and exec: the child would report this process's size.
    ballast = bytearray(1 << 30)  # 1 GiB, touched so it is resident
    ballast[::4096] = b"x" * len(ballast[::4096])
    code = "import torch; from tunelab.train.memory import peak_memory as p; print(p(torch.device('cpu'))['peak_rss_gib'])"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(child.stdout) < 0.9  # torch imported: well under the 1 GiB parent
    del ballast


_REUSE = """
import resource, sys
from tunelab.train.memory import keep_freed_memory
if sys.argv[1] == "keep":
    keep_freed_memory()
for _ in range(2):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [bytearray(100_000) for _ in range(2000)]  # 200 MB from the heap, each written
    del blocks
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(faults)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_kept_freed_memory_is_not_faulted_in_again():
    # A training step asks again for what the one before it freed; handed back to the system,
    # those pages fault in again (glibc trims its heap's top when freed memory there is large).
    def second_round_faults(mode: str) -> int:
        child = subprocess.run(
            [sys.executable, "-c", _REUSE, mode], capture_output=True, text=True, check=True
        )
        return int(child.stdout)

    plain, kept = second_round_faults("plain"), second_round_faults("keep")
    assert plain > 40_000  # ~200 MB of 4 KiB pages faulted in again
    assert kept < plain // 10


@pytest.mark.parametrize("return_freed", [False, True])
def test_a_cpu_run_keeps_freed_memory_unless_told_to_return_it(
    tmp_path, qa_file, monkeypatch, return_freed
):
    calls = []
    monkeypatch.setattr(session, "keep_freed_memory", lambda: calls.append("keep"))
    monkeypatch.setattr(session, "release_freed_memory", lambda: calls.append("release"))
    config = tiny_config(tmp_path, qa_file, max_steps=1)
    config = config.model_copy(
        update={"train": config.train.model_copy(update={"return_freed_memory": return_freed})}
    )
    loop.train(config)
    assert calls == (["release"] if return_freed else ["keep"])
