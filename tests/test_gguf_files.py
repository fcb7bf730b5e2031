"""A user's GGUF file is dequantized once: later loads read the cached folder (37 s against
10-11 s for the 135M model), until the file changes; only the most recently used few are kept."""

from __future__ import annotations

import io
import json
import os
import shutil

import pytest
import torch
from gguf import GGUFReader
from rich.console import Console
from transformers import AutoModelForCausalLM

from tests.test_export import make_run_with_tokenizer, small_bpe_tokenizer
from tunelab.errors import TunelabError
from tunelab.export import export_gguf
from tunelab.models import gguf_files
from tunelab.models.load import load_pretrained


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("gguf-cache")
    run = make_run_with_tokenizer(root, small_bpe_tokenizer())
    return export_gguf(str(run), root / "model.gguf", "f32")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNELAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models" / "gguf"


def _logits(model) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([[5, 17, 42, 99]])).logits


def test_a_gguf_loads_as_transformers_reads_it_then_from_the_cache_alone(
    exported, cache, monkeypatch
):
    read = AutoModelForCausalLM.from_pretrained(
        exported.parent, gguf_file=exported.name, dtype=torch.float32
    )
    first, tokenizer = load_pretrained(str(exported))
    assert torch.equal(_logits(first), _logits(read))
    assert tokenizer("hello there").input_ids

    def read_again(*args, **kwargs):
        raise AssertionError("the GGUF was read again")

    monkeypatch.setattr(gguf_files, "dequantize", read_again)
    second, _ = load_pretrained(str(exported))
    assert torch.equal(_logits(second), _logits(read))
    assert len(list(cache.iterdir())) == 1


def test_a_gguf_s_first_load_shows_tunelab_s_bar_not_transformers_own(
    exported, cache, capfd, monkeypatch
):
    # transformers' "Converting and de-quantizing GGUF tensors..." bar (tqdm.auto, which the hook
    # hiding its weight bars never sees) drew beside tunelab's, a line per redraw when piped.
    load_pretrained(str(exported))
    assert "de-quantizing" not in capfd.readouterr().err  # piped, as here: no bar at all
    terminal = Console(file=io.StringIO(), force_terminal=True, width=120)
    monkeypatch.setattr("tunelab.progress.Console", lambda **_: terminal)
    shutil.rmtree(cache)
    load_pretrained(str(exported))
    drawn = terminal.file.getvalue()
    tensors = len(GGUFReader(str(exported)).tensors)
    assert "dequantizing model.gguf (once)" in drawn and f"{tensors}/{tensors}" in drawn
    assert "de-quantizing" not in capfd.readouterr().err


def test_a_gguf_s_bar_names_its_file_as_given(exported, cache, tmp_path, monkeypatch):
    # "dequantizing model[v2].gguf (once)" read "dequantizing model.gguf (once)".
    named = tmp_path / "model[v2].gguf"
    shutil.copy(exported, named)
    terminal = Console(file=io.StringIO(), force_terminal=True, width=120)
    monkeypatch.setattr("tunelab.progress.Console", lambda **_: terminal)
    load_pretrained(str(named))
    assert "dequantizing model[v2].gguf (once)" in terminal.file.getvalue()


def test_a_changed_file_is_dequantized_again(exported, cache, tmp_path, monkeypatch):
    copy = tmp_path / "copy.gguf"
    shutil.copy(exported, copy)
    load_pretrained(str(copy))
    made = []
    real = gguf_files.dequantize
    monkeypatch.setattr(
        gguf_files, "dequantize", lambda *a, **k: made.append(a[0]) or real(*a, **k)
    )
    load_pretrained(str(copy))
    assert made == []
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # rewritten in place
    load_pretrained(str(copy))
    assert made == [copy.resolve()]
    assert len(list(cache.iterdir())) == 1  # the same file's folder, made anew


def test_only_the_most_recently_used_files_stay_dequantized(exported, cache, tmp_path):
    copies = []
    for i in range(gguf_files.KEPT + 1):
        copies.append(tmp_path / f"m{i}.gguf")
        shutil.copy(exported, copies[-1])
    for copy in copies[: gguf_files.KEPT]:
        load_pretrained(str(copy))
    load_pretrained(str(copies[0]))  # used again: no longer the least recent
    load_pretrained(str(copies[-1]))
    kept = sorted(folder.name.rsplit("-", 1)[0] for folder in cache.iterdir())
    assert kept == ["m0", "m2", "m3"]


def test_a_folder_another_process_made_meanwhile_is_kept_not_removed_under_it(exported, tmp_path):
    # Two processes (two shells, two test workers) making the same folder at once: the second to
    # finish removed the first's folder while the first was loading from it.
    target = tmp_path / "made"
    stamp = {"file": str(exported), "bytes": 1, "modified_ns": 1}
    gguf_files.dequantize(exported, target, name="m", stamp=stamp)
    first = (target / "model.safetensors").stat().st_ino
    gguf_files.dequantize(exported, target, name="m", stamp=stamp)  # the other process, later
    assert (target / "model.safetensors").stat().st_ino == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["made"]  # its own copy removed
    gguf_files.dequantize(exported, target, name="m", stamp={**stamp, "bytes": 2})
    assert (target / "model.safetensors").stat().st_ino != first  # a changed file: made anew


@pytest.mark.parametrize("kept", [0.5, 0.01])  # cut in its tensors, or in its header
def test_a_gguf_cut_short_is_named_with_what_to_do(exported, cache, tmp_path, kept):
    # An interrupted copy: the gguf package's raw "cannot reshape array" or struct.error.
    cut = tmp_path / "cut.gguf"
    data = exported.read_bytes()
    cut.write_bytes(data[: int(len(data) * kept)])
    with pytest.raises(TunelabError) as raised:
        load_pretrained(str(cut))
    said = " ".join(str(raised.value).split())
    assert said.startswith(f"{cut} cannot be read as a GGUF model (")
    assert "a file cut short (a copy or download interrupted) fails so: copy it again" in said
    assert not cache.exists() or not list(cache.iterdir())


def test_the_dequantized_tokenizer_names_the_models_context(exported, cache):
    # A GGUF's tokenizer names no length: transformers wrote ~1e30, so truncation never cut.
    folder = gguf_files.dequantized_folder(exported, cache)
    saved = json.loads((folder / "tokenizer_config.json").read_text())
    context = json.loads((folder / "config.json").read_text())["max_position_embeddings"]
    assert saved["model_max_length"] == context
    assert "is_local" not in saved and "local_files_only" not in saved


def test_a_folder_an_older_tunelab_dequantized_is_given_the_models_context(exported, cache):
    # Its tokenizer_config.json said ~1e30 (no limit): mended when the folder is next used.
    folder = gguf_files.dequantized_folder(exported, cache)
    path = folder / "tokenizer_config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "model_max_length": int(1e30)}))
    assert gguf_files.dequantized_folder(exported, cache) == folder
    assert json.loads(path.read_text()) == saved
