"""`tunelab data split` of generated Q&A, where a fact held out with its only pair can only be
guessed: the split says so, as training does, or holds out only new phrasings of trained facts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tunelab.cli import app


def generated_like(path: Path) -> Path:
    """Three facts asked three ways each (as `tunelab data augment` leaves them), and eight asked
    once (as `tunelab data generate` does)."""
    rows = []
    for name, answer in [
        ("port", "Ferrylog listens on port 7410."),
        ("retention", "Logs are kept for 14 days."),
        ("owner", "The agent runs as the ferry user."),
    ]:
        for question in (f"What is the {name}?", f"Tell me the {name}.", f"Which {name} is it?"):
            rows.append({"question": question, "answer": answer})
    for i in range(8):
        rows.append(
            {"question": f"What is setting number {i}?", "answer": f"Setting {i} is {i * 37 + 11}."}
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_split_holding_out_a_fact_s_only_pair_says_so_as_training_does(tmp_path):
    data = generated_like(tmp_path / "gen.jsonl")
    out = tmp_path / "out"
    split = CliRunner().invoke(
        app, ["data", "split", str(data), "-o", str(out), "--test-size", "4"]
    )
    assert split.exit_code == 0, split.output
    said = " ".join(split.output.split())
    assert "test examples ask for a fact no training answer states" in said
    assert f"{out / 'test.jsonl'}:1" in said  # the row to look at, in the file just written
    assert "tunelab data augment" in said


def split_rows(data: Path, out: Path, *options: str) -> tuple[list[dict], list[dict], str]:
    split = CliRunner().invoke(app, ["data", "split", str(data), "-o", str(out), *options])
    assert split.exit_code == 0, split.output
    train, test = (
        [json.loads(line) for line in (out / name).read_text(encoding="utf-8").splitlines()]
        for name in ("train.jsonl", "test.jsonl")
    )
    return train, test, " ".join(split.output.split())


def test_held_out_rephrasings_hold_out_only_new_phrasings_of_trained_facts(tmp_path):
    data = generated_like(tmp_path / "gen.jsonl")
    train, test, said = split_rows(
        data, tmp_path / "out", "--test-size", "4", "--held-out", "rephrasings"
    )
    assert len(test) == 4
    taught = {row["answer"] for row in train}
    assert all(row["answer"] in taught for row in test)  # each fact still stated in training
    assert {row["question"] for row in test}.isdisjoint(row["question"] for row in train)
    assert "no training answer states" not in said


def test_held_out_rephrasings_is_the_same_split_for_the_same_seed(tmp_path):
    data = generated_like(tmp_path / "gen.jsonl")
    drawn = [
        split_rows(data, tmp_path / f"out{i}", "--held-out", "rephrasings", "--test-size", "3",
                   "--seed", str(seed))[1]
        for i, seed in enumerate((7, 7, 8, 9))
    ]  # fmt: skip
    assert drawn[0] == drawn[1]
    assert any(test != drawn[0] for test in drawn[2:])  # the seed draws them


def test_too_few_facts_asked_twice_to_fill_the_test_size_is_said_with_how_many_could(tmp_path):
    # Three facts asked three ways: six rephrasings can be held out, each leaving one behind.
    data = generated_like(tmp_path / "gen.jsonl")
    options = ["--test-size", "7", "--held-out", "rephrasings"]
    split = CliRunner().invoke(app, ["data", "split", str(data), "-o", str(tmp_path), *options])
    said = " ".join(str(split.exception).split())
    assert "only 6 can be" in said
    assert "give 6 or less to --test-size" in said  # the flag the user typed, not a config key
    assert "tunelab data augment" in said
    assert not (tmp_path / "test.jsonl").exists()


def test_training_holds_out_the_rows_data_split_writes(tmp_path, tiny):
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare

    data = generated_like(tmp_path / "gen.jsonl")
    _, written, _ = split_rows(
        data, tmp_path / "out", "--test-size", "4", "--held-out", "rephrasings", "--seed", "3"
    )
    config = DataConfig(path=str(data), template="qa", test_size=4, held_out="rephrasings", seed=3)
    trained = prepare(config, tiny[1])
    assert [ex.question for ex in trained.test_examples] == [r["question"] for r in written]


def test_held_out_rephrasings_never_leave_a_fact_untaught_by_moving_a_typo_to_the_test_side():
    from tunelab.data.example import Example
    from tunelab.data.split import split_examples

    def near(train: list[str], test: list[str], answers: list[str] | None = None) -> set[int]:
        # Typos as the data quality tools forgive them, here one dropped 's'.
        held = {key.replace("s", "") for key in test}
        return {i for i, key in enumerate(train) if key.replace("s", "") in held}

    # The password fact is asked twice, one a typo of the other: holding either out would move
    # its twin to the test side too, and leave the fact untaught.
    rows = [
        Example.qa("How do I reset my password?", "Run ferry reset."),
        Example.qa("How do I reset my pasword?", "Run ferry reset."),
    ]
    rows += [
        Example.qa(q, "Ferrylog listens on port 7410.")
        for q in ("What is the port?", "Tell me the port.", "Which port is it?")
    ]
    rows += [Example.qa(f"What is step {i}?", f"Step {i} is {i + 11}.") for i in range(4)]
    for seed in range(12):
        train, test = split_examples(
            rows, test_size=1, seed=seed, near=near, held_out="rephrasings"
        )
        taught = {row.answer for row in train}
        assert test and all(row.answer in taught for row in test), (seed, test)


def test_held_out_rephrasings_group_restated_answers_with_the_row_augment_rewrote(tmp_path):
    # `tunelab data augment --restate-answers` words each rewrite's answer anew and records the
    # row it rewrote: grouped by answer text, each was a fact of its own, none could be held out.
    rows = []
    for key, fact in [("a1", "port 7410"), ("b2", "14 days"), ("c3", "the ferry user")]:
        meta = {"source": f"gen.jsonl:{key}", "source_key": key, "generator": "scripted"}
        rows.append({"question": f"What is {fact}?", "answer": f"It is {fact}.",
                     "meta": {**meta, "kind": "original"}})  # fmt: skip
        for i, said in enumerate((f"That would be {fact}.", f"Answer: {fact}, as set.")):
            rows.append({"question": f"Which one is {fact}, way {i}?", "answer": said,
                         "meta": {**meta, "kind": "paraphrase"}})  # fmt: skip
    rows += [{"question": f"What is setting {i}?", "answer": f"Setting {i} is {i + 11}."}
             for i in range(4)]  # fmt: skip
    data = tmp_path / "aug.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    train, test, said = split_rows(
        data, tmp_path / "out", "--test-size", "4", "--held-out", "rephrasings"
    )
    assert len(test) == 4
    assert all("meta" in row for row in test)  # only rewritten facts: a lone one is never held
    taught = {row["meta"]["source_key"] for row in train if "meta" in row}
    assert all(row["meta"]["source_key"] in taught for row in test)


def test_a_split_with_test_size_0_writes_every_row_to_train(tmp_path, wide_terminal):
    data = generated_like(tmp_path / "gen.jsonl")
    train, test, said = split_rows(data, tmp_path / "out", "--test-size", "0")
    assert len(train) == 17 and test == []
    assert "test.jsonl: 0 rows" in said


def test_a_split_says_one_test_row_as_one(tmp_path, wide_terminal):
    # "test.jsonl: 1 rows" was said of --test-size 1.
    data = generated_like(tmp_path / "gen.jsonl")
    train, test, said = split_rows(data, tmp_path / "out", "--test-size", "1")
    assert len(test) == 1 and "test.jsonl: 1 row " in said
    assert "1 test row: each answer moves an accuracy by 100 points" in " ".join(said.split())
    assert f"train.jsonl: {len(train)} rows" in said


def test_a_note_on_the_input_is_said_once_not_again_of_each_file_written(tmp_path):
    # The split reads its own train.jsonl and test.jsonl back for the untaught-facts check: a
    # column left unread was said three times, of the input and of each file it wrote.
    data = tmp_path / "qa.jsonl"
    rows = [
        {"question": f"Q{i}?", "context": "From the manual.", "answer": f"A{i}."} for i in range(5)
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    split = CliRunner().invoke(app, ["data", "split", str(data), "-o", str(tmp_path / "out")])
    assert split.exit_code == 0, split.output
    said = " ".join(split.output.split())
    assert said.count("not read") == 1 and f"{data}: 'context' (5 row(s)) not read" in said


def test_held_out_rephrasings_ask_each_fact_once_before_any_twice(tmp_path):
    # lamini_docs: "Let's keep the discussion relevant to Lamini." answers dozens of questions,
    # and drawn as shuffled it was 10 of 31 test rows; canned replies were 20 of them.
    topics = ["the weather", "cats", "cooking", "football", "music", "gardening", "the moon"]
    rows = [
        {"question": f"Tell me about {topic}, please {i}.", "answer": "Let's keep to Ferrylog."}
        for topic in topics
        for i in range(4)
    ]
    for name, answer in [
        ("port", "Ferrylog listens on port 7410."),
        ("retention", "Logs are kept for 14 days."),
        ("owner", "The agent runs as the ferry user."),
        ("format", "Logs are written as JSON lines."),
    ]:
        rows += [{"question": f"What is the {name}?", "answer": answer},
                 {"question": f"Which {name} does Ferrylog use?", "answer": answer}]  # fmt: skip
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for seed in ("1", "2", "42"):
        train, test, _ = split_rows(
            data, tmp_path / seed, "--test-size", "5", "--held-out", "rephrasings", "--seed", seed
        )
        answers = [row["answer"] for row in test]
        assert len(answers) == 5 and len(set(answers)) == 5, (seed, answers)  # five facts
        assert all(answer in {row["answer"] for row in train} for answer in answers)


def test_a_split_of_a_small_set_says_its_few_test_rows_can_name_no_winner(tmp_path):
    # A newcomer's 40-row CSV held out 4 rows at the default test size: every later report
    # said "no clear winner", and nothing had said why at the split.
    lines = ["question,answer"] + [
        f"What is setting {i}?,Setting {i} is {i * 7}." for i in range(40)
    ]
    (tmp_path / "facts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["data", "split", str(tmp_path / "facts.csv"), "-o", str(tmp_path / "split")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "4 test rows: each answer moves an accuracy by 25 points" in said
    assert "--test-size 10 holds out more" in said
    result = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "ten"), "--test-size", "10"])
    assert result.exit_code == 0 and "test rows: each answer" not in result.output


def test_rephrasings_refused_for_answers_worded_two_ways_says_a_fact_is_one_answer(tmp_path):
    # A newcomer phrased each question twice and worded its two answers differently: "only 6
    # can be held out (2 of 34 facts ... asked by more than one question)" of 17 facts asked
    # twice, with no word of why.
    rows = []
    for i in range(12):
        rows += [{"question": f"What is the limit of plan {i}?", "answer": f"Plan {i} allows {i}0."},
                 {"question": f"How much does plan {i} allow?", "answer": f"It allows {i}0."}]  # fmt: skip
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["data", "split", str(data), "-o", str(tmp_path / "split"), "--held-out", "rephrasings"]
    result = CliRunner().invoke(app, [*args, "--test-size", "4"])
    said = " ".join(str(result.exception).split())
    assert "0 of 24 facts" in said
    assert "answers worded two ways are two facts here; give them one answer" in said


def test_rephrasings_refused_for_one_question_says_one_question(tmp_path):
    # Ten pairs, each fact asked once: the default tenth is one question ("holds out 1 questions").
    rows = [
        {"question": f"What is setting {i}?", "answer": f"Setting {i} is {i}1."} for i in range(10)
    ]
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["data", "split", str(data), "-o", str(tmp_path / "split"), "--held-out", "rephrasings"]
    said = " ".join(str(CliRunner().invoke(app, args).exception).split())
    assert "a test size of 0.1 holds out 1 question, but only 0 can be" in said
