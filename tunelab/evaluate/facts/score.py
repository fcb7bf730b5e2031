"""Fact scoring: does an answer state the facts its question needs, and does it state a known
wrong answer? Token overlap rewards style words; this rewards only the facts.

A test row may carry
    "facts": [["CPU"], ["GPU", "graphics card"], {"regex": "resum(e|ing)"}]
(every entry is one fact; a list gives alternatives, any of which counts) and
    "wrong": ["Yes", "loss.jsonl"]
(phrases whose presence is a hallucination). Phrases match whole words of the answer as
`tunelab.evaluate.facts.answer_words` reads them (numbers whole, negated words not stated); a
`{"regex": ...}` entry or a string starting with `re:` is searched in the raw answer,
case-insensitively."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.data.example import Example
from tunelab.data.files.file_text import DataError
from tunelab.data.shapes import chat_column
from tunelab.data.turns import read_messages
from tunelab.errors import first_few
from tunelab.evaluate.analysis import NO_FACTS, names_facts
from tunelab.evaluate.calls import reply_text
from tunelab.evaluate.facts.asked import affirms, asked_off, asks_what_is_not, denied_by_question
from tunelab.evaluate.facts.normalize_numbers import normalize
from tunelab.evaluate.facts.offered import offered
from tunelab.evaluate.facts.other_value import AskedValues, asked_values, other_values
from tunelab.evaluate.facts.stated import Phrase, Words, states
from tunelab.terminal import n_things


@dataclass
class FactCheck:
    facts: list[list[Phrase]] = field(default_factory=list)  # each fact: its alternatives
    wrong: list[Phrase] = field(default_factory=list)
    # Its question asks what is not ("Which OS is not supported?"): the answer's negations say
    # its facts ("Windows is not supported") and deny none; a clause that affirms what it
    # denies (`denied`'s stems: "Windows is supported") states none.
    negative: bool = False
    denied: frozenset[str] = frozenset()
    # What its question asks is masked, ignored, disabled...: "Which tokens are masked?" is
    # answered "Prompt tokens are masked", which states "prompt" (`asked.asked_off`).
    asked_off: frozenset[str] = frozenset()
    # The values its reference answer gives what its question asks (`other_value`): an answer
    # that gives the same thing another value states something false no wrong phrase names.
    values: AskedValues = field(default_factory=AskedValues)

    def __bool__(self) -> bool:
        # Anything to score an answer by: the values need only the reference, so a test row
        # without facts is still checked for another value (eval skipped it, silently).
        return bool(self.facts or self.wrong or self.values)


def _phrase(value: Any, source: str) -> Phrase:
    if isinstance(value, dict) and set(value) == {"regex"}:
        value = "re:" + str(value["regex"])
    if not isinstance(value, str) or not value.strip():
        raise DataError(
            f'{source}: a fact or wrong phrase must be non-empty text or {{"regex": "..."}}, '
            f"got {value!r}"
        )
    if value.startswith("re:"):
        try:
            return re.compile(value[3:], re.IGNORECASE)
        except re.error as err:
            raise DataError(f"{source}: bad regex {value[3:]!r} ({err})") from None
    if not (words := Words(value)):
        raise DataError(
            f"{source}: fact {value!r} is empty once punctuation and symbols are ignored"
        )
    return words


def parse_fact_check(row: dict[str, Any], source: str) -> FactCheck:
    """The `facts` and `wrong` fields of one test row (absent fields: an empty check). A CSV
    cell holds them as JSON text (`[["CPU"]]`); a near miss of their names is refused, as a row
    so named was scored by its wording alone."""
    for key in row:
        if isinstance(key, str) and key != "facts" and key.strip().lower() in MISNAMED_FACTS:
            raise DataError(f"{source}: column {key!r} is read as nothing: name it 'facts'")
    facts, wrong = (_json_cell(row.get(key), key, source) or [] for key in ("facts", "wrong"))
    if not isinstance(facts, list) or not isinstance(wrong, list):
        raise DataError(f"{source}: 'facts' and 'wrong' must be lists")
    if [] in facts:
        raise DataError(
            f"{source}: fact {facts.index([]) + 1} is an empty list: give it at least one phrase "
            "(its alternatives), or remove it"
        )
    question, reference = _asked_and_replied(row, source)
    return FactCheck(
        facts=[
            [_phrase(alt, source) for alt in (fact if isinstance(fact, list) else [fact])]
            for fact in facts
        ],
        wrong=[_phrase(w, source) for w in wrong],
        negative=asks_what_is_not(question),
        denied=denied_by_question(question),
        asked_off=asked_off(question),
        values=asked_values(reference, question),
    )


_QUESTION_KEYS = ("question", "instruction", "prompt")
_REFERENCE_KEYS = ("answer", "output", "response", "completion")


def _asked_and_replied(row: dict[str, Any], source: str) -> tuple[str, str]:
    """The question and the reference answer's text of a test row in any shape tunelab reads:
    its fields, or its chat as the data stage reads it (`read_messages`): the user text the
    last reply answers, not a Gemini function's result after it (a user turn of
    functionResponse parts), and that reply's text alone, "" where it only calls tools (OpenAI
    writes its content null: it was read as the reference "None")."""
    question = next((row[k] for k in _QUESTION_KEYS if isinstance(row.get(k), str)), None)
    reference = next((row[k] for k in _REFERENCE_KEYS if isinstance(row.get(k), str)), None)
    if (question is None or reference is None) and chat_column(row):
        try:
            chat = Example(messages=read_messages(row, source))
        except DataError:  # the loader refuses the row, or leaves it out (--on-error skip)
            chat = Example()
        question = chat.question if question is None else question
        reference = reply_text(chat) if reference is None else reference
    return question or "", reference or ""


MISNAMED_FACTS = {"fact", "facts", "fact_list", "key_facts"}


def _json_cell(value: Any, key: str, source: str) -> Any:
    """A list written as JSON text (a CSV cell, a spreadsheet export), as the list."""
    if not isinstance(value, str) or not value.strip().startswith("["):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise DataError(f"{source}: '{key}' is not a JSON list ({err.msg})") from None


def read_fact_checks(path: str | Path) -> dict[str, FactCheck]:
    """`file:line` → FactCheck for every row of a test file (or hub dataset) that has facts,
    wrong phrases or a reference that gives values (`FactCheck.__bool__`)."""
    from tunelab.data.load import source_rows

    return fact_checks(source_rows(path, quiet=True))


def fact_checks(rows: Iterable[tuple[str, Any]]) -> dict[str, FactCheck]:
    """`file:line` → FactCheck of each (source, row) read that has something to check."""
    checks = {}
    for source, row in rows:
        if isinstance(row, dict) and (check := parse_fact_check(row, source)):
            checks[source] = check
    return checks


def stated_for(answer: str, phrase: Phrase, check: FactCheck) -> bool:
    """Whether `answer` states `phrase` as its test row's question reads it: plainly (`states`),
    or, where the question asks what is not, said under a negation ("Windows is not supported")
    or in a clause that does not affirm what the question denies ("Windows." but not "Windows
    is supported", nor the wrong "Linux" in "Linux is supported")."""
    asked = check.asked_off
    if not check.negative:
        return states(answer, phrase, asked=asked)
    if not states(answer, phrase, negations=False):
        return False  # not said, or taken back
    if not check.denied or not states(answer, phrase, asked=asked):
        return True  # a negation covers it
    clauses = [c for c in _CLAUSE.split(answer) if c and states(c, phrase, negations=False)]
    return not clauses or not all(affirms(c, check.denied, asked) for c in clauses)


# An answer's clauses, for what each affirms: sentence marks and commas before a space, a new
# line, and the words that turn to a contrast ("Linux is supported but Windows is not"). Not
# english_negation's _CLAUSE_END, which ends a negation's reach at "and": here "and" joins a list
# that one verb affirms ("Linux and macOS are supported").
_CLAUSE = re.compile(
    r"[.;:!?,](?=\s|$)|\n|\b(?:but|however|whereas|while|although|though|yet|except|unlike)\b",
    re.IGNORECASE,
)


def echoed_facts(questions: dict[str, str], checks: dict[str, FactCheck]) -> list[str]:
    """The test rows (`file:line`) with a fact their question says itself, in any alternative:
    an answer that repeats the question states it ("Does tunelab read Parquet?" gives the fact
    "Parquet" to "Tunelab reads Parquet?", right or wrong)."""
    from tunelab.data.markers import plain_question

    echoed = []
    for source, check in checks.items():
        asked = f" {normalize(plain_question(questions.get(source, '')))} "
        if any(
            isinstance(alt, Words) and f" {alt} " in asked for fact in check.facts for alt in fact
        ):
            echoed.append(source)
    return echoed


def echo_note(echoed: list[str]) -> str:
    """What `echoed_facts` found, said to a person, or ""."""
    if not echoed:
        return ""
    return (
        f"{n_things(len(echoed), 'test row')} with a fact its own question says "
        f"({first_few(echoed)}): an "
        "answer that repeats the question states it; give such a row a fact only a right answer "
        "says"
    )


def facts_named_note(rows: list[dict[str, Any]]) -> str:
    """What the scores of a test set whose rows do not all name their facts stand on, with the
    command that proposes them; "" where every on-topic row names some. Only a set naming none
    was said: with facts on 4 rows of 13, token F1 called a finetuned run "ahead" without a word
    that the other 9 were judged by their wording alone. Rows whose reply only calls tools
    ("calls_only") state no facts, and rows whose reply says text beside its calls ("calls")
    and name none have their overlap scores of their calls, their text scored by nothing: both
    are said apart, scored by their calls. Rows whose facts `tunelab data facts` guessed from
    rare words ("facts_from": "reference words") are named too: such words are often style,
    not facts."""
    calls = [str(r.get("source") or "?") for r in rows if r.get("calls_only")]
    beside = [
        str(r.get("source") or "?")
        for r in rows
        if r.get("calls") and not r.get("calls_only") and not names_facts(r) and not _off_topic(r)
    ]
    said = [r for r in rows if not r.get("calls") or names_facts(r) or _off_topic(r)]
    unnamed = [
        str(r.get("source") or "?") for r in said if not names_facts(r) and not _off_topic(r)
    ]
    notes = [_unnamed_note(said, unnamed)] if unnamed else []
    worded = [
        str(r.get("source") or "?")
        for r in said
        if r.get("facts_from") == "reference words" and "fact_accuracy" in r.get("facts", {})
    ]
    if worded:
        # lamini_docs: 12 of the 18 rows scored were "discussion", "relevant", "having",
        # "trouble"..., and fact accuracy read as facts with nothing said.
        facts = sum("fact_accuracy" in r.get("facts", {}) for r in said)
        notes.append(
            f"{len(worded)} of the {facts} rows fact accuracy is over have facts `tunelab data "
            f'facts` guessed from rare words of their reference ("facts_from": "reference '
            f'words": {first_few(worded)}), not from a specific term: often words of its style, '
            "not what the question asks. Review them (write the fact the question asks, then "
            "delete the mark) before reading fact accuracy and recall as facts learned"
        )
    if calls:
        notes.append(
            f"{n_things(len(calls), 'test row')} replying only with tool calls "
            f"({first_few(calls)}): scored by the calls made (exact match and token F1 of the "
            "calls), not by facts (any named are not read), and read by the error analysis by "
            "their calls (wrong_calls), not by the text categories (too_long, misspelling, "
            "off_topic_answer...)"
        )
    if beside:
        notes.append(
            f"{n_things(len(beside), 'test row')} replying with text and tool calls and naming "
            f"no facts ({first_few(beside)}): scored by the calls made (exact match and token F1 "
            "of the calls); the text beside the calls is scored by nothing (name the facts it "
            "must state to score it)"
        )
    return ". ".join(notes)


def _off_topic(row: dict[str, Any]) -> bool:
    """Whether a scored row's test row is marked off-topic: scored by whether it refuses."""
    return bool((row.get("refusal") or {}).get("off_topic"))


def _unnamed_note(rows: list[dict[str, Any]], unnamed: list[str]) -> str:
    test = unnamed[0].rpartition(":")[0] or "TEST.jsonl"
    propose = f"`tunelab data facts {test} -o {Path(test).stem}_facts.jsonl` proposes them"
    proposed = any(r.get("facts_from") for r in rows)
    if proposed:
        # The file is `data facts`' own output: run again, it proposed none for them again.
        propose = "`tunelab data facts` found none to propose for them: write theirs by hand"
    if not any(names_facts(r) for r in rows):
        return (
            f"{NO_FACTS}: token F1 and ROUGE-L reward "
            f"wording, not correctness. {propose} from the reference answers, for you to review"
        )
    facts = sum("fact_accuracy" in r.get("facts", {}) for r in rows)
    return (
        f"{len(unnamed)} of {len(rows)} test rows name neither facts nor a wrong answer "
        f"({first_few(unnamed)}): fact accuracy is over the {facts} that "
        f"{'names' if facts == 1 else 'name'} facts"
        + _others_said(rows)
        + f", and {'that one is' if len(unnamed) == 1 else f'those {len(unnamed)} are'} judged "
        "by wording alone (token F1 and ROUGE-L reward wording, not correctness). "
        + propose
        + ("" if proposed else ", keeping the rows that name some")
    )


def _others_said(rows: list[dict[str, Any]]) -> str:
    """The rest of the rows `_unnamed_note` counts, so that its counts add up: those that name a
    wrong answer and no fact, and those marked off-topic. "5 of 30 name no facts: fact accuracy
    is over the 9 that do" left 16 of lamini_docs' rows unsaid (13 naming a wrong answer alone,
    3 off-topic)."""
    wrong = sum(names_facts(r) and "fact_accuracy" not in r.get("facts", {}) for r in rows)
    off = sum(not names_facts(r) and _off_topic(r) for r in rows)
    said = ""
    if wrong:
        said += f", {wrong} only a wrong answer (scored by hallucination alone)"
    if off:
        refuse = "is marked off-topic (scored by whether it refuses)"
        if off > 1:
            refuse = "are marked off-topic (scored by whether they refuse)"
        said += f", {off} {refuse}"
    return said


def score_facts(answer: str, check: FactCheck) -> dict[str, float]:
    """fact_recall (share of facts stated), fact_accuracy (all stated and no wrong phrase:
    "8, 16, 32 or 64" does not know it is 16, nor "8-16 GB" that it is 16 GB), hallucination
    (a wrong phrase stated, `wrong_stated`: "8 or 16" states no wrong 8), other_value (gives
    what is asked a value its reference does not, `other_value_stated`); a key is absent when
    the row gives nothing to score it by."""
    out: dict[str, float] = {}
    hallucinated = bool(wrong_stated(answer, check))
    if check.facts:
        stated = facts_stated(answer, check)
        out["fact_recall"] = sum(stated) / len(stated)
        out["fact_accuracy"] = float(all(stated) and not hallucinated)
    if check.wrong:
        out["hallucination"] = float(hallucinated)
    if check.values:
        out["other_value"] = float(bool(other_value_stated(answer, check)))
    return out


def facts_stated(answer: str, check: FactCheck) -> list[bool]:
    """For each fact of the row, whether the answer states it (in any alternative), and not
    only as one value of a choice or an end of a range it offers."""
    expected = _expected(check)
    return [
        any(stated_for(answer, alt, check) for alt in fact) and not offered(answer, fact, expected)
        for fact in check.facts
    ]


def _expected(check: FactCheck) -> list[Words]:
    return [alt for f in check.facts for alt in f if isinstance(alt, Words)]


def shown_phrase(phrase: Phrase) -> str:
    """A phrase as reports show it, and as `stated_in` reads it back: a regex as "re:<pattern>"."""
    if isinstance(phrase, re.Pattern):
        return "re:" + phrase.pattern
    return getattr(phrase, "written", phrase)


def stated_in(shown: list[str], texts: list[str]) -> dict[str, list[int]]:
    """For each phrase as `missed_facts` and `missed_alternatives` show it, the indices of the
    `texts` that state it: a fact an answer missed is either in the training answers (the model
    did not learn it) or in none of them (nothing taught it)."""
    phrases = {s: _phrase(s, "missed fact") for s in dict.fromkeys(shown)}
    found: dict[str, list[int]] = {s: [] for s in phrases}
    for i, text in enumerate(texts):  # text by text: `states` normalizes each once (its cache)
        for s, phrase in phrases.items():
            if states(text, phrase):
                found[s].append(i)
    return found


def missed_facts(answer: str, check: FactCheck) -> list[str]:
    """The facts an answer did not state, each shown by its first alternative."""
    return [alternatives[0] for alternatives in missed_alternatives(answer, check)]


def missed_alternatives(answer: str, check: FactCheck) -> list[list[str]]:
    """The facts an answer did not state (`facts_stated`: "16 or 32" misses 32), each with all
    its alternatives as shown."""
    return [
        [shown_phrase(alt) for alt in fact]
        for fact, stated in zip(check.facts, facts_stated(answer, check))
        if not stated
    ]


def wrong_stated(answer: str, check: FactCheck) -> list[str]:
    """The wrong phrases an answer states, as facts are: a wrong value offered as one of a
    choice or an end of a range ("8000 or 8080", "8-16 GB") is not stated, as no value of it is
    (the answer commits to none: it misses its facts, it states no wrong one)."""
    expected = _expected(check)
    return [
        shown_phrase(w)
        for w in check.wrong
        if stated_for(answer, w, check) and not offered(answer, [w], expected)
    ]


def other_value_stated(answer: str, check: FactCheck) -> list[str]:
    """The values, as written, that an answer gives what its row's question asks where its
    reference gives another ("1.00" of "The learning rate warmup by default is 1.00" where the
    reference says 0.05): `tunelab.evaluate.facts.other_value`."""
    return other_values(answer, check.values, check.facts)
