"""Which setting a name the user typed means: the key a misspelled one meant, a setting as other
tools (transformers, TRL, Axolotl) call it, the `--set` a command-line option it lacks names, and
how to write a value given where a section of settings goes."""

from __future__ import annotations

from pydantic import BaseModel

from tunelab.meant import closest_name

# Settings as transformers' TrainingArguments, TRL, Axolotl and LLaMA-Factory name them, which a
# user coming from them types first: too unlike tunelab's names for a spelling match to find ("lr").
OTHER_TOOLS_NAMES = {
    "learning_rate": "train.lr",
    "num_train_epochs": "train.epochs",
    "num_epochs": "train.epochs",
    "gradient_accumulation_steps": "train.grad_accum",
    "per_device_train_batch_size": "train.batch_size",
    "micro_batch_size": "train.batch_size",
    "lr_scheduler_type": "train.scheduler",
    "lr_scheduler": "train.scheduler",
    "max_seq_length": "data.max_length",
    "sequence_len": "data.max_length",
    "lora_r": "train.lora.r",
    "lora_alpha": "train.lora.alpha",
    "lora_dropout": "train.lora.dropout",
    "lora_target_modules": "train.lora.target_modules",
    "lora_target": "train.lora.target_modules",  # LLaMA-Factory's
    "train_on_inputs": "data.train_on_prompt",
    "sample_packing": "data.packing",
    "val_set_size": "data.test_size",
    "eval_steps": "train.eval_every",
    "save_steps": "train.save_every",
    "save_total_limit": "train.keep_checkpoints",
    "early_stopping_patience": "train.early_stop_patience",
    "cutoff_len": "data.max_length",  # LLaMA-Factory's
    "base_model": "model.name",
    "model_name_or_path": "model.name",
    "datasets": "data.path",
    "dataset_name": "data.path",  # TRL's
    "dataset": "data.path",
    "chat_template": "data.template",
    "adapter": "train.method",
    "finetuning_type": "train.method",
    "load_in_4bit": "model.quantize",
    "load_in_8bit": "model.quantize",
    "torch_dtype": "model.dtype",
}

_ADAMW = "tunelab trains with AdamW alone (train.lr, train.weight_decay, train.max_grad_norm)"

# Their training settings that no one tunelab setting is, with what tunelab does instead.
OTHER_TOOLS_WAYS = {
    "bf16": "model.dtype: auto already trains with bf16 autocast on a GPU; bfloat16 holds the "
    "weights themselves in bf16",
    "fp16": "model.dtype: auto trains with bf16 autocast on a GPU; float16 holds the weights "
    "themselves in fp16 (no loss scaling: prefer bfloat16)",
    "resume_from_checkpoint": "resume a run with `tunelab train RUN --resume` "
    "(tunelab.train(RUN, resume=True))",
    "optim": _ADAMW,
    "optimizer": _ADAMW,
    "logging_steps": "every step is logged, to the run's metrics.jsonl",
    "overwrite_output_dir": "`tunelab train ... --overwrite` replaces a run folder of that name",
    "completion_only_loss": "tunelab trains on the answer alone by default; "
    "data.train_on_prompt: true trains on the prompt too",
    "assistant_only_loss": "tunelab trains on the assistant turns alone by default; "
    "data.train_on_prompt: true trains on every turn",
    "dataset_text_field": "data.fields: {text: COLUMN} names the column of raw text (data.shape: "
    "text)",
    "eval_strategy": "the eval loss is measured every train.eval_every steps",
    "save_strategy": "a checkpoint is saved every train.save_every steps",
    "per_device_eval_batch_size": "the eval loss while training is scored in batches of "
    "train.batch_size; `tunelab eval` decodes batch_size questions together (--batch-size)",
    "neftune_noise_alpha": "tunelab has no NEFTune (noise on the embeddings while training)",
    "max_samples": "tunelab trains on every row of data.path: cut the file to train on fewer "
    "(train.max_steps stops after N steps; `tunelab eval --limit N` scores N questions)",
    "use_peft": "train.method: lora (the default) trains LoRA adapters; full trains every weight",
    "lora_target_linear": "train.lora.target_modules: all-linear (the default) adapts every "
    "linear layer",
    "stage": "tunelab trains on your data's answers (LLaMA-Factory's sft) or, with data.shape: "
    "text, on raw text (pt); it has no reward model, PPO, DPO or KTO stage",
    "do_train": "`tunelab train` trains; `tunelab eval RUN` scores the run's test questions",
    "lora_modules_to_save": "tunelab trains the LoRA adapters alone, no module in full: "
    "train.lora.target_modules names the layers adapted (lm_head too); train.method: full "
    "trains every weight",
}


def _section_at(loc: tuple, model: type[BaseModel]) -> type[BaseModel] | None:
    """The section (settings class) at a dotted place in `model`, None where none is."""
    for part in loc:
        field = model.model_fields.get(str(part))
        inner = field and field.annotation
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return None
        model = inner
    return model


def value_for_a_section(loc: tuple, value: object, model: type[BaseModel]) -> str:
    """`model: tiny-random` where a section of settings goes: the way to write it, by the
    section's first setting (model.name, data.path, train.method), which such a value means."""
    first = next(iter(_section_at(loc, model).model_fields))
    where = ".".join(str(p) for p in loc)
    return f"a section of settings, not a value: write `{loc[-1]}: {{{first}: {value}}}` " + (
        f"(--set {where}.{first}={value})"
    )


def unknown_key(loc: tuple, model: type[BaseModel]) -> str:
    """Name the key a misspelled one most likely meant, by its full path as `--set` takes it
    (train.max_step: train.max_steps), from the section that refused it, else the setting of
    that name in another section (train.max_length: data.max_length); else list that section's
    settings by their paths too (train.lora.r, not r)."""
    root = model
    model = _section_at(loc[:-1], model)
    if model is None:
        return "unknown setting"
    key = str(loc[-1])
    if way := other_tools_way(root, key):
        return f"unknown setting; {way}"
    settings = setting_paths(root)
    # This section's settings by the paths --set takes: said, in "did you mean" or the list
    here = {name: ".".join([*map(str, loc[:-1]), name]) for name in model.model_fields}
    close = [here[name]] if (name := closest_name(key, here, cutoff=0.6)) else []
    if OTHER_TOOLS_NAMES.get(key) in settings:  # not another command's: eval has no train.lr
        close = [OTHER_TOOLS_NAMES[key]]
    elsewhere = [path for path in settings if path.rpartition(".")[2] == key]
    if not close and elsewhere:
        close = [" or ".join(elsewhere)]
    ours = [name for name, path in OTHER_TOOLS_NAMES.items() if path in settings]
    if not close and (other := closest_name(key, ours, cutoff=0.8)):
        close = [OTHER_TOOLS_NAMES[other]]  # "lerning_rate"
    known = f"did you mean {close[0]}?" if close else "known: " + ", ".join(here.values())
    return f"unknown setting ({known})"


def other_tools_way(model: type[BaseModel], name: str) -> str | None:
    """What tunelab does instead of another tool's training setting (`bf16`, `--bf16`) that no
    one tunelab setting is; None for a config that trains nothing (eval's, bench's)."""
    way = OTHER_TOOLS_WAYS.get(name.lstrip("-").replace("-", "_"))
    return way if way and "train.method" in setting_paths(model) else None


def setting_named(model: type[BaseModel], option: str) -> str | None:
    """The setting of `model` a command-line option it has not names, by its dotted path, for a
    `--set` hint (`--lr`: train.lr, `--learning-rate`: train.lr as other tools call it, `--model`:
    model.name, `--data`: data.path); None when it names none. Of two, the one nearer the top (`--name`: the run's)."""
    key = option.lstrip("-").replace("-", "_")
    settings = setting_paths(model)
    sections = {path.rpartition(".")[0] for path in settings}
    named = {}  # a setting's name, or a section's that has a name or path -> the values' paths
    for path in settings:
        values = [f"{path}.name", f"{path}.path"] if path in sections else [path]
        for value in (v for v in values if v in settings):  # `--data qa.jsonl`: data.path
            named.setdefault(path.rpartition(".")[2], []).append(value)
    paths = sorted(named.get(key, []), key=lambda path: path.count("."))
    if not paths and OTHER_TOOLS_NAMES.get(key) in settings:
        paths = [OTHER_TOOLS_NAMES[key]]
    if len(paths) > 1 and paths[0].count(".") == paths[1].count("."):
        return None
    return paths[0] if paths else None


def setting_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every setting of `model` and its sections, by its dotted path (train.lora.r)."""
    paths = []
    for name, field in model.model_fields.items():
        inner = field.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += setting_paths(inner, f"{prefix}{name}.")
        paths.append(f"{prefix}{name}")
    return paths
