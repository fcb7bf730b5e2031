"""Rows that use a trained fact otherwise than as asked: the fact asked from its other end
("Which setting defaults to 32?", answered by the fact's own answer) and two facts of one topic
asked at once (their answers joined). A small model that states a fact when asked as trained
does not look it up by its value, nor join two, unless it was trained to (Allen-Zhu & Li,
"Physics of Language Models 3.2"; Berglund et al., "the reversal curse"): such questions need
rows of their own."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from tunelab.data.generate.asked import AskedLog
from tunelab.data.generate.augment.new_rows import (
    asked_questions,
    in_frame,
    source_key,
    system_column,
)
from tunelab.data.generate.augment.rewrite_checks import names_unseen
from tunelab.data.markers import plain_question
from tunelab.data.text import STOPWORDS, stems

REVERSE_PROMPT = """Below is a question and its answer. Write {n} questions that give the value \
the answer states and ask what has that value (which setting, command, file or option), so that \
the answer below answers them. Do not name what the first question asks about. Keep names, \
commands, numbers and code exactly as written.
Reply with only JSON, like {{"questions": ["...", "..."]}}, with {n} questions.

Question: {question}
Answer: {answer}"""

COMBINE_PROMPT = """Write {n} different questions, each asking both of the questions below at \
once, in one sentence. Keep names, commands, numbers and code exactly as written.
Reply with only JSON, like {{"questions": ["...", "..."]}}, with {n} questions.

First question: {first}
Second question: {second}"""

# The forms of an answer that state a setting's default: "X defaults to V", "The default X is V",
# "X is V by default"; a clause after the value (", so ...", "; set ...") is not part of it, but
# a colon or comma inside it is ("06:00", "1,000": "Which setting defaults to 06?" was asked).
_REST = r"(?:\s*[;:,](?=\s).*|\s*\(.*|\s+(?:and|so|which|when|but|for)\s.*)?\.?"
_FORMS = [
    re.compile(rf"^(?P<subject>.+?) defaults to (?P<value>.+?){_REST}$"),
    re.compile(rf"^the default (?P<subject>.+?) is (?P<value>.+?){_REST}$", re.IGNORECASE),
    re.compile(rf"^(?P<subject>.+?) (?:is|are) (?P<value>.+?) by default{_REST}$"),
]
_PRONOUNS = {"it", "this", "that", "they", "there", "one"}
_MAX_WORDS = 5  # a longer subject or value is a sentence, not a setting's name or value

REVERSED = [
    "Which {noun} defaults to {value}?",
    "What has a default of {value}?",
    "If I leave it unset, which {noun} ends up as {value}?",
    "{value} is the default of which {noun}?",
]


@dataclass(frozen=True)
class Default:
    """What an answer says defaults to what: `subject` ("LoRA alpha", "data.max_length") and
    `value` ("32", "512 tokens")."""

    subject: str
    value: str

    @property
    def noun(self) -> str:
        """What the subject is, for a question that must not name it: a dotted config key's
        section ("data setting"), else "setting"."""
        section, dot, _ = self.subject.partition(".")
        return f"{section} setting" if dot and section.isidentifier() else "setting"


def stated_default(answer: str) -> Default | None:
    """The default an answer states in one of the recognised forms, or None."""
    text = " ".join(answer.split())
    for form in _FORMS:
        if m := form.match(text):
            subject = re.sub(r"^the\s+", "", m["subject"], flags=re.IGNORECASE)
            value = m["value"]
            words = subject.split()
            if (
                not words
                or words[-1].lower() in _PRONOUNS
                or re.search(r"[;:,]", subject)
                or len(words) > _MAX_WORDS
                or len(value.split()) > _MAX_WORDS
                # "Gradients are clipped to 1.0 by default" states an action, not a value
                or value.split()[0].endswith("ed")
            ):
                return None
            return Default(subject, value)
    return None


def _value_key(value: str) -> str:
    """A default's value as another fact's is compared with it: case aside, each number as its
    number ("0" is "0.0", "2e-4" is "0.0002")."""

    def number(m: re.Match) -> str:
        try:
            return repr(float(m[0]))
        except ValueError:  # "1.2.3", a version: its digits as written
            return m[0]

    return re.sub(r"\d[\d.]*(?:e-?\d+)?", number, value.lower())


def ambiguous_values(answers: list[str]) -> set[tuple[str, str]]:
    """The defaults more than one setting states, as a question asks them: (noun, value) where
    two settings of one noun state the value ("Which setting defaults to 0?" of the temperature's
    0 and weight_decay's 0.0), ("", value) where any two do ("What has a default of auto?" of
    model.dtype, train.device and data.shape)."""
    stated = {
        (d.subject.lower(), d.noun, _value_key(d.value))
        for a in dict.fromkeys(answers)
        if (d := stated_default(a))
    }
    by_noun = Counter((noun, value) for _, noun, value in stated)
    by_value = Counter(value for _, _, value in stated)
    return {asked for asked, n in by_noun.items() if n > 1} | {
        ("", value) for value, n in by_value.items() if n > 1
    }


def rule_reversals(
    answer: str, n: int, ambiguous: set[tuple[str, str]] = frozenset()
) -> list[str] | None:
    """Up to `n` questions asking the default `answer` states from its value; None when the
    answer states no default in a form the rules know, or each question would fit another
    fact's default as well (a question naming no noun is asked only of a value no other
    setting has)."""
    default = stated_default(answer)
    if default is None:
        return None
    value = _value_key(default.value)
    asked = [
        q.format(noun=default.noun, value=default.value)
        for q in REVERSED
        if ((default.noun if "{noun}" in q else ""), value) not in ambiguous
    ][:n]
    return [q[0].upper() + q[1:] for q in asked] or None


def combined_question(first: str, second: str) -> str:
    """Two questions asked as one: "What is the default LoRA rank, and what does LoRA alpha
    default to?"."""
    one, two = (plain_question(q).strip().rstrip("?").strip() for q in (first, second))
    return f"{one}, and {two[:1].lower()}{two[1:]}?"


def combined_answer(first: str, second: str) -> str:
    return f"{first.strip()} {second.strip()}"


def topic_words(questions: list[str]) -> set[str]:
    """The stemmed content words more than half of a fact's questions use: what it is about."""
    counts = Counter(w for q in questions for w in set(stems(q, STOPWORDS)))
    return {w for w, n in counts.items() if 2 * n > len(questions)}


def topic_pairs(facts: list[tuple[str, list[str]]]) -> list[tuple[int, int]]:
    """Pairs of neighbouring facts (answer, its questions), in file order, that share a topic
    word: a file written by topic keeps a topic's facts together, and a question asking two
    unrelated facts at once is one nobody asks."""
    topics = [topic_words(questions) for _, questions in facts]
    return [(i, i + 1) for i in range(len(facts) - 1) if topics[i] & topics[i + 1]]


# What decides a fact's (or a pair's) new questions and which are kept: asked under other
# settings, one that kept none is asked again (one that kept some is done by its rows).
ASKED_UNDER = (
    "mode", "model", "endpoint", "temperature", "max_new_tokens", "test", "max_test_similarity",
)  # fmt: skip
ASKED_KEY = ("source_key", *ASKED_UNDER, "asked_for")


def related_todo(examples, cfg, done: set[str], log: AskedLog, stats) -> tuple[list, list]:
    """The groups `tunelab data augment --reverse N --combine N` still asks about, each with its
    record for `log`: per fact (the rows sharing one answer) to reverse, and per pair of
    neighbouring facts of one topic to combine. An earlier run's groups are left out: those
    with rows (`done`) and those `log` says kept none. Known before any model is loaded, so a
    resumed run with none left loads none."""
    facts: dict[str, list] = {}
    for ex in examples:
        facts.setdefault(ex.answer, []).append(ex)
    settings = {name: getattr(cfg, name) for name in ASKED_UNDER}

    def to_ask(key: str, n: int) -> dict | None:
        """The record of a group still to ask; None for one an earlier run did."""
        record = {"source_key": key, **settings, "asked_for": n}
        if key in done:
            return None
        if log.kept_nothing(record):
            stats.asked_before += 1
            return None
        return record

    # Questions that share no topic word (off-topic rows sharing a refusal) ask no one fact.
    topical = {a: rows for a, rows in facts.items() if topic_words([ex.question for ex in rows])}
    if len(topical) < len(facts):
        why = "facts whose questions share no topic word: not reversed or combined"
        stats.dropped[why] += len(facts) - len(topical)
    reverse = [
        (record, rows)
        for rows in topical.values()
        if cfg.reverse and (record := to_ask(_key("reverse", rows[0]), cfg.reverse))
    ]
    groups = list(topical.values())
    pairs = topic_pairs([(rows[0].answer, [ex.question for ex in rows]) for rows in groups])
    combine = [
        (record, (groups[i], groups[j]))
        for i, j in pairs
        if cfg.combine
        and (record := to_ask(_key("combine", groups[i][0], groups[j][0]), cfg.combine))
    ]
    return reverse, combine


def related_rows(
    todo: tuple[list, list], examples, cfg, llm, keep, stats
) -> Iterator[tuple[dict | None, list[dict]]]:
    """Rows for the groups `related_todo` found: per fact its reversed questions, per pair its
    combined ones. Each group is one list, to be written at once, with its record for the log
    once it is (None when no question was read: a bad reply may pass when asked again).
    `keep(question, strays=...)` drops a junk, leaking or repeated question and counts it."""
    reverse, combine = todo
    if not reverse and not combine:
        return  # nothing asked: no model was loaded, whose name no row needs
    generator = "rules" if cfg.mode == "rules" else llm.name
    if reverse:
        ambiguous = ambiguous_values(list(dict.fromkeys(ex.answer for ex in examples)))
        for start in range(0, len(reverse), cfg.batch_size):
            batch = reverse[start : start + cfg.batch_size]
            facts_asked = [rows for _, rows in batch]
            for (record, rows), asked in zip(
                batch, _reversals(facts_asked, cfg, llm, ambiguous, stats)
            ):
                first = rows[0]
                grounds = f"{first.question}\n{first.answer}"
                kept = [q for q in asked[: cfg.reverse] if keep(q, strays=names_unseen(q, grounds))]
                stats.reversed += len(kept)
                yield (record if asked else None), [
                    {**system_column(first), "question": in_frame(first.question, q),
                     "answer": first.answer,
                     "meta": {"source": first.source, "source_key": _key("reverse", first),
                              "generator": generator, "kind": "reverse",
                              "original_question": first.question}}
                    for q in kept
                ]  # fmt: skip
    for start in range(0, len(combine), cfg.batch_size):
        batch = combine[start : start + cfg.batch_size]
        pairs_asked = [pair for _, pair in batch]
        for (record, (one, two)), asked in zip(batch, _combinations(pairs_asked, cfg, llm, stats)):
            grounds = "\n".join(f"{ex.question}\n{ex.answer}" for ex in (one[0], two[0]))
            kept = [q for q in asked[: cfg.combine] if keep(q, strays=names_unseen(q, grounds))]
            stats.combined += len(kept)
            yield (record if asked else None), [
                {**system_column(one[0], two[0]), "question": in_frame(one[0].question, q),
                 "answer": combined_answer(one[0].answer, two[0].answer),
                 "meta": {"sources": [one[0].source, two[0].source],
                          "source_key": _key("combine", one[0], two[0]),
                          "generator": generator, "kind": "combined",
                          "original_questions": [one[0].question, two[0].question]}}
                for q in kept
            ]  # fmt: skip
    stats.written += stats.reversed + stats.combined


def _key(kind: str, *examples) -> str:
    return f"{kind}:" + "+".join(source_key(ex.question, ex.answer) for ex in examples)


def _reversals(batch, cfg, llm, ambiguous, stats) -> list[list[str]]:
    if cfg.mode == "rules":
        out = []
        for rows in batch:
            asked = rule_reversals(rows[0].answer, cfg.reverse, ambiguous)
            if asked is None:
                why = (
                    "another fact's answer states the same default"
                    if stated_default(rows[0].answer)
                    else "no default the rules know (X defaults to V) in the answer reversed"
                )
                # Counted by the noun, said as many ("dropped 1 reversed question: ..."): "its
                # answer" of 28 questions read wrong.
                stats.dropped[("reversed question", why)] += cfg.reverse
            out.append(asked or [])
        return out
    asks = [
        [{"role": "user", "content": REVERSE_PROMPT.format(
            n=cfg.reverse, question=plain_question(rows[0].question), answer=rows[0].answer)}]
        for rows in batch
    ]  # fmt: skip
    return asked_questions(asks, cfg.reverse, cfg, llm, stats)


def _combinations(batch, cfg, llm, stats) -> list[list[str]]:
    if cfg.mode == "rules":
        return [
            [combined_question(one[i % len(one)].question, two[i % len(two)].question)
             for i in range(cfg.combine)]
            for one, two in batch
        ]  # fmt: skip
    asks = [
        [{"role": "user", "content": COMBINE_PROMPT.format(
            n=cfg.combine, first=plain_question(one[0].question),
            second=plain_question(two[0].question))}]
        for one, two in batch
    ]  # fmt: skip
    return asked_questions(asks, cfg.combine, cfg, llm, stats)
