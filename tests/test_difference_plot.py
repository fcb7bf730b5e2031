"""The picture of paired differences that compare, the demo and `eval RUN BASE` write beside
their tables: the numbers drawn are the table's, and an interval that reaches zero is drawn as
"no clear winner" (on fixed answers: no model is asked or trained)."""

from pathlib import Path

from rich.console import Console

from tunelab.evaluate.difference_plot import MARKS, PlottedDifference, plot_differences
from tunelab.evaluate.paired import NO_CLEAR_WINNER

PNG = b"\x89PNG"


def test_an_interval_that_reaches_zero_is_drawn_as_no_clear_winner(tmp_path):
    # README's demo: ARC-Easy -2.0 [-13.0, +9.1], fact accuracy +85.7 [+72.2, +92.2].
    arc = {"delta": -2.0, "low": -13.0, "high": 9.1, "verdict": NO_CLEAR_WINNER, "n": 100}
    facts = {"delta": 85.7, "low": 72.2, "high": 92.2, "verdict": "better", "n": 56}
    rows = [
        PlottedDifference.of("fact accuracy", facts, "fact_accuracy"),
        PlottedDifference.of("ARC-Easy", arc, "arc_easy"),
    ]
    assert [r.numbers for r in rows] == ["+85.7 [+72.2, +92.2]", "-2.0 [-13.0, +9.1]"]
    colour, filled = MARKS[rows[1].verdict]
    assert not filled and colour != MARKS["better"][0] != MARKS["worse"][0]
    assert MARKS[rows[0].verdict][1]  # a winner's dot is filled
    # A drop in a rate of false statements is the gain: its row says which way is better.
    drop = {"delta": -10.5, "low": -31.4, "high": 7.9, "verdict": NO_CLEAR_WINNER, "n": 19}
    hallucination = PlottedDifference.of("hallucination", drop, "hallucination_rate")
    assert "lower is better" in hallucination.name and "19 questions" in hallucination.name
    path = plot_differences([*rows, hallucination], tmp_path / "d.png", "finetuned − base, 74 q")
    assert path.read_bytes().startswith(PNG)


def test_the_demo_draws_the_changes_its_table_prints(tmp_path):
    from tunelab.demo.scores import (
        changes,
        difference_rows,
        means,
        per_question,
        plot_changes,
        print_table,
    )

    tests = [
        {"question": f"Port of service {i}?", "answer": f"Port {8000 + i}.", "kind": "paraphrase",
         "facts": [[str(8000 + i)]], "wrong": ["80"]}
        for i in range(12)
    ] + [{"question": "Weather?", "answer": "I only answer tunelab.", "kind": "off_topic"}]  # fmt: skip
    base = ["Port 80."] * 6 + ["I do not know."] * 6 + ["Sunny."]
    tuned = [f"Port {8000 + i}." for i in range(11)] + ["Port 80.", "I only answer tunelab."]
    before, after = per_question(tests, base), per_question(tests, tuned)
    scores = {"base": means(before), "finetuned": means(after), "change": changes(before, after)}
    console = Console(record=True, width=200)
    print_table(scores, len(tests), console)
    table = console.export_text()
    rows = difference_rows(scores)
    assert [r.label for r in rows][:2] == ["fact accuracy", "hallucination"]
    for row in rows:  # each number drawn is the one printed, in the row of its metric
        line = next(line for line in table.splitlines() if f"{row.label} " in line)
        assert row.numbers in line and row.said in line
    by_label = {r.label: r for r in rows}
    assert by_label["fact accuracy"].verdict == "better" and by_label["fact accuracy"].n == 12
    # The one off-topic question: +100 that could be no change at all.
    assert by_label["off-topic refusal"].verdict == NO_CLEAR_WINNER
    path = plot_changes(scores, len(tests), tmp_path / "demo_differences.png")
    assert path.read_bytes().startswith(PNG)


def test_the_demo_names_its_general_ability_row_as_the_readme_does():
    from tunelab.demo.scores import GENERAL_TASK, changes, difference_rows

    arc = {GENERAL_TASK: [1.0, 0.0, 1.0, 0.0]}
    scores = {"change": changes(arc, {GENERAL_TASK: [1.0, 1.0, 0.0, 0.0]})}
    # It read "arc_easy", the task's file name, where the README's table says ARC-Easy acc_norm.
    assert [row.label for row in difference_rows(scores)] == ["ARC-Easy acc_norm"]


def test_compare_writes_its_differences_as_a_picture_of_compare_md_s_numbers(tmp_path):
    from tunelab.compare.arms import Arm
    from tunelab.compare.report import difference_rows, write_report
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    def arm(name, right, hallucinated):
        rows = [
            {"answer": "a", "finish_reason": "stop", "scores": {"normalized_match": 0.0,
             "token_f1": 0.5, "rouge_l": 0.5}, "facts": {"fact_accuracy": float(i < right),
             "hallucination": float(i < hallucinated)}}
            for i in range(20)
        ]  # fmt: skip
        summary = summarize(rows) | {"answer_words": 1.0, "seconds_per_question": 0.1}
        return Arm(name, "m", False, rows, 1.0, summary)

    arms = [arm("prompting", 2, 6), arm("finetuned", 18, 5), arm("finetuned + RAG", 17, 0)]
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    assert (tmp_path / "compare_differences.png").read_bytes().startswith(PNG)
    assert (tmp_path / "compare.png").exists()  # each arm's own scores, kept beside it
    report = (tmp_path / "compare.md").read_text(encoding="utf-8")
    rows = difference_rows(arms)
    # Three pairs by fact accuracy, then each later arm's hallucination rate against the first.
    assert [r.label for r in rows] == [
        "finetuned − prompting: fact accuracy",
        "finetuned + RAG − prompting: fact accuracy",
        "finetuned + RAG − finetuned: fact accuracy",
        "finetuned − prompting: hallucination",
        "finetuned + RAG − prompting: hallucination",
    ]
    for row in rows:  # "+80.0 [+57.0, +89.8]" is compare.md's "| +80.0 | [+57.0, +89.8]"
        pair = row.label.split(": ")[0].replace(" − ", " | ")
        drawn = f"| {row.numbers.replace(' [', ' | [')} | {row.said} |"
        assert any(line.startswith(f"| {pair} |") and drawn in line for line in report.splitlines())
    assert rows[0].verdict == "better" and not rows[0].lower_is_better
    assert rows[3].verdict == NO_CLEAR_WINNER and rows[3].lower_is_better  # 6 of 20 -> 5 of 20


def test_eval_of_a_run_and_its_base_draws_its_comparison_in_points(tmp_path):
    from tunelab.evaluate.difference_plot import comparison_rows, plot_comparison
    from tunelab.evaluate.scores import comparison, summarize
    from tunelab.evaluate.suite import EvalResult

    def result(name, right):
        rows = [
            {"scores": {"token_f1": 0.5}, "finish_reason": "stop",
             "facts": {"fact_accuracy": float(i < right)}}
            for i in range(20)
        ]  # fmt: skip
        return EvalResult(name, tmp_path, rows, summarize(rows))

    table = comparison([result("runs/mine", 18), result("base", 3)])
    rows = {r.label: r for r in comparison_rows(table)}
    facts = next(line for line in table if line["metric"] == "fact_accuracy")
    drawn = rows["fact accuracy"]
    assert (drawn.delta, drawn.low, drawn.high) == (
        100 * facts["delta"], 100 * facts["low"], 100 * facts["high"]
    )  # fmt: skip
    assert drawn.verdict == "better" and rows["token F1"].verdict == NO_CLEAR_WINNER
    path = plot_comparison([result("runs/mine", 18), result("base", 3)], table, Path(tmp_path))
    assert path.name == "comparison_differences.png" and path.read_bytes().startswith(PNG)
