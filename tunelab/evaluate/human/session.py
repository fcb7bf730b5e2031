"""A `tunelab rate` session (tunelab.rate): the answer sets read, the judging page served until
Ctrl-C with each vote kept as cast, and what the judge leaving is told; or, with results, the
ratings of the votes so far."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from tunelab.errors import TunelabError
from tunelab.evaluate.human import DEFAULT_PORT
from tunelab.evaluate.human.arena import Arena
from tunelab.evaluate.human.pairing import RateConfig
from tunelab.meant import meant_file
from tunelab.terminal import n_things, say_wrapped
from tunelab.web import LOCALHOST, elsewhere, reached_at

RATERS = "--raters alice,bob"  # what guards a judging page open beyond this machine


def rate(
    answers: Sequence[str | Path],
    votes: str | Path,
    host: str,
    port: int,
    allow_host: Sequence[str],
    results: bool,
    config: RateConfig,
    console: Console | None,
    raters: Sequence[str] | None = None,
    insecure: bool = False,
) -> list[dict]:
    """tunelab.rate's session, its answers listed and its settings read: see there."""
    from tunelab.data.files.write_files import check_writable
    from tunelab.evaluate.human.answers import load_answers, unshared
    from tunelab.evaluate.human.app import MAX_RATER, leaderboard_table
    from tunelab.evaluate.human.app import rate as judge_in_browser
    from tunelab.evaluate.human.keys import links, new_key, rater_keys
    from tunelab.web import check_guarded, check_port_free

    # Before anything is read: a mistake in how to listen is said first, as `serve` says it.
    exposes = "judge and read the results"
    warning = (
        None if results else check_guarded(host, raters is not None, insecure, RATERS, exposes)
    )
    if results:
        _check_votes_file(Path(votes))
    answer_sets = load_answers([Path(a) for a in answers])
    arena = Arena(answer_sets, Path(votes), config=config)
    console = console or Console(quiet=True)  # Python callers are told nothing unless they ask
    if note := unshared(answer_sets):
        console.print(f"[yellow]{escape(note)}[/]")
    if arena.other_votes:
        console.print(
            f"[yellow]{arena.other_votes} vote(s) in {escape(str(votes))} judged other answers (other "
            "questions or models, or answers made again since): not counted here[/]"
        )
    if results:
        console.print(leaderboard_table(arena.ratings(), len(arena.records), votes))
        for note in arena.notes():
            say_wrapped(console, note)
        return arena.ratings()
    check_writable(arena.votes_path)  # before judges are sent to the page
    check_port_free(host, port)  # uvicorn said so below the line sending them there
    keys = rater_keys(arena.votes_path, list(raters), MAX_RATER) if raters is not None else None
    # With raters, the results only through a link of their own: raters judge blind.
    results_key = new_key() if keys else None
    if warning:  # --insecure got it past check_guarded
        console.print(f"[bold yellow]warning:[/] {escape(warning)}")
    public = config.public_url
    base, allowed = reached_at(host, port, public, allow_host)
    try:
        console.print(
            f"{len(arena.pairs)} answer pairs, {len(arena.records)} judged so far. Open "
            f"[bold]{base}[/] (keys 1-4; s skips, u undoes your last vote); ratings at "
            f"{'the results link below' if keys else '/leaderboard'}; Ctrl-C to stop."
            f"{'' if public else elsewhere(host)}"
        )
        console.print(links(keys or {}, base, results_key), markup=False, soft_wrap=True, end="")
        judge_in_browser(arena, host, port, allowed, keys, results_key)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM, raised again once uvicorn has stopped serving (or before it took
        # them over). Each vote was written as it was cast; the judge leaving wants to know
        # they all were, and a shell sees 130 or 143.
        said = _votes_kept(arena, answers, votes, host, port, raters, insecure, public)
        console.print(said, markup=False, soft_wrap=True)
        raise KeyboardInterrupt(said) from None  # said: `tunelab` adds no line of its own
    said = _votes_kept(arena, answers, votes, host, port, raters, insecure, public)
    console.print(said, markup=False, soft_wrap=True)
    return arena.ratings()


def _check_votes_file(votes: Path) -> None:
    """Fail on `--results` of a votes file that is not there where one of a name close to it is:
    `--votes ratings/vote.jsonl` printed an empty table, "No votes yet", over the votes cast."""
    from tunelab.evaluate.human.keys import keys_path

    # Its raters' keys beside it: a session judged there and saw no vote, not a name mistyped
    # (ratings.jsonl's keys file, ratings.keys.json, was offered as the name meant).
    if not votes.exists() and not keys_path(votes).exists() and (meant := meant_file(votes)):
        raise TunelabError(f"no votes file {votes}{meant}: --results reads the file votes went to")


def _votes_kept(
    arena, answers, votes, host: str, port: int, raters=None, insecure=False, public_url=None
) -> str:
    """`rate`'s last line: the votes kept, the command printing their ratings, the one going on."""
    kept = ["tunelab", "rate", *map(str, answers), "--votes", str(votes)]
    # The results read the votes file alone: where it listened and who rated are no part of them.
    given = kept + (["--host", host] if host != LOCALHOST else [])
    given += ["--port", str(port)] if port != DEFAULT_PORT else []
    given += ["--raters", ",".join(raters)] if raters else []
    given += ["--insecure"] if insecure else []
    given += ["--public-url", public_url] if public_url else []
    return (
        f"{n_things(len(arena.records), 'vote')} in {arena.votes_path}; ratings: "
        f"{shlex.join([*kept, '--results'])}; to judge more: {shlex.join(given)}"
    )
