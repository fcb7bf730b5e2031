"""The rating app: the judging page, its JSON API (the next pair as an opaque one-time token, a
vote on it) and the leaderboard page, over an `Arena`. With raters' keys, the results answer
only the results' key: raters judge blind."""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from tunelab.data.files.write_files import cannot_write
from tunelab.errors import TunelabError
from tunelab.evaluate.human import DEFAULT_PORT
from tunelab.evaluate.human.arena import Arena, NotYourVote
from tunelab.evaluate.human.keys import KEY_HEADER, rater_of
from tunelab.evaluate.paired import MIN_QUESTIONS, over_facts
from tunelab.terminal import n_things
from tunelab.web import (
    LOCALHOST,
    SEND_JSON,
    LocalHostsOnly,
    SmallBodies,
    sent_as_json,
    uvicorn_config,
)

if TYPE_CHECKING:
    from rich.table import Table


# The longest rater name the page takes (it is kept with every vote).
MAX_RATER = 100
NO_KEY = (
    "this server takes judgements only through a rater's private link (tunelab rate --raters "
    "prints one per rater): open the link you were given, or ask for one"
)
NOT_YOURS = "that vote is another rater's: a rater undoes only their own votes"
RESULTS_ONLY = (
    "the results are shown only through the results link tunelab rate printed at start, "
    "not to raters, who judge blind; or run tunelab rate with --results"
)
# The longest request body read: a vote, skip or undo is a token, a winner and a name.
MAX_BODY = 64 * 1024


class VoteIn(BaseModel):
    """A judgement as the page posts it (module level: FastAPI resolves annotations by name)."""

    token: str
    winner: str
    rater: str = Field("", max_length=MAX_RATER)


class SkipIn(BaseModel):
    token: str
    rater: str = Field("", max_length=MAX_RATER)


class UndoIn(BaseModel):
    # The id /api/vote answered with (a vote cast with a name, only by that `rater`); none: the
    # latest standing vote of `rater`, kept by the server, so a reloaded page still undoes it.
    vote: str = ""
    rater: str = Field("", max_length=MAX_RATER)


def create_app(
    arena: Arena,
    allowed_hosts: Collection[str] = (),
    keys: dict[str, str] | None = None,
    results_key: str | None = None,
):
    """The FastAPI app: the judging page, its JSON API, and the leaderboard. It answers only
    requests naming this server or localhost in `Host` (or one of `allowed_hosts`), and reads no
    body over MAX_BODY. With `keys` ({key: rater}, `--raters`), a pair is shown, voted on,
    skipped or undone only with a rater's key (header X-Rater-Key; 403 without), under that
    rater's name whatever name is typed, and the leaderboard and /api/ratings answer only
    `results_key` (none: nobody; `--results` still reads the votes)."""
    from fastapi import Depends, FastAPI, Header, HTTPException, Query
    from fastapi.responses import HTMLResponse

    # No /openapi.json, /docs or /redoc: nothing reads them, and they showed anyone the routes.
    app = FastAPI(title="tunelab human evaluation", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SmallBodies, limit=MAX_BODY)
    app.add_middleware(LocalHostsOnly, allowed_hosts=allowed_hosts)  # outermost: checked first
    key_header = Header(None, alias=KEY_HEADER)  # a default, not Annotated: FastAPI reads names

    def as_json(content_type: str | None = Header(None)) -> None:
        # A page on another site posts text/plain unasked: an undo by a rater's name, say.
        if not sent_as_json(content_type):
            raise HTTPException(415, SEND_JSON)

    def rater(typed: str, key: str | None) -> str:
        if not keys:
            return typed.strip()
        if (name := rater_of(keys, key)) is None:
            raise HTTPException(403, NO_KEY)
        return name

    def results_shown(key: str | None) -> bool:
        return not keys or (
            results_key is not None and rater_of({results_key: "results"}, key) is not None
        )

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return JUDGE_PAGE

    @app.get("/api/next")
    def next_pair(
        key: str | None = key_header,
        rater_name: str = Query("", alias="rater", max_length=MAX_RATER),
    ) -> dict:
        name = rater(rater_name, key)
        return arena.next(name) | ({"rater": name} if keys else {})

    @app.post("/api/vote", dependencies=[Depends(as_json)])
    def vote(body: VoteIn, key: str | None = key_header) -> dict:
        name = rater(body.rater, key)
        try:
            vote_id = arena.vote(body.token, body.winner, name)
        except TunelabError as err:
            raise HTTPException(400, str(err)) from None
        except OSError as err:  # a full disk: the page says why, and the pair can be voted again
            message = f"vote not saved: {cannot_write(arena.votes_path, err)}"
            raise HTTPException(500, message) from None
        return {"judged": len(arena.records), "vote": vote_id}

    @app.post("/api/skip", dependencies=[Depends(as_json)])
    def skip(body: SkipIn, key: str | None = key_header) -> dict:
        return arena.skip(body.token, rater(body.rater, key))

    @app.post("/api/undo", dependencies=[Depends(as_json)])
    def undo(body: UndoIn, key: str | None = key_header) -> dict:
        name = rater(body.rater, key)
        try:
            return arena.undo(body.vote, name)
        except NotYourVote as err:  # another rater's: forbidden, not malformed
            # With keys a name cannot be typed: "type the name it was cast under" misled.
            raise HTTPException(403, NOT_YOURS if keys else str(err)) from None
        except TunelabError as err:
            raise HTTPException(400, str(err)) from None
        except OSError as err:
            raise HTTPException(500, f"not undone: {cannot_write(arena.votes_path, err)}") from None

    @app.get("/api/ratings")
    def ratings(key: str | None = key_header) -> dict:
        if not results_shown(key):
            raise HTTPException(403, RESULTS_ONLY)
        # The notes too: a script reading the rows alone missed a side raters favour, the models
        # without a vote and the pairs left out, which the page and `--results` say.
        return {"ratings": arena.ratings(), "notes": arena.notes()}

    @app.get("/leaderboard", response_class=HTMLResponse)
    def board(key: str | None = key_header):
        if not results_shown(key):  # the page asks again with its link's key, if it has one
            return HTMLResponse(RESULTS_GATE, status_code=403)
        return leaderboard_page(arena.ratings(), len(arena.records), arena.notes())

    return app


def rate(
    arena: Arena,
    host: str = LOCALHOST,
    port: int = DEFAULT_PORT,
    allowed_hosts: Collection[str] = (),
    keys: dict[str, str] | None = None,
    results_key: str | None = None,
) -> None:
    """Serve the judging page for `arena` until Ctrl-C or SIGTERM, then raise it again, as
    `tunelab serve` does (same as `tunelab rate`): uvicorn.run swallowed it, and rate exited 0."""
    from tunelab.serve.launch import engine_server

    app = create_app(arena, allowed_hosts, keys, results_key)
    engine_server(uvicorn_config(app, host=host, port=port, log_level="warning"), {}).run()


def leaderboard_table(rows: list[dict], judged: int, votes: str | Path) -> Table:
    """The leaderboard as `tunelab rate --results` prints it: the page's columns, in a terminal."""
    from rich.markup import escape
    from rich.table import Table

    # Escaped: a model's name or the votes file, said as given ("runs/exp[v2]", not "runs/exp").
    table = Table(title=f"{n_things(judged, 'judgement')} ({escape(str(votes))})")
    columns = "model", "rating", "95% interval", "Elo", "win rate", "votes", "questions", "vs next"
    for column in columns:
        table.add_column(column, justify="left" if column in ("model", "vs next") else "right")
    for r in rows:
        table.add_row(
            escape(r["model"]), f"{r['bt']:.0f}", f"{r['low']:.0f}–{r['high']:.0f}{over_facts(r['facts'])}",
            f"{r['elo']:.0f}", f"{100 * r['win_rate']:.0f}%", str(r["votes"]), str(r["questions"]),
            escape(r["vs_next"]),
        )  # fmt: skip
    return table


def leaderboard_page(rows: list[dict], judged: int, notes: Sequence[str] = ()) -> str:
    cells = "".join(
        f"<tr><td>{i}</td><td>{html.escape(r['model'])}</td><td>{r['bt']:.0f}</td>"
        f"<td>{r['low']:.0f} – {r['high']:.0f}{over_facts(r['facts'])}</td><td>{r['elo']:.0f}</td>"
        f"<td>{100 * r['win_rate']:.0f}%</td><td>{r['votes']}</td><td>{r['questions']}</td>"
        f"<td>{html.escape(r['vs_next'])}</td></tr>"
        for i, r in enumerate(rows, start=1)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>tunelab leaderboard</title>"
        f"<style>{STYLE}</style></head><body><h1>Leaderboard</h1>"
        f"<p>{n_things(judged, 'judgement')}. Bradley–Terry rating with its 95% bootstrap "
        "interval over the questions (over the facts they ask, where rephrasings ask one "
        "together); Elo in vote "
        "order; 'no clear winner' where the interval of two neighbours' gap reaches zero, a "
        "sign-flip test over the questions does not agree, or either model was judged on "
        f"fewer than {MIN_QUESTIONS} questions (said in brackets). "
        "<a href='./'>Judge more</a></p><table><tr><th>#</th><th>model</th><th>rating</th>"
        "<th>95% interval</th><th>Elo</th><th>win rate</th><th>votes</th><th>questions</th>"
        "<th>vs next</th></tr>"
        f"{cells}</table>"
        + "".join(f"<p>{html.escape(note)}</p>" for note in notes)
        + "</body></html>"
    )


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
    ".answers{display:flex;gap:1em}.answer{flex:1;border:1px solid #ccc;border-radius:6px;"
    "padding:1em;white-space:pre-wrap;min-height:6em}button{font-size:1em;margin:.5em .3em;"
    "padding:.5em 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .8em}"
    ".ref{color:#555}"
    # A model that said nothing: a blank box read as a page still loading.
    '.answer:empty::before{content:"(empty answer)";color:#888;font-style:italic}'
)

JUDGE_PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><title>tunelab: which answer is better?</title>
<style>{STYLE}</style></head><body>
<h1>Which answer is better?</h1>
<p><label>Your name <input id="rater" size="14" maxlength="{MAX_RATER}" placeholder="optional"
 onchange="localStorage.setItem('rater', this.value); load()"></label>
 (kept with your votes; you are shown pairs you have not judged first)</p>
<p id="question" style="font-size:1.2em"></p>
<details><summary>reference answer</summary><p id="reference" class="ref"></p></details>
<div class="answers"><div class="answer" id="left_answer"></div><div class="answer" id="right_answer"></div></div>
<p><button onclick="vote('left')">1 · left is better</button><button onclick="vote('right')">2 · right is better</button>
<button onclick="vote('tie')">3 · tie</button><button onclick="vote('both_bad')">4 · both bad</button>
<button onclick="skip()">s · skip</button><button id="undo" onclick="undo()" disabled>u · undo my last vote</button></p>
<p><span id="judged"></span> judged<span id="yours"></span><span id="board"> · <a href="leaderboard">leaderboard</a></span></p>
<p id="repeat"></p>
<p id="status" style="color:#b00"></p>
<script>
let current = null;
const rater = document.getElementById('rater');
rater.value = localStorage.getItem('rater') || '';
// A named rater's votes are undone by name, the latest still standing each time: the server
// keeps them, so a reload forgets none. The ids of this page's votes cast without a name,
// latest last, are all it has of those (one id alone undid the last vote, not the one before).
const unnamed = [];
let yours = 0;  // the named rater's votes still standing, as the server counted them
// A private link (`tunelab rate --raters`) holds its rater's key after '#', which no request
// line carries: the page sends it with each request, and the server names the rater by it.
// The tab keeps it, so the leaderboard's "Judge more" (to './', without it) still judges as them.
// Every address is relative to the page's own: behind a proxy at https://host/rate/ (--public-url),
// '/api/next' asked the proxy's root.
const key = new URLSearchParams(location.hash.slice(1)).get('key') || sessionStorage.getItem('key');
if (key) sessionStorage.setItem('key', key);
const keyed = key ? {{'{KEY_HEADER}': key}} : {{}};
const post = (url, body) => fetch(url, {{method: 'POST', headers: {{'Content-Type': 'application/json', ...keyed}},
  body: JSON.stringify({{...body, rater: rater.value.trim()}})}});
async function load() {{
  const response = await fetch('api/next?rater=' + encodeURIComponent(rater.value.trim()), {{headers: keyed}});
  if (!response.ok) {{ say(`no pair (${{response.status}}: ${{await response.text()}})`); return; }}
  show(await response.json());
}}
function show(pair) {{
  current = pair;
  // The key's name, not typed; and no leaderboard link: a rater's link does not open it.
  if (pair.rater) {{ rater.value = pair.rater; rater.disabled = true; document.getElementById('board').hidden = true; }}
  yours = pair.yours;
  undoable();
  for (const k of ['question', 'reference', 'left_answer', 'right_answer']) document.getElementById(k).textContent = current[k];
  document.getElementById('judged').textContent = current.judged;  // everyone's
  document.getElementById('yours').textContent = rater.value.trim() ? ` (${{current.yours}} by you)` : '';
  document.getElementById('repeat').textContent = current.repeat ?
    'You have judged every pair on offer: this one you judged before, and a vote on it counts again.' : '';
}}
function say(text) {{ document.getElementById('status').textContent = text; }}
function undoable() {{
  document.getElementById('undo').disabled = rater.value.trim() ? !yours : !unnamed.length;
}}
async function skip() {{
  if (!current) return;
  const shown = current;
  current = null;
  show(await (await post('api/skip', {{token: shown.token}})).json());
  say('');
}}
async function undo() {{
  const named = rater.value.trim();
  if (named ? !yours : !unnamed.length) return;
  const response = await post('api/undo', named ? {{}} : {{vote: unnamed.pop()}});
  if (!response.ok) {{ undoable(); say(`not undone (${{response.status}}: ${{await response.text()}})`); return; }}
  show(await response.json());
  say('your last vote is undone: judge this pair again');
}}
async function vote(winner) {{
  if (!current) return;  // a key pressed twice before the next pair came: one vote
  const named = rater.value.trim();  // as the vote is posted
  const shown = current;
  current = null;
  let response;
  try {{
    response = await post('api/vote', {{token: shown.token, winner}});
  }} catch (error) {{  // the server is gone: this pair stays, and the same key votes again
    current = shown;
    say('vote not saved: the server does not answer; press the key again once it runs');
    return;
  }}
  // Refused (a server restarted since this pair was shown): said, never passed over in silence.
  const refused = response.ok ? '' : `vote not saved (${{response.status}}: ${{await response.text()}}); judge this pair`;
  const cast = response.ok ? (await response.json()).vote : null;
  if (cast && !named) unnamed.push(cast);  // a named rater's is undone by name
  await load();
  say(refused);  // once the pair it names is on screen
}}
// A held key repeats (it would vote on pairs nobody read), Ctrl/Alt/Cmd+digit switch tabs, and
// a digit in a name is part of the name.
document.addEventListener('keydown', e => {{
  if (e.repeat || e.ctrlKey || e.altKey || e.metaKey || e.target === rater) return;
  const w = {{'1': 'left', '2': 'right', '3': 'tie', '4': 'both_bad'}}[e.key]; if (w) vote(w);
  if (e.key === 's') skip();
  if (e.key === 'u') undo();
}});
load();
</script></body></html>"""

# What /leaderboard answers without the results' key: opened from the results link, the page asks
# again sending the key after '#' (never in a request line, log or Referer) and shows the answer.
RESULTS_GATE = f"""<!doctype html><html><head><meta charset="utf-8"><title>tunelab leaderboard</title>
<style>{STYLE}</style></head><body><h1>Leaderboard</h1><p id="said">{html.escape(RESULTS_ONLY)}.</p>
<script>
const key = new URLSearchParams(location.hash.slice(1)).get('key');
if (key) fetch(location.pathname, {{headers: {{'{KEY_HEADER}': key}}}}).then(async response => {{
  if (!response.ok) {{ document.getElementById('said').textContent = 'this link is not the results link of this server'; return; }}
  document.open(); document.write(await response.text()); document.close();
}});
</script></body></html>"""
