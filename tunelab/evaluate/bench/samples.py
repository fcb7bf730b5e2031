"""`tunelab bench --log-samples`: every question as it was scored, as lm-evaluation-harness's
--log_samples writes it, so a user can see why a score moved, not only the totals: the prompt, the
choices, each choice's log-likelihood, the right answer and the question's scores."""

from __future__ import annotations

import json
from pathlib import Path

from tunelab.evaluate.bench.tasks import Doc
from tunelab.models.load import model_folder


def samples_file(output: Path, model: str, task: str) -> Path:
    """<output>/samples/<model>/<task>.jsonl, the model's name made one folder name."""
    return output / "samples" / model_folder(model) / f"{task}.jsonl"


def write_samples(
    path: Path,
    docs: list[Doc],
    lls: list[list[float]],
    scores: list[dict[str, float]],
    metric: str = "acc",
) -> Path:
    """One line per question; `chosen` is the choice `metric` (the leaderboard's) picks: under
    acc_norm the likeliest per character, which need not be the likeliest."""
    from tunelab.evaluate.bench.tasks.base import picks

    by = metric if metric == "acc_norm" else "acc"  # TruthfulQA mc2's share: the likeliest
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for doc, ll, score in zip(docs, lls, scores):
            record = {
                "source": doc.source,
                "prompt": doc.context,
                "choices": doc.choices,
                "gold": doc.gold,
                "loglikelihoods": ll,
                "chosen": picks(doc, ll, norm=by == "acc_norm")[by],
                "chosen_by": by,
                "scores": score,
            }
            if doc.labels:
                record["labels"] = doc.labels
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
