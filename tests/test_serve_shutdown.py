"""Ctrl-C stops `tunelab serve` at once: every reply in flight or queued ends with an error that
says the server is shutting down, instead of uvicorn waiting for each to reach its max_tokens."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from tunelab.models.random_weights import tiny_random
from tunelab.serve.engine import SHUTTING_DOWN, Engine
from tunelab.serve.launch import SHUTDOWN_WAIT_S, engine_server
from tunelab.serve.request import Event, Request
from tunelab.serve.sampling import Sampling


@pytest.fixture(scope="module")
def tiny():
    return tiny_random()


class Listener:
    """A request's events, as the engine emits them; `ended` is set at its last."""

    def __init__(self, hold_at_first_text: threading.Event | None = None):
        self.events: list[Event] = []
        self.ended = threading.Event()
        self.first_text = threading.Event()
        self.hold = hold_at_first_text

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        if event.text and not self.first_text.is_set():
            self.first_text.set()
            if self.hold is not None:  # keeps the engine inside its decoding step
                self.hold.wait(10)
        if event.finish_reason:
            self.ended.set()


def submit(engine: Engine, listener: Listener, max_tokens: int = 1000) -> Request:
    # Greedy: the tiny model repeats the prompt's last letter and never stops on its own.
    sampling = Sampling(max_tokens=max_tokens, temperature=0)
    request = Request(engine.encode("Hello there"), sampling, listener)
    engine.submit(request)
    return request


def test_stopping_ends_a_reply_mid_generation_and_a_queued_one_with_an_error(tiny):
    engine = Engine(*tiny, name="tiny", max_batch=1)  # one slot: the second request queues
    release = threading.Event()
    running, queued = Listener(hold_at_first_text=release), Listener()
    try:
        submit(engine, running)
        assert running.first_text.wait(30)  # the engine is in a decoding step now
        submit(engine, queued)
        engine.stop()
        release.set()
        assert running.ended.wait(5) and queued.ended.wait(5)
        for listener in (running, queued):
            last = listener.events[-1]
            assert (last.finish_reason, last.text) == ("error", SHUTTING_DOWN)
        # Ended before its next step: the token of the step it was in is its last.
        assert [e.finish_reason for e in running.events] == [None, "error"]
        engine._thread.join(5)
        assert not engine._thread.is_alive()
    finally:
        release.set()
        engine.close()


def test_a_request_submitted_after_stopping_is_told_at_once(tiny):
    engine = Engine(*tiny, name="tiny")
    engine.close()
    late = Listener()
    submit(engine, late)
    assert late.ended.wait(3) and late.events[-1].finish_reason == "error"


def test_an_idle_engine_stops_without_a_request_to_wake_it(tiny):
    engine = Engine(*tiny, name="tiny")
    started = time.monotonic()
    engine.close()
    # close() gives up waiting at 10 s: well before it, the engine saw it must stop.
    assert not engine._thread.is_alive() and time.monotonic() - started < 5


class FakeEngine:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_the_server_stops_its_engines_when_told_to_exit():
    engines = {"a": FakeEngine(), "b": FakeEngine()}
    server = engine_server(uvicorn.Config(app=None), engines)
    server.handle_exit(signal.SIGINT, None)
    assert server.should_exit and all(e.stopped for e in engines.values())


def test_ctrl_c_ends_a_streamed_reply_and_the_server_without_waiting_for_it(tiny, monkeypatch):
    # The server used to go on generating until the reply's max_tokens, then close.
    from tunelab.serve.server import create_app

    engine = Engine(*tiny, name="tiny")
    forward = engine.model.forward

    def slow_forward(*args, **kwargs):  # 1000 tokens take a minute: the stream stays open
        time.sleep(0.06)
        return forward(*args, **kwargs)

    monkeypatch.setattr(engine.model, "forward", slow_forward)
    engines = {"tiny": engine}
    config = uvicorn.Config(
        create_app(engines), log_level="warning", timeout_graceful_shutdown=SHUTDOWN_WAIT_S
    )
    server = engine_server(config, engines)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/completions"
        body = {"model": "tiny", "prompt": "Hello", "max_tokens": 1000, "stream": True}
        body["temperature"] = 0  # greedy: it would go on to max_tokens
        with httpx.stream("POST", url, json=body, timeout=30) as reply:
            lines = reply.iter_lines()
            assert next(line for line in lines if line.startswith("data:"))
            server.handle_exit(signal.SIGINT, None)
            told_at = time.monotonic()
            rest = [line for line in lines if line.startswith("data:")]
        thread.join(SHUTDOWN_WAIT_S + 5)
        assert not thread.is_alive() and time.monotonic() - told_at < 5
        error = json.loads(rest[-1].removeprefix("data:"))["error"]
        assert error["message"] == SHUTTING_DOWN
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        engine.close()
