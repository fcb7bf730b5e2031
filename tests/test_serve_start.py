"""What `tunelab serve` checks and says as it starts: an address open to others without a key,
a port in use, a body limit no request can meet, all refused before any model loads; and the
'serving ... at URL' line, said once the models have loaded, naming the model id to send."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from tunelab.cli import app as cli
from tunelab.errors import TunelabError
from tunelab.serve.launch import check_exposure


def test_insecure_lets_an_open_address_through_with_a_warning_to_print():
    assert "anyone who can reach this machine" in check_exposure("0.0.0.0", None, insecure=True)
    assert check_exposure("0.0.0.0", "k3y") is None and check_exposure("::1", None) is None
    with pytest.raises(TunelabError, match=r"add --api-key KEY .*, or --insecure to open it"):
        check_exposure("192.168.1.5", None)


def test_a_port_in_use_is_refused_before_any_model_loads(monkeypatch):
    # It printed "serving ... at" the port, loaded every model, then uvicorn failed in its log.
    from tunelab.serve import launch

    loaded = []
    monkeypatch.setattr(launch, "load_engines", lambda *a, **k: loaded.append(1) or {})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "tiny-random", "--port", str(port)])
    assert f"cannot listen on 127.0.0.1:{port}" in str(result.exception)
    assert "serving" not in result.output and not loaded


def test_the_port_check_binds_as_uvicorn_does_and_names_an_unknown_host():
    # An IPv6 probe took the IPv4 port too, refusing "::" that uvicorn binds IPv6-only.
    from tunelab.web import check_port_free

    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(TunelabError, match="cannot listen on localhost"):
            check_port_free("localhost", port)
        if socket.has_ipv6:
            try:
                check_port_free("::", port)
            except TunelabError as err:  # a machine with IPv6 off cannot bind it at all
                assert "Address already in use" not in str(err)
    with pytest.raises(TunelabError, match="not an address this machine knows"):
        check_port_free("no-such-host.invalid", 8000)


def test_serving_is_said_only_once_the_models_have_loaded(tmp_path):
    # "serving ... at http://..." came before the models loaded: a model that then failed to
    # load left a log (or a supervisor) reading that the server was up.
    unreadable = tmp_path / "no-model-here"  # a folder, so it is loaded, and fails to load
    unreadable.mkdir()
    with socket.socket() as probe:  # a port free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli, ["serve", str(unreadable), "--port", str(port)])
    assert result.exit_code != 0 and "loading" in result.output
    assert "at http://" not in result.output  # (the temporary folder says "serving" itself)


def test_a_run_that_is_not_there_is_refused_before_loading_is_said(tmp_path, monkeypatch):
    # `tunelab serve runs/my-run` said "loading runs/my-run", then that there was no such run.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "mine").mkdir(parents=True)  # a folder of runs: a path, not a hub id
    (tmp_path / "runs" / "mine" / "config.yaml").write_text("name: mine\n")
    result = CliRunner().invoke(cli, ["serve", "runs/my-run"])
    assert "'runs/my-run': no such file or folder (in runs/: mine)" in str(result.exception)
    assert "loading" not in result.output


def test_a_second_model_missing_is_refused_before_the_first_loads(tmp_path, monkeypatch):
    # tunelab.serve(["tiny-random", "runs/gone"]) loaded tiny-random, then found runs/gone missing.
    import tunelab
    from tunelab import run

    monkeypatch.setattr(run, "load_model", lambda *a, **k: pytest.fail("a model was loaded"))
    with socket.socket() as probe:  # a port free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TunelabError, match="model 'runs/gone'"):
        tunelab.serve(["tiny-random", "runs/gone"], port=port)


def test_the_serving_line_names_the_model_id_a_request_gives(monkeypatch):
    # It said "set base_url to this" alone; a first curl without "model" got a 400.
    import tunelab.serve.launch as launch

    class Stopped:
        def __init__(self, config, engines):
            pass

        def run(self):  # a server that returns at once: the line is what is checked
            pass

    monkeypatch.setattr(launch, "engine_server", Stopped)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli, ["serve", "tiny-random", "--port", str(port)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"at http://127.0.0.1:{port}/v1 (OpenAI API; set base_url to this and model to" in said
    assert "model to 'tiny-random')" in said


def test_a_body_limit_no_request_can_meet_is_refused_before_any_model_loads(monkeypatch):
    # --max-body-mb 0 loaded every model, then answered every request 413; nan failed each one.
    from tunelab.serve import launch

    monkeypatch.setattr(launch, "load_engines", lambda *a, **k: pytest.fail("models loaded"))
    for limit in ("0", "-1", "nan"):
        out = CliRunner().invoke(cli, ["serve", "tiny-random", "--max-body-mb", limit])
        assert isinstance(out.exception, TunelabError), out.output
        assert f"--max-body-mb {limit}" in str(out.exception)


def test_the_serving_line_on_every_address_gives_a_url_its_host_check_lets_in(monkeypatch):
    # `serve --host 0.0.0.0` said "at http://0.0.0.0:PORT/v1, set base_url to this": the openai
    # client then sent Host 0.0.0.0:PORT, which the server refused (400 invalid_host).
    import tunelab.serve.launch as launch
    from tunelab.web import host_allowed

    class Stopped:  # a server that returns at once: the line is what is checked
        def run(self):
            pass

    monkeypatch.setattr(launch, "engine_server", lambda config, engines: Stopped())
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = probe.getsockname()[1]
    args = ["serve", "tiny-random", "--host", "0.0.0.0", "--port", str(port), "--api-key", "k"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"at http://127.0.0.1:{port}/v1 (OpenAI API; set base_url to this" in said
    assert "from another machine: this machine's address in place of 127.0.0.1" in said
    assert host_allowed(f"127.0.0.1:{port}", ("127.0.0.1", port))


def test_a_public_url_is_the_base_url_the_serving_line_gives_and_its_host_is_let_in(monkeypatch):
    # On 0.0.0.0 the line gave 127.0.0.1, which a client on another machine cannot use.
    from fastapi.testclient import TestClient

    import tunelab.serve.launch as launch

    served = {}

    class Stopped:  # a server that returns at once, its app kept to ask
        def __init__(self, config, engines):
            served["app"] = config.app

        def run(self):
            pass

    monkeypatch.setattr(launch, "engine_server", Stopped)
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = probe.getsockname()[1]
    url = "https://api.example.com"
    args = ["serve", "tiny-random", "--host", "0.0.0.0", "--port", str(port), "--api-key", "k"]
    result = CliRunner().invoke(cli, [*args, "--public-url", url])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"at {url}/v1 (OpenAI API; set base_url to this" in said
    assert "127.0.0.1" not in said and "in place of" not in said
    client, key = TestClient(served["app"]), {"authorization": "Bearer k"}
    assert client.get("/v1/models", headers={**key, "host": "api.example.com"}).status_code == 200
    refused = client.get("/v1/models", headers={**key, "host": "evil.example"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_host"


def test_a_public_url_clients_cannot_open_is_refused_before_any_model_loads(monkeypatch):
    from tunelab.serve import launch

    monkeypatch.setattr(launch, "load_engines", lambda *a, **k: pytest.fail("models loaded"))
    out = CliRunner().invoke(cli, ["serve", "tiny-random", "--public-url", "api.example.com"])
    assert isinstance(out.exception, TunelabError), out.output
    assert "--public-url 'api.example.com'" in str(out.exception)
