"""Exporting a LoRA run to GGUF: weights, tokenizer and chat template survive the round trip through
transformers and llama.cpp, an Ollama Modelfile is written beside it, and a tokenizer llama.cpp
cannot read is refused (merged weights: test_export_merged.py; prompts and stops:
test_export_prompts.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from gguf import GGUFReader
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)
from typer.testing import CliRunner

from tests.test_serve import make_lora_run
from tunelab.cli import app
from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.export import export, export_gguf
from tunelab.models.random_weights import (
    CHATML_TEMPLATE,
    TINY_SPECIAL_TOKENS,
    chatml_tokenizer,
    tiny_config,
)
from tunelab.run import load_model, load_tokenizer

MESSAGE_TEXTS = ["Export me, 42 times!", "The quick brown fox jumps over the lazy dog."]
MESSAGES = [{"role": "user", "content": MESSAGE_TEXTS[0]}]


def logits_of(name: str, messages=MESSAGES) -> tuple[list[int], torch.Tensor]:
    """The unmerged run's logits on a chat prompt: what every export must reproduce."""
    model, tokenizer = load_model(name)
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids
    with torch.no_grad():
        return ids[0].tolist(), model(ids).logits[0]


def small_bpe_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer with real merges (400 tokens), small enough to round-trip fast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=TINY_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(
        [CHATML_TEMPLATE, "You are a helpful AI assistant.", *MESSAGE_TEXTS] * 3, trainer
    )
    return chatml_tokenizer(core)


def make_run_with_tokenizer(root: Path, tokenizer) -> Path:
    """A LoRA run on a tiny random Llama (saved as a Hugging Face folder) using `tokenizer`."""
    torch.manual_seed(0)
    LlamaForCausalLM(tiny_config(len(tokenizer))).save_pretrained(root / "base")
    tokenizer.save_pretrained(root / "base")
    return make_lora_run(root, "gguf-run", base=str(root / "base"))


@pytest.fixture(scope="module")
def gguf_run(tmp_path_factory) -> Path:
    return make_run_with_tokenizer(tmp_path_factory.mktemp("gguf"), small_bpe_tokenizer())


# f32 must match exactly (a Q/K permutation slip would not even come close); q8_0 within rounding.
@pytest.mark.parametrize(("file_type", "tolerance"), [("f32", 1e-5), ("q8_0", 0.1)])
def test_gguf_round_trips_weights_tokenizer_and_template(gguf_run, tmp_path, file_type, tolerance):
    path = export_gguf(str(gguf_run), tmp_path / "model.gguf", file_type)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path, gguf_file=path.name)
    assert tokenizer.chat_template == load_tokenizer(str(gguf_run)).chat_template
    assert GGUFReader(str(path)).fields["tokenizer.ggml.pre"].contents() == "gpt-2"
    assert_reads_back_as(path, gguf_run, tolerance)


def test_an_exported_gguf_answers_through_tunelab_as_its_run_does(gguf_run, tmp_path):
    # `tunelab generate model.gguf` (or eval, serve) checks an export before it ships; it was
    # read as a folder ("not a valid JSON file").
    path = export_gguf(str(gguf_run), tmp_path / "model.gguf", "f32")
    asked = ["generate", "--max-new-tokens", "6"]
    from_run = CliRunner().invoke(app, [*asked, str(gguf_run), MESSAGE_TEXTS[0]])
    from_gguf = CliRunner().invoke(app, [*asked, str(path), MESSAGE_TEXTS[0]])
    assert from_gguf.exit_code == 0, from_gguf.output
    assert from_gguf.stdout == from_run.stdout and from_run.stdout.strip()


def test_llama_cpp_reads_the_f32_gguf_with_the_runs_tokens_and_logits(gguf_run, tmp_path):
    path = export_gguf(str(gguf_run), tmp_path / "my model.gguf", "f32")
    assert_llama_cpp_reads_back_as(path, str(gguf_run))


def assert_reads_back_as(gguf: Path, run: Path, tolerance: float) -> None:
    """transformers' GGUF loader makes of `gguf` the run's tokens and (within `tolerance`,
    relative to all the logits) its logits, on a chat prompt."""
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    text = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids
    expected_ids, expected = logits_of(str(run))
    assert ids[0].tolist() == expected_ids
    with torch.no_grad():
        got = model(ids).logits[0]
    assert (got - expected).norm() / expected.norm() <= tolerance


def assert_llama_cpp_reads_back_as(gguf: Path, name: str) -> None:
    """llama.cpp (where llama-cpp-python is installed) loads `gguf`, tokenizes a chat prompt as
    `name` does and gives its logits, to rounding with an f32 KV cache."""
    llama_cpp = pytest.importorskip("llama_cpp")
    text = load_tokenizer(name).apply_chat_template(
        MESSAGES, tokenize=False, add_generation_prompt=True
    )
    ids, expected = logits_of(name)
    f32 = 0  # GGML_TYPE_F32: the default f16 KV cache rounds the logits at 1e-3
    llm = llama_cpp.Llama(
        str(gguf), n_ctx=128, logits_all=True, type_k=f32, type_v=f32, verbose=False
    )
    try:
        assert llm.tokenize(text.encode(), add_bos=False, special=True) == ids
        llm.eval(ids)
        got = torch.tensor(np.array(llm.scores[: len(ids)]))
    finally:
        llm.close()
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_gguf_of_an_embedded_model_finetune_keeps_its_tokenizer(tmp_path):
    run = make_run_with_tokenizer(tmp_path, load_tokenizer("smollm2-135m-instruct"))
    path = export_gguf(str(run), tmp_path / "out" / "model.gguf", "f16")
    assert GGUFReader(str(path)).fields["tokenizer.ggml.pre"].contents() == "smollm"
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    original = load_tokenizer(str(run))
    text = original.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    assert tokenizer.chat_template == original.chat_template
    assert tokenizer(text).input_ids == original(text).input_ids


def test_gguf_refuses_a_tokenizer_llama_cpp_cannot_read(tmp_path):
    with pytest.raises(TunelabError, match="merges"):  # tiny-random: bytes only, no BPE merges
        export_gguf("tiny-random", tmp_path / "tiny.gguf")


def test_a_run_on_a_tokenizer_without_merges_is_told_how_to_export_it_instead(tmp_path):
    # It said only "the tokenizer has no BPE merges, which llama.cpp requires in a GGUF file".
    run = make_lora_run(tmp_path, "tiny-run")  # tiny-random's tokenizer: bytes only
    target = tmp_path / "model.gguf"
    result = CliRunner().invoke(app, ["export", str(run), "--gguf", str(target)])
    said = " ".join(str(result.exception).split())
    assert isinstance(result.exception, TunelabError)
    assert f"{run}'s tokenizer (its base model tiny-random's) has no BPE merges" in said
    assert "llama.cpp rebuilds from its merges to split text into tokens" in said
    assert f"`tunelab export {run} --merged tiny-run_merged`" in said
    assert "such as the embedded default (smollm2-135m-instruct)" in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-run"]  # nothing written


def test_a_run_without_merges_exported_with_merged_too_is_told_its_own_folder(tmp_path):
    # `export RUN --merged runs/lamini-merged --gguf ...` (examples/lamini_docs.md step 10) was
    # told to run `--merged lamini-lora_merged`, another folder than the one it named.
    run = make_lora_run(tmp_path, "tiny-run")
    merged, target = tmp_path / "merged", tmp_path / "model.gguf"
    result = CliRunner().invoke(
        app, ["export", str(run), "--merged", str(merged), "--gguf", str(target)]
    )
    said = " ".join(str(result.exception).split())
    assert f"`tunelab export {run} --merged {merged}`" in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-run"]  # nothing written


def test_gguf_refuses_a_pre_tokenizer_llama_cpp_does_not_know(tmp_path):
    from tokenizers import pre_tokenizers

    tokenizer = small_bpe_tokenizer()
    tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    LlamaForCausalLM(tiny_config(len(tokenizer))).save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    with pytest.raises(TunelabError, match="splits text another way"):
        export_gguf(str(tmp_path / "base"), tmp_path / "model.gguf")
    assert not (tmp_path / "model.gguf").exists()


def lora_run_on(root: Path, targets: list[str], base: str) -> Path:
    """A LoRA run on `base` adapting `targets` (lm_head, embed_tokens...), every adapter matrix
    random (peft starts B, and an embedding's A, at zero) so that it changes the model."""
    from peft import LoraConfig, get_peft_model

    model, tokenizer = load_model(base)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=targets))
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    run = root / "run"
    peft_model.save_pretrained(run / "model")
    tokenizer.save_pretrained(run / "model")
    Config(name="run", model={"name": base}).to_yaml(run / "config.yaml")
    return run


# Tied embeddings are one matrix: merged into it, an adapter on one side would change the other.
@pytest.mark.parametrize("target", ["lm_head", "embed_tokens"])
def test_an_adapter_on_tied_embeddings_merges_into_its_own_side_only(tmp_path, target):
    tokenizer = small_bpe_tokenizer()
    LlamaForCausalLM(tiny_config(len(tokenizer))).save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    run = lora_run_on(tmp_path, [target, "q_proj"], base=str(tmp_path / "base"))
    written = export(
        str(run), merged=tmp_path / "merged", gguf=tmp_path / "m.gguf", gguf_type="f32"
    )
    ids, expected = logits_of(str(run))
    with torch.no_grad():
        merged = AutoModelForCausalLM.from_pretrained(written["merged"])(torch.tensor([ids]))
    torch.testing.assert_close(merged.logits[0], expected, atol=1e-4, rtol=1e-4)
    assert_reads_back_as(written["gguf"], run, tolerance=1e-5)


def test_export_command_writes_the_ollama_modelfile_beside_the_gguf(gguf_run, tmp_path):
    target = tmp_path / "out.gguf"
    result = CliRunner().invoke(app, ["export", str(gguf_run), "--gguf", str(target)])
    assert result.exit_code == 0, result.output
    modelfile = tmp_path / "out.Modelfile"
    assert target.exists() and modelfile.read_text().startswith("FROM ./out.gguf\n")
    assert f"ollama create NAME -f {modelfile}" in result.output
    # each output is said as it starts (a minute of merging for a bigger model), then as written
    assert f"writing GGUF (f16) to {target}…" in result.output
    assert result.output.index("writing GGUF (f16) to") < result.output.index("GGUF (f16):")
    assert "no .gguf ending" not in result.output
    again = CliRunner().invoke(app, ["export", str(gguf_run), "--gguf", str(target)])
    assert "out.gguf exists: pass --overwrite" in str(again.exception)  # neither is replaced


def test_the_files_export_wrote_are_said_whole_when_their_folder_has_brackets(gguf_run, tmp_path):
    # rich read "[v1]" as markup and printed "GGUF (f16): .../out/m.gguf", a path not there.
    target = tmp_path / "out[v1]" / "m.gguf"
    target.parent.mkdir()
    result = CliRunner().invoke(app, ["export", str(gguf_run), "--gguf", str(target)])
    assert result.exit_code == 0, result.output
    assert f"GGUF (f16): {target}" in " ".join(result.output.split())


def test_a_gguf_named_without_its_gguf_ending_is_written_as_named_with_a_note(gguf_run, tmp_path):
    # `--gguf out` wrote out and out.Modelfile without a word: out.gguf was most likely meant.
    target = tmp_path / "my out"
    result = CliRunner().invoke(app, ["export", str(gguf_run), "--gguf", str(target)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"note: {target} has no .gguf ending: it is written as named" in said
    # The commands it suggests paste whole: `--gguf my out.gguf` was two arguments.
    assert f"--gguf '{target}.gguf' gives it the usual name" in said
    assert f"ollama create NAME -f '{tmp_path / 'my out.Modelfile'}'" in said
    assert said.index("no .gguf ending") < said.index("writing GGUF (f16) to")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my out", "my out.Modelfile"]
    assert (tmp_path / "my out.Modelfile").read_text().startswith("FROM ./my out\n")


def test_the_modelfile_says_the_template_s_default_system_prompt_the_run_was_trained_with(
    gguf_run, tmp_path
):
    # The run sets no system prompt: every training prompt held the template's default one,
    # which Ollama's own template for the GGUF would leave out.
    written = export(str(gguf_run), gguf=tmp_path / "d.gguf")
    lines = written["modelfile"].read_text().splitlines()
    assert lines == ["FROM ./d.gguf", 'SYSTEM """You are a helpful AI assistant."""']


def test_export_command_checks_the_gguf_type_before_writing_anything(tmp_path):
    args = ["export", "tiny-random", "--merged", str(tmp_path / "m"), "--gguf", "x.gguf"]
    result = CliRunner().invoke(app, [*args, "--gguf-type", "q4_k"])
    assert isinstance(result.exception, TunelabError) and "q8_0" in str(result.exception)
    assert not (tmp_path / "m").exists()


def test_a_lora_run_s_model_folder_exports_as_its_run(gguf_run, tmp_path):
    # `tunelab export runs/NAME/model` loaded the adapter onto its base through transformers and
    # failed saving it: "ValueError: The version of PEFT you are using is not compatible".
    import shutil

    result = CliRunner().invoke(
        app, ["export", str(gguf_run / "model"), "--merged", str(tmp_path / "from_model")]
    )
    assert result.exit_code == 0, result.output
    export(str(gguf_run), merged=tmp_path / "from_run")
    for file in ("model.safetensors", "tokenizer_config.json"):  # its chat template: the run's
        assert (tmp_path / "from_model" / file).read_bytes() == (
            tmp_path / "from_run" / file
        ).read_bytes()
    # An adapter copied out of its run names no run to merge it as: refused, nothing written.
    shutil.copytree(gguf_run / "model", tmp_path / "adapter")
    with pytest.raises(TunelabError, match="holds a LoRA adapter alone .* export the run"):
        export(str(tmp_path / "adapter"), merged=tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize(
    ("option", "typed", "meant"),
    [
        ("--dtype", "bf16", "bfloat16"),
        ("--gguf-type", "Q8_0", "q8_0"),
        ("--gguf-type", "q8", "q8_0"),
    ],
)
def test_a_mistyped_dtype_or_gguf_type_names_the_one_meant_before_writing_is_said(
    tmp_path, option, typed, meant
):
    # `--dtype bf16` was said as "writing merged weights (bf16) to m…" before it was refused.
    args = ["export", "tiny-random", "--merged", str(tmp_path / "m"), "--gguf", "x.gguf"]
    result = CliRunner().invoke(app, [*args, option, typed])
    assert isinstance(result.exception, TunelabError)
    assert str(result.exception).endswith(f"did you mean {meant}?")
    assert "writing" not in result.output and not (tmp_path / "m").exists()


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_a_merged_folder_and_a_gguf_are_made_from_one_load_of_the_run(
    gguf_run, tmp_path, monkeypatch, dtype
):
    # Each output loaded and merged the run itself: twice the wait for the same weights.
    from tunelab.export import merged

    loads = []
    monkeypatch.setattr(merged, "load_model", lambda name: loads.append(name) or load_model(name))
    written = export(str(gguf_run), tmp_path / "out", tmp_path / "m.gguf", "f32", dtype=dtype)
    # A bfloat16 folder is converted in place: the GGUF loads its float32 weights anew.
    assert len(loads) == (1 if dtype == "float32" else 2)
    assert_reads_back_as(written["gguf"], gguf_run, 1e-5)
