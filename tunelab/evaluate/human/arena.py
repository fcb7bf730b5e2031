"""Human evaluation in a browser: a person sees a question and two models' answers side by side,
unlabelled and in random order, and picks the better one (or a tie, or both bad). Votes are
appended to a JSONL file as they come (nothing is lost if the server stops), and the leaderboard
page rates the models with Bradley–Terry and Elo (tunelab.evaluate.human.ratings).

The page never learns which model wrote which answer: it gets an opaque one-time token for each
pair shown, and the server alone remembers the question and the models on each side. A vote
names the token, so only a pair that was shown can be voted on, and only once.

The answers come from files `tunelab eval` or `tunelab compare` already wrote (human.answers), so
rating never waits on generation."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import Counter, OrderedDict
from itertools import combinations
from pathlib import Path

from tunelab.data.files.jsonl_files import append_jsonl
from tunelab.data.markers import plain_question
from tunelab.errors import TunelabError
from tunelab.evaluate.human.answers import (
    distinct_pairs,
    question_facts,
    reference_answer,
    same_text,
    shared_questions,
)
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
    raters_note,
    read_votes,
)

# Pairs shown and not yet voted on that the server remembers; past this the oldest is forgotten
# (a judge who opened many tabs), so asking for pairs in a loop cannot fill the memory.
MAX_SHOWN = 1000


class NotYourVote(TunelabError):
    """An undo of a vote another rater cast (the page's API answers 403)."""


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
        self.pairs = distinct_pairs(answers, every_pair)
        self.alike = len(every_pair) - len(self.pairs)
        self.model_pairs = list(dict.fromkeys(pair[1:] for pair in self.pairs))
        self._changes = 0  # votes cast or undone here: the ratings are fitted again after one
        self._fit: tuple[int, dict[str, float]] = (-1, {})  # at which change, the ratings
        self.shown: OrderedDict[str, tuple[str, str, str]] = OrderedDict()  # token: q, left, right
        self.lock = threading.Lock()  # FastAPI runs the handlers on several threads
        if votes_path.is_dir():  # read as no votes, and every vote then failed to be written
            raise TunelabError(f"{votes_path} is a folder: --votes takes a file (inside it, say)")
        earlier = read_votes(votes_path)
        self.records = [r for r in earlier if on_these_answers(r, answers)]
        self.other_votes = len(earlier) - len(self.records)
        self.records = [r for r in self.records if not same_text(answers, *judged_pair(*_sides(r)))]
        self.alike_votes = len(earlier) - self.other_votes - len(self.records)
        counts = Counter(judged_pair(*_sides(r)) for r in self.records)
        # The pairs each named rater judged (and how often), so a restart still shows them other
        # pairs first and tells them their own count.
        self.by_rater: dict[str, Counter[QuestionPair]] = {}
        for r in self.records:
            if r.get("rater"):
                self.by_rater.setdefault(r["rater"], Counter())[judged_pair(*_sides(r))] += 1
        # The pairs a draw is among: every pair (`pairs: even`), or the two models `pairs: close`
        # drew first.
        self.least = {None: LeastJudged(self.pairs, counts)} | {
            models: LeastJudged([pair for pair in self.pairs if pair[1:] == models], counts)
            for models in self.model_pairs
        }

    def next(self, rater: str = "", skipped: QuestionPair | None = None) -> dict:
        """The next pair, sides shuffled, as the page shows it: the answers and a token to vote
        with, never the model names. A named `rater` is shown pairs they have not judged first,
        told how many they judged (`yours`; `judged` is everyone's) and when this pair is one of
        them (`repeat`: they have judged every pair the draw was among). Not the pair `skipped`
        while another is left."""
        with self.lock:
            models = next_models(self._ratings(), self.model_pairs, self.config, self.rng)
            mine = self.by_rater.get(rater, Counter()) if rater else Counter()
            passed = mine.keys() | {skipped} if skipped else mine.keys()
            question, a, b = self.least[models].draw(self.rng, passed)
            left, right = (a, b) if self.rng.random() < 0.5 else (b, a)
            return self._show(question, left, right, mine)

    def _show(self, question: str, left: str, right: str, mine: Counter[QuestionPair]) -> dict:
        """The pair as the page shows it, under a new token (called holding the lock)."""
        token = secrets.token_urlsafe(16)
        self.shown[token] = (question, left, right)
        if len(self.shown) > MAX_SHOWN:
            self.shown.popitem(last=False)
        return {
            "token": token,
            # As asked, without a template's `### Question:` headers (the key may say "[#2]").
            "question": plain_question(self.answers[left][question]["question"]),
            "reference": reference_answer(self.answers, question),
            "left_answer": self.answers[left][question]["answer"],
            "right_answer": self.answers[right][question]["answer"],
            "judged": len(self.records),
            "yours": sum(mine.values()),
            "repeat": judged_pair(question, left, right) in mine,
        }

    def skip(self, token: str, rater: str = "") -> dict:
        """Another pair in place of the one `token` was shown with, which can no longer be voted
        on; nothing is recorded (a pair a rater cannot judge is no vote)."""
        with self.lock:
            shown = self.shown.pop(token, None)
        return self.next(rater, judged_pair(*shown) if shown else None)

    def undo(self, vote_id: str = "", rater: str = "") -> dict:
        """Take back the vote `vote_id` (the id `vote` returned to the page that cast it), or
        without one the latest vote `rater` cast that still stands: kept here, not in the page,
        so a reloaded page (or a restarted server) still takes back a named rater's votes one
        by one. A vote cast with a name is undone only under that name (`NotYourVote`). An undo
        record is appended, as votes are, and the vote no longer counts here or after a restart
        (`read_votes`). Returns its pair again, to judge anew."""
        with self.lock:
            record = self._vote_to_undo(vote_id, rater)
            append_jsonl(self.votes_path, {"undo": record["id"], "time": time.time()})
            self.records.remove(record)
            self._count(judged_pair(*_sides(record)), record.get("rater", ""), -1)
            mine = self.by_rater.get(rater, Counter()) if rater else Counter()
            return self._show(*_sides(record), mine)

    def _vote_to_undo(self, vote_id: str, rater: str) -> dict:
        """The standing vote `undo` takes back (called holding the lock)."""
        if vote_id:
            record = next((r for r in self.records if r.get("id") == vote_id), None)
            if record is None:
                raise TunelabError("not a vote this server took, or one already undone")
            # A named rater's vote is theirs alone to take back: an id from another page (or
            # from the votes file) undid it. A vote cast without a name is anyone's.
            owner = record.get("rater", "")
            if owner and owner != rater:
                asker = f"this undo names {rater!r}" if rater else "this undo names no rater"
                raise NotYourVote(
                    f"that vote was cast by {owner!r} and {asker}: a rater undoes only their own "
                    'votes (type the name it was cast under on the page, or send it as "rater")'
                )
            return record
        if not rater:
            raise TunelabError("say whose last vote to undo: give a rater name, or the vote's id")
        # A vote written before votes had ids cannot be named by an undo record: not one of them.
        mine = (r for r in reversed(self.records) if r.get("rater") == rater and r.get("id"))
        record = next(mine, None)
        if record is None:
            raise TunelabError(f"no vote of {rater!r} left to undo")
        return record

    def vote(self, token: str, winner: str, rater: str = "") -> str:
        """Record the judgement on the pair `token` was shown with (and who cast it, when named),
        flushed to disk before this returns; a token counts once. A vote the disk refused
        (OSError) leaves its token unused, so the same pair can be voted on again. Returns the
        vote's id, to `undo` it with."""
        if winner not in WINNERS:
            raise TunelabError(f"winner must be one of {sorted(WINNERS)}, got {winner!r}")
        with self.lock:
            if token not in self.shown:
                raise TunelabError(
                    "not a pair this server showed, or one already voted on: ask /api/next"
                )
            vote_id = self._record(*self.shown[token], winner, rater)
            del self.shown[token]
        return vote_id

    def _record(self, question: str, left: str, right: str, winner: str, rater: str) -> str:
        record = {
            "id": secrets.token_urlsafe(12),
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
        self._count(judged_pair(question, left, right), rater, 1)
        return record["id"]

    def _count(self, pair: QuestionPair, rater: str, by: int) -> None:
        """Count a vote on `pair` cast (by=1) or undone (-1) in the draw and the rater's count."""
        self._changes += 1
        if rater:
            self.by_rater.setdefault(rater, Counter())[pair] += by
            if not self.by_rater[rater][pair]:  # undone: theirs to be shown first again
                del self.by_rater[rater][pair]
        for least in (self.least[None], self.least[pair[1:]]):
            least.judge(pair, by)

    def _ratings(self) -> dict[str, float]:
        """The Bradley–Terry ratings of the votes so far, fitted again only after a new vote."""
        if self.config.pairs == "close" and self._fit[0] != self._changes:
            self._fit = (self._changes, bradley_terry(self.votes()))
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
        if raters := raters_note(self.records):
            notes.append(raters)
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
