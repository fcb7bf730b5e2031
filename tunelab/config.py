"""Typed settings, built once at the edge (CLI, YAML, Python) and passed to each stage: `Config`,
what a training run is (its sections below); `tunelab.section.Section` is the base of every
stage's config."""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from tunelab.errors import TunelabError, undecoded
from tunelab.section import Limit, Section, UniqueKeyLoader, key_lines, yaml_error

DEFAULT_MODEL = "smollm2-135m-instruct"


def _fraction_or_count(value: float) -> float | int:
    # int() would hold out 2 of "2.5": a count has no fraction, a fraction is below 1.
    if value >= 1 and not value.is_integer():
        raise ValueError(
            f"test_size is a fraction below 1 (0.1: a tenth) or a whole count (25), got {value}"
        )
    # A count kept as the float the field parses it to read back as "8.0" (config.yaml, the
    # settings `tunelab runs --plot` shows differ) where the user typed 8.
    return int(value) if value.is_integer() else value


def _home_expanded(value: str | Path | None) -> str | Path | None:
    # "~/data/qa.jsonl" in a config (or --set, where the shell leaves it) is the user's home:
    # no file is named "~".
    if isinstance(value, Path):
        return value.expanduser()
    return os.path.expanduser(value) if value and value.startswith("~") else value


# A file or folder of the user's: its "~" is their home. Annotated whole, so that the field's
# type stays str or Path (or optional), which --set reads as text (section._holds_text).
LocalPath = Annotated[str, AfterValidator(_home_expanded)]
OptionalLocalPath = Annotated[str | None, AfterValidator(_home_expanded)]
LocalFolder = Annotated[Path, AfterValidator(_home_expanded)]  # for fields of Paths (bench's)
OptionalLocalFolder = Annotated[Path | None, AfterValidator(_home_expanded)]

Shape = Literal["auto", "qa", "alpaca", "prompt_completion", "messages", "text"]
# What a command does of a bad row (data.on_error, --on-error): one choice wherever rows are
# read (train, data commands, eval, augment, self-instruct).
OnError = Literal["raise", "skip"]


Tracker = Literal["tensorboard", "mlflow", "wandb"]


def _tracker_names(value: Any) -> Any:
    """`report_to: tensorboard` is a list of one; `all` is every tracker whose library is
    installed (as transformers reads it: it asked for all three), `none` none."""
    if value == "all":
        import importlib.util

        # Each tracker's library is named like it (trackers.check_trackers).
        return [name for name in typing.get_args(Tracker) if importlib.util.find_spec(name)]
    if isinstance(value, str):  # `--set train.report_to=tensorboard,mlflow` names two
        return [] if value == "none" else [n.strip() for n in value.split(",") if n.strip()]
    return value


class ModelConfig(Section):
    name: LocalPath = DEFAULT_MODEL
    """Embedded default, a Hugging Face directory or hub id, a run folder, or `tiny-random`."""
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    """The weights' dtype while training. auto: float32 weights, with bfloat16 autocast on a GPU
    (mixed precision). bfloat16/float16: the weights themselves, half the memory ("true" half
    precision; LoRA adapters stay float32; float16 has no loss scaling, prefer bfloat16)."""
    quantize: Literal["nf4", "int8"] | None = None
    """Load the base quantized by bitsandbytes (pip install 'tunelab[qlora]') and train LoRA on
    top: nf4 (4-bit NormalFloat, QLoRA) or int8. The rest of the model is then bfloat16 under
    dtype auto; the adapters stay float32. A merged export is the dequantized base plus the
    adapter."""


class PassagesConfig(Section):
    """Passages retrieved into training prompts, as `tunelab compare`'s RAG arms ask a question
    (RAFT, Zhang et al. 2024): a model trained so learns to read them, and to refuse an
    off-topic question though the passages shown are on topic."""

    share: float = Field(0.0, ge=0, le=1)
    """Share of the training rows (drawn by data.seed) whose question carries the k passages
    BM25 finds for it, never the row itself nor a row asking its question: 0 is off; 0.5 also
    keeps the run answering bare questions."""
    k: int = Field(3, ge=1)
    """Passages per question, as `tunelab compare --k` (as many, best first, as max_length
    holds beside the answer)."""
    corpus: OptionalLocalPath = None
    """What they are retrieved from: a Q&A file or documents (default: the training rows, after
    the test rows were split off)."""


class DataConfig(Section):
    run_section: ClassVar[str | None] = "data"
    path: OptionalLocalPath = None
    """A data file (JSONL, JSON array, CSV/TSV, Parquet), documents (text rows), a
    `datasets.save_to_disk` folder, a folder of these, or a hub dataset (hf://org/name)."""
    test_path: OptionalLocalPath = None
    """Optional separate test file; otherwise `test_size` of `path` is held out."""
    shape: Shape = "auto"
    """Which columns hold what; auto tells by the first row's columns."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Rename columns to the shape's names, e.g. {question: prompt_text}."""
    template: str = "chat"
    """`chat` (the model's own template), `alpaca`, `qa` (### Question/### Answer), or a Jinja string."""
    system_prompt: str | None = None
    """A system turn put first in every example that has none."""
    max_length: int = Field(512, ge=2)
    """Tokens per example (and per packed row); at least 2, as one token has nothing to predict
    (a raw text's 1-token windows trained on no token at all, 3,586 steps "finished")."""
    truncation: Literal["keep_response", "right", "drop"] = "keep_response"
    """An example past max_length: keep_response cuts the oldest prompt tokens first, right cuts
    the end, drop drops it."""
    packing: bool = True
    train_on_prompt: bool = False
    """Train on every token of an example, the prompt's (system turn, question, template) as well
    as the answer's, instead of the answer's alone; eval loss then counts them too."""
    test_size: Annotated[float, AfterValidator(_fraction_or_count)] = Field(0.1, ge=0)
    """Held out for testing: a fraction, or a count if >= 1, of the distinct questions (every row
    of a question goes to one side, so rows may differ from it)."""
    held_out: Literal["questions", "rephrasings"] = "questions"
    """Which questions test_size holds out: questions, any (the split of earlier versions);
    rephrasings, only a question whose answer another question kept for training gives (or,
    for rows `data augment` rewrote, one row of the same source), so each test row asks a
    trained fact anew. Use rephrasings for generated or augmented Q&A, where a
    fact's only pair held out can only be guessed. Beside a test_path, rephrasings keeps the
    training rows that give a test row's answer to its question reworded (questions drops them
    as leaks), as the test file of a rephrasings split (its split.json) does."""
    seed: int = 42
    dedupe: bool = True
    """Drop exact repeats, and training rows asking a question of test_path (counted, printed)."""
    on_error: OnError = "raise"
    """A bad row: raise stops at it, naming file and line; skip skips and counts it."""
    passages: PassagesConfig = Field(default_factory=PassagesConfig)
    """Retrieved passages in training prompts (RAFT): off unless passages.share is set."""
    special_tokens_in_text: Literal["token", "text"] = "token"
    """Raw text holding a special token's text ("<|im_end|>"): token reads it as the token itself
    (text already in the model's chat format), text as plain characters (documents that only
    mention it: as tokens, the model learns to stop there)."""


class LoraConfig(Section):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str | list[str] = "all-linear"


class TrainConfig(Section):
    method: Literal["lora", "full"] = "lora"
    lora: LoraConfig = Field(default_factory=LoraConfig)
    epochs: float = Field(3.0, gt=0)
    max_steps: Limit = None
    """Optimizer steps; overrides `epochs` when set."""
    batch_size: int = Field(8, ge=1)
    """Rows per micro-batch (a packed row holds several examples)."""
    grad_accum: int = Field(1, ge=1)
    lr: float = Field(2e-4, gt=0)
    scheduler: Literal["constant", "linear", "cosine"] = "cosine"
    warmup_steps: int | None = Field(None, ge=0)
    warmup_ratio: float = Field(0.05, ge=0, le=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    eval_every: int = Field(50, ge=1)
    save_every: int = Field(100, ge=1)
    save_at_end: bool = True
    """Save a checkpoint after the last step too, so `--resume` can continue a finished run."""
    keep_checkpoints: int = Field(2, ge=1)
    early_stop_patience: Limit = None
    """Stop after this many evals without a better eval loss."""
    eval_generate_every: Limit = None
    """Every N steps (and at the start and end) answer the held-out questions and score them:
    fact accuracy where the test rows name their facts, else token F1. Eval loss can fall while
    the answers stay wrong; this measures the answers."""
    eval_questions: Limit = None
    """Ask at most this many held-out questions each time (all by default)."""
    eval_max_new_tokens: int = Field(64, ge=1)
    select_best: Literal["last", "eval_loss", "fact_accuracy", "token_f1"] = "last"
    """Which weights model/ holds at the end: the last step's, or the best step's by eval loss
    or by the held-out score (fact_accuracy and token_f1 need eval_generate_every)."""
    gradient_checkpointing: bool = False
    return_freed_memory: bool = False
    """Give each large freed tensor back to the system at once (glibc maps it on its own): a lower
    peak (LoRA, batch 8 x 256: 5.6 instead of 7.6 GiB RSS), slower steps, as every step faults its
    memory in afresh (8.7 -> 14.1 s on the idle 2-core VM). gradient_checkpointing saves more.
    Off, a CPU run keeps up to 1 GiB freed at the heap's top for the next step instead."""
    seed: int = 42
    device: str = "auto"
    compile: bool = False
    """torch.compile each decoder layer (compiled once, reused by every layer). Measure before a
    long run: on a CPU it keeps eager's products (MKL's on an Intel CPU or one without AVX-512,
    else oneDNN's) and runs no faster, after ~10 s of compiling (the embedded model); on a GPU not measured since it
    compiled the decoder whole, when a 1B shape's 12 steps on an H200 had not ended after 214 s,
    against 34 s not compiled (benchmarks/README.md)."""
    attention: Literal[
        "auto", "documents", "sdpa", "flex_attention", "flash_attention_2", "eager"
    ] = "auto"
    """Attention kernel. Each keeps packed documents apart (documents by one causal call per
    document, sdpa and eager through a block-diagonal mask, flex_attention by skipping blocks
    across documents, flash_attention_2 as variable-length sequences). auto: documents on a CPU
    (for models without windowed or soft-capped attention), flash_attention_2 on a GPU where the
    flash-attn package is installed, else the model's own default."""

    parallel: Literal["ddp", "fsdp"] = "ddp"
    """How the processes torchrun starts share the work. ddp: each holds the whole model, its
    gradients and AdamW state. fsdp: each holds 1/N of them (FSDP2, one decoder layer gathered at
    a time); its checkpoints resume on any number of processes."""
    cpu_offload: bool = False
    """With parallel=fsdp on GPUs: the shards of weights, gradients and AdamW state live in CPU
    memory and the optimizer step runs there: a bigger model fits, each step is slower."""

    report_to: Annotated[list[Tracker], BeforeValidator(_tracker_names)] = Field(
        default_factory=list
    )
    """Experiment trackers that get the config and every metrics.jsonl row, as transformers'
    report_to names them: tensorboard, mlflow, wandb (a list, or one name; all; none)."""

    @model_validator(mode="after")
    def _best_needs_its_score(self) -> TrainConfig:
        if self.select_best in ("fact_accuracy", "token_f1") and not self.eval_generate_every:
            raise ValueError(
                f"select_best: {self.select_best} needs train.eval_generate_every (how often "
                "to answer the held-out questions), e.g. 20"
            )
        return self

    @model_validator(mode="after")
    def _fsdp_settings(self) -> TrainConfig:
        if self.cpu_offload and self.parallel != "fsdp":
            raise ValueError("cpu_offload needs train.parallel: fsdp (DDP keeps a whole copy)")
        return self


def _folder_name(name: str) -> str:
    # The run's folder is output_dir/name, which --overwrite deletes: "." made it output_dir
    # itself (every run in it deleted), "../x" a folder outside it.
    if name.strip() in ("", ".", "..") or "/" in name or "\\" in name:
        raise ValueError(f"name {name!r} must name one folder (no /, not . or ..)")
    return name


class Config(Section):
    name: Annotated[str, AfterValidator(_folder_name)] = "run"
    """The run's folder name, inside output_dir."""
    output_dir: LocalPath = "runs"
    """Where run folders go."""
    model: ModelConfig = Field(default_factory=ModelConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)

    @model_validator(mode="after")
    def _quantized_base_takes_lora(self) -> Config:
        if self.model.quantize and self.train.method != "lora":
            raise ValueError(
                f"model.quantize: {self.model.quantize} freezes the base in bitsandbytes' "
                "format, so only adapters can train: set train.method: lora (QLoRA)"
            )
        if self.model.quantize and self.train.parallel == "fsdp":
            raise ValueError(
                "model.quantize with train.parallel: fsdp is not supported (FSDP shards float "
                "weights): use parallel: ddp"
            )
        return self

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.name

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: list[str] | None = None) -> Config:
        path = Path(path)
        if not path.exists():
            raise TunelabError(f"config file not found: {path}")
        if path.is_dir():
            raise TunelabError(f"{path} is a folder, not a YAML config file")
        try:
            content = path.read_bytes()
            text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text
            raw = yaml.load(text, Loader=UniqueKeyLoader) or {}
        except yaml.YAMLError as err:
            raise TunelabError(yaml_error(str(path), err)) from None
        except UnicodeDecodeError as err:  # UTF-16 most often: what PowerShell's `>` writes
            raise TunelabError(undecoded(path, content, err)) from None
        if not isinstance(raw, dict):
            raise TunelabError(f"{path}: a config is a mapping of settings (name: ..., data: ...)")
        # Relative data paths in a config mean relative to the config file, as a user expects.
        data = raw.get("data")
        passages = data.get("passages") if isinstance(data, dict) else None
        for section, key in (
            (data, "path"),
            (data, "test_path"),
            (passages, "corpus"),
        ):
            value = section.get(key) if isinstance(section, dict) else None
            if (
                isinstance(value, str)
                and not Path(value).is_absolute()
                and (path.parent / value).exists()
            ):
                section[key] = str(path.parent / value)
        model = raw.get("model")  # a local base beside the config, as a data file is
        name = model.get("name") if isinstance(model, dict) else None
        if isinstance(name, str) and not Path(name).is_absolute() and (path.parent / name).exists():
            raw["model"]["name"] = str(path.parent / name)
        lines = key_lines(text)
        for item in overrides or []:  # an overridden value comes from the command line
            lines[item.partition("=")[0].strip()] = "--set"
        return cls.from_dict(raw, overrides, source=str(path), lines=lines)

    def to_yaml(self, path: str | Path) -> None:
        # A system prompt or path in Hindi or Chinese stays readable, not \u escapes.
        dumped = yaml.safe_dump(self.model_dump(), sort_keys=False, allow_unicode=True)
        Path(path).write_text(dumped, encoding="utf-8")


SectionT = typing.TypeVar("SectionT", bound=Section)


def fit_max_length(
    section: SectionT, model_name: str, limit: int, name: str = "data.max_length"
) -> SectionT:
    """A section's max_length within the model's context: the default shrinks to fit, a value the
    user chose is an error (rows past the position table fail deep inside the model, and a data
    check that measured rows against it would pass what training refuses)."""
    if section.max_length <= limit:
        return section
    if "max_length" in section.model_fields_set:
        raise TunelabError(
            f"{name}={section.max_length} is longer than {model_name}'s context of {limit} "
            f"tokens: set {name} to {limit} or less"
        )
    return section.model_copy(update={"max_length": limit})
