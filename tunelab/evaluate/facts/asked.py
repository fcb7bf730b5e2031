"""What a test row's question asks that changes how its answer's words are read
(`tunelab.evaluate.facts.answer_words`): what is not ("Which OS is not supported?", whose answer's
negations state its facts), what is switched off ("Which tokens are masked?", whose answer's
"Prompt tokens are masked" states "prompt"), and what to do ("How do I fix error E4?", whose
answer's fix, not the cause before it, states the facts: `fix_sentence`); and what kind of
answer it asks for, which decides the facts `tunelab.evaluate.facts.propose` reads off its
reference: an amount ("How long…?"), a name ("Which library…?"), a resource ("Is there a
changelog?"), two things ("… and how do I fix it?"), an opinion between options ("Lamini vs
LangChain?"), or what a named thing is ("What is Zephyrine?", which no one term answers)."""

from __future__ import annotations

import re

from tunelab.data.text import CJK, FUNCTION_WORDS, STOPWORDS, english, stems
from tunelab.evaluate.facts.english_negation import SWITCHED_OFF, negates
from tunelab.evaluate.facts.sentence_openers import QUESTION_VERBS

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
    said = stems(rest, STOPWORDS) + (
        ["support"] if asked.group().lower().endswith("unsupported") else []
    )
    return frozenset(said)


def affirms(clause: str, denied: frozenset[str], asked: frozenset[str] = frozenset()) -> bool:
    """Whether a clause says one of `denied` (`denied_by_question`'s stems) with no negation
    (the `asked_off` words `asked` are none: "Which tokens are not masked?" is not answered by
    "The prompt is masked")."""
    if negates(clause, asked):
        return False
    return any(s in denied for s in stems(clause, STOPWORDS))


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
    r"all|both|any|each|every|them|off|on|up|down|out|back|and|until|for)\b|\d|[`\"'])"
)
# ...or a verb, then the name the question asks about: "Restart Labelsync from the menu" to
# "What should I do when Labelsync stops syncing?" (not "Labelsync stops when ...").
_VERB_NAMED = re.compile(r"\W*(?P<verb>[A-Z][a-z]+)\s+(?P<name>[A-Z][\w-]*)\b")


def fix_sentence(question: str, sentences: list[str]) -> str | None:
    """Of an answer to a question asking what to do, the first sentence that tells the reader
    to act, where the first does not: data generate answers such a question with the cause and
    then the fix, and a right answer states the fix ("Let it cool for 30 minutes"), not the
    cause ("E4 means the heater overheated"). None for other questions and answers."""

    def acts(sentence: str) -> bool:
        verb = _VERB_FIRST.match(sentence)
        if (named := _VERB_NAMED.match(sentence)) and not verb:
            said = re.findall(r"[\w-]+", question)
            verb = named if named["name"] in said and named["verb"] not in said else None
        return bool(verb) and verb["verb"].lower() not in FUNCTION_WORDS

    if not _ASKS_FIX.search(question) or not sentences or acts(sentences[0]):
        return None
    return next((s for s in sentences[1:] if acts(s)), None)


# A question asking two things: its answer's first sentence answers the first only (the fix of
# "What does error FT-401 mean and how do I fix it?" was no fact).
TWO_ASKS = re.compile(r"\band\s+(?=(?:how|what|where|when|why|which|who)\b)", re.IGNORECASE)

# A question asking whether or where there is a resource: "Is there a changelog…?", "Does the
# documentation cover…?", "Are there any tutorials…?", "Where can I find the docs?", "Can I find
# information about…?" (not "How do the support channels compare?", nor "Are there success
# stories or examples?", nor "Where is the serial number?", a place a later URL only shows).
ASKS_RESOURCE = re.compile(
    r"\W*(?:(?:is|are)\s+there|does\s+the|do\s+you\s+have|where|(?:how\s+)?can\s+i\s+find)\b"
    r"[^?]*?\b(?:documentation|docs|guides?|tutorials?|walkthroughs?|manuals?|changelog|release\s+"
    r"notes|sections?|forums?|communit(?:y|ies)|support\s+channels?|code\s+(?:samples?|snippets?|"
    r"examples?)|information\s+(?:about|on))\b",
    re.IGNORECASE,
)
# A question asking an amount: "How long…", "About how many…", "How often…", "What size…".
ASKS_AMOUNT = re.compile(
    r"\bhow\s+(?:long|many|much|often|soon|far|big|large|old|fast|frequently)\b|"
    r"\bwhat\s+size\b",
    re.IGNORECASE,
)
# A question asking what a named thing is: "What is Zephyrine?", "Do you know what LoRA is?";
# not what one of its parts is ("What is the default port?", "What is Zephyrine's port?") nor
# what it is for ("What is Zephyrine used for?").
_THING = (
    r"(?!(?:the|a|an|my|your|its|our|their|this|that|these|those)\b)[\w.+-]+(?:\s+[\w.+-]+){0,2}"
)
_ASKS_WHAT_IT_IS = re.compile(
    rf"\W*(?:(?:do|can|could)\s+you\s+(?:know|tell\s+me)\s+|tell\s+me\s+)?"
    rf"(?:what(?:\s+exactly)?(?:\s+is|\s+are|['’]s)\s+(?P<a>{_THING})"
    rf"|what\s+(?P<b>{_THING})\s+(?:is|are))\s*[?.]?\s*$",
    re.IGNORECASE,
)


def asks_what_it_is(question: str) -> bool:
    """Whether `question` asks what a named thing is ("Do you know what Zephyrine is?", answered
    "… an internal search appliance built by the Platform team"): who built it is a detail, and
    what it is no one term says, so the answer's wording scores it, as a row with no facts."""
    m = _ASKS_WHAT_IT_IS.fullmatch(question.strip())
    words = (m["a"] or m["b"]).split() if m else []
    # A name ("Zephyrine", "LoRA adapters"), not a word of a sentence ("What is saved?").
    # (Not "What is setting number 3?": a number names no thing.)
    named = any(w[0].isupper() or (w.isalpha() and not english(w)) for w in words)
    return named and not any(w.lower() in FUNCTION_WORDS for w in words)


# A question asking a name, after any lead-in: "Which library…?", "Who founded…?", "In terms of
# customization, which tool…?", "What company makes…?", "What models have…?" (not "What kind
# of…?", "What is…?"): "what", a noun and the verb a question goes on with.
_AUXILIARY = "|".join(QUESTION_VERBS)
ASKS_NAME = re.compile(
    rf"^\W*(?:[^,:?\n]{{1,40}}[,:]\s+)?(?:which|who|whom|whose|what\s+(?!(?:{_AUXILIARY}|"
    rf"kind|sort|type|types|level|kinds)\b)[a-z]+\s+(?:{_AUXILIARY}|makes|made|offers)\b)",
    re.IGNORECASE,
)
# A question asking an opinion between options it names: "Who is better you or chatgpt?",
# "Lamini vs LangChain?", "Do you prefer X or Y?" (not "Are there best practices or guides?").
ASKS_OPINION = re.compile(
    r"\b(?:better|worse|best|worst|prefer\w*)\b(?!\s+(?:practices?|results?|ways?)\b)"
    r"(?=.*\bor\b)|\b(?:vs|versus)\b",
    re.IGNORECASE | re.DOTALL,
)
