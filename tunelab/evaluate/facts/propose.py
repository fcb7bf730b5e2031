"""The facts a correct answer must state (tunelab.evaluate.facts.score), read off its reference
answer, for a person to review (`tunelab data facts` proposes them for a test file's rows that
name none: propose_file).

Token F1 rewards an answer for sounding like its reference; a finetuned model that learned the
style and not the facts scores well on it. The facts of a reference are mostly its specific
terms: numbers and values, names of files, options and functions, URLs, acronyms and proper
names. Those of the answer's first sentence are taken (where the answer to the question usually
is; later sentences add detail; the second after an opening that says nothing, "Of course!";
the fix after a cause where the question asks what to do; the first URL or e-mail address in
any sentence where it asks for a resource, "Is there a changelog?"),
at most `most` of them (but every item of a list it gives, "24, 48 or 72 hours": "24 hours"…,
"Windows 10, macOS 13 and…": "Windows 10"…, after a colon too, "Supported voltages: 110…"),
only its amounts where the question asks one ("how long": "14 days",
not the path beside it; the next sentence's where it gives none, "It depends. You need 4GB.";
no name), none where it asks what a named thing is or the answer says its source is silent
("The article does not mention…"), and never a term the question already
says (restating the question states no fact; "LLM Engine Lamini" to "Can Lamini…?" titles
its subject) nor a word the test set's answers say all along
(lamini_docs' "LLM": an answer in their style says it whatever it states; a manual's product,
"Beacon R5", unless the question asks a name). A first sentence
with none of them gives its rarest content words over the test set, less the question's words
in any form ("generate" of "generating") and the words any explaining answer uses ("runs",
"provides", "depends" are no facts; "weekly" and "checkpoint" may be), or none, for a person to
write (none after a yes/no verdict: what follows it is detail; tunelab.evaluate.facts.rare_words).
A yes/no question answered "Yes" or "No" is answered by its verdict and its specific terms: those
of the sentence that gives the verdict, or of the one after a verdict alone ("Yes. Call
`stop_run`."), are facts a bare "Yes." does not state (as the demo's hand-written facts ask
"cpu" of "No, tunelab runs on CPU"); its rare words and later sentences are detail. It also gets
the opposite verdict as a wrong answer (a hallucination), in Chinese, Japanese, Hindi, German,
French, Spanish, Portuguese and Russian too ("是的" / "不是", "はい" / "いいえ", "हाँ" / "नहीं",
"Ja" / "Nein"...), and in English where it says its verdict without the word ("Lamini does not
offer X" or "Lamini offers X" to "Does Lamini offer X?": tunelab.evaluate.facts.yes_no).
In Chinese and Japanese, written without spaces, the terms are found where the text changes
script ("端口是8080"); a reference in those characters alone gets no facts, for a person to
write. The terms are found by tunelab.evaluate.facts.specific_terms, a value's other spellings by
tunelab.evaluate.facts.value_forms. `benchmarks/derived_facts.py` measures how often these agree
with hand-written facts."""

from __future__ import annotations

import re

from tunelab.data.markers import plain_question
from tunelab.data.text import FUNCTION_WORDS
from tunelab.evaluate import MOST_FACTS
from tunelab.evaluate.facts.amounts import AMOUNTS
from tunelab.evaluate.facts.answer_commands import commands_as_code, without_asked_usage
from tunelab.evaluate.facts.answer_values import (
    as_written,
    default_of,
    is_list_of,
    label_asks,
    labelled_fix,
    listed_in,
    listed_values,
    listed_words,
    specified_values,
)
from tunelab.evaluate.facts.asked import (
    ASKS_AMOUNT,
    ASKS_NAME,
    ASKS_RESOURCE,
    TWO_ASKS,
    asks_what_is_not,
    asks_what_it_is,
    fix_sentence,
)
from tunelab.evaluate.facts.english_negation import PAST_VALUE
from tunelab.evaluate.facts.normalize_numbers import normalize, spread_units
from tunelab.evaluate.facts.rare_words import rare_words
from tunelab.evaluate.facts.sentences import SENTENCE_BREAK, answering, without_numbering
from tunelab.evaluate.facts.source_silent import asks_of_source, source_silent
from tunelab.evaluate.facts.specific_terms import ADDRESS_OR_CODE, ADDRESSES, TERMS, specific_terms
from tunelab.evaluate.facts.stated import Words, states, unread_forms
from tunelab.evaluate.facts.value_forms import same_values, version_alone
from tunelab.evaluate.facts.yes_no import opposite

# How many sentences answer a question asking two things (`TWO_ASKS`).
_TWO_ASKS_SENTENCES = 3

_WORDLIKE = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")  # words of letters: a name, an acronym
_MODEL_NAME = re.compile(r"[A-Za-z][A-Za-z-]*\d[\w-]*")  # a model's name: "R5", "K9", "A100"
# A name in code: snake_case, dotted, called or an option ("add_data", "llm.add_data",
# "improve()", "--resume": "How do I resume…?" says its word, not the option).
_CODE_NAME = re.compile(r"\w_\w|[a-z]\.[a-z]|\(\)$|^--?[A-Za-z]")
# Abbreviations the term patterns take for dotted names ("e.g").
_ABBREVIATION = re.compile(r"(?:e\.g|i\.e|a\.m|p\.m|cf|etc|vs)\.?", re.IGNORECASE)


def propose(
    question: str,
    answer: str,
    rarity: dict[str, float],
    most: int = MOST_FACTS,
    common: frozenset[str] = frozenset(),
) -> tuple[list[list[str]], list[dict]]:
    """(facts, wrong) for one row: up to `most` facts, each a list of one phrase; `rarity` is
    each word's inverse document frequency over the answers; `common` the words the answers say
    all along (`propose_file.vocabulary`): no fact of any one of them."""
    facts, wrong, _ = propose_marked(question, answer, rarity, most, common)
    return facts, wrong


def propose_marked(
    question: str,
    answer: str,
    rarity: dict[str, float],
    most: int = MOST_FACTS,
    common: frozenset[str] = frozenset(),
) -> tuple[list[list[str]], list[dict], bool]:
    """`propose`, and whether the facts are rare words of the answer rather than its specific
    terms (a weaker guess: "ability" of "Lamini has the ability to..."), to review first."""
    question = plain_question(question)
    if asks_what_it_is(question):
        return [], [], False
    answer = without_asked_usage(question, commands_as_code(answer))
    asked = set(normalize(question).split())
    name_asked = bool(ASKS_NAME.match(question))  # "Who…?", "Which library…?"
    # "Which OS is not supported?" / "Windows is not supported.": the negation says the fact.
    read = not asks_what_is_not(question)
    titled: set[str] = set()  # the words of a name that titles the question's subject

    def new(phrase: Words) -> bool:
        if _ABBREVIATION.fullmatch(phrase.written):
            return False
        words = phrase.split()
        # A URL, path, value or code is specific by its form, however often its words recur; a
        # model's name ("R5" of a router manual's answers) is a name, unless a name is asked.
        model = _MODEL_NAME.fullmatch(phrase.written) and not name_asked
        named = _WORDLIKE.fullmatch(phrase.written) or model
        said_all_along = named and all(w in common for w in words)
        # "LLM Engine Lamini" to "Can Lamini be used for…?": a name of several words ends in its
        # head, and one whose head the question names is its subject, titled, not an answer.
        head = (phrase.written.split() or [""])[-1]
        subject = (
            named and len(words) > 1 and head[:1].isupper()
            and re.search(rf"(?<!\w){re.escape(head)}(?!\w)", question)
            and not name_asked
        )  # fmt: skip
        if subject:  # nor are its words the answer's rare words ("engine")
            titled.update(words)
        # A name in code is said by the question only as code: "How do I add data?" is
        # answered by `add_data`, which "add" and "data" do not name ("Does `add_data()`...").
        coded = _CODE_NAME.search(phrase.written) and phrase.written not in question
        return (
            bool(words)
            and not said_all_along
            and not subject
            and (coded or not all(w in asked or w in FUNCTION_WORDS for w in words))
            # The reference must pass its own check: "16, not 8" does not state 8.
            and states(answer, phrase, read)
        )

    unnumbered = without_numbering(answer)
    sentences = SENTENCE_BREAK.split(unnumbered)  # split once: the steps below read them
    verdict = opposite(question, answer)
    first = answering(sentences, verdict)
    # "The article does not mention whether…", "There is no mention of X in the provided text":
    # a reference that says its source is silent states no fact (lamini_docs' "article" was
    # proposed), nor a verdict unless the question asks about the source ("Does the
    # documentation provide tips…?": "There is no information in the documentation…" says no)
    # or it opens with one ("No. The text does not say why.").
    if source_silent(first):
        said = asks_of_source(question) or not source_silent(sentences[0])
        return [], verdict if said else [], False
    # "What should I do when ...?" answered with its cause, then its fix: the fix is asked.
    if fix := labelled_fix(unnumbered) or fix_sentence(question, sentences):
        first = fix
    if TWO_ASKS.search(question):  # "What does FT-401 mean and how do I fix it?": both answers
        first = " ".join(sentences[:_TWO_ASKS_SENTENCES])

    def terms_of(sentence: str, patterns: list = TERMS) -> list[Words]:
        past = [next(filter(None, m.groups())) for m in PAST_VALUE.finditer(sentence)]
        return [
            p
            for p in map(Words, specific_terms(sentence, patterns))
            if new(p) and not any(p.written in span for span in past)
        ]

    listed = listed_values(
        answer, lambda item, kinds: terms_of(SENTENCE_BREAK.split(item, 1)[0], kinds)
    ) or specified_values(question, sentences, terms_of)
    # "24, 48 or 72 hours": each number with the unit the list ends with ("24 hours").
    terms = listed or terms_of(said := spread_units(first))
    # "It supports Windows 10 and 11.": the name a list of versions opens with is each one's,
    # in the list's order ("Windows 10 and 11 are supported." gave "Windows 11" first).
    if not listed and (named := spread_units(first, [t.written for t in terms])) != said:
        terms = sorted(terms_of(named), key=lambda t: named.find(t.written))
    # "… for details visit: https://…", "To uninstall it, type: `pip uninstall lamini`.": a
    # first sentence that ends in a colon and names no term introduces the answer; an address
    # or code it introduces is the fact, not "visit" or "type".
    rest = unnumbered[unnumbered.find(first) + len(first) :].strip()
    if not terms and first.endswith(":") and rest:
        introduced = SENTENCE_BREAK.split(rest, maxsplit=1)[0]
        terms = terms_of(introduced, ADDRESS_OR_CODE)
        # "The D8 has four modes: Auto, Continuous, Laundry and Sleep.", "Supported voltages:
        # 110, 220 and 240 V.": every term it lists, as a list's every item is (each is asked;
        # none was a fact).
        introduced = spread_units(introduced)
        if not terms and is_list_of(introduced, specific_terms(introduced)):
            terms = listed = terms_of(f"{first} {introduced}")
        # "Which modes…?" / "Modes: low, medium and high.": plain words listed name what is asked
        # (nothing was proposed), as a label ending in the word asked does ("It has 3 modes:").
        elif not terms and (name_asked or label_asks(first, asked)):
            terms = listed = [w for w in map(Words, listed_words(introduced)) if new(w)]
        # "What does solid green mean?" / "Solid green: The printer is ready.": a label that says
        # the question's words again opens its answer, whose words are read ("ready"; none was).
        if not terms and set(normalize(first).split()) <= asked:
            first = introduced
    # "Is there a changelog?" / "Because we move fast… check out https://pypi.org/project/x/.":
    # where the question asks for a resource, the first address the answer gives is its fact,
    # in whichever sentence (it was where the first sentence gave it; "changelog" is no fact).
    if not terms and ASKS_RESOURCE.match(question):
        terms = terms_of(unnumbered, ADDRESSES)[:1]
    kept: dict[str, str] = {}  # each term as matched -> as written
    for phrase in terms:  # once, and not again inside a longer one (the path inside a URL)
        if any(f" {phrase} " in f" {longer} " for longer in kept):
            continue
        # One found earlier inside this one goes: "kbit/s" (a slash name) of "56 kbit/s".
        kept = {k: v for k, v in kept.items() if f" {k} " not in f" {phrase} "}
        kept[phrase] = phrase.written
    facts = list(kept.values())
    # "Labels 58 mm, 80 mm and 104 mm wide": a list the sentence gives is asked whole, however
    # long (the cap guards against a long sentence's scattered terms: 2 of its 3 were proposed).
    if items := [] if listed else listed_in(spread := spread_units(first, facts), facts):
        facts = as_written(spread, facts, items, most, name_asked)
    series = len(facts) if items else 0
    # "About how long are snapshots kept?" / "…kept for 14 days and written to /srv/backups":
    # the duration is asked, where they go is not (a right "14 days" failed on the path). An
    # amount asked beside another thing ("how many checkpoints, and how do I resume?") comes
    # first, and the other's terms after it.
    asks = TWO_ASKS.split(question)
    if amounts_asked := sum(bool(ASKS_AMOUNT.search(ask)) for ask in asks):
        amounts = [f for f in facts if any(p.fullmatch(f) for p in AMOUNTS)]
        # "How much RAM do I need?" / "It depends on the model. You need at least 4GB.": the
        # sentence after one that gives no amount may (the rare word "model" was proposed).
        if not amounts and (after := SENTENCE_BREAK.split(rest, maxsplit=1)[0]):
            amounts = [p.written for p in terms_of(after, AMOUNTS)]
        others = [] if amounts_asked == len(asks) else [f for f in facts if f not in amounts]
        # Where it gives none, a code or path may say it ("Until `logrotate` removes them."); a
        # name answers no amount ("How much do I have to pay?" / "Lamini offers free credits to
        # demo its paid API.": "API" was the fact).
        code = set(specific_terms(unnumbered, ADDRESS_OR_CODE))
        facts = amounts + others if amounts or others else [f for f in facts if f in code]
    if not facts and not verdict:  # "… how much heat it applies. Its default is 12.": 12
        facts = [p.written for p in default_of(SENTENCE_BREAK.split(rest, 1)[0], terms_of)]
    from_words = not facts
    # A yes/no answer's verdict is what was asked; the rare words after it ("No, it indexes only
    # wiki pages and ticket comments") are detail a right "No." need not say.
    if not facts and not verdict:
        words = rare_words(first, question, answer, asked, name_asked, common, titled, read)
        facts = sorted(dict.fromkeys(words), key=lambda w: -rarity.get(w, 0.0))
    # Its verdict is no fact of a yes/no answer ("It does, on any CPU." is right too); the other
    # verdict is a wrong answer. A value's other spellings are those the scorer reads apart.
    grouped = [
        [*same, *unread_forms(same[0]), *version_alone(same[0], asked)]
        for same in same_values(answer, facts)
    ]
    return grouped[: max(most, len(listed), series)], verdict, from_words and bool(grouped)
