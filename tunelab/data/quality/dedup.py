"""Exact and near-duplicate detection within one set, and between a train and a test set, where a
near-duplicate, or a test question quoted inside a longer train text, is a leak (contamination).

Two texts are near-duplicates when their word 3-shingles overlap (Jaccard) at the threshold once
typos are forgiven (`typos`: a word of one row one slip from a word of others). MinHash + LSH over
the shingles, typos read as their words, propose the pairs to compare, so the search stays
sub-quadratic."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations
from typing import TYPE_CHECKING
from zlib import crc32

from tunelab.data.markers import plain_question
from tunelab.data.quality.junk import NEGATIONS
from tunelab.data.quality.reworded import leaks
from tunelab.data.quality.typos import Whole, forgive_typos, readings, slip_table, word_rows
from tunelab.data.question_keys import normalize_text, prompt_key
from tunelab.data.text import words

if TYPE_CHECKING:
    from tunelab.data.example import Example
    from tunelab.data.retrieval import Passage

SHINGLE_WORDS = 3
# The fewest words a text found inside another must have to count as quoted, not a coincidence.
MIN_QUOTED_WORDS = 6
# The most words a question may add to a quoted one and still ask it ("Can [the] Lamini [library]
# be used to ...?"), and the longest question searched for them.
MAX_ADDED_WORDS, MAX_WIDENED_WORDS = 2, 40


@dataclass
class Pair:
    """Two rows that are (nearly) the same; `similarity` is the typo-forgiving word-shingle
    Jaccard (`similarity()`), 1.0 for a text found whole inside the other: the second inside
    the first's whole text (`inside`), or the first inside the second (`quotes`: a test prompt
    that quotes a train question); `reworded`: found by `reworded.same_facts`, `similarity`
    the answers' TF-IDF cosine."""

    first: int
    second: int
    similarity: float
    inside: bool = False
    quotes: bool = False
    reworded: bool = False

    @property
    def found_as(self) -> str:
        """How the pair was found, as the report's similarity column says it."""
        how = "inside" if self.inside else "quoted" if self.quotes else "reworded" * self.reworded
        return how or f"{self.similarity:.2f}"


def shingles(text: str | list[str], n: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of the lower-cased text (or its words); a text shorter than n words is one."""
    found = words(text) if isinstance(text, str) else text
    if len(found) < n:
        return {" ".join(found)} if found else set()
    return {" ".join(found[i : i + n]) for i in range(len(found) - n + 1)}


def similarity(
    a: list[str],
    b: list[str],
    shingled: tuple[set[str], set[str]] | None = None,
    slips: dict[str, set[str]] | None = None,
) -> float:
    """Jaccard of the word 3-shingles of words `a` and `b` (`shingled`, when already made), a
    typo of either (`slips`, from `slip_table` of the texts searched) read as the other's word.
    Without `slips` nothing is a typo: whether "modes" is one takes the other rows to tell."""
    sa, sb = shingled or (shingles(a), shingles(b))
    if not slips:
        return jaccard(sa, sb)
    # One way, then the other: "resmue" in a is read as b's "resume", which a's answer also has.
    fixed_a = forgive_typos(b, a, slips)
    fixed_b = forgive_typos(fixed_a, b, slips)
    return jaccard(
        sa if fixed_a is a else shingles(fixed_a), sb if fixed_b is b else shingles(fixed_b)
    )


def exact_duplicates(keys: list[str], normalized: bool = False) -> list[Pair]:
    """(first occurrence, repeat) for each key seen before, after whitespace/case normalising
    (`normalized`: the keys are compared as given, as rows' keys whose answers keep their case
    and line breaks are)."""
    first_seen: dict[str, int] = {}
    pairs = []
    for i, key in enumerate(keys):
        norm = key if normalized else normalize_text(key)
        if norm in first_seen:
            pairs.append(Pair(first_seen[norm], i, 1.0))
        else:
            first_seen[norm] = i
    return pairs


def near_duplicates(
    texts: list[str],
    threshold: float = 0.8,
    num_perm: int = 128,
    whole: Whole | None = None,
    keys: list[str] | None = None,
) -> list[Pair]:
    """Pairs (i < j) whose `similarity` is at least `threshold`, exact repeats left out; `whole`
    tells words from typos (see `typos`). With `keys` (each text's question), a pair's
    keys must be that similar too: the same answer to a question asked another way is no
    repeat of the row."""
    found = [words(t) for t in texts]
    sets, slips = [shingles(w) for w in found], slip_table(word_rows(found), whole)
    norms = [normalize_text(t) for t in texts]
    asked = [words(k) for k in keys] if keys is not None else None
    pairs = []
    for i, j in sorted(_candidates(_typos_read(found, sets, slips), None, threshold, num_perm)):
        if norms[i] != norms[j]:
            # LSH only proposes candidates; the exact similarity decides.
            sim = similarity(found[i], found[j], (sets[i], sets[j]), slips)
            if sim >= threshold and (
                asked is None or similarity(asked[i], asked[j], slips=slips) >= threshold
            ):
                pairs.append(Pair(i, j, sim))
    return pairs


def cross_duplicates(
    train: list[str],
    test: list[str],
    threshold: float = 0.8,
    num_perm: int = 128,
    train_full: list[str] | None = None,
    min_inside_words: int = MIN_QUOTED_WORDS,
    whole: Whole | None = None,
) -> list[Pair]:
    """Pairs (train index, test index) that are the same or nearly the same text, every train
    row of each leaking test row (dropping only one would leave its twins leaking). With
    `train_full` (each train row's whole text: prompt and answer, or a document), a test text
    of at least `min_inside_words` words found inside one is a leak too (`Pair.inside`), and so
    is a train text of as many words that a test text quotes (`Pair.quotes`: a test prompt that
    wraps a trained question in context or instructions asks what was trained, though its
    shingles overlap little); typos are then told from words by the whole texts."""
    train_words, test_words = [words(t) for t in train], [words(t) for t in test]
    train_sets, test_sets = [shingles(w) for w in train_words], [shingles(w) for w in test_words]
    rows = word_rows(test_words)
    inside: dict[int, list[int]] = {}
    quoting: dict[int, list[int]] = {}
    if train_full is None:
        rows += word_rows(train_words)
    else:
        quoted = _Quoted(test_words, min_inside_words)
        # One text at a time: only the test texts are held as words here.
        for i, text in enumerate(train_full):
            full = words(text)
            rows.update(set(full).union(train_words[i]))
            for j in quoted.within(full):
                inside.setdefault(j, []).append(i)
        trained = _Quoted(train_words, min_inside_words)
        for j, text in enumerate(test_words):
            for i in sorted(trained.within(text)):
                quoting.setdefault(j, []).append(i)
        # A word or two added to a quoted question asks it still: after lamini_docs' own split,
        # 6 of 143 test questions were a training one with "the ... library" added or left out.
        for i, j in with_added_words(train_words, test_words, min_inside_words):
            quoting.setdefault(j, []).append(i)
        for j, i in with_added_words(test_words, train_words, min_inside_words):
            inside.setdefault(j, []).append(i)
    slips = slip_table(rows, whole)
    near: dict[int, set[int]] = {}
    proposed = _candidates(
        _typos_read(train_words, train_sets, slips),
        _typos_read(test_words, test_sets, slips),
        threshold,
        num_perm,
    )
    for i, j in proposed:
        near.setdefault(j, set()).add(i)
    exact: dict[str, list[int]] = {}
    for i, t in enumerate(train):
        exact.setdefault(normalize_text(t), []).append(i)
    pairs = []
    # Every test row, not only those with shingles: a text without words can still repeat.
    for j, text in enumerate(test):
        same = set(exact.get(normalize_text(text), []))
        found = {}
        for i in sorted(same | near.get(j, set())):
            pair = (train_sets[i], test_sets[j])
            sim = 1.0 if i in same else similarity(train_words[i], test_words[j], pair, slips)
            if sim >= threshold:
                found[i] = Pair(i, j, sim)
        for i in inside.get(j, []):
            found.setdefault(i, Pair(i, j, 1.0, inside=True))
        for i in quoting.get(j, []):
            found.setdefault(i, Pair(i, j, 1.0, quotes=True))
        pairs += sorted(found.values(), key=lambda p: p.first)
    return pairs


def quoted_in(
    texts: list[str], within: list[str], min_words: int = MIN_QUOTED_WORDS
) -> dict[int, int]:
    """For each of `texts` of at least `min_words` words that one of `within` holds word for
    word (case and punctuation aside), the index of the first that does."""
    quoted, found = _Quoted([words(t) for t in texts], min_words), {}
    for i, text in enumerate(within):
        for j in quoted.within(words(text)):
            found.setdefault(j, i)
    return found


def with_added_words(
    shorter: list[list[str]], longer: list[list[str]], min_words: int = MIN_QUOTED_WORDS
) -> list[tuple[int, int]]:
    """(i, j) where `longer[j]` is `shorter[i]` (of at least `min_words` words) with 1 to
    MAX_ADDED_WORDS words added anywhere, none a negation ("not" turns the question round)."""
    index: dict[tuple[str, ...], list[int]] = {}
    for i, text in enumerate(shorter):
        if len(text) >= min_words:
            index.setdefault(tuple(text), []).append(i)
    lengths, found = {len(key) for key in index}, []
    for j, text in enumerate(longer):
        if len(text) > MAX_WIDENED_WORDS:
            continue
        hits: set[int] = set()
        for k in range(1, MAX_ADDED_WORDS + 1):
            if len(text) - k not in lengths:
                continue
            for gone in combinations(range(len(text)), k):
                if not any(text[g] in NEGATIONS for g in gone):
                    kept = tuple(w for g, w in enumerate(text) if g not in gone)
                    hits.update(index.get(kept, ()))
        found += [(i, j) for i in sorted(hits)]
    return found


def _typos_read(
    texts: list[list[str]], sets: list[set[str]], slips: dict[str, set[str]]
) -> list[list[set[str]]]:
    """The word shingles of each of `texts` (`sets`), one set per reading of its typos
    (`readings`): a copy with typos shares these with its original, so LSH proposes it."""
    return [
        [s] if len(r := readings(t, slips)) == 1 and r[0] is t else [shingles(w) for w in r]
        for t, s in zip(texts, sets)
    ]


def _candidates(
    indexed: list[list[set[str]]],
    queries: list[list[set[str]]] | None,
    threshold: float,
    num_perm: int,
) -> set[tuple[int, int]]:
    """(indexed, query) pairs of texts, as shingle sets (`_typos_read`), that LSH finds may reach
    `threshold` in a reading of each; without `queries`, pairs (i < j) within `indexed`."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=bands(threshold, num_perm))
    signatures = _signatures([sets[0] for sets in indexed], num_perm)
    with lsh.insertion_session() as session:
        for i, sig in signatures:
            session.insert(i, sig)
    asking = indexed if queries is None else queries  # an empty test set asks nothing
    owners = [j for j, sets in enumerate(asking) for _ in sets]
    asked = _signatures([s for sets in asking for s in sets], num_perm)
    if queries is not None:
        return {(i, owners[k]) for k, sig in asked for i in lsh.query(sig)}
    return {
        (min(i, owners[k]), max(i, owners[k]))
        for k, sig in asked
        for i in lsh.query(sig)
        if i != owners[k]
    }


class _Quoted:
    """Test texts of at least `min_words` words, kept by their first `min_words` words, so one
    pass over a training text's runs of words finds every test text it quotes."""

    def __init__(self, texts: list[list[str]], min_words: int) -> None:
        self.min_words, self.texts = min_words, texts
        self.by_start: dict[tuple[str, ...], list[int]] = {}
        for j, text in enumerate(texts):
            if len(text) >= min_words:
                self.by_start.setdefault(tuple(text[:min_words]), []).append(j)
        self.first = {start[0] for start in self.by_start}

    def within(self, text: list[str]) -> set[int]:
        """The test texts found word for word inside `text` (as words)."""
        n, found = self.min_words, set()
        for k, w in enumerate(text[: len(text) - n + 1]):
            if w in self.first:
                found.update(
                    j
                    for j in self.by_start.get(tuple(text[k : k + n]), ())
                    if text[k : k + len(self.texts[j])] == self.texts[j]
                )
        return found


def _signatures(sets: list[set[str]], num_perm: int):
    from datasketch import MinHash

    present = [(i, s) for i, s in enumerate(sets) if s]
    # CRC-32 (in C) halves the search time on lamini_docs against datasketch's SHA-1 (in Python).
    hashes = MinHash.bulk(
        [[w.encode() for w in s] for _, s in present], num_perm=num_perm, seed=1, hashfunc=crc32
    )
    return [(i, h) for (i, _), h in zip(present, hashes)]


def bands(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """LSH (bands, rows per band) that propose a pair at `threshold` with probability `recall`.

    datasketch's own choice balances misses against false candidates, which finds only ~40% of
    pairs at the threshold; false candidates cost only an exact similarity here, so take the most
    rows per band (fewest candidates) that still misses at most 1 - recall of them.
    """
    for r in range(num_perm, 0, -1):
        b = num_perm // r
        if 1 - (1 - threshold**r) ** b >= recall:
            return b, r
    return num_perm, 1


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near_questions(train: list[str], test: list[str], answers: list[str] | None = None) -> set[int]:
    """The training questions (indexes) that nearly repeat a test question, typos forgiven as
    `data check` forgives them, words told from typos by the embedded model's tokenizer whatever
    model trains (so `data split` and training split alike), and those quoting one or quoted in
    one ("Are there any pre-trained models available in Lamini that can be fine-tuned ...?"),
    as `data check` finds them: what the split keeps off the training side
    (`tunelab.data.split.NearQuestions`). Given `answers` (train's, then test's), also the rows
    giving a test row's answer to its question reworded, at `data check`'s default thresholds
    (`reworded.leaks`)."""
    pairs = cross_duplicates(train, test, train_full=train, whole=_embedded_words())
    found = {pair.first for pair in pairs}
    return found | {i for i, _, _ in leaks(train, test, answers)} if answers else found


@cache
def _embedded_words() -> Whole:
    from tunelab.data.quality.check import whole_words
    from tunelab.models.load import EMBEDDED_NAME, pretrained_tokenizer

    return whole_words(pretrained_tokenizer(EMBEDDED_NAME))


def own_rows(passages: list[Passage], tests: list[Example]) -> list[set[int]]:
    """For each test row, the indices of the corpus rows that are that row again: asking its
    question (as `data check` finds a test question in training data: `prompt_key`, typos and
    near-duplicates too) or repeating the row nearly word for word (as `data check`'s
    near-duplicates). With the training data as the corpus, such a row hands the model its
    reference answer: training left out the rows asking a test question, but the corpus is the
    file as it is."""
    rows = [i for i, p in enumerate(passages) if p.asks is not None]
    asked = [prompt_key(t) for t in tests]
    test_rows = [f"{plain_question(t.question)}\n{t.answer}" for t in tests]
    own: list[set[int]] = [set() for _ in tests]
    for corpus, test in (
        ([passages[i].asks for i in rows], asked),
        ([passages[i].text for i in rows], test_rows),
    ):
        for pair in cross_duplicates(corpus, test):
            own[pair.second].add(rows[pair.first])
    return own
