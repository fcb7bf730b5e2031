"""A LoRA run and its answers look nothing up on the network on a machine online by its settings
(no HF_HUB_OFFLINE), as a user's is. Where bitsandbytes is installed, peft imports it, and on a
CPU with AVX-512 BF16 its import asked huggingface.co for a kernel to download: a DNS lookup
from every LoRA command (tunelab.models.load.import_bitsandbytes_offline). Each command runs in a
fresh interpreter, as the `tunelab` script does, so nothing the suite imported hides it."""

from __future__ import annotations

import os
import subprocess
import sys

# The command as the `tunelab` script runs it, with every DNS lookup listed on stderr at exit.
# Not test_cli_startup's RUN_COMMAND: that one swallows SystemExit, and the exit code is checked.
COUNTING_LOOKUPS = """
import atexit, socket, sys
looked_up = []
real = socket.getaddrinfo
def counted(host, *args, **kwargs):
    looked_up.append(host)
    return real(host, *args, **kwargs)
socket.getaddrinfo = counted
atexit.register(lambda: print("LOOKED UP", sorted(set(map(str, looked_up))), file=sys.stderr))
from tunelab.cli import main
sys.argv = ["tunelab", *sys.argv[1:]]
main()
"""


def tunelab(*args: str) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    return subprocess.run(
        [sys.executable, "-c", COUNTING_LOOKUPS, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_training_lora_and_answering_with_it_look_nothing_up(tmp_path, qa_file):
    trained = tunelab(
        "train",
        "--set", "model.name=tiny-random",
        "--set", f"data.path={qa_file}",
        "--set", "data.test_size=2",
        "--set", "train.max_steps=1",
        "--set", "name=lora",
        "--set", f"output_dir={tmp_path}",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "LOOKED UP []" in trained.stderr, trained.stderr[-1000:]
    answered = tunelab("generate", str(tmp_path / "lora"), "What color is the sky?",
                       "--max-new-tokens", "2")  # fmt: skip
    assert answered.returncode == 0, answered.stderr[-3000:]
    assert "LOOKED UP []" in answered.stderr, answered.stderr[-1000:]
    # Nor does either say the hub is "in offline mode" (the switch above, not the user's).
    for said in (trained.stderr, answered.stderr):
        assert "publisher trust check" not in said, said[-1000:]


def test_the_hub_setting_is_given_back_after_the_import(monkeypatch):
    # Switched off for bitsandbytes' import only: a hub model the user names still downloads.
    from huggingface_hub import constants

    from tunelab.models.load import import_bitsandbytes_offline

    for setting in (False, True):
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", setting)
        import_bitsandbytes_offline()
        assert constants.HF_HUB_OFFLINE is setting
