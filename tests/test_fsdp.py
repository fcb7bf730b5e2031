"""Sharded training (train.parallel=fsdp) under torchrun, two processes on CPU with gloo: they learn
what one process learns from the same micro-batches accumulated, answer the held-out questions as
it does and keep the same best step, write a normal model/ folder, and their sharded checkpoints
resume to the same losses on two processes or on one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from tests.conftest import QA_PAIRS, tiny_config, write_jsonl
from tunelab.errors import TunelabError
from tunelab.train.loop import train

# Held-out answers every 2 steps, and the best step by them kept: the tiny model's replies score 0
# throughout, so the first step scored after the start (2) stays the best, not the last (4).
SETTINGS = dict(
    max_steps=4, batch_size=2, eval_every=2, save_every=2, keep_checkpoints=3,
    eval_generate_every=2, eval_max_new_tokens=8, select_best="token_f1",
)  # fmt: skip


def _records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def _torchrun(config, *args):
    """`torchrun --nproc_per_node 2 -m tunelab.cli train CONFIG ARGS`; its stdout."""
    path = Path(f"{config.output_dir}.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    config.to_yaml(path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", "-m", "tunelab.cli", "train", str(path), *args]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    # FSDP's warning of a compiled layer's output view, at every step: needless (sharding.shard).
    assert "returned a view tensor" not in done.stderr
    return done.stdout


def _assert_same_training(one, two):
    one_log, two_log = _records(one), _records(two)
    assert [r["step"] for r in two_log] == [r["step"] for r in one_log]
    for a, b in zip(one_log, two_log):
        for key in ("loss", "eval_loss", "eval_token_f1", "tokens", "input_tokens"):
            if key in a:
                assert b[key] == pytest.approx(a[key], abs=1e-4), (key, a["step"])


def _assert_same_weights(one, two, file):
    a, b = load_file(one / "model" / file), load_file(two / "model" / file)
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-5, rtol=1e-4)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same 4 steps of full finetuning: one process accumulating 2 micro-batches, and two
    sharded processes taking one each."""
    root = tmp_path_factory.mktemp("fsdp")
    qa = write_jsonl(root / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])
    single = train(tiny_config(root / "one", qa, method="full", grad_accum=2, **SETTINGS))
    sharded = tiny_config(root / "two", qa, method="full", parallel="fsdp", **SETTINGS)
    stdout = _torchrun(sharded)
    return single, sharded, stdout


def test_two_sharded_processes_equal_one_process_accumulating_their_batches(runs):
    single, sharded, stdout = runs
    two = sharded.run_dir
    _assert_same_training(single, two)
    # model/ is one normal safetensors folder, gathered from the shards, as a plain run writes it.
    _assert_same_weights(single, two, "model.safetensors")
    assert stdout.count("done") == 1  # rank 0 alone reports and writes the run folder
    # The best step's weights, gathered from the shards when it was scored, are what model/
    # holds (compared above), as one process keeps them: step 2's, not the last step's.
    best = json.loads((two / "best" / "best.json").read_text())
    assert best == json.loads((single / "best" / "best.json").read_text())
    assert best["step"] == 2
    step = two / "checkpoints" / "step-000004"
    # Data, never code: each process's shard as safetensors, no pickled DCP index.
    assert sorted(p.name for p in step.iterdir()) == ["rng.pt", "shards", "state.json"]
    assert len(list((step / "shards").glob("*.safetensors"))) == 2
    assert len(list((step / "shards").iterdir())) == 2


# Two sharded processes answer questions together; rank 1 stops 20 tokens sooner, as a process
# whose greedy text ends sooner (a near tie broken otherwise) does, and rank 0 answers on.
ANSWER_TOGETHER = """
import json, sys, torch
from tunelab.data.pack import collate
from tunelab.data.tokenize import Tokenized
from tunelab.generation.generate import answer
from tunelab.models.random_weights import tiny_random
from tunelab.train.parallel import distributed
from tunelab.train.parallel.sharding import answering_together

cpu = torch.device("cpu")
world, _ = distributed.start(cpu, "fsdp")
model, tokenizer = tiny_random(initializer_range=0.2)
module = distributed.wrap(model, world, cpu, "fsdp")
# FSDP finds its root at the first forward through it: the loop's eval loss or step, here this.
module(collate([[Tokenized([5, 6, 7], [-100, 6, 7])]], tokenizer.pad_token_id))
module.reshard()
with answering_together(module, world, cpu):
    replies = answer(model, tokenizer, json.loads(sys.argv[1]), max_new_tokens=24 - 20 * world.rank)
if world.is_main:
    print(json.dumps([r.text for r in replies]))
distributed.leave_without_teardown(0)
"""


def test_sharded_processes_answer_as_one_process_even_when_one_stops_sooner(tmp_path):
    from tunelab.generation.generate import answer
    from tunelab.models.random_weights import tiny_random

    questions = [q for q, _ in QA_PAIRS[:3]]
    script = tmp_path / "answer_together.py"
    script.write_text(ANSWER_TOGETHER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
               "2", str(script), json.dumps(questions)]  # fmt: skip
    # A process left waiting in a gather would wait for hours (distributed.COLLECTIVE_TIMEOUT).
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    # Weights drawn wider than the model's own init, whose replies are all whitespace.
    model, tokenizer = tiny_random(initializer_range=0.2)
    alone = [r.text for r in answer(model, tokenizer, questions, max_new_tokens=24)]
    assert json.loads(done.stdout.splitlines()[-1]) == alone
    assert all(len(text) > 4 for text in alone)  # rank 0 answered on after rank 1 stopped


def test_sharded_processes_with_compiled_layers_learn_the_same(runs, tmp_path):
    single, sharded, _ = runs
    compiled = sharded.model_copy(
        update={
            "output_dir": str(tmp_path / "compiled"),
            "train": sharded.train.model_copy(update={"compile": True}),
        }
    )
    _torchrun(compiled)
    _assert_same_training(single, compiled.run_dir)


def test_a_sharded_run_killed_after_a_checkpoint_resumes_to_the_same_losses(runs):
    single, sharded, _ = runs
    config = sharded.model_copy(update={"output_dir": str(sharded.run_dir.parent) + "-killed"})
    # Killed while writing the step-4 checkpoint: step 2's is the newest complete one.
    shutil.copytree(sharded.run_dir, config.run_dir)
    shutil.rmtree(config.run_dir / "model")
    checkpoints = config.run_dir / "checkpoints"
    (checkpoints / "step-000004").rename(checkpoints / ".tmp-step-000004-sharded")
    # Step 4 had scored best and been kept: weights of a training the resume does again.
    best = config.run_dir / "best"
    kept = load_file(best / "trainable.safetensors")
    save_file(
        {name: torch.zeros_like(w) for name, w in kept.items()}, best / "trainable.safetensors"
    )
    (best / "best.json").write_text(json.dumps({"step": 4, "metric": "token_f1", "value": 0.5}))

    stdout = _torchrun(config, "--resume")
    assert "step 2" in stdout
    _assert_same_training(sharded.run_dir, config.run_dir)
    # Dropped: step 2's weights, gathered from both processes, stand in for it, as uninterrupted.
    assert "step 2's weights stand in for it" in " ".join(stdout.split())
    assert json.loads((best / "best.json").read_text())["step"] == 2
    _assert_same_weights(sharded.run_dir, config.run_dir, "model.safetensors")
    assert sorted(p.name for p in checkpoints.iterdir()) == ["step-000002", "step-000004"]


def test_a_checkpoint_of_two_processes_resumes_on_one(runs):
    single, sharded, _ = runs
    # One process accumulates the two micro-batches the two processes took.
    config = sharded.model_copy(update={"output_dir": str(sharded.run_dir.parent) + "-one"})
    config = config.model_copy(update={"train": config.train.model_copy(update={"grad_accum": 2})})
    shutil.copytree(sharded.run_dir, config.run_dir)
    shutil.rmtree(config.run_dir / "model")
    # The step-4 checkpoint is cut short (a bad copy): resume falls back to step 2's.
    shard = sorted((config.run_dir / "checkpoints/step-000004/shards").iterdir())[-1]
    shard.write_bytes(shard.read_bytes()[:1000])

    train(config, resume=True)
    _assert_same_training(single, config.run_dir)
    _assert_same_weights(single, config.run_dir, "model.safetensors")
    shards = list((config.run_dir / "checkpoints/step-000004/shards").iterdir())
    assert len(shards) == 1  # written again, by the one process


def test_lora_under_fsdp_equals_one_process_and_saves_an_adapter(tmp_path, qa_file):
    # No dropout: each process draws its masks from its own random stream, so the masks (not the
    # arithmetic) would differ from the single process's.
    settings = dict(SETTINGS, method="lora", lora={"dropout": 0.0})
    single = train(tiny_config(tmp_path / "one", qa_file, grad_accum=2, **settings))
    sharded = tiny_config(tmp_path / "two", qa_file, parallel="fsdp", **settings)
    _torchrun(sharded)
    _assert_same_training(single, sharded.run_dir)
    _assert_same_weights(single, sharded.run_dir, "adapter_model.safetensors")
    # The best step keeps what trains, the adapters, as one process does: not the whole model.
    kept = [load_file(run / "best" / "trainable.safetensors") for run in (single, sharded.run_dir)]
    assert kept[1].keys() == kept[0].keys() and all("lora_" in name for name in kept[1])


def test_what_fsdp_cannot_do_is_refused_by_name(tmp_path, qa_file):
    with pytest.raises(TunelabError, match="cpu_offload needs train.parallel: fsdp"):
        tiny_config(tmp_path, qa_file, cpu_offload=True)
    # Offloading moves GPU memory to the CPU: on the CPU there is nothing to move.
    with pytest.raises(TunelabError, match="needs a CUDA device"):
        train(tiny_config(tmp_path / "cpu", qa_file, parallel="fsdp", cpu_offload=True))
    # A checkpoint's layout follows train.parallel: a plain run's cannot resume sharded.
    plain = train(tiny_config(tmp_path / "plain", qa_file, max_steps=2, save_every=2))
    sharded = tiny_config(tmp_path / "plain", qa_file, max_steps=4, parallel="fsdp")
    with pytest.raises(TunelabError, match="cannot change train.parallel 'ddp' → 'fsdp'"):
        train(sharded, resume=True)
    assert (plain / "checkpoints" / "step-000002").is_dir()


def test_a_sharded_checkpoint_that_does_not_fit_the_model_is_refused_by_name(runs):
    from tunelab.models.random_weights import tiny_random
    from tunelab.train.parallel.sharded_checkpoint import read_sharded, restore_sharded

    _, sharded, _ = runs
    checkpoint = read_sharded(sharded.run_dir / "checkpoints" / "step-000004")
    model, _ = tiny_random(intermediate_size=48)
    with pytest.raises(TunelabError, match="does not fit this model.*down_proj"):
        restore_sharded(checkpoint, model, torch.optim.AdamW(model.parameters()))


def test_the_eval_loss_runs_compiled_layers_as_they_are(tmp_path, qa_file):
    """Without gradients, `train.compile`'s layers were compiled a second time for the eval loss,
    at step 0, before the first step: it runs them uncompiled, to the same loss."""
    from torch._dynamo.utils import counters

    from tunelab.data.tokenize import Tokenized
    from tunelab.models.random_weights import tiny_random
    from tunelab.train.eval_loss import evaluate_loss
    from tunelab.train.parallel import distributed
    from tunelab.train.setup import compile_layers

    cfg = tiny_config(tmp_path, qa_file, parallel="fsdp", compile=True).train
    model, tokenizer = tiny_random()
    rows = [[Tokenized([5, 6, 7, 8, 9], [-100, 6, 7, 8, 9])], [Tokenized([9, 8, 7], [-100, 8, 7])]]
    cpu = torch.device("cpu")
    eager = evaluate_loss(distributed.LossModule(model), rows, cfg, tokenizer, cpu)
    compile_layers(model)
    world, _ = distributed.start(cpu, "fsdp")
    try:
        sharded = distributed.wrap(model, world, cpu, "fsdp")
        compiled_before = counters["frames"]["total"]
        assert evaluate_loss(sharded, rows, cfg, tokenizer, cpu) == pytest.approx(eager, abs=1e-6)
        assert counters["frames"]["total"] == compiled_before
    finally:
        distributed.stop(world, "fsdp")


# MKL's products alone: oneDNN's never returned the view (and the case took 38 s of compiling).
@pytest.mark.parametrize("training_products", ["mkl"], indirect=True)
def test_compiled_sharded_layers_compile_once_whatever_the_batch_shape(
    tmp_path, qa_file, training_products
):
    """Sharded, a layer is given a view of its input (FSDP's hook), and MKL's products returned a
    view of their 2-D product, which the next layer got as its input's base: the compiler guards
    that base's first size (tokens) against the input's (rows), so a compiled sharded run
    compiled each layer again at its second step (~8 s on a CPU for the tiny model)."""
    from torch._dynamo import reset
    from torch._dynamo.utils import counters

    from tunelab.data.pack import collate
    from tunelab.data.tokenize import Tokenized
    from tunelab.models.random_weights import tiny_random
    from tunelab.train.parallel import distributed
    from tunelab.train.setup import compile_layers, prepare_model, set_attention

    reset()  # the code another test compiled
    cfg = tiny_config(tmp_path, qa_file, parallel="fsdp", compile=True).train
    model, tokenizer = tiny_random()
    cpu = torch.device("cpu")
    set_attention(model, cfg.attention, cpu)
    model = prepare_model(model, cfg)
    compile_layers(model)
    world, _ = distributed.start(cpu, "fsdp")
    try:
        sharded = distributed.wrap(model, world, cpu, "fsdp")
        compiled = []
        # Other counts of rows and other lengths at each step. Not one row, nor 16 tokens: a
        # size of 1, or one equal to another size (the heads' 16), is still compiled apart.
        for lengths in ([20, 7], [5, 6, 3], [30, 8]):
            rows = [[Tokenized([5] * n, [-100] + [6] * (n - 1))] for n in lengths]
            loss, _ = sharded(collate(rows, tokenizer.pad_token_id))
            loss.backward()
            compiled.append(counters["frames"]["total"])
    finally:
        distributed.stop(world, "fsdp")
    assert compiled[0] > 0
    assert compiled[1:] == [compiled[0]] * 2
