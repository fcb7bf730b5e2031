"""The CLI does what the Python API does: train a run from YAML, then ask it questions."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.train.checkpoint import list_checkpoints

runner = CliRunner()


def test_train_then_generate_and_inspect(tmp_path, qa_file):
    config = tmp_path / "cfg.yaml"
    config.write_text(
        f"name: cli\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny-random}}\n"
        f"data: {{path: {qa_file}, max_length: 128, test_size: 2}}\n"
        "train: {max_steps: 2, batch_size: 2, eval_every: 1, save_every: 1}\n"
    )
    result = runner.invoke(app, ["train", str(config), "--set", "train.lr=1e-3"])
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "cli"
    # The steps that follow, ready to paste, as the data commands end.
    assert f"next: tunelab eval {run}, then tunelab compare {run}" in result.output
    assert {"config.yaml", "metrics.jsonl", "loss.png", "model", "checkpoints"} <= {
        p.name for p in run.iterdir()
    }
    assert "lr: 0.001" in (run / "config.yaml").read_text()

    result = runner.invoke(
        app, ["generate", str(run), "What color is the sky?", "--max-new-tokens", "4"]
    )
    assert result.exit_code == 0, result.output

    result = runner.invoke(
        app, ["data", "inspect", str(qa_file), "--model", "tiny-random", "--rows", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "What color is the sky?" in result.output and "trained" in result.output


def test_inspect_piped_marks_the_trained_tokens_and_a_dropped_row_trains_none(tmp_path):
    # Piped, the colours that told trained from masked tokens were gone; a row --truncation drop
    # drops was shown as trained, with its trained tokens counted.
    rows = tmp_path / "d.jsonl"
    rows.write_text(
        '{"question": "Hi?", "answer": "Hello."}\n'
        + json.dumps({"question": "word " * 300, "answer": "long"})
        + "\n"
    )
    args = ["data", "inspect", str(rows), "--model", "tiny-random", "--max-length", "120"]
    result = runner.invoke(app, [*args, "--truncation", "drop"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "\u00abHello.<|im_end|>\u00bb" in result.output
    assert "none of it is trained" in result.output
    row = next(line for line in result.output.splitlines() if ":2 " in line and "dropped" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[2] == "0" and cells[4] == "dropped"  # row, tokens, trained, masked, fits


def test_resume_without_checkpoint_is_a_clear_error(tmp_path, qa_file):
    config = tmp_path / "cfg.yaml"
    config.write_text(
        f"name: none\noutput_dir: {tmp_path}\nmodel: {{name: tiny-random}}\n"
        f"data: {{path: {qa_file}}}\n"
    )
    (tmp_path / "none").mkdir()  # a run that stopped before its first checkpoint
    result = runner.invoke(app, ["train", str(config), "--resume"])
    assert result.exit_code != 0
    assert "no checkpoint to resume from" in str(result.exception)


def test_resuming_a_mistyped_run_names_the_runs_there(tmp_path):
    # It said "config file not found: runs/mien", of a run the user never thought a config file.
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    result = runner.invoke(app, ["train", str(tmp_path / "runs" / "mien"), "--resume"])
    assert result.exit_code != 0
    assert f"mien: no such run folder or config file (in {tmp_path / 'runs'}/: mine)" in str(
        result.exception
    )


def test_train_without_a_config_file_then_continue_and_replace_the_run(tmp_path, qa_file):
    settings = [
        f"output_dir={tmp_path / 'runs'}",
        "name=quick",
        "model.name=tiny-random",
        f"data.path={qa_file}",
        "data.test_size=2",
        "train.max_steps=2",
        "train.save_every=1",
    ]
    args = ["train"] + [a for s in settings for a in ("--set", s)]
    assert runner.invoke(app, args).exit_code == 0
    run = tmp_path / "runs" / "quick"
    assert "name: tiny-random" in (run / "config.yaml").read_text()

    again = runner.invoke(app, args)
    assert again.exit_code != 0 and "already exists" in str(again.exception)

    # The run folder stands for its config: train two more steps from its last checkpoint.
    more = runner.invoke(app, ["train", str(run), "--resume", "--set", "train.max_steps=4"])
    assert more.exit_code == 0, more.output
    assert [p.name for p in list_checkpoints(run / "checkpoints")][-1] == "step-000004"

    assert runner.invoke(app, args + ["--overwrite"]).exit_code == 0
    assert [p.name for p in list_checkpoints(run / "checkpoints")][-1] == "step-000002"


def test_main_prints_a_user_error_to_stderr_as_written_and_ctrl_c_exits_130(monkeypatch, capsys):
    import pytest

    from tunelab import cli
    from tunelab.errors import TunelabError

    def fail():
        raise TunelabError("bad value '[bold]x' in data[1].jsonl")

    monkeypatch.setattr(cli, "app", fail)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert not out and "'[bold]x' in data[1].jsonl" in " ".join(err.split())

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", interrupted)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 130
    # A Ctrl-C before any work log was opened imports nothing more: the handler imported the
    # work log, and with it torch, whose import the Ctrl-C had cut short (a traceback or a
    # segfault instead of 130, in a command's first second).
    import sys as system

    monkeypatch.delitem(system.modules, "tunelab.work_log", raising=False)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 130 and "tunelab.work_log" not in system.modules

    # transformers' lazy import wraps a Ctrl-C that cut an import short in its own error
    # ("Could not import module 'PreTrainedModel'"): still Ctrl-C's exit, no traceback.
    def wrapped():
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise RuntimeError("Only a single TORCH_LIBRARY can be used") from None
        except RuntimeError as err:
            raise ModuleNotFoundError("Could not import module 'PreTrainedModel'") from err

    monkeypatch.setattr(cli, "app", wrapped)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 130

    def broken():
        raise ModuleNotFoundError("No module named 'nothing'")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(ModuleNotFoundError):  # any other error is still itself
        cli.main()

    # Ctrl-C while the commands load (seconds of torch and transformers) exits the same way.
    import sys
    import types

    from tunelab.__main__ import main

    class Loading(types.ModuleType):
        def __getattr__(self, name):
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "tunelab.cli", Loading("tunelab.cli"))
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 130


def test_ctrl_c_while_the_package_loads_exits_130_in_one_line(tmp_path):
    # The entry point sat in the package, whose import (a third of the load) ran before any of
    # its code: Ctrl-C in that moment printed a KeyboardInterrupt traceback and died by SIGINT.
    import os
    import subprocess
    import sys
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    module, function = declared["project"]["scripts"]["tunelab"].split(":")
    command = tmp_path / "tunelab"  # the console script, with Ctrl-C as tunelab.config loads
    command.write_text(
        "import sys\n"
        "class CtrlC:\n"
        "    def find_spec(self, name, *rest):\n"
        "        if name == 'tunelab.config':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, CtrlC())\n"
        f"from {module} import {function}\n"
        f"sys.exit({function}())\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, str(command), "--help"], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (130, "interrupted\n")
    # Its one line and exit code are tunelab.cli's too (`exit_interrupted`), and still no import
    # but sys's comes before its try: a Ctrl-C there would print a traceback again.
    imports = (
        f"import sys; known = set(sys.modules); import {module}; print(set(sys.modules) - known)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", imports], env=env, capture_output=True, text=True
    )
    assert loaded.stdout.strip() == f"{{'{module}'}}", loaded.stderr


def test_ctrl_c_in_a_command_says_interrupted_once(monkeypatch, capsys, tmp_path, qa_file):
    # `tunelab data split` of a big file exited 130 without a word.
    import pytest

    from tunelab import cli
    from tunelab.data import write_split

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(write_split, "split_file", stop)
    monkeypatch.setattr("sys.argv", ["tunelab", "data", "split", str(qa_file), "-o", "out"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 130 and capsys.readouterr().err.strip() == "interrupted"

    def said(*args, **kwargs):  # a command that says what it kept is not told over
        raise KeyboardInterrupt("interrupted; kept 3 verdicts")

    monkeypatch.setattr(write_split, "split_file", said)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 130 and capsys.readouterr().err == ""


def test_generate_reads_its_question_from_standard_input_given_a_dash(monkeypatch):
    from tunelab.serve import chat

    asked = []
    monkeypatch.setattr(chat.Session, "open", classmethod(lambda cls, *a, **k: cls.__new__(cls)))
    monkeypatch.setattr(chat.Session, "reply", lambda self, text, **k: asked.append(text) or "")
    result = runner.invoke(app, ["generate", "tiny-random", "-"], input="日本の首都は？\n")
    assert result.exit_code == 0, result.output
    assert asked == ["日本の首都は？"]
    result = runner.invoke(app, ["generate", "tiny-random", "-"], input="  \n")
    assert "no question on standard input" in str(result.exception)


def test_ctrl_c_during_generate_ends_the_reply_s_line_before_saying_interrupted(
    monkeypatch, capsys
):
    # The terminal read "In ancient times, the sea was ainterrupted".
    import pytest

    from tunelab import cli
    from tunelab.serve import chat

    def reply(self, text, on_text, **kwargs):
        on_text("In ancient times, the sea was a")
        raise KeyboardInterrupt

    monkeypatch.setattr(chat.Session, "open", classmethod(lambda cls, *a, **k: cls.__new__(cls)))
    monkeypatch.setattr(chat.Session, "reply", reply)
    monkeypatch.setattr("sys.argv", ["tunelab", "generate", "tiny-random", "Tell me a story."])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    said = capsys.readouterr()
    assert exit_.value.code == 130 and said.err.strip() == "interrupted"
    assert said.out == "In ancient times, the sea was a\n"


def test_chat_says_it_cleared_the_history_on_reset():
    result = runner.invoke(
        app, ["chat", "tiny-random", "--max-new-tokens", "2"], input="hi\n/reset\n"
    )
    assert result.exit_code == 0, result.output
    assert "(history cleared: the next message starts a new chat)" in result.output


def test_generate_says_when_the_reply_ran_out_of_tokens():
    # A reply cut at --max-new-tokens looked finished (a newcomer's 256-token loop).
    result = runner.invoke(app, ["generate", "tiny-random", "Hi", "--max-new-tokens", "3"])
    assert result.exit_code == 0, result.output
    assert "(cut at 3 tokens: --max-new-tokens gives it more)" in result.output


def test_generate_and_chat_refuse_a_reply_of_no_tokens_or_a_negative_temperature():
    import pytest

    from tunelab.errors import TunelabError
    from tunelab.generation.generate import generate
    from tunelab.models.random_weights import tiny_random

    for options in (["--max-new-tokens", "0"], ["--temperature", "-1"]):
        for command in (["generate", "tiny-random", "hi"], ["chat", "tiny-random"]):
            result = CliRunner().invoke(app, [*command, *options], input="hi\n")
            assert result.exit_code == 2, (command, options, result.output)
    model, tokenizer = tiny_random()
    with pytest.raises(TunelabError, match="max_new_tokens must be at least 1"):
        generate(model, tokenizer, ["hi"], max_new_tokens=0)  # it made one token all the same


def test_command_table_reads_each_first_paragraph_as_one_line():
    # The docstrings wrap at 100 columns; typer's table kept those breaks mid-sentence.
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "250"}, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "activations, loss) and whether it fits; needs only the model's shape" in result.output
    result = runner.invoke(app, ["data", "--help"], env={"COLUMNS": "250"}, terminal_width=250)
    assert "Propose the facts each test answer must state (and a yes/no answer's" in result.output


def test_a_run_trained_on_raw_text_ends_with_a_next_step_that_runs(tmp_path):
    # It said "next: tunelab eval RUN, then tunelab compare RUN", both refused of a run with no
    # questions ("pass --data test.jsonl"): its held-out texts' eval loss is what `runs` shows.
    text = tmp_path / "notes.jsonl"
    rows = [{"text": f"Note {i}: checkpoints are saved every fifty steps."} for i in range(8)]
    text.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    run = tmp_path / "runs" / "notes"
    args = ["--set", "model.name=tiny-random", "--set", f"data.path={text}", "--set", "name=notes"]
    args += ["--set", f"output_dir={tmp_path / 'runs'}", "--set", "train.max_steps=1"]
    result = runner.invoke(app, ["train", *args])
    assert result.exit_code == 0, result.output
    assert f"next: tunelab runs {run}" in result.output
    assert "tunelab eval" not in result.output and "tunelab compare" not in result.output
    assert runner.invoke(app, ["runs", str(run)]).exit_code == 0
