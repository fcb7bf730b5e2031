"""`llm` and `self-instruct` generation against a real OpenAI-compatible server on loopback.

The server below is a small FastAPI app run by uvicorn in a thread. Model `tiny` really generates
(a tiny random model through tunelab.generation.generate: garbage, so every reply is malformed);
the other models are deterministic routes that return canned JSON, flaky replies or errors, so
the happy path and the retry logic are tested over real HTTP without training anything.
The pairs' filters: test_data_generate_filters.py; a model of tunelab's own:
test_data_generate_local.py.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.errors import TunelabError

DOCS = Path(__file__).parent / "fixtures" / "docs"
TOPICS = [
    "volcanoes",
    "tides",
    "bread",
    "chess",
    "glaciers",
    "violins",
    "comets",
    "bees",
    "kites",
    "maps",
    "salt",
    "clocks",
    "owls",
    "paper",
    "rivers",
    "bridges",
]


def reply(content: str) -> dict:
    return {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ]
    }


def make_app() -> FastAPI:
    from tunelab.generation.generate import generate
    from tunelab.run import load_model

    app = FastAPI()
    model, tokenizer = load_model("tiny-random")
    seen: Counter = Counter()
    lock = threading.Lock()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        with lock:
            seen[(body["model"], prompt)] += 1
            attempt = seen[(body["model"], prompt)]
        if request.headers.get("authorization") == "Bearer wrong":
            return JSONResponse({"error": "bad key"}, status_code=401)
        if body["model"] == "tiny":
            text = tokenizer.apply_chat_template(
                body["messages"], tokenize=False, add_generation_prompt=True
            )
            (out,) = generate(
                model,
                tokenizer,
                [text],
                max_new_tokens=body["max_tokens"],
                temperature=body["temperature"],
                seed=attempt,
            )
            return reply(out.text)
        if body["model"] == "no-formats" and "response_format" in body:
            return JSONResponse({"error": "response_format is not supported"}, status_code=400)
        if body["model"] == "flaky" and attempt == 1:
            return JSONResponse({"error": "overloaded"}, status_code=503)
        if body["model"] == "flaky" and attempt == 2:
            return reply("Sorry, here is some prose instead of JSON.")
        if body["model"] in ("canned", "flaky", "no-formats"):
            chunk = prompt.split("Text:\n", 1)[1]
            sentence = re.split(r"(?<=[.!?])\s", chunk.strip())[0]
            pairs = [
                {
                    "question": f"What does the section say first about {sentence.split()[0]}?",
                    "answer": sentence,
                },
                {
                    "question": "What is the airspeed of a swallow?",  # not in the chunk
                    "answer": "Roughly eleven metres per second for an unladen European swallow.",
                },
            ]
            return reply("Here you go:\n```json\n" + json.dumps(pairs) + "\n```")
        if body["model"] == "seeds":
            n = sum(c for (m, _), c in seen.items() if m == "seeds")
            a, b = TOPICS[(2 * n) % len(TOPICS)], TOPICS[(2 * n + 1) % len(TOPICS)]
            pairs = [
                {
                    "question": f"Why do {a} matter to people who study {b}?",
                    "answer": f"Studying {a} explains patterns that also shape {b}.",
                },
                {"question": "What is the capital of France?", "answer": "Paris."},  # a seed
                {"question": f"Are {b} useful?", "answer": f"{b} are useful?"},  # restates
                {"question": f"Where is the {a} museum?", "answer": "Paris."},  # a seed's answer
            ]
            return reply(json.dumps(pairs))
        return JSONResponse({"error": "unknown model"}, status_code=404)

    return app


@pytest.fixture(scope="module")
def server():
    config = uvicorn.Config(make_app(), host="127.0.0.1", port=0, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "test server did not start"
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1"
    srv.should_exit = True
    thread.join(timeout=10)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def config(tmp_path, server, model, **extra) -> GenerateConfig:
    return GenerateConfig(
        docs=[str(DOCS / "guide.md")],
        output=str(tmp_path / "qa.jsonl"),
        mode="llm",
        endpoint=server,
        model=model,
        pairs_per_chunk=2,
        **extra,
    )


def test_llm_mode_writes_grounded_pairs_with_provenance_and_resumes(tmp_path, server):
    cfg = config(tmp_path, server, "canned")
    stats = generate_dataset(cfg, progress=False)
    written = rows(tmp_path / "qa.jsonl")
    assert stats.chunks == 6 and stats.pairs == len(written) == 6
    # The swallow answer states a name and facts no chunk has: dropped as ungrounded, once each.
    assert stats.dropped == {"not grounded: a name or literal not in the source": 6}
    assert stats.grounded_rate == 0.5 and stats.parse_rate == 1.0
    assert written[0]["answer"].startswith("Tunelab finetunes small language models")
    meta = written[0]["meta"]
    assert meta["mode"] == "llm" and meta["generator"] == f"canned@{server}"
    assert meta["location"].endswith("guide.md:1") and meta["heading"] == "Tunelab guide"

    again = generate_dataset(cfg, progress=False)
    assert (again.pairs, again.done_before) == (0, 6)

    # A crash while a row was written (cut inside a character): it goes, with the last whole
    # chunk's rows (the cut row may have been that chunk's), and both chunks are asked again; no
    # one has to edit the file to resume.
    path = tmp_path / "qa.jsonl"
    text = path.read_bytes()
    path.write_bytes(
        text[: text.rindex(b"\n", 0, len(text) - 1) + 1] + '{"question": "café'.encode()[:-1]
    )
    mended = generate_dataset(cfg, progress=False)
    assert mended.cut_row_dropped and (mended.pairs, mended.done_before) == (2, 4)
    assert len(rows(path)) == 6


def test_server_errors_and_prose_replies_are_retried(tmp_path, server):
    stats = generate_dataset(config(tmp_path, server, "flaky"), progress=False)
    # Per chunk: a 503 retried by the HTTP client, then prose (a retried, malformed reply), then JSON.
    assert stats.retried == 6 and stats.malformed == 0 and stats.pairs == 6


def test_a_tiny_models_garbage_is_retried_then_skipped_and_counted(tmp_path, server):
    cfg = config(tmp_path, server, "tiny", max_new_tokens=8, retries=1, min_chunk_tokens=5)
    cfg.docs = [str(DOCS / "notes.txt")]
    stats = generate_dataset(cfg, progress=False)
    assert (stats.malformed, stats.retried, stats.pairs) == (2, 2, 0)
    assert not (tmp_path / "qa.jsonl").exists() or rows(tmp_path / "qa.jsonl") == []


def test_a_server_that_refuses_response_format_is_asked_in_the_prompt_alone(
    tmp_path, server, caplog
):
    stats = generate_dataset(config(tmp_path, server, "no-formats"), progress=False)
    assert stats.malformed == 0 and stats.pairs == 6
    warned = [r.getMessage() for r in caplog.records if "response_format" in r.getMessage()]
    assert len(warned) >= 1 and "does not take a response_format" in warned[0]


def test_self_instruct_keeps_only_new_pairs_that_pass_the_filters(tmp_path, server):
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(
        "".join(
            json.dumps({"question": q, "answer": a}) + "\n"
            for q, a in [
                ("What is the capital of France?", "Paris."),
                ("How many legs does a spider have?", "Eight."),
                ("Why is the sky blue?", "Air scatters blue light more than red light."),
            ]
        )
    )
    cfg = GenerateConfig(
        mode="self-instruct",
        seeds=str(seeds),
        count=6,
        endpoint=server,
        model="seeds",
        output=str(tmp_path / "new.jsonl"),
        concurrency=2,
        pairs_per_chunk=4,
    )
    stats = generate_dataset(cfg, progress=False)
    written = rows(tmp_path / "new.jsonl")
    assert stats.pairs == len(written) == 6
    assert (
        stats.dropped["duplicate question"] >= 1 and stats.dropped["answer restates question"] >= 1
    ), stats.dropped
    assert stats.dropped["answer copies a seed's answer"] >= 1, stats.dropped
    assert all(r["question"].startswith("Why do") for r in written)
    assert {r["meta"]["mode"] for r in written} == {"self-instruct"}

    cfg.count = 8  # resuming tops the file up to the new count
    assert generate_dataset(cfg, progress=False).done_before == 6
    assert len(rows(tmp_path / "new.jsonl")) == 8


def test_a_rejected_api_key_stops_with_a_clear_error(tmp_path, server):
    with pytest.raises(TunelabError, match="answered 401"):
        generate_dataset(config(tmp_path, server, "canned", api_key="wrong"), progress=False)


def test_no_server_at_the_endpoint_stops_with_its_url_not_as_unparsed_replies(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(TunelabError, match=f"no answer from a server at {url}.*ConnectError"):
        generate_dataset(config(tmp_path, url, "canned"), progress=False)


def test_llm_mode_says_the_self_instruct_settings_it_was_given_go_unused(tmp_path, server):
    # `--mode llm --seeds seeds.jsonl` asked about the documents alone and never said the seed
    # pairs went unread (template mode names the model settings it leaves unused).
    from typer.testing import CliRunner

    from tunelab.cli import app

    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text('{"question": "What is tunelab?", "answer": "A finetuning toolkit."}\n')
    asked = ["--mode", "llm", "--endpoint", server, "--model", "canned"]
    given = ["--seeds", str(seeds), "--count", "5"]
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(
        app, ["data", "generate", str(DOCS / "guide.md"), "-o", str(out), *asked, *given]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "llm mode asks about the documents, not seed pairs: --seeds, --count unused" in said
    assert rows(out)  # the documents' pairs, written all the same
    # The Python API names its fields; nothing is said of settings llm mode reads.
    cfg = config(tmp_path, server, "canned", seeds=str(seeds), max_similarity=0.5)
    assert generate_dataset(cfg, progress=False).unused == ["seeds", "max_similarity"]
    assert generate_dataset(config(tmp_path, server, "canned"), progress=False).unused == []
