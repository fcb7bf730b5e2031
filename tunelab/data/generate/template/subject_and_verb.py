"""The rules that tell a sentence's subject from its verb, for `sentence_question`: whether a word
is a verb's -ed form describing its noun ("A run trained with `qa` has no turns"), a plural's bare
verb ("Test runs skip the slow tests"), a step the reader takes ("Investigate suspicious scores"),
or a name ("Ferrylog") rather than plain English."""

from __future__ import annotations

import re

from tunelab.data.generate.template.heading_grammar import NOT_VERBS
from tunelab.data.generate.template.word_classes import (
    ADVERBS,
    AUXILIARIES,
    DETERMINERS,
    MEASURE,
    NO_OBJECT,
    NOT_A_HEAD,
    OBJECT_OPENERS,
    PARTICIPLES,
    PARTICLES,
    POSSESSIVES,
    VERBS,
    ed_stems,
    english,
    has_past,
    opens_an_object,
    singular,
    third_person,
)
from tunelab.data.text import NAMES_THAT_ARE_WORDS

ARTICLES = frozenset({"a", "an", "the"}) | POSSESSIVES


def participle(word: str) -> bool:
    """A verb's -ed form ("simulated", "cached", "stopped"), not a word that ends so ("speed")."""
    return english_stem(word) is not None


def english_stem(word: str) -> str | None:
    """The verb an -ed form is of, by the dictionary ("maintained" -> "maintain", "applied" ->
    "apply", "stopped" -> "stop"); None for a word that only ends so ("speed")."""
    if not word.endswith("ed") or len(word) <= 4:
        return None
    return next((s for s in ed_stems(word) if english(s)), None)


# Words before a verb that make it no second verb of the sentence's own: "... and finished",
# "... that are free".
JOINS_A_VERB = frozenset("and or but that which who".split())


def verb_later(rest: str) -> bool:
    """Whether the words after a past form hold the sentence's verb ("A run trained with `qa`
    has no turns", "A compare cut short asks only the questions left"), so that form describes
    its noun: an auxiliary, or an -s verb before its object, in the same clause."""
    words = re.split(r"[;:(]|,(?!\d)", rest)[0].lower().split()  # "from 2,000 sets is"
    for before, word, following in zip(["", *words], words, [*words[1:], ""]):
        if before in JOINS_A_VERB | DETERMINERS | POSSESSIVES:
            continue  # "and finished", "the runs"
        if word in AUXILIARIES - {"be", "been"} or (
            third_person(word) and following in OBJECT_OPENERS | ADVERBS
        ):
            return True
    return False


# A plural noun, then code a singular verb goes with: "The fewest GPUs `tunelab plan` says
# each run fits on" is what the code says of the GPUs, a clause with no "that".
RELATIVE = re.compile(r"\w[^\W_sui]s `[^`]+`$")
# Verbs a bare verb follows, after their object or without one: "let tests skip", "helps find".
TAKES_A_BARE_VERB = frozenset("let make help".split())
# The -s forms of verbs with no object: "Completion means the process exited" has its verb.
OBJECTLESS = frozenset(
    w + ("es" if w.endswith(("o", "ss", "sh", "ch")) else "s") for w in NO_OBJECT
)
# Endings of verbs that are seldom nouns: "Investigate ...", "Identify ...", "Distinguish ...".
VERB_ENDINGS = ("ate", "ify", "ize", "ish")


def a_step(first: str, second: str) -> bool:
    """Whether a sentence opening with `first` and `second` is a step the reader takes ("Do not
    delete runs ...", "Investigate suspicious uniform scores ...", "Confirm the same regression
    passes ..."), whose next words only look like a subject and its verb."""
    word = first.lower()
    if word in ("do", "don't", "never", "please"):
        return True
    if word.startswith("re-"):  # "Re-register", "Re-run": a verb made again
        return english(word[3:]) and has_past(word[3:])
    if second.lower() in OBJECT_ARTICLES and english(word) and not word.endswith(("ing", "s")):
        return True  # "Invoke the matched skill": a noun is seldom followed by "the"
    shortest = 8 if word.endswith("ate") else 6  # "Template", "Climate" are nouns
    return len(word) >= shortest and word.endswith(VERB_ENDINGS) and has_past(word)


# Words that open a verb's object right after it: "Invoke the ...", "Check your ...".
OBJECT_ARTICLES = frozenset("the a an your each every all this these those".split())


def named(subject: str) -> bool:
    """Whether a past tense's subject names a thing ("the old guide", "`tunelab demo`",
    "Ferrylog"), not a word that is a step's verb or another part ("Verify", "Everything went
    fine until I", "Evaluating Large Language Models" before "Trained on Code")."""
    first = subject.split()[0]
    lowered = first.lower()
    named = not plain_words(first)
    return lowered in DETERMINERS | POSSESSIVES | {"my"} or first[:1] == "`" or named


def noun_phrase(subject: str) -> bool:
    """Whether a subject is surely a noun phrase: `named`, one word, or opened by a word that is
    no verb or adverb ("Old runs", "Identity settings"); not "Make sure `None`" (a step) or
    "Merely `x`"."""
    first = subject.split()[0].lower()
    plain = not (first in VERBS or has_past(first) or first.endswith("ly"))
    return named(subject) or " " not in subject or plain


def plain_words(word: str) -> bool:
    """Whether a word is ordinary English, each part of it if hyphenated ("Built-ins",
    "Metric-only"), not a name ("Ferrylog", "ARC-Easy") or code."""
    parts = [p for p in word.split("-") if p]
    acronym = any(len(p) > 1 and p.isupper() for p in parts)
    return word[:1] != "`" and bool(parts) and not acronym and all(map(english, parts))


# How a hyphenated adjective's last part ends: "case-insensitive", "thread-safe", "read-only",
# "user-defined" ("-ing" is left out: "Pre-processing" is as often a noun).
ADJECTIVE_ENDINGS = ("ive", "ible", "able", "ed", "less", "ful", "ous", "ic")
ADJECTIVE_PARTS = frozenset("only safe aware free specific level party source time".split())


def compound_adjective(word: str) -> bool:
    """Whether a hyphenated word is an adjective before its noun ("Held-out answers",
    "Case-insensitive matches", "Built-in checks"), not a noun ("Pre-commit", "Sign-up"): the
    sentence's subject goes on to the word after it, which is no verb."""
    parts = word.lower().split("-")
    if len(parts) < 2 or not all(parts) or not plain_words(word):
        return False
    last = parts[-1]
    made = last in PARTICLES | {"in"} and (participle(parts[0]) or parts[0] in PARTICIPLES)
    return made or last.endswith(ADJECTIVE_ENDINGS) or last in ADJECTIVE_PARTS


def before_its_noun(after: str) -> bool:
    """Whether an -ed word is an adjective before its noun, the subject going on: "supported
    names include", "required inputs should", not "used 2 cores" or "dropped flags that ..."."""
    words = after.split()[:2]
    return (
        len(words) == 2
        and re.fullmatch(r"[a-z]+s", words[0]) is not None
        and (words[1] in AUXILIARIES or words[1] in VERBS)
    )


# Words with a past tense that join a noun to the next one: "Rows like the ones above ...".
JOINING = frozenset("like unlike than per via plus minus versus".split())


def bare_verb(word: str, subject: str, rest: str, noun_object: bool = False) -> bool:
    """Whether `word` is the bare verb of a plural subject ("The logprobs score the tokens",
    "`/leaderboard` and `/api/ratings` name the models"): a listed verb, or an English word with
    a past tense, before its object or a measure ("Sessions expire after 15 minutes"). A plural then a noun ("The runs folder holds ...") has no
    object after that noun; a longer subject opening with a verb is a step, and one
    opening with a preposition is no noun phrase ("Between 2 and 4 workers share ...").
    `noun_object`: a plural noun may open the object ("The servers accept requests") of a
    subject that is surely a plural noun phrase (one word, or opened by a plural determiner);
    not where `word` decides whether the word before it is a verb ("`tqdm` accepts short
    aliases")."""
    words = [w.lower() for w in subject.split()]
    plural = "and" in words or (re.fullmatch(r"[a-z]{3,}s", words[-1]) and not singular(subject))
    # "Changes to vault.conf take effect ...": a plural noun and what it is of, its head first.
    of_a_thing = re.fullmatch(r"[A-Z]?[a-z]{2,}s (?:to|of|for|in|on) \S+(?: \S+){0,2}", subject)
    plural = plural or bool(of_a_thing and not singular(subject.split()[0]))
    # A verb naming a kind opens a noun phrase ("Test runs", "Log files"); before more words
    # than a kind and its noun, a step ("Run the tests ...").
    step = words[0] in VERBS and len(words) > 2
    opens = step or words[0] in NOT_VERBS - OBJECT_OPENERS  # "Between 2 and 4"
    helps = words[-1][:-1] in TAKES_A_BARE_VERB  # "`tunelab doctor` helps find ..."
    # "Rerun 2026-12-01 after words the answers": an article after a noun opens a second phrase.
    run_on = any(b in ARTICLES and a not in NOT_A_HEAD | {"of"} for a, b in zip(words, words[1:]))
    # "The documentation for this": "this" ends so, and is no plural.
    if not plural or opens or helps or run_on or words[-1] in NOT_A_HEAD | {"this"}:
        return False
    if (
        not re.fullmatch(r"[a-z]+", word)
        or word in NOT_VERBS | NOT_A_HEAD | AUXILIARIES | ADVERBS | JOINING | PARTICLES
    ):
        return False
    if word.endswith("s") and not word.endswith("ss"):
        return False  # "runs", "names": a plural noun, or a singular subject's verb
    number, _, after = rest.strip(" .").partition(" ")
    if re.fullmatch(r"\d[\d.,]*", number) and (not after or after.split()[0] in NOT_A_HEAD):
        return False  # "The console uses port 443 (for ...)": a noun and its number, no object
    verb = word in VERBS or (word not in NO_OBJECT and has_past(word))
    # "Windows code pages" is a name's noun phrase, no plural and its verb; "Portalocker
    # provides file locks" and "An empty declaration selects no imports" have theirs earlier.
    one_word = len(words) == 1 and subject not in NAMES_THAT_ARE_WORDS
    nouns = noun_object and (one_word or words[0] in PLURAL_DETERMINERS) and word != "no"
    idiom = rest.split(" ", 1)[0] in BARE_OBJECTS.get(word, ())  # "take effect after ..."
    return verb and bool(opens_an_object(rest, nouns) or MEASURE.match(rest) or idiom)


# Verbs whose bare noun after them is one verb with them, no object: "The settings take effect
# after a restart" is asked when they take effect, as "The change takes effect ..." is.
BARE_OBJECTS = {"take": frozenset({"effect", "place"})}


# Determiners a plural noun phrase opens with: "The servers", "Your runs", "Two workers".
PLURAL_DETERMINERS = (DETERMINERS | POSSESSIVES) - {"a", "an", "every", "one", "its", "his", "her"}
