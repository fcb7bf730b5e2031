"""Progress bars tell the time left from the average pace so far, even when each step takes
longer than rich's 30-second window (a training step of 80 s showed `-:--:--` forever)."""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.progress import Task, TaskID

from tunelab.generation.generate import Generation
from tunelab.models.load import load_pretrained
from tunelab.models.random_weights import tiny_random
from tunelab.progress import TimeLeftColumn, answer_bars, counting


def _task(completed: int, elapsed: float, start: int = 0) -> Task:
    task = Task(
        TaskID(0), "train", 28, completed, _get_time=lambda: 1000.0, fields={"done_before": start}
    )
    task.start_time = 1000.0 - elapsed
    return task


def test_time_left_is_the_average_pace_of_the_steps_done():
    assert str(TimeLeftColumn().render(_task(7, 7 * 80.0))) == "0:28:00"  # 21 steps x 80 s
    # A resumed run: 5 steps were done before; 2 took 160 s here, 21 are left.
    assert str(TimeLeftColumn().render(_task(7, 160.0, start=5))) == "0:28:00"
    assert str(TimeLeftColumn().render(_task(0, 30.0))) == "-:--:--"
    assert str(TimeLeftColumn().render(_task(28, 900.0))) == "0:00:00"


def test_a_resumed_training_bar_shows_the_time_left_of_this_sessions_pace():
    import time

    from tunelab.train.progress import TrainProgress

    out = io.StringIO()
    progress = TrainProgress(28, done=5, console=Console(file=out, width=120))
    with progress:
        time.sleep(0.05)
        progress.update(6, 1.5, 1e-4, 15.0)
    assert "6/28" in out.getvalue() and "-:--:--" not in out.getvalue()


def test_answering_shows_questions_done_and_tokens_per_second():
    out = io.StringIO()
    bars = answer_bars(Console(file=out, width=120))
    with bars:
        on_batch = counting(bars, "answering", 3)
        on_batch([Generation("a", "stop", 5, 10), Generation("b", "stop", 5, 10)])
        on_batch([Generation("c", "length", 5, 20)])
    shown = out.getvalue()
    assert "answering" in shown and "3/3" in shown and "tok/s" in shown
    assert bars.tasks[0].fields["tps"] != "-"


def test_the_answering_rate_counts_tokens_as_they_are_made_not_as_answers_finish():
    # Counted from finished answers alone, eval's bar read "0 tok/s" while 64 answers were
    # being written, and "2 tok/s" after the first short one.
    from tunelab.generation.generate import generate

    model, tokenizer = tiny_random()
    bars = answer_bars(Console(file=io.StringIO(), width=120))
    shown = []  # (answers done, tok/s shown) after each decode step

    with bars:
        count = counting(bars, "answering", 3)

        def on_step(tokens: int) -> None:
            count.step(tokens)
            shown.append((bars.tasks[0].completed, bars.tasks[0].fields["tps"]))

        prompts = ["Question: what is tunelab?", "Question: how do I train?", "Hello there"]
        generate(model, tokenizer, prompts, max_new_tokens=8, on_batch=count, on_step=on_step)
    done, rate = shown[0]
    assert done == 0 and float(rate) > 0  # after the first step, no answer finished yet
    assert bars.tasks[0].completed == 3


def test_answers_logged_to_a_file_say_how_far_they_are_as_they_go():
    # Piped to a log, eval's and compare's bars drew nothing until the end: compare's RAG arm on
    # 30 lamini_docs questions was 2 min 44 s of silence.
    out = io.StringIO()
    bars = answer_bars(Console(file=out, width=120))
    with bars:
        on_batch = counting(bars, "prompting + RAG", 30)
        for i in range(1, 11):
            on_batch([Generation(f"a{i}", "stop", 5, 10), Generation(f"b{i}", "stop", 5, 10)])
            if i == 3:
                assert "prompting + RAG 6/30  " in out.getvalue()
    # A line at the first count past each tenth (3, 6, 9...), as the answers come in twos.
    said = [line.split()[3] for line in out.getvalue().splitlines() if "elapsed" in line]
    assert said == ["4/30", "6/30", "10/30", "12/30", "16/30", "18/30"]


def test_a_run_named_with_brackets_is_counted_under_its_name():
    # "answering (exp[v2])" showed as "answering (exp)", on the bar and in a log's lines.
    for terminal in (True, False):
        out = io.StringIO()
        bars = answer_bars(Console(file=out, width=120, force_terminal=terminal))
        with bars:
            on_batch = counting(bars, "answering (exp[v2])", 2)
            on_batch([Generation("a", "stop", 5, 10), Generation("b", "stop", 5, 10)])
        assert "answering (exp[v2]) " in re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())


def test_a_training_log_says_how_long_is_left_as_its_bar_does():
    # Piped to a file, a 25-step LoRA run printed "step 4/25 ... 4:36 elapsed" and never when
    # it would end, which the terminal's bar shows.
    from tunelab.train.progress import TrainProgress

    out = io.StringIO()
    progress = TrainProgress(20, console=Console(file=out, width=120))
    with progress:
        progress._progress.tasks[0].start_time -= 60.0  # as if the first steps took a minute
        progress.update(2, 1.5, 1e-4, 15.0)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("step 2/20"))
    assert line.endswith(", ~9:00 left")  # 18 steps left at 30 s each


def test_answers_logged_to_a_file_say_how_long_is_left():
    out = io.StringIO()
    bars = answer_bars(Console(file=out, width=120))
    with bars:
        on_batch = counting(bars, "answering", 10)
        on_batch([Generation("a", "stop", 5, 10)])
    assert re.search(r"answering 1/10 .* elapsed, ~\d+:\d\d left", out.getvalue())


def test_loading_a_model_shows_no_bar_but_tunelabs_own(tmp_path, capfd):
    """transformers' "Loading weights" bar was a second bar beside tunelab's on every command that
    loads a model (272 steps for the embedded one, done in under a second)."""
    model, tokenizer = tiny_random()
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    capfd.readouterr()
    load_pretrained(str(tmp_path))
    assert "Loading weights" not in capfd.readouterr().err


def test_exporting_a_run_shows_no_bar_of_transformers(tmp_path, capfd):
    # `tunelab export --merged` printed "Writing model shards: 100%|█████| 1/1" in the middle of
    # its own lines (and so did a GGUF file's first load, dequantized into the cache).
    import tunelab
    from tests.conftest import tiny_run
    from tests.test_run import QA

    run = tiny_run(tmp_path, QA)
    capfd.readouterr()
    tunelab.export(run, merged=str(tmp_path / "merged"))
    assert (tmp_path / "merged" / "model.safetensors").is_file()
    assert "Writing model shards" not in capfd.readouterr().err


def test_the_eval_loss_shows_its_batches_on_a_second_bar_removed_when_done():
    # The training bar sat still for minutes while a large test split was scored.
    from tunelab.train.progress import TrainProgress

    out = io.StringIO()
    terminal = Console(file=out, width=120, force_terminal=True, color_system=None)
    progress = TrainProgress(6, console=terminal)
    with progress:
        with progress.eval_bar() as on_batch:
            on_batch(0, 40)
            on_batch(12, 40)
        progress.update(1, 1.5, 1e-4, 15.0)
    shown = out.getvalue()
    assert "eval loss" in shown and "12/40 batches" in shown
    last_frame = shown.rsplit("\x1b[2K", 1)[-1]
    assert "1/6" in last_frame and "eval loss" not in last_frame


def test_training_counts_each_eval_loss_batch_at_step_0_and_every_eval_every(
    tmp_path, qa_file, monkeypatch
):
    from tests.conftest import tiny_config
    from tunelab.train import loop

    real, evals = loop.evaluate_loss, []

    def counted(*args, **kwargs):
        args, on_batch, seen = list(args), args[6], []
        evals.append(seen)
        args[6] = lambda done, total: (seen.append((done, total)), on_batch(done, total))
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "evaluate_loss", counted)
    # Two test rows, one a batch: two batches, at steps 0, 3 and 6.
    loop.train(tiny_config(tmp_path, qa_file, max_steps=6, eval_every=3, batch_size=1))
    assert evals == [[(0, 2), (1, 2), (2, 2)]] * 3


def test_training_logged_to_a_file_says_its_steps_as_it_goes():
    # Piped to a log (nohup, CI, Slurm), the bar draws nothing until the end: a newcomer's 20
    # steps of 15 s showed "step 0: eval loss 1.7069" and then nothing for five minutes.
    from tunelab.train.progress import TrainProgress

    out = io.StringIO()
    progress = TrainProgress(20, console=Console(file=out, width=120))
    with progress:
        for step in range(1, 11):
            progress.update(step, 1.5, 1e-4, 15.0)
            if step == 2:
                assert "step 2/20  loss 1.5000" in out.getvalue()
    said = [line for line in out.getvalue().splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in said] == ["2/20", "4/20", "6/20", "8/20", "10/20"]


def test_bars_are_drawn_in_the_width_of_the_terminal_they_are_drawn_in(monkeypatch, capsys):
    # compare's bars ran past an 80-column terminal in a process whose first command had met a
    # 300-column one: rich's process-wide console keeps the width it first reads.
    import rich

    monkeypatch.setattr(rich, "_console", None)
    monkeypatch.setenv("COLUMNS", "300")
    rich.get_console().print("a command in a wide terminal")
    monkeypatch.setenv("COLUMNS", "80")
    with answer_bars() as bars:
        bars.add_task("prompting + RAG", total=4, completed=4, tps="1024")
    drawn = capsys.readouterr().out.splitlines()
    assert "prompting + RAG" in drawn[-1] and "4/4 1024 tok/s" in drawn[-1]
    assert all(len(line) <= 80 for line in drawn), drawn
