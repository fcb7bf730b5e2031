"""BM25 over a run's training examples: which training data is closest to a failing question, so a
user can see what the model learned from (or what is missing)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from tunelab.data.text import content_words


@dataclass
class Hit:
    index: int
    score: float


class BM25:
    """Okapi BM25 (k1=1.5, b=0.75) over a list of documents."""

    def __init__(self, documents: list[str], k1: float = 1.5, b: float = 0.75):
        self.docs = [Counter(content_words(d)) for d in documents]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / max(len(self.docs), 1) or 1.0
        self.df = Counter(w for d in self.docs for w in d)  # how many documents say each word
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in self.df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: str) -> list[float]:
        terms = content_words(query)
        out = []
        for doc, length in zip(self.docs, self.lengths):
            s = 0.0
            for t in terms:
                tf = doc.get(t, 0)
                if tf:
                    s += (
                        self.idf[t]
                        * tf
                        * (self.k1 + 1)
                        / (tf + self.k1 * (1 - self.b + self.b * length / self.avg))
                    )
            out.append(s)
        return out

    def top(self, query: str, k: int = 3) -> list[Hit]:
        """The k best-matching documents with a positive score."""
        ranked = sorted(enumerate(self.scores(query)), key=lambda p: -p[1])
        return [Hit(i, s) for i, s in ranked[:k] if s > 0]


def overlap(text: str, reference: str) -> float:
    """Share of the text's content words that also occur in the reference (0 when text is empty)."""
    mine = set(content_words(text))
    return len(mine & set(content_words(reference))) / len(mine) if mine else 0.0
