"""An eval folder's files: what `tunelab eval` writes there (predictions.jsonl and .csv, one row
per example, and summary.json), and the rows and settings `tunelab errors` reads back from it."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.data.example import Example
from tunelab.data.files.jsonl_files import read_jsonl
from tunelab.data.files.write_files import write_json, write_jsonl
from tunelab.data.prompts.templates import Prompt
from tunelab.data.text import one_line
from tunelab.data.tool_calls import said
from tunelab.errors import TunelabError
from tunelab.evaluate.metrics import TEXT_METRICS
from tunelab.evaluate.scores import interval_fields

if TYPE_CHECKING:
    from tunelab.evaluate.eval_config import EvalConfig
    from tunelab.evaluate.suite import EvalResult
    from tunelab.run import Run

ANSWERS_FILE = "predictions.jsonl"  # one row per question: what `tunelab errors` and `runs` read


def output_dir(model: str | Run, cfg: EvalConfig) -> Path:
    """--output, else `<run>/eval`, else `eval/<model name>` for a plain model."""
    # Here, not at the top: tunelab.models.load loads torch, and `tunelab eval --help` (any command
    # whose options come from EvalConfig) imports this module for the config alone.
    from tunelab.models.load import model_folder
    from tunelab.run import Run

    if cfg.output:
        return Path(cfg.output)
    run = Run.find(model)
    return run.out_dir("eval") if run else Path("eval") / model_folder(str(model))


def answer_folders(models: Sequence, cfg: EvalConfig, runs: Sequence[Run]) -> list[Path]:
    """Where each of several models evaluated together writes its answers: with one --output,
    a subfolder each, named after the model (numbered where two names clash); without, a run
    into its own eval folder and a plain model beside a run into a subfolder of the first
    run's (in ./eval/<name> the next run's eval against the same base replaced it). A model
    given again (`eval X X`) answers into a subfolder of its first folder: in the same one, its
    files replaced the first's."""
    from tunelab.models.load import model_folder
    from tunelab.run import Run

    names = [slug(Path(str(m)).name) for m in models]
    if len(set(names)) < len(names):  # numbers only if two names clash
        names = [f"model{i + 1}" for i in range(len(models))]
    folders: list[Path] = []
    for model, name in zip(models, names):
        if cfg.output and len(models) > 1:
            folder = Path(cfg.output) / name
        elif not cfg.output and runs and not Run.find(model):
            folder = runs[0].out_dir("eval") / model_folder(str(model))
        else:
            folder = output_dir(model, cfg)
        if folder.resolve() in {f.resolve() for f in folders}:
            folder = folder / name
        folders.append(folder)
    return folders


def model_labels(models: Sequence[str]) -> list[str]:
    """Each model as every report names it (the table, the notes, errors.md, summary.json and
    comparison.md): its name, numbered in order where several are the same (`eval X X`: a
    model's sampled answers, at --temperature above 0, against its own), "X (1)" and "X (2)";
    the notes keyed by model had named one, and the table headed two columns alike."""
    counts, seen = Counter(models), Counter()
    labels = []
    for model in models:
        seen[model] += 1
        named = model.rstrip("/") or model  # "runs/a/ (2)" was headed " (2)" in eval's table
        labels.append(f"{named} ({seen[model]})" if counts[model] > 1 else model)
    return labels


def slug(name: str) -> str:
    """A model name as a folder name."""
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


def asked_after(example: Example, width: int = 100) -> dict[str, list[str]]:
    """A row's "asked_after": the tools offered and the turns its last reply is asked after
    besides its question (`Example.context`), each cut to `width` characters; none for a row
    that asks its question alone. The question field shows the last user turn, though eval asks
    the whole conversation: "What is my name?" read without the turn that said it."""
    tools = [t["function"]["name"] for t in example.tools or ()]
    shown = [f"tools: {', '.join(tools)}"] if tools else []
    for turn in example.context:
        shown.append(f"{turn['role']}: {one_line(said(turn), width)}")
    return {"asked_after": shown} if shown else {}


def write_outputs(result: EvalResult) -> None:
    """predictions.jsonl, predictions.csv (one row per example) and summary.json, with the notes
    eval said; a chat row's `asked_after` is a column of its own, so a miss is read with the
    turns it was asked after."""
    out = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(result.rows, out / ANSWERS_FILE)
    metric_names = list(result.rows[0]["scores"]) if result.rows else list(TEXT_METRICS)
    with (out / "predictions.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["source", "question", "asked_after", "reference", "answer", "finish_reason"]
            + [*metric_names, "errors"]
        )
        for r in result.rows:
            errors = "; ".join(f"{e['category']}: {e['reason']}" for e in r.get("errors", []))
            writer.writerow(
                [
                    r["source"],
                    r["question"],
                    "\n".join(r.get("asked_after") or []),  # a line a turn, in the cell
                    r["reference"],
                    r["answer"],
                    r["finish_reason"],
                    *(round(r["scores"][m], 4) for m in metric_names),
                    errors,
                ]
            )
    payload = {
        "model": result.model,
        "label": result.label,  # as the reports name it: numbered where a model is given twice
        "examples": len(result.rows),
        "asked_with": result.asked(),
        "template": result.prompt and result.prompt.template,
        "system_prompt": result.prompt and result.prompt.system_prompt,
        "metrics": result.summary,
        **interval_fields(result.intervals),
        "notes": result.notes,  # what eval said on the terminal, for a reader of the folder
    }
    write_json(out / "summary.json", payload)


def answered_file(out_dir: Path) -> str | None:
    """The test file whose answers an earlier eval left in `out_dir`, as its first row's source
    (`file:line`) names it; None without one."""
    path = out_dir / ANSWERS_FILE
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        try:
            return source_file(json.loads(handle.readline()))
        except ValueError:  # an empty or edited file: nothing to name
            return None


def source_file(row: object) -> str | None:
    """The test file an eval answer row answered (its `source` is `file:line`); None without."""
    source = row.get("source") if isinstance(row, dict) else None
    return source.rpartition(":")[0] or None if isinstance(source, str) else None


def run_answered(run: Run) -> tuple[str | None, bool]:
    """The test file the run's last eval (<run>/eval) answered (`answered_file`), and whether it
    is the run's own test questions (`Run.test_path`): `tunelab runs` scores only those, and
    names another file's eval (`eval RUN --data other.jsonl`) as no held-out score."""
    answered, test = answered_file(run.out_dir("eval")), run.test_path
    return answered, bool(answered and test and same_file(answered, test))


def same_file(first: str, second: str) -> bool:
    """Whether two paths name one file, however each is written (runs/a/held_out.jsonl and
    ./runs/a/../a/held_out.jsonl): an eval's rows keep the test file as it was typed."""
    return Path(first).resolve() == Path(second).resolve()


def replaced_answers(out_dir: Path, test_file: str) -> str | None:
    """A note where `out_dir` holds an earlier eval's answers to another test file, which this
    eval replaces: `eval RUN --data other.jsonl` wrote over the run's held-out answers unsaid."""
    earlier = answered_file(out_dir)
    if not earlier or same_file(earlier, test_file):
        return None
    return (
        f"{out_dir} held the answers to {earlier}; those to {test_file} replace them "
        "(--output DIR keeps each test file's eval apart)"
    )


def earlier_summary(out_dir: Path) -> dict:
    """The summary.json an earlier `tunelab eval` wrote in `out_dir` ({} without one)."""
    path = out_dir / "summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def asked_before(summary: dict) -> Prompt | None:
    """How the earlier `tunelab eval` asked its questions, as its summary says."""
    if not summary.get("template"):
        return None
    return Prompt(summary["template"], summary.get("system_prompt"))


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The per-example rows an earlier `tunelab eval` wrote (for `tunelab errors`)."""
    if not path.exists():
        raise TunelabError(f"{path} not found: run `tunelab eval` on this run first")
    hint = "run `tunelab eval` again to write it afresh"
    rows = []
    for line, row in read_jsonl(path, hint=hint):
        wanted = {"question": str, "reference": str, "answer": str, "finish_reason": str,
                  "scores": dict}  # fmt: skip
        for name, kind in wanted.items():
            if not isinstance(row.get(name), kind):
                what = "missing" if name not in row else f"not a {kind.__name__}"
                raise TunelabError(f"{path}:{line}: {name!r} {what}; {hint}")
        rows.append(row)
    return rows
