"""What every tunelab web server (`serve`, `rate`) shares: whether an address keeps it to this
machine, and the refusal to leave one that does not unguarded; a port another process holds (found
before anything starts); the `Host` check that keeps a web page rebound to 127.0.0.1 (DNS
rebinding) from reaching it; a body read no further than a limit; uvicorn's settings (its log
lines, the process's logging left alone); and running an app in a background thread (tests,
benchmarks, notebooks). Imports stay light: `tunelab rate` uses them without torch."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Collection, Iterator

from tunelab.errors import TunelabError

LOCALHOST = "127.0.0.1"  # where every tunelab server listens by default
LOOPBACK_NAMES = ("localhost", LOCALHOST, "::1")


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the server to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name other than localhost may resolve to any interface
        return False


def url_host(host: str) -> str:
    """The host to write in a link to a server listening on `host`: for a wildcard (0.0.0.0,
    ::), which names no address, loopback's (a client sending `Host: 0.0.0.0` was refused by the
    Host check below, so the printed link failed); an IPv6 address in brackets."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:  # a name (localhost, a host name)
        return host
    if address.is_unspecified:
        return LOCALHOST if address.version == 4 else "[::1]"
    return f"[{address}]" if address.version == 6 else host


def elsewhere(host: str) -> str:
    """For a server listening on every address, how another machine reaches it; else ""."""
    if url_host(host) in (LOCALHOST, "[::1]") and not is_loopback(host):
        return f" (from another machine: this machine's address in place of {url_host(host)})"
    return ""


def public_base(url: str) -> str:
    """A base URL clients reach a server at (`--public-url`: this machine's address, a proxy's
    name), checked and ending in "/": http or https, a host, no query or fragment (a rater's
    link adds its key as a fragment)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError as err:
        raise ValueError(f"{url!r} is no URL ({err})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{url!r}: give the URL clients open, with http:// or https:// and a host "
            "(http://10.0.0.5:8000, https://rate.example.com)"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r}: a base URL, without ?query or #fragment")
    return parts.geturl().rstrip("/") + "/"


def reached_at(
    host: str, port: int, public_url: str | None, allow_host: Collection[str]
) -> tuple[str, list[str]]:
    """The base URL clients open (`public_url`, a `public_base`, else this server's own), and the
    Host header names let in beyond this server's: `allow_host`, and the public URL's host."""
    from urllib.parse import urlsplit

    if not public_url:
        return f"http://{url_host(host)}:{port}/", list(allow_host)
    return public_url, [*allow_host, urlsplit(public_url).hostname or ""]


def check_guarded(host: str, guarded: bool, insecure: bool, guard: str, exposes: str) -> str | None:
    """Refuse to listen beyond this machine (a non-loopback `host`) with nothing `guarded`, unless
    `insecure` says so out loud; then return the warning to print. `guard` is the option that
    would guard it, as added (`--raters alice,bob`); `exposes`, what anyone reaching it could do."""
    if guarded or is_loopback(host):
        return None
    without = guard.split()[0]
    if not insecure:
        raise TunelabError(
            f"listening on {host} without {without} would let anyone who can reach this machine "
            f"{exposes}: add {guard}, or --insecure to open it to anyone who can reach it"
        )
    return f"listening on {host} with no {without}: anyone who can reach this machine can {exposes}"


def check_port_free(host: str, port: int) -> None:
    """Fail before any model loads when another process listens on the port (uvicorn said so
    in its log after every model had loaded, below a line saying it was serving; `rate`, below
    the line that said to open its page). Each address the host resolves to is tried as uvicorn
    binds it (asyncio: IPv6 sockets IPv6 only)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise TunelabError(
            f"--host {host}: not an address this machine knows ({err.strerror})"
        ) from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as err:
                raise TunelabError(
                    f"cannot listen on {host}:{port} ({err.strerror}): another server is there? "
                    "Stop it or pick another --port"
                ) from None


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


JSON = "application/json"
# What a server answers a body sent as anything else (415).
SEND_JSON = f"send the body as JSON, with Content-Type: {JSON}"


def sent_as_json(content_type: str | None) -> bool:
    """Whether a request's Content-Type is JSON. Browsers let a page on another site POST
    without asking first (a CORS preflight) only when it is not: requiring JSON keeps such a
    page from using a server on loopback that has no key."""
    return (content_type or "").partition(";")[0].strip().lower() == JSON


def openai_error(
    message: str,
    code: str | None = None,
    param: str | None = None,
    kind: str = "invalid_request_error",
) -> dict:
    """An error's body as OpenAI's API sends it: `type` says whose fault (the client's, or
    "server_error"), `param` the request's field at fault, `code` a name for the error, which
    OpenAI leaves null for most mistakes."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class LocalHostsOnly:
    """ASGI middleware answering 400 to a request whose `Host` is not this server (see
    `host_allowed`): DNS rebinding must not let a web page reach a server on loopback."""

    def __init__(self, app, allowed_hosts: Collection[str] = ()):
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            server = scope.get("server")
            if not host_allowed(host, server, self.allowed):
                # An SSH tunnel on another local port (ssh -L 9000:localhost:8000) names it
                # localhost:9000: said how to let that in, not only to use localhost.
                at = f" ({server[0]}:{server[1]})" if server else ""
                said = (
                    f"Host {host!r} is not this server{at}: use its address or localhost with its "
                    "port, or start it with --allow-host NAME for another name (a proxy's, or "
                    "localhost through a tunnel on another port)"
                )
                await _refuse(send, 400, said, "invalid_host")
                return
        await self.app(scope, receive, send)


UVICORN_ACCESS_LINE = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'


def uvicorn_config(app, **settings):
    """uvicorn's settings for `app`, its log lines said as uvicorn says them (errors on stderr,
    requests on stdout) but without its logging config: logging.config.dictConfig closes every
    logging handler in the process. A user's FileHandler(mode="w") then dropped every line, and
    absl's (made when evaluate's ROUGE-L imports rouge-score) closed the stderr it was made with
    when that was not the one in place: pytest died with "lost sys.stderr", as would a notebook."""
    import uvicorn
    from uvicorn.logging import AccessFormatter, DefaultFormatter

    said = (
        ("uvicorn", DefaultFormatter("%(levelprefix)s %(message)s"), "stderr"),
        ("uvicorn.access", AccessFormatter(UVICORN_ACCESS_LINE), "stdout"),
    )
    for name, formatter, stream in said:
        logger = logging.getLogger(name)
        if not logger.handlers:  # not set up by us before, nor by the user (theirs is kept)
            handler = _CurrentStream(stream)
            handler.setFormatter(formatter)
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
    return uvicorn.Config(app, log_config=None, **settings)


class _CurrentStream(logging.StreamHandler):
    """Writes to sys.stderr or sys.stdout as it is at each line, not as it was when the server
    first started: a stream swapped in then (CliRunner, redirect_stderr) is closed by now."""

    def __init__(self, name: str):
        logging.Handler.__init__(self)  # StreamHandler's would store a stream
        self.stream_name = name

    @property
    def stream(self):
        return getattr(sys, self.stream_name)


async def body_within(
    chunks: AsyncIterator[bytes], declared: str | None, limit: int
) -> bytes | None:
    """A request's body, or None once it is over `limit` bytes: judged on its Content-Length
    before a byte is read, then on the bytes read (a chunked body declares no length)."""
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    read, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return None
        read.append(chunk)
    return b"".join(read)


class SmallBodies:
    """ASGI middleware answering 413 to a request whose body is over `limit` bytes, before the
    app reads it: FastAPI reads a body parameter whole, however long, before any check."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def chunks() -> AsyncIterator[bytes]:
            while (message := await receive())["type"] == "http.request":
                yield message.get("body", b"")
                if not message.get("more_body"):
                    return

        declared = dict(scope["headers"]).get(b"content-length", b"").decode("latin-1")
        body = await body_within(chunks(), declared, self.limit)
        if body is None:
            said = f"the request body is over {self.limit} bytes, the most this server reads"
            await _refuse(send, 413, said, "request_too_large")
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:  # after the body: what the client does next (a disconnect)
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send, status: int, message: str, code: str) -> None:
    """Answer a request with an error in OpenAI's shape, from a middleware."""
    body = json.dumps(openai_error(message, code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def running(app, host: str = LOCALHOST) -> Iterator[str]:
    """Run `app` on a free port in a background thread; yields its base URL, stops it on exit."""
    import uvicorn

    # Binding the socket here (port 0) hands uvicorn a port no other process can race us for.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn_config(app, log_level="warning", timeout_graceful_shutdown=2))
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
