"""What a model's name names, checked before anything loads: a path that is not there, a hub id
neither cached nor reachable (refused at once, not after the hub client's retries), and what
transformers' failure to read one means to the user."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tunelab.errors import TunelabError, broken_link, exists, first_few, one_line
from tunelab.meant import closest_name
from tunelab.models.random_shapes import RANDOM_SHAPES, TINY_NAME

EMBEDDED_NAME = "smollm2-135m-instruct"

# A tokenizer's files, one of which every model folder holds (fast, BPE, WordPiece, SentencePiece,
# Mistral's tekken); asked only once transformers has failed to read the folder.
TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt",
    "merges.txt", "spiece.model", "tekken.json",
)  # fmt: skip
# A model file's extensions: a hub id never ends so (though hub names hold dots: Qwen2.5-0.5B).
FILE_SUFFIXES = (".gguf", ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".json", ".yaml")
_HOST_PORT = re.compile(r"[\w.-]+:\d+(/\S*)?")  # localhost:8000/v1


def looks_like_path(name: str, listing: list[Path] | None = None) -> bool:
    """Whether `name` can only mean a file or folder: the hub's ids are `name` or `org/name`
    (so no leading `.`, `~` or `/`, no second `/`, no backslash), never a model file's name.
    An `org/name` whose `org` is a folder of runs here is taken for a path too: "runs/mien"
    mistyped is a run that is not there, not a hub id to ask for (45 s of retries offline); a
    folder of downloaded models named like a hub org (./Qwen/...) leaves hub ids to the hub.
    `listing`: the parent's (`folder_listing`), where the caller has listed it already."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if name.lower().endswith(FILE_SUFFIXES):
        return True
    if "/" in name and _holds_runs(Path(name).parent, listing):
        return True
    try:
        validate_repo_id(name)
    except HFValidationError:
        return True
    return False


def _holds_runs(folder: Path, listing: list[Path] | None = None) -> bool:
    """Whether `folder` holds tunelab runs (a config.yaml in a folder of it). `listing`: its
    listing, where the caller has it."""
    listed = _listed(folder) if listing is None else listing
    return any(_has_run_config(child) for child in listed)


def _has_run_config(folder: Path) -> bool:
    """Whether `folder` holds a run's config.yaml; not one this user may not enter (another
    user's run beside the user's own: a hint is no reason for a traceback)."""
    try:  # run.CONFIG_FILE, spelled out: run sits a layer above this module
        return (folder / "config.yaml").is_file()
    except OSError:
        return False


def _seen(path: Path) -> bool:
    """Whether `path` is there as a hint looks for it: not inside a folder this user may not
    enter ("run/theirs/x" beside another user's runs/theirs), which raised a PermissionError."""
    try:
        return path.exists()
    except OSError:
        return False


def _holds_model(folder: Path) -> bool:
    """Whether `folder` is a Hugging Face model's (its config.json at its top)."""
    try:
        return folder.is_dir() and (folder / "config.json").is_file()
    except OSError:  # a folder this user may not look in (/tmp's systemd-private-*): none
        return False


def folders_beside(path: Path, listing: list[Path] | None = None) -> str:
    """The folders beside a path that is not there (a run's name mistyped), for its error to
    show: ' (in runs/: a, b)'; '' in the current folder, whose listing says little, and in one
    this user may not list (a hint is no reason for a traceback). `listing`: the parent's
    (`folder_listing`), where the caller has listed it already."""
    parent = path.parent
    if parent == Path("."):
        return ""
    if listing is None:
        listing = folder_listing(parent)
    if listing is None:
        return ""
    try:
        folders = [p.name for p in listing if p.is_dir()][:8]
    except OSError:  # a folder this user may list but not enter
        return ""
    return f" (in {parent}/: {', '.join(folders) or 'no folders'})"


def check_model_name(name: str) -> None:
    """Fail at once on a path that is not there, instead of asking the hub for it (which takes
    ~45 s of retries offline and then blames the network)."""
    path = Path(name)
    # The parent listed once, for whether it holds runs and for both hints below (plan runs/mime
    # listed runs/ twice); a bare name's folder, ".", only where a hint needs it.
    listing = folder_listing(path.parent) if "/" in name else None
    if looks_like_path(name, listing) and not exists(name):
        if listing is None:
            listing = folder_listing(path.parent)
        given = f"a hub id (org/name) or {EMBEDDED_NAME!r}"
        if _HOST_PORT.fullmatch(name):  # "localhost:8000": a server without its scheme
            given = f"a hub id (org/name), {EMBEDDED_NAME!r} or a server's URL: http://{name}"
        where = broken_link(path) or folders_beside(path, listing)
        raise TunelabError(
            f"model {name!r}: no such file or folder{where}; read as a path, the hub was not "
            f"asked for it. Give a run folder, a Hugging Face model folder, {given}"
            f"{meant_beside(path, listing or []) or '.'}"
        )


def meant_beside(path: Path, listing: list[Path] | None = None) -> str:
    """ ". Did you mean runs/mine?" for a path that is not there whose name is close to one
    beside it (./mymodle for the user's ./mymodel folder, runs/mime for runs/mine), said after a
    clause as `meant_here` is; else "". `listing`: the parent's, where the caller listed it."""
    listed = _listed(path.parent) if listing is None else listing
    beside = {p.name: str(path.parent / p.name) for p in listed}
    beside.pop(path.name, None)  # a broken link is listed: never offer the name typed
    said = did_you_mean(path.name, beside)
    return f".{said}" if said else ""


def beside_said(path: Path) -> str:
    """ " (in runs/: mine, other). Did you mean runs/mine?" for a path that is not there: the
    folders beside it and the one it likely meant, its folder listed once for both."""
    listing = folder_listing(path.parent)
    return folders_beside(path, listing) + meant_beside(path, listing or [])


def did_you_mean(name: str, meant: Mapping[str, str], cutoff: float = 0.8) -> str:
    """ " Did you mean X?" for a name that names nothing here: X what `meant` (a name → what to
    give instead: a folder's entries, runs, built-in models) holds under the name closest to it,
    case aside, over difflib's `cutoff` (`closest_name`, as a mistyped data file's); else ""."""
    close = closest_name(name, meant, cutoff)
    return f" Did you mean {meant[close]}?" if close is not None else ""


def _listed(folder: Path) -> list[Path]:
    """What `folder` holds, in order; none where it is no folder, or one this user may not list."""
    return folder_listing(folder) or []


def folder_listing(folder: Path) -> list[Path] | None:
    """What `folder` holds, in order; None where it is no folder, or one this user may not list
    (which `folders_beside` says nothing of, and an empty folder it says holds no folders)."""
    try:
        return sorted(folder.iterdir()) if folder.is_dir() else None
    except OSError:
        return None


def check_model_source(name: str) -> None:
    """Fail at once on a model name that names nothing here and that the hub cannot give: a
    path that is not there, or a hub id neither cached nor reachable. For commands that take
    several models, before the first is run (eval answered every question with the first model
    before it found the second one missing)."""
    if name in (TINY_NAME, EMBEDDED_NAME) or name in RANDOM_SHAPES:
        return
    check_model_name(name)
    if not exists(name):
        check_hub_reachable(name)


def check_model_named(name: str) -> None:
    """For a command that only names the model in its next line (`data split --model`, `data
    facts --model`, `data augment --train-model`): fail at once, loading nothing, on a path that
    is not there or on a name close to a model or run here ("mymodle" for ./mymodel), which the
    pasted train would have failed on. Any other hub id is taken as given: it cannot be checked
    offline, and training fetches it."""
    if name in (TINY_NAME, EMBEDDED_NAME) or name in RANDOM_SHAPES or exists(name):
        return
    check_model_name(name)
    if (meant := meant_here(name)) and not _in_hub_cache(name):
        raise TunelabError(
            f"model {name!r}: not a folder here, nor in the Hugging Face cache{meant}"
        )


def _in_hub_cache(name: str) -> bool:
    """Whether the Hugging Face cache holds hub id `name` (its config or tokenizer settings)."""
    from huggingface_hub import try_to_load_from_cache

    cached = (try_to_load_from_cache(name, f) for f in ("config.json", "tokenizer_config.json"))
    return any(isinstance(path, str) for path in cached)


# Once a minute per name, so once per command: a command reads a model's context, its tokenizer
# and its weights (a resume all of them before the model loads), each checking the name within
# seconds; the hub was asked each time (a connection of up to 5 s). Kept for the process, a name
# found stayed found in a notebook or a chat switching models, and the network gone since, the
# hub client retried ~50 s for an id never downloaded (a time-to-live needs no clearing at each
# command's and API call's entry). A failure is not kept: it is said each time it is asked.
HUB_FOUND_FOR_S = 60.0
_found_at: dict[str, float] = {}  # hub id -> when it was found (time.monotonic)


def check_hub_reachable(name: str) -> None:
    """For a hub id neither cached nor reachable, fail now: asked for it offline, the hub client
    retries for ~50 s before it gives up (with HF_HUB_OFFLINE set it fails at once, but only
    once a command reaches that model). A name found stays found for HUB_FOUND_FOR_S."""
    from huggingface_hub import constants

    found_at = _found_at.get(name)
    if found_at is not None and time.monotonic() - found_at < HUB_FOUND_FOR_S:
        return
    if not _in_hub_cache(name):
        offline = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else None
        if why := offline or hub_unreachable():
            raise TunelabError(
                f"model {name!r} not found locally (not a folder here, not in the Hugging Face "
                f"cache) and not fetched from the hub: {why}{_not_here_hint(name)}"
            )
    _found_at[name] = time.monotonic()


def forget_found_hub_ids() -> None:
    """Check every hub id anew, as a new process does (each test starts so)."""
    _found_at.clear()


def meant_here(name: str) -> str:
    """ ". Did you mean X?" for a name that is not there but is close to one that is: a run
    whose folder of runs is mistyped ("run/x" for runs/x), a run given by its name alone ("x",
    the id `tunelab serve` gives it), a model folder here mistyped, or a built-in model mistyped
    or in the hub's capitals ("SmolLM2-135M-Instruct"); else ""."""
    here = [p for p in _listed(Path(".")) if _holds_runs(p)]
    folder, _, rest = name.partition("/")
    if rest:  # the folders of runs here that hold `rest`
        meant = {p.name: f"{p.name}/{rest}" for p in here if _seen(p / rest)}
        said = did_you_mean(folder, meant, cutoff=0.6)
    else:
        runs = [c for p in here for c in _listed(p) if _has_run_config(c)]
        meant = {run.name: str(run) for run in runs}
        # A model folder of the user's own here ("mymodle" for mymodel) is meant as a folder too.
        meant.update((p.name, p.name) for p in _listed(Path(".")) if _holds_model(p))
        meant.update((known, known) for known in (EMBEDDED_NAME, TINY_NAME, *RANDOM_SHAPES))
        said = did_you_mean(name, meant)
    return f".{said}" if said else ""


def _not_here_hint(name: str) -> str:
    """For a name neither here nor given by the hub: what was meant here (`meant_here`), else a
    model folder here its `org/name` mistypes ("models/mymodle" for models/mymodel, which was
    told to `hf download models/mymodle`), else how to bring it here (`_offline_hint`). The model
    folder is said only here, once the hub has no such model: a folder of downloaded models
    named like a hub org (./Qwen/...) leaves the hub's other ids to the hub."""
    if meant := meant_here(name):
        return meant
    folder, _, rest = name.partition("/")
    if rest and "/" not in rest:  # an org/name: the model folders in the folder `org` here
        models = {p.name: f"{folder}/{p.name}" for p in _listed(Path(folder)) if _holds_model(p)}
        if said := did_you_mean(rest, models):
            return f".{said}"
    return _offline_hint(name)


def _offline_hint(name: str) -> str:
    """How a model the hub cannot give here is given all the same: by its folder."""
    return (
        f". Download it where the hub is reachable (hf download {name} --local-dir DIR), copy "
        "DIR here and give that folder as the model"
    )


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


def not_read(name: str, err: Exception) -> TunelabError:
    """What transformers' failure to read `name` means to the user."""
    why = one_line(err)
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
    if folder.is_dir() and not any((folder / f).exists() for f in TOKENIZER_FILES):
        # model.save_pretrained() alone: transformers then says to install sentencepiece.
        held = sorted(p.name for p in folder.iterdir())
        return TunelabError(
            f"model {name!r} has no tokenizer files (it holds {first_few(held)}): save the "
            "tokenizer beside the weights (tokenizer.save_pretrained(folder)), or copy the "
            "tokenizer files of the model it came from into it"
        )
    if folder.is_file():  # transformers read it as a config.json: "not a valid JSON file"
        return TunelabError(
            f"model {name!r} is a file, not a model: give the folder that holds it beside its "
            "config.json and tokenizer files (or a .gguf file, a run folder, a hub id)"
        )
    if damaged := _damaged(err):
        return TunelabError(f"model {name!r} holds {damaged}: copy or export it again")
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
        + _not_here_hint(name)
    )


@contextmanager
def reading_run(run: Path, weights: Path) -> Iterator[None]:
    """Reading a run's weights folder (`weights`, in the run folder `run`): a file missing or
    cut short is named, with what to do, not a traceback from deep inside peft or transformers."""
    from safetensors import SafetensorError

    try:
        yield
    except (OSError, ValueError, SafetensorError) as err:
        raise _not_read_run(run, weights, err) from None


def _not_read_run(run: Path, weights: Path, err: Exception) -> TunelabError:
    """What a run's weights folder that transformers or peft cannot read lacks: a run copied in
    part, or one whose files were cut short (peft blamed a repo id for a missing adapter file)."""
    held = sorted(p.name for p in weights.iterdir())
    has = [f for f in held if f.endswith((".safetensors", ".bin"))]
    if (weights / "adapter_config.json").exists():
        lacks = None if has else "adapter_model.safetensors (the adapter's weights)"
    elif not (weights / "config.json").exists():
        lacks = "adapter_config.json (a LoRA run's) or config.json (a full finetune's)"
    else:
        lacks = None if has else "model.safetensors (the weights)"
    vocabulary = [f for f in TOKENIZER_FILES if f != "tokenizer_config.json"]  # settings alone
    if lacks is None and not any(f in held for f in vocabulary):
        lacks = "tokenizer.json (the tokenizer)"
    what = f"lacks {lacks}" if lacks else f"cannot be read: {one_line(err)}"
    if not lacks and (damaged := _damaged(err)):
        what = f"holds {damaged}"
    return TunelabError(
        f"run {run}: its {weights.name}/ folder ({first_few(held) or 'empty'}) {what}: copy the "
        f"run's {weights.name}/ folder again, whole, from where it was trained, or train it again "
        f"(tunelab train {run} --overwrite)"
    )


def _damaged(err: Exception) -> str | None:
    """A weights file cut short or damaged (a copy interrupted), in words, else None."""
    from safetensors import SafetensorError

    if not isinstance(err, SafetensorError):
        return None
    return f"a weights file cut short or damaged (safetensors: {one_line(err)})"
