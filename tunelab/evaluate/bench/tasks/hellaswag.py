"""HellaSwag (validation split), scored as the harness's hellaswag task: the context is
"{activity_label}: {ctx_a} {Ctx_b}" and each ending a choice, both cleaned of WikiHow artifacts."""

from __future__ import annotations

import re
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

FILE = "hellaswag_val.jsonl"


def preprocess(text: str) -> str:
    """The harness's cleanup: " [title]" becomes a sentence break, other [tags] go, double spaces too."""
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


@dataclass
class HellaSwag(ChoiceTask):
    name: str = "hellaswag"
    description: str = "commonsense: the likeliest ending of an everyday scene, 4 endings"
    hub: HubSource | None = HubSource("Rowan/hellaswag", None, ("validation",), "hellaswag")

    def load(self, data_dir: Path, limit: int | None = None, fewshot: int = 0) -> list[Doc]:
        """Rows of `hellaswag/hellaswag_val.jsonl` (rowanz/hellaswag) or a saved HF dataset."""
        saved = data_dir / self.hub.folder
        if is_hf_dataset(saved):
            rows = hf_rows(saved, ("validation",))
        else:
            rows = sourced_rows(require(data_dir / "hellaswag" / FILE, self.name))
        return [to_doc(row, source) for source, row in first(rows, limit)]


def to_doc(row: dict[str, Any], source: str) -> Doc:
    """One row in the published format (`label` an int or, in the HF copy, a string)."""
    ctx = field_of(row, "ctx_a", source) + " " + field_of(row, "ctx_b", source).capitalize()
    endings = field_of(row, "endings", source)
    try:
        gold = int(field_of(row, "label", source))
    except (ValueError, TypeError):  # "", "x", or null
        raise TunelabError(f"{source}: label {row['label']!r} is not a number") from None
    if not 0 <= gold < len(endings):
        raise TunelabError(f"{source}: label {gold} does not index the {len(endings)} endings")
    context = preprocess(field_of(row, "activity_label", source) + ": " + ctx)
    return Doc(context, [preprocess(e) for e in endings], gold, source=source)


HELLASWAG = register(HellaSwag())
