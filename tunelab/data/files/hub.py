"""Training and test data from the Hugging Face hub: `data.path: hf://org/name[:config][@split]`
reads that dataset through `datasets.load_dataset` (which keeps its own cache, so a dataset read
once loads offline after), split `train` unless one is named."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from tunelab.errors import TunelabError

PREFIX = "hf://"
SPEC = re.compile(r"hf://(?P<repo>[^:@]+)(?::(?P<config>[^@]+))?(?:@(?P<split>.+))?")


def is_hub(path: object) -> bool:
    return str(path).startswith(PREFIX)


def meant_hub(path: Path) -> str:
    """ " (a hub dataset is named hf://org/name)" for a missing `org/name` whose org is no folder
    here: the name of a dataset on the Hugging Face hub, as its page shows it; else ""."""
    if len(path.parts) != 2 or path.suffix or path.is_absolute() or path.parent.exists():
        return ""
    return f" (a Hugging Face hub dataset is named {PREFIX}{path.as_posix()})"


def parse(spec: str) -> tuple[str, str | None, str]:
    """hf://org/name:config@split → (org/name, config, split); split defaults to train."""
    found = SPEC.fullmatch(spec)
    if not found or found["repo"].count("/") > 1:
        raise TunelabError(f"{spec}: a hub dataset is hf://org/name, hf://org/name:config@split")
    return found["repo"], found["config"], found["split"] or "train"


def hub_rows(spec: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rows of the dataset `spec` names, each with `spec[row]` as its source."""
    import datasets

    from tunelab.models.names import hub_unreachable

    repo, config, split = parse(spec)
    # Unreachable, the datasets client retried for ~25 s, printing each retry, before it failed
    # or read its cache: asked offline, it reads the cache at once, or fails at once.
    unreachable = hub_unreachable()
    try:
        with _offline() if unreachable else nullcontext():
            data = datasets.load_dataset(repo, config, split=split)
    except Exception as err:  # offline, no such dataset or split, no access: datasets' own words
        why = unreachable or f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        raise TunelabError(
            f"{spec}: cannot load it from the Hugging Face hub ({why}); offline, it loads only "
            "once datasets has it cached: copy it to a local file and point data.path there"
        ) from None
    for i, row in enumerate(data):
        yield f"{spec}[{i}]", row


@contextmanager
def _offline() -> Iterator[None]:
    """datasets and huggingface_hub in offline mode (HF_HUB_OFFLINE=1) while it lasts."""
    import datasets
    from huggingface_hub import constants

    was = constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = datasets.config.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE = was
