"""Words, split one way for everything that counts or compares them (diversity, duplicates, junk,
grounding, retrieval, error analysis, ROUGE-L): runs of letters, digits and the marks written on
them, of any script ("café" and "2048" are words, and so is Hindi's "हिंदी", whose vowel signs are
marks; punctuation and underscores split them), lower-cased; in scripts written without spaces
(Chinese, Japanese, Thai...) each character is a word. And sentences, where a reply repeats one;
and a text as one short line, as the reports show a question or an answer."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import cache

import regex

# Very common words carry no topic; dropping them keeps overlap and BM25 about content.
_STOPWORDS = (
    "a an the and or of to in on for is are was were be been it its this that with as at by from "
    "what which who how why when where do does did can could would should will i you he she we they "
    "not no yes your my our their there here than then so if but about into"
    # What `words` makes of a contraction ("don't" is "don", "t"; "they'll" "they", "ll"): "It's
    # not free, you don't get it" held 4 such topic words, and read as off-topic. Not "won":
    # "Spain won" is about winning.
    " s t d m ll re ve don doesn didn isn aren wasn weren wouldn shouldn couldn haven hasn hadn"
)
STOPWORDS = frozenset(_STOPWORDS.split())
# Words that name no fact and no topic: the stop words, and the common ones a question's or an
# answer's phrasing adds ("Can I use it with all my files?" is about files).
FUNCTION_WORDS = STOPWORDS | frozenset(
    """else these those me us them may might must have has had also just only more most less very
    such too out up down over under use used using uses one all any each other some
    once during beyond least before after above below since until upon onto toward towards
    among against along around through throughout despite although though whether while
    whereas within without per via yet still already even ever never again almost enough
    rather quite longer""".split()
    # a contraction's first part, as normalize leaves it ("hasn't" -> "hasn t")
) | frozenset("hasn haven isn aren wasn weren doesn didn don won wouldn couldn shouldn mustn "
              "needn shan ain cannot none nothing nobody".split())  # fmt: skip
# The prepositions: function words, and where a noun's phrase ends ("3 packages without", "Phi-3
# mini on a laptop"); nine of them ("past", "between", "near"...) are no FUNCTION_WORDS, whose
# other users (topics, specific terms) read them as words.
PREPOSITIONS = frozenset(
    """about above across after against along among around as at before behind below beside
    between beyond by despite down during except for from in inside into near of on onto out
    outside over past per since through throughout to toward towards under until up upon via
    with within without""".split()
)
# A table's column that holds each row's value ("What is the default poll_interval?"), and so
# what a question asks of a setting: "the default" and "the range" of one are two facts.
VALUE_COLUMNS = (
    "default", "value", "limit", "maximum", "max", "minimum", "min", "recommended", "range", "unit"
)  # fmt: skip
# A word in more than this share of a collection's texts, and in more than COMMON_LEAST of them,
# is the collection's own vocabulary, which an answer in its style says whatever it states: no
# fact (lamini_docs' answers: "LLM" 25%, "AI" 19%, "Lamini" 91%; "Python" 10%, kept).
COMMON_SHARE = 0.10
COMMON_LEAST = 3
# A word is no topic only where most of the texts say it ("Lamini", 91%): one in a fifth of them
# picks out the rows about its thing (a small set's product, named in 8 of 40 rows).
TOPIC_SHARE = 0.5

# Names of software a document starts a sentence with that the dictionary knows as words: a
# document that says only "Windows is not supported." is asked about Windows, not windows.
NAMES_THAT_ARE_WORDS = {
    "Windows", "Python", "Java", "Ruby", "Rust", "Swift", "Chrome", "Safari", "Excel",
    "Outlook", "Slack", "Docker", "Jupyter", "Android", "Ubuntu", "Debian", "Kafka", "Spark",
    "Bluetooth",
}  # fmt: skip
# Any of them, as a pattern: a sentence's first word that is such a name is no verb or plural
# (the proposer's `specific_terms` and `sentence_openers` read them so).
NAME_THAT_IS_A_WORD = rf"(?:{'|'.join(sorted(NAMES_THAT_ARE_WORDS))})"
# The word that joins a list's last item on: "a, b and c", "a, b or c", "a & b", "a, b as well as
# c" (one for every rule that reads a list: the proposer's, spread_units' for the scorer).
AND_OR = r"(?:and|or|&|as\s+well\s+as)"

# Chinese and Japanese (kanji, kana) are written without spaces, a character about a word.
_CJK_RANGES = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003ffff"
)
CJK = re.compile(f"[{_CJK_RANGES}]")
# Every script written without spaces between words: those, and Thai, Lao, Tibetan, Myanmar, Khmer.
_UNSPACED_RANGES = _CJK_RANGES + "\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff"
UNSPACED = re.compile(f"[{_UNSPACED_RANGES}]")
# A word: in a script without spaces one character with its marks (a grapheme, \X), as there is
# no telling where its words end; elsewhere a run of letters, digits and their marks. Python's \w
# leaves out combining marks, which would cut "हिंदी" into "ह", "द": the `regex` package (a
# dependency of transformers) names the Unicode categories and graphemes.
_WORD = regex.compile(
    rf"(?=[{_UNSPACED_RANGES}])\X|(?:(?![{_UNSPACED_RANGES}])[\p{{L}}\p{{N}}\p{{M}}])+"
)
_SPACED_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")  # the same, for text without those scripts


def spaced(text: str) -> str:
    """`text` with a space on each side of every character of a script written without spaces, so
    that patterns that look for word edges find them: "モデルはSmolLM2です" holds "SmolLM2"."""
    # A function, not the template r" \g<0> ", which Python 3.11 expands in Python at every
    # match: 2.3x the time on Chinese text. Most text has none of these scripts: looked for first.
    return UNSPACED.sub(_space_around, text) if UNSPACED.search(text) else text


def _space_around(match: re.Match) -> str:
    return f" {match.group()} "


def unspaced(text: str) -> str:
    """`spaced` undone, on all of a text or a piece of it: the space it put each side of a
    character of a script without spaces taken away again."""
    return re.sub(f" ?({UNSPACED.pattern}) ?", r"\1", text)


def one_line(text: str, width: int) -> str:
    """`text` on one line (each run of spaces and line breaks one space), cut to `width`
    characters, an ellipsis its last where it was cut (after a word, not a space)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def words(text: str) -> list[str]:
    """The lower-cased words of `text`, in order; an accent typed as a letter and a combining
    mark ("e\u0301") is the accented letter ("é"); in Chinese, Japanese, Thai... each character
    is a word ("首都是北京" is five)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return (_WORD if UNSPACED.search(text) else _SPACED_WORD).findall(text.lower())


def content_words(text: str) -> list[str]:
    """The words of `text` that carry its topic (no STOPWORDS)."""
    return [w for w in words(text) if w not in STOPWORDS]


def common_words(counts: Counter[str], texts: int, share: float = COMMON_SHARE) -> frozenset[str]:
    """The words of `counts` (each word: how many of `texts` texts say it) that more than
    `share` of them say, and more than COMMON_LEAST: the texts' own vocabulary (`TOPIC_SHARE`:
    the words that are no topic)."""
    least = max(COMMON_LEAST, share * texts)
    return frozenset(w for w, n in counts.items() if n > least)


def stem(word: str, shortest: int = 3) -> str:
    """trains, training, trained -> train: enough to match an answer's word to the source's; a
    stem keeps at least `shortest` letters (2 lets "used" meet "use" as "us")."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
            return word[: -len(suffix)]
    return word


def stems(text: str, left_out: frozenset[str] = frozenset()) -> list[str]:
    """The words of `text` (`words`) but `left_out`, stemmed, but for a word in capitals ending
    in S, which is no plural: "HTTPS" is not "HTTP", nor "AWS" "AW" (`stem` sees words
    lower-cased). A status in capitals is stemmed still ("RUNNING", "CANCELED" are "running",
    "canceled")."""
    return [s for w, s in worded_stems(text) if w not in left_out]


def worded_stems(text: str) -> list[tuple[str, str]]:
    """Each word of `text` (`words`) with its stem (`stems`): for a check that reads both, which
    split the text twice as `zip(words(text), stems(text))`."""
    kept = {w.lower() for w in _CAPITALS_ENDING_IN_S.findall(text)}
    return [(w, w if w in kept else stem(w)) for w in words(text)]


_CAPITALS_ENDING_IN_S = re.compile(r"\b[A-Z]+S\b")  # "HTTPS", "AWS", "DNS"; "GPUs" is a plural


# A sentence or a line of a model's reply as it streams: text up to its end mark (Chinese and
# Japanese full stops, Hindi's danda too) or newline, found where it stands (the repeat checks
# below need its place, and a loop "the answer is 1. the answer is 1." ends at each mark, capital
# or not); `sentences` splits a document's or an answer's text, which a capital starts.
_ENDS = ".!?。！？।"
# A "." inside a word ends nothing: "version 3.5", "config.yaml" ("Set it to version 3." would
# be said again by "Set it to version 3.6.").
_SENTENCE = re.compile(rf"(?:[^{_ENDS}\n]|(?<=\w)\.(?=\w))+(?:[{_ENDS}]+(?!(?<=\w\.)\w)|\n)")
# A clause: text up to a comma or semicolon, or a sentence's end ("1,000" and "3.5" end none). A
# small model also loops on a clause: "你可以用中文来输出，你可以用中文来输出，..."
_COMMAS = ",，、;；"
_CLAUSE = re.compile(
    rf"(?:[^{_ENDS}{_COMMAS}\n]|(?<=\w)[.,](?=\w))+(?:[{_ENDS}{_COMMAS}]+(?!(?<=\w[.,])\w)|\n)"
)
_WORD_DOT_END = re.compile(r"\w[.,]$")
# What completes a sentence or clause, so may complete a repeat.
SENTENCE_END = re.compile(f"[{_ENDS}{_COMMAS}\n]")


# Where one sentence of a line ends and the next begins: after an end mark and space, before
# what opens a sentence (a capital, code, a quote or a bracket), so that "config.yaml", "version
# 3.5", "`tunelab.data.` and its name" and "Set it to 3 or 4. then" end none; or after a
# Chinese, Japanese or Hindi mark, which no space follows.
_NEXT_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(])|(?<=[。！？।])\s*(?=\S)")
# A mark after these ends no sentence: "Pick a format, e.g. Alpaca."
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf)\.$")


def sentences(text: str) -> list[str]:
    """The sentences of `text`, a line that ends without a mark (a heading, a table row) one too.
    One splitter for the quality checks and template mode's paragraphs (joined lines)."""
    found: list[str] = []
    for line in text.splitlines():
        said: list[str] = []
        for piece in _NEXT_SENTENCE.split(line):
            if said and _ABBREVIATION.search(said[-1]):
                said[-1] += " " + piece
            else:
                said.append(piece)
        found += [s.strip() for s in said if s.strip()]
    return found


def _sentence_words(sentence: str) -> list[str]:
    """A sentence's words as repeats are compared: between spaces, and each character of a script
    without them ("首都是北京。" is five and its mark)."""
    return [w for w in spaced(sentence).lower().split() if w.strip(_ENDS)]  # "。" is no word


def _clause_words(clause: str) -> tuple[str, ...]:
    """A clause's words as a repeat of the one before is told: its marks left out."""
    return tuple(
        w for w in (w.rstrip(_ENDS + _COMMAS) for w in spaced(clause).lower().split()) if w
    )


def _after_comma(match: re.Match) -> bool:
    return match.group()[-1] in _COMMAS


def _clause_words_needed(min_words: int) -> int:
    """A clause said again right after itself is a loop at one word fewer than a sentence said
    again anywhere: a line of two words, each ending at its comma ('"name_type":
    "name_type",' until the length ran out), was none."""
    return max(2, min_words - 1)


def repeat_start(text: str, min_words: int = 3) -> int | None:
    """Where `text` starts saying again a whole sentence or line (of `min_words` words or more)
    it has said before, or a clause it has just said (after a comma), or None. A model that lost
    track says "The answer is 1." forever."""
    found = []
    seen: set[tuple[str, ...]] = set()
    for match in _SENTENCE.finditer(text):
        sentence = tuple(_sentence_words(match.group()))
        if len(sentence) < min_words:
            continue
        if sentence in seen:
            found.append(match.start())
            break
        seen.add(sentence)
    before, after_comma = (), False
    for match in _CLAUSE.finditer(text):
        clause = _clause_words(match.group())
        if after_comma and len(clause) >= _clause_words_needed(min_words) and clause == before:
            found.append(match.start())
            break
        before, after_comma = clause, _after_comma(match)
    return min(found, default=None)


def repeated_sentence(text: str, min_words: int = 3) -> tuple[str, int] | None:
    """The first sentence or line of a finished `text` (of `min_words` words or more) that it
    says more than once, as first said, and how many times: what `repeat_start` stops."""
    said: dict[tuple[str, ...], list[str]] = {}
    for match in _SENTENCE.finditer(text + "\n"):  # its last sentence may lack an end mark
        if len(key := tuple(_sentence_words(match.group()))) >= min_words:
            said.setdefault(key, []).append(match.group().strip())
    return next(((s[0], len(s)) for s in said.values() if len(s) > 1), None)


def looping_phrase(text: str, n: int = 4, times: int = 3) -> tuple[str, int] | None:
    """Some `n` words said `times` times or more ("so the gains come from fast kernels, so the
    gains come from ..."), and how often: a small model looping inside a sentence; or None. In
    Chinese and Japanese, whose characters are words of their own, 2n characters (a word is
    about two)."""
    # Words, not whitespace tokens: list bullets ("- the number of") are no repeated phrase.
    tokens = [w for w in words(text) if not CJK.match(w)]
    chars = CJK.findall(text)
    for grams in (
        Counter(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)),
        Counter("".join(chars[i : i + 2 * n]) for i in range(len(chars) - 2 * n + 1)),
    ):
        if grams and (top := grams.most_common(1)[0])[1] >= times:
            return top
    return None


class SaidSentences:
    """The sentences a growing reply has said, read once each as it streams (for `repeat_start`
    and `held_back`): reading the whole reply again for every token would cost time that grows
    with its length. Each call's text starts with the last one's, or is read again whole."""

    def __init__(self, min_words: int = 3):
        self.min_words = min_words
        self.length = 0  # of the text last read
        self.settled = 0  # text[:settled] is whole sentences that no more text can change
        self.seen: set[tuple[str, ...]] = set()
        self.prefixes: set[tuple[str, ...]] = set()  # the start of each sentence said, any length
        self.repeat: int | None = None  # where a settled sentence was one said before
        self.clauses_settled = 0  # as `settled`, for clauses
        self.clause: tuple[str, ...] = ()  # the last settled clause's words
        self.after_comma = False  # whether that clause ended at a comma (the next may repeat it)
        self.clause_repeat: int | None = None  # where a settled clause said the one before again

    def _read(self, text: str) -> None:
        if len(text) < self.length:  # a shorter view: the sentence it ends in may still grow
            self.__init__(self.min_words)
        self.length = len(text)
        for match in _SENTENCE.finditer(text, self.settled):
            if match.end() == len(text) and not text.endswith("\n"):
                break  # its end mark may still grow: "1." may become "1..."
            if len(sentence := tuple(_sentence_words(match.group()))) >= self.min_words:
                if sentence in self.seen and self.repeat is None:
                    self.repeat = match.start()
                self.seen.add(sentence)
                self.prefixes.update(sentence[:n] for n in range(len(sentence) + 1))
            self.settled = match.end()
        for match in _CLAUSE.finditer(text, self.clauses_settled):
            if match.end() == len(text) and not text.endswith("\n"):
                break
            clause = _clause_words(match.group())
            if self._says_again(clause) and self.clause_repeat is None:
                self.clause_repeat = match.start()
            self.clause, self.after_comma = clause, _after_comma(match)
            self.clauses_settled = match.end()

    def _says_again(self, clause: tuple[str, ...]) -> bool:
        return (
            self.after_comma
            and len(clause) >= _clause_words_needed(self.min_words)
            and clause == self.clause
        )

    def repeat_start(self, text: str) -> int | None:
        """`repeat_start(text)`, reading only what is new since the last call, but for a text
        ending in a mark that may be inside a word ("3." of "3.6")."""
        self._read(text)
        found = [self.repeat, self.clause_repeat]
        # A "." right after a word may yet be inside it ("version 3." becoming "3.6"): the last
        # sentence or clause is read once the next character shows; the reply's end reads it.
        if _WORD_DOT_END.search(text, max(0, len(text) - 2)):  # its end only: once per token
            return min((f for f in found if f is not None), default=None)
        if self.repeat is None:
            last = _SENTENCE.search(text, self.settled)  # ended, though its marks may grow
            if last and len(sentence := tuple(_sentence_words(last.group()))) >= self.min_words:
                found.append(last.start() if sentence in self.seen else None)
        if self.clause_repeat is None:
            last = _CLAUSE.search(text, self.clauses_settled)
            if last and self._says_again(_clause_words(last.group())):
                found.append(last.start())
        return min((f for f in found if f is not None), default=None)

    def held_back(self, text: str) -> int:
        """How much of `text`, a reply with no repeat in it, is certain to stay whatever follows
        (see `repeat_start`): all but a last sentence that may yet become one said before, which
        is so while its whole words so far begin an earlier sentence (of `min_words` words or
        more)."""
        self._read(text)
        # What was said again is never certain, whichever call finds it first.
        certain = min(
            (r for r in (self.repeat, self.clause_repeat) if r is not None), default=len(text)
        )
        rest = text[self.settled :]
        # End marks alone start no sentence.
        start = self.settled + len(rest) - len(rest.lstrip(_ENDS + "\n"))
        if (
            start < len(text)
            and tuple(self._whole_words(text, start, _sentence_words)) in self.prefixes
        ):
            certain = min(certain, start)
        # And the clause after a comma, while it begins as the one before it did.
        rest = text[self.clauses_settled :]
        start = self.clauses_settled + len(rest) - len(rest.lstrip(_ENDS + _COMMAS + "\n"))
        needed = _clause_words_needed(self.min_words)
        if self.after_comma and len(self.clause) >= needed and start < len(text):
            said = self._whole_words(text, start, _clause_words)
            if self.clause[: len(said)] == said:
                certain = min(certain, start)
        return certain

    @staticmethod
    def _whole_words(text: str, start: int, split) -> tuple[str, ...]:
        """The words of text[start:] that no more text can change: a last word may still grow,
        and its last letter change ("Σ" is "ς" at a word's end)."""
        said = list(split(text[start:]))
        if said and not text[-1].isspace():
            said.pop()
        return tuple(said)


@cache
def english_dictionary():
    """pyspellchecker's English words (loaded once, on first use)."""
    from spellchecker import SpellChecker

    return SpellChecker()


def english(word: str) -> bool:
    """An ordinary English word ("Context"), not a name ("Tunelab")."""
    return bool(english_dictionary().known([word.lower()]))
