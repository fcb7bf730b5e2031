"""Where a run starts. From another run: that run's weights, whatever the two methods (a LoRA
run's adapter is merged into the weights the new run trains: continued pretraining with LoRA,
then a chat finetune on it, is the README's flow). Its learning rate: a warm-up as long as the
run is said."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from tests.conftest import tiny_config, write_jsonl
from tests.test_serve import make_lora_run
from tunelab.errors import TunelabError
from tunelab.run import Run, load_model
from tunelab.train import session
from tunelab.train.checkpoint import TrainState
from tunelab.train.finish import time_said
from tunelab.train.loop import train

PROMPT = torch.tensor([[5, 9, 17, 3, 11, 2]])


def logits(name) -> torch.Tensor:
    model, _ = load_model(str(name))
    with torch.no_grad():
        return model(PROMPT).logits


def train_from(tmp_path, start, method: str, name: str, **settings):
    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    settings = dict(max_steps=1, lr=1e-9, method=method, eval_every=100) | settings
    config = tiny_config(tmp_path, data, **settings)
    config = config.model_copy(
        update={"name": name, "model": config.model.model_copy(update={"name": str(start)})}
    )
    return train(config)


def pretrained_run(tmp_path):
    """A 2-step run named "pretrained" for another to train on, with its config (to train it
    again) and its folder."""
    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    pretrained = tiny_config(tmp_path, data, max_steps=2, eval_every=100)
    pretrained = pretrained.model_copy(update={"name": "pretrained"})
    return pretrained, train(pretrained)


def test_a_run_trained_from_a_lora_run_starts_from_and_keeps_its_adapter(tmp_path):
    first = make_lora_run(tmp_path, "first")
    own = logits(first)
    assert not torch.allclose(own, logits("tiny-random"))  # the adapter changes the model
    # A new adapter on top (both were "default": the first was overwritten, silently, and the
    # continued pretraining lost); lr 1e-9 leaves the new adapter all but a no-op.
    stacked = train_from(tmp_path, first, "lora", "second")
    assert torch.allclose(logits(stacked), own, atol=1e-5)
    # Full finetuning of it trained every weight and saved only the adapter.
    full = train_from(tmp_path, first, "full", "third")
    assert (full / "model" / "model.safetensors").exists()
    assert not (full / "model" / "adapter_config.json").exists()
    assert torch.allclose(logits(full), own, atol=1e-5)


def test_a_warmup_as_long_as_the_run_is_said(tmp_path, capsys):
    # It trained at a fraction of train.lr, never decaying, without a word (a walk's 100-step
    # warm-up of a 24-step run ended at 24% of lr).
    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    train(tiny_config(tmp_path, data, max_steps=3, warmup_steps=10, eval_every=100))
    said = " ".join(capsys.readouterr().out.split())
    assert "train.warmup_steps 10 is not under the run's 3 steps" in said
    assert "the learning rate never reaches train.lr" in said
    # A warm-up that the ratio sets is named by it.
    train(
        tiny_config(tmp_path, data, max_steps=3, warmup_ratio=1.0, eval_every=100), overwrite=True
    )
    said = " ".join(capsys.readouterr().out.split())
    assert "train.warmup_ratio 1 (3 steps) is not under the run's 3 steps" in said
    assert "the learning rate reaches train.lr (0.003) at the end and never decays" in said


def test_a_one_step_run_warmed_up_by_the_default_ratio_is_not_warned(tmp_path, capsys):
    # Its one warm-up step is at train.lr; it was told "train.warmup_steps 1 is not under the
    # run's 1 steps: the learning rate never reaches train.lr", a setting it never gave.
    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    run = train(tiny_config(tmp_path, data, max_steps=1, warmup_ratio=0.05, eval_every=100))
    said = " ".join(capsys.readouterr().out.split())
    assert "warmup" not in said
    assert "done 1 step, final train loss" in said  # it read "done 1 steps"
    lr = [json.loads(line)["lr"] for line in (run / "metrics.jsonl").read_text().splitlines()
          if "lr" in line]  # fmt: skip
    assert lr == [3e-3]  # tiny_config's train.lr, in its one step


def test_lora_settings_on_a_full_finetune_are_said_to_be_unused(tmp_path, capsys):
    # train.lora was dropped without a word when train.method was full: a user who set r: 64
    # and method: full (or --set train.method=full on a LoRA config) trained every weight.
    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    config = tiny_config(tmp_path, data, method="full", max_steps=1, eval_every=100)
    config.train.lora.r = 64
    train(config)
    said = " ".join(capsys.readouterr().out.split())
    assert "train.lora (r 64) is not used: train.method is full" in said


def test_a_system_prompt_every_training_chat_brings_is_the_one_the_run_asks_with(tmp_path, capsys):
    # From a walk: chat rows in OpenAI's finetuning format each open with the same system turn;
    # the run kept data.system_prompt unset, and chat, serve and export asked under the
    # template's default ("You are a helpful AI assistant named SmolLM"), which it never saw:
    # a warning said so, and the export had no option to ask otherwise.
    from tunelab.run import Run

    system = "You answer questions about Lamini."
    rows = [
        {"messages": [{"role": "system", "content": system},
                      {"role": "user", "content": f"What is {i}?"},
                      {"role": "assistant", "content": f"It is {i}."}]}
        for i in range(8)
    ]  # fmt: skip
    config = tiny_config(tmp_path, write_jsonl(tmp_path / "chat.jsonl", rows), max_steps=1)
    run = train(config)
    said = " ".join(capsys.readouterr().out.split())
    assert f"every training example opens with the system prompt '{system}'" in said
    assert "the run asks with it (data.system_prompt)" in said
    assert Run.open(run).prompt().system_prompt == system
    config.train.max_steps = 2  # resumed from the same settings, which name none
    assert Run.open(train(config, resume=True)).prompt().system_prompt == system

    # A system prompt of the user's own stays theirs; that the rows trained under another is said.
    config.data.system_prompt = "Be brief."
    run = train(config.model_copy(update={"name": "asked-otherwise"}))
    assert "set data.system_prompt to the rows' one" in " ".join(capsys.readouterr().out.split())
    assert Run.open(run).prompt().system_prompt == "Be brief."


def test_test_rows_are_asked_under_the_adopted_system_prompt_with_the_data_tokenized_once(
    tmp_path, monkeypatch
):
    # The rows' system prompt was adopted after the data was tokenized: a test file without it
    # had all the data read and tokenized a second time at start-up.
    from tunelab.data import pipeline

    system = "You answer questions about Lamini."

    def chat(i: int, *opening: dict) -> dict:
        asked = {"role": "user", "content": f"What is {i}?"}
        return {"messages": [*opening, asked, {"role": "assistant", "content": f"It is {i}."}]}

    rows = [chat(i, {"role": "system", "content": system}) for i in range(8)]
    config = tiny_config(tmp_path, write_jsonl(tmp_path / "chat.jsonl", rows), max_steps=1)
    config.data.test_path = str(write_jsonl(tmp_path / "test.jsonl", [chat(8), chat(9)]))
    tokenized, tokenize_all = [], pipeline.tokenize_all

    def counted(examples, tokenizer, **settings):
        tokenized.append((len(examples), settings["system_prompt"]))
        return tokenize_all(examples, tokenizer, **settings)

    monkeypatch.setattr(pipeline, "tokenize_all", counted)
    run = train(config)
    assert tokenized == [(8, None), (2, system)]  # training rows as they are, test rows asked
    assert Run.open(run).prompt().system_prompt == system


def test_a_step_bigger_than_the_data_s_epoch_is_said(tmp_path, capsys):
    # torchrun --nproc_per_node 2 on one packed row trained it twice a step, 2 epochs for the
    # 1 asked, unsaid; grad_accum takes a step's batches as processes do.
    data = write_jsonl(tmp_path / "train.jsonl", [{"question": "What is 1?", "answer": "One."}])
    config = tiny_config(tmp_path, data, max_steps=None, epochs=1, grad_accum=2, eval_every=100)
    config = config.model_copy(update={"data": config.data.model_copy(update={"test_size": 0})})
    train(config)
    said = " ".join(capsys.readouterr().out.split())
    assert "one step takes 2 batches of train.batch_size 2 (train.grad_accum 2)" in said
    assert "the training data makes 1 an epoch (1 packed row)" in said
    assert "train.epochs 1 runs as 2" in said


@pytest.mark.parametrize("start", ["run", "its model/ folder"])
def test_a_lora_run_on_a_run_base_trained_again_since_is_refused_not_put_on_other_weights(
    tmp_path, monkeypatch, start
):
    # Continued pretraining resumed to more steps changed the chat finetune made on it, unsaid.
    # `model.name: runs/pretrained/model` trains on the run too (Run.find), and recorded no
    # digest of it.
    pretrained, base = pretrained_run(tmp_path)
    chat = train_from(tmp_path, base if start == "run" else base / "model", "lora", "chat")
    assert json.loads((chat / "base.json").read_text(encoding="utf-8"))["run"] == str(base)
    load_model(chat)  # its base as it was trained on
    longer = pretrained.train.model_copy(update={"max_steps": 4})
    train(pretrained.model_copy(update={"train": longer}), resume=True)
    with pytest.raises(
        TunelabError, match=r"trained on run .*pretrained, whose model/ has changed"
    ):
        load_model(chat)

    # Resumed, it trained on the new base and then kept that base's digest, the change unsaid.
    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(session, "load_model", no_load)
    config = Run.open(chat).config
    longer = config.train.model_copy(update={"max_steps": 2})
    with pytest.raises(TunelabError, match=r"whose model/ has changed .*--overwrite"):
        train(config.model_copy(update={"train": longer}), resume=True)


def test_a_lora_run_stopped_partway_is_refused_once_its_run_base_trains_again(tmp_path):
    # Its base's digest was written only as it finished: resumed, a run stopped after step 1
    # trained its step 2 on the base trained again since and recorded that one, unsaid.
    pretrained, base = pretrained_run(tmp_path)
    chat = train_from(tmp_path, base, "lora", "chat", max_steps=2, save_every=1)
    shutil.rmtree(chat / "model")  # stopped after step 1: its checkpoints are what is left
    shutil.rmtree(chat / "checkpoints" / "step-000002")
    longer = pretrained.train.model_copy(update={"max_steps": 4})
    train(pretrained.model_copy(update={"train": longer}), resume=True)
    # `--set model.name=` is refused on a resume: the message names the file to edit instead.
    with pytest.raises(TunelabError, match=r"has changed .*edit model.name in .*chat/config.yaml"):
        train(Run.open(chat).config, resume=True)


def test_the_done_line_says_the_run_s_whole_time_where_evals_took_most_of_it(tmp_path, capsys):
    # "993 trained tokens in 17s" was the steps' time alone, of a run of 2:49, mostly eval loss.
    assert time_said(TrainState(elapsed=17.2, wall=169.4)) == (
        "17 s of training (2 min 49 s in all, evals included)"
    )
    assert time_said(TrainState(elapsed=17.2, wall=19.0)) == "17 s"  # close: one time is enough
    rows = [{"question": f"What is {i}?", "answer": f"It is {i}."} for i in range(8)]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    run = train(tiny_config(tmp_path, data, max_steps=2, save_every=2))
    kept = json.loads((run / "checkpoints" / "step-000002" / "state.json").read_text())
    assert kept["wall"] >= kept["elapsed"] > 0  # kept, a resume adds to both
    said = " ".join(capsys.readouterr().out.split())
    assert f"trained tokens in {time_said(TrainState(**kept))}, peak memory" in said
