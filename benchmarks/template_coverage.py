"""Which sentences of a manual that state a specific value does template mode put in no pair's
answer? A value is what `tunelab.evaluate.facts.specific_terms` finds by its form among an amount (a
number with its unit, a range, a time of day, "3-year"), an address or code (a path, an option,
code in backticks, a file or snake name) and a name in capitals (a button, "POWER", an error
code, "E4"). Runs `tunelab data generate` in template mode on each set and counts, per set, the
prose sentences (not table rows or code: those make pairs of their own) stating a value and those
a kept pair's answer holds (`held`); `--missed` prints the others.

    python benchmarks/template_coverage.py --missed
    python benchmarks/template_coverage.py my_manuals/ --missed   # your own documents
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import tempfile
from pathlib import Path

from tunelab.data.documents.chunking import chunk_document
from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.data.generate.template.template_qa import prose_sentences
from tunelab.data.text import STOPWORDS, stems
from tunelab.evaluate.facts.amounts import AMOUNTS
from tunelab.evaluate.facts.specific_terms import ADDRESS_OR_CODE, specific_terms

ROOT = Path(__file__).resolve().parent.parent
VALUE = [*AMOUNTS, *ADDRESS_OR_CODE, re.compile(r"\b[A-Z]{2,}\d*\b|\b[A-Z]\d+\b")]
# Written for tunelab: a timer's two files, two more.
MANUALS = ROOT / "benchmarks/data/coverage_manuals"


def write_test_manuals(name: str, folder: Path) -> None:
    """Writes to `folder` the manuals a test file writes (its string literals opening with a title
    line), one file each."""
    tree = ast.parse((ROOT / "tests" / name).read_text(encoding="utf-8"))
    texts = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("# ")
    ]
    folder.mkdir(parents=True)
    for i, text in enumerate(dict.fromkeys(texts)):
        (folder / f"manual{i}.md").write_text(text, encoding="utf-8")


def sets(tmp: Path) -> dict[str, Path]:
    found = {"fixtures/docs": ROOT / "tests/fixtures/docs"}
    found["timer manuals"] = MANUALS / "timer"
    for label, name in (
        ("dehumidifier", "test_data_generate_dehumidifier.py"),
        ("label printer", "test_data_generate_label_printer.py"),
        ("kiln", "test_data_generate_numbered_names.py"),
    ):
        write_test_manuals(name, tmp / label)
        found[label] = tmp / label
    for path in sorted(MANUALS.glob("*.md")):
        found[path.stem] = path
    return found


def coverage(docs: Path, out: Path) -> tuple[list[str], list[str]]:
    """The value-stating sentences of `docs`, and those no kept answer of the set holds."""
    generate_dataset(GenerateConfig(docs=[str(docs)], output=str(out)), progress=False)
    rows = out.read_text(encoding="utf-8").splitlines()
    # Any document's: a question asked in two of a set's manuals is kept once, from the first.
    answers = [json.loads(line)["answer"] for line in rows]
    told = " ".join(answers)
    valued, missed = [], []
    files = sorted(docs.rglob("*")) if docs.is_dir() else [docs]
    for doc in filter(Path.is_file, files):
        for chunk in chunk_document(doc):
            for written, stated in prose_sentences(chunk):
                if specific_terms(written, VALUE):
                    valued.append(written)
                    if stated not in told and not any(held(written, a) for a in answers):
                        missed.append(f"{docs.name}/{doc.name}: {written}")
    return valued, missed


def held(sentence: str, answer: str) -> bool:
    """Whether `answer` states the sentence, perhaps in other words ("Range: 0 to 30 mm." as
    "tear_offset ranges from 0 to 30 mm."): all its values and two thirds of its words (content
    words as `tunelab.data.text.stems` stems them: "range" is said by "ranges")."""
    if sentence in answer:
        return True
    values = specific_terms(sentence, VALUE)
    words = _stems(sentence)
    shared = words & _stems(answer)
    return all(v in answer for v in values) and len(shared) >= 2 * len(words) / 3


def _stems(text: str) -> set[str]:
    return set(stems(text, STOPWORDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="*", type=Path, help="your own documents' folders instead")
    parser.add_argument("--missed", action="store_true", help="print each missed sentence")
    args = parser.parse_args()
    rows, all_missed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        chosen = {str(d): d for d in args.docs} or sets(Path(tmp))
        for label, docs in chosen.items():
            valued, missed = coverage(docs, Path(tmp) / f"{len(rows)}.jsonl")
            rows.append((label, len(valued), len(valued) - len(missed)))
            all_missed += missed
    print("| set | value sentences | in a pair | share |\n|---|---:|---:|---:|")
    for label, n, kept in rows:
        print(f"| {label} | {n} | {kept} | {kept / max(n, 1):.0%} |")
    n, kept = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"| **all** | **{n}** | **{kept}** | **{kept / max(n, 1):.0%}** |")
    if args.missed:
        print("\n" + "\n".join(all_missed))


if __name__ == "__main__":
    main()
