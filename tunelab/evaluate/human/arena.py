"""Human evaluation in a browser: a person sees a question and two models' answers side by side,
unlabelled and in random order, and picks the better one (or a tie, or both bad). Votes are
appended to a JSONL file as they come (nothing is lost if the server stops), and the leaderboard
page rates the models with Bradley–Terry and Elo (tunelab.evaluate.human.ratings).

The page never learns which model wrote which answer: it gets an opaque one-time token for each
pair shown, and the server alone remembers the question and the models on each side. A vote
names the token, so only a pair that was shown can be voted on, and only once.

The answers come from files `tunelab eval` or `tunelab compare` already wrote, so rating never
waits on generation."""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections import Counter, OrderedDict
from itertools import combinations
from pathlib import Path

from tunelab.data.jsonl_files import read_jsonl
from tunelab.data.markers import plain_question
from tunelab.data.write import append_jsonl
from tunelab.errors import TunelabError
from tunelab.evaluate.human.pairing import (
    LeastJudged,
    QuestionPair,
    RateConfig,
    judged_pair,
    next_models,
)
from tunelab.evaluate.human.ratings import Vote, bradley_terry, leaderboard
from tunelab.evaluate.human.records import (
    WINNERS,
    judged,
    on_these_answers,
    position_note,
    read_votes,
)

# Pairs shown and not yet voted on that the server remembers; past this the oldest is forgotten
# (a judge who opened many tabs), so asking for pairs in a loop cannot fill the memory.
MAX_SHOWN = 1000


def answers_file(path: Path) -> Path:
    """A JSONL of answers, or the predictions.jsonl inside an eval folder or a run's eval/."""
    for candidate in (path, path / "predictions.jsonl", path / "eval" / "predictions.jsonl"):
        if candidate.is_file():
            return candidate
    kinds = "a JSONL file, an eval folder, a compare folder, or a run folder"
    if not path.exists():
        raise TunelabError(f"{path}: no such file or folder; give answers: {kinds}")
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
    paths = [file for path in paths for file in answer_sets(path)]
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
            if "question" not in row or "answer" not in row:
                raise TunelabError(f"{file}:{number}: needs 'question' and 'answer'")
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
        raise TunelabError(
            f"rating needs the answers of at least two models, but got {len(models)} "
            f"({', '.join(models)}): give another answer set{also}, or grade each answer "
            "alone against its reference (`tunelab judge ... --grade`)"
        )
    return models


def compared_beside(paths: list[Path]) -> list[Path]:
    """The answer sets `tunelab eval RUN BASE` wrote beside a run's own answers: its eval
    folder's subfolders (runs/x/eval/smollm2-135m-instruct/)."""
    found = []
    for path in paths:
        file = answers_file(path)
        if file.name == "predictions.jsonl":
            found += sorted(d for d in file.parent.iterdir() if (d / file.name).is_file())
    return found


def reference_answer(answers: dict[str, dict[str, dict]], question: str) -> str:
    """The question's reference answer, from whichever set has one (they answer the same test
    row): from the pair's first set alone, a set without references (a hand-made file) hid it
    from its pairs, by which name sorted first. Sets graded alone may answer other questions."""
    given = (rows[question].get("reference") for rows in answers.values() if question in rows)
    return next(filter(None, given), "")


def question_facts(answers: dict[str, dict[str, dict]], questions: list[str]) -> list[str | int]:
    """The fact each of `questions` asks, as `tunelab eval` pairs its rows (`row_fact`): the
    source_key its test row gave the answers `eval` or `compare` wrote (`tunelab data augment`'s
    rephrasings share one), from whichever set's row has one (a hand-made set beside them has
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
    return (
        f"{left_out} question(s) are not in every answer set ({', '.join(lacking)}): only the "
        f"{len(every) - left_out} all of them answer are judged"
    )


def _sides(record: dict) -> tuple[str, str, str]:
    return record["question"], record["left"], record["right"]


class Arena:
    """The pairs to judge, the votes so far (read back from the file), and the next pair to show:
    two models drawn as `config.pairs` says (`pairing.next_models`), on their least-judged
    question, so every question gets covered evenly."""

    def __init__(
        self,
        answers: dict[str, dict[str, dict]],
        votes_path: Path,
        seed: int | None = None,
        config: RateConfig | None = None,
    ):
        self.answers = answers
        self.votes_path = votes_path
        self.config = config or RateConfig()
        # Seeded from the OS unless a test fixes it: a fixed default put the same model on the
        # same side first in every server, so a judge who knew the code could tell which is which.
        self.rng = random.Random(seed)
        self.questions = set(shared_questions(answers))
        every_pair = [
            (q, *models)
            for q in sorted(self.questions)
            for models in combinations(sorted(answers), 2)
        ]
        # Two answers of one text (both empty, say) make a vote a coin flip: never shown, and
        # a vote on them from an earlier file is left out too (`alike`, said in `notes`).
        self.pairs = [pair for pair in every_pair if not self._alike(*pair)]
        self.alike = len(every_pair) - len(self.pairs)
        if not self.pairs:
            raise TunelabError(
                f"every answer set gives the same answers ({', '.join(answers)}): no pair has two "
                "answers to choose between; rate answer sets of other models"
            )
        self.model_pairs = list(dict.fromkeys(pair[1:] for pair in self.pairs))
        self._fit: tuple[int, dict[str, float]] = (0, {})  # votes fitted, their ratings
        self.shown: OrderedDict[str, tuple[str, str, str]] = OrderedDict()  # token: q, left, right
        self.lock = threading.Lock()  # FastAPI runs the handlers on several threads
        if votes_path.is_dir():  # read as no votes, and every vote then failed to be written
            raise TunelabError(f"{votes_path} is a folder: --votes takes a file (inside it, say)")
        earlier = read_votes(votes_path)
        self.records = [r for r in earlier if on_these_answers(r, answers)]
        self.other_votes = len(earlier) - len(self.records)
        self.records = [r for r in self.records if not self._alike(*judged_pair(*_sides(r)))]
        self.alike_votes = len(earlier) - self.other_votes - len(self.records)
        counts = Counter(judged_pair(r["question"], r["left"], r["right"]) for r in self.records)
        # The pairs each named rater judged, so a restart still shows them other pairs first.
        self.by_rater: dict[str, set[QuestionPair]] = {}
        for r in self.records:
            if r.get("rater"):
                pair = judged_pair(r["question"], r["left"], r["right"])
                self.by_rater.setdefault(r["rater"], set()).add(pair)
        # The pairs a draw is among: every pair (`pairs: even`), or the two models `pairs: close`
        # drew first.
        self.least = {None: LeastJudged(self.pairs, counts)} | {
            models: LeastJudged([pair for pair in self.pairs if pair[1:] == models], counts)
            for models in self.model_pairs
        }

    def _alike(self, question: str, a: str, b: str) -> bool:
        """Whether the two models' answers to `question` are one text (spaces aside)."""
        return (
            self.answers[a][question]["answer"].strip()
            == self.answers[b][question]["answer"].strip()
        )

    def next(self, rater: str = "") -> dict:
        """The next pair, sides shuffled, as the page shows it: the answers and a token to vote
        with, never the model names. A named `rater` is shown pairs they have not judged first."""
        with self.lock:
            models = next_models(self._ratings(), self.model_pairs, self.config, self.rng)
            judged_by_rater = self.by_rater.get(rater, set())
            question, a, b = self.least[models].draw(self.rng, judged_by_rater)
            left, right = (a, b) if self.rng.random() < 0.5 else (b, a)
            token = secrets.token_urlsafe(16)
            self.shown[token] = (question, left, right)
            if len(self.shown) > MAX_SHOWN:
                self.shown.popitem(last=False)
            judged = len(self.records)
        return {
            "token": token,
            # As asked, without a template's `### Question:` headers (the key may say "[#2]").
            "question": plain_question(self.answers[left][question]["question"]),
            "reference": reference_answer(self.answers, question),
            "left_answer": self.answers[left][question]["answer"],
            "right_answer": self.answers[right][question]["answer"],
            "judged": judged,
        }

    def vote(self, token: str, winner: str, rater: str = "") -> None:
        """Record the judgement on the pair `token` was shown with (and who cast it, when named),
        flushed to disk before this returns; a token counts once. A vote the disk refused
        (OSError) leaves its token unused, so the same pair can be voted on again."""
        if winner not in WINNERS:
            raise TunelabError(f"winner must be one of {sorted(WINNERS)}, got {winner!r}")
        with self.lock:
            if token not in self.shown:
                raise TunelabError(
                    "not a pair this server showed, or one already voted on: ask /api/next"
                )
            self._record(*self.shown[token], winner, rater)
            del self.shown[token]

    def _record(self, question: str, left: str, right: str, winner: str, rater: str) -> None:
        record = {
            "question": question,
            "left": left,
            "right": right,
            "winner": winner,
            "time": time.time(),
            **judged(self.answers, question, left, right),
            **({"rater": rater} if rater else {}),
        }
        append_jsonl(self.votes_path, record)
        self.records.append(record)
        pair = judged_pair(question, left, right)
        if rater:
            self.by_rater.setdefault(rater, set()).add(pair)
        for least in (self.least[None], self.least[pair[1:]]):
            least.judge(pair)

    def _ratings(self) -> dict[str, float]:
        """The Bradley–Terry ratings of the votes so far, fitted again only after a new vote."""
        if self.config.pairs == "close" and self._fit[0] != len(self.records):
            self._fit = (len(self.records), bradley_terry(self.votes()))
        return self._fit[1]

    def votes(self) -> list[Vote]:
        return [(r["left"], r["right"], WINNERS[r["winner"]]) for r in self.records]

    def ratings(self) -> list[dict]:
        questions = [r["question"] for r in self.records]
        facts = question_facts(self.answers, questions)
        return [vars(r) for r in leaderboard(self.votes(), questions=questions, facts=facts)]

    def notes(self) -> list[str]:
        """What the leaderboard says below its table, on the page and in `--results`."""
        notes = [f"Position: {note}" for note in [position_note(self.records)] if note]
        rated = {model for r in self.records for model in (r["left"], r["right"])}
        if unrated := [model for model in self.answers if model not in rated]:
            notes.append(f"No votes yet, so no rating: {', '.join(unrated)}")
        if self.alike:
            earlier = f"; {self.alike_votes} earlier vote(s) on them left out" * bool(
                self.alike_votes
            )
            notes.append(
                f"Not shown: {self.alike} pair(s) whose two answers are the same text (both empty, "
                f"say), where a vote would be a coin flip{earlier}"
            )
        return notes
