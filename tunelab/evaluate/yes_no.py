"""Yes/no questions and their verdicts (tunelab.evaluate.derive_facts): a reference that answers
one "Yes" or "No", in English and other languages, names the other verdict as a wrong answer."""

from __future__ import annotations

import re

from tunelab.evaluate.english_negation import NO_IDIOMS

# A lead-in before its verb leaves it a yes/no question ("Quick question: does X ...?", "Tell me,
# does X ...?": `data augment`'s own rewrites of "Does X ...?").
_YES_NO_QUESTION = re.compile(
    r"^\W*(?:[^,:?\n]{1,40}[,:]\s+)?"
    r"(is|are|was|were|can|could|does|do|did|will|would|should|has|have|had|may|might|must)\b",
    re.IGNORECASE | re.MULTILINE,
)
# Other languages' yes/no answers: (question, yes, no). A question in Chinese is a yes/no one by
# its particle (吗) or its "A not A" (是不是, 能不能); the others by their question mark (Spanish by
# its opening ¿, as "No" opens English answers too). A verdict stands alone, before a comma or
# the sentence's end: "是的，" and "不需要。" are verdicts, "是16，不是8" (it is 16) and
# "可以只用CPU" (you can just use the CPU) are not, nor "Si quieres..." (if you want) or "Non-
# volatile". A "yes" answer gets the "no" verdict as its wrong answer, and the other way round.
_ALONE = r"(?=\s*(?:[,，、.。!！;；:：।]|$))"
_ANY_QUESTION = r"[?？]\s*$"
_YES_NO = [
    (r"(?:[吗嗎][?？]?|([是能有会會要])(?:不|没|沒)\1.*)\s*$",
     r"(?:是的|是|对的|對的|对|對|没错|沒錯|可以|能|会|會|有|需要|要)",
     r"(?:不是|不对|不對|不可以|不能|不会|不會|不需要|不要|不用|没有|沒有|不|否)"),
    (r".", r"はい", r"いいえ"),
    (r"^\W*क्या|[?？।]\s*$", r"(?:जी )?(?:हाँ|हां)", r"(?:जी )?नहीं"),
    (r"¿", r"s[ií]", r"no"),
    (_ANY_QUESTION, r"(?:ja|oui|sim|да)", r"(?:nein|non|não|нет)"),
]  # fmt: skip
# "No" that is no verdict: "No doubt, it does.", "No problem, ..." (as the scorer reads it).
_ENGLISH_NO = rf"no\b(?!\s+(?:{'|'.join(sorted(NO_IDIOMS))})\b)"


def opposite(question: str, answer: str) -> list[dict]:
    """The wrong answer to a yes/no question answered yes or no: the other opening, as a regex."""
    asked = question.splitlines()[-1] if question else ""
    lead = r"^\W*"
    if _YES_NO_QUESTION.match(asked):  # English: a question that opens with its verb
        pairs = [(r"yes\b", _ENGLISH_NO)]
        lead += _ANSWER_IS
        if re.match(lead + r"yes\b", answer, re.IGNORECASE):
            return [{"regex": f"{lead}(?:{_ENGLISH_NO}|{_DECLINED})"}]
    else:
        pairs = [(yes + _ALONE, no + _ALONE) for asks, yes, no in _YES_NO if re.search(asks, asked)]
    for yes, no in pairs:
        for said, other in ((yes, no), (no, yes)):
            if re.match(lead + said, answer, re.IGNORECASE):
                return [{"regex": lead + other}]
    return []


# "The answer is: No.": how a base model asked under `### Answer:` gives its verdict; the wrong
# one so given was no hallucination (lamini_docs, "Does Lamini have the capability to generate
# poetry...?", reference "Yes").
_ANSWER_IS = r"(?:the\s+answer\s+is\W*)?"
# A "No" said without the word, to a "Yes": "That is not possible.", "The answer is not
# possible.", "It cannot.", "It isn't supported.", "You can't." (lamini_docs' base model so
# answered "Yes" rows and was not counted wrong). The answer's opening only, a subject of up to
# three words (not "I": "I cannot say" declines to answer), and no hedge or "not only" after it:
# "It is not clear", "It may not be possible", "It is not only fast" say no "No".
_DECLINED = (
    r"(?:(?!yes\b|i\b)[\w.'’-]+\s+){0,3}?"
    r"(?:(?:is|are)\s+not|isn['’]t|aren['’]t|cannot|can\s+not|can['’]t|(?:is\s+)?not\s+possible|"
    r"(?:is\s+)?impossible|not\s+supported)\b"
    r"(?!\s+(?:only|just|merely|simply|clear|sure|certain|known|necessarily|always|entirely|"
    r"fully|completely|exactly|quite|that|so|as|too)\b)"
    # ...and its sentence ends within two words: "The model is not limited to English; it
    # supports many." goes on to say what it is, no "No".
    r"(?=(?:\s+[\w'’-]+){0,2}\s*(?:[.!;]|$))"
)
