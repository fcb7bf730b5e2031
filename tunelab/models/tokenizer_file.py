"""A model's context as its config gives it, and a tokenizer saved beside the model's weights
with that context as its `model_max_length`: transformers writes ~1e30 for a tokenizer whose own
files name none (a GGUF's, a random model's), so a reader's `tokenizer(text, truncation=True)`
never cut at the model's length (SmolLM2's own tokenizer_config.json says 8192)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

# Written by transformers' from_pretrained into a tokenizer's init_kwargs and saved with it: they
# say how this process found the files, nothing a reader of the folder loads by.
LOADER_KEYS = ("is_local", "local_files_only")
# A model_max_length at or above this is transformers' "no limit" (its VERY_LARGE_INTEGER, 1e30),
# no model's context.
NO_LIMIT = 10**9


def config_context(config) -> int | None:
    """The longest input the model takes, as its config names it; None where it names none."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, attr, None)
        if value:
            return int(value)
    return None


def save_tokenizer(tokenizer, folder: Path, model_config) -> None:
    """`tokenizer.save_pretrained(folder)`, its tokenizer_config.json then naming the model's
    context (where the config gives one) and without the loader's keys; `tokenizer` unchanged."""
    tokenizer.save_pretrained(folder)
    path = Path(folder) / "tokenizer_config.json"
    _write(path, json.loads(path.read_text(encoding="utf-8")), config_context(model_config))


def mend_context(folder: Path) -> None:
    """Give a cached model folder that an older tunelab made (its tokenizer_config.json naming
    ~1e30, or no length) its model's context, as `save_tokenizer` writes it now: a user loading
    the folder with transformers directly otherwise never truncates at the model's length. Done
    once: a folder that names a length, or has no config to read one from, is left as it is, and
    so is one this user cannot write."""
    path = Path(folder) / "tokenizer_config.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("model_max_length", NO_LIMIT) < NO_LIMIT:
            return
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
        if context := config_context(SimpleNamespace(**config)):
            _write(path, saved, context)
    except (OSError, ValueError, TypeError):  # unreadable or read-only: loads as it did
        return


def _write(path: Path, saved: dict, context: int | None) -> None:
    """`saved` as `path`, without the loader's keys and naming `context` where there is one;
    replaced whole, so that another process loading the folder meanwhile reads either file."""
    for key in LOADER_KEYS:
        saved.pop(key, None)
    if context:
        saved["model_max_length"] = context
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
