"""The quality filters every generated pair must pass (template, llm and self-instruct alike):
why a pair is dropped, by the slip of a small model or a rule it shows."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tunelab.data.generate.same_ask import asked_keys
from tunelab.data.quality.dedup import jaccard, shingles
from tunelab.data.quality.grounding import ungrounded
from tunelab.data.quality.junk import junk_reason, repeats_question
from tunelab.data.text import looping_phrase, repeat_start

if TYPE_CHECKING:
    from tunelab.data.generate.shared import GenerateConfig, Output

WORD = re.compile(r"[^\W\d_]{2,}")
CUT_OFF = "answer cut off mid-sentence"  # a reason `data generate` says how to mend
BARE_VERDICT = re.compile(r"(?i)(?:yes|no|true|false|correct|incorrect)[.!]?")
# The prompt's form copied into a field by a small model: a question that is "Question: ...",
# or holds its answer after "Answer:"; an answer that only announces one ("### Answer:###",
# "The answer is:", "Here are the steps:").
LABELLED_QUESTION = re.compile(r"(?i)^\W*(?:question|q|instruction|input|task)\s*\d*\s*[:.)]")
LABEL_LINE = re.compile(r"(?im)^[#*\s]*(?:question|instruction|answer)\s*\d*\s*:")
ANSWER_INSIDE = re.compile(r"(?i)\b(?:answer|response|output)\s*:")
ANSWER_LABEL = re.compile(
    r"(?i)(?:(?:the|my|here is the|here's the)\s+)?(?:answer|response|output|reply|solution)"
    r"(?:\s+is)?"
)


def drop_reason(
    config: GenerateConfig,
    q: str,
    a: str,
    chunk_text: str | None,
    out: Output,
    similar: bool = False,
    verdicts_ok: bool = False,
) -> str | None:
    """Why a generated pair fails the quality filters, or None to keep it. `verdicts_ok`: a
    bare "Yes" or "No" is an answer (self-instruct seeds that answer so)."""
    if not q.strip() or not a.strip():
        return "empty"
    if not WORD.search(a):
        return "answer has no words"  # "?" or "1." : the 135M model's answer when it has none
    if LABELLED_QUESTION.match(q) or ANSWER_INSIDE.search(q):
        return "question holds a label or its answer"
    if chunk_text is not None and copied_statements(q):
        return "not a question"  # the chunk's sentences with a "?" after them
    if lead_in_only(a):
        return "answer announces an answer it does not give"
    if LABEL_LINE.search(a):
        return "answer holds a label or another question"
    if repeats_question(q, a):
        return "answer restates question"
    if not verdicts_ok and BARE_VERDICT.fullmatch(a.strip()):
        # "No" to "Can I run it on Ubuntu 22.04?" where the chunk says it runs only there: a
        # verdict alone holds no word the chunk could ground, and teaches no fact.
        return "answer is a bare yes or no"
    if repeat_start(a) is not None or looping_phrase(a):
        return "answer repeats itself"
    if config.mode != "template" and cut_short(a):
        return CUT_OFF  # a model's reply cut at its budget
    if looping_phrase(q):
        return "question repeats itself"
    if chunk_text is not None and (not q.rstrip().endswith("?") or "\n" in q or "\\n" in q):
        return "not a question"  # about a chunk, a user asks; a copied statement is no question
    if junk_reason(f"{q}\n{a}"):
        return "junk"
    if asked_keys(q, a) & out.questions:
        return "duplicate question"
    if chunk_text is not None and (reason := ungrounded(a, chunk_text, config.min_grounding)):
        return reason
    if similar:
        mine = shingles(q)
        if any(jaccard(mine, s) >= config.max_similarity for s in out.shingles):
            return "too similar to an existing question"
    return None


# Words an answer may stop at unfinished: fewer are a name or a phrase ("config.yaml in the run
# folder"), not a sentence the reply's token budget or the schema's length cut.
CUT_WORDS = 12


def cut_short(answer: str) -> bool:
    """An answer of sentences that stops mid-word or after a comma: the 135M model's replies hit
    the token budget (or the schema's maxLength) mid-sentence, and "... a job object that can"
    was kept and trained."""
    text = answer.rstrip()
    return len(text.split()) >= CUT_WORDS and (text[-1].isalpha() or text[-1] == ",")


def copied_statements(question: str) -> bool:
    """A "question" that is the chunk's sentences with a "?" after them: the 135M model's "The
    printer skips labels when .... Hold ... If it still skips, check that ...: ?" was kept (and
    grounded, its words all the chunk's). Two sentences or more before it, or a colon right
    before the "?"."""
    # An initial's or a dotted abbreviation's full stop ("U.S. Army", "e.g. Linux") ends none.
    return len(re.findall(r"(?<!\b[A-Za-z])[.!](?=\s+[A-Z])", question)) >= 2 or bool(
        re.search(r":\s*\?$", question)
    )


def lead_in_only(answer: str) -> bool:
    """An answer that is a label ("### Answer:###") or a short lead-in ending in ":"."""
    words = re.sub(r"[^\w\s']", " ", answer).split()
    if ANSWER_LABEL.fullmatch(" ".join(words)):
        return True
    return answer.rstrip(" #*_`\"'").endswith(":") and len(words) <= 6
