"""A run as a plain Hugging Face folder: a LoRA adapter merged into its base weights, saved with the
tokenizer and chat template, so `AutoModelForCausalLM.from_pretrained(dir)` works without tunelab."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.files.write_files import cannot_write
from tunelab.data.prompts.templates import BUILTIN_TEMPLATES
from tunelab.errors import TunelabError
from tunelab.generation.generate import stop_at_turn_end
from tunelab.meant import check_choice
from tunelab.models.tokenizer_file import save_tokenizer
from tunelab.run import Run, load_model, prompt_for
from tunelab.run_files import with_umask
from tunelab.run_prompt import trained_chat_template


def load_merged(name: str | Run) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load any model tunelab knows; a LoRA run comes back with the adapter folded into the weights
    and a chat template that asks it as it was trained (see `Run.prompt`). A QLoRA run's base is
    quantized and dequantized again first (`Run.load`): the adapter learned its correction on
    those weights, not on the original ones, and the result needs no bitsandbytes."""
    model, tokenizer = load_model(name)  # a LoRA run merged (Run.load)
    prompt = prompt_for(name)
    if prompt.template in BUILTIN_TEMPLATES:
        tokenizer.chat_template = trained_chat_template(
            tokenizer, prompt.template, prompt.system_prompt
        )
    return model.eval(), tokenizer


DTYPES = ("float32", "bfloat16", "float16")
Loader = Callable[[], tuple[PreTrainedModel, PreTrainedTokenizerBase]]


def export_merged(
    name: str | Run, out_dir: str | Path, dtype: str = "float32", load: Loader | None = None
) -> Path:
    """Write `name` (a run, usually) to `out_dir` as safetensors + config + tokenizer + template.
    The merge happens in float32; `dtype` is what is saved (bfloat16 halves the folder). `load`:
    what gives `load_merged(name)`, where another output shares it (`export`)."""
    check_choice("--dtype", dtype, DTYPES)
    out = Path(out_dir)
    # The folders the writability check makes (`exp/a/b` for `exp/a/b/merged`): a failure before
    # the weights are written leaves none of them, empty, for the retry to find.
    made = [folder for folder in (out, *out.parents) if not folder.exists()]
    try:
        check_merged_target(out)
        model, tokenizer = load() if load else load_merged(name)
    except BaseException:
        for folder in made:  # innermost first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    model = model.to(getattr(torch, dtype))
    # The config must not point back at tunelab names (a run folder, 'tiny-random') a reader lacks.
    model.config.name_or_path = out.name
    stop_at_turn_end(model, tokenizer)
    try:
        save_merged(model, tokenizer, out)
    except OSError as err:  # a full disk, or the folder made read-only meanwhile
        raise cannot_write(out, err) from None
    return out


def save_merged(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out: Path) -> None:
    """Save beside `out` and rename the folder into its place (`out` was checked empty): an
    export cut short (a full disk, Ctrl-C, a killed process) leaves no weights without their
    tokenizer, which would pass for a model and block the retry."""
    part = out.with_name(f"{out.name}.part{os.getpid()}")
    try:
        model.save_pretrained(part, safe_serialization=True)
        save_tokenizer(tokenizer, part, model.config)
        with_umask(part)
        out.rmdir()
        part.rename(out)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise


def refuse_merged_target(out: Path) -> None:
    """Refuse a target that holds files or is a file, touching nothing (`export` asks first, before
    it says it is writing)."""
    if out.is_dir() and any(out.iterdir()):
        raise TunelabError(
            f"{out} exists and is not empty: choose a new folder or delete it first "
            "(--overwrite replaces --gguf files only: a folder may hold more than an export)"
        )
    if out.exists() and not out.is_dir():
        raise TunelabError(f"{out} is a file: --merged takes a folder to create")


def check_merged_target(out: Path) -> None:
    """Refuse, before the merge, a target that holds files, is a file or cannot be written."""
    refuse_merged_target(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):  # root ignores permission bits, not read-only disks
            pass
    except OSError as err:
        raise cannot_write(out, err) from None
