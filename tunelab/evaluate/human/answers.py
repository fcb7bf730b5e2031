"""Answer sets to rate or judge: the files `tunelab eval` and `tunelab compare` wrote (found from
a run, eval or compare folder), read as {model: {question: row}}, and the questions they share."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from tunelab.data.files.jsonl_files import read_jsonl
from tunelab.data.markers import plain_question
from tunelab.errors import TunelabError, broken_link
from tunelab.meant import meant_file
from tunelab.next_step import command
from tunelab.run import Run, unsaved_run
from tunelab.terminal import is_are, n_things


def answers_file(path: Path) -> Path:
    """A JSONL of answers, or the predictions.jsonl inside an eval folder or a run's eval/."""
    for candidate in (path, path / "predictions.jsonl", path / "eval" / "predictions.jsonl"):
        if candidate.is_file():
            return candidate
    kinds = "a JSONL file, an eval folder, a compare folder, or a run folder"
    if not path.exists():
        meant = broken_link(path) or meant_file(path, folders=True)  # runs/mien for runs/mine
        raise TunelabError(f"{path}: no such file or folder{meant}; give answers: {kinds}")
    if Run.is_run(path):  # a run trained, never asked its test questions
        raise TunelabError(
            f"{path}: this run has no answers yet: `{command('eval', path)}` (its test questions) or "
            f"`{command('compare', path)}` writes them; then give it again"
        )
    if Run.is_started(path):  # stopped before its model/: no model to ask its questions yet
        raise TunelabError(
            f"{path}: this run has no answers yet, and no model to give them: it is "
            f"{unsaved_run(path)}; then `{command('eval', path)}` writes its answers"
        )
    raise TunelabError(f"{path}: no answers here ({kinds})")


def arm_file_name(arm: str) -> str:
    """The file `tunelab compare` writes an arm's answers to: "prompting + RAG" → prompting_RAG.jsonl."""
    return re.sub(r"\W+", "_", arm).strip("_") + ".jsonl"


def answer_sets(path: Path) -> list[Path]:
    """The answer files `path` names: itself, each arm of a `tunelab compare` folder (or of a
    run's compare/, when the run has no eval/), or each model's folder of an eval output."""
    for folder in (path, path / "compare"):
        listed = folder / "compare.json"
        if path.is_dir() and listed.is_file() and not (path / "eval").is_dir():
            arms = json.loads(listed.read_text(encoding="utf-8")).get("arms", [])
            files = [folder / arm_file_name(arm["name"]) for arm in arms]
            return [f for f in files if f.is_file()]
    # `tunelab eval A B --output ev` writes ev/A/ and ev/B/: each is an answer set.
    if (
        path.is_dir()
        and not (path / "predictions.jsonl").is_file()
        and not (path / "eval").is_dir()
    ):
        sets = sorted(d for d in path.iterdir() if (d / "predictions.jsonl").is_file())
        if sets:
            return sets
    return [path]


def model_name(path: Path) -> str:
    """runs/x/eval/predictions.jsonl → x; runs/x/compare/finetuned.jsonl → x:finetuned."""
    file = answers_file(path)
    if file.name == "predictions.jsonl":
        folder = file.parent
        return folder.parent.name if folder.name == "eval" else folder.name
    if file.parent.name == "compare":
        return f"{file.parent.parent.name}:{file.stem}"
    return file.stem


def load_answers(paths: list[Path], at_least: int = 2) -> dict[str, dict[str, dict]]:
    """{model: {question: row}} from each answers file; names must differ. Two files of one
    name (prompting.jsonl of two compare folders) are told apart by their folders. Rating needs
    `at_least` two sets; grading each answer alone, one."""
    # A run's model/ folder (runs/x/model) gives the run's answers, as every command that takes
    # a model reads it as its run (and one of a run that stopped before writing it is told so).
    named = [Run.folder_named(path, started=True) or path for path in paths]
    paths = [file for path in named for file in answer_sets(path)]
    files = [answers_file(path).resolve() for path in paths]
    for path, file in zip(paths, files):
        if files.count(file) > 1:  # it was named ':a', as if two models shared a name
            raise TunelabError(f"{path} is given twice: each answer set is one model")
    names = [model_name(path) for path in paths]
    names = [
        f"{file.parent.name}:{name}" if names.count(name) > 1 else name
        for file, name in zip(files, names)
    ]
    models: dict[str, dict[str, dict]] = {}
    for path, name in zip(paths, names):
        if name in models:
            raise TunelabError(
                f"two answer sets are both named {name!r}: pass them from other folders"
            )
        rows, asked = {}, Counter()
        file = answers_file(path)
        for number, row in read_jsonl(file):
            if missing := [key for key in ("question", "answer") if key not in row]:
                # Which one, and the row's own keys: a hand-made file's "response" or a typo.
                raise TunelabError(
                    f"{file}:{number}: no {' or '.join(map(repr, missing))} (its keys: "
                    f"{', '.join(row) or 'none'}); each row needs 'question' and 'answer'"
                )
            # A number or null as an answer served pairs whose every vote then failed (500).
            for key in ("question", "answer", "reference"):
                if key in row and not isinstance(row[key], str):
                    raise TunelabError(
                        f"{file}:{number}: '{key}' is {type(row[key]).__name__}, not text"
                    )
            # A question asked twice (with other references) stays two questions: the second
            # replaced the first. Every set lists the test file's rows in its order.
            question = row["question"]
            asked[question] += 1
            rows[question if asked[question] == 1 else f"{question} [#{asked[question]}]"] = row
        if not rows:
            raise TunelabError(f"{file}: holds no answers")
        models[name] = rows
    if len(models) < at_least:
        # One set given is mostly one run meant to be graded alone, or a run whose eval also
        # asked its base model (`tunelab eval RUN BASE`), whose answers sit in a subfolder
        # (named whatever the command, `rate` or `judge`).
        beside = " or ".join(str(p) for p in compared_beside(paths))
        also = f", such as {beside} (the answers `tunelab eval` compared it with)" if beside else ""
        arms = " or ".join(str(p) for p in compared_in_run(paths))
        also += (
            f", or give {arms} alone (the answers of `tunelab compare`'s arms: prompting, RAG, "
            "finetuned, to the same questions)"
            if arms
            else ""
        )
        raise TunelabError(
            f"rating needs the answers of at least two models, but got {len(models)} "
            f"({', '.join(models)}): give another answer set{also}, or grade each answer "
            "alone against its reference (`tunelab judge ... --grade`)"
        )
    return models


def compared_beside(paths: list[Path]) -> list[Path]:
    """The answer sets `tunelab eval` wrote beside the ones given: a run's eval folder's
    subfolders (`eval RUN BASE`: runs/x/eval/smollm2-135m-instruct/), the run's own answers
    for such a subfolder, and the other models' folders of `eval A B --output ev` for ev/A."""
    found = []
    for path in paths:
        file = answers_file(path)
        if file.name != "predictions.jsonl":
            continue
        folder, holder = file.parent, file.parent.parent
        found += sorted(d for d in folder.iterdir() if (d / file.name).is_file())
        if (holder / file.name).is_file():
            found.append(holder)
        else:
            found += sorted(
                d for d in holder.iterdir() if d != folder and (d / file.name).is_file()
            )
    return found


def compared_in_run(paths: list[Path]) -> list[Path]:
    """The compare folder of each run given whose eval/ was read (runs/x/compare/): a run with
    both is read by its eval/, one model's answers, and `tunelab rate runs/x` said nothing of
    the four arms `tunelab compare runs/x` had answered the same questions with."""
    found = []
    for path in paths:
        file = answers_file(path)
        arms = file.parent.parent / "compare"
        if file.name == "predictions.jsonl" and file.parent.name == "eval":
            found += [arms] if (arms / "compare.json").is_file() else []
    return found


def reference_answer(answers: dict[str, dict[str, dict]], question: str) -> str:
    """The question's reference answer, from whichever set has one (they answer the same test
    row): from the pair's first set alone, a set without references (a hand-made file) hid it
    from its pairs, by which name sorted first. Sets graded alone may answer other questions."""
    given = (rows[question].get("reference") for rows in answers.values() if question in rows)
    return next(filter(None, given), "")


def same_text(answers: dict[str, dict[str, dict]], question: str, a: str, b: str) -> bool:
    """Whether models `a` and `b` answered `question` with one text (spaces aside): a vote or a
    verdict between them would be a coin flip, so `tunelab rate` never shows such a pair and
    `tunelab judge` never asks about one."""
    return answers[a][question]["answer"].strip() == answers[b][question]["answer"].strip()


def distinct_pairs(
    answers: dict[str, dict[str, dict]], pairs: list[tuple[str, str, str]]
) -> list[tuple[str, str, str]]:
    """The (question, a, b) of `pairs` whose two answers differ (`same_text`); none left of some
    is an error: every set gave the same answers, and neither a rater nor a judge can choose."""
    distinct = [pair for pair in pairs if not same_text(answers, *pair)]
    if pairs and not distinct:
        raise TunelabError(
            f"every answer set gives the same answers ({', '.join(answers)}): no pair has two "
            "answers to choose between; give answer sets of other models"
        )
    return distinct


def question_facts(answers: dict[str, dict[str, dict]], questions: list[str]) -> list[str | int]:
    """The fact each of `questions` asks, as `tunelab eval` pairs its rows (`row_fact`): the
    source_key its test row gave the answers `eval` or `compare` wrote (`tunelab data augment`'s
    rephrasings and rows that share a reference answer share one), from whichever set's row has one (a hand-made set beside them has
    none), else a fact of its own, numbered by the question's first place in `questions`."""
    from tunelab.evaluate.scores import row_fact

    places = {q: i for i, q in enumerate(dict.fromkeys(questions))}
    given = {q: [rows[q] for rows in answers.values() if q in rows] for q in places}
    keyed = {q: next((row for row in given[q] if row.get("source_key")), {}) for q in places}
    return [row_fact(keyed[q], places[q]) for q in questions]


def shared_questions(answers: dict[str, dict[str, dict]]) -> list[str]:
    """The questions every answer set answers, in the first set's order."""
    first, *others = answers.values()
    questions = [q for q in first if all(q in rows for rows in others)]
    if not questions:
        # It said only "no question in common": which sets asked what, and how to fix it, not.
        from tunelab.evaluate.eval_folder import source_file

        sets = []
        for name, rows in answers.items():
            question, row = next(iter(rows.items()))
            test_file = source_file(row)
            asked = f"{len(rows)} question(s), first {plain_question(question)!r}"
            sets.append(f"{name}: {asked}" + (f" of {test_file}" if test_file else ""))
        raise TunelabError(
            f"the answer sets share no question, so no two answers can be set side by side "
            f"({'; '.join(sets)}): answer one test file with every model, e.g. "
            "`tunelab eval MODEL_A MODEL_B --data TEST.jsonl --output DIR`, then rate DIR"
        )
    return questions


def unshared(answers: dict[str, dict[str, dict]]) -> str | None:
    """What a person should know when some answer set lacks questions the others answer: no
    pair can show those (they were left out without a word)."""
    every = set().union(*answers.values())
    left_out = len(every) - len(shared_questions(answers))
    if not left_out:
        return None
    lacking = [f"{name} lacks {len(every - set(rows))}" for name, rows in answers.items()
               if len(every - set(rows))]  # fmt: skip
    judged = len(every) - left_out
    return (
        f"{n_things(left_out, 'question')} {is_are(left_out)} not in every "
        f"answer set ({', '.join(lacking)}): only the {judged} all of them answer "
        f"{is_are(judged)} judged"
    )
