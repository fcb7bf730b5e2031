"""`PlanConfig`: what a training run's memory depends on, from the command line, from a
training config, or from a run folder's."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from tunelab.config import Config, LocalPath
from tunelab.errors import TunelabError
from tunelab.run import Run
from tunelab.section import Section
from tunelab.setting_names import setting_paths
from tunelab.train.plan.data_rows import data_rows
from tunelab.train.plan.shapes import ATTENTION, EMBED, HEAD, MLP

FUSED = {"qkv_proj": ("q_proj", "k_proj", "v_proj"), "gate_up_proj": ("gate_proj", "up_proj")}
# A plan of no run plans the run `tunelab train` makes by default: its defaults are read off the
# training config's, so that a default changed there is the plan's too.
TRAINING_DEFAULTS = Config()


class PlanConfig(Section):
    """The settings of `tunelab plan`; `PlanConfig.of(config)` reads them from a training run's."""

    model: LocalPath = TRAINING_DEFAULTS.model.name
    """A known model (Llama-3.2-1B, Llama-3.1-8B, Llama-3.1-70B, Qwen2.5-*, SmolLM2-*, the
    embedded default), a Hugging Face folder, a config.json, or a run folder."""
    method: Literal["full", "lora", "qlora"] = TRAINING_DEFAULTS.train.method
    """qlora: LoRA on a base quantized by bitsandbytes (model.quantize)."""
    quantize: Literal["nf4", "int8"] = "nf4"
    """The quantized base of qlora: 4-bit NormalFloat or 8-bit."""
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = TRAINING_DEFAULTS.model.dtype
    """model.dtype. auto: float32 weights (bfloat16 beside a quantized base)."""
    batch_size: int = Field(TRAINING_DEFAULTS.train.batch_size, ge=1)
    """Rows per micro-batch on each process."""
    max_length: int = Field(TRAINING_DEFAULTS.data.max_length, ge=1)
    """Tokens per row (packed rows are full)."""
    processes: int = Field(1, ge=1)
    """Processes (GPUs) training together."""
    parallel: Literal["ddp", "fsdp"] = TRAINING_DEFAULTS.train.parallel
    """ddp: each process holds everything; fsdp: weights, gradients and AdamW state split N ways."""
    cpu_offload: bool = TRAINING_DEFAULTS.train.cpu_offload
    """fsdp: the shards live in CPU memory."""
    gradient_checkpointing: bool = TRAINING_DEFAULTS.train.gradient_checkpointing
    lora_r: int = Field(TRAINING_DEFAULTS.train.lora.r, ge=1)
    lora_dropout: float = Field(TRAINING_DEFAULTS.train.lora.dropout, ge=0, lt=1)
    lora_targets: str | list[str] = TRAINING_DEFAULTS.train.lora.target_modules
    packing: bool = TRAINING_DEFAULTS.data.packing
    attention: Literal["sdpa", "flash_attention_2", "flex_attention"] = "sdpa"
    """flash_attention_2 and flex_attention keep k and v unrepeated and build no mask."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """auto: cuda when --gpu-memory is given or a GPU is present, else cpu."""
    gpu_memory: float | None = Field(None, gt=0)
    """GiB per GPU to check against, e.g. 80 (default: this machine's GPU, or free RAM on a CPU)."""
    training_examples: int | None = Field(None, ge=1)
    """A training YAML's or run's training examples (its data read, not tokenized): no batch
    holds more rows; unset, a batch is batch_size rows."""
    packed_rows: int | None = Field(None, ge=1)
    """The rows those examples pack into (with the model's tokenizer, where it is at hand)."""
    longest_example: int | None = Field(None, ge=1)
    """Tokens of the training set's longest example, truncated (with the model's tokenizer):
    unpacked, the loop pads a batch only to its longest row, so no row is planned longer."""
    longest_packed_row: int | None = Field(None, ge=1)
    """Tokens of the fullest row those examples pack into: packed, likewise."""
    rows_at_most: bool = False
    """Whether those counts are at most: the plan counts a near repeat of a held-out question on
    the training side, where a run moves it to the test side."""
    data_unread: str | None = None
    """Why a training YAML's or run's data file was not read (a bad row, under data.on_error:
    raise): the batch and rows are then planned as set."""
    overrides: list[str] = []
    """A training YAML's or run's settings as `tunelab train` spells them (train.batch_size=1,
    data.max_length=512, train.lora.r=8), applied to its config before it is planned."""

    @classmethod
    def from_dict(
        cls,
        raw: dict[str, Any],
        overrides: list[str] | None = None,
        source: str = "config",
        lines: dict[str, int | str] | None = None,
    ) -> PlanConfig:
        """As every Section's, but `--set` in the training config's spelling (a dotted key under
        one of its sections: train.batch_size) goes to `overrides`, so that `--set` reads on
        `plan` as on `train`."""
        keys = [(o, o.partition("=")[0].strip().split(".")) for o in overrides or []]
        training = [o for o, key in keys if len(key) > 1 and key[0] in ("model", "data", "train")]
        if training:
            raw = {**raw, "overrides": [*raw.get("overrides", []), *training]}
        own = [o for o in overrides or [] if o not in training]
        try:
            return super().from_dict(raw, own, source, lines)
        except TunelabError as err:  # `--set lora.r=8`: lora_r, or a training YAML's train.lora.r
            meant = [
                f"--set {path}={value.strip()}"
                for key, _, value in (o.partition("=") for o in own)
                for path in setting_paths(Config)
                if "." in key and path.endswith("." + key.strip())
            ]
            if not meant:
                raise
            raise TunelabError(f"{err} (with a training YAML or run: {', '.join(meant)})") from None

    @classmethod
    def of(cls, config: Config, processes: int = 1, device: str = "auto") -> PlanConfig:
        """The plan of a training config, run by `processes` processes on `device`."""
        cfg = config.train
        quantize = config.model.quantize
        return cls(
            model=config.model.name,
            method="qlora" if quantize and cfg.method == "lora" else cfg.method,
            quantize=quantize or "nf4",
            dtype=config.model.dtype,
            batch_size=cfg.batch_size,
            max_length=config.data.max_length,
            processes=processes,
            parallel=cfg.parallel,
            cpu_offload=cfg.cpu_offload,
            gradient_checkpointing=cfg.gradient_checkpointing,
            lora_r=cfg.lora.r,
            lora_dropout=cfg.lora.dropout,
            lora_targets=cfg.lora.target_modules,
            packing=config.data.packing,
            # auto is sdpa unless flash-attn is installed on a GPU: sdpa is the larger of the two.
            # eager also keeps every layer's attention weights, which the plan leaves out.
            attention="sdpa" if cfg.attention in ("auto", "eager") else cfg.attention,
            device=device,
        )

    def with_run_settings(self) -> PlanConfig:
        """Of a run folder or a training YAML (`model`), the run's own settings (its method, batch, length...) but
        for those set here (`model_fields_set`: the options a command line names, the keywords
        given in Python), so `tunelab plan RUN --batch-size 4` and
        `tunelab.plan(model=RUN, batch_size=4)` plan the same run; any other model as it is."""
        if self.model.endswith((".yaml", ".yml")) and Path(self.model).is_file():
            # A training config, before it has run.
            config = Config.from_yaml(self.model, self.overrides)
        elif run := Run.find(self.model):  # a run's model/ folder as its run
            config = Run.open(run.path, self.overrides).config if self.overrides else run.config
        elif Run.is_started(self.model):
            # A run stopped before its model/ was written (a SIGTERM keeps its checkpoint alone)
            # is planned as the run it is too, to be resumed.
            config = Run.open(self.model, self.overrides).config
        elif self.overrides:
            raise TunelabError(
                f"--set {self.overrides[0]}: a training config's setting, for planning a training "
                f"YAML or a run; for the model {self.model} set plan's own (--set batch_size=1, "
                "max_length, lora_r: `tunelab plan --help`)"
            )
        else:
            return self
        given = {
            name: getattr(self, name) for name in self.model_fields_set - {"model", "overrides"}
        }
        return PlanConfig.of(config).model_copy(update=given).sized_to_data(config)

    def sized_to_data(self, config: Config, tokenize: bool = True) -> PlanConfig:
        """This plan with the rows `config`'s training set makes (`data_rows`; `tokenize` False
        counts examples alone), so that no batch is planned larger or wider than the data."""
        rows = data_rows(config, self.batch_size, tokenize)
        return self.model_copy(
            update={
                "training_examples": rows.examples,
                "packed_rows": rows.packed,
                "longest_example": rows.longest_example,
                "longest_packed_row": rows.longest_packed_row,
                "rows_at_most": rows.at_most,
                "data_unread": rows.unread,
            }
        )

    def targets(self) -> tuple[str, ...]:
        """LoRA's target modules as projection names, lm_head and embed_tokens among them when
        they are adapted (peft's all-linear: all but lm_head)."""
        if self.method == "full":
            return ()
        if self.lora_targets == "all-linear":
            return ATTENTION + MLP
        names = (self.lora_targets,) if isinstance(self.lora_targets, str) else self.lora_targets
        # Phi-3's fused projections hold the weights of Llama's three and two: sized as those
        # (one adapter's A over the shared input counted three or two times: a few KiB more).
        names = [part for name in names for part in FUSED.get(name, (name,))]
        known = ATTENTION + MLP + (HEAD, EMBED)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise TunelabError(
                f"lora_targets {unknown}: the plan knows {', '.join(known + tuple(FUSED))} and "
                "all-linear"
            )
        return tuple(names)

    def weight_bytes(self) -> int:
        """Bytes a (not quantized) weight takes: float32 under auto, bf16 beside a quantized base."""
        if self.dtype == "auto":
            return 2 if self.method == "qlora" else 4
        return 4 if self.dtype == "float32" else 2
