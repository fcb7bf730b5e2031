"""SIGTERM (kill, systemd, docker stop, a CI job's timeout) stops a long command as Ctrl-C does:
what it keeps for a rerun is kept and said in one line, and it exits 143 (Ctrl-C: 130)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tunelab.terminal import n_things


def _start(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd(), "COLUMNS": "300"}
    command = [sys.executable, "-m", "tunelab.cli", *args]
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def test_sigterm_during_eval_keeps_the_answers_made_says_so_and_the_rerun_goes_on(tmp_path):
    # It died at once (exit -15), saying nothing of the answers its log kept.
    rows = [{"question": f"What is step {i}?", "answer": f"Step {i}."} for i in range(40)]
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["eval", "tiny-random", "--data", "test.jsonl", "--output", "ev"]
    args += ["--max-new-tokens", "200", "--batch-size", "4"]
    log = tmp_path / "ev" / "answers.partial.jsonl"
    stopped = _start(*args, cwd=tmp_path)
    while _lines(log) < 2:  # the header, then a batch of answers
        assert stopped.poll() is None, stopped.stdout.read()
        time.sleep(0.05)
    stopped.send_signal(signal.SIGTERM)
    said, _ = stopped.communicate(timeout=120)

    assert stopped.returncode == 143, said
    assert "Traceback" not in said
    kept = _lines(log) - 1
    again = "tunelab " + " ".join(args)  # the command as typed
    assert " ".join(said.split()).endswith(
        f"interrupted; kept {kept} answers in ev/answers.partial.jsonl: `{again}` goes on from there"
    )
    again = _start(*args, "--limit", "4", cwd=tmp_path)  # a batch: all kept, none asked again
    assert again.wait(timeout=300) == 0
    assert f"{kept} answers kept from an interrupted run" in again.stdout.read()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serving(port: int, process: subprocess.Popen) -> None:
    while True:
        assert process.poll() is None, process.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            time.sleep(0.05)


@pytest.mark.parametrize("stop, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_rate_stopped_by_ctrl_c_or_sigterm_says_the_votes_kept_and_exits_as_stopped(
    tmp_path, stop, code
):
    # SIGTERM killed it (exit -15) without the line that Ctrl-C gave; then both exited 0, so a
    # shell or CI script could not tell a stopped rate from one that finished.
    for model in ("m1", "m2"):
        rows = [{"question": f"q{i}?", "answer": f"{model} says {i}"} for i in range(3)]
        (tmp_path / f"{model}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
        )
    port = _free_port()
    given = ["rate", "m1.jsonl", "m2.jsonl", "--votes", "v.jsonl", "--port", str(port)]
    rate = _start(*given, cwd=tmp_path)
    _serving(port, rate)
    rate.send_signal(stop)
    said, _ = rate.communicate(timeout=60)

    assert rate.returncode == code, said  # it exited 0: uvicorn.run swallowed the signal
    again = "tunelab " + " ".join(given)
    # The results read the votes alone: no --port (nor --raters) in their command.
    results = "tunelab rate m1.jsonl m2.jsonl --votes v.jsonl --results"
    assert said.splitlines()[-1] == (
        f"0 votes in v.jsonl; ratings: {results}; to judge more: {again}"
    )


def test_ctrl_c_during_augment_says_the_rows_kept_and_the_rerun_goes_on(tmp_path):
    # It said "interrupted" alone: nothing of the rewrites kept, nor that a rerun goes on. A batch
    # takes ~0.2 s: 12 more leave the SIGINT time to land before the command has ended.
    rows = [{"question": f"What is step {i}?", "answer": f"Step {i}."} for i in range(26)]
    (tmp_path / "qa.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    args = ["data", "augment", "qa.jsonl", "-o", "aug.jsonl", "--model", "tiny-random"]
    args += ["--paraphrases", "2", "--max-new-tokens", "64", "--set", "batch_size=2"]
    out = tmp_path / "aug.jsonl"
    stopped = _start(*args, cwd=tmp_path)
    while _lines(out) < 2:  # a batch of questions written with their rewrites
        assert stopped.poll() is None, stopped.stdout.read()
        time.sleep(0.05)
    stopped.send_signal(signal.SIGINT)
    said, _ = stopped.communicate(timeout=120)

    assert stopped.returncode == 130, said
    kept = _lines(out)
    assert " ".join(said.split()).endswith(
        f"interrupted: aug.jsonl keeps its {n_things(kept, 'row')}; run the same command again to go on "
        "with the questions not yet rewritten"
    )
    done = {json.loads(line)["question"] for line in out.read_text(encoding="utf-8").splitlines()}
    again = _start(*args, cwd=tmp_path)
    assert again.wait(timeout=300) == 0
    assert f"26 questions ({len(done & {r['question'] for r in rows})} done before)" in (
        " ".join(again.stdout.read().split())
    )


def _ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


def _ctrl_c_wrapped_by_a_library(*args, **kwargs):
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as stop:  # as transformers' lazy imports wrap one
        raise RuntimeError("Could not import module 'GenerationMixin'") from stop


@pytest.mark.parametrize(
    "command, rest",
    [
        (["augment", "qa.jsonl", "--mode", "rules"], "with the questions not yet rewritten"),
        (["generate", "notes.md", "--mode", "template"], "with the chunks not yet done"),
    ],
    ids=["augment", "generate"],
)
def test_a_ctrl_c_just_after_the_last_rows_are_written_still_says_the_rows_kept(
    tmp_path, monkeypatch, command, rest
):
    # One landing as the summary printed, every row written, said "interrupted" alone: the race
    # that failed test_ctrl_c_during_augment_says_the_rows_kept_and_the_rerun_goes_on at times.
    from typer.testing import CliRunner

    import tunelab.data.generate.cli as generate_cli
    from tunelab.cli import app

    monkeypatch.chdir(tmp_path)
    Path("qa.jsonl").write_text('{"question": "What is a run?", "answer": "A folder."}\n')
    Path("notes.md").write_text("# Runs\n\nA run keeps its checkpoints in runs/NAME/.\n")
    monkeypatch.setattr(generate_cli, "say_next", _ctrl_c)  # the summary's last line
    stopped = CliRunner().invoke(app, ["data", *command, "-o", "out.jsonl"])

    assert stopped.exit_code == 130, stopped.output
    kept = len(Path("out.jsonl").read_text().splitlines())
    assert kept and " ".join(stopped.output.split()).endswith(
        f"interrupted: out.jsonl keeps its {n_things(kept, 'row')}; run the same command again to go on {rest}"
    )


def test_a_ctrl_c_a_library_wraps_in_its_own_error_still_says_the_rows_kept(tmp_path, monkeypatch):
    # cut_short_by_ctrl_c reads it as a Ctrl-C at the top, which said "interrupted" alone.
    from typer.testing import CliRunner

    import tunelab.data.generate.augment.augment_rows as augment
    from tunelab.cli import app

    monkeypatch.chdir(tmp_path)
    rows = [{"question": f"What is step {i}?", "answer": f"Step {i}."} for i in range(3)]
    Path("qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rewrites = iter([augment.rule_rewrites, _ctrl_c_wrapped_by_a_library])
    monkeypatch.setattr(augment, "rule_rewrites", lambda *a: next(rewrites)(*a))
    command = ["data", "augment", "qa.jsonl", "--mode", "rules", "-o", "out.jsonl"]
    stopped = CliRunner().invoke(app, [*command, "--set", "batch_size=1"])

    assert stopped.exit_code == 130, stopped.output
    kept = len(Path("out.jsonl").read_text().splitlines())  # the first question's, rewrites too
    assert (
        f"interrupted: out.jsonl keeps its {n_things(kept, 'row')}; run the same command again"
        in (" ".join(stopped.output.split()))
    )


def test_sigterm_ends_a_chat_which_a_stray_ctrl_c_does_not(tmp_path):
    # Ctrl-C at the prompt clears the line and the chat goes on; SIGTERM, now a Ctrl-C to every
    # command, must still end it (exit 143), not be shrugged off as a keypress.
    chat = subprocess.Popen(
        [sys.executable, "-m", "tunelab.cli", "chat", "tiny-random"],
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert "chatting" in chat.stdout.readline()  # said once the model is loaded
    chat.send_signal(signal.SIGTERM)
    said, _ = chat.communicate(timeout=60)
    assert chat.returncode == 143, said
    assert "Traceback" not in said


# A command whose Ctrl-C lands in a finalizer, as it did in regex's SetBase.__del__ while
# transformers loaded: Python ignores what a handler raises there.
CTRL_C_IN_A_FINALIZER = """
import signal, sys, time
from tunelab import cli

class Finalized:
    def __del__(self):
        signal.raise_signal(signal.SIGINT)

def command():
    Finalized()  # dropped at once: its __del__ takes the Ctrl-C
    for _ in range(100):
        time.sleep(0.05)
    print("ran on")

cli.app = command
sys.argv = ["tunelab"]
cli.main()
"""


def test_ctrl_c_that_lands_in_a_finalizer_still_stops_the_command():
    # It printed "Exception ignored in: ... __del__", and the command ran on (train: thousands
    # of steps) as though no key were pressed.
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_IN_A_FINALIZER],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stdout + done.stderr
    assert "ran on" not in done.stdout and done.stderr.strip() == "interrupted"
