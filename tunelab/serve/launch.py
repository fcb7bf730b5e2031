"""Start the OpenAI-compatible server: load each model into its own engine and run uvicorn, in the
foreground (`tunelab serve`) or in a background thread (tests, benchmarks, notebooks)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tunelab.errors import TunelabError
from tunelab.models import is_run_dir, load_model, run_config
from tunelab.serve.engine import Engine

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def model_id(name: str) -> str:
    """The id clients put in `model`: a run's folder name (runs/demo -> demo), else the name given."""
    return Path(name).name if is_run_dir(name) else name


def load_engines(names: list[str], max_batch: int = 8) -> dict[str, Engine]:
    """One engine per model; a LoRA run is its base plus the adapter, not merged, as `load_model` gives."""
    if not names:
        raise TunelabError("name at least one model or run folder to serve")
    ids = [model_id(n) for n in names]
    if len(set(ids)) != len(ids):
        raise TunelabError(f"two models would have the same id: {ids}; rename a run folder")
    engines = {}
    for engine_id, name in zip(ids, names):
        config = run_config(name)
        settings = (
            {"template": config.data.template, "system_prompt": config.data.system_prompt}
            if config
            else {}
        )
        engines[engine_id] = Engine(
            *load_model(name), name=engine_id, max_batch=max_batch, **settings
        )
    return engines


def serve(
    names: list[str],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    max_batch: int = 8,
) -> None:
    """Serve the models until Ctrl-C (same as `tunelab serve`)."""
    import uvicorn

    from tunelab.serve.server import create_app

    engines = load_engines(names, max_batch)
    app = create_app(engines, api_key=api_key)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        for engine in engines.values():
            engine.close()


@contextlib.contextmanager
def running(app, host: str = DEFAULT_HOST) -> Iterator[str]:
    """Run `app` on a free port in a background thread; yields its base URL, stops it on exit."""
    import uvicorn

    # Binding the socket here (port 0) hands uvicorn a port no other process can race us for.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
