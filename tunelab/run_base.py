"""Which weights of a run base a LoRA run's adapter was trained on. A run trained from a run
folder (`model.name: runs/pretrained`) loads that folder's weights as its base each time it
loads: trained again since (a resume to more steps, --overwrite), it changed the second run's
answers, unsaid. The run folder keeps a digest of them from its first step (a run stopped
partway, resumed on a base trained again since, trained on the new one and recorded it), its
model/ a copy at the end, and loading or resuming compares it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from tunelab.errors import TunelabError
from tunelab.run_files import CONFIG_FILE

BASE_FILE = "base.json"  # in a LoRA run's folder from its start; in its model/, beside its adapter


def weights_digest(weights: Path) -> str:
    """SHA-256 of the weight files in a run's model/ folder (its adapter, or full weights)."""
    digest = hashlib.sha256()
    for file in sorted(weights.glob("*.safetensors")):
        with file.open("rb") as f:
            while block := f.read(1 << 24):
                digest.update(block)
    return digest.hexdigest()


def record_base(run_dir: Path, base: str, base_weights: Path) -> None:
    """As a LoRA run on the run `base` (its weights in `base_weights`) starts, their digest; a
    resume keeps the one recorded at the first step (runs from before it record the base now)."""
    file = run_dir / BASE_FILE
    if not file.is_file():
        record = {"run": base, "sha256": weights_digest(base_weights)}
        file.write_text(json.dumps(record) + "\n", encoding="utf-8")


def keep_base(run_dir: Path, weights: Path) -> None:
    """Beside the adapter saved in `weights`, the digest recorded as its run started."""
    if (run_dir / BASE_FILE).is_file():
        shutil.copyfile(run_dir / BASE_FILE, weights / BASE_FILE)


def check_base(run: Path, weights: Path, base: str, base_weights: Path) -> None:
    """Refuse to put the adapter of the run in `run` (saved in `weights`, or still in its
    checkpoints) on its run base when that run's weights are no longer the ones it was trained
    on (runs from before this record pass, as no record says)."""
    files = [file for file in (weights / BASE_FILE, run / BASE_FILE) if file.is_file()]
    if not files:
        return
    if json.loads(files[0].read_text(encoding="utf-8")).get("sha256") == weights_digest(
        base_weights
    ):
        return
    # `--set model.name=` is refused on a resume (model.name cannot change): the file it is.
    raise TunelabError(
        f"run {run} is an adapter trained on run {base}, whose model/ has changed since "
        f"(trained again): the adapter would go on weights it never saw. Train it again on "
        f"them (tunelab train {run} --overwrite), or edit model.name in {run / CONFIG_FILE} "
        f"to a copy of {base} as it was (before training a run base further, copy or export "
        "it: tunelab export RUN --merged DIR)"
    )
