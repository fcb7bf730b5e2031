"""Off-topic questions: does the model refuse what it should, and only that? A test row marked
`"kind": "off_topic"` holds in its reference answer the refusal the model was taught ("I can only
answer questions about tunelab."). An answer refuses when it says one of the set's refusals,
case and punctuation aside; off-topic rows are scored by it (higher is better), the others by the
same test (a refusal of an on-topic question: lower is better)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tunelab.errors import TunelabError
from tunelab.evaluate.metrics import normalize

OFF_TOPIC = "off_topic"
OFF_TOPIC_RATE, ON_TOPIC_RATE = "refusal_rate_off_topic", "refusal_rate_on_topic"


@dataclass(frozen=True)
class Refusals:
    """The off-topic rows of a test set (by `file:line`) and the refusals their answers hold."""

    off_topic: frozenset[str]
    texts: tuple[str, ...]  # normalized
    # Of the off-topic rows, those that name no kind but whose reference is a canned refusal
    # (`canned_refusals`, as `tunelab data facts` marks them): (source, reference answer).
    canned: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of_rows(cls, rows: Iterable[tuple[str, Any, str]], taught: Iterable[str] = ()) -> Refusals:
        """From (source, raw row, reference answer) triples: the rows marked off-topic, and
        those naming no kind, facts or wrong answer whose answer is a canned refusal (a set
        that has not been through `tunelab data facts`; counted with the training answers
        `taught`), and their answers."""
        rows = list(rows)
        off, texts, canned = set(), [], []
        answers = [a for *_, a in rows]
        for (source, row, answer), declines in zip(rows, canned_refusals(answers, taught)):
            row = row if isinstance(row, dict) else {}
            kind = row.get("kind")
            if kind != OFF_TOPIC and _misspelled(kind):
                raise TunelabError(
                    f'{source}: "kind": {kind!r} is not "{OFF_TOPIC}": the row would be scored as '
                    f'an ordinary question, not one to refuse; write "{OFF_TOPIC}"'
                )
            if declines and not (kind or row.get("facts") or row.get("wrong")):
                kind = OFF_TOPIC
                canned.append((source, answer))
            if kind == OFF_TOPIC:
                off.add(source)
                if (text := normalize(answer)) and text not in texts:
                    texts.append(text)
        return cls(frozenset(off), tuple(texts), tuple(canned))

    def canned_note(self) -> str:
        """What eval says of the rows it scores as refusals though they name no kind, or ""."""
        if not self.canned:
            return ""
        said = Counter(answer.strip() for _, answer in self.canned)
        replies = ", ".join(f"{reply!r} x{n}" for reply, n in said.most_common(2))
        more = f" and {len(said) - 2} more replies" if len(said) > 2 else ""
        return (
            f'{len(self.canned)} test rows name no "kind" but answer with a refusal given alike to '
            f"{CANNED_ROWS} rows or more, or one that asks to keep to the subject ({replies}{more}): "
            "they are scored as off-topic rows "
            "(whether the answer refuses), not by their words, as `tunelab data facts` marks "
            'them; give such a row a "kind" other than "off_topic" or facts to score it otherwise'
        )

    def refuses(self, answer: str) -> bool:
        said = f" {normalize(answer)} "  # whole words: a refusal "No." is not in "know"
        return any(f" {text} " in said for text in self.texts)

    def fields(self, source: str, answer: str) -> dict[str, Any]:
        """A scored row's refusal fields; none where the set has no off-topic row."""
        if not self.texts:
            return {}
        return {"refusal": {"off_topic": source in self.off_topic, "refused": self.refuses(answer)}}


def _misspelled(kind: Any) -> bool:
    """Whether `kind` is off_topic spelled otherwise ("off-topic", "offtopic", "Off_Topic"),
    which was read as no kind at all: no refusal scores, the row scored as an ordinary one."""
    return isinstance(kind, str) and re.sub(r"[\W_]+", "", kind.lower()) == "offtopic"


def marked_off_topic(row: dict[str, Any]) -> bool:
    """Whether a scored row's test row is marked off-topic (`Refusals.fields`): its reference is
    the refusal, and it is scored by whether the answer refuses."""
    return bool((row.get("refusal") or {}).get("off_topic"))


def row_refusal(row: dict[str, Any], key: str) -> float | None:
    """A row's score under OFF_TOPIC_RATE or ON_TOPIC_RATE; None where the key is not its kind."""
    refusal = row.get("refusal")
    if refusal is None or refusal["off_topic"] != (key == OFF_TOPIC_RATE):
        return None
    return float(refusal["refused"])


# A reply that asks the user to keep to the subject ("Let's keep the discussion relevant to
# Lamini.", "Please stay on topic."): it declines whatever the question, however few rows give it
# (twice in a 120-row sample of lamini_docs, it got the facts "discussion" and "relevant").
_KEEPS_TO_SUBJECT = (
    r"keep (?:discussion|conversation|questions?|things) (?:relevant|related|focused) to|"
    r"(?:stay|stick|keep) (?:on|to) topic"
)
# A reply that declines the question rather than answers it, read after `normalize` (no
# punctuation: "can't" is "cant", "I'm" "im"): it keeps to its subject (above, or "This
# documentation only talks about ..."), cannot help or say ("Sorry I can't reveal that
# information"), or did not understand ("I'm having trouble understanding you").
_DECLINES = re.compile(
    rf"\b(?:{_KEEPS_TO_SUBJECT}|"
    r"only (?:talks? about|answers?|discuss\w*|covers?)|can only (?:answer|help|talk|discuss)|"
    r"(?:cannot|cant|can not|unable to|not able to) (?:answer|help|reveal|share|discuss|provide)|"
    r"(?:outside|beyond) (?:my|scope)|(?:trouble|difficulty) understanding|"
    r"(?:dont|do not|didnt|did not) understand)\b"
)
_KEEPS = re.compile(rf"\b(?:{_KEEPS_TO_SUBJECT})\b")
# A reply given alike to this many rows or more, of at most so many words, is a canned one.
CANNED_ROWS, CANNED_WORDS = 3, 25


def canned_refusals(answers: list[str], taught: Iterable[str] = ()) -> list[bool]:
    """Which of `answers` decline the question with a short reply given alike to `CANNED_ROWS`
    rows or more, of `answers` and `taught` (the training answers beside them): the refusals a
    set without `"kind"` teaches (lamini_docs' "Let's keep the discussion relevant to Lamini.",
    39 rows), which were scored by their rare words ("trouble understanding") as facts, not as
    refusals. A split holds out one or two of them, so the training rows count too. A reply said
    once or twice, or a long answer that says what a product only covers, is an answer, unless
    it asks to keep to the subject (`_KEEPS_TO_SUBJECT`)."""
    texts = [normalize(answer) for answer in answers]
    said = Counter(texts) + Counter(normalize(answer) for answer in taught)
    return [
        (said[text] >= CANNED_ROWS or bool(_KEEPS.search(text))) and declines(text)
        for text in texts
    ]


def declines(text: str) -> bool:
    """Whether `text`, read after `normalize`, is a short reply that declines the question (of
    at most `CANNED_WORDS` words), however many rows give it."""
    return len(text.split()) <= CANNED_WORDS and bool(_DECLINES.search(text))
