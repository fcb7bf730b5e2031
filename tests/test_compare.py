"""`tunelab compare`: the four arms are asked the same questions, scored alike and reported, and
a compare cut short resumes (its RAG corpus: test_compare_retrieval.py; its verdicts:
test_compare_verdicts.py)."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_compare_asks_four_ways_and_writes_the_report(tmp_path):
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(app, ["compare", str(run), "--max-new-tokens", "3", "--k", "2"])
    assert result.exit_code == 0, result.output
    out = run / "compare"
    report = json.loads((out / "compare.json").read_text())
    assert [a["name"] for a in report["arms"]] == [
        "prompting", "prompting + RAG", "finetuned", "finetuned + RAG",
    ]  # fmt: skip
    assert [a["model"] for a in report["arms"]] == ["tiny-random"] * 2 + [str(run)] * 2
    assert all(0.0 < a["context_recall"] <= 1.0 for a in report["arms"] if a["rag"])
    plain = [json.loads(x) for x in (out / "finetuned.jsonl").read_text().splitlines()]
    rag = [json.loads(x) for x in (out / "finetuned_RAG.jsonl").read_text().splitlines()]
    assert len(plain) == len(rag) == 3
    assert all(r["passages"] == [] for r in plain) and all(r["passages"] for r in rag)
    assert "| finetuned + RAG |" in (out / "compare.md").read_text()
    # Each arm's share of answers cut off at the token limit, of how many, with its interval.
    assert "cut off [95%]" in (out / "compare.md").read_text()
    assert len(re.findall(r"\| \d+\.\d \(\d of 3\) \[", (out / "compare.md").read_text())) == 4
    # Three questions decide nothing: every pair of arms is "no clear winner", and so is the end.
    assert {p["verdict"] for p in report["pairs"]} == {"no clear winner"}
    assert "No clear winner by token F1" in (out / "compare.md").read_text()
    assert "No clear winner by token F1" in " ".join(result.output.split())
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG")
    # Every pair's paired difference drawn beside zero, named in the command's last lines.
    assert (out / "compare_differences.png").read_bytes().startswith(b"\x89PNG")
    assert f"{out}/compare_differences.png" in "".join(result.output.split())


def test_the_report_names_the_test_file_and_the_limit_its_questions_were_cut_to(tmp_path):
    # `compare --limit 16` on a test file of 74 said "16 test questions" alone, and compare.json
    # named no test file, limit, corpus or token limit: a reader took 16 for the whole test set.
    run = tiny_run(tmp_path, QA)
    args = ["compare", str(run), "--limit", "2", "--max-new-tokens", "3", "--k", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    said = f"2 test questions from {QA / 'test.jsonl'}, the first 2 of its rows (--limit 2)"
    assert said in (run / "compare" / "compare.md").read_text()
    shown = " ".join(result.output.split())  # wrapped at words to the terminal's width
    assert f"Questions from {QA / 'test.jsonl'}, the first 2 of its rows" in shown
    report = json.loads((run / "compare" / "compare.json").read_text())
    assert report["test_file"] == str(QA / "test.jsonl")
    assert (report["limit"], report["k"], report["max_new_tokens"]) == (2, 2, 3)
    assert report["corpus"] == f"{QA / 'train.jsonl'} (the run's training data)"


def test_a_limit_that_cuts_nothing_is_not_said_to_have_cut_the_test_file(tmp_path):
    # `compare --limit 12` of a 12-row test file said "the first 12 of its rows (--limit 12)".
    run = tiny_run(tmp_path, QA)
    args = ["compare", str(run), "--limit", "3", "--max-new-tokens", "3", "--k", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = (run / "compare" / "compare.md").read_text()
    assert f"3 test questions from {QA / 'test.jsonl'}" in report
    assert "of its rows" not in report and "of its rows" not in result.output
    assert f"Questions from {QA / 'test.jsonl'}." in " ".join(result.output.split())


def test_the_first_arm_is_not_timed_loading_the_cpu_kernels(tmp_path, monkeypatch):
    # Its seconds per question held the kernels' load (a ~30 s compile the first time), which
    # made the prompted model look slower than the finetuned one.
    import time
    from types import SimpleNamespace

    from tunelab.compare import arms
    from tunelab.compare.run import CompareConfig, compare
    from tunelab.kernels import build

    skew = []  # seconds the clock jumped while the kernels loaded

    def clock() -> float:
        return time.perf_counter() + sum(skew)

    def slow_load() -> bool:
        skew.append(1000.0)
        return False

    monkeypatch.setattr(arms, "time", SimpleNamespace(perf_counter=clock))
    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.setattr(build, "_load", slow_load)
    cfg = CompareConfig(max_new_tokens=2, k=1)
    result = compare(tiny_run(tmp_path, QA), cfg)
    assert skew == [1000.0]  # loaded once, by the first arm's model
    assert all(arm.seconds < 1000 for arm in result.arms)


def test_a_run_trained_from_another_run_says_which_model_prompting_asks(tmp_path):
    # After continued pretraining, "prompting" was the pretrained run, not the published model,
    # and only the model column said so.
    from tunelab.compare.run import CompareConfig, compare

    first = tiny_run(tmp_path / "a", QA)
    run = tiny_run(tmp_path / "b", QA)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("name: tiny-random", f"name: {first}"))
    result = compare(run, CompareConfig(max_new_tokens=2, k=1, limit=2))
    assert any(f"prompting asks {first}, the run this one was trained from" in n
               for n in result.notes)  # fmt: skip


def test_compare_scores_the_facts_each_test_row_names(tmp_path):
    run = tiny_run(tmp_path, QA)
    rows = [json.loads(x) for x in (QA / "test.jsonl").read_text().splitlines()]
    tests = tmp_path / "facts.jsonl"
    with tests.open("w") as out:
        for row in rows:  # a fact any answer states (every reply has a letter) and one none does
            out.write(
                json.dumps({**row, "facts": [{"regex": "[a-z]|$"}], "wrong": ["zzzq"]}) + "\n"
            )
    result = CliRunner().invoke(
        app, ["compare", str(run), "--data", str(tests), "--max-new-tokens", "3", "--k", "1"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((run / "compare" / "compare.json").read_text())
    assert report["ranked_by"] == "fact_accuracy"
    assert all(a["fact_accuracy"] == 1.0 and a["hallucination_rate"] == 0.0 for a in report["arms"])
    assert {p["metric"] for p in report["pairs"]} == {"fact_accuracy"}
    # Every arm's hallucination rate against prompting's, paired over the rows naming "zzzq".
    hallucinations = [p for p in report["rate_pairs"] if p["metric"] == "hallucination_rate"]
    assert [(p["arm"], p["vs"], p["n"]) for p in hallucinations] == [
        (arm, "prompting", len(rows)) for arm in ("prompting + RAG", "finetuned", "finetuned + RAG")
    ]
    assert "false statements: arm − prompting" in result.output
    assert "fact accuracy [95%]" in (run / "compare" / "compare.md").read_text()
    # A rate of how many rows: "100.0" of one row read as every answer hallucinating.
    assert f"| 0.0 (0 of {len(rows)}) [0.0, " in (run / "compare" / "compare.md").read_text()
    assert "No clear winner by fact accuracy" in " ".join(result.output.split())
    said = " ".join(result.output.split())
    assert "Finetuned vs prompting, fact accuracy: +0.0 points" in said  # first, on screen too
    assert (
        (run / "compare" / "compare.md")
        .read_text()
        .split("\n")[2]
        .startswith("- **Finetuned vs prompting**, fact accuracy: +0.0 points")
    )
    answers = json.loads((run / "compare" / "finetuned.jsonl").read_text().splitlines()[0])
    assert answers["facts"]["fact_accuracy"] == 1.0 and answers["missed_facts"] == []
    assert not list((run / "compare").glob("*.partial.jsonl"))  # the answer logs are done with


def test_a_compare_cut_short_asks_only_what_is_left_and_gives_the_same_answers(
    tmp_path, monkeypatch
):
    from tunelab import work_log
    from tunelab.compare.run import CompareConfig, compare

    run = tiny_run(tmp_path, QA)
    cfg = CompareConfig(max_new_tokens=4, batch_size=1, k=1)
    straight = compare(run, cfg.model_copy(update={"output": str(tmp_path / "straight")}))
    real, asked = work_log.generate, []

    def cut_after_first_answer(model, tokenizer, prompts, on_batch=None, **kwargs):
        def interrupt(batch):
            on_batch(batch)
            raise KeyboardInterrupt

        return real(model, tokenizer, prompts, on_batch=interrupt, **kwargs)

    out = tmp_path / "cut"
    monkeypatch.setattr(work_log, "generate", cut_after_first_answer)
    with pytest.raises(KeyboardInterrupt):
        compare(run, cfg.model_copy(update={"output": str(out)}))
    assert len((out / "answers-prompting.partial.jsonl").read_text().splitlines()) == 2

    def counted(model, tokenizer, prompts, **kwargs):
        asked.append(len(prompts))
        return real(model, tokenizer, prompts, **kwargs)

    monkeypatch.setattr(work_log, "generate", counted)
    resumed = compare(run, cfg.model_copy(update={"output": str(out)}))
    assert asked[0] == 2  # of three questions, one answer came from the log
    for a, b in zip(straight.arms, resumed.arms):
        assert [r["answer"] for r in a.rows] == [r["answer"] for r in b.rows]
    assert not list(out.glob("*.partial.jsonl"))
    # The report says which answers the log held: its s/question is over the rest alone (a
    # rerun's table gave "—" or a time over 5 of 16 questions, unexplained).
    said = (
        "1 of prompting's answers were read back from an interrupted compare's log (the same "
        "weights and settings), not asked again: s/question is over the answers asked in this "
        'run alone ("—" where none were).'
    )
    assert said in (out / "compare.md").read_text()
    assert not any("interrupted" in note for note in straight.notes)


def test_compare_json_keeps_each_arms_rows_and_interval_beside_its_means(tmp_path):
    # A walk's compare.json held a hallucination rate of 0.111 with no word that it was 1 of 9
    # rows, nor how sure: compare.md had both, eval's summary.json had both, compare.json neither.
    from tunelab.compare.arms import Arm
    from tunelab.compare.report import write_report
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    def arm(name: str, right: int, hallucinated: int) -> Arm:
        rows = [
            {"answer": "an answer", "finish_reason": "stop",
             "scores": {"normalized_match": 0.0, "token_f1": 0.25 * (i % 3), "rouge_l": 0.2},
             "facts": {"fact_accuracy": float(i < right)}
             | ({"hallucination": float(i < hallucinated)} if i < 9 else {})}
            for i in range(20)
        ]  # fmt: skip
        summary = summarize(rows) | {"answer_words": 2.0, "seconds_per_question": 0.1}
        return Arm(name, "m", False, rows, 2.0, summary)

    arms = [arm("prompting", 2, 3), arm("finetuned", 10, 1)]
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    report = json.loads((tmp_path / "compare.json").read_text())
    assert report["questions"] == 20
    tuned = report["arms"][1]
    assert tuned["hallucination_rate"] == pytest.approx(1 / 9)
    assert tuned["n"]["hallucination_rate"] == 9 and tuned["n"]["fact_accuracy"] == 20
    low, high = tuned["interval95"]["fact_accuracy"]  # Wilson's, as compare.md shows it
    assert (low, high) == (pytest.approx(0.2993, abs=1e-4), pytest.approx(0.7007, abs=1e-4))
    assert f"{100 * low:.1f}, {100 * high:.1f}]" in (tmp_path / "compare.md").read_text()
    assert "answer_words" not in tuned["n"]  # a length, not a score over the questions


def test_an_arm_right_on_no_question_of_ten_gets_its_chart_not_a_traceback(tmp_path):
    # A walk's `compare --limit 10`: no arm matched a reference exactly, Wilson's low bound of
    # 0 of 10 came out 2.8e-17, above the share, and matplotlib refused the negative error bar
    # after every question had been answered. A score the same on every question is such a
    # bound too: ROUGE-L 0.09 ten times averages 0.08999999999999998, its bootstrap reads 0.09.
    from tunelab.compare.arms import Arm
    from tunelab.compare.report import write_report
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    rows = [
        {"answer": "no", "finish_reason": "stop", "facts": {"fact_accuracy": 0.0},
         "scores": {"normalized_match": 0.0, "token_f1": 0.1 * i, "rouge_l": 0.09}}
        for i in range(10)
    ]  # fmt: skip
    summary = summarize(rows) | {"answer_words": 1.0, "seconds_per_question": 0.1}
    arms = [Arm(name, "m", False, rows, 1.0, summary) for name in ("prompting", "finetuned")]
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    assert (tmp_path / "compare.png").read_bytes().startswith(b"\x89PNG")


def test_a_chat_test_row_is_asked_with_its_history_in_every_arm(tmp_path, monkeypatch):
    import tunelab.work_log as work_log
    from tests.conftest import write_jsonl
    from tunelab.compare.run import CompareConfig, compare

    run = tiny_run(tmp_path, QA)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("template: qa", "template: chat"))
    chat = [
        {"role": "system", "content": "Answer from the manual."},
        {"role": "user", "content": "I use tunelab."},
        {"role": "assistant", "content": "Good to hear."},
        {"role": "user", "content": "Which file holds a run's settings?"},
        {"role": "assistant", "content": "config.yaml in the run folder."},
    ]
    test = write_jsonl(tmp_path / "chat.jsonl", [{"messages": chat}])
    asked, real = [], work_log.generate

    def generate(model, tokenizer, prompts, **kwargs):
        asked.extend(prompts)
        return real(model, tokenizer, prompts, **kwargs)

    monkeypatch.setattr(work_log, "generate", generate)
    compare(run, CompareConfig(data=str(test), max_new_tokens=2, k=1))
    history = "I use tunelab.<|im_end|>\n<|im_start|>assistant\nGood to hear."
    assert len(asked) == 4 and all(history in p and "Answer from the manual." in p for p in asked)
    plain, rag = asked[:2]
    assert "Which file holds a run's settings?" in rag and "runs/<name>" in rag  # a passage
    assert plain.endswith("Which file holds a run's settings?<|im_end|>\n<|im_start|>assistant\n")


def test_the_other_value_rate_is_shown_and_charted_beside_the_hallucination_rate(tmp_path):
    # compare.json had the other-value rate, and compare.md, the terminal and the chart did not:
    # an arm giving the setting asked another value read as stating nothing false.
    from tunelab.compare.arms import Arm
    from tunelab.compare.report import charted, columns, write_report
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    def arm(name: str, other_values: int) -> Arm:
        rows = [
            {"answer": "an answer", "finish_reason": "stop",
             "scores": {"normalized_match": 0.0, "token_f1": 0.5, "rouge_l": 0.5},
             "facts": {"fact_accuracy": 0.0, "hallucination": 0.0}
             | ({"other_value": float(i < other_values)} if i < 4 else {})}
            for i in range(10)
        ]  # fmt: skip
        summary = summarize(rows) | {"answer_words": 2.0, "seconds_per_question": 0.1}
        return Arm(name, "m", False, rows, 2.0, summary)

    arms = [arm("prompting", 1), arm("finetuned", 0)]
    assert columns(arms)[:3] == ["fact accuracy [95%]", "hallucination [95%]", "other value [95%]"]
    assert charted(arms)[:3] == ["fact_accuracy", "hallucination_rate", "other_value_rate"]
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    report = (tmp_path / "compare.md").read_text()
    assert (
        "| prompting | m | 0.0 (0 of 10) [0.0, 27.8] | 0.0 (0 of 10) [0.0, 27.8] | 25.0 (1 of 4) ["
        in report
    )
    assert "other value: the share of rows whose reference gives the value asked" in report
    assert (
        json.loads((tmp_path / "compare.json").read_text())["arms"][0]["n"]["other_value_rate"] == 4
    )


def test_the_chart_says_how_many_rows_each_score_is_over(tmp_path, monkeypatch):
    # Pasted alone, the chart showed a hallucination rate of 50% over 2 rows as tall as a
    # fact accuracy over 13, and its title no count of questions at all.
    from matplotlib.figure import Figure

    from tunelab.compare.arms import Arm
    from tunelab.compare.report import write_report
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    rows = [
        {"answer": "a", "finish_reason": "stop",
         "scores": {"normalized_match": 0.0, "token_f1": 0.5, "rouge_l": 0.5},
         "facts": {"fact_accuracy": 1.0} | ({"hallucination": 0.0} if i < 2 else {})}
        for i in range(13)
    ]  # fmt: skip
    summary = summarize(rows) | {"answer_words": 1.0, "seconds_per_question": 0.1}
    arms = [Arm(name, "m", False, rows, 1.0, summary) for name in ("prompting", "finetuned")]
    charts = []
    monkeypatch.setattr(Figure, "savefig", lambda fig, path: charts.append(fig))
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    [axes] = charts[0].axes
    labels = [t.get_text() for t in axes.get_xticklabels()]
    assert labels[:2] == [
        "fact accuracy\nof 13 rows\n(higher better)",
        "hallucination\nof 2 rows\n(lower better)",
    ]
    assert axes.get_title() == "x: prompting vs RAG vs finetuning, 13 questions"


def test_no_other_value_column_where_no_test_row_asks_a_value(tmp_path):
    # Every arm's "other value" cell read "—", explained only by the legend below the table.
    from tunelab.compare.arms import Arm
    from tunelab.compare.report import columns, write_report
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    def arm(name: str) -> Arm:
        rows = [
            {"answer": "an answer", "finish_reason": "stop",
             "scores": {"normalized_match": 0.0, "token_f1": 0.5, "rouge_l": 0.5},
             "facts": {"fact_accuracy": float(i < 5), "hallucination": 0.0}}
            for i in range(10)
        ]  # fmt: skip
        summary = summarize(rows) | {"answer_words": 2.0, "seconds_per_question": 0.1}
        return Arm(name, "m", False, rows, 2.0, summary)

    arms = [arm("prompting"), arm("finetuned")]
    assert columns(arms)[:3] == ["fact accuracy [95%]", "hallucination [95%]", "token F1 [95%]"]
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    report = (tmp_path / "compare.md").read_text(encoding="utf-8")
    assert "| prompting | m | 50.0 (5 of 10) [" in report
    assert "other value" not in report and "—" not in report.split("| prompting |")[1]
    assert "hallucination: the share of" in report
    saved = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))["arms"][0]
    assert "hallucination_rate" in saved and "other_value_rate" not in saved
