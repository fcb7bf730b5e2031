"""`tunelab data check / split` as commands: --fix, --report, -o and --strict, a bad setting or path
refused before the check, unreadable rows reported by line, and a test size the data cannot meet."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.conftest import shut_to_this_user
from tests.test_data_quality import FACTS, TINY, qa_rows, write_rows
from tunelab.cli import app
from tunelab.data.load import load_examples
from tunelab.data.quality.check import check_file
from tunelab.data.split import split_examples
from tunelab.errors import TunelabError


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


@pytest.fixture
def runner():
    return CliRunner()


def test_fix_with_nothing_to_remove_says_so_and_where_the_rejected_rows_are(tmp_path, runner):
    # It printed "removed 0 rows, plus 1 the loader rejects:" with nothing after the colon.
    rows = qa_rows(FACTS[:2]) + [{"question": "No answer here?", "answer": "  "}]
    data = write_rows(tmp_path / "d.jsonl", rows)
    args = ["data", "check", str(data), "--model", "tiny-random", "--fix", "-o"]
    result = runner.invoke(app, [*args, str(tmp_path / "clean.jsonl")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "removed 0 rows, and left out 1 the loader rejects (listed above) " in said + " "
    assert "field 'answer' is empty" in said  # in the rejects' table above


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
        "removed 1 row:" in result.output
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
    said = " ".join(str(result.exception).split())
    assert f"a test size of {questions} holds out {questions} questions" in said
    assert "a fraction (0.1: a tenth), to --test-size" in said  # the flag typed, not data.test_size
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


def test_a_check_refused_after_its_report_was_found_writable_leaves_no_folder(tmp_path, runner):
    # Finding --report writable made its folder, and a check refused after it left it empty.
    missing = ["data", "check", str(tmp_path / "gone.jsonl"), "--model", "tiny-random"]
    result = runner.invoke(app, [*missing, "--report", str(tmp_path / "reports" / "r.md")])
    assert isinstance(result.exception, TunelabError), result.output
    assert "gone.jsonl" in str(result.exception) and list(tmp_path.iterdir()) == []


def test_cli_fix_without_output_is_a_clear_error(tmp_path, runner):
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS))
    result = runner.invoke(app, ["data", "check", str(data), "--fix"])
    assert "add -o d_clean.jsonl" in str(result.exception)


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


@pytest.mark.parametrize("command", ["check", "inspect"])
def test_a_mistyped_model_path_is_refused_at_once_without_asking_the_hub(
    tmp_path, runner, monkeypatch, command
):
    # `data check qa.jsonl --model runs/mime` asked the hub for runs/mime's config.json first,
    # retrying offline for 28 s before it said the folder is not there.
    import transformers

    def asked(*args, **kwargs):
        raise AssertionError(f"a config was read for {args[0]}")

    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", asked)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "config.yaml").write_text("name: mine\n")
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS[:2]))
    result = runner.invoke(app, ["data", command, str(data), "--model", "runs/mime"])
    assert isinstance(result.exception, TunelabError), result.exception
    assert "'runs/mime': no such file or folder (in runs/: mine)" in str(result.exception)


def test_split_help_maps_columns_as_train_and_the_hints_spell_it(runner):
    # It said "--set fields.x=y", where train, the README and every hint say data.fields.
    result = runner.invoke(app, ["data", "split", "--help"], env={"COLUMNS": "200"})
    assert "--set data.fields.question=Query, as on train" in " ".join(result.output.split())


def test_the_summary_says_the_shape_the_rows_were_read_as(tmp_path):
    # As `data inspect` says it: an Alpaca file and a Q&A file looked alike.
    from tunelab.data.quality.report import to_markdown

    rows = [{"instruction": f"Name fact {i}.", "input": "", "output": f"Fact {i}."} for i in "ab"]
    report = check_file(write_rows(tmp_path / "a.jsonl", rows), config=TINY)
    said = "| rows | 2 loaded, 0 rejected; shape alpaca (instruction + input → output) |"
    assert said in to_markdown(report)


def test_a_set_whose_only_fault_is_a_typed_line_break_is_told_to_fix_and_mended_once(
    tmp_path, runner
):
    # --fix mends such rows: it is the next step named, and says which rows it mended.
    typed = {"question": "What does Lamini value?", "answer": "Two things:\\n1. Speed.\\n2. Care."}
    spoken_of = {"question": "How do I break a line?", "answer": "Type \\n where it breaks."}
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS[:2]) + [typed, spoken_of])
    result = runner.invoke(app, ["data", "check", str(data), "--model", "tiny-random"])
    said = " ".join(result.output.split())
    assert f"next: tunelab data check {data} --fix -o" in said, said
    fix = ["--fix", "-o", str(tmp_path / "clean.jsonl")]
    result = runner.invoke(app, ["data", "check", str(data), "--model", "tiny-random", *fix])
    said = " ".join(result.output.split())
    assert "removed 0 rows mended escapes typed as text in 1 row: d.jsonl:3" in said, said
    # The row it leaves as written is listed once, under Content problems (the warning and
    # --fix's summary named it too: three times in one run), and counted where --fix says what
    # it did.
    assert said.count("d.jsonl:4") == 1, said
    assert "left the escapes of 1 row(s) as written (listed above)" in said, said


def test_a_data_file_in_a_folder_this_user_may_not_enter_is_refused_naming_that_folder(
    tmp_path, monkeypatch
):
    # `data check` and `eval --data` of it stopped with a PermissionError's traceback.
    monkeypatch.chdir(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    write_rows(locked / "qa.jsonl", qa_rows(FACTS[:2]))
    with shut_to_this_user(locked):
        for command in (["data", "check"], ["eval", "tiny-random", "--data"]):
            said = CliRunner().invoke(app, [*command, "locked/qa.jsonl"])
            assert isinstance(said.exception, TunelabError), said.output
            assert str(said.exception).startswith(
                "locked/qa.jsonl: cannot look for it: permission denied on the folder locked/"
            )


def test_a_table_cut_at_max_listed_says_the_setting_that_lists_the_rest(tmp_path, runner):
    # It ended "(2 more not listed.)", and the reader was left to find the setting.
    rows = [
        {"question": f"How do I reach support desk {i}?", "answer": f"Mail desk{i}@example.com."}
        for i in range(12)
    ]
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS) + rows)
    check = ["data", "check", str(data), "--model", "tiny-random"]
    said = " ".join(runner.invoke(app, check).output.split())
    assert "(2 more not listed: `--set max_listed=12` lists them all.)" in said
    every = " ".join(runner.invoke(app, [*check, "--set", "max_listed=12"]).output.split())
    assert "d.jsonl:18" in every  # the last of the 12
    assert "more not listed" not in every
