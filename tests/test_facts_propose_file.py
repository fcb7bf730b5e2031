"""`tunelab data facts` on a file: every row's fields and own facts are kept, a reviewed file is not
replaced unasked, custom columns are read through fields, and rows left without facts, or facts
eval cannot read, are named by row."""

import json

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.facts.propose_file import propose_file
from tunelab.evaluate.facts.score import read_fact_checks


def test_the_file_keeps_every_row_s_fields_and_own_facts_and_eval_reads_it(tmp_path):
    rows = [
        {"instruction": "What does save_every default to?", "output": "It defaults to 100 steps.",
         "kind": "defaults"},
        {"instruction": "Is a GPU needed?", "output": "No, a CPU will do.", "facts": [["CPU"]]},
    ]  # fmt: skip
    source = tmp_path / "test.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "with_facts.jsonl"
    result = CliRunner().invoke(app, ["data", "facts", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert written[0] == {**rows[0], "facts": [["100"]], "facts_from": "reference"}
    assert written[1] == rows[1]  # its own facts, no proposed wrong answer added
    checks = read_fact_checks(out)
    assert len(checks) == 2
    # A person reviews the file; proposing again from the source must not throw that away.
    out.write_text(out.read_text().replace('[["100"]]', '[["100 steps"]]'))
    again = CliRunner().invoke(app, ["data", "facts", str(source), "-o", str(out)])
    assert again.exit_code != 0 and "--overwrite" in str(again.exception)
    assert '[["100 steps"]]' in out.read_text()
    # Given as its own input, its reviewed rows stay as they are.
    result = CliRunner().invoke(app, ["data", "facts", str(out), "-o", str(out)])
    assert result.exit_code == 0 and '[["100 steps"]]' in out.read_text()
    result = CliRunner().invoke(app, ["data", "facts", str(source), "-o", str(out), "--overwrite"])
    assert result.exit_code == 0 and '[["100 steps"]]' not in out.read_text()


def test_facts_a_row_names_in_a_form_eval_cannot_read_are_reported_by_their_row(tmp_path):
    source = tmp_path / "test.jsonl"
    rows = [
        {"question": "Which port?", "answer": "Port 8080.", "facts": [["8080"]]},
        {"question": "Which rank?", "answer": "Rank 16.", "facts": "16"},  # not a list
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TunelabError, match=r"test\.jsonl:2: 'facts' and 'wrong' must be lists"):
        propose_file(source, tmp_path / "with_facts.jsonl")


def test_the_rows_left_without_facts_are_named(tmp_path, wide_terminal):
    rows = [
        {"question": "Which port?", "answer": "Port 8080."},
        {"question": "中国的首都是哪里?", "answer": "北京是中国的首都。"},
        {"question": "Can it write poems?", "answer": "Lamini has the ability to write poems."},
    ]
    source = tmp_path / "test.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    found = [3, 2, [f"{source}:3"], [f"{source}:2"], 0, [], [], [], str(source)]
    assert list(propose_file(source, out)) == found
    marks = [json.loads(line).get("facts_from") for line in out.read_text().splitlines()]
    assert marks == ["reference", None, "reference words"]  # a rare word is a weaker guess
    result = CliRunner().invoke(
        app, ["data", "facts", str(source), "-o", str(tmp_path / "o.jsonl")]
    )
    assert "1 row has no facts" in result.output and f"{source}:2" in result.output
    assert "1 of them had no specific term" in result.output and f"{source}:3" in result.output


def test_a_file_of_custom_columns_is_read_through_the_fields_set(tmp_path):
    # `--set fields.question=Query` was taken and dropped: every row "of no known shape".
    source = tmp_path / "support.jsonl"
    source.write_text(json.dumps({"Query": "Which port?", "Response": "Port 8080."}) + "\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app,
        ["data", "facts", str(source), "-o", str(out),
         "--set", "fields.question=Query", "--set", "fields.answer=Response"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text())
    assert row["Query"] == "Which port?" and row["facts"] == [["8080"]]  # its columns kept


def test_a_missing_test_file_is_one_line_naming_the_file_beside_it(tmp_path):
    # It was a FileNotFoundError traceback, where data check and data split say one line.
    from tunelab.errors import TunelabError
    from tunelab.evaluate.facts.propose_file import propose_file

    (tmp_path / "test.jsonl").write_text('{"question": "q?", "answer": "It is 42."}\n')
    with pytest.raises(TunelabError, match=r"data file not found: .*tset.jsonl \(did you mean"):
        propose_file(tmp_path / "tset.jsonl", tmp_path / "out.jsonl")


def test_a_yes_no_row_given_only_a_wrong_verdict_is_not_called_scored_by_wording(tmp_path):
    rows = [
        {"question": "Does it run on Windows?", "answer": "No."},
        {"question": "Which port?", "answer": "Port 8080."},
    ]
    source = tmp_path / "test.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    found = propose_file(source, tmp_path / "out.jsonl")
    assert (found.proposed, found.left, found.verdicts) == (1, [], [f"{source}:1"])
    result = CliRunner().invoke(
        app, ["data", "facts", str(source), "-o", str(tmp_path / "o.jsonl")]
    )
    said = " ".join(result.output.split())
    assert "facts proposed for 1, and the opposite verdict as a wrong answer for 1 yes/no" in said
    assert "no facts" not in said


def test_a_canned_refusal_given_to_many_rows_is_marked_as_one_and_eval_scores_it_so(tmp_path):
    # lamini_docs answers 39 off-topic questions "Let's keep the discussion relevant to Lamini."
    # without a "kind": its rare words ("discussion", "relevant") were proposed as facts, and a
    # model that refused in other words was scored wrong.
    from tunelab.evaluate.refusals import Refusals

    keep = "Let’s keep the discussion relevant to tunelab."
    rows = [{"question": q, "answer": keep} for q in ("Who won?", "Any jokes?", "Your age?")]
    rows += [{"question": f"Bye {i}", "answer": "Bye, see you soon!"} for i in range(3)]
    rows.append({"question": "What port?", "answer": "It listens on port 8080."})
    source = tmp_path / "test.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "with_facts.jsonl"
    result = CliRunner().invoke(app, ["data", "facts", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "3 rows whose reference declines the question" in said
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r.get("kind") for r in written] == ["off_topic"] * 3 + [None] * 4
    assert "facts" not in written[0] and written[6]["facts"] == [["8080"]]
    # Eval reads them as the set's refusals: a model that says it is scored as refusing.
    refusals = Refusals.of_rows((f"r{i}", r, r["answer"]) for i, r in enumerate(written))
    assert refusals.fields("r1", "Let's keep the discussion relevant to tunelab!") == {
        "refusal": {"off_topic": True, "refused": True}
    }


def test_a_refusal_the_split_held_out_once_is_still_the_set_s_refusal(tmp_path):
    # A set teaches one refusal to six off-topic rows; its split held out one of them. Counted in
    # test.jsonl alone it was said once, so its rare words ("answer", "questions") were proposed
    # as facts and the off-topic row was scored as an ordinary question.
    refusal = "Sorry, I can only answer questions about Acme products."
    train = [{"question": f"Off-topic question {i}?", "answer": refusal} for i in range(5)]
    train.append({"question": "What port does it use?", "answer": "It uses port 8443."})
    test = [
        {"question": "Can you write me a poem?", "answer": refusal},
        {"question": "Which port is it on?", "answer": "It listens on port 8443."},
    ]
    for name, rows in (("train.jsonl", train), ("test.jsonl", test)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "test_facts.jsonl"
    result = CliRunner().invoke(
        app, ["data", "facts", str(tmp_path / "test.jsonl"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written[0] == {**test[0], "kind": "off_topic"}
    assert written[1]["facts"] == [["8443"]]
    said = " ".join(result.output.split())
    assert "1 row whose reference declines the question" in said
    assert '1 row marked "kind": "off_topic" gets no facts' in said
    # A saved DatasetDict's test split is read with its train split beside it, alike.
    import datasets

    saved = tmp_path / "faq"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(train), test=datasets.Dataset.from_list(test)
    ).save_to_disk(str(saved))
    result = CliRunner().invoke(app, ["data", "facts", str(saved), "-o", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written[0] == {**test[0], "kind": "off_topic"}


def test_a_reply_asking_to_keep_to_the_subject_is_a_refusal_however_few_rows_give_it():
    # A 120-row sample of lamini_docs holds "Let's keep the discussion relevant to Lamini." twice,
    # under the 3 rows that make a reply canned: "discussion" and "relevant" were its facts.
    from tunelab.evaluate.facts.propose_file import propose_rows

    keep = "Let’s keep the discussion relevant to Lamini."
    rows = [{"question": "Why do we dream?", "answer": keep},
            {"question": "Who won the match?", "answer": "Please stay on topic."},
            # Another short decline said once is an answer: what the product cannot do.
            {"question": "Can it help with billing?", "answer": "It cannot help with billing."},
            {"question": "What port?", "answer": "It listens on port 8080."}]  # fmt: skip
    written, _ = propose_rows(rows)
    assert [r.get("kind") for r in written] == ["off_topic", "off_topic", None, None]
    assert "facts" not in written[0] and written[3]["facts"] == [["8080"]]


def test_a_saved_dataset_dict_or_a_split_folder_gives_the_facts_of_its_test_split(tmp_path):
    # Given the whole DatasetDict, its train split's facts were written, and the next line's
    # eval scored the rows the run trained on; eval --data of it asks its test split.
    import datasets

    from tunelab.data.write_split import split_file

    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(6)]
    faq = tmp_path / "faq"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(rows[:4]), test=datasets.Dataset.from_list(rows[4:])
    ).save_to_disk(str(faq))
    out = tmp_path / "faq_facts.jsonl"
    result = CliRunner().invoke(app, ["data", "facts", str(faq), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["question"], r["facts"]) for r in written] == [
        ("What is code 4?", [["28"]]),
        ("What is code 5?", [["35"]]),
    ]
    said = " ".join(result.output.split())
    assert f"{faq}: its split 'test', the rows held out of training" in said
    assert f"tunelab data facts {faq / 'train'} reads its 'train'" in said
    # The next line trains on its train split, asked these facts (it named no training).
    assert f"next: tunelab train --set data.path={faq / 'train'} --set data.test_path={out}" in said
    # The Python API says which file it read, as the note above does.
    import tunelab

    assert tunelab.data.facts(faq, out, overwrite=True).read == str(faq / "test")
    # A split's folder gives its test.jsonl, and the next line trains on the train.jsonl beside.
    source = tmp_path / "qa.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    split = tmp_path / "qa_split"
    _, test, _ = split_file(source, split, 2, near=None)
    out = tmp_path / "split_facts.jsonl"
    result = CliRunner().invoke(app, ["data", "facts", str(split), "-o", str(out)])
    assert result.exit_code == 0, result.output
    test_questions = [json.loads(line)["question"] for line in test.read_text().splitlines()]
    assert [json.loads(line)["question"] for line in out.read_text().splitlines()] == (
        test_questions
    )
    said = " ".join(result.output.split())
    assert f"--set data.path={split / 'train.jsonl'}" in said


def test_the_other_split_of_a_folder_with_a_space_is_named_as_a_shell_takes_it(tmp_path):
    # "tunelab data facts /x/my faq/train reads its 'train'" pasted two words; the next: line
    # under it came quoted.
    import datasets

    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(4)]
    faq = tmp_path / "my faq"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(rows[:3]), test=datasets.Dataset.from_list(rows[3:])
    ).save_to_disk(str(faq))
    out = tmp_path / "facts.jsonl"
    result = CliRunner(env={"COLUMNS": "300"}).invoke(
        app, ["data", "facts", str(faq), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"tunelab data facts '{faq / 'train'}' reads its 'train'" in result.output
