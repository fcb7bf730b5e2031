"""Retrieval for the comparison: a corpus (a Q&A file's pairs, or documents cut into chunks), BM25
over it, and the question rewritten to carry the passages found."""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass
from pathlib import Path

from tunelab.data.markers import plain_question
from tunelab.data.quality.dedup import cross_duplicates
from tunelab.data.split import prompt_key
from tunelab.data.templates import Example
from tunelab.errors import TunelabError
from tunelab.evaluate.retrieval import BM25

# How a question reads once passages are added; the same for every model so arms stay comparable.
RAG_TEMPLATE = (
    "Answer the question using the context below.\n\nContext:\n{passages}\n\nQuestion: {question}"
)


@dataclass
class Passage:
    source: str  # "file:line" of a Q&A row ("file:line#piece" of a long one), "file#chunk" of a document
    text: str  # as the model is shown it: a row's question without template markers, its answer
    asks: str | None = None  # a Q&A row's question as `data split` compares it (`prompt_key`)


def _qa_passages(ex, chunk_tokens: int) -> list[Passage]:
    """A Q&A row as passages: one, or its long answer in pieces of about `chunk_tokens`, each
    after the question (a 41,000-character answer retrieved whole made 7,800-token prompts, as
    documents are cut to begin with)."""
    from tunelab.data.chunking import split_text

    question = plain_question(ex.question)
    pieces = split_text(ex.answer, chunk_tokens)
    if len(pieces) == 1:
        return [Passage(ex.source, f"{question}\n{ex.answer}".strip(), prompt_key(ex))]
    return [
        Passage(f"{ex.source}#{i}", f"{question}\n{piece}".strip(), prompt_key(ex))
        for i, piece in enumerate(pieces)
    ]


def load_corpus(
    path: str | Path, chunk_tokens: int = 300, shape: str = "auto", fields: dict | None = None
) -> list[Passage]:
    """Passages from a Q&A/instruction/chat file (each pair one passage, a long answer cut in
    pieces; rows read as `shape` and `fields` say), or from documents (Markdown, text, HTML, PDF; a folder recursively) cut
    along paragraphs."""
    from tunelab.data.chunking import DOC_SUFFIXES, chunk_document, find_documents
    from tunelab.data.load import load_examples

    path = Path(path)
    if not path.exists():
        raise TunelabError(f"corpus not found: {path}")
    if path.is_file() and path.suffix.lower() not in DOC_SUFFIXES:
        examples = load_examples(path, shape, fields, on_error="skip")
        return [
            passage for ex in examples if ex.answer for passage in _qa_passages(ex, chunk_tokens)
        ]
    passages = []
    for document in find_documents([path]):
        for chunk in chunk_document(document, max_tokens=chunk_tokens):
            heading = " > ".join(chunk.headings)
            text = f"{heading}\n{chunk.text}" if heading else chunk.text
            passages.append(Passage(f"{chunk.source}#{chunk.index}", text.strip()))
    if not passages:
        raise TunelabError(f"{path}: no passages found (Q&A rows or .md/.txt/.html/.pdf files)")
    return passages


class Retriever:
    """The k passages that best match a question (BM25 over content words)."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.index = BM25([p.text for p in passages])

    def search(self, question: str, k: int = 3, skip: Set[int] = frozenset()) -> list[Passage]:
        """The best k passages but those at the indices `skip` (the question's own rows)."""
        hits = self.index.top(plain_question(question), len(self.passages))
        return [self.passages[hit.index] for hit in hits if hit.index not in skip][:k]


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


def with_context(question: str, passages: list[Passage]) -> str:
    """The question as a RAG arm asks it; unchanged when nothing was retrieved."""
    if not passages:
        return question
    numbered = "\n".join(f"[{i}] {p.text}" for i, p in enumerate(passages, start=1))
    # Without its `### Question:` markers: the run's template frames the whole text once, as it
    # frames the question the plain arm asks, and a model sees one `### Answer:`, its own.
    return RAG_TEMPLATE.format(passages=numbered, question=plain_question(question))


def fit_context(
    question: str, passages: list[Passage], fits: Callable[[str], bool]
) -> tuple[str, list[Passage]]:
    """The question with as many of its passages, best first, as `fits` (the model's context,
    less the answer's room) allows, and the passages kept: the lowest-ranked go first, and with
    none that fits the question is asked bare. A prompt past the context fails or gives noise."""
    for n in range(len(passages), 0, -1):
        text = with_context(question, passages[:n])
        if fits(text):
            return text, passages[:n]
    return question, []
