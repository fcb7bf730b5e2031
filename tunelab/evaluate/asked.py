"""What a test row's question asks that changes how its answer's words are read
(`tunelab.evaluate.answer_words`): what is not ("Which OS is not supported?", whose answer's
negations state its facts), what is switched off ("Which tokens are masked?", whose answer's
"Prompt tokens are masked" states "prompt"), and what to do ("How do I fix error E4?", whose
answer's fix, not the cause before it, states the facts: `fix_sentence`)."""

from __future__ import annotations

import re

from tunelab.data.text import CJK, FUNCTION_WORDS, content_words, stem
from tunelab.evaluate.english_negation import SWITCHED_OFF, negates

# A question that asks what is not: "Which OS is not supported?", "What doesn't it need?",
# "Which formats are unsupported?", "哪些模型不支持导出?": its answer's negations say the facts,
# they do not deny them. A "which" or "what" whose clause holds a negation within a few words,
# not after a condition ("What happens if the GPU is not available?"), a quotation ("What does
# 'CUDA not available' mean?"), or a word that asks for something else than the things that
# are not ("What is the reason my loss is not going down?"), nor one of a clause of its own
# ("What is a model that isn't finetuned called?"); nor "Can I train without a GPU?"
# or "Why is my loss not going down?", which ask no which or what.
_ASK = (  # "which"/"what", then up to six words none of which asks something else
    r"\b(?:which|what)(?:['’]s)?"
    r"(?:\s+(?!(?:if|when|whenever|unless|once|until|reason|cause|causes|fix|solution|way|ways|"
    r"mean|means|meaning|difference|error|errors|problem|issue|happens|happen|check|about|"
    r"that|who|whom|whose|which)\b)"
    r"[\w-]+){0,6}?"
)
_NEGATIVE_QUESTION = re.compile(
    _ASK + r"\s+(?:not|never|cannot|unsupported|no\s+longer)\b" + "|" + _ASK + r"\s*[\w]+n['’]t\b"
    r"|(?<!为)(?:哪|什么|什麼)(?!情况|情況|时候|時候)[^，,。？?]{0,6}?(?:不(?!同|错|錯)|没|沒)",
    re.I,
)


def asks_what_is_not(question: str) -> bool:
    """Whether the question asks what is not (`_NEGATIVE_QUESTION`); quoted text aside, and a
    cleft's "it that" ("What is it that tunelab doesn't support?") no clause of its own."""
    question = re.sub(r"\bit\s+that\b", "it", _QUOTED.sub(" ", question), flags=re.I)
    return bool(_NEGATIVE_QUESTION.search(question))


_QUOTED = re.compile(r"(?<!\w)['‘\"“`][^'’\"”`]*['’\"”`](?!\w)")  # not a contraction's


def denied_by_question(question: str) -> frozenset[str]:
    """The stems of what a question that asks what is not denies: its words after the negation
    ("Which OS is not supported by the agent?": support, agent; "What doesn't tunelab support?":
    tunelab, support; "Which formats are unsupported?": support). An answer's clause that says
    one of them with no negation ("Windows is supported", "the agent runs on Linux") affirms
    it, and names no thing that is not. Empty for other questions, and in Chinese."""
    question = re.sub(r"\bit\s+that\b", "it", _QUOTED.sub(" ", question), flags=re.I)
    asked = _NEGATIVE_QUESTION.search(question)
    if asked is None or CJK.search(asked.group()):
        return frozenset()
    rest = re.split(r"[?.;!\n]", question[asked.end() :], maxsplit=1)[0]
    said = content_words(rest) + (
        ["support"] if asked.group().lower().endswith("unsupported") else []
    )
    return frozenset(stem(w) for w in said)


def affirms(clause: str, denied: frozenset[str], asked: frozenset[str] = frozenset()) -> bool:
    """Whether a clause says one of `denied` (`denied_by_question`'s stems) with no negation
    (the `asked_off` words `asked` are none: "Which tokens are not masked?" is not answered by
    "The prompt is masked")."""
    if negates(clause, asked):
        return False
    return any(stem(w) in denied for w in content_words(clause))


def asked_off(question: str) -> frozenset[str]:
    """The words of `english_negation.SWITCHED_OFF` a question names ("Which tokens are masked?":
    mask; "What does the loss ignore?": ignore): its answer's copula with one of them states its
    subject ("Padding tokens are ignored"), where it denies it otherwise ("Which parts are
    trained? The response is ignored.")."""
    return frozenset(
        key
        for key, (_, asked) in SWITCHED_OFF.items()
        if re.search(rf"\b{asked}\b", question, re.I)
    )


# A question asking what to do: "What should I do when the red light blinks?", "How do I fix
# error E4?", "What is the fix for ...?", "What can I do if ...?" (`data generate`'s and
# `data augment`'s troubleshooting questions).
_ASKS_FIX = re.compile(
    r"\b(?:what\s+(?:should|can|do|must)\s+(?:I|we|you)\s+do|how\s+(?:do|can|should)\s+(?:I|we|you)"
    r"\s+(?:fix|solve|resolve|repair|deal\s+with)|what\s+is\s+the\s+(?:fix|solution|remedy))\b",
    re.IGNORECASE,
)
# A sentence that tells the reader to act: a verb, then its object or particle ("Turn it
# clockwise", "Let it cool", "Replace the cartridge", "Wait 2 minutes", "Press and hold"); not
# a name and its verb ("Lamini supports ..."), an adverb ("Additionally, ..."), a possessive
# ("Lamini's engine"), nor a first word the function words hold ("The cartridge is clogged").
_VERB_FIRST = re.compile(
    r"\W*(?:please\s+)?(?P<verb>[A-Z][a-z]+)\s+(?=(?:the|a|an|it|its|this|that|these|those|your|"
    r"all|any|each|every|them|off|on|up|down|out|back|and|until|for)\b|\d|[`\"'])"
)


def fix_sentence(question: str, sentences: list[str]) -> str | None:
    """Of an answer to a question asking what to do, the first sentence that tells the reader
    to act, where the first does not: data generate answers such a question with the cause and
    then the fix, and a right answer states the fix ("Let it cool for 30 minutes"), not the
    cause ("E4 means the heater overheated"). None for other questions and answers."""

    def acts(sentence: str) -> bool:
        verb = _VERB_FIRST.match(sentence)
        return bool(verb) and verb["verb"].lower() not in FUNCTION_WORDS

    if not _ASKS_FIX.search(question) or not sentences or acts(sentences[0]):
        return None
    return next((s for s in sentences[1:] if acts(s)), None)
