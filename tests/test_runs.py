"""`tunelab runs`: every run folder in one table with how it ended, and a few runs' loss curves in
one plot beside the settings that differ between them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import tunelab
from tests.conftest import QA_PAIRS, tiny_config, write_jsonl
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.run_files import STATUS_FILE
from tunelab.train.runs.runs import differences, find_runs


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """Two finished runs that differ in their learning rate, and a copy whose process died."""
    root = tmp_path_factory.mktemp("runs")
    qa = root / "qa.jsonl"
    qa.write_text(
        "".join(json.dumps({"question": f"Q{i}?", "answer": f"A{i}."}) + "\n" for i in range(8))
    )
    for name, lr in (("slow", 1e-3), ("fast", 3e-3)):
        config = tiny_config(root, qa, max_steps=3, lr=lr)
        tunelab.train(config.model_copy(update={"name": name}))
    shutil.copytree(root / "runs" / "fast", root / "runs" / "killed")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    status = json.loads((root / "runs" / "killed" / STATUS_FILE).read_text())
    status |= {"status": "running", "pid": int(gone.stdout)}  # killed mid-run: no last word
    (root / "runs" / "killed" / STATUS_FILE).write_text(json.dumps(status))
    return root / "runs"


def test_runs_lists_each_folder_with_its_model_steps_losses_and_how_it_ended(runs_dir):
    rows = {row["run"]: row for row in tunelab.runs([runs_dir])}
    assert set(rows) == {"slow", "fast", "killed"}
    fast = rows["fast"]
    assert (fast["model"], fast["method"], fast["data"], fast["steps"]) == (
        "tiny-random",
        "lora",
        "qa.jsonl",
        3,
    )
    assert fast["train_loss"] > 0 and fast["eval_loss"] > 0 and fast["time_s"] > 0
    assert fast["status"] == "finished" and rows["killed"]["status"] == "failed"


def test_runs_plot_overlays_the_curves_and_names_the_settings_that_differ(runs_dir, tmp_path):
    out = tmp_path / "curves.png"
    args = ["runs", str(runs_dir / "slow"), str(runs_dir / "fast"), "--plot", "--out", str(out)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    table, differ = result.output.split("settings that differ")
    assert "slow" in table and "finished" in table
    assert "train.lr" in differ and "0.001" in differ and "0.003" in differ
    assert "train.max_steps" not in differ  # the same in both


def test_an_unreadable_run_folder_is_skipped_with_a_word_not_fatal(runs_dir, tmp_path):
    shutil.copytree(runs_dir / "slow", tmp_path / "slow")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.yaml").write_text("train: {lr: [oops\n")
    (tmp_path / "broken" / "metrics.jsonl").touch()
    assert [row["run"] for row in tunelab.runs([tmp_path])] == ["slow"]


def test_a_config_alone_or_an_empty_one_is_not_listed_as_a_run(runs_dir, tmp_path, capsys):
    shutil.copytree(runs_dir / "slow", tmp_path / "slow")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.yaml").write_text("")
    (tmp_path / "planned").mkdir()  # a config written by hand, never trained
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(tmp_path / "planned" / "config.yaml")
    shutil.copytree(runs_dir / "slow", tmp_path / "emptied")
    (tmp_path / "emptied" / "config.yaml").write_text("\n")
    assert [row["run"] for row in tunelab.runs([tmp_path])] == ["slow"]
    said = " ".join(capsys.readouterr().err.split())  # its lines wrapped at the terminal's width
    assert "empty: not a run" in said and "planned: not a run" in said
    assert "config.yaml is empty" in said
    result = CliRunner().invoke(app, ["runs", str(tmp_path / "empty")])
    assert "empty: not a run: its config.yaml has no metrics.jsonl" in str(result.exception)


def test_a_run_killed_while_its_model_loaded_is_said_not_left_out(runs_dir, tmp_path, capsys):
    # Out of memory loading a large model, before config.yaml: its folder holds claim.json
    # alone, and `tunelab runs` listed the other runs as though it had never been launched.
    import socket

    shutil.copytree(runs_dir / "slow", tmp_path / "slow")
    (tmp_path / "big").mkdir()
    gone = {"pid": 2**22 + 1, "host": socket.gethostname()}  # past Linux's largest pid
    (tmp_path / "big" / "claim.json").write_text(json.dumps(gone))
    assert [row["run"] for row in tunelab.runs([tmp_path])] == ["slow"]
    said = " ".join(capsys.readouterr().err.split())
    assert f"not listed: {tmp_path / 'big'} is a run whose launch ended before its first" in said
    with pytest.raises(TunelabError, match=r"big is a run whose launch ended .*train` again"):
        tunelab.runs([tmp_path / "big"])


def test_a_run_still_loading_its_model_is_said_as_starting(runs_dir, tmp_path, capsys):
    # Its launch's process lives (on another machine: taken as alive): not "ended", and the
    # others are listed beside it.
    shutil.copytree(runs_dir / "slow", tmp_path / "slow")
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "claim.json").write_text(json.dumps({"pid": 7, "host": "elsewhere"}))
    assert [row["run"] for row in tunelab.runs([tmp_path])] == ["slow"]
    said = " ".join(capsys.readouterr().err.split())
    assert f"not listed: {tmp_path / 'big'} is a run still starting (process 7 on elsewhere" in said
    assert "launch ended" not in said


def test_a_failed_run_says_why_under_the_table(runs_dir, tmp_path):
    # "failed" alone: why was in status.json, which the user had to find and read.
    shutil.copytree(runs_dir / "slow", tmp_path / "slow")
    failed = {"status": "failed", "step": 2, "error": "RuntimeError: CUDA error: out of\nmemory"}
    (tmp_path / "slow" / STATUS_FILE).write_text(json.dumps(failed))
    [row] = tunelab.runs([tmp_path])
    assert (row["status"], row["error"]) == ("failed", "RuntimeError: CUDA error: out of memory")
    result = CliRunner().invoke(app, ["runs", str(tmp_path)])
    assert "failed, slow: RuntimeError: CUDA error: out of memory" in result.output
    # The killed copy's process ended without a word: said so.
    result = CliRunner().invoke(app, ["runs", str(runs_dir)])
    assert "failed, killed: the training process ended unannounced" in result.output


def test_runs_piped_prints_every_cell_whole(runs_dir, monkeypatch):
    # At 80 columns every cell was cut: "supp… │ smol… │ lora │ trai…".
    monkeypatch.delenv("COLUMNS", raising=False)
    result = CliRunner().invoke(app, ["runs", str(runs_dir / "slow")])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output and "finished" in result.output


def test_runs_names_a_path_that_holds_no_run(tmp_path):
    # "runs: neither a run folder (no config.yaml) nor a folder" for a folder that is not there.
    result = CliRunner().invoke(app, ["runs", str(tmp_path / "nowhere")])
    assert f"nowhere: no such folder here (in {tmp_path}/: no folders); name the folder " in (
        str(result.exception)
    )
    (tmp_path / "notes.txt").write_text("x")
    result = CliRunner().invoke(app, ["runs", str(tmp_path / "notes.txt")])
    assert "notes.txt: neither a run folder" in str(result.exception)


def test_runs_of_a_folder_without_runs_says_so_rather_than_an_empty_table(runs_dir, tmp_path):
    # `tunelab runs examples` printed an empty table and exited 0, as if all were well.
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "lora.yaml").write_text("name: mine\n")
    result = CliRunner().invoke(app, ["runs", str(tmp_path / "examples")])
    assert result.exit_code != 0
    assert "examples: holds no run folder" in str(result.exception)
    # A run's folder name mistyped is answered with the run meant.
    shutil.copytree(runs_dir / "slow", tmp_path / "runs" / "lr-slow")
    result = CliRunner().invoke(app, ["runs", str(tmp_path / "runs" / "lr-slwo")])
    assert str(result.exception).endswith(f"Did you mean {tmp_path / 'runs' / 'lr-slow'}?")


def test_runs_of_a_run_that_is_not_there_lists_the_runs_beside_it(runs_dir, tmp_path):
    # `tunelab runs runs/c` said "no such folder here" alone, where eval's refusal lists
    # "(in runs/: a, b)".
    for name in ("a", "b"):
        shutil.copytree(runs_dir / "slow", tmp_path / "runs" / name)
    result = CliRunner().invoke(app, ["runs", str(tmp_path / "runs" / "c")])
    assert str(result.exception) == (
        f"{tmp_path / 'runs' / 'c'}: no such folder here (in {tmp_path / 'runs'}/: a, b); "
        "name the folder training wrote to: tunelab runs DIR"
    )


def test_an_image_named_without_plot_is_refused_not_silently_left_undrawn(runs_dir, tmp_path):
    out = tmp_path / "cmp.png"
    result = CliRunner().invoke(app, ["runs", str(runs_dir / "slow"), "--out", str(out)])
    assert f"--out {out} names the image --plot draws, and --plot was not given" in str(
        result.exception
    )
    assert not out.exists()
    # The default's own name too: `--out runs.png` without --plot drew nothing, said nothing.
    result = CliRunner().invoke(app, ["runs", str(runs_dir / "slow"), "--out", "runs.png"])
    assert "--out runs.png names the image --plot draws" in str(result.exception)
    with pytest.raises(TunelabError, match="--plot was not given"):
        tunelab.runs([runs_dir / "slow"], out="runs.png")


def test_a_tied_best_held_out_score_names_the_earlier_step_as_training_keeps(tmp_path):
    folder = tmp_path / "runs" / "tied"
    folder.mkdir(parents=True)
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(folder / "config.yaml")
    scores = [(0, 0.25), (2, 0.75), (4, 0.75)]
    (folder / "metrics.jsonl").write_text(
        "".join(json.dumps({"step": s, "eval_fact_accuracy": v}) + "\n" for s, v in scores)
    )
    [row] = tunelab.runs([folder])
    assert row["best_heldout"] == {"metric": "fact_accuracy", "value": 0.75, "step": 2}


def test_the_best_held_out_step_is_a_trained_one_as_in_model(tmp_path):
    # Every score 0: training keeps step 3 in model/, while the listing named the base's step 0.
    folder = tmp_path / "runs" / "flat"
    folder.mkdir(parents=True)
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(folder / "config.yaml")
    (folder / "metrics.jsonl").write_text(
        "".join(json.dumps({"step": s, "eval_fact_accuracy": 0.0}) + "\n" for s in (0, 3, 6))
    )
    [row] = tunelab.runs([folder])
    assert row["best_heldout"] == {"metric": "fact_accuracy", "value": 0.0, "step": 3}


def test_a_damaged_metrics_line_costs_its_step_not_the_listing(runs_dir, tmp_path):
    shutil.copytree(runs_dir / "slow", tmp_path / "damaged")
    metrics = tmp_path / "damaged" / "metrics.jsonl"
    lines = metrics.read_text().split("\n")
    metrics.write_text("\n".join([lines[0], '{"step": 2, "lo', *lines[1:]]))
    (row,) = tunelab.runs([tmp_path])
    assert row["run"] == "damaged" and row["steps"] == 3


def test_runs_plot_writes_where_it_says(runs_dir, tmp_path):
    # "--out myplot" wrote myplot.png and said "myplot"; a folder got "<folder>.png" beside it;
    # "--out plot.jsonl" ended in a traceback.
    folder = tmp_path / "plots"
    folder.mkdir()
    for given, written in (("myplot", "myplot.png"), (str(folder), "plots/runs.png")):
        args = ["runs", str(runs_dir / "slow"), "--plot", "--out", str(tmp_path / given)]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
        assert (tmp_path / written).stat().st_size > 0 and written in result.output
    args = ["runs", str(runs_dir / "slow"), "--plot", "--out", str(tmp_path / "plot.jsonl")]
    result = CliRunner().invoke(app, args)
    assert "not an image format" in str(result.exception)
    # Python by the same names: plot, and the image out (plot took the image's path, and a
    # path given for it now would be read as True and write runs.png).
    tunelab.runs([runs_dir / "slow"], plot=True, out=tmp_path / "python")
    assert (tmp_path / "python.png").stat().st_size > 0
    with pytest.raises(tunelab.TunelabError, match="plot is True or False; the image is out="):
        tunelab.runs([runs_dir / "slow"], plot=str(tmp_path / "old.png"))


def test_an_eval_loss_older_than_the_last_step_says_its_step(runs_dir, tmp_path):
    # A run killed before its next eval showed step 44's train loss beside step 0's eval loss
    # (the untrained model's) as if they were one moment's.
    run = tmp_path / "cut"
    shutil.copytree(runs_dir / "fast", run)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rows = [{k: v for k, v in r.items() if k != "eval_loss" or r["step"] == 0} for r in rows]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    [row] = tunelab.runs([run])
    assert (row["eval_step"], row["steps"]) == (0, 3)
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "300"})
    assert " (step 0)" in listed.output
    whole = CliRunner().invoke(app, ["runs", str(runs_dir / "fast")], env={"COLUMNS": "300"})
    assert "(step" not in whole.output  # the last step's eval loss needs no step


def test_a_run_evaluated_after_training_lists_its_eval_score_as_held_out(runs_dir, tmp_path):
    # Trained without train.eval_generate_every, then `tunelab eval RUN`: the column stayed
    # empty, and nothing said why.
    run = tmp_path / "fast"
    shutil.copytree(runs_dir / "fast", run)
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "300"})
    assert "best held-out, empty: training answered no held-out questions" in listed.output
    evaluated = CliRunner().invoke(app, ["eval", str(run), "--max-new-tokens", "2"])
    assert evaluated.exit_code == 0, evaluated.output
    [row] = tunelab.runs([run])
    summary = json.loads((run / "eval" / "summary.json").read_text())
    assert row["best_heldout"] == {
        "metric": "token_f1",  # the metric training scores where the rows name no facts
        "value": summary["metrics"]["token_f1"],
        "questions": 2,
        "over": 2,
        "interval": summary["interval95"]["token_f1"],
        "eval": str(run / "eval" / "summary.json"),
    }
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "300"})
    low, high = row["best_heldout"]["interval"]
    assert (
        f"token F1 {row['best_heldout']['value']:.1%} [{low:.1%}, {high:.1%}] "
        "(tunelab eval, 2 questions)"
    ) in listed.output
    assert "best held-out, empty" not in listed.output
    # Answers to another test file are no held-out score of the run.
    other = write_jsonl(tmp_path / "other.jsonl", [{"question": "Q?", "answer": "A."}])
    args = ["eval", str(run), "--max-new-tokens", "2", "--data", str(other)]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert "best_heldout" not in tunelab.runs([run])[0]
    # The note said no eval of the test questions was in RUN/eval, where one of other.jsonl was.
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "400"})
    assert (
        f"best held-out, empty for fast: training answered no held-out questions "
        f"(train.eval_generate_every) and {run / 'eval'} holds an eval of {other}, not of the "
        "run's test questions: `tunelab eval RUN` asks them"
    ) in listed.output
    assert "no `tunelab eval RUN`" not in listed.output


def test_an_eval_fact_accuracy_is_listed_over_the_questions_that_name_facts(runs_dir, tmp_path):
    # Of lamini_docs' first 30 test rows 4 name facts: `runs` read "fact_accuracy 25.0%
    # (tunelab eval, 30 questions)", where the 25% was 1 of 4, with no interval.
    run = tmp_path / "fast"
    shutil.copytree(runs_dir / "fast", run)
    held_out = [json.loads(line) for line in (run / "held_out.jsonl").read_text().splitlines()]
    held_out[0]["facts"] = [["zebra"]]  # one of the two rows names a fact no answer states
    write_jsonl(run / "held_out.jsonl", held_out)
    evaluated = CliRunner().invoke(app, ["eval", str(run), "--max-new-tokens", "2"])
    assert evaluated.exit_code == 0, evaluated.output
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "300"})
    assert "fact accuracy 0.0% [0.0%, 79.3%] (tunelab eval, 1 of 2 questions)" in listed.output


def test_an_eval_score_from_before_the_run_trained_again_is_marked_stale(tmp_path):
    # Evaluated at step 2, then resumed to step 3: the step-2 model's score showed beside the
    # new step count as the run's own.
    qa = write_jsonl(tmp_path / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])
    run = tunelab.train(tiny_config(tmp_path, qa, max_steps=2, save_every=1))
    evaluated = CliRunner().invoke(app, ["eval", str(run), "--max-new-tokens", "2"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "stale" not in tunelab.runs([run])[0]["best_heldout"]
    tunelab.train(tiny_config(tmp_path, qa, max_steps=3, save_every=1), resume=True)
    [row] = tunelab.runs([run])
    assert (row["steps"], row["best_heldout"]["stale"]) == (3, True)
    listed = CliRunner().invoke(app, ["runs", str(run)], env={"COLUMNS": "300"})
    assert "(tunelab eval of the model before the last training: eval it again)" in listed.output
    again = CliRunner().invoke(app, ["eval", str(run), "--max-new-tokens", "2"])
    assert again.exit_code == 0, again.output
    assert "stale" not in tunelab.runs([run])[0]["best_heldout"]


def test_a_raw_text_run_is_told_it_has_no_questions_and_how_eval_takes_some(tmp_path):
    # Continued pretraining on a folder of documents: the note sent its user to `tunelab eval`
    # of "the run's test questions", of which a raw-text run has none.
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Guide\n\nPress the red button to start.\n")
    qa = write_jsonl(tmp_path / "qa.jsonl", [{"question": "Q?", "answer": "A."}])
    for name, data in (("pretrained", docs), ("finetuned", qa)):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        config = tiny_config(tmp_path, data)  # data.shape auto: documents read as raw text
        config.model_copy(update={"name": name}).to_yaml(folder / "config.yaml")
        (folder / "metrics.jsonl").write_text(json.dumps({"step": 3, "eval_loss": 2.5}) + "\n")
    # The rows training held out of qa.jsonl (data.test_size), the Q&A run's test questions.
    write_jsonl(
        tmp_path / "runs" / "finetuned" / "held_out.jsonl", [{"question": "Q?", "answer": "A."}]
    )
    rows = {row["run"]: row for row in tunelab.runs([tmp_path / "runs"])}
    assert rows["pretrained"]["raw_text"] and not rows["finetuned"]["raw_text"]
    listed = CliRunner().invoke(app, ["runs", str(tmp_path / "runs")], env={"COLUMNS": "300"})
    assert (
        "best held-out, empty for pretrained: trained on raw text, which holds no questions; its "
        "held-out texts give the eval loss. To score answers, give `tunelab eval RUN --data "
        "QA.jsonl` a file of question/answer rows"
    ) in listed.output
    # The Q&A run beside it still hears why its own cell is empty.
    assert "best held-out, empty: training answered no held-out questions" in listed.output


def test_a_run_on_another_run_names_its_base_as_typed_from_here(runs_dir, tmp_path, monkeypatch):
    base, on_base = tmp_path / "runs" / "b", tmp_path / "runs" / "on_b"
    shutil.copytree(runs_dir / "fast", base)
    shutil.copytree(runs_dir / "fast", on_base)
    config = on_base / "config.yaml"
    config.write_text(config.read_text().replace("name: tiny-random", f"name: {base}"))
    monkeypatch.chdir(tmp_path)
    rows = {row["run"]: row for row in tunelab.runs(["runs"])}
    assert rows["on_b"]["model"] == "runs/b"
    assert differences(find_runs([on_base, base]))["model.name"] == ["runs/b", "tiny-random"]
    assert str(base) in config.read_text()  # what the run keeps stays the absolute path
    monkeypatch.chdir(runs_dir)  # from elsewhere, the path as stored
    assert {row["run"]: row for row in tunelab.runs([on_base])}["on_b"]["model"] == str(base)


def test_a_runs_time_is_its_whole_time_evals_included(tmp_path):
    # A run mostly of eval loss: its steps took 17.2 s of the loop's 2 min 49 s. It was listed
    # as 17 s, the steps' time in metrics.jsonl; its checkpoint keeps the loop's whole time.
    folder = tmp_path / "runs" / "evals"
    (folder / "checkpoints" / "step-000003").mkdir(parents=True)
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(folder / "config.yaml")

    def logged(*elapsed):
        rows = [{"step": s, "loss": 1.0, "elapsed": e} for s, e in enumerate(elapsed, 1)]
        (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    def saved(**state):
        state_file = folder / "checkpoints" / "step-000003" / "state.json"
        state_file.write_text(json.dumps({"step": 3, **state}))

    logged(5.0, 11.0, 17.2)
    saved(elapsed=17.2, wall=169.4)
    [row] = tunelab.runs([folder])
    assert row["time_s"] == 169.4
    # A step logged after the last checkpoint (the process died before the next one): its
    # time is added to the checkpoint's.
    logged(5.0, 11.0, 17.2, 20.0)
    [row] = tunelab.runs([folder])
    assert row["time_s"] == pytest.approx(172.2)
    # A checkpoint from before the whole time was kept: the steps' time, as before.
    saved(elapsed=17.2)
    [row] = tunelab.runs([folder])
    assert row["time_s"] == 20.0


def test_a_run_stopped_before_its_first_checkpoint_lists_its_steps_time(tmp_path, wide_terminal):
    # A run of an older tunelab, or one stopped before it saved a checkpoint, has no state.json
    # to read a whole time from: its steps' time is listed, as before the whole time was kept.
    folder = tmp_path / "runs" / "stopped"
    folder.mkdir(parents=True)
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(folder / "config.yaml")
    rows = [{"step": s, "loss": 1.0, "elapsed": e} for s, e in ((1, 5.0), (2, 11.0))]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    [row] = tunelab.runs([folder])
    assert row["time_s"] == 11.0
    # A checkpoint folder whose state.json was never written (the process died saving it).
    (folder / "checkpoints" / "step-000002").mkdir(parents=True)
    [row] = tunelab.runs([folder])
    assert row["time_s"] == 11.0
    listed = CliRunner().invoke(app, ["runs", str(folder)])
    assert listed.exit_code == 0, listed.output
    assert "stopped" in listed.output and "11s" in listed.output


def test_runs_with_brackets_in_their_names_are_listed_and_plotted_as_named(runs_dir, tmp_path):
    # "exp[v2]" lost its "[v2]" to rich's markup in the settings table, and so did the PNG's path.
    for run, named in (("slow", "exp[v1]"), ("fast", "exp[v2]")):
        shutil.copytree(runs_dir / run, tmp_path / "runs" / named)
    out = tmp_path / "curves [v2].png"
    args = ["runs", *(str(tmp_path / "runs" / n) for n in ("exp[v1]", "exp[v2]")), "--plot"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    table, differ = result.output.split("settings that differ")
    assert "exp[v1]" in table and "exp[v2]" in table
    assert f"loss curves: {out}\n" in table
    assert differ.split("\n")[2].split("┃")[2:4] == [" exp[v1] ", " exp[v2] "]
