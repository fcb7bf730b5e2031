"""GGUF export of the Qwen2 and Mistral families as well as Llama, each read back by transformers'
GGUF loader with the same logits; and `export --push` handing the hub one commit of what the export
wrote (the upload itself is huggingface_hub's, never run here: tests stay offline)."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
)
from typer.testing import CliRunner

from tests.test_export import (
    assert_llama_cpp_reads_back_as,
    assert_reads_back_as,
    small_bpe_tokenizer,
)
from tests.test_serve import make_lora_run
from tunelab.cli import app
from tunelab.export import export, export_gguf
from tunelab.models.random_shapes import TINY_SHAPE
from tunelab.models.random_weights import tiny_config

FAMILIES = {
    # Qwen2: biases on Q/K/V, tied embeddings, RoPE in HF's own layout in llama.cpp too.
    "qwen2": lambda vocab: Qwen2ForCausalLM(
        Qwen2Config(vocab_size=vocab, tie_word_embeddings=True, rope_theta=1e6, **TINY_SHAPE)
    ),
    # Mistral: Llama's layout in llama.cpp (Q/K permuted), a separate output matrix.
    "mistral": lambda vocab: MistralForCausalLM(
        MistralConfig(
            vocab_size=vocab, tie_word_embeddings=False, sliding_window=None, **TINY_SHAPE
        )
    ),
}


def _family_run(root, family: str):
    tokenizer = small_bpe_tokenizer()
    torch.manual_seed(0)
    FAMILIES[family](len(tokenizer)).save_pretrained(root / "base")
    tokenizer.save_pretrained(root / "base")
    return make_lora_run(root, f"{family}-run", base=str(root / "base"))


@pytest.mark.parametrize("family", FAMILIES)
def test_gguf_of_a_qwen2_or_mistral_run_reads_back_with_the_same_logits(tmp_path, family):
    run = _family_run(tmp_path, family)
    path = export_gguf(str(run), tmp_path / "model.gguf", "f32")
    assert_reads_back_as(path, run, tolerance=1e-5)


def test_gguf_of_a_llama_with_attention_biases_permutes_them_as_its_q_k_rows(tmp_path):
    tokenizer = small_bpe_tokenizer()
    torch.manual_seed(0)
    model = LlamaForCausalLM(tiny_config(len(tokenizer), attention_bias=True))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(".bias"):  # they start at zero, which any row order reads alike
                param.normal_(0, 0.5)
    model.save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    path = export_gguf(str(tmp_path / "base"), tmp_path / "model.gguf", "f32")
    # transformers' GGUF loader has no Llama attention biases: llama.cpp is the reader here.
    assert_llama_cpp_reads_back_as(path, str(tmp_path / "base"))


class FakeHub:
    """Stands for huggingface_hub.HfApi: records the calls instead of making them."""

    calls: list = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))
        return f"https://huggingface.co/{repo_id}"

    def create_commit(self, repo_id, operations, **kwargs):
        self.calls.append(("create_commit", repo_id, [op.path_in_repo for op in operations]))


def test_push_uploads_merged_weights_gguf_and_modelfile_in_one_commit(tmp_path, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    run = _family_run(tmp_path, "qwen2")
    written = export(str(run), gguf=tmp_path / "q.gguf", push="me/tuned")  # merged on the way
    assert written["hub"] == "https://huggingface.co/me/tuned"
    (created, committed) = FakeHub.calls
    assert created == ("create_repo", "me/tuned", {"private": True, "exist_ok": True})
    files = {"config.json", "model.safetensors", "tokenizer.json", "q.gguf", "q.Modelfile"}
    assert files <= set(committed[2])


def test_push_while_offline_is_one_line_naming_the_repo(tmp_path):
    # conftest sets HF_HUB_OFFLINE: huggingface_hub refuses the request itself.
    result = CliRunner().invoke(app, ["export", "tiny-random", "--push", "me/tuned"])
    assert str(result.exception).startswith("--push me/tuned: OfflineModeIsEnabled")
    # What to do for it, and for a hub this machine cannot reach: no login (it advised one).
    assert "HF_HUB_OFFLINE is set: unset it to push" in str(result.exception)
    # The hub is asked before the merge: nothing written, and said so in seconds.
    assert "nothing was written: the hub is asked first" in str(result.exception)
    assert "the export itself is written" not in str(result.exception)


def test_a_push_to_a_hub_out_of_reach_says_so_not_to_log_in(tmp_path, monkeypatch):
    import httpx
    from huggingface_hub import HfApi

    def unreachable(*args, **kwargs):
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(HfApi, "create_repo", unreachable)
    result = CliRunner().invoke(app, ["export", "tiny-random", "--push", "me/tuned"])
    said = str(result.exception)
    assert said.startswith("--push me/tuned: ConnectError") and "hf auth login" not in said
    assert "the hub cannot be reached from this machine" in said


def test_a_push_from_a_machine_without_a_route_to_the_hub_says_so_not_to_log_in(no_route_to_hub):
    # huggingface_hub's real error (its own httpx2.ConnectError over the socket's gaierror) was
    # answered "log in with `hf auth login`": only httpx's own ConnectError was known.
    result = CliRunner().invoke(app, ["export", "tiny-random", "--push", "me/tuned"])
    said = str(result.exception)
    assert said.startswith("--push me/tuned: ConnectError") and "hf auth login" not in said
    assert "the hub cannot be reached from this machine" in said


def test_a_hub_that_cannot_be_pushed_to_is_found_before_anything_is_written(tmp_path):
    # Offline, the merge (and a GGUF) ran first, minutes on a big model, and then the push failed.
    merged = tmp_path / "merged"
    result = CliRunner().invoke(
        app, ["export", "tiny-random", "--merged", str(merged), "--push", "me/x"]
    )
    assert str(result.exception).startswith("--push me/x: OfflineModeIsEnabled")
    assert not merged.exists()


def test_a_push_that_fails_names_what_was_written_before_it(tmp_path, monkeypatch):
    # Only the push error was said: the merged folder written before it then refused the rerun.
    import huggingface_hub

    class RefusingHub(FakeHub):
        def create_commit(self, repo_id, operations, **kwargs):
            raise PermissionError("403 Forbidden: no right to write to me/tuned")

    monkeypatch.setattr(huggingface_hub, "HfApi", RefusingHub)
    merged = tmp_path / "merged"
    result = CliRunner().invoke(
        app, ["export", "tiny-random", "--merged", str(merged), "--push", "me/tuned"]
    )
    message = str(result.exception)
    assert message.startswith("--push me/tuned: PermissionError: 403 Forbidden")
    assert "the export itself is written" in message
    assert f"written whole before it: merged {merged}" in message and merged.is_dir()
