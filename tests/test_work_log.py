"""An eval or compare cut short asks only the questions left when run again, and gets the answers
an uninterrupted run gets; a log of other weights or settings is never reused."""

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import tiny_run
from tunelab.evaluate.suite import ANSWER_LOG, EvalConfig, evaluate
from tunelab.generation.generate import generate
from tunelab.models.random_weights import tiny_random
from tunelab.work_log import AnswerLog, WorkLog, generate_logged

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def _prompts(n: int) -> list[str]:
    return [f"question number {i} about {'cats' if i % 2 else 'dogs'}?" for i in range(n)]


def test_a_resumed_generation_equals_an_uninterrupted_one_and_asks_only_the_rest(tmp_path):
    model, tokenizer = tiny_random()
    prompts = _prompts(9)
    straight = generate(model, tokenizer, prompts, max_new_tokens=12, batch_size=4)

    log = AnswerLog.for_model(tmp_path / "log.jsonl", model, max_new_tokens=12)
    made = []

    def stop_after_three(batch):
        made.extend(batch)
        if len(made) >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_logged(
            model,
            tokenizer,
            prompts,
            log,
            max_new_tokens=12,
            batch_size=4,
            on_batch=stop_after_three,
        )
    kept = len(made)
    again = AnswerLog.for_model(tmp_path / "log.jsonl", model, max_new_tokens=12)
    assert len(again.answers) == kept and again.resumed()

    seen = []
    resumed = generate_logged(
        model, tokenizer, prompts, again, max_new_tokens=12, batch_size=4, on_batch=seen.extend
    )
    assert [g.text for g in resumed] == [g.text for g in straight]
    assert [g.finish_reason for g in resumed] == [g.finish_reason for g in straight]
    assert sum(g.from_log for g in seen) == kept  # read back, not asked again
    assert sum(not g.from_log for g in seen) == len(prompts) - kept


def test_other_weights_or_settings_start_the_log_afresh(tmp_path):
    model, tokenizer = tiny_random()
    path = tmp_path / "log.jsonl"
    generate_logged(
        model, tokenizer, _prompts(3), AnswerLog.for_model(path, model, max_new_tokens=5),
        max_new_tokens=5,
    )  # fmt: skip
    assert len(AnswerLog.for_model(path, model, max_new_tokens=5).answers) == 3
    longer = AnswerLog.for_model(path, model, max_new_tokens=6)
    assert not longer.answers and longer.restarted
    other, _ = tiny_random(seed=1)
    fresh = AnswerLog.for_model(path, other, max_new_tokens=6)
    assert not fresh.answers and fresh.restarted
    with_a_step = tiny_random()[0]
    with_a_step.lm_head.weight.data[0, 0] += 1.0  # one value moved, as a training step does
    assert AnswerLog.for_model(path, model, max_new_tokens=7).header != (
        AnswerLog.for_model(tmp_path / "other.jsonl", with_a_step, max_new_tokens=7).header
    )


def test_a_line_cut_short_by_a_crash_is_asked_again(tmp_path):
    model, tokenizer = tiny_random()
    path = tmp_path / "log.jsonl"
    prompts = _prompts(4)
    generate_logged(
        model, tokenizer, prompts, AnswerLog.for_model(path, model, max_new_tokens=5),
        max_new_tokens=5,
    )  # fmt: skip
    text = path.read_text()
    path.write_text(text[: len(text) - 15])  # the last answer's line cut mid-write
    log = AnswerLog.for_model(path, model, max_new_tokens=5)
    assert len(log.answers) == 3
    out = generate_logged(model, tokenizer, prompts, log, max_new_tokens=5)
    assert len(out) == 4 and all(g is not None for g in out)


def test_an_interrupted_eval_resumes_and_leaves_no_log_once_done(tmp_path, monkeypatch):
    from tunelab.generation import generate as generation

    run = tiny_run(tmp_path, QA)
    out = tmp_path / "eval"
    cfg = EvalConfig(output=str(out), max_new_tokens=8, batch_size=2, analyse=False)
    straight = evaluate(run, cfg.model_copy(update={"output": str(tmp_path / "straight")}))
    assert not (tmp_path / "straight" / ANSWER_LOG).exists()

    real = generation.generate
    calls = []

    def cut_short(*args, on_batch=None, **kwargs):
        def interrupt(batch):
            on_batch(batch)
            raise KeyboardInterrupt

        calls.append(len(args[2]))
        return real(*args, on_batch=interrupt, **kwargs)

    monkeypatch.setattr("tunelab.work_log.generate", cut_short)
    with pytest.raises(KeyboardInterrupt):
        evaluate(run, cfg)
    lines = (out / ANSWER_LOG).read_text().splitlines()
    assert len(lines) >= 2 and "weights" in json.loads(lines[0])
    monkeypatch.setattr("tunelab.work_log.generate", real)

    resumed = evaluate(run, cfg)
    assert [r["answer"] for r in resumed.rows] == [r["answer"] for r in straight.rows]
    assert resumed.summary == straight.summary
    assert not (out / ANSWER_LOG).exists()


def test_an_interrupted_bench_scores_only_the_choices_left(tmp_path, monkeypatch):
    from tunelab.evaluate.bench import loglik
    from tunelab.evaluate.bench.score import BenchConfig, bench

    fixtures = Path(__file__).parent / "fixtures" / "eval"
    tasks = ["arc_easy", "mmlu"]

    def config(out):
        return BenchConfig(tasks=tasks, data_dir=fixtures, output=out, log_samples=True)

    straight = bench(["tiny-random"], config(tmp_path / "straight"))
    assert not list((tmp_path / "straight").glob("scores.partial/*"))

    def stop_after_first_task(model, result):
        raise KeyboardInterrupt

    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        bench(["tiny-random"], config(out), on_task=stop_after_first_task)
    [log] = list(out.glob("scores.partial/*.jsonl"))
    kept = len(log.read_text().splitlines()) - 1
    assert kept > 0

    real, asked, notes = loglik.loglikelihoods, [], []

    def counted(model, tokenizer, requests, **kwargs):
        asked.append(sum(len(r.continuations) for r in requests))
        return real(model, tokenizer, requests, **kwargs)

    monkeypatch.setattr(loglik, "loglikelihoods", counted)
    progress = []
    resumed = bench(
        ["tiny-random"],
        config(out),
        on_progress=lambda model, task, done, total: progress.append((task, done, total)),
        on_note=notes.append,
    )
    assert notes and f"{kept} scored choices kept" in notes[0]
    # The bar counts the questions the log answered as done, of all the task's questions.
    assert [p for p in progress if p[0] == "arc_easy"] == [("arc_easy", 3, 3)]
    assert asked[0] == 0  # arc_easy came from the log; mmlu was scored afresh
    assert resumed[0]["scores"] == straight[0]["scores"]
    for task in tasks:
        a = (tmp_path / "straight" / "samples" / "tiny-random" / f"{task}.jsonl").read_text()
        b = (out / "samples" / "tiny-random" / f"{task}.jsonl").read_text()
        flat = [
            [ll for x in t.splitlines() for ll in json.loads(x)["loglikelihoods"]] for t in (a, b)
        ]
        assert flat[1] == pytest.approx(flat[0], abs=1e-4)
    assert not log.exists()


def test_answers_made_after_a_line_cut_short_are_kept_even_when_the_cut_splits_a_character(
    tmp_path,
):
    model, tokenizer = tiny_random()
    path = tmp_path / "log.jsonl"
    prompts = [f"Was kostet Käse Nummer {i}?" for i in range(4)]
    generate_logged(
        model, tokenizer, prompts, AnswerLog.for_model(path, model, max_new_tokens=5),
        max_new_tokens=5,
    )  # fmt: skip
    data = path.read_bytes()
    path.write_bytes(data[: data.rfind("ä".encode()) + 1])  # power lost inside the last "ä"
    log = AnswerLog.for_model(path, model, max_new_tokens=5)
    assert len(log.answers) == 3
    generate_logged(model, tokenizer, prompts, log, max_new_tokens=5)
    assert len(AnswerLog.for_model(path, model, max_new_tokens=5).answers) == 4


def test_a_second_command_on_the_same_folder_with_other_settings_never_reads_the_first_s_answers(
    tmp_path,
):
    model, tokenizer = tiny_random()
    path = tmp_path / "log.jsonl"
    first = AnswerLog.for_model(path, model, max_new_tokens=5)
    AnswerLog.for_model(path, model, max_new_tokens=9)  # started meanwhile: rewrites the header
    generate_logged(model, tokenizer, _prompts(2), first, max_new_tokens=5)  # still appending
    assert not AnswerLog.for_model(path, model, max_new_tokens=9).answers


def test_weights_that_differ_only_off_the_first_column_or_in_buffers_get_other_fingerprints():
    import torch

    from tunelab.work_log import weights_fingerprint

    class Adapter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lora_B = torch.nn.Parameter(torch.zeros(4096, 16))  # B = 0 until trained
            self.register_buffer("qweight", torch.zeros(64, 64))  # as GPTQ layers keep weights

    untrained, trained, quantized = Adapter(), Adapter(), Adapter()
    trained.lora_B.data[:, 1:] = 0.01
    quantized.qweight += 1
    assert len({weights_fingerprint(m) for m in (untrained, trained, quantized)}) == 3


def test_a_log_cut_short_in_its_header_is_not_taken_for_one_of_other_weights(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"weights": "0123')  # the crash came right after the log was begun
    log = WorkLog(path, {"weights": "0123456789abcdef"})
    assert not log.restarted and log.resumed() is None
    assert json.loads(path.read_text()) == {"weights": "0123456789abcdef"}


def test_a_ctrl_c_during_a_later_model_keeps_the_earlier_model_s_scores(tmp_path, monkeypatch):
    # Each model's log went when its tasks were done, the leaderboard only at the end: a Ctrl-C
    # during the second model scored the first from scratch again.
    from tunelab.evaluate.bench import loglik
    from tunelab.evaluate.bench.score import BenchConfig, bench
    from tunelab.models.random_weights import tiny_random

    tiny_random()[0].save_pretrained(tmp_path / "other")
    tiny_random()[1].save_pretrained(tmp_path / "other")
    fixtures = Path(__file__).parent / "fixtures" / "eval"
    config = BenchConfig(tasks=["arc_easy"], data_dir=fixtures, output=tmp_path / "out")
    models = ["tiny-random", str(tmp_path / "other")]

    def stop_at_the_second_model(model, result):
        if model == models[1]:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bench(models, config, on_task=stop_at_the_second_model)
    real, asked = loglik.loglikelihoods, []

    def counted(model, tokenizer, requests, **kwargs):
        asked.append(sum(len(r.continuations) for r in requests))
        return real(model, tokenizer, requests, **kwargs)

    monkeypatch.setattr(loglik, "loglikelihoods", counted)
    bench(models, config)
    assert asked == [0, 0]  # both models' choices came from their logs
    assert not list((tmp_path / "out").glob("scores.partial/*.jsonl"))
    import gc

    from tunelab.work_log import OPEN_LOGS

    gc.collect()  # a long-lived process (a notebook) keeps no finished bench's records
    assert not [log for log in OPEN_LOGS if str(tmp_path) in str(log.path)]


def test_a_ctrl_c_says_what_the_rerun_will_not_redo(tmp_path, capsys, monkeypatch):
    # eval, compare and bench exited 130 saying nothing, though they kept their work.
    import sys

    from tunelab import cli
    from tunelab.work_log import WorkLog

    log = WorkLog(tmp_path / "answers.partial.jsonl", {"weights": "x"}, "answers")
    log.add("What is packing?", "Rows hold several documents.")

    def cut_short():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", cut_short)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    said = capsys.readouterr().err
    assert stop.value.code == 130
    assert f"1 answers in {tmp_path / 'answers.partial.jsonl'}" in said  # other tests' logs too
    log.remove()
    with pytest.raises(SystemExit):
        cli.main()
    assert str(tmp_path) not in capsys.readouterr().err
    assert log not in sys.modules["tunelab.work_log"].OPEN_LOGS


def test_a_ctrl_c_inside_a_typer_command_says_what_it_kept(tmp_path, capsys, monkeypatch):
    # typer turns a KeyboardInterrupt inside a command into exit 130 itself, so the handler
    # above never ran for `tunelab eval` or `compare` (a user's walk: they said nothing).
    import typer

    from tunelab import cli
    from tunelab.work_log import WorkLog

    log = WorkLog(tmp_path / "answers.partial.jsonl", {"weights": "x"}, "answers")
    log.add("What is packing?", "Rows hold several documents.")
    app = typer.Typer()

    @app.command()
    def answer() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", app)
    monkeypatch.setattr(sys, "argv", ["tunelab"])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 130
    assert f"1 answers in {tmp_path / 'answers.partial.jsonl'}" in capsys.readouterr().err
    log.remove()


def test_an_answer_the_log_got_earlier_in_the_same_run_counts_as_not_made_now(tmp_path):
    # compare's RAG arm asks a question no passage fit with the plain arm's very prompt: its
    # answer came from the log but counted as made, so its s/question read 0.00.
    model, tokenizer = tiny_random()
    log = AnswerLog.for_model(tmp_path / "log.jsonl", model, max_new_tokens=4)
    first = generate_logged(model, tokenizer, _prompts(2), log, max_new_tokens=4)
    again = generate_logged(model, tokenizer, _prompts(2), log, max_new_tokens=4)
    assert not any(g.from_log for g in first) and all(g.from_log for g in again)
    assert [g.text for g in again] == [g.text for g in first]


def test_one_result_kept_is_said_in_the_singular(tmp_path):
    log = WorkLog(tmp_path / "log.jsonl", {"weights": "0123"}, what="answers")
    log.add("q1", "a1")
    again = WorkLog(tmp_path / "log.jsonl", {"weights": "0123"}, what="answers")
    assert again.resumed().startswith("1 answer kept from an interrupted run")
    again.add("q2", "a2")
    assert (
        WorkLog(tmp_path / "log.jsonl", {"weights": "0123"}, what="answers")
        .resumed()
        .startswith("2 answers kept")
    )
