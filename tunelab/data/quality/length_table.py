"""The lengths `tunelab data check` reports, in the model's tokens, and what training does with a
row past data.max_length: a chat or Q&A row is cut (data.truncation), a raw text is split into
windows of max_length tokens, none of it lost (tokenize.chunk_text)."""

from __future__ import annotations

import statistics

from tunelab.data.quality.findings import QualityReport
from tunelab.data.quality.report import Section


def length_section(report: QualityReport) -> Section:
    """The length table: percentiles, then the rows cut (of chat or Q&A rows) and the texts split
    into windows (of raw texts), each where the data holds such rows."""
    c, n = report.config, len(report.data.examples)
    L = sorted(report.lengths)
    # Inclusive, as numpy's default: the exclusive method extrapolates past the longest row
    # when there are fewer than 100 rows (p99 of [1, 2, 3] would be 3.96).
    q = statistics.quantiles(L, n=100, method="inclusive") if len(L) > 1 else [L[0]] * 99
    headers = ["min", "median", "p90", "p99", "max"]
    row = [str(L[0]), f"{statistics.median(L):.0f}", f"{q[89]:.0f}", f"{q[98]:.0f}", str(L[-1])]
    texts = sum(x.text is not None for x in report.data.examples)
    if texts < n:  # chat or Q&A rows, which training cuts at max_length
        headers.append(f"> {c.max_length}")
        row.append(f"{len(report.truncated)} ({len(report.truncated) / n:.1%})")
    if texts:  # a text is never cut: its length tells how many windows it trains as
        headers.append(f"split > {c.max_length}")
        row.append(_split(report, f" ({len(report.split) / n:.1%})"))
    notes = []
    if report.markers and not c.template:
        notes.append(
            f"Counted with {report.template!r}, the template the rows' own markers fit "
            "(--template sets another)."
        )
    if report.split:
        notes.append(
            f"A text longer than {c.max_length} tokens is split into windows of that many (each "
            "starting at the last token of the one before), not cut: none of it is lost."
        )
    return Section(
        # Raw text is counted as written, in no template.
        f"Length in tokens ({c.model}"
        + (f", template {report.template})" if report.text_name == "question" else ")"),
        headers,
        [row],
        " ".join(notes),
    )


def length_summary(report: QualityReport) -> list[list[str]]:
    """The summary's rows of lengths: the rows training cuts, the texts it splits into windows."""
    c, examples = report.config, report.data.examples
    rows = []
    if any(x.text is None for x in examples):
        rows.append([f"longer than {c.max_length} tokens", str(len(report.truncated))])
    if any(x.text is not None for x in examples):
        rows.append([f"texts split into windows (> {c.max_length} tokens)", _split(report)])
    return rows


def _split(report: QualityReport, share: str = "") -> str:
    """'2 into 9 windows': the texts past max_length (`share`: of the rows, after it) and the
    windows they train as."""
    said = f"{len(report.split)}{share}"
    return f"{said} into {sum(report.split.values())} windows" if report.split else said
