"""Human evaluation's app: the judging page shows blind pairs, stores every vote at once (and
says when the disk refused one), reads its votes file back, and answers only its own host.
Ratings: test_human_ratings.py; answer sets: test_human_answers.py."""

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.human.answers import load_answers
from tunelab.evaluate.human.app import MAX_BODY, create_app
from tunelab.evaluate.human.arena import Arena
from tunelab.evaluate.human.keys import keys_path

JSON = "application/json"


def _answer_sets(tmp_path):
    questions = ["What does tunelab do?", "How do I resume?", "Where is the config?"]
    for model, good in (("base", False), ("tuned", True)):
        folder = tmp_path / "runs" / model / "eval"
        folder.mkdir(parents=True)
        rows = [
            {"question": q, "reference": "ref", "answer": ("good " if good else "bad ") + q}
            for q in questions
        ]
        (folder / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return [tmp_path / "runs" / "base", tmp_path / "runs" / "tuned"]


def test_judging_page_hides_names_stores_votes_and_ranks(tmp_path):
    votes_file = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(_answer_sets(tmp_path)), votes_file)
    client = TestClient(create_app(arena))
    assert "Which answer is better?" in client.get("/").text
    seen = set()
    for _ in range(12):  # a judge who always prefers the finetuned answer
        pair = client.get("/api/next").json()
        seen.add(pair["question"])
        winner = "left" if pair["left_answer"].startswith("good") else "right"
        vote = {"token": pair["token"], "winner": winner}
        assert client.post("/api/vote", json=vote).status_code == 200
    assert len(seen) == 3  # the least-judged pair comes next: every question gets judged
    assert len(votes_file.read_text().splitlines()) == 12  # written as they came
    ranking = client.get("/api/ratings").json()["ratings"]
    assert [r["model"] for r in ranking] == ["tuned", "base"] and ranking[0]["win_rate"] == 1.0
    # Twelve votes, all one way, but on three questions: too few questions to name a winner,
    # and the page says so (its interval alone is above zero).
    assert ranking[0]["questions"] == 3
    assert ranking[0]["vs_next"] == "no clear winner vs base (3 questions, under 10)"
    assert "tuned" in client.get("/leaderboard").text
    bad = {"token": client.get("/api/next").json()["token"], "winner": "maybe"}
    assert client.post("/api/vote", json=bad).status_code == 400

    # A restarted server reads the votes back; the CLI prints the same ranking.
    assert len(Arena(load_answers(_answer_sets_again(tmp_path)), votes_file).records) == 12
    out = CliRunner().invoke(
        app,
        ["rate", *map(str, _answer_sets_again(tmp_path)), "--votes", str(votes_file), "--results"],
    )
    assert out.exit_code == 0, out.output
    assert out.output.index("tuned") < out.output.index("base")


def test_one_vote_is_one_judgement_on_the_leaderboard_and_in_results(tmp_path):
    # "1 judgements." on the page and in `--results`' title.
    sets = _answer_sets(tmp_path)
    arena = Arena(load_answers(sets), tmp_path / "votes.jsonl")
    arena.vote(arena.next()["token"], "left")
    assert "<p>1 judgement. " in TestClient(create_app(arena)).get("/leaderboard").text
    args = ["rate", *map(str, sets), "--votes", str(tmp_path / "votes.jsonl"), "--results"]
    title = CliRunner().invoke(app, args).output.split()[:2]
    assert title == ["1", "judgement"]


def test_votes_on_other_answers_are_not_counted(tmp_path):
    """A votes file outlives an experiment: the same model names over answers made again (or
    another test set) are other judgements."""
    votes_file = tmp_path / "votes.jsonl"
    sets = _answer_sets(tmp_path)
    arena = Arena(load_answers(sets), votes_file)
    for _ in range(3):
        arena.vote(arena.next()["token"], "left")
    assert len(Arena(load_answers(sets), votes_file).records) == 3
    # "tuned" answers one question anew: the votes on its old answer no longer count.
    predictions = sets[1] / "eval" / "predictions.jsonl"
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    judged = next(r for r in arena.records if "How do I resume?" == r["question"])
    rows[[r["question"] for r in rows].index(judged["question"])]["answer"] = "made again"
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    later = Arena(load_answers(sets), votes_file)
    assert len(later.records) == 2 and later.other_votes == 1
    assert all(r["question"] != "How do I resume?" for r in later.records)


def test_the_page_is_never_told_which_model_wrote_which_answer(tmp_path):
    client = TestClient(create_app(Arena(load_answers(_answer_sets(tmp_path)), tmp_path / "v")))
    shown = [client.get("/").text] + [client.get("/api/next").text for _ in range(6)]
    for text in shown:
        assert "base" not in text and "tuned" not in text
    pair = client.get("/api/next").json()
    shown = {"token", "question", "reference", "left_answer", "right_answer"}
    assert set(pair) == shown | {"judged", "yours", "repeat"}
    reply = client.post("/api/vote", json={"token": pair["token"], "winner": "left"})
    assert "base" not in reply.text and "tuned" not in reply.text


def test_a_vote_counts_once_and_only_for_a_pair_that_was_shown(tmp_path):
    votes_file = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(_answer_sets(tmp_path)), votes_file)
    client = TestClient(create_app(arena))
    # A forged ballot naming the models, as the page used to post: refused however often sent.
    forged = {"question": "How do I resume?", "left": "base", "right": "tuned", "winner": "left"}
    for _ in range(50):
        assert client.post("/api/vote", json=forged).status_code == 422
        made_up = {"token": "guessed-token", "winner": "left"}
        assert client.post("/api/vote", json=made_up).status_code == 400
    token = client.get("/api/next").json()["token"]
    assert client.post("/api/vote", json={"token": token, "winner": "right"}).status_code == 200
    again = client.post("/api/vote", json={"token": token, "winner": "right"})
    assert again.status_code == 400 and "already voted" in again.json()["detail"]
    assert len(arena.records) == 1 and len(votes_file.read_text().splitlines()) == 1
    # The file still names the models, so the leaderboard and a restart read it as before.
    record = json.loads(votes_file.read_text())
    assert {record["left"], record["right"]} == {"base", "tuned"}
    assert len(Arena(arena.answers, votes_file).ratings()) == 2


def test_each_named_rater_is_shown_pairs_they_have_not_judged_also_after_a_restart(tmp_path):
    # Raters were not told apart: one colleague was shown a pair they had judged while others
    # were left, and nothing said who cast a vote.
    answers = load_answers(_answer_sets(tmp_path))

    def judge(client, rater):
        pair = client.get("/api/next", params={"rater": rater}).json()
        vote = {"token": pair["token"], "winner": "tie", "rater": rater}
        assert client.post("/api/vote", json=vote).is_success
        return pair["question"]

    for seed in range(5):  # however the draws fall
        votes_file = tmp_path / f"votes_{seed}.jsonl"
        first = TestClient(create_app(Arena(answers, votes_file, seed=seed)))
        seen = {"anna": [], "ben": []}
        for _ in range(2):
            for rater in seen:
                seen[rater].append(judge(first, rater))
        restarted = TestClient(create_app(Arena(answers, votes_file, seed=seed)))
        for rater in seen:
            seen[rater].append(judge(restarted, rater))
            assert len(set(seen[rater])) == 3, seen  # every question once before any twice
        records = [json.loads(line) for line in votes_file.read_text().splitlines()]
        assert [r["rater"] for r in records] == ["anna", "ben"] * 3


def test_the_rating_app_refuses_a_page_from_another_host(tmp_path):
    client = TestClient(create_app(Arena(load_answers(_answer_sets(tmp_path)), tmp_path / "v")))
    for host in ("evil.example", "evil.example:80", "localhost:8008"):  # rebound name, other port
        refused = client.get("/api/next", headers={"host": host})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_host"
    for host in ("localhost", "127.0.0.1:80", "[::1]:80"):
        assert client.get("/api/next", headers={"host": host}).status_code == 200


def test_the_rating_app_reads_no_body_past_its_limit(tmp_path):
    """A vote is a token, a winner and a name: a body of megabytes, sent by anyone who reaches
    the server, key or not, is refused before it is read, not held in memory whole."""
    client = TestClient(create_app(Arena(load_answers(_answer_sets(tmp_path)), tmp_path / "v")))
    vote = {"token": client.get("/api/next").json()["token"], "winner": "left"}
    padded = client.post("/api/vote", json={**vote, "padding": "x" * MAX_BODY})
    assert padded.status_code == 413 and padded.json()["error"]["code"] == "request_too_large"

    def chunked():  # no Content-Length: the bytes read are counted
        yield b'{"token": "'
        for _ in range(MAX_BODY // 1000 + 1):
            yield b"x" * 1000
        yield b'", "winner": "left"}'

    refused = client.post("/api/vote", content=chunked(), headers={"content-type": JSON})
    assert refused.status_code == 413
    assert client.post("/api/vote", json=vote).status_code == 200  # its pair is still to vote on


def test_a_page_on_another_site_may_not_read_the_rating_app(tmp_path):
    """No CORS header: a browser keeps any answer from a page on another site, and refuses its
    preflight for a JSON vote."""
    client = TestClient(create_app(Arena(load_answers(_answer_sets(tmp_path)), tmp_path / "v")))
    origin = {"origin": "http://evil.example"}
    asked = {**origin, "access-control-request-method": "POST"}
    for answer in (
        client.get("/api/ratings", headers=origin),
        client.options("/api/vote", headers=asked),
    ):
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    assert client.options("/api/vote", headers=asked).status_code == 405


def test_a_page_on_another_site_may_not_post_to_the_rating_app(tmp_path):
    """A browser lets a page on another site POST text/plain without a preflight: an undo by a
    named rater's name needs no token, so the app takes votes, skips and undos as JSON only, and
    says so (415) as `tunelab serve` does, not with a pydantic 422."""
    client = TestClient(create_app(Arena(load_answers(_answer_sets(tmp_path)), tmp_path / "v")))
    vote = {"token": client.get("/api/next", params={"rater": "ann"}).json()["token"]}
    assert client.post("/api/vote", json={**vote, "winner": "left", "rater": "ann"}).is_success
    for headers in ({"content-type": "text/plain"}, {}):
        undo = client.post("/api/undo", content=b'{"rater": "ann"}', headers=headers)
        assert undo.status_code == 415 and "Content-Type: application/json" in undo.text
        skip = client.post("/api/skip", content=b'{"token": "t"}', headers=headers)
        assert skip.status_code == 415
    assert client.get("/api/ratings").json()["ratings"][0]["votes"] == 1  # the vote stands
    assert client.post("/api/undo", json={"rater": "ann"}).is_success  # the page's own undo


def test_rate_allows_a_name_it_is_given_as_serve_does(tmp_path, monkeypatch):
    import uvicorn

    started = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: started.update(app=server.config.app))
    answers = [str(p) for p in _answer_sets(tmp_path)]
    args = ["rate", *answers, "--votes", str(tmp_path / "v"), "--allow-host", "judge.lan"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "0 votes in" in result.output  # said when the server stops (Ctrl-C)
    client = TestClient(started["app"])
    assert client.get("/api/next", headers={"host": "judge.lan"}).status_code == 200
    assert client.get("/api/next", headers={"host": "evil.example"}).status_code == 400


def _answer_sets_again(tmp_path):
    return [tmp_path / "runs" / "base", tmp_path / "runs" / "tuned"]


def test_votes_that_cannot_be_written_are_refused_before_judging_starts(tmp_path, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda *a: pytest.fail("served anyway"))
    answers = [str(p) for p in _answer_sets(tmp_path)]
    # A folder was read as "no votes yet", and then every vote failed with a 500.
    with pytest.raises(TunelabError, match="is a folder"):
        Arena(load_answers(_answer_sets_again(tmp_path)), tmp_path)
    (tmp_path / "notes").write_text("a file, not a folder")
    result = CliRunner().invoke(app, ["rate", *answers, "--votes", str(tmp_path / "notes" / "v")])
    assert "notes is a file, not a folder" in str(result.exception)
    assert "Open" not in result.output  # no judge is sent to a page whose votes would be lost


def test_a_port_in_use_is_refused_before_judges_are_sent_to_the_page(tmp_path, monkeypatch):
    # It said "Open http://127.0.0.1:8008/", then uvicorn's "[Errno 98] ... address already in
    # use" below it: a judge sent to that page found another server's.
    import socket

    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda *a: pytest.fail("served anyway"))
    answers = [str(p) for p in _answer_sets(tmp_path)]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        votes = str(tmp_path / "ratings" / "votes.jsonl")  # not the checkout's ratings/
        result = CliRunner().invoke(app, ["rate", *answers, "--port", port, "--votes", votes])
    assert f"cannot listen on 127.0.0.1:{port}" in str(result.exception)
    assert "pick another --port" in str(result.exception) and "Open" not in result.output
    assert not (tmp_path / "ratings").exists()  # finding the votes writable made none of it


def test_a_port_no_machine_has_is_refused_by_its_option(tmp_path, monkeypatch):
    # --port 70000 said "Open http://127.0.0.1:70000/", then uvicorn's OverflowError traceback.
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda *a: pytest.fail("served anyway"))
    answers = [str(p) for p in _answer_sets(tmp_path)]
    votes = str(tmp_path / "votes.jsonl")
    result = CliRunner().invoke(app, ["rate", *answers, "--port", "70000", "--votes", votes])
    assert result.exit_code == 2 and "Invalid value for '--port'" in result.output
    assert "Open" not in result.output


def test_a_vote_the_disk_refused_is_said_and_can_be_cast_again(tmp_path, monkeypatch):
    import errno

    from tunelab.evaluate.human import arena as arena_module

    votes_file = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(_answer_sets(tmp_path)), votes_file)
    client = TestClient(create_app(arena), raise_server_exceptions=False)
    token = client.get("/api/next").json()["token"]
    write = arena_module.append_jsonl

    def disk_full(path, record):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(arena_module, "append_jsonl", disk_full)
    refused = client.post("/api/vote", json={"token": token, "winner": "left"})
    assert refused.status_code == 500
    assert "No space left on device" in refused.json()["detail"]
    assert str(votes_file) in refused.json()["detail"] and not arena.records
    monkeypatch.setattr(arena_module, "append_jsonl", write)  # space freed: the same pair counts
    assert client.post("/api/vote", json={"token": token, "winner": "left"}).status_code == 200
    assert len(votes_file.read_text().splitlines()) == 1


def test_a_torn_last_vote_is_named_by_line_on_restart(tmp_path):
    votes = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(_answer_sets(tmp_path)), votes)
    arena.vote(arena.next()["token"], "right")
    with votes.open("a") as handle:  # the power went out in the middle of the next write
        handle.write('{"question": "How do')
    with pytest.raises(TunelabError, match="votes.jsonl:2: not valid JSON"):
        Arena(arena.answers, votes)


def test_text_with_unicode_line_separators_survives_a_restart(tmp_path):
    # json.dumps(ensure_ascii=False) writes U+2028 and U+0085 raw; str.splitlines splits there.
    question = "first\u2028second\x85third"
    for model in ("a", "b"):
        row = {"question": question, "answer": f"{model}\u2029"}
        (tmp_path / f"{model}.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n")
    votes = tmp_path / "votes.jsonl"
    arena = Arena(load_answers([tmp_path / "a.jsonl", tmp_path / "b.jsonl"]), votes)
    assert arena.questions == {question}
    arena.vote(arena.next()["token"], "left")
    assert Arena(arena.answers, votes).records == arena.records


def test_every_server_shuffles_the_sides_its_own_way(tmp_path):
    # A fixed default seed showed the same model on the left first in every server.
    answers = load_answers(_answer_sets(tmp_path))
    firsts = {Arena(answers, tmp_path / "v").next()["left_answer"][:4] for _ in range(40)}
    assert firsts == {"good", "bad "}


def test_a_vote_after_a_line_cut_short_gets_a_line_of_its_own(tmp_path):
    votes = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(_answer_sets(tmp_path)), votes)
    arena.vote(arena.next()["token"], "left")
    with votes.open("a") as handle:  # the disk filled in the middle of a write
        handle.write('{"question": "How do')
    arena.vote(arena.next()["token"], "right")
    lines = votes.read_text().splitlines()
    assert len(lines) == 3 and lines[1] == '{"question": "How do'
    # Deleting the damaged line, as the restart asks, keeps both votes the server accepted.
    votes.write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert Arena(arena.answers, votes).records == arena.records


def test_a_vote_with_no_winner_it_knows_is_named_by_line_and_a_judges_no_verdict_is_skipped(
    tmp_path,
):
    votes = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(_answer_sets(tmp_path)), votes)
    arena.vote(arena.next()["token"], "right")
    first = json.loads(votes.read_text())
    with votes.open("a") as handle:  # a judge's reply with no verdict, then a hand edit
        handle.write(json.dumps({**first, "winner": None}) + "\n")
        handle.write(json.dumps({**first, "winner": "Left"}) + "\n")
    with pytest.raises(TunelabError, match=r"votes.jsonl:3: not a vote \(winner 'Left'"):
        Arena(arena.answers, votes)
    votes.write_text("".join(votes.read_text().splitlines(keepends=True)[:2]))
    assert len(Arena(arena.answers, votes).records) == 1


def test_the_page_shows_a_marked_question_without_its_template_headers(tmp_path):
    asked = "### Question:\nHow do I resume a run?\n\n### Answer:"
    files = []
    for model in ("a", "b"):
        files.append(tmp_path / f"{model}.jsonl")
        files[-1].write_text(json.dumps({"question": asked, "answer": model}) + "\n")
    shown = Arena(load_answers(files), tmp_path / "v.jsonl").next()
    assert shown["question"] == "How do I resume a run?"


def test_results_of_a_mistyped_votes_file_name_the_file_meant(tmp_path):
    # `--votes vote.jsonl --results` printed an empty table, "No votes yet", beside votes.jsonl.
    sets = _answer_sets(tmp_path)
    arena = Arena(load_answers(sets), tmp_path / "votes.jsonl")
    arena.vote(arena.next()["token"], "left")
    typed = tmp_path / "vote.jsonl"
    out = CliRunner().invoke(app, ["rate", *map(str, sets), "--votes", str(typed), "--results"])
    said = f"no votes file {typed} (did you mean {tmp_path / 'votes.jsonl'}?)"
    assert isinstance(out.exception, TunelabError) and said in str(out.exception)
    # A votes file with no vote yet, and nothing named like it, is no mistake: no rating yet.
    out = CliRunner().invoke(
        app, ["rate", *map(str, sets), "--votes", str(tmp_path / "later.jsonl"), "--results"]
    )
    assert out.exit_code == 0 and "No votes yet" in out.output
    # Nor is one whose raters' keys are beside it: its session saw no vote.
    keys_path(tmp_path / "ratings.jsonl").write_text("{}")
    out = CliRunner().invoke(
        app, ["rate", *map(str, sets), "--votes", str(tmp_path / "ratings.jsonl"), "--results"]
    )
    assert out.exit_code == 0 and "No votes yet" in out.output
