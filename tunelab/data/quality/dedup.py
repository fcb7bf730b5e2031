"""Exact and near-duplicate detection (MinHash + LSH over word shingles), within one set and
between a train and a test set, where a near-duplicate is a leak (contamination)."""

from __future__ import annotations

from dataclasses import dataclass

from tunelab.data.split import normalize_text
from tunelab.data.text import words

SHINGLE_WORDS = 3


@dataclass
class Pair:
    """Two rows that are (nearly) the same; `similarity` is the Jaccard of their word shingles."""

    first: int
    second: int
    similarity: float


def shingles(text: str, n: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of the lower-cased text; a text shorter than n words is one shingle."""
    found = words(text)
    if len(found) < n:
        return {" ".join(found)} if found else set()
    return {" ".join(found[i : i + n]) for i in range(len(found) - n + 1)}


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
    """Pairs (i < j) whose shingle Jaccard is at least `threshold`, exact repeats left out."""
    sets = [shingles(t) for t in texts]
    lsh, signatures = _index(sets, threshold, num_perm)
    norms = [normalize_text(t) for t in texts]
    pairs = []
    for i, sig in signatures:
        for j in lsh.query(sig):
            if j > i and norms[i] != norms[j]:
                sim = jaccard(sets[i], sets[j])
                # LSH only proposes candidates; the exact Jaccard decides.
                if sim >= threshold:
                    pairs.append(Pair(i, j, sim))
    return sorted(pairs, key=lambda p: (p.first, p.second))


def cross_duplicates(
    train: list[str], test: list[str], threshold: float = 0.8, num_perm: int = 128
) -> list[Pair]:
    """Pairs (train index, test index) that are the same or nearly the same text, every train
    row of each leaking test row (dropping only one would leave its twins leaking)."""
    train_sets = [shingles(t) for t in train]
    lsh, _ = _index(train_sets, threshold, num_perm)
    exact: dict[str, list[int]] = {}
    for i, t in enumerate(train):
        exact.setdefault(normalize_text(t), []).append(i)
    test_sets = [shingles(t) for t in test]
    signatures = dict(_signatures(test_sets, num_perm))
    pairs = []
    # Every test row, not only those with a signature: a text without words can still repeat.
    for j, text in enumerate(test):
        same = set(exact.get(normalize_text(text), []))
        near = lsh.query(signatures[j]) if j in signatures else []
        for i in sorted(same | set(near)):
            sim = 1.0 if i in same else jaccard(train_sets[i], test_sets[j])
            if sim >= threshold:
                pairs.append(Pair(i, j, sim))
    return pairs


def _signatures(sets: list[set[str]], num_perm: int):
    from datasketch import MinHash

    present = [(i, s) for i, s in enumerate(sets) if s]
    hashes = MinHash.bulk([[w.encode() for w in s] for _, s in present], num_perm=num_perm, seed=1)
    return [(i, h) for (i, _), h in zip(present, hashes)]


def _index(sets: list[set[str]], threshold: float, num_perm: int):
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=bands(threshold, num_perm))
    signatures = _signatures(sets, num_perm)
    with lsh.insertion_session() as session:
        for i, sig in signatures:
            session.insert(i, sig)
    return lsh, signatures


def bands(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """LSH (bands, rows per band) that propose a pair at `threshold` with probability `recall`.

    datasketch's own choice balances misses against false candidates, which finds only ~40% of
    pairs at the threshold; false candidates cost only an exact Jaccard here, so take the most
    rows per band (fewest candidates) that still misses at most 1 - recall of them.
    """
    for r in range(num_perm, 0, -1):
        b = num_perm // r
        if 1 - (1 - threshold**r) ** b >= recall:
            return b, r
    return num_perm, 1


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
