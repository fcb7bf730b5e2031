"""A config ported from Axolotl, TRL or LLaMA-Factory: each of their names is answered with the
tunelab setting that means it, or with what tunelab does instead."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.evaluate.eval_config import EvalConfig

# An Axolotl config's keys as a newcomer first types them, at the top level.
AXOLOTL = """\
base_model: HuggingFaceTB/SmolLM2-135M-Instruct
datasets: qa.jsonl
sequence_len: 512
sample_packing: true
train_on_inputs: false
val_set_size: 0.05
micro_batch_size: 2
gradient_accumulation_steps: 4
learning_rate: 0.0002
lora_r: 16
lora_target_modules: [q_proj, v_proj]
eval_steps: 20
save_steps: 50
save_total_limit: 2
bf16: true
"""


def test_an_axolotl_config_names_each_tunelab_setting(tmp_path):
    (tmp_path / "axolotl.yaml").write_text(AXOLOTL, encoding="utf-8")
    with pytest.raises(TunelabError) as err:
        Config.from_yaml(tmp_path / "axolotl.yaml")
    message = " ".join(str(err.value).split())
    for line, key, meant in [
        (1, "base_model", "model.name"),
        (2, "datasets", "data.path"),
        (3, "sequence_len", "data.max_length"),
        (4, "sample_packing", "data.packing"),
        (5, "train_on_inputs", "data.train_on_prompt"),
        (6, "val_set_size", "data.test_size"),
        (7, "micro_batch_size", "train.batch_size"),
        (8, "gradient_accumulation_steps", "train.grad_accum"),
        (9, "learning_rate", "train.lr"),
        (10, "lora_r", "train.lora.r"),
        (11, "lora_target_modules", "train.lora.target_modules"),
        (12, "eval_steps", "train.eval_every"),
        (13, "save_steps", "train.save_every"),
        (14, "save_total_limit", "train.keep_checkpoints"),
    ]:
        assert f"line {line}: {key}: unknown setting (did you mean {meant}?)" in message
    assert "line 15: bf16: unknown setting; model.dtype: auto already trains with bf16" in message


@pytest.mark.parametrize(
    ("override", "told"),
    [
        # In a section, a spelling match named another setting: max_steps, batch_size.
        ("train.save_steps=10", "did you mean train.save_every?"),
        ("train.val_set_size=0.1", "did you mean data.test_size?"),
        ("train.resume_from_checkpoint=true", "unknown setting; resume a run with `tunelab train"),
        ("train.optim=adamw_torch", "unknown setting; tunelab trains with AdamW alone"),
        ("cutoff_len=1024", "did you mean data.max_length?"),  # LLaMA-Factory's
        ("finetuning_type=lora", "did you mean train.method?"),
        ("lora_target=all", "did you mean train.lora.target_modules?"),
        # TRL's: tunelab's default already is, and was answered with the five sections.
        ("completion_only_loss=true", "tunelab trains on the answer alone by default"),
        ("overwrite_output_dir=true", "unknown setting; `tunelab train ... --overwrite`"),
        ("eval_strategy=steps", "every train.eval_every steps"),
        # Spelled like per_device_train_batch_size, it was answered train.batch_size.
        ("per_device_eval_batch_size=16", "eval loss while training is scored in batches of"),
        ("neftune_noise_alpha=5", "unknown setting; tunelab has no NEFTune"),
        ("max_samples=1000", "tunelab trains on every row of data.path"),
        ("lora_modules_to_save=[lm_head]", "the LoRA adapters alone, no module in full"),
        # Each was answered with the five sections alone ("known: name, output_dir, model, ..."),
        # or do_train with "did you mean train?", the section.
        ("dataset_name=qa.jsonl", "did you mean data.path?"),  # TRL's
        ("use_peft=true", "train.method: lora (the default) trains LoRA adapters"),  # TRL's
        ("lora_target_linear=true", "train.lora.target_modules: all-linear (the default)"),
        ("stage=sft", "tunelab trains on your data's answers (LLaMA-Factory's sft)"),
        ("do_train=true", "`tunelab train` trains"),
    ],
)
def test_a_peer_name_given_by_set_names_the_tunelab_setting(override, told):
    with pytest.raises(TunelabError) as err:
        Config.from_dict({}, [override])
    assert told in " ".join(str(err.value).split())


def test_a_setting_nothing_is_close_to_is_answered_with_the_paths_set_takes():
    # The list said "known: r, alpha, dropout, target_modules": `--set r=8`, typed as listed,
    # was refused in turn, where the "did you mean" beside it already gave the whole path.
    with pytest.raises(TunelabError) as err:
        Config.from_dict({}, ["train.lora.zzz=1"])
    told = "known: train.lora.r, train.lora.alpha, train.lora.dropout, train.lora.target_modules"
    assert f"--set train.lora.zzz: unknown setting ({told})" in str(err.value)


def test_a_setting_typed_in_capitals_is_answered_with_its_name():
    # Closeness is judged case aside, as a mistyped file, run or model name is (tunelab.meant).
    with pytest.raises(TunelabError) as err:
        Config.from_dict({}, ["train.LR=1e-4"])
    assert "--set train.LR: unknown setting (did you mean train.lr?)" in str(err.value)


def test_a_command_without_training_settings_names_none_of_them():
    # `tunelab eval --set learning_rate=1` was told "did you mean train.lr?", which eval refuses.
    with pytest.raises(TunelabError) as err:
        EvalConfig.from_dict({}, ["learning_rate=1"])
    assert "train.lr" not in str(err.value) and "known: data, fields" in str(err.value)


@pytest.mark.parametrize(
    ("option", "told"),
    [
        ("--bf16", "model.dtype: auto already trains with bf16 autocast on a GPU"),
        ("--resume-from-checkpoint", "resume a run with `tunelab train RUN --resume`"),
        ("--sample-packing", "a setting: --set data.packing=VALUE"),
    ],
)
def test_a_peer_option_on_the_command_line_says_what_to_type(option, told):
    # `tunelab train --bf16` was answered "No such option: --bf16" alone.
    result = CliRunner().invoke(app, ["train", option], env={"COLUMNS": "250"}, terminal_width=250)
    assert result.exit_code == 2 and told in result.output
