"""A model folder tunelab caches names its model's context in tokenizer_config.json, one an older
tunelab made included: transformers wrote ~1e30 there, so a user loading the folder directly
never truncated at the model's length."""

from __future__ import annotations

import json

import pytest
from transformers import AutoTokenizer

from tunelab.models.load import embedded_model_dir, pretrained_tokenizer
from tunelab.models.names import EMBEDDED_NAME
from tunelab.models.random_weights import tiny_tokenizer

NO_LIMIT = int(1e30)  # what transformers writes for a tokenizer whose files name no length


def _old_cache(root, context: int = 8192):
    """The embedded model's cached folder as an older tunelab left it: a tokenizer naming no
    length beside the model's config (and weights, here a stand-in: nothing loads them)."""
    folder = root / "models" / EMBEDDED_NAME
    tiny_tokenizer().save_pretrained(folder)
    path = folder / "tokenizer_config.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**saved, "model_max_length": NO_LIMIT}), encoding="utf-8")
    config = {"model_type": "llama", "max_position_embeddings": context}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"")
    return folder


# The two ways tunelab opens the embedded model's folder: for its tokenizer alone (the data
# commands), and for its weights.
OPENS = {"tokenizer": lambda: pretrained_tokenizer(EMBEDDED_NAME), "weights": embedded_model_dir}


@pytest.mark.parametrize("opened", OPENS)
def test_an_older_embedded_cache_is_given_the_models_context_once(tmp_path, monkeypatch, opened):
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path))
    folder = _old_cache(tmp_path)
    assert AutoTokenizer.from_pretrained(folder).model_max_length == NO_LIMIT
    OPENS[opened]()
    # Loaded with transformers directly, as a user's own script does, it cuts at the model's length.
    assert AutoTokenizer.from_pretrained(folder).model_max_length == 8192
    assert pretrained_tokenizer(EMBEDDED_NAME).model_max_length == 8192
    mended = (folder / "tokenizer_config.json").stat().st_mtime_ns
    OPENS[opened]()
    assert (folder / "tokenizer_config.json").stat().st_mtime_ns == mended  # written once
    assert sorted(p.name for p in folder.iterdir() if ".tmp" in p.name) == []


def test_a_cache_folder_without_a_config_is_left_as_it_is(tmp_path, monkeypatch):
    # A GPU machine given the tokenizer alone: no config names the context, nothing is guessed.
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path))
    folder = _old_cache(tmp_path)
    (folder / "config.json").unlink()
    (folder / "model.safetensors").unlink()
    assert pretrained_tokenizer(EMBEDDED_NAME).model_max_length == NO_LIMIT
