"""Start the OpenAI-compatible server: load each model into its own engine and run uvicorn, in the
foreground (`tunelab serve`) or in a background thread (tests, benchmarks, notebooks). Also what
every tunelab web server (`serve`, `rate`) checks before answering: where it listens, and which
`Host` a request may name. Imports stay light: `tunelab rate` uses the checks without torch."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from tunelab.serve.engine import Engine

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# A chat of a full 2048-token context is tens of kB: 4 MB leaves room for batches of token ids
# while bounding what one request makes the server read, parse and tokenize.
DEFAULT_MAX_BODY_MB = 4.0
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def model_id(name: str) -> str:
    """The id clients put in `model`: a run's folder name (runs/demo -> demo), else the name given."""
    from tunelab.run import Run

    return Path(name).name if Run.is_run(name) else name


def load_engines(names: list[str], max_batch: int = 8) -> dict[str, Engine]:
    """One engine per model; a LoRA run is its base plus the adapter, not merged, as `load_model` gives."""
    from tunelab.run import load_model, prompt_for
    from tunelab.serve.engine import Engine

    if not names:
        raise TunelabError("name at least one model or run folder to serve")
    ids = [model_id(n) for n in names]
    if len(set(ids)) != len(ids):
        raise TunelabError(f"two models would have the same id: {ids}; rename a run folder")
    engines = {}
    for engine_id, name in zip(ids, names):
        engines[engine_id] = Engine(
            *load_model(name), name=engine_id, max_batch=max_batch, prompt=prompt_for(name)
        )
    return engines


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the server to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name other than localhost may resolve to any interface
        return False


def check_exposure(host: str, api_key: str | None, insecure: bool = False) -> None:
    """Refuse to start a server that anyone on the network could use without a key."""
    if api_key is not None and not api_key:
        raise TunelabError(
            "--api-key is empty: give a real key, or leave it out to serve on loopback without one"
        )
    if not is_loopback(host) and api_key is None and not insecure:
        raise TunelabError(
            f"listening on {host} without --api-key would let anyone who can reach this machine "
            "use the models: add --api-key KEY (or TUNELAB_API_KEY), or --insecure if you mean it"
        )


def serve(
    names: list[str],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    max_batch: int = 8,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    insecure: bool = False,
    allowed_hosts: Collection[str] = (),
) -> None:
    """Serve the models until Ctrl-C (same as `tunelab serve`)."""
    import uvicorn

    from tunelab.serve.server import create_app

    check_exposure(host, api_key, insecure)
    engines = load_engines(names, max_batch)
    app = create_app(engines, api_key, max_body_mb=max_body_mb, allowed_hosts=allowed_hosts)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        for engine in engines.values():
            engine.close()


def host_allowed(
    host: str | None, server: tuple[str, int] | None, extra: Collection[str] = ()
) -> bool:
    """Whether a request's `Host` header names this server: the address it came in on or a
    loopback name, with the port it came in on; or one of `extra` (any port: a reverse proxy's
    public name). A page whose DNS name was rebound to 127.0.0.1 still sends its own name."""
    if not host:
        return False
    host = host.lower()
    if host.startswith("["):  # [::1]:8000
        name, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        name, _, port = host.partition(":") if host.count(":") == 1 else (host, "", "")
    if name in extra:
        return True
    if server is None:  # an ASGI server that does not say where it listens: loopback names only
        return name in LOOPBACK_NAMES
    bound, bound_port = server
    return name in (*LOOPBACK_NAMES, bound.lower()) and (port or "80") == str(bound_port)


class LocalHostsOnly:
    """ASGI middleware answering 400 to a request whose `Host` is not this server (see
    `host_allowed`): DNS rebinding must not let a web page reach a server on loopback."""

    def __init__(self, app, allowed_hosts: Collection[str] = ()):
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, scope.get("server"), self.allowed):
                error = {
                    "message": f"Host {host!r} is not this server: use its address or localhost",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_host",
                }
                body = json.dumps({"error": error}).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


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
