"""The error analysis as Markdown (errors.md), and the page it renders to (errors.html)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tunelab.data.markers import plain_question
from tunelab.data.text import one_line
from tunelab.evaluate.analysis import NO_CLOSEST, Analysis, by_wording, examples_of
from tunelab.evaluate.categories import fact_errors, stated_wrong
from tunelab.evaluate.scores import LOWER_NOTE, metric_label
from tunelab.markdown_page import markdown_page
from tunelab.terminal import is_are

DESCRIPTIONS = {
    "hallucination": "states an answer the test row names as wrong",
    "other_value": (
        "gives what the question asks another value than the reference answer (a number no "
        "wrong phrase lists)"
    ),
    "missed_facts": "leaves out a fact the test row says a correct answer states",
    "wrong_calls": (
        "a reply that only calls tools makes other calls than the reference (another function or "
        "other arguments, a call left out or added); its text is not judged as words"
    ),
    "not_refused": (
        'answers a question the test set marks "kind": "off_topic" instead of refusing it'
    ),
    "refused": "refuses an on-topic question (says an off-topic row's refusal)",
    "empty": "no text at all",
    "cut_off": "stopped at the token limit, not at an end-of-sequence",
    "too_long": "much longer than the reference",
    "repetitive": "repeats sentences or phrases",
    "misspelling": "words in no dictionary, the question, the reference or the data, or typos of the data",
    "off_topic_answer": (
        "the answer strays: little overlap with the question, the reference and the closest "
        "training data"
    ),
}


# As much of an example's text as a reader of the page wants beside its category: 300
# characters of a question, a reference or an answer, 150 of a closest training row's.
def _short(text: str, n: int = 300) -> str:
    return one_line(text, n)


def _asked(question: str, n: int = 300) -> str:
    """A question as a reader wants it: without `### Question:` markup the data may carry."""
    return _short(plain_question(question), n)


def _row(ex: dict) -> str:
    """The test row an example is, as `file:line` before its question: a category's examples
    named no row, so an answer could not be traced to its test row or predictions line."""
    return f"`{ex['source']}` " if ex.get("source") else ""


def to_markdown(
    analysis: Analysis,
    summary: dict | None = None,
    asked: str = "",
    intervals: dict | None = None,
    notes: Sequence[str] = (),
) -> str:
    """Counts per category, two examples each, and the training examples closest to the failures;
    `intervals` (`scores.metric_intervals`) add each metric's 95% interval and rows; `notes`, what
    eval said of the test set and the training data, come under the headline: on the terminal
    alone, a reader of the folder later never saw them."""
    lines = ["# Error analysis", "", headline(analysis, asked, notes), ""]
    for note in notes:  # a paragraph each; a note of `data inspect`'s ends in its own full stop
        lines += [f"Note: {note.rstrip('.')}.", ""]
    if summary:
        header, *rows = summary_rows(summary, intervals or {})
        lines += [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
        lines += [f"| {' | '.join(row)} |" for row in rows] + ["", f"{LOWER_NOTE}.", ""]
    lines += ["| category | count | bar | meaning |", "|---|---|---|---|"]
    top = max(analysis.counts.values(), default=1)
    lines += [
        f"| {c} | {n} | {'█' * max(1, round(20 * n / top))} | {DESCRIPTIONS[c]} |"
        for c, n in analysis.counts.items()
    ]
    if taught := taught_or_not(analysis.rows, analysis.trained):
        lines += ["", taught]
    for category, n in analysis.counts.items():
        lines += ["", f"## {category} ({n})", "", DESCRIPTIONS[category], ""]
        for ex in examples_of(analysis, category):
            lines.append(f"- **Q:** {_row(ex)}{_asked(ex['question'])}")
            if turns := ex.get("asked_after"):  # the conversation the question was asked in
                lines += [f"  - asked after ({len(turns)}):", *(f"    - {t}" for t in turns)]
            lines += [
                f"  - reference: {_short(ex['reference'])}",
                f"  - answer: {_short(ex['answer'])}",
                f"  - why: {ex['reason']}",
            ]
            lines += [
                f"  - closest training (fix or add data here): `{s['source']}` "
                f"{_asked(s['question'], 150)} → {_short(s['answer'], 150)} ({s['match']})"
                for s in ex["closest"]
            ]
            if not ex["closest"] and analysis.training_known:
                lines.append(f"  - closest training: {NO_CLOSEST}")
    if misses := fact_misses(analysis.rows, analysis.closest, analysis.training_known):
        title, items = misses
        lines += ["", f"## {title}", "", *(f"- {item}" for item in items)]
    return "\n".join(lines) + "\n"


def headline(analysis: Analysis, asked: str = "", notes: Sequence[str] = ()) -> str:
    """How many answers fall in a category, and what judged them where no row names facts
    (`by_wording`, short of what `notes` say)."""
    weak = sum(1 for r in analysis.rows if r["errors"])
    line = f"{weak} of {len(analysis.rows)} answers fall in a category" + (
        f" (questions asked with {asked})." if asked else "."
    )
    return f"{line} {note[0].upper()}{note[1:]}." if (note := by_wording(analysis, notes)) else line


def summary_rows(summary: dict, intervals: dict) -> list[list[str]]:
    """The metrics' means as table rows, a header first, with the 95% interval and rows of each
    known one."""
    means = {k: v for k, v in summary.items() if isinstance(v, float)}
    if not intervals:
        return [["metric", "mean"], *([metric_label(k), f"{v:.3f}"] for k, v in means.items())]
    rows = [["metric", "mean", "95%", "n"]]
    for key, mean in means.items():
        ci = intervals.get(key)
        bounds = [f"[{ci.low:.2f}, {ci.high:.2f}]", str(ci.n)] if ci else ["", ""]
        rows.append([metric_label(key), f"{mean:.3f}", *bounds])
    return rows


def fact_misses(
    rows: list[dict], closest: dict[int, list[dict]] | None = None, training_known: bool = False
) -> tuple[str, list[str]] | None:
    """Every row that left out a fact, stated a wrong answer or gave another value for what is
    asked, a title and a Markdown line each: what to add or fix in the data, and where (its
    closest training rows, by `file:line`; the categories above show two rows each with theirs,
    and the other rows' were nowhere)."""
    wrong = [(i, r) for i, r in enumerate(rows) if r.get("missed_facts") or stated_wrong(r)]
    if not wrong:
        return None
    items = []
    for i, r in wrong:
        notes = [note for _, note in fact_errors(r)]
        if near := (closest or {}).get(i):
            shown = (f"`{s['source']}` ({s['match']})" for s in near)
            notes.append("closest training: " + ", ".join(shown))
        elif training_known:
            notes.append(f"closest training: {NO_CLOSEST}")
        items.append(
            f"{_row(r)}{_asked(r['question'], 100)} → {_short(r['answer'], 120)}"
            f" ({' | '.join(notes)})"
        )
    return f"Facts, row by row ({len(wrong)} of {len(rows)} answers)", items


def taught_or_not(rows: list[dict], trained: bool = True) -> str:
    """Whether the facts the answers missed are in the training data: what to do differs. A
    model that data never trained (the base model beside its run) was told its facts were
    "taught and not learned"."""
    counts = [n for r in rows for n in r.get("missed_facts_taught") or [] if n is not None]
    if not counts:
        return ""
    untaught = sum(1 for n in counts if n == 0)
    taught = len(counts) - untaught
    if not trained:
        return (
            f"**The missed facts and the training data.** Of the {len(counts)} facts the "
            f"answers left out, {taught} {is_are(taught)} stated in the training answers, "
            f"which this model was not trained on; {untaught} in none (add them to the data)."
        )
    return (
        f"**The missed facts and the training data.** Of the {len(counts)} facts the answers "
        f"left out, {taught} {is_are(taught)} "
        "stated in the training answers: taught and not "
        "learned (train on more phrasings of them, `tunelab data augment`, or longer); "
        f"{untaught} of them in no training answer: never taught (add them to the data)."
    )


def write_reports(
    analysis: Analysis,
    out_dir: Path,
    summary: dict | None = None,
    asked: str = "",
    intervals: dict | None = None,
    notes: Sequence[str] = (),
) -> tuple[Path, Path]:
    """errors.md and errors.html, the page it renders to, in out_dir; `asked` says how the
    questions were asked."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, page = out_dir / "errors.md", out_dir / "errors.html"
    text = to_markdown(analysis, summary, asked, intervals, notes)
    md.write_text(text, encoding="utf-8")
    page.write_text(markdown_page(text, "Error analysis"), encoding="utf-8")
    return md, page
