"""ARC-Easy and ARC-Challenge (AI2 Reasoning Challenge), scored as the harness's arc_easy.yaml:
"Question: {question}\\nAnswer:" followed by " {choice text}"; acc and acc_norm."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelab.errors import TunelabError
from tunelab.evaluate.bench.tasks.base import (
    ChoiceTask,
    Doc,
    HubSource,
    field_of,
    first,
    hf_rows,
    is_hf_dataset,
    register,
    require,
    sourced_rows,
)


@dataclass
class Arc(ChoiceTask):
    name: str  # arc_easy or arc_challenge
    subset: str  # ARC-Easy or ARC-Challenge
    description: str

    def load(self, data_dir: Path, limit: int | None = None, fewshot: int = 0) -> list[Doc]:
        """Test questions from `arc/<subset>/<subset>-Test.jsonl`, or a saved HF dataset `<name>/`
        (allenai/ai2_arc's schema)."""
        saved = data_dir / self.hub.folder
        if is_hf_dataset(saved):
            return [_from_hf(row, src) for src, row in first(hf_rows(saved, ("test",)), limit)]
        path = require(data_dir / "arc" / self.subset / f"{self.subset}-Test.jsonl", self.name)
        return [_from_original(row, src) for src, row in first(sourced_rows(path), limit)]


def _doc(question: str, texts: list[str], labels: list[str], key: str, source: str) -> Doc:
    # Labels are A-E on most questions but 1-4 on some: match the key against the labels given.
    if key not in labels:
        raise TunelabError(f"{source}: answerKey {key!r} is not one of the choice labels {labels}")
    context = f"Question: {question}\nAnswer:"
    return Doc(context, list(texts), labels.index(key), source=source)


def _from_original(row: dict[str, Any], source: str) -> Doc:
    question = field_of(row, "question", source)
    stem = field_of(question, "stem", source)
    choices = field_of(question, "choices", source)
    key = field_of(row, "answerKey", source)
    texts = [field_of(c, "text", source) for c in choices]
    return _doc(stem, texts, [field_of(c, "label", source) for c in choices], key, source)


def _from_hf(row: dict[str, Any], source: str) -> Doc:
    choices = field_of(row, "choices", source)
    return _doc(row["question"], choices["text"], choices["label"], row["answerKey"], source)


ARC_EASY = register(
    Arc(
        "arc_easy",
        "ARC-Easy",
        "grade-school science questions, 4 answers (AI2 ARC, easy set)",
        hub=HubSource("allenai/ai2_arc", "ARC-Easy", ("test",), "arc_easy"),
    )
)
ARC_CHALLENGE = register(
    Arc(
        "arc_challenge",
        "ARC-Challenge",
        "grade-school science questions that simple retrieval gets wrong (AI2 ARC, challenge set)",
        hub=HubSource("allenai/ai2_arc", "ARC-Challenge", ("test",), "arc_challenge"),
    )
)
