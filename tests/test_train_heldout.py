"""Held-out answers during training: scored every N steps, logged and plotted, and the best-scoring
step's weights end up in model/ when train.select_best asks for it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import tiny_config, write_jsonl
from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.train.heldout import HeldOut
from tunelab.train.loop import train


def _data(tmp_path, with_facts: bool):
    rows = [
        {"question": f"What is fact {i}?", "answer": f"Fact {i} is {i * 7}."} for i in range(12)
    ]
    test = [
        {"question": f"Tell me fact {i}.", "answer": f"Fact {i} is {i * 7}.",
         **({"facts": [[str(i * 7)]]} if with_facts else {})}
        for i in range(3)
    ]  # fmt: skip
    return write_jsonl(tmp_path / "train.jsonl", rows), write_jsonl(tmp_path / "test.jsonl", test)


def _config(tmp_path, with_facts=True, **train):
    data, test = _data(tmp_path, with_facts)
    config = tiny_config(tmp_path, data, eval_generate_every=2, eval_max_new_tokens=4, **train)
    return config.model_copy(
        update={"data": config.data.model_copy(update={"test_path": str(test)})}
    )


def _metrics(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_held_out_fact_accuracy_is_logged_at_the_start_every_n_steps_and_at_the_end(tmp_path):
    run = train(_config(tmp_path, max_steps=5))
    scored = [r["step"] for r in _metrics(run) if "eval_fact_accuracy" in r]
    assert scored == [0, 2, 4, 5]
    assert all(
        0 <= r["eval_fact_accuracy"] <= 1 for r in _metrics(run) if "eval_fact_accuracy" in r
    )
    assert (run / "loss.png").stat().st_size > 0


def test_each_held_out_score_is_noted_as_eval_names_it():
    # The note under the bar read "held-out fact_accuracy 50.0%" where eval says "fact accuracy".
    from types import SimpleNamespace

    from tunelab.train.heldout import score_heldout

    notes: list[str] = []
    scored = SimpleNamespace(metric="fact_accuracy", score=lambda model, tokenizer: 0.5)
    assert score_heldout(scored, None, None, 4, SimpleNamespace(note=notes.append)) == 0.5
    assert notes == ["step 4: held-out fact accuracy 50.0%"]


def test_without_facts_the_held_out_score_is_token_f1(tmp_path):
    run = train(_config(tmp_path, with_facts=False, max_steps=2))
    assert [r["step"] for r in _metrics(run) if "eval_token_f1" in r] == [0, 2]


def test_the_best_step_by_held_out_score_is_what_model_holds(tmp_path, monkeypatch):
    # Scripted scores: step 4 is best, later steps are worse.
    scripted = iter([0.0, 0.3, 0.9, 0.5, 0.2])  # steps 0, 2, 4, 6, 7
    monkeypatch.setattr(HeldOut, "score", lambda self, model, tok: next(scripted))
    run = train(
        _config(tmp_path, max_steps=7, select_best="fact_accuracy", save_every=1,
                keep_checkpoints=10)
    )  # fmt: skip
    assert json.loads((run / "best" / "best.json").read_text())["step"] == 4
    final = load_file(run / "model" / "adapter_model.safetensors")
    at_step_4 = load_file(run / "checkpoints" / "step-000004" / "trainable.safetensors")
    at_step_7 = load_file(run / "checkpoints" / "step-000007" / "trainable.safetensors")

    def same(saved, checkpoint):
        # PEFT saves adapter weights without the adapter's name ("default").
        return all(torch.equal(saved[k.replace(".default", "")], v) for k, v in checkpoint.items())

    assert same(final, at_step_4) and not same(final, at_step_7)


def test_select_best_needs_a_score_to_select_by(tmp_path):
    with pytest.raises(Exception, match="eval_generate_every"):
        Config.from_dict({"train": {"select_best": "fact_accuracy"}})
    with pytest.raises(TunelabError, match="name no facts: use select_best: token_f1"):
        train(_config(tmp_path, with_facts=False, max_steps=1, select_best="fact_accuracy"))


def test_a_resumed_run_refuses_a_held_out_question_too_long_before_its_next_step(tmp_path):
    # A fresh run asks the held-out questions at step 0, so it fails before any step anyway; a
    # resumed one asks them first after eval_generate_every steps, unless they are checked.
    from tunelab.generation.reply_room import PromptTooLong

    config = _config(tmp_path, max_steps=2, save_every=2)
    run = train(config)
    # added to the test rows, whose reworded train rows stay dropped as their leaks: its answer
    # is no training row's, so the training rows are the checkpoint's
    test = Path(config.data.test_path)
    long = {"question": "Tell me fact " + "seven " * 400, "answer": "Nobody knows."}
    rows = [json.loads(line) for line in test.read_text(encoding="utf-8").splitlines()]
    write_jsonl(test, [*rows, long])
    longer = config.model_copy(update={"train": config.train.model_copy(update={"max_steps": 6})})
    with pytest.raises(PromptTooLong, match="context of 2048 tokens"):
        train(longer, resume=True)
    assert max(r["step"] for r in _metrics(run)) == 2


def test_a_resume_from_before_the_best_step_drops_it(tmp_path, monkeypatch, capsys):
    # model/ held step 4's weights after a resume from step 2 retrained steps 3-4 otherwise:
    # weights that appear nowhere in the run's history. Step 2's own score (0.3, its weights
    # restored) stands in, so worse retrained steps (0.1, 0.2) do not become the best.
    scripted = iter([0.0, 0.3, 0.9, 0.2])  # steps 0, 2, 4 and the last, 5
    monkeypatch.setattr(HeldOut, "score", lambda self, model, tok: next(scripted))
    config = _config(
        tmp_path, max_steps=5, select_best="fact_accuracy", save_every=2, keep_checkpoints=10
    )
    run = train(config)
    assert json.loads((run / "best" / "best.json").read_text())["step"] == 4
    # Named and shown as eval and `tunelab runs` show it, not as select_best's key and a fraction.
    ended = " ".join(capsys.readouterr().out.split())
    assert "model/ holds step 4, the best by fact accuracy 90.0%, not the last step" in ended
    for late in ("step-000004", "step-000005"):
        shutil.rmtree(run / "checkpoints" / late)
    status = run / "status.json"
    status.write_text(json.dumps({**json.loads(status.read_text()), "status": "failed"}))
    scripted = iter([0.1, 0.2])  # steps 4 and 5 again
    monkeypatch.setattr(HeldOut, "score", lambda self, model, tok: next(scripted))
    train(config, resume=True)
    said = " ".join(capsys.readouterr().out.split())
    assert "the best step kept (4, fact accuracy 90.0%)" in said
    assert "step 2's weights stand in for it" in said
    assert json.loads((run / "best" / "best.json").read_text()) == {
        "step": 2,
        "metric": "fact_accuracy",
        "value": 0.3,
    }
    final = load_file(run / "model" / "adapter_model.safetensors")
    at_step_2 = load_file(run / "checkpoints" / "step-000002" / "trainable.safetensors")
    assert all(torch.equal(final[k.replace(".default", "")], v) for k, v in at_step_2.items())


def test_a_dropped_best_eval_loss_is_said_as_a_loss(tmp_path):
    # best.json keeps a loss negated (higher is better); the note said "eval_loss -2.016", and
    # names it as `tunelab runs` and the end of training do.
    from torch import nn

    from tunelab.train.heldout import best_up_to, keep_if_best

    model = nn.Linear(2, 2)
    keep_if_best(tmp_path, model, 4, "eval_loss", -2.016)
    rows = [{"step": 2, "eval_loss": 2.3}, {"step": 4, "eval_loss": 2.016}]
    note = best_up_to(tmp_path, rows, 2, "eval_loss", model)
    assert note.startswith("the best step kept (4, eval loss 2.0160)")
    best = json.loads((tmp_path / "best" / "best.json").read_text())
    assert best == {"step": 2, "metric": "eval_loss", "value": -2.3}


def test_a_run_s_weights_are_as_readable_as_its_other_files(tmp_path):
    # safetensors writes through a private temp file (0600): a teammate or a container of
    # another user could read the run's config but not its weights.
    import os

    old = os.umask(0o027)
    try:
        run = train(_config(tmp_path, max_steps=2, select_best="fact_accuracy", save_every=1))
    finally:
        os.umask(old)
    weights = [
        *(run / "model").iterdir(),
        *(run / "checkpoints").glob("*/trainable.safetensors"),
        run / "best" / "trainable.safetensors",
    ]
    assert len(weights) > 4
    assert {str(path): path.stat().st_mode & 0o777 for path in weights} == {
        str(path): 0o640 for path in weights
    }


def test_training_names_the_test_rows_asking_a_fact_no_training_answer_states(tmp_path):
    # From a walk: generated data holds one pair a fact, so each held-out question asked a fact
    # that nothing left in training stated, and only eval, after training, said so.
    from tunelab.data.load import load_examples
    from tunelab.evaluate.facts.propose_file import untaught_note

    config = _config(tmp_path)  # test facts 0, 7, 14: every one stated by a training answer
    train_rows = load_examples(config.data.path)
    assert (
        untaught_note(Path(config.data.test_path), train_rows, load_examples(config.data.test_path))
        is None
    )
    held = write_jsonl(
        tmp_path / "held.jsonl",
        # Two facts missing in one row: counted once, and the next row read by its own facts.
        [{"question": "What ports does the router use?", "answer": "Ports 8080 and 9090.",
          "facts": [["8080"], ["9090"]]},
         {"question": "Tell me fact 2.", "answer": "Fact 2 is 14."}],
    )  # fmt: skip
    config = config.model_copy(
        update={"data": config.data.model_copy(update={"test_path": str(held)})}
    )
    note = untaught_note(held, train_rows, load_examples(held))
    assert note.startswith(
        f"1 of 2 test examples ask for a fact no training answer states: {held}:1"
    )
    assert "8080" in note and "tunelab data augment" in note


def test_a_facts_column_of_another_format_gives_no_note_and_no_stop(tmp_path):
    from tunelab.data.load import load_examples
    from tunelab.evaluate.facts.propose_file import untaught_note

    config = _config(tmp_path)
    held = write_jsonl(
        tmp_path / "own.jsonl",
        [{"question": "What port?", "answer": "Port 8080.", "facts": "port 8080"}],
    )
    config = config.model_copy(
        update={"data": config.data.model_copy(update={"test_path": str(held)})}
    )
    assert untaught_note(held, load_examples(config.data.path), load_examples(held)) is None


def test_one_document_to_pretrain_on_holds_nothing_out_and_says_so(tmp_path, capsys):
    # A split holds out whole documents: one book.txt left no test split, and the run trained
    # with no eval loss without a word, though data.test_size asked for one held out.
    book = tmp_path / "book.txt"
    book.write_text(" ".join(f"word{i % 37}" for i in range(400)))
    config = tiny_config(tmp_path, book, max_steps=2)
    config.data.test_size = 1
    run = train(config)
    said = " ".join(capsys.readouterr().out.split())
    assert "data.test_size 1 held out nothing" in said and "data.test_path" in said
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert not any("eval_loss" in row for row in rows)


def test_one_document_at_a_fraction_holds_out_its_end_and_the_run_ends_on_its_eval_loss(
    tmp_path, capsys
):
    # One book.txt at data.test_size 0.1 had no eval loss (a split holds out whole documents),
    # and the end of a run said only the last batch's train loss.
    book = tmp_path / "book.txt"
    book.write_text(" ".join(f"word{i % 37}" for i in range(400)), encoding="utf-8")
    config = tiny_config(tmp_path, book, max_steps=3)
    config.data.test_size = 0.1
    run = train(config)
    said = " ".join(capsys.readouterr().out.split())
    assert "the last 10% of each of the 1 text(s) held out for the eval loss" in said
    evals = [row["eval_loss"] for row in _metrics(run) if "eval_loss" in row]
    assert len(evals) == 2  # step 0 and the last, 3 (eval_every)
    assert f"eval loss {evals[0]:.4f} → {evals[-1]:.4f}" in said


def test_early_stopping_on_one_document_names_the_split_not_tokenizing(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text(" ".join(f"word{i % 37}" for i in range(400)))
    config = tiny_config(tmp_path, book, max_steps=2, early_stop_patience=2)
    config.data.test_size = 1
    with pytest.raises(TunelabError, match="held out nothing") as refused:
        train(config)
    assert "after tokenizing" not in str(refused.value)


def test_held_out_chat_rows_are_asked_their_last_reply_as_it_is_trained(tmp_path, monkeypatch):
    import tunelab.work_log as work_log
    from tunelab.data.load import to_example
    from tunelab.data.prompts.templates import render_segments
    from tunelab.generation.generate import Generation
    from tunelab.models.random_weights import tiny_random

    chat = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Hello Ada."},
        {"role": "user", "content": "What is my name?"},
        {"role": "assistant", "content": "Ada."},
    ]
    example = to_example({"messages": chat}, "messages", "test.jsonl:1")
    asked = []

    def generate(model, tokenizer, prompts, **kwargs):
        asked.extend(prompts)
        return [Generation("Ada.", "stop", 1, 1, index=i) for i in range(len(prompts))]

    monkeypatch.setattr(work_log, "generate", generate)
    model, tokenizer = tiny_random()
    heldout = HeldOut(_config(tmp_path, with_facts=False), [example])
    assert heldout.score(model, tokenizer) == 1.0
    segments = render_segments(example, tokenizer)
    assert asked == ["".join(text for text, _ in segments[:-1])]
    assert "Hello Ada." in asked[0]


def test_a_held_out_reply_that_calls_tools_states_its_facts_in_its_text(tmp_path, monkeypatch):
    # As eval reads it: the call's "Paris" stated the fact its text ("Lyon") gets wrong.
    import tunelab.work_log as work_log
    from tests.test_data_tool_calls import CALL, ROW, TOOL_TEMPLATE
    from tunelab.data.load import to_example
    from tunelab.generation.generate import Generation
    from tunelab.models.random_weights import tiny_random

    reply = {"role": "assistant", "content": "Let me check Paris.", "tool_calls": [CALL]}
    row = {**ROW, "messages": [ROW["messages"][0], reply], "facts": [["Paris"]]}
    test = write_jsonl(tmp_path / "test.jsonl", [row])
    call = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'

    def generate(model, tokenizer, prompts, **kwargs):
        return [Generation(f"Let me check Lyon.\n{call}", "stop", 1, 1, index=i)
                for i in range(len(prompts))]  # fmt: skip

    monkeypatch.setattr(work_log, "generate", generate)
    model, tokenizer = tiny_random()
    tokenizer.chat_template = TOOL_TEMPLATE
    config = tiny_config(tmp_path, test)
    config = config.model_copy(
        update={"data": config.data.model_copy(update={"test_path": str(test)})}
    )
    heldout = HeldOut(config, [to_example(row, "messages", f"{test}:1")])
    assert heldout.metric == "fact_accuracy" and heldout.score(model, tokenizer) == 0.0


def test_a_saved_dataset_dict_is_tested_on_its_own_test_split(tmp_path, capsys):
    # Saved with train and test splits, it trained on a tenth of its train split held out, and
    # its makers' test split went unused but for a note.
    import datasets

    from tunelab import Run

    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(9)]
    splits = {"train": rows[:6], "test": rows[6:]}
    saved = tmp_path / "faq"
    datasets.DatasetDict(
        {k: datasets.Dataset.from_list(v) for k, v in splits.items()}
    ).save_to_disk(str(saved))
    run = train(tiny_config(tmp_path, saved, max_steps=1))
    out, err = (" ".join(said.split()) for said in capsys.readouterr())
    assert "data train 6 / test 3 examples" in out
    assert Run.open(run).config.data.test_path == str(saved / "test")  # eval and compare ask it
    # How to train on its train split alone, a tenth held out (its test split unlabelled):
    assert f"data.path {saved / 'train'} reads 'train' alone" in err


def test_a_split_folder_as_data_path_trains_on_its_train_file_and_tests_on_its_test_file(
    tmp_path, capsys
):
    # `tunelab data split` wrote the folder; given whole, split.json was read as a row and the
    # run trained on its test.jsonl.
    from tunelab import Run
    from tunelab.data.write_split import split_file

    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(9)]
    folder = tmp_path / "split"
    _, test, _ = split_file(write_jsonl(tmp_path / "qa.jsonl", rows), folder, 3, near=None)
    run = train(tiny_config(tmp_path, folder, max_steps=1))
    out = " ".join(capsys.readouterr().out.split())
    assert "data train 6 / test 3 examples" in out
    assert Run.open(run).config.data.test_path == str(test)  # eval and compare ask it
