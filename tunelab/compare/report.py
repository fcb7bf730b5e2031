"""What `tunelab compare` writes: compare.md (each arm's scores with a 95% interval, every pair of
arms with a paired interval over the questions, and a verdict that says "no clear
winner" when the difference could be zero), compare.json, each arm's answers, and a bar chart.
Arms are ranked by fact accuracy where the test rows name facts (tunelab.evaluate.facts)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.data.write import write_json, write_jsonl
from tunelab.evaluate.human.arena import arm_file_name
from tunelab.evaluate.paired import (
    EPSILON,
    MIN_QUESTIONS,
    NO_CLEAR_WINNER,
    mean_interval,
    said_verdict,
)
from tunelab.evaluate.refusals import OFF_TOPIC_RATE, ON_TOPIC_RATE
from tunelab.evaluate.scores import (
    FACT_MEASURES,
    FACT_RATES,
    LOWER_IS_BETTER,
    interval_fields,
    metric_intervals,
    paired_metric,
    row_metric,
)

if TYPE_CHECKING:
    from tunelab.compare.run import Arm, CompareConfig, Comparison

# What the arms are ranked and paired by: the facts, when the test rows name them (token F1
# rewards an answer's words and style, not whether it is right), else token F1.
FACTS, OVERLAP = "fact_accuracy", "token_f1"
# The facts reported: the accuracy the arms are ranked by, and beside it each rate of false
# statements (the hallucination rate, the other-value rate).
REPORTED_FACTS = [m for m in FACT_MEASURES if m.metric in (FACTS, *FACT_RATES)]
NAMES = {**{m.metric: m.label for m in REPORTED_FACTS},
         OFF_TOPIC_RATE: "off-topic refusal", ON_TOPIC_RATE: "on-topic refusal",
         "normalized_match": "normalized match", "token_f1": "token F1", "rouge_l": "ROUGE-L"}  # fmt: skip
REFUSALS = (OFF_TOPIC_RATE, ON_TOPIC_RATE)


def main_metric(arms: list[Arm]) -> str:
    return FACTS if any(FACTS in a.summary for a in arms) else OVERLAP


def charted(arms: list[Arm]) -> list[str]:
    """The metrics charted: the facts first where there are some, then the overlap scores."""
    return [m for m in NAMES if any(m in a.summary for a in arms)]


def scores(arm: Arm, metric: str = OVERLAP) -> list[float]:
    """The arm's score on each question that has one by `metric` (facts: rows that name some)."""
    return [v for row in arm.rows if (v := row_metric(row, metric)) is not None]


def _paired(a: Arm, b: Arm, metric: str):
    return paired_metric(a.rows, b.rows, metric)


def pairs(arms: list[Arm], metric: str | None = None) -> list[dict]:
    """Every pair of arms: the later arm minus the earlier over the same questions, in points,
    with its 95% paired interval and verdict ('better', 'worse', 'no clear winner')."""
    metric = metric or main_metric(arms)
    out = []
    for a, b in combinations(arms, 2):
        diff = _paired(a, b, metric)
        out.append(
            {"arm": b.name, "vs": a.name, "metric": metric, "delta": 100 * diff.delta,
             "low": 100 * diff.low, "high": 100 * diff.high, "verdict": diff.verdict,
             "unclear_because": diff.unclear_because}
        )  # fmt: skip
    return out


def verdict(arms: list[Arm], metric: str | None = None) -> str:
    """The best arm by `metric` (default: the facts where the test rows name them) when it is
    clearly ahead of every other, else which arms it cannot be told apart from: a mean over a
    few questions is not a winner."""
    metric = metric or main_metric(arms)
    name = NAMES[metric]
    best = max(arms, key=lambda a: a.summary[metric])
    tied = [
        other.name
        for other in arms
        if other is not best and _paired(other, best, metric).verdict != "better"
    ]
    if not tied:
        return f"Best by {name}: **{best.name}**, ahead of every other arm (95% paired interval)."
    n = len(scores(best, metric))
    leaders = [a.name for a in arms if abs(a.summary[metric] - best.summary[metric]) < EPSILON]
    if len(leaders) > 1:  # one of equals is no best
        highest = f"{_listed(leaders)} share the highest mean"
    else:
        highest = f"{best.name} has the highest mean"
    if n < MIN_QUESTIONS:  # whatever the intervals say: a handful of questions names no winner
        return (
            f"{NO_CLEAR_WINNER.capitalize()} by {name}: {highest}, but {_questions(n)} "
            f"{'is' if n == 1 else 'are'} too few to name a winner (at least {MIN_QUESTIONS} are "
            "needed)."
        )
    others = [t for t in tied if t not in leaders]
    if not others:
        return f"{NO_CLEAR_WINNER.capitalize()} by {name}: {highest} ({_questions(n)})."
    by_name = {a.name: a for a in arms}
    # An interval on one side of zero that the sign-flip test does not confirm is no "could be
    # zero": the reason said is the one that holds for each arm.
    differences = {o: _paired(by_name[o], best, metric) for o in others}
    why = {o: d.unclear_because for o, d in differences.items()}
    reasons = []
    if crossing := [o for o in others if not why[o]]:
        reasons.append(
            f"the difference from {_listed(crossing)} could be zero (95% paired interval over "
            f"{n} questions)"
        )
    reasons += [
        f"the sign-flip test does not confirm its lead over {o} (p = {differences[o].p:.2g}; the "
        "interval excludes zero)"
        for o in others
        if why[o]
    ]
    return f"{NO_CLEAR_WINNER.capitalize()} by {name}: {highest}, but {'; '.join(reasons)}."


def headline(arms: list[Arm], metric: str | None = None) -> list[str]:
    """The question the comparison is run for, answered first: did finetuning beat prompting,
    and prompting with retrieval? Each as the difference in points with its 95% paired interval
    and the number of questions it is over; the arms' ranking comes after the tables."""
    metric = metric or main_metric(arms)
    by_name = {a.name: a for a in arms}
    tuned = by_name.get("finetuned")
    lines = []
    for name in ("prompting", "prompting + RAG"):
        if tuned is None or (other := by_name.get(name)) is None:
            continue
        diff = _paired(other, tuned, metric)
        n = len(scores(tuned, metric))
        if diff.verdict == "better":
            said = "finetuning is ahead"
        elif diff.verdict == "worse":
            said = f"{name} is ahead"
        else:
            said = f"{NO_CLEAR_WINNER} ({diff.unclear_because or 'the interval reaches zero'})"
        lines.append(
            f"- **Finetuned vs {name}**, {NAMES[metric]}: {100 * diff.delta:+.1f} points "
            f"[{100 * diff.low:+.1f}, {100 * diff.high:+.1f}] over {_questions(n)}: {said}."
        )
    return lines


def _listed(names: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def columns(arms: list[Arm]) -> list[str]:
    """The per-arm table's columns after the arm's name."""
    facts = [f"{m.label} [95%]" for m in REPORTED_FACTS] if FACTS in arms[0].summary else []
    refusals = [f"{NAMES[m]} [95%]" for m in REFUSALS if m in arms[0].summary]
    # Cut off at the token limit: a long-winded arm's token F1 is read on answers cut short.
    return [*facts, *refusals, "token F1 [95%]", "normalized match", "ROUGE-L", "answer words",
            "cut off [95%]", "s/question"]  # fmt: skip


def cells(arm: Arm) -> list[str]:
    """One arm's row under `columns`, scores in %."""
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

    facts = [with_interval(FACTS), *(counted(m) for m in FACT_RATES)] if FACTS in s else []
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
                f", {_questions(arm.passages_cut)} lost passages to fit the model's context "
                f"({arm.passages_none} asked with none)"
            )
        if arm.passages_unfound:
            note += (
                f", {_questions(arm.passages_unfound)} for which retrieval found no passage "
                "(asked as without RAG)"
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
    excluded = (
        f"{result.own_rows} corpus rows that repeat a test row or ask its question were "
        f"never retrieved (for {result.questions_with_own_rows} questions)."
    )
    return f"{recall} {excluded}" if recall else excluded


def questions_scored(arms: list[Arm]) -> str:
    """How many questions the scores are over: "12 test questions", and where only some name
    facts, how many the fact scores are over."""
    n = len(arms[0].rows) if arms else 0
    scored = len(scores(arms[0], main_metric(arms))) if arms else 0
    of = f" ({scored} of them name facts: the fact scores are over those)" if scored < n else ""
    return f"{n} test question{'' if n == 1 else 's'}{of}"


def to_markdown(result: Comparison, cfg: CompareConfig) -> str:
    metric = main_metric(result.arms)
    corpus = cfg.corpus or "the run's training data"
    lines = [
        f"# Prompting vs RAG vs finetuning: {result.run}",
        "",
        *headline(result.arms, metric),
        "",
        f"{questions_scored(result.arms)}; passages: up to {cfg.k} by BM25 from {corpus}. "
        f"{context_note(result)}",
        "",
        "| arm | model | " + " | ".join(columns(result.arms)) + " |",
        "|---|---|" + "---|" * len(columns(result.arms)),
    ]
    lines += [
        f"| {arm.name} | {arm.model} | " + " | ".join(cells(arm)) + " |" for arm in result.arms
    ]
    lines += [
        "",
        f"{_first_upper(NAMES[metric])} differences, arm by arm (points; 95% paired interval over "
        "the questions, Newcombe's for right/wrong scores, a bootstrap for partial ones, Wilson's "
        f"below {MIN_QUESTIONS} questions):",
        "",
        "| arm | vs | Δ | interval | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p['arm']} | {p['vs']} | {p['delta']:+.1f} | [{p['low']:+.1f}, {p['high']:+.1f}] "
        f"| {said_verdict(p)} |"
        for p in pairs(result.arms)
    ]
    if metric == FACTS:
        said = "; ".join(f"{m.label}: {m.share}" for m in REPORTED_FACTS)
        lines += ["", f"{_first_upper(said)}."]
    if OFF_TOPIC_RATE in result.arms[0].summary:
        lines += ["", 'Refusal: the share of answers that say the refusal of the test rows marked '
                  '"kind": "off_topic" (their reference answer), of those rows (higher is better) '
                  "and of the others (lower is better)."]  # fmt: skip
    notes = [f"Note: {note}." for note in result.notes]
    return "\n".join([*lines, "", verdict(result.arms), *notes]) + "\n"


def write_report(result: Comparison, cfg: CompareConfig) -> None:
    """compare.md, compare.json, compare.png and each arm's answers as JSONL."""
    out = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(to_markdown(result, cfg), encoding="utf-8")
    payload = {
        "run": result.run,
        "questions": len(result.arms[0].rows) if result.arms else 0,
        "own_rows_excluded": result.own_rows,
        "arms": [
            {"name": a.name, "model": a.model, "rag": a.rag, **a.summary, **_intervals(a)}
            | (
                {
                    "passages_cut": a.passages_cut,
                    "passages_none": a.passages_none,
                    "passages_unfound": a.passages_unfound,
                    "answers_given": len(a.answers_given),  # a reference in a passage, verbatim
                }
                if a.rag
                else {}
            )  # fmt: skip
            for a in result.arms
        ],
        "ranked_by": main_metric(result.arms),
        "pairs": pairs(result.arms),
        "verdict": verdict(result.arms).replace("**", ""),
    }
    write_json(out / "compare.json", payload)
    for arm in result.arms:
        write_jsonl(arm.rows, out / arm_file_name(arm.name))
    plot(result, out / "compare.png")


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
    # Which way is better, under each metric's name: a hallucination rate is better low.
    ax.set_xticks(
        range(len(metrics)),
        [f"{NAMES[m]}\n({'lower' if m in LOWER_IS_BETTER else 'higher'} better)" for m in metrics],
        fontsize=8,
    )
    ax.set_ylabel("score (%), 95% interval")
    ax.set_title(f"{Path(result.run).name}: prompting vs RAG vs finetuning")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # off the bars
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _questions(n: int) -> str:
    return f"{n} question" if n == 1 else f"{n} questions"


def _first_upper(name: str) -> str:
    """ "token F1" as a sentence starts it: "Token F1" (str.capitalize gave "Token f1")."""
    return name[:1].upper() + name[1:]
