"""MMLU, scored as the harness's mmlu/default: a subject header, optional few-shot examples (the
first of the dev split), "{question}\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\nAnswer:" and the choices
" A".." D"; acc averaged over all questions (micro), or one subject as `mmlu_<subject>`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tunelab.errors import TunelabError, undecoded
from tunelab.evaluate.bench.tasks.base import (
    ACC,
    ChoiceTask,
    DataNotFound,
    Doc,
    HubSource,
    first,
    hf_rows,
    is_hf_dataset,
    register,
    require,
)

LETTERS = ["A", "B", "C", "D"]


def read_csv(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Rows of a headerless question,A,B,C,D,answer file (quoted newlines, CRLF, no final newline)."""
    rows = []
    try:
        data = path.read_bytes()
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text
    except UnicodeDecodeError as err:  # a copy saved by a spreadsheet in its own encoding
        raise TunelabError(undecoded(path, data, err)) from None
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        source = f"{path}:{number}"
        if len(cells) != 6 or cells[5].strip() not in LETTERS:
            raise TunelabError(f"{source}: expected question,A,B,C,D,answer(A-D), got {cells!r}")
        rows.append(
            (
                source,
                {
                    "question": cells[0],
                    "choices": cells[1:5],
                    "answer": LETTERS.index(cells[5].strip()),
                },
            )
        )
    return rows


def render(row: dict[str, Any]) -> str:
    """One question as the harness's doc_to_text writes it."""
    lines = [row["question"].strip()]
    lines += [f"{letter}. {choice}" for letter, choice in zip(LETTERS, row["choices"])]
    return "\n".join(lines) + "\nAnswer:"


# MMLU's 57 subjects (hendrycks/test, cais/mmlu): a name outside them is a typo, refused by
# name, where a saved cais/mmlu scored it 0 on 0 questions and the CSV layout blamed the network.
SUBJECTS = frozenset(
    "abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology "
    "college_chemistry college_computer_science college_mathematics college_medicine "
    "college_physics computer_security conceptual_physics econometrics "
    "electrical_engineering elementary_mathematics formal_logic global_facts "
    "high_school_biology high_school_chemistry high_school_computer_science "
    "high_school_european_history high_school_geography high_school_government_and_politics "
    "high_school_macroeconomics high_school_mathematics high_school_microeconomics "
    "high_school_physics high_school_psychology high_school_statistics "
    "high_school_us_history high_school_world_history human_aging human_sexuality "
    "international_law jurisprudence logical_fallacies machine_learning management "
    "marketing medical_genetics miscellaneous moral_disputes moral_scenarios nutrition "
    "philosophy prehistory professional_accounting professional_law professional_medicine "
    "professional_psychology public_relations security_studies sociology us_foreign_policy "
    "virology world_religions".split()
)


@dataclass
class Mmlu(ChoiceTask):
    name: str = "mmlu"
    subject: str | None = None  # one subject only (mmlu_<subject>), else all
    description: str = "knowledge across 57 subjects, 4 lettered answers (mmlu_<subject>: one)"
    metrics: dict[str, str] = field(default_factory=lambda: dict(ACC))
    fewshot: str | None = "the first questions of each subject's dev split"
    hub: HubSource | None = HubSource("cais/mmlu", "all", ("test", "dev"), "mmlu")

    def part(self, subject: str) -> Mmlu | None:
        if subject not in SUBJECTS:
            return None
        return replace(self, name=f"{self.name}_{subject}", subject=subject)

    def load(self, data_dir: Path, limit: int | None = None, fewshot: int = 0) -> list[Doc]:
        """Test questions of each subject (at most `limit` per subject, as the harness's --limit)."""
        saved = data_dir / self.hub.folder  # the original CSVs or cais/mmlu, both "mmlu"
        if is_hf_dataset(saved):
            return self._load_hf(saved, limit, fewshot)
        tests = sorted(require(saved / "test", self.name).glob("*_test.csv"))
        subjects = [p.name[: -len("_test.csv")] for p in tests]
        if self.subject is not None:
            if self.subject not in subjects:
                raise DataNotFound(
                    f"{self.name}: no {saved / 'test' / (self.subject + '_test.csv')}"
                )
            subjects = [self.subject]
        docs = []
        for subject in subjects:
            shots = read_csv(_dev_file(saved, subject, fewshot))[:fewshot] if fewshot else []
            rows = first(iter(read_csv(saved / "test" / f"{subject}_test.csv")), limit)
            docs += [_doc(subject, row, src, [r for _, r in shots]) for src, row in rows]
        return docs

    def _load_hf(self, path: Path, limit: int | None, fewshot: int) -> list[Doc]:
        # cais/mmlu "all": one table with a `subject` column; dev holds the few-shot examples.
        by_subject: dict[str, list] = {}
        for src, row in hf_rows(path, ("test",)):
            if self.subject in (None, row["subject"]):
                by_subject.setdefault(row["subject"], []).append((src, row))
        dev: dict[str, list] = {}
        if fewshot:
            for _, row in hf_rows(path, ("dev",)):
                dev.setdefault(row["subject"], []).append(row)
        docs = []
        for subject in sorted(by_subject):
            shots = dev.get(subject, [])[:fewshot]
            docs += [
                _doc(subject, row, src, shots)
                for src, row in first(iter(by_subject[subject]), limit)
            ]
        return docs


def _dev_file(saved: Path, subject: str, fewshot: int) -> Path:
    """The subject's dev CSV, where --fewshot takes its examples from."""
    path = saved / "dev" / f"{subject}_dev.csv"
    if not path.is_file():
        raise TunelabError(
            f"mmlu_{subject}: --fewshot {fewshot} takes its examples from {path}, which is "
            f"missing: add MMLU's dev/ folder beside test/, or drop --fewshot"
        )
    return path


def _doc(subject: str, row: dict[str, Any], source: str, shots: list[dict[str, Any]]) -> Doc:
    header = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
    examples = "".join(f"{render(s)} {LETTERS[s['answer']]}\n\n" for s in shots)
    return Doc(
        header + examples + render(row),
        list(LETTERS),
        int(row["answer"]),
        group=subject,
        source=source,
    )


MMLU = register(Mmlu())
