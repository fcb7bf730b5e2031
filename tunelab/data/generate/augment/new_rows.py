"""What every kind of row `data augment` writes shares (a rewrite, augment_rows.py; a reversed or
combined fact, reverse.py): the key of the row it came from, its system prompt, its question in
its original's frame, and the questions a model wrote for it, read from its reply."""

from __future__ import annotations

import hashlib
import json
import re

from tunelab.data.example import Example
from tunelab.data.generate.llm import LLM, QUESTION_TEXT, Conversation
from tunelab.data.markers import plain_question


def source_key(question: str, answer: str) -> str:
    """The key of the row a new row was written from (its meta.source_key), which a resume reads."""
    return hashlib.sha1(f"{question}\x00{answer}".encode()).hexdigest()[:16]


def system_column(*examples: Example) -> dict[str, str]:
    """The `system` column of a row written from `examples`: the system prompt their rows are
    asked under (a row's own goes with its rewrites), none where they have none or differ."""
    systems = {ex.system for ex in examples}
    return {"system": systems.pop()} if len(systems) == 1 and None not in systems else {}


def in_frame(original: str, rewrite: str) -> str:
    """A rewrite in the `### Question:` headers its original carries (lamini_docs' rows do):
    the data set keeps one prompt format."""
    core = plain_question(original)
    return original.replace(core, rewrite, 1) if core and core != original.strip() else rewrite


def asked_questions(asks: list[Conversation], n: int, cfg, llm: LLM, stats) -> list[list[str]]:
    """The questions the model wrote for each ask (`n` asked for), its replies counted."""
    replies = llm.complete(asks, cfg.temperature, schema=questions_schema(n))
    asked = [parse_questions(reply) for reply in replies]
    stats.replies += len(replies)
    stats.unparsed += sum(not questions for questions in asked)
    return asked


def questions_schema(n: int) -> dict:
    """A local model's reply under it: {"questions": [1 to n strings]}."""
    questions = {"type": "array", "items": QUESTION_TEXT, "minItems": 1, "maxItems": n}
    return {
        "type": "object",
        "properties": {"questions": questions},
        "required": ["questions"],
        "additionalProperties": False,
    }


def parse_questions(reply: str | None) -> list[str]:
    """Rewrites from a reply: a JSON list of strings (or of {"question": ...}), else its lines."""
    if not reply:
        return []
    start, end = reply.find("["), reply.rfind("]")
    if 0 <= start < end:
        try:
            items = json.loads(reply[start : end + 1])
            items = [i.get("question") if isinstance(i, dict) else i for i in items]
            return [q for i in items if isinstance(i, str) and (q := _unlabelled(i))]
        except json.JSONDecodeError:
            pass
    lines = (
        _unlabelled(re.sub(r"^\s*(\d+[.)]|[-*•])\s*", "", line)) for line in reply.splitlines()
    )
    return [line for line in lines if line.endswith("?")]


# The prompt ends "Question: {question}": a small model's rewrite often is that line again,
# "Question: What is X?", which passed for a new phrasing of "What is X?".
_LABEL = re.compile(
    r"^(?:(?:rewritten\s+|new\s+)?question|q|rewrite|paraphrase)\s*\d*\s*[:.)-]\s*", re.I
)


def _unlabelled(question: str) -> str:
    """A rewrite without a leading label or the quotes around it."""
    question = _LABEL.sub("", question.strip()).strip()
    if len(question) > 1 and question[0] in "\"'“" and question[-1] in "\"'”":
        question = question[1:-1].strip()
    return question
