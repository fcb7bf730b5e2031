"""What `tunelab rate` tells the people using it: the rater at the page (their own count, a pair
they judged before, skip and undo) and the reader of the leaderboard (a side raters favour,
pairs not worth a vote, models nobody judged yet). The page itself: test_human_app.py."""

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.evaluate.human.answers import load_answers
from tunelab.evaluate.human.app import create_app
from tunelab.evaluate.human.arena import Arena

QUESTIONS = ["What does tunelab do?", "How do I resume?", "Where is the config?"]


def answer_sets(tmp_path, answers: dict[str, list[str]]) -> list:
    """An answers file per model, answering QUESTIONS in order."""
    paths = []
    for model, said in answers.items():
        path = tmp_path / f"{model}.jsonl"
        rows = [{"question": q, "reference": "ref", "answer": a} for q, a in zip(QUESTIONS, said)]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        paths.append(path)
    return paths


def good_and_bad(tmp_path) -> list:
    return answer_sets(
        tmp_path,
        {"base": [f"bad {q}" for q in QUESTIONS], "tuned": [f"good {q}" for q in QUESTIONS]},
    )


def results(paths, votes) -> str:
    """What `rate --results` says, its notes' lines (wrapped at the terminal's width) joined."""
    out = CliRunner().invoke(app, ["rate", *map(str, paths), "--votes", str(votes), "--results"])
    assert out.exit_code == 0, out.output
    return " ".join(out.output.split())


def test_a_rater_who_always_picks_the_left_answer_is_reported(tmp_path):
    paths, votes = good_and_bad(tmp_path), tmp_path / "votes.jsonl"
    arena = Arena(load_answers(paths), votes, seed=0)
    for _ in range(12):
        arena.vote(arena.next()["token"], "left")
    client = TestClient(create_app(arena))
    page = client.get("/leaderboard").text
    assert "the left answer won 12 of 12 decisive votes (100%" in page
    assert "raters favour the left side" in page
    assert "raters favour the left side" in results(paths, votes)
    # A script reading the ratings is told too (it was given the rows alone).
    assert any(
        "raters favour the left side" in n for n in client.get("/api/ratings").json()["notes"]
    )


def test_a_rater_who_reads_the_answers_is_not_said_to_favour_a_side(tmp_path):
    paths, votes = good_and_bad(tmp_path), tmp_path / "votes.jsonl"
    arena = Arena(load_answers(paths), votes, seed=0)
    for _ in range(12):
        pair = arena.next()
        arena.vote(pair["token"], "left" if pair["left_answer"].startswith("good") else "right")
    said = results(paths, votes)
    assert "decisive votes" in said and "favour" not in said


def test_two_answers_of_one_text_are_never_shown_and_the_leaderboard_says_so(tmp_path):
    paths = answer_sets(
        tmp_path,
        {"empty": ["", "", ""], "blank": ["  ", "", "the config"], "tuned": ["a", "b", "c"]},
    )
    votes = tmp_path / "votes.jsonl"
    # A vote from before, on two empty answers: a coin flip, left out of the ratings.
    coin_flip = {"question": QUESTIONS[0], "left": "empty", "right": "blank", "winner": "left"}
    votes.write_text(json.dumps(coin_flip) + "\n")
    arena = Arena(load_answers(paths), votes, seed=0)
    assert arena.records == []
    for _ in range(30):
        pair = arena.next()
        assert pair["left_answer"].strip() or pair["right_answer"].strip()
        arena.vote(pair["token"], "tie")
    said = results(paths, votes)
    assert "Not shown: 2 pair(s) whose two answers are the same text" in said
    assert "1 earlier vote(s) on them left out" in said


def test_a_model_nobody_has_judged_yet_is_named_not_left_out(tmp_path):
    paths = answer_sets(
        tmp_path, {"base": ["x", "y", "z"], "tuned": ["a", "b", "c"], "new": ["d", "e", "f"]}
    )
    votes = tmp_path / "votes.jsonl"
    assert "No votes yet, so no rating: base, tuned, new" in results(paths, votes)
    earlier = {"question": QUESTIONS[0], "left": "base", "right": "tuned", "winner": "right"}
    votes.write_text(json.dumps(earlier) + "\n")
    assert "No votes yet, so no rating: new" in results(paths, votes)
    client = TestClient(create_app(Arena(load_answers(paths), votes)))
    assert "No votes yet, so no rating: new" in client.get("/leaderboard").text
    api = client.get("/api/ratings").json()
    assert [r["model"] for r in api["ratings"]] == ["tuned", "base"]
    assert "No votes yet, so no rating: new" in api["notes"]


def test_a_rater_sees_their_own_count_and_is_told_when_pairs_repeat(tmp_path):
    arena = Arena(load_answers(good_and_bad(tmp_path)), tmp_path / "votes.jsonl", seed=0)
    client = TestClient(create_app(arena))

    def judge(rater: str) -> dict:
        pair = client.get("/api/next", params={"rater": rater}).json()
        vote = {"token": pair["token"], "winner": "tie", "rater": rater}
        assert client.post("/api/vote", json=vote).status_code == 200
        return pair

    for _ in range(2):
        judge("bo")
    # Three questions, two models: three pairs, each new to ana however much bo judged.
    seen = [judge("ana") for _ in range(3)]
    assert [(p["yours"], p["repeat"]) for p in seen] == [(0, False), (1, False), (2, False)]
    again = client.get("/api/next", params={"rater": "ana"}).json()
    assert again["judged"] == 5 and again["yours"] == 3 and again["repeat"] is True
    assert "judged every pair on offer" in client.get("/").text


def test_a_skipped_pair_is_replaced_and_records_nothing(tmp_path):
    votes = tmp_path / "votes.jsonl"
    client = TestClient(create_app(Arena(load_answers(good_and_bad(tmp_path)), votes, seed=0)))
    shown = client.get("/api/next").json()
    other = client.post("/api/skip", json={"token": shown["token"]}).json()
    assert other["question"] != shown["question"]  # another pair, while one is left
    late = client.post("/api/vote", json={"token": shown["token"], "winner": "left"})
    assert late.status_code == 400 and not votes.exists()
    assert client.post("/api/vote", json={"token": other["token"], "winner": "left"}).is_success


def test_a_rater_can_undo_their_last_vote_and_judge_the_pair_again(tmp_path):
    paths, votes = good_and_bad(tmp_path), tmp_path / "votes.jsonl"
    arena = Arena(load_answers(paths), votes, seed=0)
    client = TestClient(create_app(arena))
    shown = client.get("/api/next", params={"rater": "ana"}).json()
    cast = client.post(
        "/api/vote", json={"token": shown["token"], "winner": "left", "rater": "ana"}
    )
    again = client.post("/api/undo", json={"vote": cast.json()["vote"], "rater": "ana"}).json()
    # The same answers on the same sides, to judge anew; the vote no longer counts.
    assert [again[k] for k in ("left_answer", "right_answer")] == [
        shown[k] for k in ("left_answer", "right_answer")
    ]
    assert (
        again["judged"] == 0
        and again["yours"] == 0
        and client.get("/api/ratings").json()["ratings"] == []
    )
    twice = client.post("/api/undo", json={"vote": cast.json()["vote"]})
    assert twice.status_code == 400 and "already undone" in twice.json()["detail"]
    # Appended, not rewritten: the file keeps the vote and its undo, and a restart honours it.
    assert len(votes.read_text().splitlines()) == 2
    assert Arena(load_answers(paths), votes).records == []
    vote = {"token": again["token"], "winner": "right", "rater": "ana"}
    assert client.post("/api/vote", json=vote).is_success
    assert [r["winner"] for r in Arena(load_answers(paths), votes).records] == ["right"]


def test_successive_undos_take_back_the_votes_before_one_by_one(tmp_path):
    # Only the last vote could be undone: a rater who pressed a wrong key twice kept the first.
    paths, votes = good_and_bad(tmp_path), tmp_path / "votes.jsonl"
    client = TestClient(create_app(Arena(load_answers(paths), votes, seed=0)))
    cast = []
    for _ in range(3):
        shown = client.get("/api/next").json()
        vote = client.post("/api/vote", json={"token": shown["token"], "winner": "left"}).json()
        cast.append((shown["question"], vote["vote"]))
    for question, vote_id in reversed(cast[1:]):  # the page's latest standing vote, each time
        again = client.post("/api/undo", json={"vote": vote_id})
        assert again.is_success and again.json()["question"] == question
    assert again.json()["judged"] == 1
    kept = Arena(load_answers(paths), votes).records  # a restart honours both undos
    assert [r["id"] for r in kept] == [cast[0][1]]


def test_a_named_rater_undoes_their_latest_vote_by_name_after_a_reload_or_a_restart(tmp_path):
    # The page kept its votes' ids: a reload forgot them, and they could no longer be taken back.
    paths, votes = good_and_bad(tmp_path), tmp_path / "votes.jsonl"
    client = TestClient(create_app(Arena(load_answers(paths), votes, seed=0)))
    cast = []
    for rater in ("ana", "ben", "ana"):
        shown = client.get("/api/next", params={"rater": rater}).json()
        vote = {"token": shown["token"], "winner": "left", "rater": rater}
        cast.append((shown["question"], client.post("/api/vote", json=vote).json()["vote"]))
    # A reloaded page holds no id: it asks by name, and ana's latest vote goes, not ben's.
    again = client.post("/api/undo", json={"rater": "ana"}).json()
    assert again["question"] == cast[2][0] and again["yours"] == 1
    restarted = TestClient(create_app(Arena(load_answers(paths), votes, seed=0)))
    again = restarted.post("/api/undo", json={"rater": "ana"}).json()
    assert again["question"] == cast[0][0] and again["yours"] == 0
    done = restarted.post("/api/undo", json={"rater": "ana"})
    assert done.status_code == 400 and "no vote of 'ana' left to undo" in done.json()["detail"]
    nameless = restarted.post("/api/undo", json={})
    assert nameless.status_code == 400 and "give a rater name" in nameless.json()["detail"]
    assert [r["id"] for r in Arena(load_answers(paths), votes).records] == [cast[1][1]]


def test_a_rater_cannot_undo_another_raters_vote_by_its_id(tmp_path):
    # Any standing vote's id undid it: ben (or a page without a name) took back ana's vote.
    paths, votes = good_and_bad(tmp_path), tmp_path / "votes.jsonl"
    client = TestClient(create_app(Arena(load_answers(paths), votes, seed=0)))

    def cast(rater: str) -> str:
        shown = client.get("/api/next", params={"rater": rater}).json()
        vote = {"token": shown["token"], "winner": "left", "rater": rater}
        return client.post("/api/vote", json=vote).json()["vote"]

    anas, nameless = cast("ana"), cast("")
    for asker, named in (("ben", "names 'ben'"), ("", "names no rater")):
        refused = client.post("/api/undo", json={"vote": anas, "rater": asker})
        assert refused.status_code == 403
        assert f"that vote was cast by 'ana' and this undo {named}" in refused.json()["detail"]
    assert client.get("/api/ratings").json()["ratings"][0]["votes"] == 2  # both still count
    # Ana takes hers back by its id; a vote cast without a name is anyone's to undo, as before.
    assert client.post("/api/undo", json={"vote": anas, "rater": "ana"}).is_success
    assert client.post("/api/undo", json={"vote": nameless, "rater": "ben"}).is_success
    assert Arena(load_answers(paths), votes).records == []


def test_the_leaderboard_says_each_raters_votes_and_how_far_two_raters_agree(tmp_path):
    # Two colleagues rate the same pairs; whether they agree is what tells a rating from noise.
    paths, votes = good_and_bad(tmp_path), tmp_path / "votes.jsonl"
    arena = Arena(load_answers(paths), votes, seed=0)
    likes_good = {"alice": QUESTIONS[:2], "bob": QUESTIONS[:1]}
    for rater in ("alice", "bob"):
        for _ in QUESTIONS:  # each is shown the three pairs they have not judged, in turn
            pair = arena.next(rater)
            good = "left" if pair["left_answer"].startswith("good") else "right"
            bad = "right" if good == "left" else "left"
            arena.vote(pair["token"], good if pair["question"] in likes_good[rater] else bad, rater)
    said = (
        "Votes by rater: alice 3, bob 3; alice and bob agree on 2 of 3 pairs both judged "
        "(Cohen's kappa 0.40)"
    )
    assert said in arena.notes()
    assert said in results(paths, votes)


def test_rates_last_line_says_one_vote_as_one_and_its_results_need_no_server_flags(tmp_path):
    from types import SimpleNamespace

    from tunelab.evaluate.human.session import _votes_kept

    arena = SimpleNamespace(records=[{"winner": "a"}], votes_path=tmp_path / "v.jsonl")
    said = _votes_kept(arena, ["a.jsonl", "b.jsonl"], "v.jsonl", "127.0.0.1", 9000, ["ann", "bo"])
    results, more = said.split("; to judge more: ")
    assert results.startswith("1 vote in ")  # it said "1 votes"
    assert results.endswith("ratings: tunelab rate a.jsonl b.jsonl --votes v.jsonl --results")
    assert more == "tunelab rate a.jsonl b.jsonl --votes v.jsonl --port 9000 --raters ann,bo"
