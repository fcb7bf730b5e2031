"""Start the OpenAI-compatible server: load each model into its own engine and run uvicorn
(`tunelab serve`), after refusing to listen beyond this machine without a key. What every tunelab
web server checks (the `Host` of a request) is in tunelab.web."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from tunelab.errors import TunelabError
from tunelab.serve.batch_limit import DEFAULT_MAX_BATCH
from tunelab.web import (
    LOCALHOST,
    check_guarded,
    check_port_free,
    elsewhere,
    public_base,
    reached_at,
    uvicorn_config,
)

if TYPE_CHECKING:
    from tunelab.serve.engine import Engine

DEFAULT_HOST = LOCALHOST
DEFAULT_PORT = 8000
# A chat of a full 2048-token context is tens of kB: 4 MB leaves room for batches of token ids
# while bounding what one request makes the server read, parse and tokenize.
DEFAULT_MAX_BODY_MB = 4.0
# Once Ctrl-C has ended every reply, the longest uvicorn waits for connections to close before
# it cuts them: a client that keeps its connection open must not hold the shutdown.
SHUTDOWN_WAIT_S = 3


def model_id(name: str) -> str:
    """The id clients put in `model`: a run's folder name (runs/demo -> demo, its model/ folder
    runs/demo/model too: served as the run), else the name exactly as given (a path,
    /tmp/x/model.gguf, is its id whole)."""
    from tunelab.run import Run

    run = Run.find(name)
    return run.name if run else name


def served(name: str) -> Path:
    """The folder or file `name` serves: a run's model/ folder serves its run."""
    from tunelab.run import Run

    return Run.folder_named(name) or Path(name)


def meant_id(model: str, ids: Iterable[str]) -> str:
    """ " Did you mean X?" for a `model` no id served is, as the server's 404 and `tunelab chat`
    with a server's URL both ask it: a path's id by its file name too ("model.gguf" meant
    './exports/model.gguf'); a run by its folder as `tunelab serve` was given it ("runs/t" or
    "runs/t/model" meant 't', and was told only the ids); else ""."""
    from tunelab.models.names import did_you_mean
    from tunelab.run_files import WEIGHTS

    ids = list(ids)
    path = PurePath(model)
    run = path.parent if path.name == WEIGHTS else path
    if run.name in ids and run.name != model:
        return f" Did you mean {run.name!r}? (a run is served by its folder's name)"
    return did_you_mean(model, {PurePath(id_).name: repr(id_) for id_ in ids})


def model_ids(names: list[str]) -> list[str]:
    """Each model's id, refusing two models of one id before anything is loaded or said."""
    if not names:
        raise TunelabError("name at least one model or run folder to serve")
    ids = [model_id(n) for n in names]
    for i, (name, id_) in enumerate(zip(names, ids)):
        if id_ not in ids[:i]:
            continue
        other = names[ids.index(id_)]
        # One run typed twice was told to rename a run folder.
        if served(other).resolve() == served(name).resolve():
            raise TunelabError(f"{name} is given twice: name each model once")
        raise TunelabError(
            f"{other} and {name} would both be served as {id_!r}: rename one run folder"
        )
    return ids


def loadable_ids(names: list[str]) -> list[str]:
    """Each model's id (`model_ids`), every model checked first as a loading command checks it
    (`refuse_unloadable`: a run not there, one that saved no model): refused before "loading"
    is said, and a second model missing before the first has loaded for minutes."""
    from tunelab.run import refuse_unloadable

    ids = model_ids(names)
    for name in names:
        refuse_unloadable(name)
    return ids


def created_at(name: str) -> int | None:
    """When the model served as `name` was made, in Unix seconds, as OpenAI's model card gives
    it: the modification time of a run's model/ folder, of a model's folder or file, of the
    embedded default's GGUF or of a hub model's cached config.json; None for a random model,
    made as it loads."""
    from tunelab.models.load import embedded_gguf_path
    from tunelab.models.names import EMBEDDED_NAME
    from tunelab.models.random_shapes import RANDOM_SHAPES, TINY_NAME
    from tunelab.run import Run

    if name == TINY_NAME or name in RANDOM_SHAPES:
        return None
    if run := Run.find(name):
        made = run.weights
    elif name == EMBEDDED_NAME:
        made = embedded_gguf_path()
    elif Path(name).exists():
        made = Path(name)
    else:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(name, "config.json")
        if not isinstance(cached, str):  # a model read from the hub without caching it
            return None
        made = Path(cached)
    return int(made.stat().st_mtime)


def load_engines(names: list[str], max_batch: int = DEFAULT_MAX_BATCH) -> dict[str, Engine]:
    """One engine per model; a LoRA run is its base plus the adapter, not merged, as `load_model` gives."""
    from tunelab.run import load_model, prompt_for
    from tunelab.serve.engine import Engine

    ids = loadable_ids(names)
    engines = {}
    for engine_id, name in zip(ids, names):
        engines[engine_id] = Engine(
            *load_model(name),
            name=engine_id,
            max_batch=max_batch,
            prompt=prompt_for(name),
            created=created_at(name),
        )
    return engines


def check_exposure(host: str, api_key: str | None, insecure: bool = False) -> str | None:
    """Refuse to start a server that anyone on the network could use without a key; with
    --insecure, the warning to print."""
    if api_key is not None and not api_key:
        raise TunelabError(
            "--api-key is empty: give a real key, or leave it out to serve on loopback without one"
        )
    guard = "--api-key KEY (or TUNELAB_API_KEY)"
    return check_guarded(host, api_key is not None, insecure, guard, "use the models")


def checked_public_url(url: str | None) -> str | None:
    """--public-url as a base URL ending in "/", or refused by its name before any model loads."""
    if url is None:
        return None
    try:
        return public_base(url)
    except ValueError as err:
        raise TunelabError(f"--public-url {err}") from None


def serve(
    names: list[str],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    insecure: bool = False,
    allow_host: Collection[str] = (),
    threads: int | None = None,
    public_url: str | None = None,
) -> None:
    """Serve the models until Ctrl-C (same as `tunelab serve`, by the same names; the command
    alone reads TUNELAB_API_KEY). `public_url`: the base URL clients reach it at (this
    machine's address, a proxy's), which the serving line gives and the Host check lets in."""
    from tunelab.serve.server import create_app

    if not 0 < port < 65536:
        raise TunelabError(f"--port {port}: a port is 1 to 65535")
    if max_batch < 1:  # an engine with no rows never takes a request: every client waits
        raise TunelabError(f"--max-batch {max_batch}: at least 1")
    if threads is not None and threads < 1:
        raise TunelabError(f"--threads {threads}: at least 1")
    if not max_body_mb > 0:  # every request would get a 413 (nan: a 500), after minutes of loading
        raise TunelabError(f"--max-body-mb {max_body_mb:g}: the largest request body, above 0 MB")
    check_exposure(host, api_key, insecure)
    public = checked_public_url(public_url)
    if threads:
        import torch

        # The HTTP server shares the CPU with the model: spinning math threads can starve it.
        torch.set_num_threads(threads)
    check_port_free(host, port)
    engines = load_engines(names, max_batch)
    base, allowed = reached_at(host, port, public, allow_host)
    app = create_app(engines, api_key, max_body_mb=max_body_mb, allowed_hosts=allowed)
    # The id a request's "model" names: a client that sends none gets a 400 listing them.
    ids = " or ".join(repr(name) for name in engines)
    print(
        f"serving {', '.join(engines)} at {base}v1 (OpenAI API; set base_url to this and model "
        f"to {ids}){'' if public else elsewhere(host)}",
        flush=True,
    )
    config = uvicorn_config(
        app, host=host, port=port, log_level="info", timeout_graceful_shutdown=SHUTDOWN_WAIT_S
    )
    server = engine_server(config, engines)
    try:
        server.run()
    finally:
        for engine in engines.values():
            engine.close()


def engine_server(config, engines: dict[str, Engine]):
    """A uvicorn server that stops the engines as soon as it is told to exit (Ctrl-C, SIGTERM):
    uvicorn waits for open connections to close, and a streamed reply stays open until its
    engine ends it, which without this was every token of max_tokens later."""
    import uvicorn

    class EngineServer(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            for engine in engines.values():
                engine.stop()
            super().handle_exit(sig, frame)

    return EngineServer(config)
