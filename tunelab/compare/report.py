"""What `tunelab compare` writes: compare.md (each arm's scores with a 95% interval, the
differences tunelab.compare.verdicts pairs and judges), compare.json, each arm's answers, a bar
chart of each arm's scores and a forest plot of those differences. Arms are ranked by fact
accuracy where the test rows name facts (tunelab.evaluate.facts.score)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.compare.leaks import LEAK
from tunelab.compare.verdicts import (
    CHARTED,
    FACTS,
    OVERLAP,
    REPORTED_FACTS,
    headline,
    main_metric,
    pairs,
    rate_differences,
    scores,
    verdict,
)
from tunelab.data.files.write_files import write_json, write_jsonl
from tunelab.evaluate.difference_plot import PlottedDifference, plot_differences
from tunelab.evaluate.human.answers import arm_file_name
from tunelab.evaluate.paired import (
    MIN_QUESTIONS,
    mean_interval,
    over_facts,
    said_verdict,
)
from tunelab.evaluate.refusals import OFF_TOPIC_RATE, ON_TOPIC_RATE
from tunelab.evaluate.scores import (
    LOWER_IS_BETTER,
    METRIC_NAMES,
    interval_fields,
    metric_intervals,
)
from tunelab.terminal import listed, n_things

if TYPE_CHECKING:
    from tunelab.compare.arms import Arm
    from tunelab.compare.run import CompareConfig, Comparison

REFUSALS = (OFF_TOPIC_RATE, ON_TOPIC_RATE)


def charted(arms: list[Arm]) -> list[str]:
    """The metrics charted: the facts first where there are some, then the overlap scores."""
    return [m for m in CHARTED if any(m in a.summary for a in arms)]


# The per-arm table's columns after its scores (`columns`), which a terminal too narrow for all
# leaves to compare.md: ten columns in 80 were cut to "fact acc…", "hal…", "oth…".
DETAILS = ("normalized match", "ROUGE-L", "answer words", "cut off [95%]", "s/question")
# The picture of compare.md's differences, beside it: whether two arms differ is their paired
# interval, which compare.png's bars, each with its own interval, do not show.
COMPARE_DIFFERENCES = "compare_differences.png"


def shown_facts(arms: list[Arm]) -> list:
    """The REPORTED_FACTS the per-arm table shows: none where the test rows name no facts, and
    no rate that no arm has ("other value" where no test row asks a value: a column of "—")."""
    if FACTS not in arms[0].summary:
        return []
    return [m for m in REPORTED_FACTS if any(m.metric in arm.summary for arm in arms)]


def columns(arms: list[Arm]) -> list[str]:
    """The per-arm table's columns after the arm's name: its scores, then DETAILS."""
    facts = [f"{m.label} [95%]" for m in shown_facts(arms)]
    refusals = [f"{METRIC_NAMES[m]} [95%]" for m in REFUSALS if m in arms[0].summary]
    # Cut off at the token limit: a long-winded arm's token F1 is read on answers cut short.
    return [*facts, *refusals, "token F1 [95%]", *DETAILS]


def cells(arm: Arm, arms: list[Arm]) -> list[str]:
    """One arm's row under `columns(arms)`, scores in %."""
    s = arm.summary

    def with_interval(metric: str) -> str:
        ci = mean_interval(scores(arm, metric))
        return f"{100 * s[metric]:.1f} [{100 * ci.low:.1f}, {100 * ci.high:.1f}]"

    def counted(metric: str) -> str:
        """A rate over the few rows it applies to, of how many: "100.0" of the one row naming a
        wrong answer read as a rate, and "0.0 (0 of 7)" is no proof of none (0 of 7 allows 35%)."""
        if metric not in s:
            return "—"
        named = scores(arm, metric)
        ci = mean_interval(named)
        return (
            f"{100 * s[metric]:.1f} ({int(sum(named))} of {len(named)}) "
            f"[{100 * ci.low:.1f}, {100 * ci.high:.1f}]"
        )

    # Fact accuracy of how many too: over the rows that name facts, fewer than the title's
    # questions where some name none, it read as a share of them all.
    facts = [counted(m.metric) for m in shown_facts(arms)]
    seconds = s["seconds_per_question"]
    return [
        *facts,
        *(counted(m) for m in REFUSALS if m in s),
        with_interval(OVERLAP),
        f"{100 * s['normalized_match']:.1f}",
        f"{100 * s['rouge_l']:.1f}",
        f"{s['answer_words']:.1f}",
        counted("cut_off_rate"),
        "—" if seconds is None else f"{seconds:.2f}",  # None: every answer came from a log
    ]


def retrieval(result: Comparison, cfg: CompareConfig) -> str:
    """Where the RAG arms' passages came from, said in compare.md and the terminal alike."""
    return f"passages: up to {cfg.k} by BM25 from {result.corpus}"


def test_set(result: Comparison, cfg: CompareConfig) -> str:
    """Where the questions came from: the test file, and where --limit cut it, that only its
    first rows were asked ("16 test questions" of a file of 74 read as the whole test set)."""
    n = len(result.arms[0].rows) if result.arms else 0
    first = "its first row" if n == 1 else f"the first {n} of its rows"
    cut = f", {first} (--limit {cfg.limit})" if result.limited else ""
    return f"from {result.test_file}{cut}"


def context_note(result: Comparison) -> str:
    """What the RAG arms were given: each one's context recall over the passages its prompts
    held, the questions that lost passages to the context, and the test rows' own rows left out."""
    notes = []
    for arm in (a for a in result.arms if a.rag):
        recall = arm.summary["context_recall"]
        said = "n/a (no reference has a content word)" if recall is None else f"{100 * recall:.1f}%"
        note = f"{arm.name}: context recall {said}"
        if arm.passages_cut:
            note += (
                f", {n_things(arm.passages_cut, 'question')} lost passages to fit the model's "
                f"context ({arm.passages_none} asked with none)"
            )
        if arm.passages_unfound:
            note += (
                f", {n_things(arm.passages_unfound, 'question')} for which retrieval found no "
                "passage (asked as without RAG)"
            )
        notes.append(note)
    recall = "; ".join(notes) + (
        " (context recall: the share of each reference's content words in the passages kept in "
        "its prompt, over the references that have one)."
        if notes
        else ""
    )
    if not result.own_rows:
        return recall
    one = result.own_rows == 1  # one corpus row: "repeats ... asks ... was"
    excluded = (
        f"{n_things(result.own_rows, 'corpus row')} that {'repeats' if one else 'repeat'} a "
        f"test row or {'asks' if one else 'ask'} its question {'was' if one else 'were'} never "
        f"retrieved (for {n_things(result.questions_with_own_rows, 'question')})."
    )
    return f"{recall} {excluded}" if recall else excluded


def resumed_note(arms: list[Arm]) -> str | None:
    """Which arms' answers an interrupted compare's log held: a rerun's table gave "—" and a
    time over a few questions as s/question, unexplained."""
    read = [f"{arm.from_log} of {arm.name}'s" for arm in arms if arm.from_log]
    if not read:
        return None
    return (
        f"{listed(read)} answers were read back from an interrupted compare's log (the same "
        "weights and settings), not asked again: s/question is over the answers asked in this "
        'run alone ("—" where none were)'
    )


def title(result: Comparison) -> str:
    """What was compared: the four ways of a run, or the two prompting ways of a model."""
    if any(arm.name == "finetuned" for arm in result.arms):
        return "prompting vs RAG vs finetuning"
    return "prompting vs prompting + RAG (no finetuned arms)"


def questions_scored(arms: list[Arm]) -> str:
    """How many questions the scores are over: "12 test questions", and where only some name
    facts, how many fact accuracy is over (each rate is over the rows it counts, its own "1 of
    14": lamini_docs' yes/no rows name only the wrong verdict, "the fact scores" were not over
    the 4 that name facts)."""
    n = len(arms[0].rows) if arms else 0
    scored = len(scores(arms[0], main_metric(arms))) if arms else 0
    of = f" ({scored} of them name facts: fact accuracy is over those)" if scored < n else ""
    return n_things(n, "test question") + of


def to_markdown(result: Comparison, cfg: CompareConfig) -> str:
    metric = main_metric(result.arms)
    asked = f", asked with {result.asked()}" if result.asked() else ""
    # A leak qualifies the headline's RAG differences: at the foot, below every table, the
    # headline read "finetuning is ahead" or not of an arm handed the answer key, unsaid.
    leaks = [f"Note: {note}." for note in result.notes if note.startswith(LEAK)]
    lines = [
        f"# {_first_upper(title(result))}: {result.run}",
        "",
        *headline(result.arms, metric),
        "",
        *(leaks + [""] if leaks else []),
        f"{questions_scored(result.arms)} {test_set(result, cfg)}{asked}; {retrieval(result, cfg)}. "
        f"{context_note(result)}",
        "",
        "| arm | model | " + " | ".join(columns(result.arms)) + " |",
        "|---|---|" + "---|" * len(columns(result.arms)),
    ]
    lines += [
        f"| {arm.name} | {arm.model} | " + " | ".join(cells(arm, result.arms)) + " |"
        for arm in result.arms
    ]
    lines += [
        "",
        f"{_first_upper(METRIC_NAMES[metric])} differences, arm by arm (points; 95% paired "
        "interval over the questions, Newcombe's for right/wrong scores, a bootstrap for partial "
        f"ones, Wilson's below {MIN_QUESTIONS} questions; a bootstrap over facts where rephrasings "
        "ask one together, over N facts):",
        "",
        "| arm | vs | Δ | interval | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p['arm']} | {p['vs']} | {p['delta']:+.1f} | [{p['low']:+.1f}, {p['high']:+.1f}]"
        f"{over_facts(p['facts'])} | {said_verdict(p)} |"
        for p in pairs(result.arms)
    ]
    if rates := rate_differences(result.arms):
        lines += [
            "",
            f"{_first_upper(_listed_rates(rates))} rates against {rates[0]['vs']} (points; paired "
            "over the rows that name something to catch; lower is better, so a drop is "
            '"better"):',
            "",
            "| arm | vs | rate | rows | Δ | interval | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {p['arm']} | {p['vs']} | {METRIC_NAMES[p['metric']]} | {p['n']} "
            f"| {p['delta']:+.1f} | [{p['low']:+.1f}, {p['high']:+.1f}]{over_facts(p['facts'])} "
            f"| {said_verdict(p)} |"
            for p in rates
        ]
    if metric == FACTS:
        said = "; ".join(f"{m.label}: {m.share}" for m in shown_facts(result.arms))
        lines += ["", f"{_first_upper(said)}."]
    if OFF_TOPIC_RATE in result.arms[0].summary:
        lines += ["", 'Refusal: the share of answers that say the refusal of the test rows marked '
                  '"kind": "off_topic" (their reference answer), of those rows (higher is better) '
                  "and of the others (lower is better)."]  # fmt: skip
    notes = [f"Note: {note}." for note in result.notes if not note.startswith(LEAK)]
    return "\n".join([*lines, "", verdict(result.arms), *notes]) + "\n"


def write_report(result: Comparison, cfg: CompareConfig) -> None:
    """compare.md, compare.json, compare.png, compare_differences.png and each arm's answers as
    JSONL."""
    out = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(to_markdown(result, cfg), encoding="utf-8")
    payload = {
        "run": result.run,
        "asked_with": result.asked(),  # as eval's summary says it
        "questions": len(result.arms[0].rows) if result.arms else 0,
        # What the numbers stand on, as compare.md says it: the JSON alone named no test file,
        # no --limit and no corpus.
        "test_file": result.test_file,
        "limit": cfg.limit,
        "corpus": result.corpus,
        "k": cfg.k,
        "max_new_tokens": cfg.max_new_tokens,
        "own_rows_excluded": result.own_rows,
        "arms": [
            {"name": a.name, "model": a.model, "rag": a.rag, **a.summary, **_intervals(a)}
            | (
                {
                    "passages_cut": a.passages_cut,
                    "passages_none": a.passages_none,
                    "passages_unfound": a.passages_unfound,
                    "answers_given": len(a.answers_given),  # a reference in a passage, verbatim
                    "rows_given": len(a.rows_given),  # and its question: the test row itself
                }
                if a.rag
                else {}
            )  # fmt: skip
            for a in result.arms
        ],
        "ranked_by": main_metric(result.arms),
        "pairs": pairs(result.arms),
        "rate_pairs": rate_differences(result.arms),
        "verdict": verdict(result.arms).replace("**", ""),
        # compare.md's notes (a leak, rows without facts): a reader of the JSON alone saw RAG
        # "ahead" without the word that its passages held the answer key.
        "notes": result.notes,
    }
    write_json(out / "compare.json", payload)
    for arm in result.arms:
        write_jsonl(arm.rows, out / arm_file_name(arm.name))
    plot(result, out / "compare.png")
    asked = n_things(len(result.arms[0].rows), "question") if result.arms else ""
    title = f"{Path(result.run).name}: arm − other arm, paired over {asked}"
    plot_differences(difference_rows(result.arms), out / COMPARE_DIFFERENCES, title)


def difference_rows(arms: list[Arm]) -> list[PlottedDifference]:
    """compare.md's tables of differences, row for row and number for number, as the plot draws
    them: every pair by the metric the arms are ranked by, then each false-statement rate."""
    return [
        PlottedDifference.of(f"{p['arm']} − {p['vs']}: {METRIC_NAMES[p['metric']]}", p, p["metric"])
        for p in [*pairs(arms), *rate_differences(arms)]
    ]


def _intervals(arm: Arm) -> dict:
    """Each of an arm's scores' rows and 95% interval, as eval's summary.json keeps them: a
    hallucination rate of 0.111 in compare.json did not say it was 1 of 9 rows, nor how sure."""
    found = metric_intervals(arm.rows, arm.summary)
    return interval_fields({key: ci for key, ci in found.items() if ci.n})


def plot(result: Comparison, path: Path) -> Path:
    """Grouped bars: each metric, one bar per arm."""
    import matplotlib

    matplotlib.use("Agg")  # headless: runs on servers and in CI
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    metrics = charted(result.arms)
    width = 0.8 / max(len(result.arms), 1)
    for i, arm in enumerate(result.arms):
        xs = [m + (i - (len(result.arms) - 1) / 2) * width for m in range(len(metrics))]
        heights, errors = [], [[], []]
        for metric in metrics:  # each bar with its 95% interval over the questions
            mean = 100 * arm.summary.get(metric, 0.0)
            values = scores(arm, metric)
            ci = mean_interval(values) if values else None
            heights.append(mean)
            # Never below zero: a bound a rounding away from its mean is a bar matplotlib refuses.
            errors[0].append(max(0.0, mean - 100 * ci.low) if ci else 0.0)
            errors[1].append(max(0.0, 100 * ci.high - mean) if ci else 0.0)
        ax.bar(xs, heights, width, yerr=errors, capsize=2, label=arm.name)
    # Under each metric's name, the rows it is over and which way is better: a chart pasted
    # alone showed a hallucination rate of 50% over 2 rows as tall as one over 13.
    ax.set_xticks(
        range(len(metrics)),
        [
            f"{METRIC_NAMES[m]}\nof {n_things(len(scores(result.arms[0], m)), 'row')}\n"
            f"({'lower' if m in LOWER_IS_BETTER else 'higher'} better)"
            for m in metrics
        ],
        fontsize=8,
    )
    ax.set_ylabel("score (%), each arm's own 95% interval")
    asked = n_things(len(result.arms[0].rows), "question") if result.arms else ""
    ax.set_title(f"{Path(result.run).name}: {title(result)}, {asked}")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # off the bars
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _listed_rates(rates: list[dict]) -> str:
    """ "hallucination and other value": the rates in a table of their differences."""
    return listed(list(dict.fromkeys(METRIC_NAMES[p["metric"]] for p in rates)))


def _first_upper(name: str) -> str:
    """ "token F1" as a sentence starts it: "Token F1" (str.capitalize gave "Token f1")."""
    return name[:1].upper() + name[1:]
