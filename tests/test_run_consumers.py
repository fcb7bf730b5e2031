"""A run folder as training writes it, read by every command that takes one, as a user runs
them: 3d8d1474 made `tunelab export RUN` refuse every run training wrote while export's tests,
calling export_merged on a hand-made folder, passed; this chain would have failed at once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import tunelab
from tests.conftest import QA_PAIRS, write_jsonl
from tunelab.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def invoke(*args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def qa(tmp_path_factory) -> Path:
    rows = [{"question": q, "answer": a} for q, a in QA_PAIRS]
    return write_jsonl(tmp_path_factory.mktemp("data") / "qa.jsonl", rows)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A tiny random Llama whose tokenizer has BPE merges, as a GGUF needs (tiny-random's has
    none), saved as a Hugging Face folder."""
    from transformers import LlamaForCausalLM

    from tests.test_export import small_bpe_tokenizer
    from tunelab.models.random_weights import tiny_config

    folder = tmp_path_factory.mktemp("base")
    tokenizer = small_bpe_tokenizer()
    torch.manual_seed(0)
    LlamaForCausalLM(tiny_config(len(tokenizer))).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def trained(root: Path, base: Path, qa: Path, method: str) -> Path:
    """`tunelab train run.yaml` on the tiny base: two steps, then its model saved."""
    config = root / "run.yaml"
    config.write_text(
        f"name: {method}\noutput_dir: {root / 'runs'}\nmodel: {{name: {base}}}\n"
        f"data: {{path: {qa}, max_length: 128, test_size: 2}}\n"
        f"train: {{method: {method}, max_steps: 2, batch_size: 2, eval_every: 2, save_every: 2}}\n"
    )
    invoke("train", str(config))
    return root / "runs" / method


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, base, qa) -> Path:
    return trained(tmp_path_factory.mktemp("lora"), base, qa, "lora")


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, base, qa) -> Path:
    return trained(tmp_path_factory.mktemp("full"), base, qa, "full")


@pytest.fixture(params=["lora", "full"])
def run(request) -> Path:
    return request.getfixturevalue(f"{request.param}_run")


def test_eval_then_errors_read_the_run_s_held_out_rows(run):
    invoke("eval", str(run), "--limit", "2", "--max-new-tokens", "4")
    assert json.loads((run / "eval" / "summary.json").read_text())["examples"] == 2
    assert "error reports" in invoke("errors", str(run))
    assert (run / "eval" / "errors.md").is_file()


def test_compare_asks_all_four_arms_of_the_run(run):
    invoke("compare", str(run), "--limit", "2", "--max-new-tokens", "4", "--k", "1")
    report = json.loads((run / "compare" / "compare.json").read_text())
    assert len(report["arms"]) == 4


def test_generate_and_chat_answer_with_the_run(run):
    # A random model's 4 tokens may read as blanks: that it answered is the cut it reports.
    said = invoke("generate", str(run), "What is ice?", "--max-new-tokens", "4")
    assert "cut at 4 tokens" in said
    talked = invoke("chat", str(run), "--max-new-tokens", "4", input="What is ice?\n")
    assert "model>" in talked and "cut at 4 tokens" in talked


def test_export_writes_the_run_merged_and_as_gguf(run, tmp_path):
    merged, gguf = tmp_path / "merged", tmp_path / "model.gguf"
    invoke("export", str(run), "--merged", str(merged), "--gguf", str(gguf))
    assert (merged / "model.safetensors").is_file() and (merged / "config.json").is_file()
    assert gguf.stat().st_size > 0 and (tmp_path / "model.Modelfile").is_file()


def test_export_of_the_run_s_model_folder_writes_the_run(run, tmp_path):
    # A full run's model/ is a whole model, a LoRA run's the adapter alone: both export as the run.
    invoke("export", str(run / "model"), "--merged", str(tmp_path / "from_model"))
    invoke("export", str(run), "--merged", str(tmp_path / "from_run"))
    for file in ("model.safetensors", "tokenizer_config.json"):
        assert (tmp_path / "from_model" / file).read_bytes() == (
            tmp_path / "from_run" / file
        ).read_bytes()


def test_serve_answers_a_chat_request_with_the_run(run):
    from tunelab.serve.launch import load_engines, model_id
    from tunelab.serve.server import create_app

    engines = load_engines([str(run)], max_batch=2)
    try:
        with TestClient(create_app(engines)) as client:
            reply = client.post(
                "/v1/chat/completions",
                json={
                    "model": model_id(str(run)),
                    "messages": [{"role": "user", "content": "What is ice?"}],
                    "max_tokens": 4,
                },
            )
    finally:
        for engine in engines.values():
            engine.close()
    assert reply.status_code == 200, reply.text
    assert isinstance(reply.json()["choices"][0]["message"]["content"], str)


def test_runs_lists_the_run_by_name(run):
    # Its name is its method's too ("lora" in the method column): the rows say which is which.
    assert run.name in invoke("runs", str(run.parent))
    [row] = tunelab.runs([run.parent])
    assert (row["run"], row["method"], row["steps"]) == (run.name, run.name, 2)


def test_plan_reads_the_run_s_model_and_method(run):
    # The run's method and batch size (2), not a model's defaults (lora, batch 8).
    said = " ".join(invoke("plan", str(run)).split())
    assert re.search(rf"\b{run.name}(, rank \d+)?, batch 2 x \d+ tokens", said), said
    assert "fits" in said.lower()


def test_bench_scores_the_run_on_a_local_task(run, tmp_path):
    out = tmp_path / "board"
    invoke(
        "bench", str(run), "--tasks", "arc_easy", "--data-dir", str(FIXTURES),
        "--limit", "2", "--output", str(out), "--no-fetch",
    )  # fmt: skip
    board = json.loads((out / "leaderboard.json").read_text())
    assert [m["model"] for m in board["models"]] == [str(run)]


def test_data_check_and_inspect_take_the_run_as_model(run, qa):
    assert "duplicates" in invoke("data", "check", str(qa), "--model", str(run)).lower()
    assert "What is ice?" in invoke("data", "inspect", str(qa), "--model", str(run), "--rows", "8")
