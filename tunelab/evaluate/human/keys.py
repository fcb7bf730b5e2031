"""Private links for `tunelab rate --raters alice,bob`: each named rater gets a random key, sent
in the link's fragment (`/#key=...`, which a browser never sends in a request line, a log or a
Referer), and the server takes a judgement only with a key it issued, under that key's name. A
typed name was whatever anyone typed: one colleague could vote, or undo votes, as another.
The results (leaderboard, /api/ratings) then take a key of their own, printed once at start for
whoever started the server: a rater who read them between votes could tell the sides apart."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Sequence
from pathlib import Path

from tunelab.errors import TunelabError

KEY_HEADER = "X-Rater-Key"  # how the page sends its key with each request


def keys_path(votes_path: Path) -> Path:
    """Where the keys of a votes file are kept, beside it: a restart gives the same links."""
    return votes_path.with_name(votes_path.stem + ".keys.json")


def rater_keys(votes_path: Path, names: Sequence[str], longest: int) -> dict[str, str]:
    """{key: rater} for `names`: the keys kept beside `votes_path` for the names it knows, a new
    random one for each other name, all written back readable by you alone (0600)."""
    names = [name.strip() for name in names]
    if not names or "" in names or len(set(names)) < len(names):
        raise TunelabError(
            f"--raters takes distinct names, comma-separated (--raters alice,bob), not {names!r}"
        )
    if too_long := [name for name in names if len(name) > longest]:
        raise TunelabError(f"--raters: {too_long[0]!r} is over {longest} characters; shorten it")
    path = keys_path(votes_path)
    kept = _read(path)
    by_name = {name: key for key, name in kept.items()}
    keys = {by_name.get(name) or new_key(): name for name in names}
    if keys != kept:
        _write_private(path, {**kept, **keys})
    elif path.stat().st_mode & 0o077:  # read by a restart as it was left: narrowed all the same
        path.chmod(0o600)
    return keys


def new_key() -> str:
    """A random key, as a link carries it (128 bits: no guessing it over HTTP)."""
    return secrets.token_urlsafe(16)


def rater_of(keys: dict[str, str], given: str | None) -> str | None:
    """The rater whose key `given` is, or None; every key is compared in constant time, so the
    time taken says nothing of how much of a key a guess got right."""
    found = None
    for key, name in keys.items():
        if hmac.compare_digest(key.encode(), (given or "").encode()):
            found = name
    return found


def links(keys: dict[str, str], base_url: str, results_key: str | None = None) -> str:
    """What `tunelab rate --raters` prints: a line per rater, their name and private link, and
    the results' link, for the one who started the server."""
    if not keys:
        return ""
    lines = [f"{name}: {base_url}#key={key}" for key, name in keys.items()]
    said = "Only these raters judge, each through their own link (send it to them alone):"
    results = [
        f"Results, for you alone (raters judge blind; a new link each start): "
        f"{base_url}leaderboard#key={results_key}"
    ]
    return "\n".join([said, *lines, *(results if results_key else []), ""])


def _read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TunelabError(
            f"{path}: cannot read the raters' keys ({err}); delete it to issue new links"
        ) from None
    if not isinstance(kept, dict) or not all(isinstance(v, str) for v in kept.values()):
        raise TunelabError(f"{path}: not a {{key: rater}} object; delete it to issue new links")
    return kept


def _write_private(path: Path, keys: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)  # made private before a key is written in it
    path.chmod(0o600)  # one made before with wider permissions is narrowed too
    path.write_text(json.dumps(keys, indent=1), encoding="utf-8")
