"""End to end on a tiny model: it learns 8 Q&A pairs, then answers them exactly and stops at EOS."""

from __future__ import annotations

import pytest

from tests.conftest import QA_PAIRS, tiny_config
from tunelab.generation.generate import answer
from tunelab.run import load_model
from tunelab.serve.chat import Session
from tunelab.train.loop import train
from tunelab.train.plot import read_metrics


def test_tiny_model_memorises_and_stops_at_eos(tmp_path, qa_file):
    config = tiny_config(
        tmp_path,
        qa_file,
        method="full",
        # At lr 1e-2 this model's loss spikes after ~60 steps or not, by float32 rounding alone (a
        # change of summation order, exact in float64, took it from 8 of 8 to 3 at step 90);
        # at 5e-3 it falls smoothly to 0.003 whatever the rounding.
        max_steps=120,
        batch_size=8,
        lr=5e-3,
        scheduler="constant",
        eval_every=1000,
        save_every=1000,
    )
    config.data.test_size = 0
    run = train(config)

    model, tokenizer = load_model(str(run))
    questions = [q for q, _ in QA_PAIRS]
    replies = answer(model, tokenizer, questions, max_new_tokens=40)
    assert [r.text for r in replies] == [a for _, a in QA_PAIRS]
    assert all(r.finish_reason == "stop" for r in replies)

    # The CLI's session reads the run's template from its config and answers the same.
    assert Session.open(str(run)).reply(questions[0], max_new_tokens=40) == QA_PAIRS[0][1]


def test_compile_takes_each_decoder_layer_not_the_decoder_whole():
    """Compiled whole, the decoder is traced layer after layer: the embedded model's first step
    took 110.7 s against 12.6 s with its layers compiled once (benchmarks/README.md)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from tunelab.models.random_weights import tiny_random
    from tunelab.train.setup import compile_layers

    llama, _ = tiny_random()
    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=100))
    for model, layers in ((llama, llama.model.layers), (gpt2, gpt2.transformer.h)):
        compile_layers(model)
        assert all(layer._compiled_call_impl is not None for layer in layers)
        assert model.get_decoder()._compiled_call_impl is None


@pytest.mark.slow
@pytest.mark.parametrize(
    "method,checkpointing,attention",
    [
        ("full", False, "auto"),
        ("lora", False, "auto"),
        ("lora", True, "auto"),
        ("full", True, "auto"),
        # The GPU's attention, which the compiler traces: the checkpoint is compiled whole.
        ("full", True, "sdpa"),
        ("lora", True, "sdpa"),
    ],
)
def test_compiled_decoder_learns_exactly_what_eager_learns(
    tmp_path, qa_file, method, checkpointing, attention
):
    """train.compile must not change a single loss (on a CPU, with its products still oneDNN's
    and the attention one document at a time), with gradient checkpointing too (which the
    compiler refused: it takes no context for the recomputation but its own), and must compile:
    with checkpointing and the CPU's attention it cannot (a break inside a checkpoint leaves it
    whole to eager), with sdpa, the GPU's, it does."""
    from torch._dynamo import reset
    from torch._dynamo.eval_frame import _debug_get_cache_entry_list as compiled_versions
    from torch._dynamo.utils import counters
    from transformers.models.llama.modeling_llama import LlamaDecoderLayer

    reset()  # the versions another case compiled
    losses = {}
    for compiled in (False, True):
        # No LoRA dropout: compiled code draws other random numbers than eager.
        config = tiny_config(
            tmp_path / str(compiled),
            qa_file,
            method=method,
            max_steps=3,
            compile=compiled,
            gradient_checkpointing=checkpointing,
            attention=attention,
            lora={"dropout": 0.0},
        )
        config.data.test_size = 0
        run = train(config)
        losses[compiled] = [r["loss"] for r in read_metrics(run / "metrics.jsonl")]
    assert len(losses[True]) == 3
    assert losses[True] == pytest.approx(losses[False], abs=1e-4)
    if not checkpointing or attention == "sdpa":
        # Checkpointed, the layer ran eager, unsaid: the `kernels` package's attention wrapper
        # sets (and resets) a context variable inside the checkpoint, a side effect dynamo
        # refused to trace there.
        assert counters["stats"]["unique_graphs"] >= 1
        # One code for every layer, the first (given the frozen embeddings' output with LoRA)
        # included: each version is a compile as long as the first.
        assert len(compiled_versions(LlamaDecoderLayer.forward)) == 1
