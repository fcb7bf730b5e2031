"""The answer sets `tunelab rate` judges: files, eval and compare folders read as models, a
question asked twice kept twice, and a file that cannot be judged named by its line."""

import io
import json
import shlex

import pytest
from rich.console import Console
from typer.testing import CliRunner

import tunelab
from tests.test_human_app import _answer_sets
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.evaluate.human.answers import load_answers, shared_questions, unshared
from tunelab.evaluate.human.arena import Arena


def test_answer_files_must_name_two_models_and_be_read_whole(tmp_path):
    only = tmp_path / "a.jsonl"
    only.write_text(json.dumps({"question": "q", "answer": "a"}) + "\n")
    # It said what rating needs, not what to do with the one set given.
    with pytest.raises(TunelabError, match=r"at least two models, but got 1 \(a\): give another "
                       r"answer set, or grade each answer alone .*--grade"):  # fmt: skip
        load_answers([only])
    # A path mistyped read "no answers here", as though the file were there and empty.
    with pytest.raises(TunelabError, match="gone.jsonl: no such file or folder"):
        load_answers([only, tmp_path / "gone.jsonl"])
    broken = tmp_path / "c.jsonl"
    broken.write_text('{"question": "q", "answer": "a"}\nnot json\n')
    with pytest.raises(TunelabError, match="c.jsonl:2"):
        load_answers([only, broken])
    broken.write_text('{"question": "q", "answer": "a"}\n7\n')
    with pytest.raises(TunelabError, match="c.jsonl:2: expected a JSON object"):
        load_answers([only, broken])


def test_answer_sets_that_share_no_question_are_each_named_with_what_they_asked(tmp_path):
    # It said "the answer sets have no question in common": not which set asked what, nor how
    # to make sets that can be rated.
    ours, theirs = tmp_path / "ours.jsonl", tmp_path / "theirs.jsonl"
    ours.write_text(json.dumps({"question": "How do I resume?", "answer": "a"}) + "\n")
    rows = [{"source": "old_test.jsonl:1", "question": "Where is the config?", "answer": "b"},
            {"source": "old_test.jsonl:2", "question": "What is LoRA?", "answer": "c"}]  # fmt: skip
    theirs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TunelabError) as told:
        Arena(load_answers([ours, theirs]), tmp_path / "v.jsonl")
    assert "ours: 1 question(s), first 'How do I resume?'" in str(told.value)
    assert "theirs: 2 question(s), first 'Where is the config?' of old_test.jsonl" in str(
        told.value
    )
    assert "answer one test file with every model, e.g. `tunelab eval" in str(told.value)


def test_a_run_evaluated_beside_its_base_names_the_base_answers_to_rate_it_against(tmp_path):
    # `tunelab eval runs/tuned smollm2-135m-instruct` keeps the base's answers in a subfolder
    # of the run's eval/; `tunelab rate runs/tuned` alone found one model and said no more.
    run = tmp_path / "runs" / "tuned"
    for folder in (run / "eval", run / "eval" / "smollm2-135m-instruct"):
        folder.mkdir(parents=True)
        (folder / "predictions.jsonl").write_text(json.dumps({"question": "q", "answer": "a"}))
    base = run / "eval" / "smollm2-135m-instruct"
    with pytest.raises(TunelabError) as told:
        load_answers([run])
    assert (
        f"give another answer set, such as {base} (the answers `tunelab eval` compared it with)"
        in str(told.value)
    )
    assert sorted(load_answers([run, base])) == ["smollm2-135m-instruct", "tuned"]


def test_a_run_evaluated_and_compared_names_its_compare_arms_to_rate(tmp_path):
    # README's tour: `tunelab eval runs/mine`, `tunelab compare runs/mine`, then `tunelab rate`.
    # `rate runs/mine` reads the run's eval/, one model, and named none of compare's four arms.
    run = tmp_path / "runs" / "mine"
    (run / "eval").mkdir(parents=True)
    (run / "eval" / "predictions.jsonl").write_text(json.dumps({"question": "q", "answer": "a"}))
    (run / "compare").mkdir()
    arms = [{"name": "prompting"}, {"name": "finetuned"}]
    (run / "compare" / "compare.json").write_text(json.dumps({"arms": arms}))
    for arm, answer in (("prompting", "b"), ("finetuned", "a")):
        row = {"question": "q", "answer": answer}
        (run / "compare" / f"{arm}.jsonl").write_text(json.dumps(row))
    with pytest.raises(TunelabError) as told:
        load_answers([run])
    assert f"or give {run / 'compare'} alone (the answers of `tunelab compare`'s arms" in str(
        told.value
    )
    assert sorted(load_answers([run / "compare"])) == ["mine:finetuned", "mine:prompting"]


def test_one_model_of_an_eval_of_several_names_the_others_to_rate_it_against(tmp_path):
    # `tunelab eval A B --output ev` writes ev/A/ and ev/B/: `tunelab rate ev/A` (or the base's
    # folder of a run's eval alone) said "give another answer set" and named none.
    run = tmp_path / "runs" / "tuned"
    for folder in (
        tmp_path / "ev" / "a",
        tmp_path / "ev" / "b",
        run / "eval",
        run / "eval" / "base",
    ):
        folder.mkdir(parents=True)
        (folder / "predictions.jsonl").write_text(json.dumps({"question": "q", "answer": "a"}))
    for given, other in (
        (tmp_path / "ev" / "a", tmp_path / "ev" / "b"),
        (run / "eval" / "base", run / "eval"),
    ):
        with pytest.raises(TunelabError) as told:
            load_answers([given])
        assert f"such as {other} (the answers `tunelab eval` compared it with)" in str(told.value)


def test_one_answer_file_given_twice_is_named(tmp_path):
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"question": "q", "answer": "a"}) + "\n")
    with pytest.raises(TunelabError, match="a.jsonl is given twice"):
        load_answers([answers, tmp_path / ".." / tmp_path.name / "a.jsonl"])


def _run_started(folder, made):
    """A run folder as training starts it (its config, its metrics), with `made` inside it."""
    (folder / made).mkdir(parents=True)
    (folder / "config.yaml").write_text(f"name: {folder.name}\n")
    (folder / "metrics.jsonl").write_text("")
    return folder


def _trained_run(folder):
    """A run as training leaves it: its model/ written, no answers yet."""
    return _run_started(folder, "model")


def test_a_trained_run_with_no_answers_yet_names_the_commands_that_write_them(tmp_path):
    # `tunelab rate runs/a runs/b` on two freshly trained runs said "runs/b: no answers here (a
    # JSONL file, an eval folder, a compare folder, or a run folder)": runs/b is a run folder.
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"question": "q", "answer": "a"}) + "\n")
    run = _trained_run(tmp_path / "runs" / "b")
    with pytest.raises(TunelabError) as refused:
        load_answers([answers, run])
    said = str(refused.value)
    assert "has no answers yet" in said and "no answers here (" not in said
    assert f"`tunelab eval {run}`" in said and f"`tunelab compare {run}`" in said


def test_a_runs_model_folder_gives_the_runs_answers(tmp_path):
    # `tunelab rate runs/mine/model base.jsonl`: every command that takes a model reads a run's
    # model/ as the run; rate and judge looked inside model/ and said "no answers here".
    base = tmp_path / "base.jsonl"
    base.write_text(json.dumps({"question": "q", "answer": "b"}) + "\n")
    run = _trained_run(tmp_path / "runs" / "mine")
    (run / "eval").mkdir()
    (run / "eval" / "predictions.jsonl").write_text(json.dumps({"question": "q", "answer": "a"}))
    answers = load_answers([run / "model", base])
    assert answers["mine"]["q"]["answer"] == "a" and sorted(answers) == ["base", "mine"]
    with pytest.raises(TunelabError, match="mine is given twice"):
        load_answers([run, run / "model"])
    (run / "eval" / "predictions.jsonl").unlink()
    with pytest.raises(TunelabError, match=f"{run}: this run has no answers yet"):
        load_answers([run / "model", base])


def test_a_run_folder_not_yet_trained_is_not_sent_to_tunelab_eval(tmp_path):
    # A run whose training never finished has no weights to evaluate: `tunelab eval` on it fails
    # too, so the refusal says what answers it takes rather than "`tunelab eval` writes them".
    run = tmp_path / "runs" / "b"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("name: b\n", encoding="utf-8")
    with pytest.raises(TunelabError) as refused:
        load_answers([run])
    said = str(refused.value)
    assert "no answers here (a JSONL file" in said and "tunelab eval" not in said


def test_a_compare_folder_gives_its_arms_and_same_named_files_are_told_apart_by_folder(tmp_path):
    rows = [{"question": "q?", "reference": "r", "answer": "a"}]
    for folder in ("cmp_a", "cmp_b"):
        (tmp_path / folder).mkdir()
        arms = [{"name": "prompting"}, {"name": "finetuned + RAG"}]
        (tmp_path / folder / "compare.json").write_text(json.dumps({"arms": arms}))
        for name in ("prompting", "finetuned_RAG"):
            (tmp_path / folder / f"{name}.jsonl").write_text(json.dumps(rows[0]) + "\n")
    assert sorted(load_answers([tmp_path / "cmp_a"])) == ["finetuned_RAG", "prompting"]
    both = [tmp_path / "cmp_a" / "prompting.jsonl", tmp_path / "cmp_b" / "prompting.jsonl"]
    assert sorted(load_answers(both)) == ["cmp_a:prompting", "cmp_b:prompting"]


def test_a_question_asked_twice_stays_two_and_unshared_questions_are_named(tmp_path):
    # The second "q2" (another reference) replaced the first, and a question one file lacks was
    # left out of every pair without a word.
    def answers(name, rows):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path

    rows = [{"question": "q1", "answer": "a", "reference": "r1"},
            {"question": "q2", "answer": "b", "reference": "first"},
            {"question": "q2", "answer": "c", "reference": "second"}]  # fmt: skip
    # Another model's answers to them (two answers of one text are never rated).
    other = [dict(row, answer=f"other {row['answer']}") for row in rows]
    sets = load_answers([answers("m1", rows), answers("m2", other[:2])])
    assert list(sets["m1"]) == ["q1", "q2", "q2 [#2]"]
    assert sets["m1"]["q2"]["reference"] == "first"
    assert sets["m1"]["q2 [#2]"]["reference"] == "second"
    assert shared_questions(sets) == ["q1", "q2"]
    assert unshared(sets) == (
        "1 question is not in every answer set (m2 lacks 1): only the 2 all of them answer "
        "are judged"
    )
    # Two runs evaluated with --limit 4 on their own test files shared one question.
    assert unshared(load_answers([answers("m5", rows[:2]), answers("m6", other[1:])])) == (
        "2 questions are not in every answer set (m5 lacks 1, m6 lacks 1): only the 1 all of "
        "them answer is judged"
    )
    twice = load_answers([answers("m3", rows), answers("m4", other)])
    assert unshared(twice) is None
    # The page shows the question as the test asked it, not its key.
    arena = Arena(twice, tmp_path / "votes.jsonl", seed=0)
    shown = {arena.next()["question"] for _ in range(30)}
    assert shown == {"q1", "q2"}
    # So does the judge's prompt.
    from tunelab.evaluate.judge.asking import JudgeConfig
    from tunelab.evaluate.judge.verdicts import judge

    prompts = []

    def ask(conversations):
        prompts.extend(c[-1]["content"] for c in conversations)
        return ["[[A]]"] * len(conversations)

    judge(twice, JudgeConfig(judge="scripted", votes=str(tmp_path / "votes.jsonl")), ask)
    assert len(prompts) == 6 and not any("[#" in p for p in prompts)
    said = CliRunner().invoke(app, ["rate", *map(str, [tmp_path / "m1.jsonl", tmp_path / "m2.jsonl"]),
                                    "--results", "--votes", str(tmp_path / "v.jsonl")])  # fmt: skip
    assert said.exit_code == 0 and "m2 lacks 1" in said.output, said.output
    # `tunelab.rate` tells a console it is given the same, as the command does through it.
    told = Console(file=io.StringIO(), width=200)
    m1_m2 = [tmp_path / "m1.jsonl", tmp_path / "m2.jsonl"]
    tunelab.rate(m1_m2, votes=tmp_path / "v.jsonl", results=True, console=told)
    assert "m2 lacks 1" in told.file.getvalue() and "0 judgements" in told.file.getvalue()


def test_an_answer_that_is_not_text_is_refused_by_its_line(tmp_path):
    # `"answer": 42` served pairs whose every vote then failed with a 500, lost.
    only, other = _answer_sets(tmp_path)
    file = other / "eval" / "predictions.jsonl"
    rows = [json.loads(line) for line in file.read_text().splitlines()]
    rows[1]["answer"] = 42
    file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TunelabError, match=r"predictions.jsonl:2: 'answer' is int, not text"):
        load_answers([only, other])


def test_an_eval_output_of_several_models_is_their_answer_sets_and_an_empty_file_is_named(
    tmp_path,
):
    # `tunelab eval A B --output ev` wrote ev/A and ev/B; `tunelab rate ev` said "no answers here".
    for model in ("base", "tuned"):
        folder = tmp_path / "ev" / model
        folder.mkdir(parents=True)
        row = {"question": "q", "reference": "r", "answer": f"{model} answer"}
        (folder / "predictions.jsonl").write_text(json.dumps(row) + "\n")
    assert set(load_answers([tmp_path / "ev"])) == {"base", "tuned"}
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(TunelabError, match=r"empty.jsonl: holds no answers"):
        load_answers([tmp_path / "ev" / "base", tmp_path / "empty.jsonl"])


def test_a_row_without_its_answer_says_which_key_is_missing_and_the_keys_it_has(tmp_path):
    # "needs 'question' and 'answer'" left the reader to find which, in a hand-made file.
    only = tmp_path / "a.jsonl"
    only.write_text(json.dumps({"question": "q", "answer": "a"}) + "\n")
    typed = tmp_path / "b.jsonl"
    typed.write_text(json.dumps({"question": "q", "response": "b"}) + "\n")
    with pytest.raises(TunelabError) as err:
        load_answers([only, typed])
    assert str(err.value) == (
        f"{typed}:1: no 'answer' (its keys: question, response); each row needs 'question' "
        "and 'answer'"
    )


def _stopped_run(folder):
    """A run Ctrl-C'd twice: a checkpoint, no model/."""
    _run_started(folder, "checkpoints/step-000004")
    (folder / "status.json").write_text(json.dumps({"status": "interrupted"}))
    return folder


@pytest.mark.parametrize("runs", ["runs", "my runs"])
def test_a_run_stopped_before_its_model_was_saved_says_how_to_go_on(tmp_path, runs):
    # `tunelab rate runs/b runs/a` on a run Ctrl-C'd twice said "runs/b: no answers here (... or a
    # run folder)", and `runs/b/model` "no such file or folder"; in a folder with a space the
    # commands it gives paste whole ("`tunelab train /tmp/my runs/b --resume`" trained /tmp/my).
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"question": "q", "answer": "a"}) + "\n")
    run = _stopped_run(tmp_path / runs / "b")
    said = shlex.quote(str(run))
    for given in (run, run / "model"):
        with pytest.raises(TunelabError) as refused:
            load_answers([answers, given])
        assert str(refused.value) == (
            f"{run}: this run has no answers yet, and no model to give them: it is a run that "
            f"has saved no model yet (it stopped before writing model/): `tunelab train {said} "
            f"--resume` continues it from its last checkpoint; then `tunelab eval {said}` writes "
            "its answers"
        )
