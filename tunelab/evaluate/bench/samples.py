"""`tunelab bench --log-samples`: every question as it was scored, as lm-evaluation-harness's
--log_samples writes it, so a user can see why a score moved, not only the totals: the prompt, the
choices, each choice's log-likelihood, the right answer and the question's scores."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from tunelab.evaluate.bench.tasks import Doc


def samples_file(output: Path, model: str, task: str) -> Path:
    """<output>/samples/<model>/<task>.jsonl, the model's name made one folder name."""
    return output / "samples" / model_folder(model) / f"{task}.jsonl"


def model_folder(model: str) -> str:
    """A model's name (a hub id, a path) as one file or folder name, distinct names in distinct
    folders: a name of plain parts keeps them, joined by "__" ("org/name" -> "org__name"); any
    other (a space, a leading "/", a "__" of its own, a very long name) is shortened to a
    readable part and a hash of the exact name."""
    name = str(model)
    parts = name.split("/")
    folder = "__".join(parts)
    plain = all(re.fullmatch(r"[\w.-]+", part) for part in parts)
    # Kept when the parts come back from it (not so with a part's own "__", or a "_" beside a
    # "/") and it fits a file name (255 bytes; <folder>.jsonl is one).
    kept = plain and folder.split("__") == parts and folder not in (".", "..")
    if kept and len(folder.encode()) <= 200:
        return folder
    readable = re.sub(r"[^\w.-]+", "__", name.strip("/"))[:50] or "model"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def write_samples(
    path: Path, docs: list[Doc], lls: list[list[float]], scores: list[dict[str, float]]
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for doc, ll, score in zip(docs, lls, scores):
            record = {
                "source": doc.source,
                "prompt": doc.context,
                "choices": doc.choices,
                "gold": doc.gold,
                "loglikelihoods": ll,
                "chosen": max(range(len(ll)), key=ll.__getitem__),
                "scores": score,
            }
            if doc.labels:
                record["labels"] = doc.labels
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
