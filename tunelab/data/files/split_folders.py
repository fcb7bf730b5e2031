"""How a train/test split lies on disk: the folder `tunelab data split` writes (its train.jsonl,
test.jsonl and the split.json recording how its test rows were held out), and a saved DatasetDict's
own test split. Every stage that reads a split asks here, the split's writer too."""

from __future__ import annotations

import json
from pathlib import Path

from tunelab.errors import TunelabError, exists

# How `data split` held its test rows out, written beside them: `data check` and training read
# it where they are given the split's test file (`held_out_beside`).
SPLIT_RECORD = "split.json"
SPLIT_FILES = ("train.jsonl", "test.jsonl")  # the rows trained on and held out, beside it


def held_out_beside(test: str | Path | None) -> str | None:
    """How the split that wrote the test file `test` held its rows out (data.held_out:
    questions, rephrasings), as its SPLIT_RECORD beside them says; None where none does."""
    return _held_out_recorded(Path(test or "").parent / SPLIT_RECORD)


def asked_anew(test: str | Path | None, held_out: str) -> bool:
    """Whether the test rows at `test` ask trained facts anew by design: held out as
    rephrasings by the split that wrote them, else by `held_out` (data.held_out). A training
    row giving a test row's answer to its question reworded is then no leak to drop."""
    return (held_out_beside(test) or held_out) == "rephrasings"


def is_split_record(path: Path) -> bool:
    """Whether `path` is the SPLIT_RECORD `data split` wrote (not a data file of that name)."""
    return path.name == SPLIT_RECORD and _held_out_recorded(path) is not None


def _held_out_recorded(record_path: Path) -> str | None:
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no split wrote it, or the record is not one
        return None
    held = record.get("held_out") if isinstance(record, dict) else None
    return held if isinstance(held, str) else None


def split_folder(path: str | Path | None) -> bool:
    """Whether `path` is a train/test split's folder: train.jsonl and test.jsonl at its top, as
    `tunelab data split` writes them. It is read as a saved DatasetDict is: its train.jsonl the
    training rows, its test.jsonl the rows held out (`own_test_split`)."""
    # A path inside a folder this user may not enter is refused, naming it (`exists`).
    return (
        bool(path) and exists(path) and all((Path(path) / name).is_file() for name in SPLIT_FILES)
    )


def own_test_split(path: str | Path | None) -> str | None:
    """The test split (else validation) of a saved DatasetDict at `path` beside its train
    split, or the test.jsonl of a split's folder (`split_folder`): the rows its makers held
    out, which training and `data split` hold out where data.test_path is unset. A run trained
    on the train split with a tenth of it held out again, its makers' test split unused."""
    if split_folder(path):  # `tunelab data split`'s folder: its test.jsonl
        return str(Path(path) / SPLIT_FILES[1])
    splits = saved_splits(path)
    own = next((s for s in ("test", "validation") if s in splits), None)
    if "train" not in splits or own is None or not (Path(path) / own).is_dir():
        return None
    return str(Path(path) / own)


def saved_splits(path: str | Path | None) -> list[str]:
    """The splits a saved DatasetDict at `path` lists (its dataset_dict.json); none for anything
    else."""
    listing = Path(path or "") / "dataset_dict.json"
    try:
        splits = json.loads(listing.read_text(encoding="utf-8")).get("splits") or []
    except (OSError, ValueError, AttributeError):  # no listing, or not the one datasets writes
        return []
    return [str(s) for s in splits] if isinstance(splits, list) else []


def read_split(path: Path, splits: list[str]) -> tuple[str, list[str]]:
    """The split of `splits` a saved DatasetDict at `path` is read as (train, else its only
    one), and the others, the one a run holds out (test, else validation) first."""
    # Each split is a folder of its own: a set without "train" names them rather than train
    # on whichever came first (its validation split, without a word).
    if "train" not in splits and len(splits) > 1:
        raise TunelabError(
            f"{path} holds the splits {', '.join(splits)} and no 'train': name the one to "
            f"read, as {path / splits[0]}"
        )
    split = "train" if "train" in splits else splits[0]
    others = [s for s in ("test", "validation") if s in splits and s != split]
    others += [s for s in splits if s not in others and s != split]
    return split, others
