"""`tunelab data check / split`: what a user sees about a data set before training on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.load import load_examples
from tunelab.data.quality.check import check_file, write_clean
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.pii import find_pii, scrub
from tunelab.data.quality.report import to_html, to_markdown
from tunelab.data.split import split_examples
from tunelab.errors import TunelabError

TINY = QualityConfig(model="tiny-random")
FACTS = [
    ("What does the packing option do?", "It joins short examples into one row of max_length."),
    (
        "How do I resume a stopped run?",
        "Run tunelab train again with --resume; it reads checkpoints.",
    ),
    ("Which file holds the run settings?", "config.yaml in the run folder records every setting."),
    (
        "Why is my loss NaN at step one?",
        "The learning rate is too high for full finetuning; lower it.",
    ),
    ("Where are adapters saved?", "Under runs/<name>/model as safetensors next to the tokenizer."),
    ("Can I train on CSV files?", "Yes: a header row with question and answer columns is enough."),
]


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def qa_rows(pairs) -> list[dict]:
    return [{"question": q, "answer": a} for q, a in pairs]


def test_duplicates_near_duplicates_and_conflicting_answers_are_listed(tmp_path):
    rows = qa_rows(FACTS) + qa_rows(
        [
            FACTS[0],  # exact repeat of line 1
            ("How do I resume a stopped run?", "Delete the folder and start over."),  # conflict
            (
                "What does the packing option do ?",
                "It joins short examples into one row of max_length!",
            ),
        ]
    )
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(report.where(p.second), report.where(p.first)) for p in report.exact_dups] == [
        ("d.jsonl:7", "d.jsonl:1")
    ]
    assert [(p.first, p.second) for p in report.conflicts] == [(1, 7)]
    assert [(p.first, p.second) for p in report.near_dups] == [(0, 8)]
    assert report.near_dups[0].similarity >= 0.8
    assert set(report.removals()) == {6, 8}


def test_test_questions_found_in_train_are_contamination(tmp_path):
    train = write_rows(tmp_path / "train.jsonl", qa_rows(FACTS))
    test = write_rows(
        tmp_path / "test.jsonl",
        qa_rows([("how do I resume a stopped run", "x"), ("What is the default seed?", "42.")]),
    )
    report = check_file(train, test, TINY)
    assert [(p.first, p.second) for p in report.contamination] == [(1, 0)]
    assert "1 of 2 test rows leak into train" in to_markdown(report)
    assert report.removals()[1].startswith("leaks test row test.jsonl:1")


def test_a_shared_alpaca_instruction_is_the_task_not_a_homogeneous_question(tmp_path):
    # Alpaca's usual layout for Q&A: one instruction for all rows, each question in `input`.
    rows = [
        {"instruction": "Answer the customer question.", "input": q, "output": a} for q, a in FACTS
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert not any(w.startswith("homogeneous:") for w in report.warnings), report.warnings
    assert report.openings[0][0] == "what does"  # the inputs' openings, not the instruction's
    # Instructions that differ are questions themselves, and are measured as such.
    templated = [{"instruction": f"Answer this: {q}", "input": "", "output": a} for q, a in FACTS]
    report = check_file(write_rows(tmp_path / "t.jsonl", templated), config=TINY)
    assert any(w.startswith("homogeneous:") for w in report.warnings)


def test_lengths_are_counted_in_model_tokens_and_truncation_is_counted(tmp_path):
    rows = qa_rows(FACTS[:3]) + [{"question": "Long?", "answer": "word " * 200}]
    config = TINY.model_copy(update={"max_length": 300})
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=config)
    # The tiny tokenizer is byte-level: 1000 bytes of answer alone exceed 300 tokens.
    assert report.truncated == [3]
    assert min(report.lengths) > len(FACTS[0][0])
    # Which rows, not a count alone: a user could not find them.
    assert any("longer than max_length=300 tokens: d.jsonl:4" in w for w in report.warnings)


def test_a_handful_of_rows_is_no_homogeneous_set(tmp_path):
    # 1 of 3 questions opening "what is" read "homogeneous: 33%", and --strict failed the file.
    rows = qa_rows([("What is tunelab?", "A toolkit."), ("How do I train?", "tunelab train."),
                    ("Where do runs go?", "runs/.")])  # fmt: skip
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert not any(w.startswith(("homogeneous:", "templated:")) for w in report.warnings)
    result = CliRunner().invoke(app, ["data", "inspect", str(tmp_path / "d.jsonl"), "--rows", "0"])
    assert result.exit_code == 2 and "--rows" in result.output  # it showed an empty table


def test_templated_questions_are_flagged_as_homogeneous(tmp_path):
    countries = ["France", "Spain", "Italy", "Peru", "Chile", "Japan"]
    countries += ["Kenya", "Egypt", "Nepal", "Cuba", "Fiji", "Oman"]
    rows = qa_rows(
        (f"What is the capital of {c}?", f"The capital of {c} is a city.") for c in countries
    )
    report = check_file(write_rows(tmp_path / "d.jsonl", rows + qa_rows(FACTS)), config=TINY)
    skeleton, count, _, _ = report.clusters[0]
    assert (skeleton, count) == ("what is the capital of _", 12)
    assert report.openings[0][:2] == ("what is", 12)
    assert any(w.startswith("templated:") for w in report.warnings)
    assert any(w.startswith("homogeneous:") for w in report.warnings)


def test_empty_restated_junk_and_foreign_rows_are_found(tmp_path):
    rows = qa_rows(FACTS) + [
        {"question": "### Question:\n \n\n### Answer:", "answer": "Did you type something?"},
        {"question": "How do I install tunelab?", "answer": "To install tunelab, install tunelab."},
        {"question": "What is in the log?", "answer": "caf\ufffd au lait \ufffd\ufffd"},
        {"question": "Blob?", "answer": "QUJD" * 40},
        {
            "question": "¿Cómo puedo entrenar el modelo?",
            "answer": "Con los datos de la tarea y una GPU.",
        },
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.empty == [(6, "empty question (only template markers)")]
    assert report.repeats == [7]
    assert [i for i, _ in report.junk] == [8, 9]
    assert "U+FFFD" in report.junk[0][1] and "160-character run" in report.junk[1][1]
    assert report.off_language == [10] and report.languages["es"] == 1


def test_english_rows_with_many_articles_read_english_and_portuguese_still_stands_out(tmp_path):
    # English "a" and "as" are Portuguese stopwords too: these two English rows read "pt".
    rows = qa_rows(FACTS) + [
        {
            "question": "Can it write a story, such as a hero's journey or a mystery plot?",
            "answer": "Yes.",
        },
        {"question": "ask me a question", "answer": "Sure, here is a question."},
        {
            "question": "Como posso treinar o modelo?",
            "answer": "Com os dados de treino e uma GPU, como a documentação diz.",
        },
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.off_language == [8] and report.languages["pt"] == 1


def test_loader_rejects_are_reported_with_their_line_instead_of_stopping(tmp_path):
    rows = qa_rows(FACTS[:2]) + [{"question": "No answer here?", "answer": "  "}]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert len(report.data.examples) == 2
    assert report.data.rejected == [f"{tmp_path / 'd.jsonl'}:3: field 'answer' is empty"]


def test_a_malformed_json_line_is_reported_not_a_crash(tmp_path):
    path = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS[:2]))
    path.write_text(path.read_text() + '{"question": "cut off", "ans\n')
    report = check_file(path, config=TINY)
    assert len(report.data.examples) == 2
    assert report.data.rejected[0].startswith(f"{path}:3: not valid JSON")


def test_long_raw_text_is_not_counted_as_truncated(tmp_path):
    # Training splits raw text into windows, so nothing of it is lost to max_length.
    rows = [{"text": "a page of the manual. " * 100}, {"text": "a short note"}]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert max(report.lengths) > TINY.max_length
    assert report.truncated == []


def test_personal_data_is_found_and_common_numbers_are_not():
    text = (
        "Mail jane.doe@example.com or call +1 415-555-0132. Key sk-abcdefghijklmnopqrstuvwx123456, "
        "card 4111 1111 1111 1111, host 10.0.0.12."
    )
    assert [f.kind for f in find_pii(text)] == [
        "email",
        "phone",
        "api_key",
        "credit_card",
        "ip_address",
    ]
    masked, _ = scrub(text)
    assert masked == ("Mail [EMAIL] or call [PHONE]. Key [API_KEY], card [CARD], host [IP].")
    assert find_pii("tunelab 0.1.2 released 2024-01-31 with 100 000 rows, seed 42") == []
    # Four-part versions are no addresses (--scrub masked "Version 1.2.3.4" as [IP]).
    versions = "Version 1.2.3.4, v10.0.0.1, release 2.1.0.3, build 1.2.3.4.5"
    assert find_pii(versions) == []
    assert scrub("Connect to 10.1.2.3:8080 (version 1.2.3.4).")[0] == (
        "Connect to [IP]:8080 (version 1.2.3.4)."
    )


def test_fix_and_scrub_write_a_clean_file_in_the_original_shape(tmp_path):
    rows = [{"instruction": q, "input": "", "output": a} for q, a in FACTS]
    rows += [
        rows[0],
        {"instruction": "Who to email?", "input": "", "output": "Write to ops@corp.io."},
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    drops = write_clean(report, tmp_path / "clean.jsonl", fix=True, scrub=True)
    assert drops == {6: "exact duplicate of d.jsonl:1"}
    written = [json.loads(line) for line in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert len(written) == 7 and set(written[0]) == {"instruction", "input", "output"}
    assert written[-1]["output"] == "Write to [EMAIL]."
    recheck = check_file(tmp_path / "clean.jsonl", config=TINY)
    assert not recheck.removals() and not recheck.pii


def test_generated_rows_are_reported_apart_from_real_ones(tmp_path):
    generated = [
        {
            "question": f"What is section {i}?",
            "answer": f"Section {i} explains part {i} of setup.",
            "meta": {"mode": "template", "source": "docs/a.md", "chunk_hash": str(i)},
        }
        for i in range(4)
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", qa_rows(FACTS) + generated), config=TINY)
    assert report.origins["real"]["rows"] == 6
    assert report.origins["generated:template"]["rows"] == 4
    assert report.origins["generated:template"]["top opening share"] == 1.0
    html = to_html(report)
    assert "<table>" in html and "generated:template" in html


@pytest.fixture
def runner():
    return CliRunner()


def test_cli_check_fix_report_and_split(tmp_path, runner):
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS + [FACTS[2]]))
    result = runner.invoke(
        app,
        [
            "data",
            "check",
            str(data),
            "--model",
            "tiny-random",
            "--fix",
            "-o",
            str(tmp_path / "clean.jsonl"),
            "--report",
            str(tmp_path / "r.md"),
            "--set",
            "near_dup_threshold=0.9",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "removed 1 rows" in result.output
        and "d.jsonl:7: exact duplicate of d.jsonl:3" in result.output
    )
    assert "Jaccard >= 0.9" in (tmp_path / "r.md").read_text()
    assert len((tmp_path / "clean.jsonl").read_text().splitlines()) == 6

    result = runner.invoke(
        app,
        [
            "data",
            "split",
            str(data),
            "--test-size",
            "2",
            "--seed",
            "7",
            "-o",
            str(tmp_path / "split"),
        ],
    )
    assert result.exit_code == 0, result.output
    train, test = split_examples(load_examples(data), test_size=2, seed=7)
    written = load_examples(tmp_path / "split" / "test.jsonl")
    assert [e.question for e in written] == [e.question for e in test]
    assert len(load_examples(tmp_path / "split" / "train.jsonl")) == len(train) == 4


def test_a_test_size_count_the_data_cannot_meet_is_refused(tmp_path, runner):
    # --test-size 300 on fewer questions trained on one question and held out the rest.
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS))
    questions = len({e.question for e in load_examples(data)})
    args = ["data", "split", str(data), "-o", str(tmp_path / "split")]
    result = runner.invoke(app, [*args, "--test-size", str(questions)])
    assert result.exit_code != 0
    assert f"data.test_size {questions} holds out {questions} questions" in str(result.exception)
    assert not (tmp_path / "split").exists()
    result = runner.invoke(app, [*args, "--test-size", str(questions - 1)])
    assert result.exit_code == 0, result.output


def test_a_report_or_output_path_that_cannot_be_written_fails_before_the_check(
    tmp_path, runner, monkeypatch
):
    # --report into a folder not there ended in a FileNotFoundError traceback, into a folder in
    # an IsADirectoryError, -o onto a folder with --overwrite in "Is a directory": each after
    # the whole check.
    from tunelab.data.quality import check

    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS))
    check_tiny = ["data", "check", str(data), "--model", "tiny-random"]
    result = runner.invoke(app, [*check_tiny, "--report", str(tmp_path / "new dir" / "r.md")])
    assert result.exit_code == 0, result.output
    assert "Jaccard" in (tmp_path / "new dir" / "r.md").read_text()

    def checked(*args, **kwargs):
        raise AssertionError("the data was checked")

    monkeypatch.setattr(check, "check_file", checked)
    (tmp_path / "out").mkdir()
    for extra in (
        ["--report", str(tmp_path)],
        ["--fix", "-o", str(tmp_path / "out"), "--overwrite"],
    ):
        result = runner.invoke(app, ["data", "check", str(data), *extra])
        assert isinstance(result.exception, TunelabError), result.output
        assert "is a folder" in str(result.exception)


def test_cli_fix_without_output_is_a_clear_error(tmp_path, runner):
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS))
    result = runner.invoke(app, ["data", "check", str(data), "--fix"])
    assert "add -o clean.jsonl" in str(result.exception)


def test_cli_check_of_a_file_where_no_row_loads_fails(tmp_path, runner):
    rows = [{"question": "No answer here?", "answer": ""}, {"prompt": "wrong", "answer": "shape"}]
    data = write_rows(tmp_path / "d.jsonl", rows)
    result = runner.invoke(app, ["data", "check", str(data), "--model", "tiny-random"])
    assert result.exit_code != 0
    assert "none of its 2 rows loads" in str(result.exception)


def test_strict_check_fails_on_a_warning_for_ci(tmp_path, runner):
    # It exited 0 whatever it found: no gate for a pipeline.
    clean = write_rows(tmp_path / "c.jsonl", qa_rows(FACTS))
    dup = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS) + qa_rows(FACTS[:1]))
    args = ["data", "check", "--model", "tiny-random", "--strict"]
    assert runner.invoke(app, [*args, str(clean)]).exit_code == 0
    failed = runner.invoke(app, [*args, str(dup)])
    assert failed.exit_code == 1 and "--strict: " in failed.output
    assert runner.invoke(app, [*args[:-1], str(dup)]).exit_code == 0  # a report, by default


def test_whitespace_at_an_answers_edge_does_not_hide_an_exact_duplicate(tmp_path):
    rows = qa_rows(FACTS[:2]) + [{"question": FACTS[0][0].lower(), "answer": f"  {FACTS[0][1]}\n"}]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(p.first, p.second) for p in report.exact_dups] == [(0, 2)]
    assert report.conflicts == []  # the same answer is no conflict


def test_a_test_question_in_train_twice_leaks_from_both_rows(tmp_path):
    # --fix must drop every train row the test question is in, or the leak stays.
    train_rows = qa_rows(FACTS) + qa_rows([(FACTS[1][0], "Start again with --resume.")])
    train = write_rows(tmp_path / "train.jsonl", train_rows)
    test = write_rows(tmp_path / "test.jsonl", qa_rows([(FACTS[1][0], "x"), ("???", "y")]))
    report = check_file(train, test, TINY)
    assert [(p.first, p.second) for p in report.contamination] == [(1, 0), (6, 0)]
    assert set(report.removals()) == {1, 6}
    assert "1 of 2 test rows leak into train" in to_markdown(report)
    assert "1 test question(s) also in train (contamination)" in report.warnings


def test_a_question_without_words_repeated_in_test_is_a_leak(tmp_path):
    train = write_rows(tmp_path / "train.jsonl", qa_rows(FACTS[:2] + [("???", "a")]))
    test = write_rows(tmp_path / "test.jsonl", qa_rows([("???", "b")]))
    assert [(p.first, p.second) for p in check_file(train, test, TINY).contamination] == [(2, 0)]


def test_length_percentiles_of_a_few_rows_stay_within_the_longest(tmp_path):
    rows = qa_rows([("Q?", "A."), ("Q2?", "A " * 50), ("Q3?", "A " * 400)])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    table = to_markdown(report).split("## Length in tokens")[1].splitlines()
    row = [c.strip() for c in table[4].split("|")[1:-1]]
    lo, median, p90, p99, hi = (float(c) for c in row[:5])
    assert lo <= median <= p90 <= p99 <= hi == max(report.lengths)


def test_one_word_questions_are_not_low_diversity(tmp_path):
    rows = qa_rows([("Packing?", "It joins short rows."), ("Resume?", "Run train again.")])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.distinct["questions distinct-2"] == 1.0
    assert not any(w.startswith("low diversity") for w in report.warnings)


def test_opening_share_is_of_all_questions(tmp_path):
    rows = qa_rows([("What is packing?", "a"), ("What is resume?", "b"), ("?", "c"), ("!", "d")])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.openings[0] == ("what is", 2, 0.5)


def test_an_answer_that_adds_a_fact_to_the_question_s_words_is_no_restatement():
    from tunelab.data.quality.junk import repeats_question

    assert not repeats_question("What is the capital of France?", "The capital of France is Paris.")
    assert not repeats_question("हिंदी किस लिपि में लिखी जाती है?", "हिंदी देवनागरी लिपि में लिखी जाती है।")
    assert repeats_question("What is the default rank?", "The default rank.")


def test_inspect_and_check_refuse_a_max_length_past_the_model_s_context(tmp_path, runner):
    # Training refuses it (rows past the position table fail inside the model): a check that
    # measured rows against it would pass a set that training then stops on.
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS))
    for command in ("inspect", "check"):
        args = ["data", command, str(data), "--model", "tiny-random", "--max-length", "4096"]
        result = runner.invoke(app, args)
        assert "max_length=4096 is longer than tiny-random's context of 2048" in str(
            result.exception
        ), result.output
        args[-1] = "2048"
        assert runner.invoke(app, args).exit_code == 0


@pytest.mark.parametrize(
    "setting",
    ["near_dup_threshold=5", "num_perm=0", "pii_kinds=[bogus]", "max_length=0", "top_k=-1",
     "max_opening_share=7", "opening_words=0"],
)  # fmt: skip
def test_a_threshold_out_of_range_is_refused_by_name_before_the_check(tmp_path, runner, setting):
    # From a walk: near_dup_threshold=5 and num_perm=0 ended in a library's traceback, the others
    # were taken without a word.
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS))
    result = runner.invoke(app, ["data", "check", str(data), "--set", setting])
    assert isinstance(result.exception, TunelabError), result.output
    assert setting.split("=")[0] in str(result.exception)
