"""What eval and compare say about what a test set's fact scores stand on, beside the scores:
rows naming no facts (judged by wording alone), facts guessed from rare words, rows scored by
their tool calls, and facts a row's own question says (an answer repeating it states them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunelab.errors import first_few
from tunelab.evaluate.analysis import NO_FACTS, names_facts
from tunelab.evaluate.facts.normalize_numbers import normalize
from tunelab.evaluate.facts.score import FactCheck
from tunelab.evaluate.facts.stated import Words
from tunelab.evaluate.refusals import marked_off_topic
from tunelab.terminal import n_things


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
        if r.get("calls")
        and not r.get("calls_only")
        and not names_facts(r)
        and not marked_off_topic(r)
    ]
    said = [r for r in rows if not r.get("calls") or names_facts(r) or marked_off_topic(r)]
    unnamed = [
        str(r.get("source") or "?") for r in said if not names_facts(r) and not marked_off_topic(r)
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
    off = sum(not names_facts(r) and marked_off_topic(r) for r in rows)
    said = ""
    if wrong:
        said += f", {wrong} only a wrong answer (scored by hallucination alone)"
    if off:
        refuse = "is marked off-topic (scored by whether it refuses)"
        if off > 1:
            refuse = "are marked off-topic (scored by whether they refuse)"
        said += f", {off} {refuse}"
    return said
