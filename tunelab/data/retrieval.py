"""Retrieval, for every stage that shows a model passages: a corpus (a Q&A file's pairs, or
documents cut into chunks), BM25 over it, and a question rewritten to carry the passages found.
`tunelab compare` asks its RAG arms this way, and training with data.passages asks its rows so."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Set
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.example import Example
from tunelab.data.files.file_text import console
from tunelab.data.markers import plain_question
from tunelab.data.question_keys import prompt_key
from tunelab.data.text import content_words
from tunelab.errors import TunelabError
from tunelab.meant import meant_file
from tunelab.terminal import n_things, say_wrapped

if TYPE_CHECKING:
    from tunelab.data.documents.chunking import Chunk


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


# How a question reads once passages are added; the same for every model so arms stay comparable.
RAG_TEMPLATE = (
    "Answer the question using the context below.\n\nContext:\n{passages}\n\nQuestion: {question}"
)
# A question continued as written (template 'text', a run trained on raw text alone): the passages
# read before the text, which ends the prompt as it ends the plain one. Under RAG_TEMPLATE it was
# a "Question:" line to continue, after an instruction no raw text it trained on holds.
RAG_TEXT_TEMPLATE = "Context:\n{passages}\n\n{question}"


@dataclass
class Passage:
    # "file:line" of a Q&A row ("file:line#piece" of a long one) or of where a document's chunk
    # starts (its section's line, or page, where its words are not found as written)
    source: str
    text: str  # as the model is shown it: a row's question without template markers, its answer
    asks: str | None = None  # a Q&A row's question as `data split` compares it (`prompt_key`)


# For each of some rows, the corpus passages that are that row again (its question asked again,
# or the row repeated): `tunelab.data.quality.dedup.own_rows`, which the stages pass down.
OwnRows = Callable[[list[Passage], list[Example]], list[set[int]]]


def _qa_passages(ex, chunk_tokens: int) -> list[Passage]:
    """A Q&A row as passages: one, or its long answer in pieces of about `chunk_tokens`, each
    after the question (a 41,000-character answer retrieved whole made 7,800-token prompts, as
    documents are cut to begin with)."""
    from tunelab.data.documents.chunking import split_text

    question = plain_question(ex.question)
    pieces = split_text(ex.answer, chunk_tokens)
    if len(pieces) == 1:
        return [Passage(ex.source, f"{question}\n{ex.answer}".strip(), prompt_key(ex))]
    return [
        Passage(f"{ex.source}#{i}", f"{question}\n{piece}".strip(), prompt_key(ex))
        for i, piece in enumerate(pieces)
    ]


def qa_passages(examples: list[Example], chunk_tokens: int = 300) -> list[Passage]:
    """Q&A rows as passages: each answered row one, or pieces of its long answer."""
    return [passage for ex in examples if ex.answer for passage in _qa_passages(ex, chunk_tokens)]


def load_corpus(
    path: str | Path, chunk_tokens: int = 300, shape: str = "auto", fields: dict | None = None
) -> list[Passage]:
    """Passages from a Q&A/instruction/chat file (each pair one passage, a long answer cut in
    pieces; rows read as `shape` and `fields` say; a split's folder, its train.jsonl; a saved
    or hub dataset, its train split), or from documents (Markdown, text, HTML, PDF; a folder
    recursively) cut along paragraphs."""
    from tunelab.data.documents.chunking import readable_chunks
    from tunelab.data.documents.sections import DOC_SUFFIXES, find_documents, unread_note
    from tunelab.data.files.hub import is_hub
    from tunelab.data.files.read import DATA_SUFFIXES, is_dataset_dir
    from tunelab.data.load import load_examples

    path = _training_rows(path)
    # A run trained on a saved or hub dataset retrieves from it, as training read it: `compare
    # RUN` looked for documents in its save_to_disk folder ("no documents under hf_dd").
    if is_hub(path) or Path(path).is_dir() and is_dataset_dir(Path(path)):
        return qa_passages(load_examples(path, shape, fields, on_error="skip"), chunk_tokens)
    path = Path(path)
    # Said as the corpus's, not as data's: "corpus not found" said nothing to do.
    readable = (
        f"a Q&A file ({', '.join(DATA_SUFFIXES)}), a datasets.save_to_disk folder, a document "
        f"({', '.join(sorted(DOC_SUFFIXES))}) or a folder of documents"
    )
    if not path.exists():
        # A folder too: `compare --corpus manual/` typed for manuals/.
        meant = meant_file(path, folders=True)
        raise TunelabError(
            f"corpus {path}: no such file or folder (from {Path.cwd()}){meant}; give {readable}"
        )
    suffix = path.suffix.lower()
    if path.is_file() and suffix not in DOC_SUFFIXES and suffix not in DATA_SUFFIXES:
        raise TunelabError(
            f"corpus {path}: retrieval does not read {suffix!r} files; give {readable}"
        )
    if path.is_file() and suffix not in DOC_SUFFIXES:
        return qa_passages(load_examples(path, shape, fields, on_error="skip"), chunk_tokens)
    by_document, unreadable = readable_chunks(find_documents([path]), chunk_tokens)
    if unreadable:  # all named at once: one fixed a run, the next stopped on the next
        raise TunelabError(
            f"corpus {path}: {n_things(len(unreadable), 'document')} could not be read, "
            "mend or move each:\n  " + "\n  ".join(unreadable)
        )
    passages = []
    for chunks in by_document.values():
        for chunk, where in zip(chunks, _chunk_lines(chunks)):
            heading = " > ".join(chunk.headings)
            text = f"{heading}\n{chunk.text}" if heading else chunk.text
            passages.append(Passage(where, text.strip()))
    if not passages:
        raise TunelabError(f"corpus {path}: no passages found in it; give {readable}")
    # A manual saved as .docx beside the Markdown ones was left out of the corpus without a word.
    if path.is_dir() and (said := unread_note(path)):
        say_wrapped(console, f"warning: {said}", "yellow")
    return passages


def _training_rows(path: str | Path) -> str | Path:
    """The rows a split's folder (`data split`'s, a run's data.path) or a saved DatasetDict
    retrieves from, its train.jsonl or train split as training reads them, said as the corpus's
    (the data's own note told where training holds the test rows out); `path` itself else."""
    from tunelab.data.files.split_folders import (
        SPLIT_FILES,
        SPLIT_RECORD,
        read_split,
        saved_splits,
        split_folder,
    )

    if split_folder(path):  # `compare RUN` found "no documents" in it
        path = Path(path)
        rest = sorted(p.name for p in path.iterdir() if p.name not in (*SPLIT_FILES, SPLIT_RECORD))
        left = f"; not read: {', '.join(rest)}" if rest else ""
        train, test = SPLIT_FILES
        said = f"corpus {path}: a train/test split's folder: passages from its {train}, not {test}"
        say_wrapped(console, said + left)
        return path / train
    if not (splits := saved_splits(path)):
        return path
    path = Path(path)
    split, others = read_split(path, splits)
    if others:
        say_wrapped(
            console,
            f"corpus {path}: passages from its split '{split}', not {', '.join(others)} (a "
            f"split is a folder of its own: {path / others[0]})",
        )
    elif split != "train":
        say_wrapped(console, f"corpus {path}: passages from its only split, '{split}'")
    return path / split


def _chunk_lines(chunks: list[Chunk]) -> list[str]:
    """Each of a document's chunks as `file:line` of where its text starts, as `data generate`
    cites one (its section's line, or page, where its words are not found as written), each
    after the one before and inside its section: "README.md#95", its 96th chunk, sent the leak
    note's reader to line 95, and a section's 27th chunk sat far below its heading's line."""
    from tunelab.data.documents.chunking import answer_location
    from tunelab.data.documents.sections import FENCE

    starts = sorted({c.line for c in chunks})
    lines: dict[str, list[str] | None] = {}
    found, line = [], 1
    for chunk in chunks:
        # A code block's later piece opens with its fence again, which the file has not there.
        first, _, rest = chunk.text.partition("\n")
        words = rest if FENCE.match(first) and rest else chunk.text
        start = replace(chunk, line=max(line, chunk.line))
        where = answer_location(start, words, lines)
        section_end = next((s for s in starts if s > chunk.line), None)
        if section_end and int(where.rpartition(":")[2]) >= section_end:
            where = start.location  # the same words further on, in another section
        line = int(where.rpartition(":")[2])
        found.append(where)
    return found


class Retriever:
    """The k passages that best match a question (BM25 over content words)."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        self.index = BM25([p.text for p in passages])

    def search(self, question: str, k: int = 3, skip: Set[int] = frozenset()) -> list[Passage]:
        """The best k passages but those at the indices `skip` (the question's own rows)."""
        hits = self.index.top(plain_question(question), len(self.passages))
        return [self.passages[hit.index] for hit in hits if hit.index not in skip][:k]


def with_context(question: str, passages: list[Passage], continued: bool = False) -> str:
    """The question as a RAG arm asks it (`continued`: a text to continue, RAG_TEXT_TEMPLATE);
    unchanged when nothing was retrieved."""
    if not passages:
        return question
    numbered = "\n".join(f"[{i}] {p.text}" for i, p in enumerate(passages, start=1))
    if continued:
        return RAG_TEXT_TEMPLATE.format(passages=numbered, question=question)
    # Without its `### Question:` markers: the run's template frames the whole text once, as it
    # frames the question the plain arm asks, and a model sees one `### Answer:`, its own.
    return RAG_TEMPLATE.format(passages=numbered, question=plain_question(question))


def fit_context(
    question: str, passages: list[Passage], fits: Callable[[str], bool], continued: bool = False
) -> tuple[str, list[Passage]]:
    """The question with as many of its passages, best first, as `fits` (the model's context,
    less the answer's room) allows, and the passages kept: the lowest-ranked go first, and with
    none that fits the question is asked bare. A prompt past the context fails or gives noise.
    `continued`: the question is a text to continue (`with_context`)."""
    for n in range(len(passages), 0, -1):
        text = with_context(question, passages[:n], continued)
        if fits(text):
            return text, passages[:n]
    return question, []
