"""The judging page in a real browser (headless Chromium): keys 1-4 vote, every vote lands in the
votes file, and nothing the browser receives names a model."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager

import pytest

from tunelab.evaluate.human.answers import load_answers
from tunelab.evaluate.human.app import create_app
from tunelab.evaluate.human.arena import Arena
from tunelab.evaluate.human.keys import rater_keys
from tunelab.web import running

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)
MODELS = {"alpha-secret-model": "good", "omega-secret-model": "poor"}


def answer_sets(root):
    questions = ["What does tunelab do?", "How do I resume?", "Where is the config?"]
    files = []
    for model, quality in MODELS.items():
        file = root / f"{model}.jsonl"
        rows = [{"question": q, "answer": f"{quality}: {q}"} for q in questions]
        file.write_text("".join(json.dumps(row) + "\n" for row in rows))
        files.append(file)
    return files


@contextmanager
def judging_page(arena: Arena, on_response=None, keys=None, link="", results_key=None):
    """The rating page of `arena` served on loopback, open in headless Chromium (at `link`, the
    part of a rater's private link after the server's address)."""
    with (
        running(create_app(arena, keys=keys, results_key=results_key)) as url,
        sync_api.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            if on_response is not None:
                page.on("response", on_response)
            page.goto(url + link)
            yield page
        finally:
            browser.close()


def test_judging_in_a_browser_records_votes_and_never_shows_model_names(tmp_path):
    votes_file = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(answer_sets(tmp_path)), votes_file)
    received = []
    with judging_page(arena, lambda response: received.append(response)) as page:
        for judged in range(1, 5):  # a judge who always prefers the good answer
            page.wait_for_function("document.getElementById('left_answer').textContent")
            left = page.text_content("#left_answer")
            page.keyboard.press("1" if left.startswith("good") else "2")
            page.wait_for_function(f"document.getElementById('judged').textContent === '{judged}'")
        seen = [page.content()] + [r.text() for r in received]
    records = [json.loads(line) for line in votes_file.read_text().splitlines()]
    assert len(records) == len(arena.records) == 4
    winners = [r["left"] if r["winner"] == "left" else r["right"] for r in records]
    assert winners == ["alpha-secret-model"] * 4
    assert sum("/api/vote" in r.url for r in received) == 4
    for text in seen:
        assert not any(name in text for name in MODELS)


def test_a_held_key_or_a_browser_shortcut_casts_no_vote(tmp_path):
    arena = Arena(load_answers(answer_sets(tmp_path)), tmp_path / "votes.jsonl")
    with judging_page(arena) as page:
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        page.keyboard.down("1")
        page.wait_for_function("document.getElementById('judged').textContent === '1'")
        for _ in range(3):  # the key is still held: the browser repeats it
            page.keyboard.down("1")
            page.wait_for_timeout(100)
        page.keyboard.up("1")
        for shortcut in ("Control+2", "Alt+3", "Meta+4"):  # switch tabs, not vote
            page.keyboard.press(shortcut)
        page.keyboard.press("4")  # the pair on screen now gets this one vote
        page.wait_for_function("document.getElementById('judged').textContent === '2'")
        page.wait_for_timeout(200)
    assert [r["winner"] for r in arena.records] == ["left", "both_bad"]


def test_a_vote_the_server_refuses_is_said_on_the_page_not_passed_over(tmp_path):
    # After `tunelab rate` restarts, the open tab's pair is one the new server never showed: its
    # vote got a 400 and the page moved on as if it were saved.
    files = answer_sets(tmp_path)
    arena = Arena(load_answers(files), tmp_path / "votes.jsonl")
    with judging_page(arena) as page:
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        arena.shown.clear()  # what a restarted server knows of the pair on screen
        page.keyboard.press("1")
        page.wait_for_function("document.getElementById('status').textContent !== ''")
        said = page.text_content("#status")
        page.keyboard.press("2")  # the new pair on screen takes a vote
        page.wait_for_function("document.getElementById('judged').textContent === '1'")
        page.wait_for_function("document.getElementById('status').textContent === ''")
    assert said.startswith("vote not saved (400")
    assert [r["winner"] for r in arena.records] == ["right"]


def test_a_rater_types_a_name_once_and_each_vote_carries_it(tmp_path):
    arena = Arena(load_answers(answer_sets(tmp_path)), tmp_path / "votes.jsonl")
    with judging_page(arena) as page:
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        page.click("#rater")
        page.keyboard.type("anna 2")  # a digit typed in the name is a letter, not a vote
        page.keyboard.press("Tab")  # the name is kept; the pair on screen is drawn for her
        assert page.text_content("#judged") == "0"
        page.keyboard.press("1")
        page.wait_for_function("document.getElementById('judged').textContent === '1'")
        page.reload()  # the browser remembers the name
        page.wait_for_function("document.getElementById('judged').textContent === '1'")
        assert page.input_value("#rater") == "anna 2"
        page.keyboard.press("2")
        page.wait_for_function("document.getElementById('judged').textContent === '2'")
        assert page.text_content("#yours") == " (2 by you)"  # hers, beside everyone's
    assert [(r["rater"], r["winner"]) for r in arena.records] == [
        ("anna 2", "left"),
        ("anna 2", "right"),
    ]


def test_an_empty_answer_is_said_to_be_empty_not_left_blank(tmp_path):
    files = answer_sets(tmp_path)
    files[1].write_text(json.dumps({"question": "What does tunelab do?", "answer": ""}) + "\n")
    arena = Arena(load_answers(files), tmp_path / "votes.jsonl")
    with judging_page(arena) as page:
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        said = {
            page.text_content(f"#{side}_answer"): page.evaluate(
                f"getComputedStyle(document.getElementById('{side}_answer'), '::before').content"
            )
            for side in ("left", "right")
        }
    assert said == {"good: What does tunelab do?": "none", "": '"(empty answer)"'}


def test_u_undoes_the_last_vote_and_s_skips_a_pair_without_a_vote(tmp_path):
    arena = Arena(load_answers(answer_sets(tmp_path)), tmp_path / "votes.jsonl")
    with judging_page(arena) as page:
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        page.keyboard.press("1")
        page.wait_for_function("document.getElementById('judged').textContent === '1'")
        page.keyboard.press("u")
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        assert "undone" in page.text_content("#status") and not arena.records
        question = page.text_content("#question")
        page.keyboard.press("s")
        page.wait_for_function(f"document.getElementById('question').textContent !== {question!r}")
        page.keyboard.press("2")
        page.wait_for_function("document.getElementById('judged').textContent === '1'")
    assert [r["winner"] for r in arena.records] == ["right"]


def test_u_pressed_again_undoes_the_vote_before(tmp_path):
    # The page kept its last vote's id alone: a second u did nothing.
    arena = Arena(load_answers(answer_sets(tmp_path)), tmp_path / "votes.jsonl")
    with judging_page(arena) as page:
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        for key, judged in (("1", "1"), ("2", "2"), ("u", "1"), ("u", "0")):
            page.keyboard.press(key)
            page.wait_for_function(f"document.getElementById('judged').textContent === '{judged}'")
        assert page.is_disabled("#undo")
    assert arena.records == []


def test_a_named_rater_still_undoes_their_votes_after_reloading_the_page(tmp_path):
    # The page kept the ids of its votes: a reload forgot them, and u did nothing.
    arena = Arena(load_answers(answer_sets(tmp_path)), tmp_path / "votes.jsonl")
    with judging_page(arena) as page:
        page.fill("#rater", "ana")
        page.locator("#rater").blur()  # the name is kept (the browser's storage)
        page.wait_for_function("document.getElementById('yours').textContent === ' (0 by you)'")
        for key, judged in (("1", "1"), ("2", "2")):
            page.keyboard.press(key)
            page.wait_for_function(f"document.getElementById('judged').textContent === '{judged}'")
        page.reload()
        page.wait_for_function("document.getElementById('yours').textContent === ' (2 by you)'")
        for judged in ("1", "0"):
            page.keyboard.press("u")
            page.wait_for_function(f"document.getElementById('judged').textContent === '{judged}'")
        assert page.is_disabled("#undo")
    assert arena.records == []


def test_a_private_link_judges_under_its_raters_name_and_a_page_without_one_says_why(tmp_path):
    votes_file = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(answer_sets(tmp_path)), votes_file)
    keys = rater_keys(votes_file, ["alice"], longest=100)  # tunelab rate --raters alice
    with judging_page(arena, keys=keys) as page:  # the bare address: no pair, and why
        page.wait_for_function("document.getElementById('status').textContent")
        assert "403" in page.text_content("#status") and "private link" in page.text_content(
            "#status"
        )
    with judging_page(arena, keys=keys, link=f"#key={next(iter(keys))}") as page:
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        assert page.input_value("#rater") == "alice" and page.is_disabled("#rater")
        page.keyboard.press("1")
        page.wait_for_function("document.getElementById('judged').textContent === '1'")
        assert page.text_content("#yours") == " (1 by you)"
        page.keyboard.press("u")  # her own vote, undone by her key
        page.wait_for_function("document.getElementById('judged').textContent === '0'")
        # She judges blind: no leaderboard link, and typed in, the page says whose it is.
        assert not page.is_visible("text=leaderboard")
        home = page.url.split("#")[0]
        page.goto(home + "leaderboard")
        assert "results link" in page.text_content("body")
        page.goto(home)  # back to '/', the link's key left behind: still hers
        page.wait_for_function("document.getElementById('rater').value === 'alice'")
    cast = json.loads(votes_file.read_text().splitlines()[0])
    assert cast["rater"] == "alice" and arena.records == []


def test_the_results_link_opens_the_leaderboard_in_a_browser(tmp_path):
    votes_file = tmp_path / "votes.jsonl"
    arena = Arena(load_answers(answer_sets(tmp_path)), votes_file)
    keys = rater_keys(votes_file, ["alice"], longest=100)
    link = "/leaderboard#key=r3sults"  # as tunelab rate --raters prints it for whoever started it
    with judging_page(arena, keys=keys, link=link, results_key="r3sults") as page:
        page.wait_for_selector("table")  # no vote yet: the models are named below it
        assert "alpha-secret-model" in page.text_content("body")


def test_the_page_judges_behind_a_proxy_that_serves_it_under_a_path(tmp_path):
    # `--public-url https://host/rate/`: the page asked '/api/next' of the proxy's root, and
    # its leaderboard link left the path too.
    from starlette.applications import Starlette
    from starlette.routing import Mount

    arena = Arena(load_answers(answer_sets(tmp_path)), tmp_path / "votes.jsonl")
    proxy = Starlette(routes=[Mount("/rate", app=create_app(arena))])  # strips /rate, as one does
    with running(proxy) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{url}/rate/")
            page.wait_for_function("document.getElementById('judged').textContent === '0'")
            page.keyboard.press("3")
            page.wait_for_function("document.getElementById('judged').textContent === '1'")
            page.click("text=leaderboard")
            page.wait_for_selector("h1:has-text('Leaderboard')")
            assert page.url == f"{url}/rate/leaderboard"
            page.click("text=Judge more")
            page.wait_for_function("document.getElementById('judged').textContent === '1'")
            assert page.url == f"{url}/rate/"
        finally:
            browser.close()
    assert [r["winner"] for r in arena.records] == ["tie"]
