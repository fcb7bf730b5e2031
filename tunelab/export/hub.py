"""`tunelab export --push org/name`: what the export wrote (the merged folder, the GGUF and its
Modelfile) uploaded to a Hugging Face hub repo in one commit, through huggingface_hub's own calls;
the repo is created private when it does not exist yet."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tunelab.errors import TunelabError, error_chain
from tunelab.run import Run


def open_repo(repo_id: str) -> str:
    """`repo_id` created private when new, before any export is written: a hub out of reach, a
    missing token or no right to the repo is said in seconds, not after the merge and the GGUF.
    Returns the repo's URL."""
    from huggingface_hub import HfApi

    try:
        return str(HfApi().create_repo(repo_id, private=True, exist_ok=True))
    except Exception as err:  # the hub's errors: offline, no token, no right to the repo...
        raise _failed(repo_id, err, "nothing was written: the hub is asked first") from None


def push_to_hub(model: str | Run, repo_id: str, written: dict[str, Path], dtype: str) -> None:
    """Upload `written` to `repo_id` (`open_repo` made it) in one commit; without a merged
    folder among it, `model` is merged into a temporary one first, so the repo always holds
    weights transformers loads."""
    from huggingface_hub import CommitOperationAdd, HfApi

    from tunelab.export.merged import export_merged

    with tempfile.TemporaryDirectory() as scratch:
        merged = written.get("merged") or export_merged(model, Path(scratch) / "merged", dtype)
        files = [(str(p.relative_to(merged)), p) for p in sorted(merged.rglob("*")) if p.is_file()]
        files += [
            (written[kind].name, written[kind]) for kind in ("gguf", "modelfile") if kind in written
        ]
        operations = [CommitOperationAdd(name, str(path)) for name, path in files]
        api = HfApi()
        try:
            api.create_commit(repo_id, operations, commit_message=f"tunelab export of {model}")
        except Exception as err:  # the hub's errors: offline, no token, no right to the repo...
            # A push alone merged into a scratch folder, gone with it: nothing is left to keep.
            kept = (
                "the export itself is written"
                if written
                else "nothing was kept here: add --merged DIR to keep the export"
            )
            raise _failed(repo_id, err, kept) from None


def _failed(repo_id: str, err: Exception, kept: str) -> TunelabError:
    """A failed push in one line: the hub's error, what to do for it, and what is kept."""
    return TunelabError(
        f"--push {repo_id}: {type(err).__name__}: {str(err).splitlines()[0]} "
        f"({_what_to_do(err)}; {kept})"
    )


def _what_to_do(err: Exception) -> str:
    """What to try for a failed push: a machine that cannot reach the hub needs no login (a DNS
    failure was answered "log in with `hf auth login`"). huggingface_hub raises its own copy of
    httpx's errors (httpx2's), so the socket's error beneath them tells too."""
    import socket

    import httpx
    from huggingface_hub.errors import OfflineModeIsEnabled

    unreachable = (
        httpx.ConnectError, httpx.TimeoutException, ConnectionError, TimeoutError, socket.gaierror
    )  # fmt: skip
    for cause in error_chain(err):
        if isinstance(cause, OfflineModeIsEnabled):
            return "HF_HUB_OFFLINE is set: unset it to push"
        if isinstance(cause, unreachable):
            return "the hub cannot be reached from this machine: push from one that can reach it"
    return "log in with `hf auth login` or set HF_TOKEN"
