"""Take a model out of tunelab: a merged Hugging Face folder, or a GGUF file for llama.cpp/Ollama."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from tunelab.run import Run

__all__ = ["export", "export_gguf", "export_merged", "load_merged"]
_HOMES = {"export_merged": "merged", "load_merged": "merged", "export_gguf": "to_gguf"}


def export(
    model: str | Run,
    merged: str | Path | None = None,
    gguf: str | Path | None = None,
    gguf_type: str = "f16",
    dtype: str = "float32",
    overwrite: bool = False,
) -> dict[str, Path]:
    """The Python API of `tunelab export`: `model` (a LoRA run is merged first) as a plain Hugging
    Face folder `merged` and/or one GGUF file `gguf`, every target checked before the minute of
    merging; returns what was written, by kind."""
    from tunelab.export.merged import export_merged
    from tunelab.export.to_gguf import FILE_TYPES, check_gguf_target, export_gguf

    if not merged and not gguf:
        raise TunelabError("say what to write: --merged DIR and/or --gguf FILE")
    if gguf and gguf_type not in FILE_TYPES:  # before a merged export spends a minute
        raise TunelabError(f"--gguf-type {gguf_type!r} is not one of {FILE_TYPES}")
    if gguf:
        check_gguf_target(Path(gguf), overwrite)
    written = {}
    if merged:
        written["merged"] = export_merged(model, merged, dtype)
    if gguf:
        written["gguf"] = export_gguf(model, gguf, gguf_type, overwrite=overwrite)
    return written


def __getattr__(name: str):
    # Lazy, so `tunelab --help` (which imports export.cli) does not pay for torch/transformers.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"tunelab.export.{_HOMES[name]}"), name)
    raise AttributeError(name)
