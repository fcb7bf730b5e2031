"""What an evaluation's rows add up to: each row's facts, the summary metrics over the rows, and
two models' comparison, metric by metric, with a paired interval."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.evaluate.refusals import (
    OFF_TOPIC_RATE,
    ON_TOPIC_RATE,
    Refusals,
    row_refusal,
)

if TYPE_CHECKING:
    from tunelab.evaluate.suite import EvalResult


@dataclass(frozen=True)
class FactMeasure:
    """A fact score as every report names it: its key in a row's facts
    (`tunelab.evaluate.facts.score.score_facts`), its summary metric, its label and what it is a
    share of; a measure of false statements is better low."""

    score: str
    metric: str
    label: str
    share: str
    lower_is_better: bool = False


FACT_MEASURES = (
    FactMeasure("fact_accuracy", "fact_accuracy", "fact accuracy",
                "the share of answers stating every fact their test row names"),
    FactMeasure("fact_recall", "fact_recall", "fact recall", "the share of the facts stated"),
    FactMeasure("hallucination", "hallucination_rate", "hallucination",
                "the share of rows naming a wrong answer that state it", lower_is_better=True),
    FactMeasure("other_value", "other_value_rate", "other value",
                "the share of rows whose reference gives the value asked that give another one",
                lower_is_better=True),
)  # fmt: skip
FACT_METRICS = {m.score: m.metric for m in FACT_MEASURES}
# The false statements the facts catch, each a rate over the rows that name something to catch:
# reported wherever the hallucination rate is.
FACT_RATES = tuple(m.metric for m in FACT_MEASURES if m.lower_is_better)
# Rates where the lower score is the better model's.
LOWER_IS_BETTER = {*FACT_RATES, "cut_off_rate", ON_TOPIC_RATE}
# Each summary metric as a person reads it, in every table and chart of eval and compare (a key
# not here, a tool call's score say, is shown as it is).
METRIC_NAMES = {**{m.metric: m.label for m in FACT_MEASURES},
                OFF_TOPIC_RATE: "off-topic refusal", ON_TOPIC_RATE: "on-topic refusal",
                "exact_match": "exact match", "normalized_match": "normalized match",
                "token_f1": "token F1", "rouge_l": "ROUGE-L",
                "embedding_sim": "embedding similarity", "cut_off_rate": "cut off"}  # fmt: skip
LOWER_NOTE = "↓: lower is better (a rate of wrong or unwanted answers)"


def score_said(metric: str, value: float) -> str:
    """A held-out score named as eval and the runs' pair lines name it, as a percentage ("fact
    accuracy 90.0%", not "fact_accuracy 0.9"); the eval loss as a loss ("eval loss 2.0160")."""
    if metric == "eval_loss":
        return f"eval loss {value:.4f}"
    return f"{METRIC_NAMES.get(metric, metric)} {value:.1%}"


def metric_label(key: str) -> str:
    """A summary metric as eval's tables name it, in the terminal and in Markdown alike: its name,
    marked ↓ where a rise is a loss (a rate of wrong or unwanted answers)."""
    return METRIC_NAMES.get(key, key) + (" ↓" if key in LOWER_IS_BETTER else "")


def row_metric(row: dict[str, Any], key: str) -> float | None:
    """One row's score under a summary key; None where the row has nothing to score it by."""
    if key in row["scores"]:
        return row["scores"][key]
    fact_key = {v: k for k, v in FACT_METRICS.items()}.get(key)
    if fact_key:
        return row.get("facts", {}).get(fact_key)
    if key == "cut_off_rate":
        return float(row["finish_reason"] == "length")
    if key in (OFF_TOPIC_RATE, ON_TOPIC_RATE):
        return row_refusal(row, key)
    return None


def row_fact(row: dict[str, Any], index: int) -> str | int:
    """The fact the `index`th row asks (its source_key: `tunelab.evaluate.testset.asked_facts`):
    rows that ask one fact share it, any other row is a fact of its own."""
    return row.get("source_key") or index


def summarize(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Mean of each metric over the rows that have it (fact metrics lead when the test rows carry
    facts, then refusals where rows are marked off-topic), plus the share of answers cut off at
    the token limit."""
    if not rows:
        return {}
    keys = [v for k, v in FACT_METRICS.items() if any(k in r.get("facts", {}) for r in rows)]
    if any("refusal" in r for r in rows):  # the test set marks off-topic questions
        keys += [OFF_TOPIC_RATE, ON_TOPIC_RATE]
    keys += [*rows[0]["scores"].keys(), "cut_off_rate"]
    out = {}
    for key in keys:
        values = [v for r in rows if (v := row_metric(r, key)) is not None]
        if values:
            out[key] = sum(values) / len(values)
    return out


# A share of answers cut off at the token limit past which the overlap and fact scores are
# mostly over partial answers: on lamini_docs at 48 tokens, 92% of prompting's answers were cut
# off and 31% of the finetuned run's, and token F1 favoured the one that stopped sooner.
MANY_CUT_OFF = 0.2
# A token limit this many times the longest reference's tokens leaves room for any answer as
# long as a reference, worded a little longer: answers cut at it do not stop (`cut_off_note`).
ROOM_PAST_LONGEST = 2


def reference_tokens(examples: list, tokenizer: Any) -> list[int]:
    """Each reference answer's length in the model's tokens, kept on its row: the longest is the
    token limit an answer as long needs (`raised_limit`)."""
    return [len(tokenizer(ex.answer, add_special_tokens=False).input_ids) for ex in examples]


def raised_limit(limit: int, longest: int) -> int:
    """The token limit to ask with instead of `limit`, where answers stopped at it: room for an
    answer as long as the `longest` reference, worded a little longer (ROOM_PAST_LONGEST times
    its tokens, where `runs_on` begins); twice the limit for rows without their references'
    tokens (another tool's). Twice the limit was asked of all: 24 where references had 8 tokens
    at most. The one number the note (terminal, errors.md) and each cut-off row give."""
    return ROOM_PAST_LONGEST * longest if longest else 2 * limit


def runs_on(limit: int, longest: int) -> bool:
    """Whether answers cut off at `limit` tokens run on rather than stop short: the limit is
    ROOM_PAST_LONGEST times the `longest` reference's tokens or more, and a higher one only
    lets them run longer. The note on a run's answers (`cut_off_note`, eval's and compare's)
    and each cut-off row of errors.md tell it alike."""
    return bool(longest) and limit >= ROOM_PAST_LONGEST * longest


def cut_off_note(answers: dict[str, list[dict[str, Any]]], limit: int, longest: int) -> str:
    """What the scores stand on where `MANY_CUT_OFF` of some model's (or arm's) `answers` stopped
    at the token `limit`, with what to do: below ROOM_PAST_LONGEST times the `longest`
    reference's tokens, the limit to ask with instead (`raised_limit`); from there, that the
    model does not stop (a base model ran on at 96 tokens against references of 32 at most, and
    each raise was told to double again); "" otherwise."""
    shares = {name: summarize(rows).get("cut_off_rate", 0.0) for name, rows in answers.items()}
    if max(shares.values(), default=0.0) < MANY_CUT_OFF:
        return ""
    cut = ", ".join(f"{share:.0%} of {name}'s" for name, share in shares.items()) + " answers"
    facts = any("facts" in row for rows in answers.values() for row in rows)
    scores = "token F1, ROUGE-L and the fact scores" if facts else "token F1 and ROUGE-L"
    said = (
        f"{cut} stopped at the token limit ({limit}): {scores} are then over partial answers"
        + (" (a fact past the cut is missed)" if facts else "")
        + ", which favours the answers that stop sooner; "
    )
    if runs_on(limit, longest):
        return said + (
            f"the limit is already {limit / longest:.1f} times the longest reference ({longest} "
            "tokens), so the model does not stop: a higher --max-new-tokens only lets it run on. "
            "A model learns to stop from training answers as short as the references, trained "
            "on long enough (a run of few steps has not learnt it yet); until then its answers "
            "are scored as cut"
        )
    return said + (
        f"raise --max-new-tokens to {raised_limit(limit, longest)} (the longest reference is "
        f"{longest} tokens)"
    )


def metric_intervals(rows: list[dict[str, Any]], keys) -> dict[str, Any]:
    """Each metric's mean with its 95% interval over the rows scored by it, and how many those
    are (a tunelab.evaluate.paired.Difference: Wilson's for right/wrong scores, else a bootstrap
    over the questions): a hallucination rate of 1.000 over the one row that names a wrong
    answer read as "every answer hallucinated"."""
    from tunelab.evaluate.paired import mean_interval

    return {
        key: mean_interval([v for r in rows if (v := row_metric(r, key)) is not None])
        for key in keys
        if not key.startswith("errors.")
    }


def interval_fields(intervals: dict[str, Any]) -> dict[str, Any]:
    """The rows each metric is over and its 95% interval, as summary.json and the reports keep
    them beside the means."""
    return {
        "n": {key: ci.n for key, ci in intervals.items()},
        "interval95": {key: [round(ci.low, 4), round(ci.high, 4)] for key, ci in intervals.items()},
    }


@dataclass(frozen=True)
class TestChecks:
    """What a test file says beyond its reference answers: the facts its rows name (by
    `file:line`) and its off-topic rows, which every scored row is checked against, its rows
    whose reply calls tools (`calls_tools`), scored by their calls, and of those the rows whose
    reply only calls tools, scored by no facts (`calls_alone`), and the rows whose facts
    `tunelab data facts` proposed (their "facts_from" mark, kept on each scored row)."""

    facts: dict[str, Any]
    refusals: Refusals
    calls: frozenset[str] = frozenset()
    calling: frozenset[str] = frozenset()
    proposed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(
        cls, path: str | Path, examples: list, fields: dict[str, str] | None = None
    ) -> TestChecks:
        """The checks of the test file `path` (read once), whose rows were loaded as `examples`
        (through `fields`); a split's train.jsonl beside it counts its canned refusals."""
        from tunelab.data.load import source_rows
        from tunelab.evaluate.calls import calls_alone, calls_tools
        from tunelab.evaluate.facts.propose_file import answers_beside
        from tunelab.evaluate.facts.score import fact_checks

        raw = dict(source_rows(path, quiet=True))
        refusals = Refusals.of_rows(
            ((ex.source, raw.get(ex.source), ex.answer) for ex in examples),
            answers_beside(path, "auto", fields),
        )
        calls = frozenset(ex.source for ex in examples if calls_alone(ex))
        calling = frozenset(ex.source for ex in examples if calls_tools(ex))
        facts = {s: c for s, c in fact_checks(raw.items()).items() if s not in calls}
        proposed = {
            s: str(row["facts_from"])
            for s, row in raw.items()
            if isinstance(row, dict) and row.get("facts_from")
        }
        return cls(facts, refusals, calls, calling, proposed)

    def fields(self, source: str, answer: str) -> dict[str, Any]:
        """A scored row's fact and refusal fields, read in what its answer says beside its calls
        where its reply calls tools ("calls": a call's arguments state no fact and no refusal);
        "calls_only" where its reply only calls tools (`facts_named_note` counts those apart
        from the rows that name no facts)."""
        from tunelab.evaluate.calls import said_beside_calls

        calling = source in self.calling
        text = said_beside_calls(answer, calling)
        return {
            **fact_fields(text, self.facts.get(source)),
            **self.refusals.fields(source, text),
            **({"calls": True} if calling else {}),
            **({"calls_only": True} if source in self.calls else {}),
            **({"facts_from": self.proposed[source]} if source in self.proposed else {}),
        }


def fact_fields(answer: str, check) -> dict[str, Any]:
    """A row's fact scores, its missed facts and the wrong phrases and other values it states;
    nothing for a row with nothing to check (`FactCheck.__bool__`)."""
    from tunelab.evaluate.facts.score import (
        missed_alternatives,
        other_value_stated,
        score_facts,
        wrong_stated,
    )

    if not check:
        return {}
    missed = missed_alternatives(answer, check)
    fields = {
        "facts": score_facts(answer, check),
        "missed_facts": [alternatives[0] for alternatives in missed],
        "wrong_stated": wrong_stated(answer, check),
        "other_value_stated": other_value_stated(answer, check),
    }
    if any(len(alternatives) > 1 for alternatives in missed):  # for the error analysis
        fields["missed_fact_alternatives"] = missed
    return fields


def comparison(results: list[EvalResult]) -> list[dict[str, Any]]:
    """Metric by metric, each model's mean and the difference of the first from the last (`eval
    RUN BASE`: the run's gain over its base, a gain positive), with a 95% paired interval over
    the questions both answered; `ahead` names the model the metric favours (the lower rate
    where lower is better), or says there is no clear winner."""

    keys = [k for k in results[0].summary if not k.startswith("errors.")]
    first, last = results[0].rows, results[-1].rows
    table = []
    for key in keys:
        values = [r.summary.get(key, 0.0) for r in results]
        diff = paired_metric(last, first, key)
        verdict = metric_verdict(diff, key)  # the first model against the last
        ahead = diff.ahead(results[0].label, results[-1].label, key in LOWER_IS_BETTER)
        table.append(
            {"metric": key, "values": values, "delta": values[0] - values[-1],
             "low": diff.low, "high": diff.high, "n": diff.n, "facts": diff.clusters,
             "verdict": verdict, "unclear_because": diff.unclear_because,
             "ahead": ahead}
        )  # fmt: skip
    return table


def wording_note(table: list[dict[str, Any]]) -> str:
    """Where token F1 or ROUGE-L names a model ahead and fact accuracy names none, that the lead
    is in wording: a 40-step LoRA run on lamini_docs led its base by +0.094 token F1 [+0.04,
    +0.14] with fact accuracy 0.250 against 0.250 over 4 questions, each metric's "ahead" alike
    in one table; "" otherwise (or where the rows name no facts: the notes say so)."""
    by = {line["metric"]: line for line in table}
    facts = by.get("fact_accuracy")
    led = ("better", "worse")
    wording = [m for m in ("token_f1", "rouge_l") if by.get(m, {}).get("verdict") in led]
    if not facts or facts["verdict"] in led or not wording:
        return ""
    named = " and ".join(METRIC_NAMES[m] for m in wording)
    return (
        f"{by[wording[0]]['ahead']} is ahead by {named}, which reward an answer for sounding like "
        f"the reference, while fact accuracy names no winner (over {facts['n']} questions): the "
        "answers' wording moved, which is no evidence that more facts are known"
    )


def comparison_folder(results: list[EvalResult]) -> Path:
    """Where several models' comparison is kept: the folder that holds each one's (--output),
    or the first's that holds the others' (`eval RUN BASE`); else (two runs) the first's, not
    their common folder (runs/, or even /, shared by every pair compared)."""
    import os

    dirs = [r.out_dir.resolve() for r in results]
    folder = Path(os.path.commonpath(dirs))
    if not all(d == folder or d.parent == folder for d in dirs):
        return results[0].out_dir
    # As the models' folders were given ("runs/b/eval", as the lines above it say them), not
    # resolved: the terminal named it /home/.../runs/b/eval.
    given = (r.out_dir for r, d in zip(results, dirs) if d == folder)
    return next(given, results[0].out_dir.parent)


def write_comparison(
    results: list[EvalResult], table: list[dict[str, Any]], cut_off: str = ""
) -> Path:
    """The comparison as comparison.json and comparison.md in the folder that holds every model's
    answers (the run's eval/ for `eval RUN BASE`, --output with several models): the headline
    of a run against its base was only printed, gone once the terminal scrolled. Its notes: the
    test rows naming no facts, and `cut_off`, the models' answers cut off (`cut_off_note`)."""
    import json

    from tunelab.evaluate.paired import over_facts

    folder = comparison_folder(results)
    models = [r.label for r in results]  # "X (1)", "X (2)" where a model is given twice
    notes = [note for note in (results[0].facts_note, wording_note(table), cut_off) if note]
    (folder / "comparison.json").write_text(
        json.dumps({"models": models, "questions": len(results[0].rows), "metrics": table,
                    "notes": notes}, indent=2) + "\n", encoding="utf-8"
    )  # fmt: skip
    lines = [
        f"# {' vs '.join(models)}",
        "",
        f"{len(results[0].rows)} questions, asked with {results[0].asked() or 'each own prompt'}."
        " Δ is the first model's mean minus the last's, with its 95% paired interval over the"
        " questions both have the metric for (n), resampling facts where rephrasings ask one"
        " together (over N facts); 'ahead' names the model the metric favours"
        " only when the interval is on one side of zero and a paired sign-flip test agrees;"
        f" {LOWER_NOTE}.",
        "",
        "| metric | n | " + " | ".join(models) + " | Δ (first − last) [95%] | ahead |",
        "|---|---|" + "---|" * (len(models) + 2),
    ]
    lines += [
        f"| {metric_label(line['metric'])} | {line['n']} | "
        + " | ".join(f"{v:.3f}" for v in line["values"])
        + f" | {line['delta']:+.3f} [{line['low']:+.2f}, {line['high']:+.2f}]"
        + over_facts(line["facts"])
        + f" | {line['ahead']} |"
        for line in table
    ]  # fmt: skip
    lines += [line for note in notes for line in ("", f"{note}.")]  # as under eval's table
    (folder / "comparison.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "comparison.md"


def metric_verdict(diff, metric: str) -> str:
    """A paired difference's verdict read in the metric's own direction (a lower hallucination
    rate is the better one)."""
    return diff.judged(metric in LOWER_IS_BETTER)


def paired_metric(base: list[dict[str, Any]], other: list[dict[str, Any]], key: str):
    """other − base by `key` over the questions both rows have it for (facts: the rows that
    name some), with its 95% paired interval (a tunelab.evaluate.paired.Difference), over the
    facts where several rows ask one (`row_fact`)."""
    from tunelab.evaluate.paired import paired_difference

    both = [
        (a, b, row_fact(ra, i))
        for i, (ra, rb) in enumerate(zip(base, other))
        if (a := row_metric(ra, key)) is not None and (b := row_metric(rb, key)) is not None
    ]
    return paired_difference(
        [a for a, _, _ in both], [b for _, b, _ in both], clusters=[f for _, _, f in both]
    )
