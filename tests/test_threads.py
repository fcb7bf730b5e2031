"""tunelab keeps torch's idle OpenMP threads from spinning long, so a machine shared with other
busy processes does not slow decoding many times over; a value the user set is kept."""

import os
import subprocess
import sys

# The spin count as torch's OpenMP runtime reads it: when torch is first imported (by a command
# that runs a model, after the CLI, which itself no longer imports torch).
CODE = """
import os, sys
seen = {}
class WhenTorchLoads:
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            seen.setdefault("spin", os.environ.get("GOMP_SPINCOUNT"))
sys.meta_path.insert(0, WhenTorchLoads())
import tunelab.cli
import torch
print(seen["spin"])
"""


def _spin_count_torch_sees(env: dict) -> str:
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_spin_count_is_set_before_torch_loads_and_a_users_own_is_kept():
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    assert _spin_count_torch_sees(env) == "1000"
    assert _spin_count_torch_sees({**env, "GOMP_SPINCOUNT": "300000"}) == "300000"
