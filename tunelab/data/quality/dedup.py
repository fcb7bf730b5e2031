"""Exact and near-duplicate detection within one set, and between a train and a test set, where a
near-duplicate, or a test question quoted inside a longer train text, is a leak (contamination).

Two texts are near-duplicates when their word 3-shingles overlap (Jaccard) at the threshold once
typos are forgiven: a word that one letter changed, added, dropped or swapped turns into a word
of the other text counts as that word ("pasword" is "password"; "username" is not, nor is "GPT-4"
"GPT-3"). MinHash + LSH over the word shingles, and over character 5-grams, which a typo barely
moves, propose the pairs to compare, so the search stays sub-quadratic."""

from __future__ import annotations

from dataclasses import dataclass
from zlib import crc32

from tunelab.data.split import normalize_text
from tunelab.data.text import words

SHINGLE_WORDS = 3
CHAR_GRAM = 5
# A pair is proposed at this much less character-gram Jaccard than the threshold asks of the
# (typo-forgiving) word shingles: a typo in a short question costs more of its character grams.
CANDIDATE_SLACK = 0.15
TYPO_MIN_LETTERS = 5
# A text this short has too few character grams for LSH to be sure of a typo'd copy: its copies
# one slip apart are looked up by key instead (`_slip_keys`).
SHORT_WORDS = 12


@dataclass
class Pair:
    """Two rows that are (nearly) the same; `similarity` is the typo-forgiving word-shingle
    Jaccard (`similarity()`), 1.0 for a text found whole inside the other (`inside`)."""

    first: int
    second: int
    similarity: float
    inside: bool = False


def shingles(text: str | list[str], n: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of the lower-cased text (or its words); a text shorter than n words is one."""
    found = words(text) if isinstance(text, str) else text
    if len(found) < n:
        return {" ".join(found)} if found else set()
    return {" ".join(found[i : i + n]) for i in range(len(found) - n + 1)}


def char_grams(text: str | list[str], n: int = CHAR_GRAM) -> set[str]:
    """Character n-grams of the text's words (or these words) joined by one space: case and
    punctuation gone."""
    joined = " ".join(words(text) if isinstance(text, str) else text)
    if len(joined) < n:
        return {joined} if joined else set()
    return {joined[i : i + n] for i in range(len(joined) - n + 1)}


def similarity(
    a: list[str],
    b: list[str],
    shingled: tuple[set[str], set[str]] | None = None,
    slips: dict[str, set[str]] | None = None,
) -> float:
    """Jaccard of the word 3-shingles of words `a` and `b` (`shingled`, when already made), a
    word of either that is one slip from a word of the other read as that word."""
    sa, sb = shingled or (shingles(a), shingles(b))
    slips = slip_table([a, b]) if slips is None else slips
    # One way, then the other: "resmue" in a is read as b's "resume", which a's answer also has.
    fixed_a = forgive_typos(b, a, slips)
    fixed_b = forgive_typos(fixed_a, b, slips)
    return jaccard(
        sa if fixed_a is a else shingles(fixed_a), sb if fixed_b is b else shingles(fixed_b)
    )


def forgive_typos(
    a: list[str], b: list[str], slips: dict[str, set[str]] | None = None
) -> list[str]:
    """`b` with each word that `a` lacks replaced by a word of `a` it is one slip from
    (`slip_table`, made of all the texts searched), as "pasword" by "password"; a word `b`
    lacks in turn is the likelier counterpart, and is taken first."""
    slips = slip_table([a, b]) if slips is None else slips
    in_a, in_b = set(a), set(b)
    fix = {}
    for w in in_b - in_a:
        if w in slips and (match := slips[w] & in_a):
            fix[w] = min(match - in_b or match)
    return [fix.get(w, w) for w in b] if fix else b


def slip_table(texts: list[list[str]]) -> dict[str, set[str]]:
    """Each word of `texts` (as word lists) with the others one slip from it (`one_slip`), in
    words of four letters and more, one of them five: digits and short words are never slips
    ("3" vs "4", "form" vs "from")."""
    by_variant: dict[str, set[str]] = {}
    for w in {w for text in texts for w in text if _slips_possible(w)}:
        for v in _variants(w):
            by_variant.setdefault(v, set()).add(w)
    table: dict[str, set[str]] = {}
    for group in by_variant.values():
        for w in group if len(group) > 1 else ():
            table.setdefault(w, set()).update(
                x
                for x in group
                if x != w and max(len(x), len(w)) >= TYPO_MIN_LETTERS and one_slip(w, x)
            )
    return {w: others for w, others in table.items() if others}


def _slips_possible(word: str) -> bool:
    return len(word) >= TYPO_MIN_LETTERS - 1 and word.isalpha()


def _variants(word: str) -> set[str]:
    """The word and its one-letter deletions: words one slip apart share one (or one is the
    other's), so a lookup by these finds every candidate for `one_slip`."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def one_slip(a: str, b: str) -> bool:
    """Whether one letter changed, added or dropped, or two neighbours swapped, turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    swapped = a[i + 1 : i + 2] == b[i] and b[i + 1 : i + 2] == a[i] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i + 1 :] or swapped


def exact_duplicates(keys: list[str]) -> list[Pair]:
    """(first occurrence, repeat) for each key seen before, after whitespace/case normalising."""
    first_seen: dict[str, int] = {}
    pairs = []
    for i, key in enumerate(keys):
        norm = normalize_text(key)
        if norm in first_seen:
            pairs.append(Pair(first_seen[norm], i, 1.0))
        else:
            first_seen[norm] = i
    return pairs


def near_duplicates(texts: list[str], threshold: float = 0.8, num_perm: int = 128) -> list[Pair]:
    """Pairs (i < j) whose `similarity` is at least `threshold`, exact repeats left out."""
    found = [words(t) for t in texts]
    sets, slips = [shingles(w) for w in found], slip_table(found)
    norms = [normalize_text(t) for t in texts]
    pairs = []
    for i, j in sorted(_candidates(found, sets, found, sets, threshold, num_perm, same=True)):
        if norms[i] != norms[j]:
            # LSH only proposes candidates; the exact similarity decides.
            sim = similarity(found[i], found[j], (sets[i], sets[j]), slips)
            if sim >= threshold:
                pairs.append(Pair(i, j, sim))
    return pairs


def cross_duplicates(
    train: list[str],
    test: list[str],
    threshold: float = 0.8,
    num_perm: int = 128,
    train_full: list[str] | None = None,
    min_inside_words: int = 6,
) -> list[Pair]:
    """Pairs (train index, test index) that are the same or nearly the same text, every train
    row of each leaking test row (dropping only one would leave its twins leaking). With
    `train_full` (each train row's whole text: prompt and answer, or a document), a test text
    of at least `min_inside_words` words found inside one is a leak too (`Pair.inside`)."""
    train_words, test_words = [words(t) for t in train], [words(t) for t in test]
    train_sets, test_sets = [shingles(w) for w in train_words], [shingles(w) for w in test_words]
    slips = slip_table(train_words + test_words)
    near: dict[int, set[int]] = {}
    for i, j in _candidates(train_words, train_sets, test_words, test_sets, threshold, num_perm):
        near.setdefault(j, set()).add(i)
    exact: dict[str, list[int]] = {}
    for i, t in enumerate(train):
        exact.setdefault(normalize_text(t), []).append(i)
    inside = _Inside(train_full, min_inside_words) if train_full is not None else None
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
        for i in inside.rows_holding(test_words[j]) if inside else []:
            found.setdefault(i, Pair(i, j, 1.0, inside=True))
        pairs += sorted(found.values(), key=lambda p: p.first)
    return pairs


def _candidates(
    indexed: list[list[str]],
    indexed_sets: list[set[str]],
    queries: list[list[str]],
    query_sets: list[set[str]],
    threshold: float,
    num_perm: int,
    same: bool = False,
) -> set[tuple[int, int]]:
    """(indexed, query) pairs to compare, of texts given as words and word shingles: those LSH
    finds whose shingles may reach `threshold`, and those whose character grams may reach it
    less `CANDIDATE_SLACK` (near but for typos), and short texts one slip apart (`_slip_keys`);
    `same` when both lists are one, which proposes each pair once, as (i < j)."""
    from datasketch import MinHashLSH

    by_key: dict[str, list[int]] = {}
    for i, text in enumerate(indexed):
        for key in _slip_keys(text):
            by_key.setdefault(key, []).append(i)
    found = {
        (min(i, j), max(i, j)) if same else (i, j)
        for j, text in enumerate(queries)
        for key in _slip_keys(text)
        for i in by_key.get(key, ())
    }
    for kind, at in (("words", threshold), ("chars", max(threshold - CANDIDATE_SLACK, 0.05))):
        sets = indexed_sets if kind == "words" else [char_grams(t) for t in indexed]
        lsh = MinHashLSH(threshold=at, num_perm=num_perm, params=bands(at, num_perm))
        signatures = _signatures(sets, num_perm)
        with lsh.insertion_session() as session:
            for i, sig in signatures:
                session.insert(i, sig)
        if not same:
            signatures = _signatures(
                query_sets if kind == "words" else [char_grams(t) for t in queries], num_perm
            )
        for j, sig in signatures:
            found.update((min(i, j), max(i, j)) if same else (i, j) for i in lsh.query(sig))
    return {(i, j) for i, j in found if i != j or not same}


def _slip_keys(text: list[str]) -> set[str]:
    """Keys that two short texts share when, word for word, they differ at most in one word, by
    one slip: the text with one word replaced by each of its `_variants`."""
    if len(text) > SHORT_WORDS:
        return set()
    return {
        f"{' '.join(text[:k])}|{v}|{' '.join(text[k + 1 :])}"
        for k, w in enumerate(text)
        if _slips_possible(w)
        for v in _variants(w)
    }


class _Inside:
    """Which texts hold a given run of words: every run of `min_words` words of each text is
    indexed, so a lookup searches only the texts that hold the run's first `min_words` words."""

    def __init__(self, texts: list[str], min_words: int) -> None:
        self.min_words = min_words
        self.joined = [f" {' '.join(words(t))} " for t in texts]
        self.by_start: dict[str, list[int]] = {}
        for i, text in enumerate(self.joined):
            w = text.split()
            for key in {" ".join(w[k : k + min_words]) for k in range(len(w) - min_words + 1)}:
                self.by_start.setdefault(key, []).append(i)

    def rows_holding(self, run: list[str]) -> list[int]:
        if len(run) < self.min_words:
            return []
        needle = f" {' '.join(run)} "
        start = " ".join(run[: self.min_words])
        return [i for i in self.by_start.get(start, []) if needle in self.joined[i]]


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
