"""Take a model out of tunelab: a merged Hugging Face folder, or a GGUF file for llama.cpp/Ollama."""

from __future__ import annotations

import shlex
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from tunelab.run import Run

__all__ = ["export", "export_gguf", "export_merged", "load_merged"]
_HOMES = {"export_merged": "merged", "load_merged": "merged", "export_gguf": "to_gguf"}
DEFAULT_GGUF_TYPE = "f16"
DEFAULT_DTYPE = "float32"


def export(
    model: str | Run,
    merged: str | Path | None = None,
    gguf: str | Path | None = None,
    gguf_type: str = DEFAULT_GGUF_TYPE,
    dtype: str = DEFAULT_DTYPE,
    overwrite: bool = False,
    push: str | None = None,
) -> dict[str, Path | str]:
    """The Python API of `tunelab export`: `model` (a LoRA run is merged first) as a plain Hugging
    Face folder `merged` and/or one GGUF file `gguf` with its Ollama Modelfile beside it, and/or
    uploaded to the hub repo `push` (org/name); every target is checked before the minute of
    merging. Returns what was written, by kind (merged, gguf, modelfile, hub)."""
    from tunelab.export.merged import DTYPES, export_merged, load_merged, refuse_merged_target
    from tunelab.export.modelfile import run_modelfile
    from tunelab.export.to_gguf import FILE_TYPES, check_gguf_target, export_gguf, gguf_vocabulary
    from tunelab.meant import check_choice
    from tunelab.run import load_tokenizer, refuse_unloadable

    if not merged and not gguf and not push:
        raise TunelabError("say what to write: --merged DIR, --gguf FILE and/or --push ORG/NAME")
    refuse_unloadable(model)  # runs/mime: said before "writing merged weights to ..."
    _refuse_adapter_alone(model)
    if merged:  # refused before "writing merged weights" is said
        refuse_merged_target(Path(merged))
    if gguf:  # before a merged export spends a minute
        check_choice("--gguf-type", gguf_type, FILE_TYPES)
    if merged or push:  # before "writing merged weights (bf16)" is said, or a repo is made
        check_choice("--dtype", dtype, DTYPES)
    if gguf:
        _check_distinct_targets(merged, gguf)
        check_gguf_target(Path(gguf), overwrite)
        check_gguf_target(modelfile_path(gguf), overwrite)
        tokenizer = load_tokenizer(model)  # for the check and the Modelfile's prompt
        gguf_vocabulary(tokenizer, model, merged)  # one llama.cpp cannot take: say so now
        modelfile = run_modelfile(model, Path(gguf), tokenizer)  # one it cannot be written in too
    if push:
        from tunelab.export.hub import open_repo, push_to_hub

        repo_url = open_repo(push)
    if gguf:
        _note_no_gguf_ending(gguf)
    written: dict[str, Path | str] = {}
    # --merged and --gguf from one load and merge (each made its own: 2.6 s of 21 s for the
    # embedded model's LoRA run on 2 busy cores). Not when --dtype converts the merged model in
    # place: the GGUF is made from float32 weights, not from bfloat16 ones.
    load = cache(partial(load_merged, model)) if merged and gguf and dtype == "float32" else None
    # SIGTERM is raised as a Ctrl-C by `tunelab.cli.main`: it too removes what it cut short.
    try:
        if merged:
            _starting(f"merged weights ({dtype}) to {merged}")
            written["merged"] = export_merged(model, merged, dtype, load=load)
        if gguf:
            _starting(f"GGUF ({gguf_type}) to {gguf}")
            written["gguf"] = export_gguf(model, gguf, gguf_type, overwrite=overwrite, load=load)
            modelfile_path(gguf).write_text(modelfile, encoding="utf-8")
            written["modelfile"] = modelfile_path(gguf)
        if push:
            push_to_hub(model, push, written, dtype)
            written["hub"] = repo_url
    # What was written whole before a Ctrl-C or a failed push is said: a rerun of the same
    # command is refused by the outputs it left ("exists and is not empty").
    except KeyboardInterrupt:
        if written:
            from rich.console import Console
            from rich.markup import escape

            said = f"interrupted; {_written(written)}"
            Console(stderr=True).print(f"[yellow]{escape(said)}[/]")
            raise KeyboardInterrupt(said) from None  # said: `tunelab` adds no line of its own
        raise
    except TunelabError as err:
        if not written:
            raise
        raise TunelabError(f"{err} ({_written(written)})") from None
    return written


def _refuse_adapter_alone(model: str | Path | Run) -> None:
    """A LoRA adapter folder outside a run: transformers loads it onto the base its
    adapter_config.json names, and saving the merge failed inside transformers ("The version of
    PEFT you are using is not compatible"). A run's model/ folder is read as its run (`Run.find`),
    which merges it and asks as it was trained."""
    from tunelab.run import Run

    if Run.find(model):
        return
    folder = Path(model)
    if (folder / "adapter_config.json").is_file():
        raise TunelabError(
            f"{folder} holds a LoRA adapter alone (adapter_config.json), not a model: export the "
            "run that made it (the adapter is merged into its base)"
        )


def _starting(what: str) -> None:
    """Said as each output starts: loading, merging and writing took 20 s for the 135M model,
    minutes for a bigger one, without a word until the end."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[dim]writing {escape(what)}…[/]", soft_wrap=True)


def _note_no_gguf_ending(gguf: str | Path) -> None:
    """Said before the minute of writing, not refused: `--gguf out` wrote `out` and
    `out.Modelfile` without a word, where out.gguf was most likely meant. llama.cpp and Ollama
    read the file whatever its name."""
    if Path(gguf).suffix.lower() == ".gguf":
        return
    from rich.console import Console

    from tunelab.terminal import say_wrapped

    say_wrapped(
        Console(stderr=True),
        f"note: {gguf} has no .gguf ending: it is written as named (llama.cpp and Ollama read "
        f"it all the same); --gguf {shlex.quote(f'{gguf}.gguf')} gives it the usual name",
        "yellow",
    )


def _written(written: dict[str, Path | str]) -> str:
    files = ", ".join(f"{kind} {path}" for kind, path in written.items())
    return (
        f"written whole before it: {files}; the same command again is refused by them: move them "
        "away first (a push uploads what its own command writes)"
    )


def modelfile_path(gguf: str | Path) -> Path:
    """Where the Ollama Modelfile of a GGUF file goes: beside it, model.gguf → model.Modelfile."""
    return Path(gguf).with_suffix(".Modelfile")


def _check_distinct_targets(merged: str | Path | None, gguf: str | Path) -> None:
    """Each output on its own path: one written over another is lost while the export reports
    both (`--gguf x.Modelfile` would become its own Modelfile)."""
    targets = {"--merged": Path(merged)} if merged else {}
    targets |= {"--gguf": Path(gguf), "the Modelfile of --gguf": modelfile_path(gguf)}
    seen: dict[Path, str] = {}
    for name, path in targets.items():
        first = seen.setdefault(path.resolve(), name)
        if first != name:
            how = " (NAME.gguf → NAME.Modelfile)" if path.suffix == ".Modelfile" else ""
            raise TunelabError(f"{first} and {name}{how} both name {path}: give each its own path")


def __getattr__(name: str):
    # Lazy, so `tunelab --help` (which imports export.cli) does not pay for torch/transformers.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"tunelab.export.{_HOMES[name]}"), name)
    raise AttributeError(name)
