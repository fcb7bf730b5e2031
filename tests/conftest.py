"""Shared fixtures: tiny data files and configs on a tiny random model, so tests stay fast."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

# Tests never go online: a hub download would fail here and in CI anyway, so fail fast.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# pytest-xdist's workers start with COLUMNS=80 set: a rich console made at import (a command's
# module-level one) then keeps 80 columns for good, and a test's own COLUMNS is not read.
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)
# Tiny models gain nothing from threads, and threads fighting over 2 cores slow everything down.
torch.set_num_threads(1)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

QA_PAIRS = [
    ("What color is the sky?", "Blue."),
    ("How many legs has a cat?", "Four legs."),
    ("What is two plus two?", "It is four."),
    ("Name a fruit.", "An apple."),
    ("What do bees make?", "Honey."),
    ("Where do fish live?", "In water."),
    ("What is ice?", "Frozen water."),
    ("Which way is up?", "Toward the sky."),
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@contextmanager
def shut_to_this_user(folder: Path, mode: int = 0o000) -> Iterator[Path]:
    """`folder` chmod `mode` (0o000: not to be entered; 0o111: entered, not listed) while the
    test looks for a path in it; skipped where chmod keeps no folder from this user (root)."""
    folder.chmod(mode)
    try:
        if os.access(folder, os.R_OK if mode & 0o111 else os.X_OK):
            pytest.skip("chmod keeps no folder from this user (root)")
        yield folder
    finally:
        folder.chmod(0o755)


def repl_typing(monkeypatch, *lines: str) -> None:
    """The REPL reads `lines`, then Ctrl-D."""
    typed = iter(lines)

    def read(*_) -> str:
        line = next(typed, None)
        if line is None:
            raise EOFError
        return line

    monkeypatch.setattr("builtins.input", read)


@pytest.fixture(autouse=True)
def ctrl_c_as_at_a_terminal():
    """Ctrl-C raises KeyboardInterrupt in every test, as at a terminal: a shell's background job
    (`make test &`, nohup) starts with SIGINT ignored, and the tests that press Ctrl-C while the
    model loads or the final model is written then saw training finish (exit 0, not 130)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def hub_ids_checked_afresh():
    """Each test checks hub ids anew, as a new process does: `check_hub_reachable` keeps a name
    it found for a minute, and a name one test found on a hub it faked reachable would stay
    found in the next test run by the same worker."""
    from tunelab.models.names import forget_found_hub_ids

    forget_found_hub_ids()


@pytest.fixture
def wide_terminal(monkeypatch):
    """A terminal wide enough that rich folds no path it says: a path longer than the line is
    cut mid-word (`test.js` / `onl`), and pytest-xdist's temporary folders are longer."""
    monkeypatch.setenv("COLUMNS", "300")


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "qa.jsonl", [{"question": q, "answer": a} for q, a in QA_PAIRS])


@pytest.fixture
def no_route_to_hub(monkeypatch):
    """A machine online by its settings (as a user's is) that cannot reach the hub: a client that
    asks it would retry for tens of seconds."""
    import socket

    from huggingface_hub import constants

    def no_network(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(socket, "create_connection", no_network)


@pytest.fixture(params=["onednn", "mkl"])
def training_products(request, monkeypatch):
    """Each kernel training's products may run (tunelab/kernels/__init__.py: MKL on an Intel
    CPU, oneDNN elsewhere), whichever this machine picks."""
    from tunelab import kernels

    if request.param == "mkl" and not torch.backends.mkl.is_available():
        pytest.skip("this torch has no MKL")
    monkeypatch.setattr(kernels, "mkl_trains", lambda: request.param == "mkl")
    return request.param


@pytest.fixture
def tiny():
    from tunelab.models.random_weights import tiny_random

    return tiny_random()


def tiny_config(tmp_path: Path, data_path: Path, **train) -> Config:  # noqa: F821
    from tunelab.config import Config

    settings = dict(
        max_steps=6, batch_size=2, lr=3e-3, eval_every=3, save_every=3, warmup_ratio=0.0
    )
    settings.update(train)
    return Config.from_dict(
        {
            "name": "t",
            "output_dir": str(tmp_path / "runs"),
            "model": {"name": "tiny-random"},
            "data": {"path": str(data_path), "max_length": 128, "test_size": 2},
            "train": settings,
        }
    )


def tiny_run(root: Path, qa_dir: Path) -> Path:
    """A run folder (runs/demo) holding the tiny model, trained on nothing, whose config names
    qa_dir's train.jsonl and test.jsonl with the qa template: what eval and compare read."""
    from tunelab.models.random_weights import tiny_random

    run = root / "runs" / "demo"
    model, tok = tiny_random()
    model.save_pretrained(run / "model")
    tok.save_pretrained(run / "model")
    (run / "config.yaml").write_text(
        f"name: demo\nmodel: {{name: tiny-random}}\ndata: {{path: {qa_dir / 'train.jsonl'}, "
        f"test_path: {qa_dir / 'test.jsonl'}, template: qa}}\n"
    )
    return run


def tiny_architectures(context: int) -> dict:
    """Name -> (model, tokenizer) of four tiny float32 models that decode differently: Llama
    (grouped-query attention), Mistral (a sliding window, one key/value head), Qwen2 (full and
    windowed layers) and Gemma 2 (eager attention, soft-capped). Each has one more end-of-reply
    token, a byte it often says, so that replies also end early ("stop" by EOS)."""
    from transformers import (
        Gemma2Config,
        Gemma2ForCausalLM,
        MistralConfig,
        MistralForCausalLM,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    from tunelab.models.random_shapes import TINY_SHAPE
    from tunelab.models.random_weights import tiny_random

    llama, tokenizer = tiny_random(initializer_range=0.2, max_position_embeddings=context)
    shape = TINY_SHAPE | {
        "vocab_size": len(tokenizer),
        "initializer_range": 0.2,
        "max_position_embeddings": context,
    }

    def build(cls, config):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            return cls(config)

    built = {
        "llama": (llama, "u"),
        "mistral": (
            build(
                MistralForCausalLM,
                MistralConfig(**shape | {"sliding_window": 5, "num_key_value_heads": 1}),
            ),
            "a",
        ),
        "qwen2": (
            build(
                Qwen2ForCausalLM,
                Qwen2Config(
                    **shape | {"sliding_window": 4}, use_sliding_window=True, max_window_layers=1
                ),
            ),
            "P",
        ),
        "gemma2": (
            build(
                Gemma2ForCausalLM,
                Gemma2Config(
                    **shape | {"sliding_window": 6},
                    head_dim=16,
                    attn_logit_softcapping=2.0,
                    final_logit_softcapping=None,
                    tie_word_embeddings=False,
                    attn_implementation="eager",
                ),
            ),
            "?",
        ),
    }
    out = {}
    for name, (model, eos) in built.items():
        (extra,) = tokenizer(eos, add_special_tokens=False).input_ids
        model.generation_config.eos_token_id = [tokenizer.eos_token_id, extra]
        out[name] = (model.eval(), tokenizer)
    return out


def fact_accurate(fact: str, answer: str) -> bool:
    """Whether `answer` is fact-accurate for a test row whose one fact is `fact`."""
    from tunelab.evaluate.facts.score import parse_fact_check, score_facts

    check = parse_fact_check({"facts": [[fact]]}, "t.jsonl:1")
    return score_facts(answer, check)["fact_accuracy"] == 1.0


def proposed_check(question: str, answer: str, **kwargs):
    """The fact check `data facts` proposes for a row from its reference answer."""
    from tunelab.evaluate.facts.propose import propose
    from tunelab.evaluate.facts.score import parse_fact_check

    facts, wrong = propose(question, answer, {}, **kwargs)
    return parse_fact_check({"facts": facts, "wrong": wrong}, "test")


def pairs_of(path: Path) -> dict[str, str]:
    """Each question with its first answer in the document."""
    from tunelab.data.documents.chunking import chunk_document
    from tunelab.data.generate.template.template_qa import template_pairs

    pairs: dict[str, str] = {}
    for chunk in chunk_document(path):
        for q, a in template_pairs(chunk):
            pairs.setdefault(q, a)
    return pairs
