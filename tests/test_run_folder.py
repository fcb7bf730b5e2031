"""What a run folder keeps for the commands after training, read from any folder: its data
paths, held-out rows and base model as training read them, and what a run that saved no model
yet (killed, or still training) is told."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from tests.conftest import QA_PAIRS, tiny_config, write_jsonl
from tunelab.run_files import STATUS_FILE


def test_a_run_killed_before_it_saved_a_model_is_named_as_such(tmp_path):
    # eval/chat/serve/export on it blamed a missing tokenizer library (sentencepiece).
    from tunelab.errors import TunelabError
    from tunelab.run import load_model

    run = tmp_path / "runs" / "killed"
    run.mkdir(parents=True)
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(run / "config.yaml")
    (run / "metrics.jsonl").write_text('{"step": 0, "eval_loss": 5.0}\n')
    with pytest.raises(
        TunelabError, match=r"saved no model yet .* no checkpoint either.*--overwrite"
    ):
        load_model(str(run))
    (run / "checkpoints" / "step-000002").mkdir(parents=True)
    (run / "checkpoints" / "step-000002" / "state.json").write_text("{}")
    with pytest.raises(TunelabError, match=r"saved no model yet .* --resume` continues it"):
        load_model(str(run))
    # A run of 2 processes resumes as it was launched (one process is refused: half the rows).
    (run / "checkpoints" / "step-000004").mkdir(parents=True)
    (run / "checkpoints" / "step-000004" / "state.json").write_text('{"processes": 2}')
    with pytest.raises(TunelabError, match=r"`torchrun --nproc_per_node 2 -m tunelab.cli train"):
        load_model(str(run))


def test_a_run_still_training_is_named_as_such_not_as_stopped(tmp_path):
    # eval of a run mid-training said it "stopped before writing model/" and to resume it.
    import os
    import socket

    from tunelab.errors import TunelabError
    from tunelab.run import load_model

    run = tmp_path / "runs" / "busy"
    (run / "checkpoints" / "step-000002").mkdir(parents=True)
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(run / "config.yaml")
    status = {"status": "running", "step": 2, "pid": os.getpid(), "host": socket.gethostname()}
    (run / STATUS_FILE).write_text(json.dumps(status))
    with pytest.raises(TunelabError, match=r"a run still training \(process \d+ on .*when it ends"):
        load_model(str(run))


def test_a_runs_data_is_found_from_any_folder_and_its_resume_still_matches(tmp_path, monkeypatch):
    # config.yaml kept data paths relative to the folder training ran in: eval and compare run
    # elsewhere found nothing, or retrieved from another file of the same name.
    from tunelab.config import Config
    from tunelab.run import Run
    from tunelab.train.loop import train

    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    write_jsonl(work / "data" / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])
    monkeypatch.chdir(work)
    config = tiny_config(work, Path("data/qa.jsonl"), max_steps=2, save_every=1)
    run = train(config)
    monkeypatch.chdir(tmp_path)
    saved = Run.open(run).config.data.path
    assert saved == str(work / "data" / "qa.jsonl") and Path(saved).is_file()
    monkeypatch.chdir(work)  # the same relative config still resumes
    longer = Config.from_dict(
        {**config.model_dump(), "train": {**config.train.model_dump(), "max_steps": 3}}
    )
    train(longer, resume=True)


def test_the_rows_a_run_held_out_are_its_test_questions(tmp_path):
    # A run split by data.test_size (examples/lora.yaml) had "no test data" for eval and compare.
    from tunelab.evaluate.suite import EvalConfig, evaluate
    from tunelab.run import Run
    from tunelab.run_files import HELD_OUT
    from tunelab.train.loop import train

    qa = write_jsonl(
        tmp_path / "qa.jsonl",
        [{"question": q, "answer": a, "facts": [[a.split()[0]]]} for q, a in QA_PAIRS],
    )
    run = train(tiny_config(tmp_path, qa, max_steps=2))
    held = [json.loads(line) for line in (run / HELD_OUT).read_text().splitlines()]
    assert len(held) == 2 and all("facts" in row for row in held)  # rows as the file has them
    assert Run.open(run).test_path == str(run / HELD_OUT)
    result = evaluate(run, EvalConfig(max_new_tokens=2))
    assert [r["question"] for r in result.rows] == [row["question"] for row in held]
    assert "fact_accuracy" in result.summary


def test_a_run_killed_before_model_on_two_machines_is_named_with_its_launch(tmp_path):
    # The hint named `torchrun --nproc_per_node 16` for a run of 2 machines x 8 processes.
    from tunelab.errors import TunelabError
    from tunelab.run import load_model

    run = tmp_path / "runs" / "killed"
    (run / "checkpoints" / "step-000004").mkdir(parents=True)
    tiny_config(tmp_path, tmp_path / "qa.jsonl").to_yaml(run / "config.yaml")
    (run / "metrics.jsonl").write_text('{"step": 0, "eval_loss": 5.0}\n')
    state = {"step": 4, "processes": 16, "per_machine": 8}
    (run / "checkpoints" / "step-000004" / "state.json").write_text(json.dumps(state))
    with pytest.raises(TunelabError, match=r"`torchrun --nnodes 2 --nproc_per_node 8 -m"):
        load_model(str(run))


def test_held_out_rows_of_a_hub_dataset_are_written_as_training_read_them(tmp_path, monkeypatch):
    # Written as question/answer pairs, they could not be read back with the run's data.fields.
    from tunelab.config import DataConfig
    from tunelab.data import load
    from tunelab.data.example import Example
    from tunelab.train.run_folder import write_held_out

    row = {"prompt": "What is r?", "completion": "The LoRA rank."}
    monkeypatch.setattr(load, "hub_rows", lambda spec: iter([(f"{spec}[3]", row)]))
    held = [Example.qa("What is r?", "The LoRA rank.", "hf://org/qa-set[3]")]
    write_held_out(tmp_path, DataConfig(path="hf://org/qa-set", test_size=0.1), held)
    assert json.loads((tmp_path / "held_out.jsonl").read_text()) == row
    (tmp_path / "gone").mkdir()
    write_held_out(tmp_path / "gone", DataConfig(path="org/gone.jsonl", test_size=0.1), held)
    assert json.loads((tmp_path / "gone" / "held_out.jsonl").read_text())["answer"] == (
        "The LoRA rank."
    )
    # Written once: a resume (the same split) reads the data file no second time.
    monkeypatch.setattr(load, "hub_rows", lambda spec: pytest.fail("read again"))
    write_held_out(tmp_path, DataConfig(path="hf://org/qa-set", test_size=0.1), held)


def test_a_data_file_reached_by_a_link_is_saved_as_the_link_and_a_moved_one_resumes(tmp_path):
    # resolve() saved a cache link's target (a hash with no extension, unreadable); a project
    # moved elsewhere could not resume, and --set data.path=<where it is now> was refused.
    from tunelab.config import Config
    from tunelab.run import Run
    from tunelab.train.loop import train

    blob = tmp_path / "blobs" / "9f2c1e"
    blob.parent.mkdir()
    write_jsonl(blob, [{"question": q, "answer": a} for q, a in QA_PAIRS])
    (tmp_path / "snapshot").mkdir()
    link = tmp_path / "snapshot" / "train.jsonl"
    link.symlink_to(blob)
    run = train(tiny_config(tmp_path, link, max_steps=2, save_every=1))
    assert Run.open(run).config.data.path == str(link)
    moved = tmp_path / "moved.jsonl"
    shutil.copyfile(blob, moved)
    link.unlink()
    config = tiny_config(tmp_path, moved, max_steps=3, save_every=1)
    train(Config.from_dict(config.model_dump()), resume=True)


def test_a_run_from_a_local_base_model_named_relatively_loads_it_from_any_folder(
    tmp_path, monkeypatch
):
    # model.name ./tinyllama stayed relative: eval/generate/export elsewhere failed, or from a
    # folder holding another ./tinyllama loaded the LoRA adapter onto that other model.
    from tunelab.models.random_weights import tiny_random
    from tunelab.run import Run
    from tunelab.train.loop import train

    work = tmp_path / "work"
    model, tokenizer = tiny_random()
    model.save_pretrained(work / "tinyllama")
    tokenizer.save_pretrained(work / "tinyllama")
    qa = write_jsonl(work / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])
    monkeypatch.chdir(work)
    config = tiny_config(work, qa, max_steps=1, method="lora")
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"name": "./tinyllama"})}
    )
    run = train(config)
    monkeypatch.chdir(tmp_path)
    assert Run.open(run).base_model == str(work / "tinyllama")
    adapter = json.loads((run / "model" / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str(work / "tinyllama")


def test_a_config_in_a_symlinked_folder_finds_the_data_it_names_beside_itself(
    tmp_path, monkeypatch
):
    # With `examples -> ../tunelab/examples` in the user's folder, `tunelab train
    # examples/lora.yaml` looked for its "../tunelab/demo/..." in the user's folder: the path
    # beside the YAML was made absolute by its letters, "examples/.." dropped, not read as the
    # file system reads it (the link target's parent).
    from typer.testing import CliRunner

    from tunelab.cli import app
    from tunelab.run import Run

    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    data = write_jsonl(
        project / "data" / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS]
    )
    (project / "examples").mkdir()
    (project / "examples" / "tiny.yaml").write_text(
        "name: linked\nmodel: {name: tiny-random}\n"
        "data: {path: ../data/qa.jsonl, max_length: 128, test_size: 2}\n"
        "train: {max_steps: 1, batch_size: 2}\n",
        encoding="utf-8",
    )
    user = tmp_path / "user"
    user.mkdir()
    (user / "examples").symlink_to("../project/examples")
    monkeypatch.chdir(user)
    trained = CliRunner().invoke(app, ["train", "examples/tiny.yaml", "--set", "output_dir=runs"])
    assert trained.exit_code == 0, trained.output
    assert Path(Run.open(user / "runs" / "linked").config.data.path).samefile(data)


def test_a_run_whose_launch_died_while_its_model_loaded_is_named_as_such(tmp_path):
    # Killed (out of memory) before training wrote config.yaml, its folder holds claim.json
    # alone: eval said "no test data for runs/big", and with --data "not a Hugging Face model
    # folder: it has no config.json (it holds claim.json)".
    import tunelab
    from tunelab.errors import TunelabError
    from tunelab.evaluate.suite import EvalConfig

    run = tmp_path / "runs" / "big"
    run.mkdir(parents=True)
    gone = {"pid": 2**22 + 1, "host": socket.gethostname()}  # past Linux's largest pid
    (run / "claim.json").write_text(json.dumps(gone))
    with pytest.raises(TunelabError, match=r"launch ended before its first step .*train` again"):
        tunelab.evaluate(str(run), EvalConfig())
    # Its process still loading the model (on another machine: taken as alive).
    (run / "claim.json").write_text(json.dumps({"pid": 7, "host": "elsewhere"}))
    with pytest.raises(TunelabError, match=r"a run still starting \(process \d+ on elsewhere"):
        tunelab.evaluate(str(run), EvalConfig())


def test_a_lora_run_s_model_folder_is_asked_as_its_run(tmp_path, monkeypatch):
    # `tunelab generate runs/t/model` loaded the adapter onto its base through transformers and
    # asked in the base's chat template, not in the qa template the run was trained in.
    from typer.testing import CliRunner

    import tunelab.serve.chat as chat
    import tunelab.work_log as work_log
    from tunelab.cli import app
    from tunelab.train.loop import train

    qa = write_jsonl(tmp_path / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])
    config = tiny_config(tmp_path, qa, max_steps=1, method="lora")
    run = train(
        config.model_copy(update={"data": config.data.model_copy(update={"template": "qa"})})
    )
    prompts = []  # what generate (chat.generate) and eval (generate_logged) render and ask
    for module, name in ((chat, "generate"), (work_log, "generate_logged")):
        real = getattr(module, name)
        monkeypatch.setattr(
            module,
            name,
            lambda m, t, p, *a, r=real, **kw: prompts.append(p) or r(m, t, p, *a, **kw),
        )

    def asked(*args: str) -> tuple[list[str], str]:
        prompts.clear()
        result = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"])
        assert result.exit_code == 0, result.output
        return prompts[0], result.output

    question = "What does tunelab train?"
    generated, said = asked("generate", str(run / "model"), question)
    assert generated == [f"### Question:\n{question}\n\n### Answer:"]
    assert f"{run / 'model'} is run t's model: read as the run" in said
    assert asked("generate", str(run), question)[0] == generated
    monkeypatch.chdir(run)  # from inside it, the run by its name, not "."
    assert "model is run t's model: read as the run" in asked("generate", "model", question)[1]
    evaluated, _ = asked(
        "eval", str(run / "model"), "--data", str(qa), "--output", str(tmp_path / "o")
    )
    assert evaluated[0].startswith("### Question:\n") and evaluated[0].endswith("### Answer:")
    assert asked("eval", str(run), "--data", str(qa))[0] == evaluated
