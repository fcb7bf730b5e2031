"""Merged Hugging Face weights of a LoRA run: any transformers install loads them without tunelab and
gets the run's logits, in float32 or half-size bfloat16, with the user's file permissions."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from tests.test_export import MESSAGES, logits_of
from tests.test_serve import make_lora_run
from tunelab.errors import TunelabError
from tunelab.export import export_merged

# Loads the folder in a fresh interpreter where importing tunelab fails, as on a user's machine.
LOAD_WITHOUT_TUNELAB = """
import json, sys
sys.modules["tunelab"] = None
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
folder = sys.argv[1]
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
text = tokenizer.apply_chat_template(json.loads(sys.argv[2]), tokenize=False,
                                     add_generation_prompt=True)
ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids
with torch.no_grad():
    print(json.dumps({"ids": ids[0].tolist(), "logits": model(ids).logits[0].tolist()}))
"""


def test_merged_export_loads_without_tunelab_and_matches_the_lora_run(tmp_path):
    run = make_lora_run(tmp_path)
    out = export_merged(str(run), tmp_path / "merged")
    assert (out / "model.safetensors").exists() and not (out / "adapter_config.json").exists()
    result = subprocess.run(
        [sys.executable, "-c", LOAD_WITHOUT_TUNELAB, str(out), json.dumps(MESSAGES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    ids, expected = logits_of(str(run))
    assert loaded["ids"] == ids  # same tokenizer and chat template
    torch.testing.assert_close(torch.tensor(loaded["logits"]), expected, atol=1e-4, rtol=1e-4)


def test_merged_export_refuses_to_overwrite_a_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    # A user who passed --overwrite is told it is for --gguf files only.
    with pytest.raises(TunelabError, match=r"not empty.*--overwrite replaces --gguf files only"):
        export_merged("tiny-random", tmp_path / "out")


def test_export_refuses_a_full_folder_before_saying_it_writes_there(tmp_path, capsys):
    # "writing merged weights (float32) to out/…" came first, then "out exists and is not empty".
    from tunelab.export import export

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TunelabError, match="exists and is not empty"):
        export("tiny-random", merged=tmp_path / "out")
    assert "writing" not in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_merged_files_get_the_permissions_of_the_users_umask(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        out = export_merged("tiny-random", tmp_path / "out")
    finally:
        os.umask(old)
    # transformers writes model.safetensors through a private temp file (0600).
    assert {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()}["model.safetensors"] == 0o640
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o640}


def test_merged_export_in_bfloat16_is_half_the_size_and_close(tmp_path):
    run = make_lora_run(tmp_path)
    full = export_merged(str(run), tmp_path / "fp32")
    half = export_merged(str(run), tmp_path / "bf16", dtype="bfloat16")
    size = lambda folder: (folder / "model.safetensors").stat().st_size  # noqa: E731
    assert size(half) < 0.6 * size(full)
    model = AutoModelForCausalLM.from_pretrained(half)
    assert model.dtype == torch.bfloat16
    ids, expected = logits_of(str(run))
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    assert (logits.argmax(-1) == expected.argmax(-1)).float().mean() > 0.9


def test_the_merged_tokenizer_truncates_at_the_models_context(tmp_path):
    # transformers wrote model_max_length ~1e30 and this process's loader keys (is_local,
    # local_files_only): a reader's truncation=True never cut at the model's length.
    out = export_merged(str(make_lora_run(tmp_path)), tmp_path / "merged")
    context = AutoConfig.from_pretrained(out).max_position_embeddings
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.model_max_length == context
    assert len(tokenizer("word " * (2 * context), truncation=True).input_ids) == context
    saved = json.loads((out / "tokenizer_config.json").read_text())
    assert "is_local" not in saved and "local_files_only" not in saved


def test_a_trained_run_is_exported_by_its_folder(tmp_path, qa_file):
    # Every run that training wrote was refused as one that "has saved no model yet": its
    # metrics.jsonl made it a started run, whatever its model/ held.
    from typer.testing import CliRunner

    import tunelab
    from tests.conftest import tiny_config
    from tunelab.cli import app

    run = tunelab.train(tiny_config(tmp_path, qa_file, max_steps=1, save_every=1))
    out = tmp_path / "merged"
    result = CliRunner().invoke(app, ["export", str(run), "--merged", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
