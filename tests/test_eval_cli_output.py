"""What `tunelab eval` tells a newcomer: where each file it wrote is and what it holds, and a bad
test row it was not asked to read stops nothing."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tunelab.cli import app


def test_eval_names_the_files_it_wrote_and_reads_only_the_rows_it_asks(tmp_path):
    rows = [{"question": f"What is step {i}?", "answer": f"Step {i}."} for i in range(3)]
    rows.append({"question": "What is missing?", "answer": ""})  # as lamini_docs' line 424
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "ev"
    args = ["eval", "tiny-random", "--data", str(data), "--output", str(out)]
    said = CliRunner().invoke(app, [*args, "--max-new-tokens", "2", "--limit", "2"])
    assert said.exit_code == 0, said.output  # line 4 is past the two asked
    text = " ".join(said.output.split())
    assert f"2 answers → {out}/ (predictions.csv and .jsonl: each answer with its scores" in text
    assert "summary.json" in text and f"{out / 'errors.md'}, {out / 'errors.html'}" in text
    # Asked, it is named with what to do: skip it, or ask only the rows before it.
    whole = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"])
    assert f"{data}:4: field 'answer' is empty" in str(whole.exception)
    assert "--on-error skip" in str(whole.exception) and "--limit" in str(whole.exception)


def test_the_legend_names_the_interval_a_small_test_set_gets(tmp_path):
    # Under 10 questions a token F1 interval is Wilson's at the mean, not the bootstrap the
    # legend named: [0.05, 0.61] on 6 lamini_docs questions came from neither it said.
    data = tmp_path / "test.jsonl"
    rows = [{"question": f"What is step {i}?", "answer": f"Step {i}."} for i in range(3)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["--data", str(data), "--max-new-tokens", "2", "--output", str(tmp_path / "ev")]
    one = CliRunner().invoke(app, ["eval", "tiny-random", *args])
    assert one.exit_code == 0, one.output
    assert "(Wilson's at their mean below 10 questions)" in " ".join(one.output.split())
    two = CliRunner().invoke(app, ["eval", "tiny-random", "tiny-random", *args])
    assert two.exit_code == 0, two.output
    assert "Wilson's on their differences below 10 questions" in " ".join(two.output.split())


def test_an_eval_of_another_test_file_says_it_replaces_the_answers_there(tmp_path):
    # `eval RUN --data other.jsonl` wrote over the run's held-out answers without a word.
    files = _two_test_files(tmp_path)
    out = tmp_path / "ev"
    args = ["eval", "tiny-random", "--max-new-tokens", "2", "--output", str(out), "--data"]
    first = CliRunner().invoke(app, [*args, str(files["held.jsonl"])])
    assert first.exit_code == 0 and "replace" not in first.output, first.output
    other = CliRunner().invoke(app, [*args, str(files["other.jsonl"])])
    said = " ".join(other.output.split())
    assert (
        f"{out} held the answers to {files['held.jsonl']}; those to {files['other.jsonl']}" in said
    )
    assert "--output DIR keeps each test file's eval apart" in said
    again = CliRunner().invoke(app, [*args, str(files["other.jsonl"])])
    assert "held the answers" not in again.output  # the same file asked again replaces nothing


def test_a_test_set_naming_facts_on_some_rows_says_which_are_judged_by_wording(tmp_path):
    # Facts on 4 rows of 13 read "fact_accuracy n=4" and token F1 over 13 with a model "ahead",
    # and nothing said the other 9 were scored by their wording alone.
    rows = [
        {"question": f"Which port is number {i}?", "answer": f"Port {8440 + i}."} for i in range(3)
    ]
    rows[0]["facts"] = [["8440"]]
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["--data", str(data), "--max-new-tokens", "2", "--output", str(tmp_path / "ev")]
    said = CliRunner().invoke(app, ["eval", "tiny-random", *args])
    assert said.exit_code == 0, said.output
    text = " ".join(said.output.split())
    assert (
        f"2 of 3 test rows name neither facts nor a wrong answer ({data}:2, {data}:3): fact "
        "accuracy is over the 1 that names facts, and those 2 are judged by wording alone (token F1 and ROUGE-L reward wording, not "
        f"correctness). `tunelab data facts {data} -o test_facts.jsonl` proposes them" in text
    )
    assert text.count("2 of 3 test rows name neither facts") == 1  # under the table, not above too
    # The folder, read after the terminal scrolled, says it too.
    notes = json.loads((tmp_path / "ev" / "summary.json").read_text())["notes"]
    assert [
        n
        for n in notes
        if n.startswith(f"2 of 3 test rows name neither facts nor a wrong answer ({data}:2")
    ]
    errors = " ".join((tmp_path / "ev" / "errors.md").read_text().split())
    assert (
        f"Note: 2 of 3 test rows name neither facts nor a wrong answer ({data}:2, {data}:3)"
        in errors
    )
    # Two models compared: comparison.md, kept after the terminal scrolls, says it too.
    two = CliRunner().invoke(app, ["eval", "tiny-random", "tiny-random", *args])
    assert two.exit_code == 0, two.output
    kept = " ".join((tmp_path / "ev" / "comparison.md").read_text().split())
    assert f"2 of 3 test rows name neither facts nor a wrong answer ({data}:2, {data}:3)" in kept


def test_the_table_names_each_metric_as_compare_does_and_marks_the_rates_better_low(
    tmp_path, wide_terminal
):
    # "hallucination_rate 0.000" read as a key, and nothing said a lower rate is the better one.
    rows = [{"question": f"Which port is number {i}?", "answer": f"Port {8440 + i}.",
             "facts": [[f"{8440 + i}"]], "wrong": [f"{9440 + i}"]} for i in range(3)]  # fmt: skip
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["--data", str(data), "--max-new-tokens", "2", "--output", str(tmp_path / "ev")]
    said = CliRunner().invoke(app, ["eval", "tiny-random", *args])
    assert said.exit_code == 0, said.output
    names = [line.split("│")[1].strip() for line in said.output.splitlines() if "│" in line]
    assert names == [
        "fact accuracy",
        "fact recall",
        "hallucination ↓",
        "other value ↓",  # "Port 8440" names its value: an answer's other port is checked
        "exact match",
        "normalized match",
        "token F1",
        "ROUGE-L",
        "cut off ↓",
    ]
    assert "↓: lower is better (a rate of wrong or unwanted answers)" in said.output


def test_the_notes_eval_prints_are_kept_in_errors_md_and_summary_json(tmp_path):
    # They were said on the terminal alone: a reader of the eval folder later never saw that its
    # answers had replaced another test file's.
    files = _two_test_files(tmp_path)
    out = tmp_path / "ev"
    args = ["eval", "tiny-random", "--max-new-tokens", "2", "--output", str(out), "--data"]
    assert CliRunner().invoke(app, [*args, str(files["held.jsonl"])]).exit_code == 0
    said = CliRunner().invoke(app, [*args, str(files["other.jsonl"])], env={"COLUMNS": "300"})
    note = f"{out} held the answers to {files['held.jsonl']}; those to {files['other.jsonl']} "
    assert note in said.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [n for n in summary["notes"] if n.startswith(note)]
    # Near the top of errors.md, under its headline: before the tables and the examples.
    report = (out / "errors.md").read_text(encoding="utf-8")
    assert f"Note: {note}" in report.split("| metric |")[0]
    # `tunelab errors` rewrites both files and keeps what eval said of its answers.
    assert CliRunner().invoke(app, ["errors", str(out)]).exit_code == 0
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["notes"]) <= set(again["notes"])
    errors = (out / "errors.md").read_text(encoding="utf-8")
    assert f"Note: {note}" in errors
    # Each row keeps its reference's tokens, whose longest a cut-off row of errors.md names too.
    rows = [json.loads(line) for line in (out / "predictions.jsonl").open(encoding="utf-8")]
    assert max(row["reference_tokens"] for row in rows) == 8


def _two_test_files(tmp_path) -> dict:
    """held.jsonl and other.jsonl, two questions each, by name."""
    files = {}
    for name in ("held.jsonl", "other.jsonl"):
        rows = [{"question": f"What is {name} {i}?", "answer": f"It is {i}."} for i in range(2)]
        files[name] = tmp_path / name
        files[name].write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return files


def test_the_token_limit_advised_for_cut_off_answers_is_twice_the_longest_reference(tmp_path):
    # References of 8 tokens at most, answers cut off at 12: the terminal and errors.md said to
    # raise the limit to 24 (twice the limit), past the 16 that leave a reference room.
    data = _two_test_files(tmp_path)["held.jsonl"]
    out = tmp_path / "ev"
    args = ["eval", "tiny-random", "--data", str(data), "--output", str(out)]
    said = CliRunner().invoke(app, [*args, "--max-new-tokens", "12"], env={"COLUMNS": "300"})
    assert said.exit_code == 0, said.output
    advice = "raise --max-new-tokens to 16 (the longest reference is 8 tokens)"
    assert advice in said.output
    assert advice in (out / "errors.md").read_text(encoding="utf-8")


def test_a_test_set_naming_no_facts_is_said_so_once_in_errors_md(tmp_path):
    # The headline said "no test row names its facts" with a command to propose them, and the
    # note under it said it again with another command.
    data = _two_test_files(tmp_path)["held.jsonl"]
    out = tmp_path / "ev"
    args = ["eval", "tiny-random", "--data", str(data), "--output", str(out)]
    said = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"], env={"COLUMNS": "300"})
    assert said.exit_code == 0, said.output
    report = " ".join((out / "errors.md").read_text(encoding="utf-8").lower().split())
    assert report.count("no test row names") == 1 and report.count("tunelab data facts") == 1
    # The headline still says what judged the categories.
    assert "judged by wording alone: an answer in the reference's words" in report


def test_answers_cut_off_at_the_token_limit_are_said_to_be_scored_partial(tmp_path, monkeypatch):
    # At 48 tokens, 92% of a base model's answers were cut off: its token F1 was over partial
    # answers, and only a column said how many.
    import tunelab.generation.generate as generate

    def answer(model, tokenizer, questions, **kwargs):  # one of the two stops, one is cut off
        return [generate.Generation(f"It is {i}", ("stop", "length")[i], 5, 2, i) for i in (0, 1)]

    monkeypatch.setattr(generate, "answer", answer)
    data = _two_test_files(tmp_path)["held.jsonl"]
    out = tmp_path / "ev"
    args = ["eval", "tiny-random", "--data", str(data), "--output", str(out)]
    said = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"], env={"COLUMNS": "300"})
    assert said.exit_code == 0, said.output
    note = "50% of tiny-random's answers stopped at the token limit (2): token F1 and ROUGE-L are"
    assert note in said.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    [kept] = [n for n in summary["notes"] if n.startswith(note)]
    assert "stop sooner; raise --max-new-tokens to 16 (the longest reference is 8 tokens)" in kept
    errors = (out / "errors.md").read_text(encoding="utf-8")
    assert f"Note: {note}" in errors
    # Each row keeps its reference's tokens, whose longest a cut-off row of errors.md names too.
    rows = [json.loads(line) for line in (out / "predictions.jsonl").open(encoding="utf-8")]
    assert max(row["reference_tokens"] for row in rows) == 8
    # Two models compared: comparison.md and .json, where a model is called ahead, say it too.
    two = ["eval", "tiny-random", "tiny-random", "--data", str(data), "--output", str(out)]
    assert CliRunner().invoke(app, [*two, "--max-new-tokens", "2"]).exit_code == 0
    both = "50% of tiny-random (1)'s, 50% of tiny-random (2)'s answers stopped at the token limit"
    assert both in (out / "comparison.md").read_text(encoding="utf-8")
    notes = json.loads((out / "comparison.json").read_text(encoding="utf-8"))["notes"]
    assert [n for n in notes if n.startswith(both)]
    # Answers that end by themselves are scored whole: nothing is said.
    monkeypatch.setattr(
        generate, "answer", lambda *a, **k: [generate.Generation("It is 0", "stop", 5, 2, 0)] * 2
    )
    said = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"], env={"COLUMNS": "300"})
    assert said.exit_code == 0 and "stopped at the token limit" not in said.output


def test_a_model_compared_with_itself_is_told_apart_in_every_report(
    tmp_path, monkeypatch, wide_terminal
):
    # `eval X X` (sampled answers against sampled answers): the cut-off note said "50% of X's"
    # once for both, the table headed two columns "X", and both wrote into one folder.
    import tunelab.generation.generate as generate

    calls = []

    def answer(model, tokenizer, questions, **kwargs):  # the second asking is cut off once
        calls.append(1)
        ends = ("stop", "stop") if len(calls) == 1 else ("stop", "length")
        return [generate.Generation(f"It is {i}", ends[i], 5, 2, i) for i in (0, 1)]

    monkeypatch.setattr(generate, "answer", answer)
    monkeypatch.chdir(tmp_path)
    data = _two_test_files(tmp_path)["held.jsonl"]
    args = ["eval", "tiny-random", "tiny-random", "--data", str(data), "--max-new-tokens", "2"]
    said = CliRunner().invoke(app, args)
    assert said.exit_code == 0, said.output
    header = next(line for line in said.output.splitlines() if "metric" in line)
    assert "tiny-random (1)" in header and "tiny-random (2)" in header
    assert "answering (tiny-random (2))" in said.output
    assert "note: 50% of tiny-random (2)'s answers stopped at the token limit" in said.output
    # Each answered into a folder of its own, which names it as the table does.
    first, second = tmp_path / "eval" / "tiny-random", tmp_path / "eval" / "tiny-random" / "model2"
    summaries = [
        json.loads((d / "summary.json").read_text(encoding="utf-8")) for d in (first, second)
    ]
    assert [s["label"] for s in summaries] == ["tiny-random (1)", "tiny-random (2)"]
    assert [s["model"] for s in summaries] == ["tiny-random", "tiny-random"]
    assert "Note: 50% of tiny-random (2)'s answers" in (second / "errors.md").read_text(
        encoding="utf-8"
    )
    kept = json.loads((first / "comparison.json").read_text(encoding="utf-8"))
    assert kept["models"] == ["tiny-random (1)", "tiny-random (2)"]
    both = "0% of tiny-random (1)'s, 50% of tiny-random (2)'s answers stopped at the token limit"
    assert [n for n in kept["notes"] if n.startswith(both)]
    # `tunelab errors` rewrites the second's reports under the same name.
    assert CliRunner().invoke(app, ["errors", str(second)]).exit_code == 0
    again = json.loads((second / "summary.json").read_text(encoding="utf-8"))
    assert again["label"] == "tiny-random (2)"


def test_eval_of_proposed_facts_names_the_guessed_ones_and_sends_nobody_back_to_propose(tmp_path):
    # On lamini_docs, after `data facts`, eval told the user to run `data facts` on its own
    # output (which proposes nothing more), and fact accuracy stood on "having", "trouble",
    # "discussion"... (rare words of the references) with nothing said.
    rows = [
        {"question": "Which port does the server use?", "answer": "It listens on port 8440."},
        {"question": "How do I fine-tune my model?",
         "answer": "Currently access to fine-tuning is only available to early customers."},
        {"question": "What is Zephyrine?", "answer": "Zephyrine is an internal search appliance."},
    ]  # fmt: skip
    test = tmp_path / "test.jsonl"
    test.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    facts = tmp_path / "test_facts.jsonl"
    proposed = CliRunner().invoke(app, ["data", "facts", str(test), "-o", str(facts)])
    assert proposed.exit_code == 0, proposed.output
    out = tmp_path / "ev"
    args = ["eval", "tiny-random", "--data", str(facts), "--output", str(out)]
    said = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"], env={"COLUMNS": "400"})
    assert said.exit_code == 0, said.output
    text = " ".join(said.output.split())
    assert f"1 of 3 test rows name neither facts nor a wrong answer ({facts}:3)" in text
    assert "`tunelab data facts` found none to propose for them: write theirs by hand" in text
    assert f"tunelab data facts {facts}" not in text  # proposing again proposes nothing
    assert (
        "1 of the 2 rows fact accuracy is over have facts `tunelab data facts` guessed from rare "
        f'words of their reference ("facts_from": "reference words": {facts}:2)' in text
    )
    kept = (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line).get("facts_from") for line in kept] == [
        "reference",
        "reference words",
        None,
    ]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [n for n in summary["notes"] if "1 of the 2 rows fact accuracy is over" in n]
