"""Which weights of a run base a LoRA run's adapter was trained on. A run trained from a run
folder (`model.name: runs/pretrained`) loads that folder's weights as its base each time it
loads: trained again since (a resume to more steps, --overwrite), it changed the second run's
answers, unsaid. The run's model/ keeps a digest of them, and loading compares it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tunelab.errors import TunelabError

BASE_FILE = "base.json"  # in a LoRA run's model/, beside its adapter


def weights_digest(weights: Path) -> str:
    """SHA-256 of the weight files in a run's model/ folder (its adapter, or full weights)."""
    digest = hashlib.sha256()
    for file in sorted(weights.glob("*.safetensors")):
        with file.open("rb") as f:
            while block := f.read(1 << 24):
                digest.update(block)
    return digest.hexdigest()


def record_base(weights: Path, base: str, base_weights: Path) -> None:
    """Beside an adapter trained on the run `base` (its weights in `base_weights`), their digest."""
    record = {"run": base, "sha256": weights_digest(base_weights)}
    (weights / BASE_FILE).write_text(json.dumps(record) + "\n", encoding="utf-8")


def check_base(run: str, weights: Path, base: str, base_weights: Path) -> None:
    """Refuse to put the adapter in `weights` on its run base when that run's weights are no
    longer the ones it was trained on (runs from before this record pass, as no record says)."""
    file = weights / BASE_FILE
    if not file.is_file():
        return
    if json.loads(file.read_text(encoding="utf-8")).get("sha256") == weights_digest(base_weights):
        return
    raise TunelabError(
        f"run {run} is an adapter trained on run {base}, whose model/ has changed since "
        f"(trained again): the adapter would go on weights it never saw. Train it again on "
        f"them (tunelab train {run} --overwrite), or set its model.name to a copy of {base} as "
        "it was (before training a run base further, copy or export it: tunelab export RUN "
        "--merged DIR)"
    )
