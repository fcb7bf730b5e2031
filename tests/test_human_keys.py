"""`tunelab rate --raters alice,bob`: a team lead names who judges; each gets a private link, and
the server takes a judgement only with a key it gave out, under that key's name. The page in a
browser with such a link: test_human_browser.py."""

import json
import re
import stat

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.human.keys import rater_keys

QUESTIONS = ["What does tunelab do?", "How do I resume?", "Where is the config?"]


def answer_sets(tmp_path) -> list[str]:
    paths = []
    for model in ("base", "tuned"):
        path = tmp_path / f"{model}.jsonl"
        rows = [{"question": q, "reference": "ref", "answer": f"{model} {q}"} for q in QUESTIONS]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        paths.append(str(path))
    return paths


def start(tmp_path, monkeypatch, *options: str):
    """`tunelab rate ... --raters alice,bob` as typed, its server's app and what it printed."""
    import uvicorn

    started = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: started.update(app=server.config.app))
    args = ["rate", *answer_sets(tmp_path), "--votes", str(tmp_path / "votes.jsonl"), *options]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return TestClient(started["app"]), result.output


def printed_keys(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+): http://127\.0\.0\.1:8008/#key=(\S+)$", output, re.M))


def test_each_rater_gets_a_private_link_and_votes_without_one_are_refused(tmp_path, monkeypatch):
    client, output = start(tmp_path, monkeypatch, "--raters", "alice,bob")
    keys = printed_keys(output)
    assert list(keys) == ["alice", "bob"] and keys["alice"] != keys["bob"]
    alice, bob = ({"X-Rater-Key": keys[name]} for name in ("alice", "bob"))

    # Anyone else, naming themselves or not, is shown nothing and cannot vote.
    refused = client.get("/api/next", params={"rater": "alice"})
    assert refused.status_code == 403 and "private link" in refused.json()["detail"]
    assert client.get("/api/next", headers={"X-Rater-Key": "guess"}).status_code == 403
    pair = client.get("/api/next", headers=alice).json()
    assert pair["rater"] == "alice"
    assert (
        client.post("/api/vote", json={"token": pair["token"], "winner": "left"}).status_code == 403
    )

    # A vote through alice's link is hers, whatever name the body types.
    cast = client.post(
        "/api/vote", headers=alice, json={"token": pair["token"], "winner": "left", "rater": "bob"}
    )
    assert cast.status_code == 200
    assert [json.loads(line)["rater"] for line in (tmp_path / "votes.jsonl").open()] == ["alice"]
    # Bob cannot take it back, even naming her; she can.
    vote = cast.json()["vote"]
    not_his = client.post("/api/undo", headers=bob, json={"vote": vote, "rater": "alice"})
    assert not_his.status_code == 403  # and not told to type her name, which a link cannot
    assert (
        not_his.json()["detail"]
        == "that vote is another rater's: a rater undoes only their own votes"
    )
    assert client.post("/api/undo", headers=alice, json={}).status_code == 200
    # The line naming the command that judges more keeps the raters (so their links still work).
    assert "--raters alice,bob" in output


def test_with_raters_the_results_open_only_through_the_results_link(tmp_path, monkeypatch):
    client, output = start(tmp_path, monkeypatch, "--raters", "alice,bob")
    alice = {"X-Rater-Key": printed_keys(output)["alice"]}
    link = re.search(r"^Results.*: http://127\.0\.0\.1:8008/leaderboard#key=(\S+)$", output, re.M)
    results = {"X-Rater-Key": link[1]}
    pair = client.get("/api/next", headers=alice).json()
    client.post("/api/vote", headers=alice, json={"token": pair["token"], "winner": "left"})

    # Neither whoever reaches the server nor a rater, who judges blind, sees how the models stand.
    for headers in ({}, alice):
        board = client.get("/leaderboard", headers=headers)
        assert board.status_code == 403 and "tuned" not in board.text and "base" not in board.text
        assert "results link" in board.text  # what to open instead
        assert client.get("/api/ratings", headers=headers).status_code == 403
    # The link printed for whoever started the server opens both; it judges nothing.
    assert "tuned" in client.get("/leaderboard", headers=results).text
    ratings = client.get("/api/ratings", headers=results).json()["ratings"]
    assert sorted(r["model"] for r in ratings) == ["base", "tuned"]
    assert client.get("/api/next", headers=results).status_code == 403


def test_a_restarted_server_gives_the_same_links_and_keeps_them_private(tmp_path, monkeypatch):
    first = printed_keys(start(tmp_path, monkeypatch, "--raters", "alice,bob")[1])
    again = printed_keys(start(tmp_path, monkeypatch, "--raters", "alice,bob,carol")[1])
    assert again["alice"] == first["alice"] and again["bob"] == first["bob"]
    assert "carol" in again
    kept = tmp_path / "votes.keys.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # other users of the machine cannot read them
    # A rater left off the list is refused, though the file still holds their key.
    client, _ = start(tmp_path, monkeypatch, "--raters", "alice")
    assert client.get("/api/next", headers={"X-Rater-Key": first["bob"]}).status_code == 403


def test_a_restart_narrows_a_keys_file_others_were_let_read(tmp_path, monkeypatch):
    # Only a file written anew was made 0600: one a chmod or a copy had opened stayed open.
    first = printed_keys(start(tmp_path, monkeypatch, "--raters", "alice")[1])
    kept = tmp_path / "votes.keys.json"
    kept.chmod(0o644)
    assert printed_keys(start(tmp_path, monkeypatch, "--raters", "alice")[1]) == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_without_raters_a_typed_name_still_judges_as_before(tmp_path, monkeypatch):
    client, output = start(tmp_path, monkeypatch)
    assert "#key=" not in output
    assert client.get("/leaderboard").status_code == 200  # and anyone reaching it reads results
    pair = client.get("/api/next", params={"rater": "anna"}).json()
    assert "rater" not in pair
    assert (
        client.post("/api/vote", json={"token": pair["token"], "winner": "tie"}).status_code == 200
    )


@pytest.mark.parametrize("given", ["alice,alice", "alice,,bob", ""])
def test_raters_are_distinct_names(tmp_path, given):
    with pytest.raises(TunelabError, match="--raters takes distinct names"):
        rater_keys(tmp_path / "votes.jsonl", given.split(","), longest=100)


def test_a_damaged_keys_file_is_named_with_what_to_do(tmp_path):
    (tmp_path / "votes.keys.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TunelabError, match=r"votes\.keys\.json.*delete it to issue new links"):
        rater_keys(tmp_path / "votes.jsonl", ["alice"], longest=100)


def test_a_judging_page_open_beyond_this_machine_needs_raters_or_insecure(tmp_path, monkeypatch):
    # Anyone who reached it could judge and read the results: refused, saying what to add.
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda server: None)  # never serve for real
    args = ["rate", *answer_sets(tmp_path), "--votes", str(tmp_path / "votes.jsonl")]
    refused = CliRunner().invoke(app, [*args, "--host", "0.0.0.0"])
    assert isinstance(refused.exception, TunelabError), refused.output
    assert "add --raters alice,bob, or --insecure" in str(refused.exception)
    assert not (tmp_path / "votes.keys.json").exists()  # refused before anything was written

    # Named raters guard it: only their links judge.
    client, output = start(tmp_path, monkeypatch, "--host", "0.0.0.0", "--raters", "alice")
    # A link to 0.0.0.0 was refused by the server's own Host check: loopback's, and a word on
    # what another machine writes instead.
    alice = re.search(r"^alice: http://127\.0\.0\.1:8008/#key=(\S+)$", output, re.M)[1]
    assert "Open http://127.0.0.1:8008/ (keys 1-4" in " ".join(output.split())
    assert "this machine's address in place of 127.0.0.1" in " ".join(output.split())
    assert client.get("/api/next").status_code == 403
    assert client.get("/api/next", headers={"X-Rater-Key": alice}).status_code == 200

    # --insecure opens it to anyone, said at start and kept in the command that judges more.
    client, output = start(tmp_path, monkeypatch, "--host", "0.0.0.0", "--insecure")
    assert "warning: listening on 0.0.0.0 with no --raters" in output
    assert client.get("/leaderboard").status_code == 200
    assert output.rstrip().endswith("--host 0.0.0.0 --insecure")


def test_a_server_with_raters_does_not_describe_its_routes(tmp_path, monkeypatch):
    client, _ = start(tmp_path, monkeypatch, "--raters", "alice")
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path


def test_a_public_url_is_the_address_every_printed_link_gives(tmp_path, monkeypatch):
    # Listening on 0.0.0.0, rate linked to 127.0.0.1, which no rater on another machine opens.
    url = "http://10.0.0.5:8008"
    client, output = start(
        tmp_path, monkeypatch, "--host", "0.0.0.0", "--raters", "alice", "--public-url", url
    )
    said = " ".join(output.split())
    assert f"Open {url}/ (keys 1-4" in said and "in place of" not in said
    alice = re.search(r"^alice: http://10\.0\.0\.5:8008/#key=(\S+)$", output, re.M)[1]
    assert re.search(r"Results, .*: http://10\.0\.0\.5:8008/leaderboard#key=\S+$", output, re.M)
    assert "127.0.0.1" not in output
    assert output.rstrip().endswith(f"--host 0.0.0.0 --raters alice --public-url {url}/")
    # Its host gets past the Host check (DNS rebinding's guard); another name still does not.
    key = {"X-Rater-Key": alice}
    assert client.get("/api/next", headers={**key, "host": "10.0.0.5:8008"}).status_code == 200
    refused = client.get("/api/next", headers={**key, "host": "evil.example"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_host"


def test_a_proxys_public_url_is_let_in_through_the_python_api_too(tmp_path, monkeypatch):
    import uvicorn

    import tunelab

    started = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: started.update(app=server.config.app))
    votes = tmp_path / "votes.jsonl"
    tunelab.rate(answer_sets(tmp_path), votes, public_url="https://rate.example.com")
    client = TestClient(started["app"])
    assert client.get("/api/next", headers={"host": "rate.example.com"}).status_code == 200


@pytest.mark.parametrize(
    "url", ["rate.example.com", "ftp://rate.example.com", "http://", "http://h/#x"]
)
def test_a_public_url_raters_cannot_open_is_refused_by_its_name(tmp_path, url):
    args = ["rate", *answer_sets(tmp_path), "--public-url", url]
    refused = CliRunner().invoke(app, args)
    assert isinstance(refused.exception, TunelabError), refused.output
    assert "public_url" in str(refused.exception) and url in str(refused.exception)
