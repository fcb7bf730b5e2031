"""Show a `QualityReport`: the same sections as rich tables in the terminal, or as Markdown/HTML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tunelab.data.files.split_folders import SPLIT_RECORD
from tunelab.data.load import grouped_rejects
from tunelab.data.quality.check import question_text
from tunelab.data.quality.diversity import language_name
from tunelab.data.quality.findings import QualityReport, listing_all
from tunelab.data.quality.pairs_shown import SHOWN, answer_lines, pair_lines
from tunelab.data.shapes import shape_said
from tunelab.data.text import one_line
from tunelab.markdown_page import markdown_page
from tunelab.next_step import cleaned


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""
    pairs: bool = False  # rows come two by two, a row and the one it repeats: a rule under each


def sections(report: QualityReport) -> list[Section]:
    """The report as titled tables; every renderer below shows exactly these."""
    c, ex = report.config, report.data.examples
    n = len(ex)
    limit = c.max_listed
    asked = report.text_name  # "question", or "text" for raw text

    def snip(i: int) -> str:
        return one_line(question_text(ex[i]), SHOWN)

    out = [Section("Summary", ["check", "found"], _summary(report))]
    if report.warnings:
        out.append(
            Section("Warnings", ["warning"], [[w] for w in report.warnings], _what_to_do(report))
        )
    if report.data.rejected:
        rejects = grouped_rejects(report.data.rejected)
        out.append(
            Section(
                "Rows the loader rejects",
                ["where and why"],
                [[m] for m in rejects[:limit]],
                _more(rejects, limit),
            )
        )
    if not n:  # nothing loaded: no duplicates, lengths or diversity to show (1.000 of no rows)
        return out
    pairs = [(p, "exact") for p in report.exact_dups] + [(p, p.found_as) for p in report.near_dups]
    if pairs:
        out.append(
            Section(
                "Duplicates",
                ["row", "similarity", asked],
                [
                    line
                    for p, s in pairs[:limit]
                    for line in pair_lines(
                        (report.where(p.second), ex[p.second]),
                        (f"same as {report.where(p.first)}", ex[p.first]),
                        s,
                    )
                ],
                _more(pairs, limit),
                pairs=True,
            )
        )
    if report.conflicts:
        out.append(
            Section(
                "Same question, different answers",
                ["row", "question", "answer"],
                [
                    line
                    for p in report.conflicts[:limit]
                    for line in answer_lines(
                        (report.where(p.second), ex[p.second]),
                        (f"same as {report.where(p.first)}", ex[p.first]),
                    )
                ],
                _more(report.conflicts, limit),
                pairs=True,
            )
        )
    test = report.test.examples if report.test is not None else []
    for title, found, note in (
        (
            "Contamination (test questions found in train)",
            report.contamination,
            f"{len(report.leaked)} of {len(test)} test rows leak into train: {LEAKS_SOUGHT}. ",
        ),
        ("Asked anew (a rephrasings split's test rows)", report.anew, _anew_note(report)),
    ):
        if found:  # none is said once, in the summary
            out.append(
                Section(
                    title,
                    ["train row / test row", "similarity", "question"],
                    [
                        line
                        for p in found[:limit]
                        for line in pair_lines(
                            (report.where(p.first), ex[p.first]),
                            (report.where(p.second, test=True), test[p.second]),
                            p.found_as,
                        )
                    ],
                    note + _more(found, limit),
                    pairs=True,
                )
            )
    if report.lengths:
        from tunelab.data.quality.length_table import length_section

        out.append(length_section(report))
    given = report.common_answer
    given_share = len(given) / max(len(report.data.examples), 1)
    most_given = (
        [["most given answer", f"{len(given)} ({given_share:.0%})"]] if len(given) > 1 else []
    )
    out.append(
        Section(
            "Diversity",
            ["measure", "value"],
            [[k, f"{v:.3f}"] for k, v in report.distinct.items()]
            + [[f"opening '{o}'", f"{cnt} ({share:.0%})"] for o, cnt, share in report.openings]
            + most_given,
        )
    )
    if report.clusters:
        out.append(
            Section(
                f"{asked.capitalize()} templates (rare words blanked)",
                ["skeleton", "rows", "share", "e.g."],
                [
                    [sk, str(cnt), f"{share:.0%}", snip(rows[0])]
                    for sk, cnt, share, rows in report.clusters
                ],
            )
        )
    content = [[report.where(i), what, snip(i)] for i, what in report.content_problems()]
    if content:
        out.append(
            Section(
                "Content problems",
                ["row", "problem", asked],
                content[:limit],
                _more(content, limit),
            )
        )
    out.append(
        Section(
            "Languages (rough guess)",
            ["language", "rows"],
            [[language_name(lang), str(cnt)] for lang, cnt in report.languages.most_common()],
        )
    )
    if report.pii:
        out.append(
            Section(
                "Personal data",
                ["row", "kind", "match"],
                [[report.where(i), f.kind, f.shown] for i, f in report.pii[:limit]],
                " ".join(filter(None, [_more(report.pii, limit), "`--scrub -o FILE` masks them."])),
            )
        )
    out.append(
        Section(
            "By origin (real vs generated)",
            ["origin", *next(iter(report.origins.values()), {})],
            [[o, *(_fmt(v) for v in stats.values())] for o, stats in report.origins.items()],
        )
    )
    return out


def print_report(report: QualityReport, console: Console | None = None) -> None:
    console = console or Console()
    for s in sections(report):
        table = Table(
            title=s.title, title_justify="left", caption=s.note or None, caption_justify="left"
        )
        for h in s.headers:
            table.add_column(h, overflow="fold")
        for i, row in enumerate(s.rows):
            table.add_row(*row, end_section=s.pairs and i % 2 == 1)
        console.print(table)


def to_markdown(report: QualityReport) -> str:
    title = f"# Data quality: {report.data.path}"
    if report.test is not None:
        title += f" (test: {report.test.path})"
    parts = [title]
    for s in sections(report):
        parts.append(f"## {s.title}")
        lines = ["| " + " | ".join(s.headers) + " |", "|" + "---|" * len(s.headers)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in s.rows]
        parts.append("\n".join(lines))
        if s.note:
            parts.append(s.note)
    return "\n\n".join(parts) + "\n"


def to_html(report: QualityReport) -> str:
    return markdown_page(to_markdown(report), "Data quality")


def save_report(report: QualityReport, path: str | Path) -> None:
    """Write Markdown, or HTML when the name ends in .html. Its folder is made now: `--report
    new/dir/r.md` was checked before, and nothing made then (check_writable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        to_html(report) if path.suffix.lower() in (".html", ".htm") else to_markdown(report),
        encoding="utf-8",
    )


def _summary(report: QualityReport) -> list[list[str]]:
    from tunelab.data.quality.length_table import length_summary

    d, c = report.data, report.config
    # Raw text answers nothing: its rows are compared by their shingles alone.
    reworded = (
        f"; or reworded: TF-IDF cosine of question >= {c.reworded_question}, of answer >= "
        f"{c.reworded_answer}"
    ) * (report.text_name == "question")
    read_as = f"; {shape_said(d.shape)}" if d.shape else ""  # as `data inspect` says it
    rows = [
        ["rows", f"{len(d.examples)} loaded, {len(d.rejected)} rejected{read_as}"],
        ["exact duplicates", str(len(report.exact_dups))],
        [
            "near duplicates",
            f"{len(report.near_dups)} (Jaccard >= {c.near_dup_threshold}, typos forgiven"
            f"{reworded})",
        ],
    ]
    if report.text_name == "question":  # raw text answers nothing
        rows.append(["same question, other answer", str(len(report.conflicts))])
    if report.test is not None:
        n, reworded = len(report.test.examples), bool(reworded) and not report.anew
        rows.append(
            [
                "test rows leaking into train",
                f"{len(report.leaked)} of {n} ({report.text_name} alike "
                f"or quoted{', or reworded with its answer' * reworded})",
            ]
        )
    if report.anew:
        anew = len({p.second for p in report.anew})
        rows.append(["test rows asking a trained fact anew", f"{anew} of {n}: by design, no leak"])
    if report.markers:
        m = report.markers
        rows.append(
            ["rows with template markers", f"{m.rows} ({', '.join(m.found[:3])}): fit {m.fit!r}"]
        )
    rows += [
        *length_summary(report),
        [
            "empty / restated / junk rows",
            f"{len(report.empty)}{_empty_rejected(report)} / {len(report.repeats)} / "
            f"{len(report.junk)}",
        ],
        ["personal data matches", str(len(report.pii))],
        ["rows --fix would remove", str(len(report.removals()))],
    ]
    return rows


def _what_to_do(report: QualityReport) -> str:
    """The next step for each kind of warning, under them: a warning alone ("6 exact and 1 near
    duplicate(s)") left a newcomer to find which option acts on it."""
    c, steps, clean = report.config, [], cleaned(report.data.path)
    if report.data.rejected and report.data.examples:
        steps.append("fix the rejected rows, or train with --set data.on_error=skip")
    elif report.data.rejected:  # skipping every row trains on nothing ("no usable rows")
        steps.append("fix the rejected rows: none loads, so skipping them leaves nothing to train")
    if drops := report.removals():
        steps.append(
            f"`--fix -o {clean}` drops the {len(drops)} row(s) listed below as duplicates, "
            "leaks, empty, restated or junk"
        )
    if report.contamination:
        steps.append(
            f"the {len(report.leaked)} leaking test row(s) score what training saw, not what it "
            "learnt: drop the train rows they match (`--fix`) or move those rows to the test set"
        )
    if report.conflicts:
        steps.append("keep one answer of each question answered two ways, or merge them into one")
    if report.truncated:
        steps.append(
            f"shorten the rows past {c.max_length} tokens or raise data.max_length: training "
            f"cuts them (data.truncation)"
        )
    if report.escapes:
        steps.append(
            f"`--fix -o {clean}` writes the escapes typed as text (\\n) as the characters they "
            "stand for"
        )
    if report.pii:
        steps.append(f"`--scrub -o {clean}` masks the personal data")
    return ("What to do: " + "; ".join(steps) + ".") if steps else ""


# What the leak search compares, said under its table: what "9 leaks" looked for.
LEAKS_SOUGHT = (
    "each test question against train's (word shingles, typos forgiven; quoted whole), and each "
    "test row's answer and question against train's in other words (TF-IDF cosine)"
)


def _anew_note(report: QualityReport) -> str:
    """What the test rows a rephrasings split held out asking trained facts are, and are not."""
    n, held = len({p.second for p in report.anew}), len(report.test.examples) if report.test else 0
    return (
        f"{n} of {held} test rows ask a fact train states, reworded (its answer, the question "
        f"asked another way): what `data split --held-out rephrasings` holds out, as its "
        f"{SPLIT_RECORD} beside the test file records. No leak: --fix keeps their train rows. "
        "Their score reads whether training taught each fact so the model answers it asked "
        "another way, not whether it knows facts it never saw. "
    )


def _empty_rejected(report: QualityReport) -> str:
    """The empty rows the loader rejected before any check saw them, as a note: they read 0
    here while the file had one."""
    n = sum(" is empty" in why for why in report.data.rejected)
    return f" (+{n} rejected by the loader)" if n else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _more(items: list, limit: int) -> str:
    if len(items) <= limit:
        return ""
    return f"({len(items) - limit} more not listed: {listing_all(len(items))}.)"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"
