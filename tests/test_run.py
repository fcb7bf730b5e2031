"""A run folder is read through one `Run`: its config, base model, prompt, weights, checkpoints
and output folders; anything that is not a run is a model name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import tiny_run
from tunelab.data.prompts.templates import Prompt
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.run import Run, base_model, load_model, prompt_for

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_a_run_tells_its_base_prompt_and_folders(tmp_path):
    run = Run.open(tiny_run(tmp_path, QA))
    assert run.base_model == "tiny-random" and run.name == "demo"
    assert run.prompt() == Prompt("qa", None)
    assert run.config.data.test_path == str(QA / "test.jsonl")
    assert run.out_dir("eval") == tmp_path / "runs" / "demo" / "eval"
    assert run.checkpoints == []
    model, tokenizer = run.load()
    assert model.config.name_or_path and tokenizer.eos_token


def test_a_copied_run_is_the_copy_whatever_its_config_says(tmp_path):
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(tiny_run(tmp_path, QA), copy)
    config = Run.open(copy, ["train.lr=0.5"]).config
    assert config.run_dir == copy and config.train.lr == 0.5


def test_a_model_name_is_not_a_run(tmp_path):
    assert Run.find("tiny-random") is None and Run.find(tmp_path) is None
    assert prompt_for("tiny-random") == Prompt() and base_model("tiny-random") == "tiny-random"
    run = tiny_run(tmp_path, QA)
    assert prompt_for(str(run)).template == "qa" and base_model(run) == "tiny-random"
    assert (
        load_model(Run.open(run))[0].config.vocab_size
        == load_model("tiny-random")[0].config.vocab_size
    )
    with pytest.raises(TunelabError, match="config file not found"):
        Run.open(tmp_path / "nothing")


def test_a_lora_run_loads_merged_and_answers_as_the_adapter_on_top_does(tmp_path):
    # The adapter on top cost generation 1.3-1.6x (every adapted layer two more products a token).
    import torch
    from peft import PeftModel

    from tests.test_serve import make_lora_run
    from tunelab.generation.generate import generate

    run = make_lora_run(tmp_path)
    model, tokenizer = load_model(str(run))
    assert not any("lora" in name for name, _ in model.named_parameters())
    on_top = PeftModel.from_pretrained(load_model("tiny-random")[0], run / "model").eval()
    ids = tokenizer("What is the answer?", return_tensors="pt").input_ids
    with torch.no_grad():
        merged, unmerged = model(input_ids=ids).logits, on_top(input_ids=ids).logits
    assert not torch.allclose(merged, load_model("tiny-random")[0](input_ids=ids).logits)
    torch.testing.assert_close(merged, unmerged, rtol=1e-5, atol=1e-5)
    prompts = ["What is the answer?", "Tell me more."]
    texts = [
        [g.text for g in generate(m, tokenizer, prompts, max_new_tokens=8)] for m in (model, on_top)
    ]
    assert texts[0] == texts[1]


@pytest.mark.parametrize(
    "lora, damage, said",
    [
        # peft said "Repo id must be a string, not <class 'pathlib.PosixPath'>".
        (True, "adapter_model.safetensors", "lacks adapter_model.safetensors"),
        # transformers said "Unrecognized model ... Should have a `model_type` key".
        (True, "adapter_config.json", "lacks adapter_config.json (a LoRA run's) or config.json"),
        (False, "model.safetensors", "lacks model.safetensors"),
        # transformers said to install sentencepiece or tiktoken.
        (False, "tokenizer.json", "lacks tokenizer.json"),
    ],
)
def test_a_run_copied_without_a_file_of_its_model_folder_names_it(tmp_path, lora, damage, said):
    from tests.test_serve import make_lora_run

    run = make_lora_run(tmp_path) if lora else tiny_run(tmp_path, QA)
    (run / "model" / damage).unlink()
    with pytest.raises(TunelabError) as raised:
        load_model(str(run))
    message = " ".join(str(raised.value).split())
    assert message.startswith(f"run {run}: its model/ folder (") and said in message
    assert "copy the run's model/ folder again, whole, from where it was trained" in message


def test_a_runs_adapter_cut_short_is_named(tmp_path):
    # An interrupted copy: safetensors' "invalid header length", raw, from deep inside peft.
    from tests.test_serve import make_lora_run

    adapter = make_lora_run(tmp_path) / "model" / "adapter_model.safetensors"
    adapter.write_bytes(adapter.read_bytes()[:100])
    with pytest.raises(TunelabError, match=r"model/ folder \(.*\) holds a weights file cut short"):
        load_model(str(adapter.parent.parent))


def test_an_exports_weights_cut_short_are_named(tmp_path):
    model, tokenizer = tiny_random()
    model.save_pretrained(tmp_path / "export")
    tokenizer.save_pretrained(tmp_path / "export")
    weights = tmp_path / "export" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(TunelabError, match=r"export' holds a weights file cut short or damaged"):
        load_model(str(tmp_path / "export"))


def test_a_lora_run_copied_where_its_base_is_not_names_the_run_and_what_to_do(tmp_path):
    # It said "model '/.../base': no such file or folder", a path the user never gave.
    from tests.test_serve import make_lora_run
    from tunelab.config import Config

    run = make_lora_run(tmp_path)
    Config(name=run.name, model={"name": str(tmp_path / "base")}).to_yaml(run / "config.yaml")
    with pytest.raises(TunelabError) as raised:
        load_model(str(run))
    said = " ".join(str(raised.value).split())
    assert said.startswith(
        f"run {run} is an adapter on the model in model.name of its config.yaml, which does not "
        f"load here: model '{tmp_path / 'base'}': no such file or folder"
    )
    assert said.endswith(
        "Set model.name to where that model is on this machine, or export the run merged where "
        "it was trained (tunelab export RUN --merged DIR) and give that folder"
    )


def test_a_runs_model_folder_loads_without_tunelab_truncating_at_the_models_context(tmp_path):
    # Its tokenizer_config.json said model_max_length ~1e30: truncation=True never cut.
    from transformers import AutoTokenizer

    from tests.conftest import tiny_config, write_jsonl
    from tunelab.train.loop import train

    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    config = tiny_config(tmp_path, write_jsonl(tmp_path / "qa.jsonl", rows), max_steps=1)
    run = Run.open(train(config))
    tokenizer = AutoTokenizer.from_pretrained(run.weights)
    assert tokenizer.model_max_length == tiny_random()[0].config.max_position_embeddings
