"""A model's context as its config gives it, and a tokenizer saved beside the model's weights
with that context as its `model_max_length`: transformers writes ~1e30 for a tokenizer whose own
files name none (a GGUF's, a random model's), so a reader's `tokenizer(text, truncation=True)`
never cut at the model's length (SmolLM2's own tokenizer_config.json says 8192)."""

from __future__ import annotations

import json
from pathlib import Path

# Written by transformers' from_pretrained into a tokenizer's init_kwargs and saved with it: they
# say how this process found the files, nothing a reader of the folder loads by.
LOADER_KEYS = ("is_local", "local_files_only")


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
    saved = json.loads(path.read_text(encoding="utf-8"))
    for key in LOADER_KEYS:
        saved.pop(key, None)
    if context := config_context(model_config):
        saved["model_max_length"] = context
    path.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
