"""Take a model out of tunelab: a merged Hugging Face folder, or a GGUF file for llama.cpp/Ollama."""

from __future__ import annotations

__all__ = ["export_gguf", "export_merged", "load_merged"]
_HOMES = {"export_merged": "merged", "load_merged": "merged", "export_gguf": "to_gguf"}


def __getattr__(name: str):
    # Lazy, so `tunelab --help` (which imports export.commands) does not pay for torch/transformers.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"tunelab.export.{_HOMES[name]}"), name)
    raise AttributeError(name)
