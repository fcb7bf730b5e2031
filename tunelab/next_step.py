"""The line a data command ends with: the command that comes next on README's data path (check →
augment → split → facts → train → eval), written with the user's own paths, ready to paste."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.config import DEFAULT_MODEL

if TYPE_CHECKING:
    from rich.console import Console


def command(*words: str | Path) -> str:
    """`tunelab` and `words` as one shell line: a path with a space or a quote comes quoted."""
    return shlex.join(["tunelab", *(str(word) for word in words)])


def made_here(data: str | Path, ending: str) -> str:
    """The file or folder a next step makes of `data`, named after it (qa_clean.jsonl, qa_split),
    in the working folder, where README's path writes them: the data's own may be read-only."""
    return f"{Path(data).stem or 'data'}{ending}"


def cleaned(data: str | Path) -> str:
    """The file `data check --fix/--scrub -o` writes `data`'s cleaned rows to, as every line of a
    check names it (its "What to do", its `next:`, the error of a --fix without -o): the report
    said clean.jsonl where its next line said qa_clean.jsonl."""
    return made_here(data, "_clean.jsonl")


def read_through(fields: dict[str, str]) -> list[str]:
    """The user's `--set data.fields.question=Query` options, as every command that reads rows
    takes them: without them the next command could not read the same file's columns."""
    return [word for key, name in fields.items() for word in ("--set", f"data.fields.{key}={name}")]


def model_option(model: str | None) -> list[str]:
    """`--model X` where the user named a model of their own: the next data command measures in
    its tokens and carries it on to training, which would otherwise finetune the default."""
    return ["--model", model] if model and model != DEFAULT_MODEL else []


def train_command(
    data: str | Path,
    test: str | Path | None = None,
    fields: dict[str, str] | None = None,
    template: str | None = None,
    model: str | None = None,
    test_size: float | None = None,
) -> str:
    """`tunelab train` of `model` (where it is the user's own, not the default) on `data`, asked
    `test`'s questions (its facts) where one is given, its columns read through `fields`, in
    `template` where its rows carry the markers of one (`tunelab.data.markers.file_template`:
    lamini_docs' `### Question:` rows, qa), which training would otherwise wrap in the chat
    template again; holding out `test_size` of it where given (raw text, which training splits)."""
    named = ["--set", f"model.name={model}"] if model_option(model) else []
    test_path = ["--set", f"data.test_path={test}"] if test else []
    test_path += ["--set", f"data.test_size={test_size:g}"] if test_size is not None else []
    templated = ["--set", f"data.template={template}"] if template else []
    words = [*named, "--set", f"data.path={data}", *test_path, *templated]
    return command("train", *words, *read_through(fields or {}))


def say_next(console: Console, *steps: str) -> None:
    """Print "next: A, then B": as written (a path may hold brackets rich reads as markup), on
    one line however narrow the terminal, so it pastes whole."""
    console.print("next: " + ", then ".join(steps), markup=False, highlight=False, soft_wrap=True)


def rewrites_command(
    data: str | Path,
    test: str | Path | None = None,
    fields: dict[str, str] | None = None,
    model: str | None = None,
) -> str:
    """`data augment` of `data` by rules, its rewrites kept off `test`'s questions: each question
    asked three more ways, no model (template pairs ask each fact once); passing on the user's own
    `model` as `--train-model` (augment's `--model` is the one that rewrites), for its next line."""
    tested = ["--test", test] if test else []
    more = ["--mode", "rules", "-o", "more.jsonl"]
    more += ["--train-model", model] if model_option(model) else []
    return command("data", "augment", data, *tested, *more, *read_through(fields or {}))


def asked_once(rows: list[dict]) -> bool:
    """Whether `rows` are `data generate --mode template`'s pairs not yet rewritten: each fact
    asked once, so `data augment` comes before the split (as generate's own next: line says)."""
    metas = [row.get("meta") if isinstance(row.get("meta"), dict) else {} for row in rows]
    return bool(metas) and all(m.get("mode") == "template" and "kind" not in m for m in metas)


def split_command(
    data: str | Path,
    rephrased: bool = False,
    fields: dict[str, str] | None = None,
    model: str | None = None,
) -> str:
    """`data split` of `data` into the working folder; holding out rephrasings where the rows
    are `data augment`'s (its test rows then ask facts a training question still teaches);
    passing on the user's own `model`, for the training its next line names."""
    held_out = ["--held-out", "rephrasings"] if rephrased else []
    split = ["-o", made_here(data, "_split"), *held_out, *model_option(model)]
    return command("data", "split", data, *split, *read_through(fields or {}))


def rephrased(rows: list[dict]) -> bool:
    """Whether `rows` hold `data augment`'s rewrites (their `meta.kind`)."""
    return any(
        isinstance(r.get("meta"), dict) and r["meta"].get("kind") == "paraphrase" for r in rows
    )
