"""Facts where a reference's answering sentence names no specific term: its rarest content words
over the test set (a weaker guess, for a person to review first; tunelab.evaluate.facts.propose),
less the question's words in any form ("generate" of "generating") and the words any explaining
answer uses ("runs", "provides", "depends" are no facts; "weekly" and "checkpoint" may be).
Where the question asks a name ("Which tool…?", "Who…?") or the answer explains at length (over
30 words), only a word it names is taken ("pip" of "using pip, the package manager"; "Lamini"
opening the answer to "Which library…?", though the answers say it all along): their other rare
words are style."""

from __future__ import annotations

import re

import regex

from tunelab.data.text import FUNCTION_WORDS, stem
from tunelab.evaluate.facts.answer_values import quantity_asked
from tunelab.evaluate.facts.asked import ASKS_OPINION
from tunelab.evaluate.facts.normalize_numbers import normalize
from tunelab.evaluate.facts.stated import Words, states


def rare_words(
    sentence: str,
    question: str,
    answer: str,
    asked: set[str],
    name_asked: bool,
    common: frozenset[str],
    titled: set[str],
    read: bool,
) -> list[str]:
    """The words of `sentence` that may be `answer`'s facts, `normalize`d, in its order, for the
    caller to rank by rarity: none the question `asked` says in any form, none of `common` (the
    test set's answers say them all along) but the name the sentence opens with, none of a name
    `titled` the question's subject; `read`: whether a negation says the fact."""
    if ASKS_OPINION.search(question):  # "Who is better you or chatgpt?": only an option
        words = _picked(sentence, asked)  # picked is a fact ("lamini" of "Lamini is..." was)
        return [w for w in words if states(answer, Words(w), read)]
    if quantity_asked(sentence):  # "sets how long it waits": no word states it
        return []
    # A word the question says in another form restates it ("generating", "generate"); a term
    # made of the question's words in another form may not ("cached": "~/.cache/tunelab").
    asked_roots = set(map(_root, asked))
    # A question asking a name ("Which library…?") and an answer that explains at length are
    # answered by a name, or by no one word: their other rare words are their style
    # ("realm", "revel"; "package", "manager" of "pip, the package manager"; lamini_docs: 2
    # of 27 such rows had their fact among them).
    names, opening = _names(sentence, name_asked)
    names_only = name_asked or len(answer.split()) > _AT_LENGTH
    words = [
        w for w in normalize(sentence).split()
        # A character of a script without spaces is a word of its own: too short to be a fact.
        if (len(w) > 3 or w in names) and not w.isdigit() and _root(w) not in asked_roots
        and not _PRIVATE.search(w)  # how the scorer marks a sign or a currency: no text
        and w not in FUNCTION_WORDS and (w not in common or w in opening)
        and w not in _GENERIC  # "provides", "depends": a correct answer need not say them
        and w not in titled
        and (w in names or not names_only)
    ]  # fmt: skip
    return [w for w in words if states(answer, Words(w), read)]  # "not specifically designed"


# An answer of more words explains (lamini_docs' run to 40 and more); its first sentence's
# rare words are its style where it names no specific term.
_AT_LENGTH = 30
# A word the answer names with an apposition: "using pip, the package manager for Python" (not
# "their strengths, the first one").
_NAMED = re.compile(
    r"\b(?:using|with|via|through|called|named)\s+([^\W\d_][\w-]*),\s+(?:the|a|an)\s",
    re.IGNORECASE,
)


def _picked(sentence: str, asked: set[str]) -> list[str]:
    """The option of the question an answer to an opinion question opens by picking ("ChatGPT
    is better", "Lamini is the best"), `normalize`d; none where it weighs them."""
    m = re.match(
        r"\W*([\w-]+)\s+(?:is|are)\s+(?:(?:much|far|the)\s+)*(?:better|best|preferable)\b",
        sentence,
        re.IGNORECASE,
    )
    return [normalize(m[1])] if m and normalize(m[1]) in asked else []


def _names(sentence: str, name_asked: bool) -> tuple[set[str], set[str]]:
    """The words of `sentence` that name a thing (`normalize`d): one it names with an
    apposition ("pip, the package manager"); and where the question asks a name, the capitalised
    word that opens the sentence ("Windows is not supported"), however often the test set's
    answers say it ("Lamini is designed…" answers "Which library…?"): (names, that opening
    name)."""
    names = {normalize(m[1]) for m in _NAMED.finditer(sentence)}
    opening = re.match(r"\W*([A-Z][\w-]*)\b", sentence)
    asked = {normalize(opening[1])} if opening and name_asked else set()
    return names | asked, asked


def _root(word: str) -> str:
    """A word without its ending: "generating" and "generate" are one word, "applies" and
    "apply" too (the question's "apply" was proposed as the fact "applies")."""
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    return stem(word).removesuffix("e")


_PRIVATE = regex.compile(r"\p{Co}")


# Words an explaining answer uses whatever it explains: no fact, though rare in a test set
# (lamini_docs' "having", "currently", "every", "both", "sorry" were proposed as its facts).
_GENERIC = frozenset(
    """provides provide provided offers offer offered depends depend allows allow allowed helps
    help helped holds hold held contains contain uses used includes include including included
    makes make made runs run keeps keep works work working worked gives give given takes take lets let needs need means mean
    various different specific available important possible able certain several many
    constantly generally usually often typically always simply easily directly especially
    between within without across case cases example examples expanding ensure ensures
    based well like also however therefore things thing way ways part parts kind kinds
    number lot lots sure better best good great fully completely entirely totally really
    actually basically talks talk says say sadly unfortunately fortunately luckily
    having being every both currently related sorry
    called named termed dubbed known""".split()  # a naming verb: "(called llama)" names llama
)
