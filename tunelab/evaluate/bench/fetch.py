"""Where `tunelab bench` reads a task's data: the local copies (--data-dir) when they hold it,
else the cache, where the task's hub dataset (allenai/ai2_arc, Rowan/hellaswag, cais/mmlu,
truthfulqa/truthful_qa) is saved the first time it is needed, in the layout the task reads. Offline,
the error says where it looked and that the hub could not be reached."""

from __future__ import annotations

import shutil
from pathlib import Path

from tunelab.errors import TunelabError
from tunelab.evaluate.bench.tasks import get_task
from tunelab.evaluate.bench.tasks.base import DataNotFound, Task


def data_for(name: str, data_dir: Path | None, cache: Path, fetch: bool = True) -> Path:
    """The folder to read task `name` from: `data_dir`, else `cache`, fetching the task's hub
    dataset into `cache` first when neither holds it (and `fetch`)."""
    task = get_task(name)  # an unknown name raises here
    missing = None
    for folder in (data_dir, cache):
        try:
            if folder is not None:
                # A broken file raises on: never fetched over; nor is an empty one, which
                # scored 0.00 on 0 questions into the leaderboard and its average.
                if not task.load(folder, limit=1):
                    raise TunelabError(
                        f"{name}: its data in {folder} holds no questions (an empty file or "
                        "folder): fix or remove it, or point --data-dir elsewhere"
                    )
                return folder
        except DataNotFound as err:
            missing = missing or err
    if not fetch or task.hub is None:
        raise missing or DataNotFound(f"{name}: no --data-dir, and fetching is off")
    where = f"not in {data_dir}" if data_dir else "no --data-dir"
    if data_dir and missing and missing.path and missing.path.is_relative_to(data_dir):
        # The file it looked for: "hellaswag: not in DIR" left one to guess what to put there.
        where += f" (no {missing.path.relative_to(data_dir)} there)"
    download(task, cache, f"{name}: {where} nor in the cache {cache}")
    return cache


def download(task: Task, cache: Path, why: str) -> Path:
    """The task's splits from the hub, saved under `cache` as the task's hub folder."""
    import datasets

    from tunelab.models.names import hub_unreachable

    source = task.hub
    if unreachable := hub_unreachable():  # the datasets client retried for ~24 s before failing
        raise TunelabError(
            f"{why}, and {source.repo} cannot be fetched: {unreachable}. Offline: point "
            "--data-dir (or TUNELAB_BENCH_DATA) at local copies"
        )
    try:
        parts = {
            s: datasets.load_dataset(source.repo, source.config, split=s) for s in source.splits
        }
    except Exception as err:  # offline, gated, renamed: the hub's own words, on one line
        message = str(err).splitlines()[0] if str(err) else ""
        raise TunelabError(
            f"{why}, and fetching {source.repo} from the Hugging Face hub failed "
            f"({type(err).__name__}: {message}). Offline: point --data-dir (or "
            f"TUNELAB_BENCH_DATA) at local copies"
        ) from None
    target = cache / source.folder
    partial = target.with_name(target.name + ".part")  # a cut-off download leaves no half folder
    shutil.rmtree(partial, ignore_errors=True)
    datasets.DatasetDict(parts).save_to_disk(str(partial))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target
