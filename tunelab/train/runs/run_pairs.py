"""`tunelab runs A B`: did the change help? Each run after the first against the first, over the
questions both answered: in their evals (RUN/eval, as `tunelab eval` and `tunelab demo` write
it) and in each benchmark task (RUN/bench/scores.json), as a paired difference in points with its
95% interval and the run it favours, else "no clear winner"; two means side by side ("did 4
epochs beat 3?") left the reader to guess whether the gap was noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tunelab.errors import TunelabError
from tunelab.evaluate.eval_folder import ANSWERS_FILE, read_rows
from tunelab.evaluate.paired import NO_CLEAR_WINNER, no_winner, over_facts, paired_difference
from tunelab.evaluate.scores import METRIC_NAMES, paired_metric
from tunelab.terminal import n_things
from tunelab.train.runs.runs import HELD_OUT_METRICS, eval_stale

if TYPE_CHECKING:
    from tunelab.evaluate.paired import Difference
    from tunelab.run import Run


def versus_first(runs: list[Run], rows: list[dict]) -> list[list[dict]]:
    """Each run's pairs with the first (none for the first, or for a run alone): its eval's score
    (fact accuracy where the rows name facts, else token F1) and each benchmark task's, over
    the questions both were asked; a `note` in place of a difference where both have scores
    that cannot be paired. `rows` are the runs' rows of the listing (`runs.summary`): each run is
    said by its name there ("a/demo against b/demo", not "demo against demo"), and its benchmark
    scores are the ones it lists (each bench/scores.json read once, for the listing)."""
    if len(runs) < 2:
        return [[] for _ in runs]
    first = _Named(runs[0], rows[0]["run"])
    base_rows, base_bench = eval_rows(first.run), rows[0].get("bench", {})
    paired: list[list[dict]] = [[]]
    for run, row in zip(runs[1:], rows[1:]):
        pairs, named = [], _Named(run, row["run"])
        if base_rows is not None and (answers := eval_rows(run)) is not None:
            pairs.append(_eval_pair(first, named, base_rows, answers))
        for task, score in row.get("bench", {}).items():
            if task in base_bench:
                pairs.append(_bench_pair(first, named, task, base_bench[task], score))
        paired.append(pairs)
    return paired


@dataclass
class _Named:
    """A run as the listing calls it (`runs.names`)."""

    run: Run
    name: str


def eval_rows(run: Run) -> list[dict] | None:
    """The run's eval answers, one row per question (None without them, or where the file is
    damaged: it costs the pair, not the listing)."""
    path = run.out_dir("eval") / ANSWERS_FILE
    if not path.is_file():
        return None
    try:
        return read_rows(path)
    except TunelabError:
        return None


def _asked(row: dict) -> tuple:
    """A question as asked and what it is scored against: two runs' rows pair where these are
    the same, whichever file (each run's own copy of the test split) they were read from."""
    return row["question"], tuple(row.get("asked_after") or ()), row["reference"]


def _eval_pair(base: _Named, run: _Named, base_rows: list[dict], rows: list[dict]) -> dict:
    """`run`'s eval against `base`'s over the questions both answered, by fact accuracy where
    both answers name facts, else token F1 (as `tunelab runs` lists the best held-out score)."""
    theirs = {_asked(row): row for row in rows}
    ours = {_asked(row): row for row in base_rows}
    shared = [key for key in ours if key in theirs]
    pair = {"run": run.name, "vs": base.name, "on": "eval"}
    if not shared:
        return {**pair, "note": "no question answered in both evals (other test files): eval "
                "each on one file to pair them (tunelab eval RUN --data FILE)"}  # fmt: skip
    left, right = [ours[k] for k in shared], [theirs[k] for k in shared]
    for metric in HELD_OUT_METRICS:
        diff = paired_metric(left, right, metric)
        if diff.n:
            break
    else:
        both = n_things(len(shared), "question")
        return {**pair, "note": f"{both} in both evals, none scored alike"}
    stale = [r.name for r in (base, run) if eval_stale(r.run)]
    return {**pair, **_said(diff, metric, base, run), "stale": stale}


def _bench_pair(base: _Named, run: _Named, task: str, base_score: dict, score: dict) -> dict:
    """`run`'s score on one benchmark task against `base`'s, over the questions both were asked
    (by key: 100 ARC-Easy questions pair with the first 100 of 200, none with 5-shot ones)."""
    pair = {"run": run.name, "vs": base.name, "on": score.get("asked") or task}
    ours, theirs = base_score.get("per_question"), score.get("per_question")
    if not ours or not theirs:
        older = [r.name for r, s in ((base, ours), (run, theirs)) if not s]
        return {**pair, "note": f"no per-question scores kept for {', '.join(older)} (an older "
                "tunelab bench or demo): bench it again to pair them"}  # fmt: skip
    shared = [key for key in ours if key in theirs]
    if not shared:
        return {**pair, "note": "benched on other questions (or few-shot examples), none shared: "
                "bench both alike (the same --limit and --fewshot) to pair them"}  # fmt: skip
    diff = paired_difference([ours[k] for k in shared], [theirs[k] for k in shared])
    stale = [r.name for r, s in ((base, base_score), (run, score)) if s.get("stale")]
    return {**pair, **_said(diff, score["metric"], base, run), "stale": stale}


def _said(diff: Difference, metric: str, base: _Named, run: _Named) -> dict:
    """The difference in points, its interval and its verdict with the run it favours."""
    if diff.verdict == NO_CLEAR_WINNER:
        verdict = no_winner(diff)
    else:
        verdict = f"{diff.ahead(run.name, base.name)} is ahead"
    return {"metric": metric, "delta": 100 * diff.delta, "low": 100 * diff.low,
            "high": 100 * diff.high, "n": diff.n, "facts": diff.clusters,
            "verdict": diff.verdict, "said": verdict}  # fmt: skip


def pair_line(pair: dict) -> str:
    """One pair as `tunelab runs` prints it under the table: "demo4 against demo, eval fact
    accuracy: +12.5 points [+2.1, +22.0] over 56 shared questions: demo4 is ahead"."""
    head = f"{pair['run']} against {pair['vs']}, {pair['on']}"
    if "note" in pair:
        return f"{head}: {pair['note']}"
    metric = METRIC_NAMES.get(pair["metric"], pair["metric"])
    line = (
        f"{head} {metric}: {pair['delta']:+.1f} points [{pair['low']:+.1f}, {pair['high']:+.1f}] "
        f"over {n_things(pair['n'], 'shared question')}{over_facts(pair['facts'])}: {pair['said']}"
    )
    if pair["stale"]:
        line += f" ({' and '.join(pair['stale'])} trained again since: measure again)"
    return line
