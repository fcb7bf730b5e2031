"""What `tunelab data check` reads the data as and flags it by (QualityConfig), and what it
found (QualityReport): the rows `--fix` drops and why, which tunelab.data.quality.report shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from tunelab.config import DEFAULT_MODEL, DataConfig, LocalPath, Shape
from tunelab.data.example import counted
from tunelab.data.load import Loaded
from tunelab.data.markers import Markers
from tunelab.data.quality import dedup, pii, reworded
from tunelab.errors import TunelabError
from tunelab.section import Section

PiiKind = Literal[tuple(pii.MASKS)]  # type: ignore[valid-type]


class QualityConfig(Section):
    """What `tunelab data check` reads the data as (as training would), and its thresholds;
    every one can be set from the CLI or Python."""

    run_section: ClassVar[str | None] = "data"  # --set data.fields.question=... as in a run

    model: LocalPath = DEFAULT_MODEL
    """Whose tokenizer counts the lengths."""
    template: str | None = None
    """The prompt template the lengths are counted with, as data.template (default: chat, or
    the one the rows' own template markers fit, as `qa` for `### Question:` rows)."""
    max_length: int = Field(DataConfig().max_length, ge=1)
    """Rows longer than this many tokens are flagged, as data.max_length."""
    shape: Shape = DataConfig().shape
    """As data.shape: which columns hold what; auto tells by the first row's columns."""
    fields: dict[str, str] = Field(default_factory=dict)
    """As data.fields: rename columns to the shape's names, e.g. {question: prompt_text}."""
    near_dup_threshold: float = Field(0.8, gt=0, le=1)
    """Jaccard of word 3-gram shingles at or above which two rows are near-duplicates (and a test
    question a leak); a misspelt word ("pasword") counts as the word it is one letter from."""
    reworded_answer: float = Field(reworded.ANSWER_MIN, gt=0, le=1)
    """TF-IDF cosine of two answers' content words at or above which they say the same: with
    questions as close (reworded_question, leak_question), a reworded row."""
    reworded_question: float = Field(reworded.QUESTION_MIN, gt=0, le=1)
    """TF-IDF cosine of the questions of two rows of one file whose answers say the same at or
    above which the second is a near-duplicate; below it, a phrasing of the fact, kept."""
    leak_question: float = Field(reworded.LEAK_QUESTION_MIN, gt=0, le=1)
    """As reworded_question, for a test row and a train row: the same fact asked again, a leak
    (an unrelated question given the same canned reply stays below it)."""
    min_quoted_words: int = Field(dedup.MIN_QUOTED_WORDS, ge=1)
    """A test question of at least this many words found inside a longer train text (a document,
    a long answer), or a train question of as many found inside a test prompt, is a leak too."""
    num_perm: int = Field(128, ge=2)
    """MinHash permutations of the near-duplicate search: more finds more, slower."""
    opening_words: int = Field(2, ge=1)
    """How many opening words two questions must share to count as opening alike."""
    top_k: int = Field(5, ge=1)
    """How many openings and clusters the report lists."""
    max_opening_share: float = Field(0.3, gt=0, le=1)
    """Flag homogeneity when more questions than this share open with the same words."""
    max_template_share: float = Field(0.2, gt=0, le=1)
    """Flag when one fill-in-the-blank question skeleton covers more than this share."""
    max_answer_share: float = Field(0.2, gt=0, le=1)
    """Flag one answer given to more than this share of the rows (a placeholder, a paste slip):
    the model learns to give it to any question. The demo's refusals are 8% of its rows."""
    min_distinct_2: float = Field(0.25, ge=0, le=1)
    """Flag when fewer than this share of the questions' word pairs are distinct."""
    repeat_overlap: float = Field(0.8, gt=0, le=1)
    """An answer whose words are at least this share question words, and no longer, repeats it."""
    min_letter_share: float = Field(0.3, ge=0, le=1)
    """An answer with fewer letters than this share of its characters is junk."""
    max_word_chars: int = Field(80, ge=1)
    """A "word" longer than this (a hash, base64) makes an answer junk."""
    min_main_language_share: float = Field(0.95, ge=0, le=1)
    """Flag rows in other languages when the main one holds less than this share."""
    pii_kinds: list[PiiKind] = list(pii.MASKS)
    """Which personal data to look for and mask (api_key, email, credit_card, phone, ip_address)."""
    max_listed: int = Field(10, ge=1)
    """Rows listed per finding in the report."""


def listing_all(total: int) -> str:
    """How a finding's rows cut at max_listed are listed whole: "13 more not listed" alone left
    the reader to find the setting."""
    return f"`--set max_listed={total}` lists them all"


@dataclass
class QualityReport:
    """Everything `data check` found; row numbers index `data.examples`."""

    config: QualityConfig
    data: Loaded
    test: Loaded | None = None
    exact_dups: list[dedup.Pair] = field(default_factory=list)
    near_dups: list[dedup.Pair] = field(default_factory=list)
    conflicts: list[dedup.Pair] = field(default_factory=list)
    contamination: list[dedup.Pair] = field(default_factory=list)
    # Test rows a rephrasings split held out asking trained facts reworded: no leak, by design.
    anew: list[dedup.Pair] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    truncated: list[int] = field(default_factory=list)  # chat/Q&A rows training cuts
    split: dict[int, int] = field(default_factory=dict)  # raw texts past max_length → windows
    special_text: dict[int, str] = field(default_factory=dict)  # row → a special token's text
    distinct: dict[str, float] = field(default_factory=dict)
    openings: list[tuple[str, int, float]] = field(default_factory=list)
    clusters: list[tuple[str, int, float, list[int]]] = field(default_factory=list)
    common_answer: list[int] = field(default_factory=list)  # the rows of the most given answer
    empty: list[tuple[int, str]] = field(default_factory=list)
    repeats: list[int] = field(default_factory=list)
    junk: list[tuple[int, str]] = field(default_factory=list)
    escapes: dict[int, list[str]] = field(default_factory=dict)  # row → the `\\n` --fix mends
    escapes_left: dict[int, str] = field(default_factory=dict)  # row → the ones --fix leaves, why
    languages: Counter = field(default_factory=Counter)
    off_language: list[int] = field(default_factory=list)
    pii: list[tuple[int, pii.Finding]] = field(default_factory=list)
    origins: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    markers: Markers | None = None  # prompt-template markup already in the rows
    dropped: dict[int, str] = field(default_factory=dict)  # rows --fix left out of -o, and why

    @property
    def template(self) -> str:
        """The template lengths are counted with: the one given, else the one the rows' markers
        fit (a `### Question:` file is trained with `qa`, not wrapped in the chat template)."""
        if self.config.template:
            return self.config.template
        return self.markers.fit if self.markers else "chat"

    @property
    def text_name(self) -> str:
        """What the report calls a row's text: "question", or "text" where the rows are raw text
        (continued pretraining: documents), which ask nothing (example.counted tells)."""
        return "text" if counted(self.data.examples) == "texts" else "question"

    def source(self, row: int) -> str:
        return self.data.examples[row].source

    def where(self, row: int, test: bool = False) -> str:
        """A row's `file:line` with the file's folder left out, short enough for a table."""
        data = self.test if test else self.data
        return data.examples[row].source.replace(str(data.path), data.path.name, 1)

    def read_paths(self) -> list[Path]:
        """The data and test files (or folders) this report read."""
        return [loaded.path for loaded in (self.data, self.test) if loaded is not None]

    @property
    def leaked(self) -> set[int]:
        """Test rows found in train; `contamination` lists each with every train row it is in."""
        return {p.second for p in self.contamination}

    def raise_if_unloadable(self) -> None:
        """A set with no loadable row stops training and `data inspect`: a check must not pass it
        (the report is shown first, so its rejects say why)."""
        for loaded in (self.data, self.test):
            if loaded is not None and not loaded.examples:
                raise TunelabError(
                    f"{loaded.path}: none of its {len(loaded.rejected)} rows loads (see the rejects)"
                )

    def content_problems(self) -> list[tuple[int, str]]:
        """The rows of the report's Content problems, in its order, each with what is wrong: the
        rows --fix drops for their text, then the escapes it mends, and last the rows whose
        escapes it leaves as written (explaining escapes, no fault)."""
        return (
            list(self.empty)
            + [(i, "answer restates question") for i in self.repeats]
            + list(self.junk)
            + [(i, "language") for i in self.off_language]
            + [(i, f"typed {' '.join(dict.fromkeys(e))}") for i, e in self.escapes.items()]
            + list(self.escapes_left.items())
        )

    def removals(self) -> dict[int, str]:
        """Rows `--fix` drops, each with its reason (first reason wins)."""
        drop: dict[int, str] = {}
        for p in self.exact_dups:
            drop.setdefault(p.second, f"exact duplicate of {self.where(p.first)}")
        for p in self.near_dups:
            how = "reworded" if p.reworded else f"{p.similarity:.2f}"
            drop.setdefault(p.second, f"near-duplicate ({how}) of {self.where(p.first)}")
        for p in self.contamination:
            quoted = (
                " (quoted inside it)" if p.inside else " (which quotes it)" if p.quotes else ""
            ) or (" (its answer, question reworded)" if p.reworded else "")
            drop.setdefault(p.first, f"leaks test row {self.where(p.second, test=True)}{quoted}")
        for i, what in self.empty:
            drop.setdefault(i, what)
        for i in self.repeats:
            drop.setdefault(i, "answer restates the question")
        for i, why in self.junk:
            drop.setdefault(i, f"junk: {why}")
        return dict(sorted(drop.items()))
