"""What a mistyped name likely meant: the one rule of closeness behind every "did you mean" that
names a file, folder, run or model, and the file beside a path that is not there."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from tunelab.errors import TunelabError
from tunelab.terminal import listed

# The shortest name a changed letter is said a slip of: "v3" is not v1 mistyped, nor "abd" abc.
# A shorter name is meant by a letter added or left out, or two swapped ("xx" for x, "ba" for ab).
SLIP_LENGTH = 4


def closest_name(name: str, names: Iterable[str], cutoff: float) -> str | None:
    """The one of `names` nearest `name`, case aside ("Train" for train), where difflib's ratio of
    the two is at least `cutoff`, or else one letter off it (`one_slip`); else None. Of names
    alike but for case, the last given."""
    folded = {known.lower(): known for known in names}
    typed = name.lower()
    close = difflib.get_close_matches(typed, list(folded), n=1, cutoff=cutoff)
    if not close:
        # difflib's ratio of a short name with a letter changed falls under any cutoff that
        # keeps far-off names out ("mime" for mine: 0.75; "xx" for x: 0.67), so the slip is
        # asked for as such.
        slips = [known for known in folded if short_slip(typed, known)]
        close = difflib.get_close_matches(typed, slips, n=1, cutoff=0)
    return folded[close[0]] if close else None


def check_choice(option: str, typed: str, choices: tuple[str, ...]) -> None:
    """Refuse a value `option` does not take, naming the one meant (bf16: bfloat16; Q8_0, as
    llama.cpp's quantize names it: q8_0)."""
    if typed not in choices:
        raise TunelabError(not_a_choice(option, typed, choices))


def not_a_choice(option: str, typed: object, choices: tuple[str, ...], besides: str = "") -> str:
    """ "--dtype 'bf16' is not one of float32, float16 or bfloat16: did you mean bfloat16?", every
    choice's refusal in one form; `besides`, what else `option` takes ("a Jinja string"). A tuple
    was printed as Python writes it, "('nf4', 'int8')". A value that is no text (a data file's
    ["user"]) is named too, and is close to none."""
    meant = closest_name(typed, choices, cutoff=0.6) if isinstance(typed, str) else None
    known = listed(choices, "or")
    nor = f", nor {besides}" if besides else ""
    hint = f": did you mean {meant}?" if meant else ""
    return f"{option} {typed!r} is not one of {known}{nor}{hint}"


def short_slip(typed: str, known: str) -> bool:
    """`one_slip`, but of names under `SLIP_LENGTH` letters, a letter changed is not one: it
    is too much of the name ("v3" for v1). A name of one letter is a slip of none."""
    if min(len(typed), len(known)) < SLIP_LENGTH and len(typed) == len(known):
        swapped = sorted(typed) == sorted(known)
        return swapped and one_slip(typed, known)
    return len(typed) > 1 and one_slip(typed, known)


def one_slip(typed: str, known: str) -> bool:
    """Whether `typed` is `known` with one slip of a finger: a letter changed, added or left out,
    or two side by side swapped ("mime", "mines", "mie", "mien" for mine)."""
    if len(typed) < len(known):
        typed, known = known, typed
    if len(typed) - len(known) == 1:  # a letter added (or, swapped round, left out)
        return any(typed[:i] + typed[i + 1 :] == known for i in range(len(typed)))
    if len(typed) != len(known) or typed == known:
        return False
    differ = [i for i, (a, b) in enumerate(zip(typed, known)) if a != b]
    if len(differ) == 1:
        return True
    first, *rest = differ
    return (
        rest == [first + 1]
        and typed[first] == known[first + 1]
        and typed[first + 1] == known[first]
    )


def meant_file(path: Path, folders: bool = False) -> str:
    """ " (did you mean test.jsonl?)" for a mistyped name of a file beside it (or a folder, where
    a folder is taken too: documents), else "". Names are compared without their suffix
    (".jsonl" alike would make any two names look close) and case aside, as a run's or a model's
    are: TRAIN.jsonl typed meant train.jsonl, which was not said."""
    try:  # a folder this user may not list has no names to offer, and no traceback
        files = sorted(
            p.name for p in path.parent.iterdir() if p.is_file() or folders and p.is_dir()
        )
    except OSError:
        return ""
    stem = closest_name(path.stem, {Path(f).stem for f in files}, cutoff=0.7)
    if stem is None:
        return ""
    # Of the files of that name (data.jsonl, data.csv), the one whose suffix is nearest the one
    # typed: "data.josnl" meant data.jsonl, not whichever the folder listed last.
    same = [f for f in files if Path(f).stem.lower() == stem.lower()]
    nearest = max(
        same, key=lambda f: difflib.SequenceMatcher(None, Path(f).suffix, path.suffix).ratio()
    )
    return f" (did you mean {path.with_name(nearest)}?)"
