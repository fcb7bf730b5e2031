"""Yes/no questions and their verdicts (tunelab.evaluate.facts.propose): a reference that answers
one "Yes" or "No", in English and other languages, names the other verdict as a wrong answer;
so does an English one that says its verdict without the word (`implied`)."""

from __future__ import annotations

import re

from tunelab.data.text import FUNCTION_WORDS, STOPWORDS, stem, stems
from tunelab.evaluate.facts.english_negation import NO_IDIOMS
from tunelab.evaluate.facts.sentence_openers import QUESTION_VERBS

# A lead-in before its verb leaves it a yes/no question ("Quick question: does X ...?", "Tell me,
# does X ...?": `data augment`'s own rewrites of "Does X ...?"). The verbs are the ones whose
# question specific_terms reads ("Shall I ...?" was none here), and the modals.
_YES_NO_QUESTION = re.compile(
    r"^\W*(?:[^,:?\n]{1,40}[,:]\s+)?"
    rf"({'|'.join(QUESTION_VERBS)}|may|might|must)\b",
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
    verb = _YES_NO_QUESTION.match(asked)
    # English: a question that opens with its verb, or asks one so last ("How do I start? Is
    # there a guide?"), answered by its "Yes" or "No" (said without it: the first one only).
    if verb or _YES_NO_QUESTION.match(re.split(r"(?<=\?)\s+", asked)[-1]):
        pairs = [(r"yes\b", _ENGLISH_NO)]
        lead += _ANSWER_IS
        said = re.match(lead + r"yes\b", answer, re.IGNORECASE)
        if verb and not said and not re.match(lead + _ENGLISH_NO, answer, re.IGNORECASE):
            said = implied(asked, verb, answer)
        if said == "no":
            return [{"regex": lead + r"yes\b"}]
        if said:
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
    r"(?:(?!yes\b|i\b)[\w.'’-]+\s+){0,3}?(?:"
    r"(?:(?:is|are)\s+not|isn['’]t|aren['’]t|cannot|can\s+not|can['’]t|(?:is\s+)?not\s+possible|"
    r"(?:is\s+)?impossible|not\s+supported)\b"
    r"(?!\s+(?:only|just|merely|simply|clear|sure|certain|known|necessarily|always|entirely|"
    r"fully|completely|exactly|quite|that|so|as|too)\b)"
    # ...and its sentence ends within two words: "The model is not limited to English; it
    # supports many." goes on to say what it is, no "No".
    r"(?=(?:\s+[\w'’-]+){0,2}\s*(?:[.!;]|$))"
    # A longer denial says so in its verb: "Lamini AI does not provide support for ...", "It is
    # not able to ...", "There is no way to ...", a model's own long "No" to a "Yes" row (they
    # were no hallucination); not where its sentence turns on a condition or a "but" ("It is
    # not able to train without a GPU" says a GPU is needed: "Yes" to "Does it need one?").
    r"|(?:(?:does|do)\s+not|doesn['’]t|don['’]t)\s+(?:currently\s+)?(?:provide|offer|support|"
    r"allow|include|have\s+(?:support|the\s+(?:ability|capability|option)|a\s+way|any\s+way))\b"
    r"(?![^.;!?\n]*\b(?:without|unless|except|only|but|other\s+than|instead|besides|beyond)\b)"
    r"|(?:(?:is|are)\s+(?:not\s+able|unable|not\s+capable|incapable)|there\s+(?:is|['’]s)\s+"
    r"no\s+way)\s+(?:to|of)\b"
    r"(?![^.;!?\n]*\b(?:without|unless|except|only|but|other\s+than|instead|besides|beyond)\b))"
)


def implied(asked: str, verb: re.Match, answer: str) -> str:
    """The verdict an English reference gives without "Yes" or "No": "yes" where it opens by
    saying what was asked with the question's own verb ("Can Lamini be used for X?": "Lamini can
    be used for X"; "Does Lamini offer X?": "Lamini offers X", `_restated`), "no" where it
    denies it so ("Lamini does not offer X") or says there is none ("Are there any limits?",
    "Does the documentation give tips?": "There is no ...", "There are currently no ...");
    "" for another verb ("Lamini may...", "Lamini helps..."), a copula's yes ("Is Lamini
    owned by X?": "Lamini is an independent company" says no), another thing ("Lamini can
    help models understand text" to "Can it be used for audio?"; the question's verb of another
    object, "Lamini can generate text" to "Can Lamini generate images?"), a hedge ("is not limited",
    "is unclear"), a request ("Can you explain…?") or an either-or ("…, or is it only…?")."""
    if _REQUEST.match(asked) or _EITHER_OR.search(asked):
        return ""
    opening = _FIRST_CLAUSE.match(_LEAD_IN.sub("", answer, count=1))[0]
    aux = verb[1].lower()
    if there := _THERE_IS_NO.match(opening):
        if aux not in {"is", "are", "does", "do"}:  # "Can it…?": "There is no limit" says yes
            return ""
        said, subject, no = there, set(), True
    else:
        said = re.match(_SAID.format(aux=rf"{aux}(?=not\b|n?['’]t\b|\b)"), opening, re.I)
        subject = set(stems(said[1], STOPWORDS)) if said else set()
        pronoun = said and set(said[1].lower().split()) & _PRONOUNS
        if not said or not (pronoun or subject & _stems(asked)):
            # Its verb phrase without the auxiliary: "Lamini offers X" to "Does Lamini offer X?"
            restated = _restated(asked[verb.end() :], aux, opening)
            if not restated:
                return ""
            said, subject, no = restated
        else:
            no = bool(said[2] or said[3])
            if aux in {"is", "are"} and not no:  # "Is Lamini owned by X?": "Lamini is a company"
                return ""
            # "Lamini can generate text from prompts" to "Can Lamini generate images from text
            # prompts?" says the verb of another thing: no verdict.
            question = _words(asked[verb.end() :])
            at = _verb_at(question, opening[said.end() :])
            if at and not _object_stated(question, at, opening):
                return ""
    # What it says of the subject is what was asked: a word of the question's besides it.
    if not (_stems(opening[said.end() :]) - subject) & _stems(asked):
        return ""
    return "no" if no else "yes"


def _stems(text: str) -> set[str]:
    return set(stems(text, STOPWORDS))


def _restated(asked: str, aux: str, opening: str) -> tuple[re.Match, set[str], bool] | None:
    """The reference's subject, and whether it denies, where its opening says the question's
    own verb phrase with no auxiliary or another (`asked`: the question after its auxiliary):
    "Does Lamini offer X?": "Lamini offers X" (yes), "Lamini does not offer X" (no); "Can
    Lamini generate X?": "Lamini is capable of generating X", "It is possible to generate X"
    (yes), "Lamini is a language model and does not generate X" (no). None for any other verb,
    an affirmation that turns ("…, but not Y", "…if you…", "…may…"), a denial that does
    ("…without Y")."""
    # Its words as written, for `_stems` to compare with the reference's: lower-cased, "HTTPS"
    # was "http" to the reference's "https" (an acronym in capitals ending in S is no plural).
    written = _WORD.findall(asked)
    question = [w.lower() for w in written]
    for pattern, auxiliaries in _RESTATINGS:
        said = pattern.match(opening)
        if not said or aux not in auxiliaries or said["verb"].lower() in STOPWORDS:
            continue
        # The verb is one of the question's first six words, after its subject (a word of the
        # question's before it, or a pronoun: "It is possible to…").
        root = _verb_root(said["verb"])
        at = next((i for i, w in enumerate(question[:6]) if _verb_root(w) == root), 0)
        subject = said["subject"] or "it"
        before = _stems(" ".join(written[:at]))
        if not at or not (set(subject.lower().split()) & _PRONOUNS or _stems(subject) & before):
            continue
        no = bool(said.groupdict().get("no"))
        rest = opening[said.end() :]
        if re.search(_DENIAL_TURNS if no else _TURNS, rest, re.IGNORECASE):
            return None
        # ...and says two of the question's words after it: "Lamini provides support for any
        # task an LLM can do" names not the "recommendation systems" asked about.
        if len((_stems(rest) - _stems(subject)) & _stems(" ".join(written[at + 1 :]))) < 2:
            return None
        if not _object_stated(question, at, opening):  # "…generating text" to "…images?"
            return None
        return said, _stems(subject), no
    return None


def _verb_at(question: list[str], rest: str) -> int:
    """Where `question` (its words after the auxiliary) says the verb `rest` opens with, past
    adverbs and "be" ("can potentially be used for…": used), after its subject; 0 where its
    first words do not say it ("Can Lamini assist…?" / "Lamini can be trained…")."""
    done = (w for w in _words(rest) if w not in STOPWORDS | _ADVERBS and not w.endswith("ly"))
    did = next(done, None)
    if did is None:
        return 0
    root = _verb_root(did)
    return next((i for i, w in enumerate(question[1:8], 1) if _verb_root(w) == root), 0)


def _object_stated(question: list[str], at: int, opening: str) -> bool:
    """Whether `opening` says the thing the question's verb (`question[at]`) is asked of: the
    last of the words right after it, past any function words ("generate images from text
    prompts": images; "be used to perform sentiment analysis": analysis), in any form ("tool" of
    "tools", "data sets" of "datasets"), or of an alternative after "or" ("real-time or online
    learning scenarios"); true where the verb is asked of nothing ("Can it help?")."""
    heads, run = [], []
    for word in question[at + 1 :]:
        if word not in FUNCTION_WORDS:
            run.append(word)
        elif run:
            heads.append(run[-1])
            if word != "or":
                break
            run = []
    heads += run[-1:]
    said = _words(opening)
    forms = {_noun_root(w) for w in said} | {_noun_root(a + b) for a, b in zip(said, said[1:])}
    return not heads or any(_noun_root(head) in forms for head in heads)


def _noun_root(word: str) -> str:
    """A noun without its plural ending ("tools", "capabilities": "tool", "capability")."""
    return _verb_root(re.sub(r"(?<=\w\w)ies$", "y", word))


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


_WORD = re.compile(r"[\w'’-]+")
# Adverbs before a restated verb: "Lamini can also generate…", "…can still be used…".
_ADVERBS = frozenset("also still currently even already just now being".split())


def _verb_root(word: str) -> str:
    """A verb without its ending ("offers", "generating", "used": "offer", "generat", "us")."""
    word = _IRREGULAR_VERBS.get(word.lower(), word.lower())
    return stem(word, shortest=2).removesuffix("e")  # "generate" meets "generating"


_IRREGULAR_VERBS = {"has": "have", "had": "have"}
_SUBJECT = r"(?P<subject>(?:(?!(?:is|are|can|cannot|does|do|may|might)\b)[\w'’()-]+\s+){1,5}?)"
_ADVERB = r"(?:[a-z]+ly\s+)?"  # "Lamini fully supports X"
_NO_VERB = (
    r"(?!(?:and|or|of|to|in|on|for|with|the|an?|its|is|was|has\s+been)\b)"  # "Both X and Y offer"
)
# After the subject, "…is a language model and" before its denial: "Lamini is a language model
# and does not handle images".
_AND = r"(?:(?:is|are)\s+(?:an?|the)\s+(?:[\w'’-]+\s+){0,3}?and\s+)?"
_NOT = (
    r"(?:(?:does|do|will|would)\s+not|doesn['’]t|don['’]t|won['’]t|wouldn['’]t|cannot|can\s+not|"
    r"can['’]t)"
)
# The question's own verb restated, and the auxiliaries it answers: "Lamini offers X" answers
# "Does…?" (the verb with its -s, case as written: no "Lamini" nor "is"), "Lamini and LangChain
# offer X" "Do…?"; a denial answers those and "Can…?", "Will…?"; "is capable of", "is able to"
# and "It is possible to" (or not) answer "Can…?".
_RESTATINGS = [
    (re.compile(rf"{_SUBJECT}{_ADVERB}{_NO_VERB}(?P<verb>[a-z]+s)\b(?<!ss)"), {"does"}),
    (re.compile(rf"{_SUBJECT}{_ADVERB}{_NO_VERB}(?P<verb>[a-z]+)\b"), {"do"}),
    (re.compile(rf"{_SUBJECT}{_AND}(?P<no>{_NOT})\s+{_ADVERB}(?P<verb>[a-z]+)\b", re.I),
     {"can", "could", "does", "do", "will", "would"}),
    (re.compile(rf"{_SUBJECT}(?:is|are)\s+(?P<no>not\s+|in|un)?(?:capable\s+of|able\s+to)"
                r"\s+(?P<verb>[a-z]+)\b", re.I), {"can", "could"}),
    (re.compile(r"(?P<subject>)it\s+is\s+(?P<no>not\s+)?possible\s+(?:for\s+\w+\s+)?to\s+"
                r"(?P<verb>[a-z]+)\b", re.I), {"can", "could"}),
]  # fmt: skip
# What makes an affirmation no plain "yes": a negation, a condition, a hedge or a contrast ("…
# supports text, not images", "…if you have the data", "…may be"); and a denial no plain "no".
_TURNS = (
    r"\b(?:not|no|never|without|unless|except|only|but|however|although|though|if|may|might|"
    r"could|should|would|depends?|potentially|possibly)\b|n['’]t\b"
)
_DENIAL_TURNS = r"\b(?:without|unless|except|only|but|other\s+than|instead|besides|beyond|if)\b"


# The reference's subject (up to five words, not the verb), the question's own verb, and "not"
# ("cannot", "can't", "doesn't" too).
_SAID = (
    r"((?:(?!{aux})[\w'’()-]+\s+){{1,5}}?){aux}(?:\s*(not)\b|(n?['’]t)\b)?"
    r"(?!\s+(?:not\s+)?(?:only|just|merely|limited|restricted|necessarily|always|entirely|"
    r"fully|completely|exactly|clear|unclear|sure|certain|uncertain|known|unknown)\b)"
)
_FIRST_CLAUSE = re.compile(r"[^.;:!?\n]*")


# A question that asks for something, not whether: "Can you explain what X does?".
_REQUEST = re.compile(
    r"\W*(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:explain|tell|describe|give|provide|"
    r"show|list|help|share|elaborate|clarify|suggest|recommend|walk|outline|summari[sz]e|detail)",
    re.IGNORECASE,
)
_EITHER_OR = re.compile(r"\bor\s+(?:is|are|does|do|can|will|would|should|only|just)\b", re.I)
_LEAD_IN = re.compile(r"\W*(?:[^,.;:?!\n]{1,30},\s+)?")  # "Rest assured, Lamini does not..."
_THERE_IS_NO = re.compile(
    r"there\s+(?:is|are|['’]s)\s+(?:currently\s+|still\s+|presently\s+)?no\b"
    r"(?!\s+(?:doubt|question)\b)",
    re.I,
)
_PRONOUNS = frozenset("it they this that you we".split())


# A test set whose rows name mostly one verdict's opposite as their wrong answer (lamini_docs'
# yes/no rows: 18 of 20 "Yes") lets an answer that says that verdict to everything score a low
# hallucination rate knowing nothing; at or below this rate the reports say so.
CONSTANT_VERDICT_RATE = 0.25


def constant_verdict_note(checks: dict, sources: list[str]) -> str:
    """The hallucination rate that answering "Yes." (or "No.", the lower) to every question of
    `sources` gets from their `checks`, said where it is CONSTANT_VERDICT_RATE or lower: the
    rate any arm scores is then read against it, not as facts known; "" otherwise."""
    from tunelab.evaluate.facts.score import wrong_stated

    named = [checks[s] for s in sources if s in checks and checks[s].wrong]
    if len(named) < 5:
        return ""
    stated = {v: sum(bool(wrong_stated(v, c)) for c in named) for v in ("Yes.", "No.")}
    verdict, caught = min(stated.items(), key=lambda item: item[1])
    if caught > CONSTANT_VERDICT_RATE * len(named):
        return ""
    return (
        f"answering {verdict!r} to every question states the wrong answer of {caught} of the "
        f"{len(named)} rows that name one ({caught / len(named):.0%}), knowing nothing: most of "
        "them are yes/no questions of one verdict, so a hallucination rate near that is the "
        f"habit of saying {verdict[:-1]!r}, not facts; read fact accuracy for what was learnt, "
        "or hold out as many questions of the other verdict"
    )
