"""GGUF files read as plain model folders: dequantized to float32 once, then loaded from there.

transformers reads a GGUF file by dequantizing every tensor through the gguf package, on every
load: `tunelab generate` of the embedded 135M model's Q4_1 file given as a user's path took 37 s,
and 10–11 s from the folder made of it (2 cores). The embedded default has always been cached so
(tunelab.models.load.embedded_model_dir); a user's GGUF file now is too, in the same cache, for as
long as the file is unchanged (its path, size and modification time), and only the few most
recently used: a float32 folder is ~4x the size of a 4-bit file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from pathlib import Path

import torch

from tunelab.errors import TunelabError, one_line
from tunelab.models.tokenizer_file import mend_context, save_tokenizer
from tunelab.progress import gguf_tensors_bar

KEPT = 3  # users' GGUF files kept dequantized, the most recently used first
STAMP = "tunelab_gguf_source.json"  # in each folder: which file, as it was, it was made from


def is_gguf(path: str | Path) -> bool:
    return str(path).lower().endswith(".gguf") and Path(path).is_file()


def dequantized_folder(gguf: Path, root: Path) -> Path:
    """The folder under `root` that holds `gguf` dequantized, made now if the file is new or
    has changed since; older folders beyond the KEPT most recently used are removed."""
    gguf = gguf.resolve()
    stat = gguf.stat()
    stamp = {"file": str(gguf), "bytes": stat.st_size, "modified_ns": stat.st_mtime_ns}
    digest = hashlib.sha256(str(gguf).encode()).hexdigest()[:12]
    target = root / f"{gguf.stem[:60]}-{digest}"
    made = target / STAMP
    if is_made(target) and made.exists() and json.loads(made.read_text(encoding="utf-8")) == stamp:
        os.utime(made)  # used now: the last to go
        mend_context(target)  # made by an older tunelab: its tokenizer named no length
        return target
    dequantize(gguf, target, name=str(gguf), stamp=stamp)
    _remove_least_used(root, keep=KEPT)
    return target


def is_made(folder: Path) -> bool:
    return (folder / "model.safetensors").exists() and (folder / "tokenizer.json").exists()


def dequantize(gguf: Path, target: Path, name: str, stamp: dict | None = None) -> None:
    """Write `gguf`'s weights (float32) and tokenizer as a safetensors folder at `target`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # dequantize=True: otherwise peft and Trainer refuse the model as "quantized".
        with gguf_tensors_bar(f"dequantizing {gguf.name} (once)"):
            model = AutoModelForCausalLM.from_pretrained(
                gguf.parent,
                gguf_file=gguf.name,
                quantization_config=GgufConfig(dequantize=True),
                dtype=torch.float32,
            )
    except (ValueError, struct.error) as err:  # the gguf package's reader, raw
        raise TunelabError(
            f"{gguf} cannot be read as a GGUF model ({one_line(err)}); a file cut short (a copy "
            "or download interrupted) fails so: copy it again, or write it again (a run's: "
            "tunelab export RUN --gguf FILE --overwrite)"
        ) from None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.name_or_path = name
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    save_tokenizer(tokenizer, tmp, model.config)
    if stamp is not None:
        (tmp / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    if _made_from(target, stamp):
        # Another process (a second shell, a parallel test worker) made the same folder
        # meanwhile and may be loading it now: removing it under that process would break its load.
        shutil.rmtree(tmp, ignore_errors=True)
        return
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)  # atomic: a crash mid-write never leaves a half folder behind


def _made_from(folder: Path, stamp: dict | None) -> bool:
    if not is_made(folder):
        return False
    made = folder / STAMP
    return stamp is None or (
        made.exists() and json.loads(made.read_text(encoding="utf-8")) == stamp
    )


def _remove_least_used(root: Path, keep: int) -> None:
    stamped = [folder for folder in root.iterdir() if (folder / STAMP).exists()]
    stamped.sort(key=lambda folder: (folder / STAMP).stat().st_mtime_ns, reverse=True)
    for folder in stamped[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
