"""Log-probabilities from `tunelab serve` as OpenAI's legacy /v1/completions gives them (logprobs,
echo, max_tokens 0), the way lm-evaluation-harness's local-completions model asks: equal to
tunelab's own benchmark scorer on ARC questions, for a base model and a LoRA run."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest
import torch

from tests.test_serve import make_lora_run
from tunelab.evaluate.bench.loglik import Request, encode_pair, loglikelihoods
from tunelab.evaluate.bench.score import TARGET_DELIMITER
from tunelab.evaluate.bench.tasks.arc import ARC_EASY
from tunelab.run import load_model
from tunelab.serve.launch import load_engines
from tunelab.serve.server import create_app
from tunelab.web import running

BENCHMARKS = Path(__file__).parent / "fixtures" / "eval"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    run = make_lora_run(tmp_path_factory.mktemp("runs"))
    engines = load_engines(["tiny-random", str(run)], max_batch=4)
    with running(create_app(engines)) as url:
        yield url, {"tiny-random": "tiny-random", "lora-run": str(run)}
    for engine in engines.values():
        engine.close()


def completions(url: str, **body) -> dict:
    reply = httpx.post(f"{url}/v1/completions", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.parametrize("name", ["tiny-random", "lora-run"])
@pytest.mark.parametrize("max_tokens", [0, 1])  # lm-eval asks 1 and drops the generated token
def test_served_loglikelihoods_equal_tunelabs_scorer_on_arc(served, name, max_tokens):
    url, models = served
    model, tokenizer = load_model(models[name])
    docs = ARC_EASY.load(BENCHMARKS, limit=3)
    requests = [Request(d.context, [TARGET_DELIMITER + c for c in d.choices]) for d in docs]
    expected = [ll for lls in loglikelihoods(model, tokenizer, requests) for ll in lls]
    pairs = [encode_pair(tokenizer, r.context, c) for r in requests for c in r.continuations]
    answer = completions(
        url, model=name, prompt=[ctx + cont for ctx, cont in pairs],
        max_tokens=max_tokens, echo=True, logprobs=1, temperature=0,
    )  # fmt: skip
    served_lls = []
    for (ctx, cont), choice in zip(pairs, sorted(answer["choices"], key=lambda c: c["index"])):
        logprobs = choice["logprobs"]["token_logprobs"]
        assert len(logprobs) == len(ctx) + len(cont) + max_tokens
        served_lls.append(sum(logprobs[len(ctx) : len(ctx) + len(cont)]))
    assert served_lls == pytest.approx(expected, abs=1e-4)


def test_echo_gives_the_prompt_back_with_a_null_first_token_and_the_likeliest_tokens(served):
    url, _ = served
    answer = completions(
        url, model="tiny-random", prompt="The sky is", max_tokens=0, echo=True, logprobs=3
    )
    (choice,) = answer["choices"]
    logprobs = choice["logprobs"]
    assert choice["text"] == "The sky is" == "".join(logprobs["tokens"])
    assert logprobs["token_logprobs"][0] is None and logprobs["top_logprobs"][0] is None
    assert logprobs["text_offset"][:3] == [0, 1, 2]  # a byte-level tokenizer: one per character
    for token, value, top in zip(
        logprobs["tokens"][1:], logprobs["token_logprobs"][1:], logprobs["top_logprobs"][1:]
    ):
        assert value < 0 and top[token] == value and 3 <= len(top) <= 4
    assert answer["usage"] == {"prompt_tokens": 10, "completion_tokens": 0, "total_tokens": 10}


def test_greedy_completion_logprobs_are_the_likeliest_at_every_step(served):
    url, _ = served
    answer = completions(
        url, model="tiny-random", prompt="Hello", max_tokens=4, logprobs=1, temperature=0
    )
    (choice,) = answer["choices"]
    logprobs = choice["logprobs"]
    assert "".join(logprobs["tokens"]) == choice["text"] and len(logprobs["tokens"]) == 4
    for value, top in zip(logprobs["token_logprobs"], logprobs["top_logprobs"]):
        assert value == max(top.values())  # what lm-eval's is_greedy checks
    assert logprobs["text_offset"][0] == len("Hello")


def test_logprobs_requests_it_cannot_answer_are_refused_by_name(served):
    url, _ = served
    for body, param in (
        ({"prompt": "Hi", "logprobs": 21}, "logprobs"),
        ({"prompt": "Hi", "logprobs": 1, "echo": True, "stream": True}, "stream"),
        # Nothing to generate, nothing echoed: named, as OpenAI names the parameter it refuses.
        ({"prompt": "Hi", "max_tokens": 0}, "max_tokens"),
    ):
        reply = httpx.post(f"{url}/v1/completions", json={"model": "tiny-random", **body})
        assert reply.status_code == 400 and reply.json()["error"]["param"] == param, reply.text


def test_logprobs_false_asks_for_none_as_null_does(served):
    url, _ = served
    body = {"model": "tiny-random", "prompt": "Hi", "max_tokens": 2, "logprobs": False}
    (choice,) = completions(url, **body)["choices"]
    assert choice["logprobs"] is None
    streamed = httpx.post(f"{url}/v1/completions", json={**body, "stream": True}, timeout=60)
    assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")


TASK_YAML = """task: tiny_arc
dataset_path: json
dataset_kwargs: {{data_files: {{test: {data}}}}}
output_type: multiple_choice
test_split: test
doc_to_text: "{{{{context}}}}"
doc_to_target: gold
doc_to_choice: choices
metric_list: [{{metric: acc, aggregation: mean, higher_is_better: true}}]
"""


def test_lm_evaluation_harness_local_completions_scores_as_tunelab_does(served, tmp_path):
    lm_eval = pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    url, _ = served
    model, tokenizer = load_model("tiny-random")
    tokenizer.save_pretrained(tmp_path / "tokenizer")
    docs = ARC_EASY.load(BENCHMARKS, limit=3)
    rows = [{"context": d.context, "choices": d.choices, "gold": d.gold} for d in docs]
    (tmp_path / "arc.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "tiny_arc.yaml").write_text(TASK_YAML.format(data=tmp_path / "arc.jsonl"))
    settings = f"model=tiny-random,base_url={url}/v1/completions,tokenizer={tmp_path / 'tokenizer'}"
    out = lm_eval.simple_evaluate(
        model="local-completions",
        model_args=f"{settings},tokenizer_backend=huggingface,max_retries=1",
        tasks=["tiny_arc"],
        # Only the task written here: indexing lm-eval's 14,000 own task files took seconds.
        task_manager=TaskManager(include_path=str(tmp_path), include_defaults=False),
        log_samples=True,
    )
    harness = [[resp[0][0] for resp in s["resps"]] for s in out["samples"]["tiny_arc"]]
    requests = [Request(d.context, [TARGET_DELIMITER + c for c in d.choices]) for d in docs]
    expected = loglikelihoods(model, tokenizer, requests)
    for got, want in zip(harness, expected):
        assert got == pytest.approx(want, abs=1e-4)


def test_an_empty_prompt_echoes_nothing_given_as_text_or_as_token_ids(served):
    # Both start the model from its start token (OpenAI's "as if from the beginning of a new
    # document"); `[[]]` echoed that token's text, a prompt the client never wrote.
    url, _ = served
    body = {"model": "tiny-random", "max_tokens": 0, "echo": True, "logprobs": 1}
    as_text = completions(url, **body, prompt="")
    as_ids = completions(url, **body, prompt=[[]])
    assert as_text["choices"][0]["text"] == as_ids["choices"][0]["text"] == ""
    assert as_text["choices"][0]["logprobs"] == as_ids["choices"][0]["logprobs"]


QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def chat(url: str, **body) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions", json={"model": "tiny-random", **body}, timeout=60
    )


def test_chat_logprobs_are_the_models_own_at_each_token_of_the_reply(served):
    url, _ = served
    reply = chat(url, messages=QUESTION, max_tokens=6, temperature=0, logprobs=True, top_logprobs=3)
    assert reply.status_code == 200, reply.text
    (choice,) = reply.json()["choices"]
    content = choice["logprobs"]["content"]
    assert len(content) == reply.json()["usage"]["completion_tokens"] == 6
    # The same reply, token by token, from the model itself: one forward pass per step.
    model, tokenizer = load_model("tiny-random")
    text = tokenizer.apply_chat_template(QUESTION, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False).input_ids
    for entry in content:
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids])).logits[0, -1]
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        best = logprobs.topk(3)
        token = int(best.indices[0])  # greedy
        assert entry["logprob"] == pytest.approx(float(logprobs[token]), abs=1e-4)
        assert entry["token"] == tokenizer.decode([token]) and bytes(entry["bytes"]).decode()
        top = entry["top_logprobs"]
        assert [t["logprob"] for t in top] == pytest.approx(best.values.tolist(), abs=1e-4)
        assert top[0]["token"] == entry["token"] and set(top[0]) == {"token", "logprob", "bytes"}
        ids.append(token)
    spelled = b"".join(bytes(entry["bytes"]) for entry in content).decode()
    assert spelled.lstrip() == choice["message"]["content"]


def test_chat_logprobs_of_sampled_replies_spell_them_through_the_openai_client(served):
    url, _ = served
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=30)
    reply = client.chat.completions.create(
        model="tiny-random", messages=QUESTION, max_tokens=8, logprobs=True, n=2, seed=5
    )
    for choice in reply.choices:
        tokens = choice.logprobs.content
        assert 1 <= len(tokens) <= 8 and all(
            t.logprob <= 0 and t.top_logprobs == [] for t in tokens
        )
        # A character split across tokens is whole again once their bytes are joined.
        spelled = b"".join(bytes(t.bytes) for t in tokens).decode(errors="replace")
        assert spelled.lstrip() == choice.message.content
    plain = client.chat.completions.create(model="tiny-random", messages=QUESTION, max_tokens=2)
    assert plain.choices[0].logprobs is None


def test_chat_logprobs_requests_it_cannot_answer_are_refused_by_name(served):
    url, _ = served
    for body, param in (
        ({"top_logprobs": 2}, "top_logprobs"),  # without logprobs: true, as OpenAI refuses it
        ({"logprobs": False, "top_logprobs": 2}, "top_logprobs"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({"logprobs": 1}, "logprobs"),  # a count is the legacy API's; chat's is a bool
    ):
        reply = chat(url, messages=QUESTION, max_tokens=2, **body)
        assert reply.status_code == 400 and reply.json()["error"]["param"] == param, reply.text
    (choice,) = chat(url, messages=QUESTION, max_tokens=2, logprobs=False).json()["choices"]
    assert choice["logprobs"] is None


def test_a_chat_reply_ended_by_its_eos_lists_it_named_as_the_token():
    # As vLLM lists it, and usage counts it; the reply's text has no such characters.
    from tunelab.models.random_weights import tiny_tokenizer
    from tunelab.serve.logprobs import _chat_logprobs

    tokenizer = tiny_tokenizer()
    reply = [*tokenizer("Hi", add_special_tokens=False).input_ids, tokenizer.eos_token_id]
    scored = [(-0.5, {token: -0.5, 0: -1.0}) for token in reply]
    content = _chat_logprobs(tokenizer, reply, scored, 1)["content"]
    assert [entry["token"] for entry in content] == ["H", "i", tokenizer.eos_token]
    assert bytes(content[-1]["bytes"]).decode() == tokenizer.eos_token
    assert [entry["top_logprobs"] for entry in content][0] == [
        {"token": "H", "logprob": -0.5, "bytes": [ord("H")]}
    ]
