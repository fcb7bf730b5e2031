"""The OpenAI-compatible server, used the way a user would: the official `openai` client against a
real server on loopback, serving a tiny random base model and a LoRA run made from it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest
import torch

from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.generation.generate import generate
from tunelab.run import load_model
from tunelab.serve.launch import load_engines
from tunelab.serve.server import create_app
from tunelab.web import running

QUESTION = [{"role": "user", "content": "What is a LoRA adapter?"}]


def make_lora_run(root: Path, name: str = "lora-run", base: str = "tiny-random") -> Path:
    """A run folder holding a LoRA adapter on `base` whose outputs clearly differ from the base."""
    from peft import LoraConfig, get_peft_model

    model, tokenizer = load_model(base)
    # peft draws A from the global generator: seeded here, the run is the same whatever tests
    # ran before (one whose adapter made EOS the first token failed a length check elsewhere).
    with torch.random.fork_rng():
        torch.manual_seed(0)
        peft_model = get_peft_model(
            model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear")
        )
    with torch.no_grad():
        generator = torch.Generator().manual_seed(1)
        for param_name, param in peft_model.named_parameters():
            # B starts at zero: give it weights so the adapter really changes the model.
            if "lora_B" in param_name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    run = root / name
    peft_model.save_pretrained(run / "model")
    tokenizer.save_pretrained(run / "model")
    Config(name=name, model={"name": base}).to_yaml(run / "config.yaml")
    return run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_lora_run(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def engines(run_dir):
    engines = load_engines(["tiny-random", str(run_dir)], max_batch=8)
    yield engines
    for engine in engines.values():
        engine.close()


@pytest.fixture(scope="module")
def url(engines):
    with running(create_app(engines)) as base:
        yield base


@pytest.fixture(scope="module")
def client(url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=30)


def greedy_reference(name: str, messages, max_tokens: int) -> str:
    """What `tunelab generate` gives for the same prompt: the server must answer the same."""
    model, tokenizer = load_model(name)
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return generate(model, tokenizer, [prompt], max_new_tokens=max_tokens)[0].text


def test_lists_the_base_and_the_run_by_id(client):
    assert sorted(m.id for m in client.models.list()) == ["lora-run", "tiny-random"]
    assert client.models.retrieve("lora-run").id == "lora-run"
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("nope")
    body = err.value.body
    assert body["code"] == "model_not_found" and "tiny-random" in body["message"]


def test_a_run_is_served_by_its_folder_name_any_other_model_by_its_name_as_typed(run_dir):
    from tunelab.serve.launch import model_ids

    gguf = str(run_dir.parent / "exports" / "model.gguf")  # a path is its id whole
    assert model_ids([str(run_dir), gguf, "tiny-random"]) == ["lora-run", gguf, "tiny-random"]
    # Its model/ folder is served as the run, by the run's name (was "…/lora-run/model").
    assert model_ids([str(run_dir / "model")]) == ["lora-run"]
    with pytest.raises(TunelabError, match="lora-run/model is given twice: name each model once"):
        model_ids([str(run_dir), str(run_dir / "model")])


def test_a_run_named_from_inside_its_folder_is_served_by_its_folder_name(run_dir, monkeypatch):
    # `tunelab serve model` in runs/lora-run (or `serve .`) served the id "": the name of ".".
    from tunelab.serve.launch import model_ids

    monkeypatch.chdir(run_dir)
    assert model_ids(["model"]) == ["lora-run"]
    assert model_ids(["."]) == ["lora-run"]


def test_two_models_of_one_id_are_named_and_one_given_twice_is_told_so(tmp_path):
    from tunelab.serve.launch import model_ids

    for folder in ("a", "b"):  # a run: its config beside its weights
        (tmp_path / folder / "mine" / "model").mkdir(parents=True)
        (tmp_path / folder / "mine" / "config.yaml").write_text("name: mine\n")
    a, b = str(tmp_path / "a" / "mine"), str(tmp_path / "b" / "mine")
    with pytest.raises(TunelabError) as err:
        model_ids([a, b])
    assert str(err.value) == f"{a} and {b} would both be served as 'mine': rename one run folder"
    # The same run twice ("./" or not) was told to rename a run folder, too.
    with pytest.raises(TunelabError, match="is given twice: name each model once"):
        model_ids([a, f"{tmp_path}/a/./mine"])
    with pytest.raises(TunelabError, match="tiny-random is given twice"):
        model_ids(["tiny-random", "tiny-random"])


def test_a_model_asked_for_by_its_file_name_alone_is_told_the_id_served(engines):
    # `tunelab serve ./exports/model.gguf` serves the id './exports/model.gguf'; a client that
    # sent "model.gguf" got a 404 listing the ids, without saying which one it had meant.
    served = {"./exports/model.gguf": engines["tiny-random"]}
    with running(create_app(served)) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
        with pytest.raises(openai.NotFoundError) as err:
            client.completions.create(model="model.gguf", prompt="Hi", max_tokens=1)
    assert err.value.body["message"] == (
        "model 'model.gguf' is not served here; ids: ['./exports/model.gguf']."
        " Did you mean './exports/model.gguf'?"
    )  # the ids' list and the question ran together: "['./exports/model.gguf'] Did you mean"


def test_a_run_asked_for_by_its_folder_is_told_the_id_served(engines):
    # `tunelab serve runs/t` serves the id 't'; a client that sent the folder as typed,
    # "runs/t" (or "runs/t/model"), got a 404 listing the ids without saying which it meant.
    served = {"t": engines["tiny-random"], "tiny-random": engines["tiny-random"]}
    with running(create_app(served)) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
        for folder in ("runs/t", "runs/t/model"):
            with pytest.raises(openai.NotFoundError) as err:
                client.completions.create(model=folder, prompt="Hi", max_tokens=1)
            assert err.value.body["message"] == (
                f"model '{folder}' is not served here; ids: ['t', 'tiny-random']."
                " Did you mean 't'? (a run is served by its folder's name)"
            )


def test_the_ids_a_refusal_lists_are_in_the_order_models_lists_them(engines):
    # `tunelab serve runs/zeta tiny-random`: /v1/models said zeta first, the 404 tiny-random.
    served = {"zeta": engines["tiny-random"], "tiny-random": engines["tiny-random"]}
    with running(create_app(served)) as base:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
        assert [card.id for card in client.models.list()] == ["zeta", "tiny-random"]
        with pytest.raises(openai.NotFoundError) as unknown:
            client.completions.create(model="alpha", prompt="Hi", max_tokens=1)
        no_model = httpx.post(f"{base}/v1/completions", json={"prompt": "Hi"})
    assert "ids: ['zeta', 'tiny-random']" in unknown.value.body["message"]
    assert "(ids served here: zeta, tiny-random)" in no_model.json()["error"]["message"]


def test_a_models_card_says_when_it_was_made(client, run_dir):
    # "created" was 0 (1970) for every model; OpenAI's card gives a Unix time.
    cards = {card.id: card for card in client.models.list()}
    assert cards["lora-run"].created == int((run_dir / "model").stat().st_mtime)
    assert client.models.retrieve("lora-run").created == cards["lora-run"].created
    # A random model is made as the server loads it, after the run was written.
    assert cards["tiny-random"].created >= cards["lora-run"].created


def test_chat_greedy_matches_local_generation_for_base_and_lora_run(client, run_dir):
    base = client.chat.completions.create(
        model="tiny-random", messages=QUESTION, max_tokens=12, temperature=0
    )
    tuned = client.chat.completions.create(
        model="lora-run", messages=QUESTION, max_tokens=12, temperature=0
    )
    assert base.choices[0].message.content.strip() == greedy_reference("tiny-random", QUESTION, 12)
    assert tuned.choices[0].message.content.strip() == greedy_reference(str(run_dir), QUESTION, 12)
    assert base.choices[0].message.content != tuned.choices[0].message.content
    assert base.usage.completion_tokens <= 12 and base.choices[0].finish_reason in (
        "stop",
        "length",
    )


def test_streamed_chat_adds_up_to_the_whole_answer(client):
    whole = client.chat.completions.create(
        model="tiny-random", messages=QUESTION, max_tokens=10, temperature=0
    )
    stream = client.chat.completions.create(
        model="tiny-random",
        messages=QUESTION,
        max_tokens=10,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage.completion_tokens == 10


def test_completions_batch_of_prompts_with_n_and_streaming(client):
    out = client.completions.create(
        model="tiny-random", prompt=["Hello", "Bye"], n=2, max_tokens=5, temperature=0
    )
    texts = [c.text for c in sorted(out.choices, key=lambda c: c.index)]
    assert len(texts) == 4 and texts[0] == texts[1] and texts[2] == texts[3]  # greedy: n copies
    streamed = client.completions.create(
        model="tiny-random", prompt="Hello", max_tokens=5, temperature=0, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed) == texts[0]
    empty = client.completions.create(model="tiny-random", prompt="", max_tokens=3)
    assert empty.usage.prompt_tokens == 1  # starts from the start token, as OpenAI's API does


def test_seed_makes_sampling_repeatable_and_stop_cuts_the_text(client):
    def sample(**extra) -> openai.types.Completion:
        return client.completions.create(
            model="tiny-random",
            prompt="Once upon",
            max_tokens=16,
            temperature=1.0,
            top_p=0.9,
            **{"seed": 7, **extra},
        )

    first, second = sample(), sample()
    assert first.choices[0].text == second.choices[0].text
    assert len(sample(seed=2**64 - 1, n=2).choices) == 2  # any integer seed, n seeds from it
    text = first.choices[0].text
    stop = text[5:8]
    cut = sample(stop=[stop]).choices[0]
    assert cut.text == text[: text.index(stop)] and cut.finish_reason == "stop"


def test_completions_take_token_ids_as_eval_harnesses_send_them(client, engines):
    ids = engines["tiny-random"].encode("Hello")
    by_text = client.completions.create(
        model="tiny-random", prompt="Hello", max_tokens=5, temperature=0
    )
    by_ids = client.completions.create(
        model="tiny-random", prompt=[ids, ids], max_tokens=5, temperature=0
    )
    assert [c.text for c in by_ids.choices] == [by_text.choices[0].text] * 2
    with pytest.raises(openai.BadRequestError, match="token ids"):
        client.completions.create(model="tiny-random", prompt=[10**6], max_tokens=5)


def test_concurrent_requests_share_one_batch(client, engines):
    results: list[str] = []

    def ask(i: int) -> None:
        reply = client.completions.create(
            model="tiny-random", prompt=f"Question {i}", max_tokens=40, temperature=0
        )
        results.append(reply.choices[0].text)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 6
    assert engines["tiny-random"].load()["peak_batch"] > 1


def test_client_leaving_mid_stream_or_mid_request_frees_its_slot(url, engines):
    engine = engines["tiny-random"]
    before = engine.load()["abandoned"]
    body = {
        "model": "tiny-random",
        "prompt": "Tell",
        "max_tokens": 2000,
        "temperature": 0,
        "stream": True,
    }
    with httpx.stream("POST", f"{url}/v1/completions", json=body, timeout=30) as response:
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data:"))
        assert json.loads(first[5:])["object"] == "text_completion"
    with pytest.raises(httpx.ReadTimeout):  # a plain request whose client gives up waiting
        httpx.post(f"{url}/v1/completions", json={**body, "stream": False}, timeout=0.3)
    deadline = time.monotonic() + 10
    while (
        engine.load()["abandoned"] < before + 2 or engine.load()["active"]
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.load()["abandoned"] == before + 2 and engine.load()["active"] == 0


@pytest.mark.slow
def test_embedded_model_answers_through_the_openai_client():
    engines = load_engines(["smollm2-135m-instruct"])
    try:
        with running(create_app(engines)) as base:
            client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
            stream = client.chat.completions.create(
                model="smollm2-135m-instruct",
                stream=True,
                temperature=0,
                max_tokens=30,
                messages=[{"role": "user", "content": "What is 2 + 2? Answer with the number."}],
            )
            answer = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert "4" in answer
    finally:
        engines["smollm2-135m-instruct"].close()


def test_a_run_is_served_with_the_template_and_system_prompt_it_was_trained_with(tmp_path):
    from tunelab.config import Config
    from tunelab.serve.launch import load_engines

    run = make_lora_run(tmp_path)
    config = Config.from_yaml(run / "config.yaml")
    config.data.system_prompt = "You answer about tunelab."
    config.to_yaml(run / "config.yaml")
    (engine,) = load_engines([str(run)]).values()
    try:
        prompt = engine.tokenizer.decode(engine.encode_chat([{"role": "user", "content": "hi"}]))
        assert prompt.startswith("<|im_start|>system\nYou answer about tunelab.<|im_end|>")
        assert prompt.endswith("<|im_start|>assistant\n")
    finally:
        engine.close()


def test_a_qa_run_without_a_chat_template_answers_chat_requests_in_its_format(tmp_path):
    run = make_lora_run(tmp_path)
    config = Config.from_yaml(run / "config.yaml")
    config.data.template = "qa"  # e.g. a base model that never had a chat template
    config.to_yaml(run / "config.yaml")
    (run / "model" / "chat_template.jinja").unlink()
    (engine,) = load_engines([str(run)]).values()
    try:
        assert not engine.tokenizer.chat_template
        with running(create_app({"qa-run": engine})) as base:
            client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
            reply = client.chat.completions.create(
                model="qa-run", messages=QUESTION, max_tokens=3, temperature=0
            )
        prompt = engine.tokenizer.decode(engine.encode_chat(QUESTION))
        assert prompt == "### Question:\nWhat is a LoRA adapter?\n\n### Answer:"
        assert reply.usage.prompt_tokens == len(engine.encode(prompt))
        # A conversation ending in a reply is asked its last user message, as the exported
        # template asks it; it was asked an empty question.
        last = {"role": "assistant", "content": "It is"}
        assert engine.tokenizer.decode(engine.encode_chat([*QUESTION, last])) == prompt
        with pytest.raises(TunelabError, match="no user message"):
            engine.encode_chat([{"role": "assistant", "content": "Hi."}])
        # A tool's result would be dropped with the rest of the history (it was, in silence):
        # the request is refused with a 400, as training and eval refuse a tool turn here.
        tool = {"role": "tool", "content": "42"}
        with running(create_app({"qa-run": engine})) as base:
            client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
            with pytest.raises(
                openai.BadRequestError, match="a tool turn has no place in the 'qa'"
            ):
                client.chat.completions.create(model="qa-run", messages=[*QUESTION, tool])
    finally:
        engine.close()


def test_a_conversation_ending_in_a_reply_keeps_it_and_a_new_reply_follows(client, engines):
    # As vLLM answers it: the reply stays in the history (it was dropped, and the user's
    # question answered again), and a new assistant turn opens after it.
    engine = engines["tiny-random"]
    reply = {"role": "assistant", "content": "A LoRA adapter is"}
    expected = engine.tokenizer.apply_chat_template(
        [*QUESTION, reply], tokenize=False, add_generation_prompt=True
    )
    assert engine.tokenizer.decode(engine.encode_chat([*QUESTION, reply])) == expected
    answered = client.chat.completions.create(
        model="tiny-random", messages=[*QUESTION, reply], max_tokens=2, temperature=0
    )
    assert answered.usage.prompt_tokens == len(engine.encode(expected))


def test_local_generation_stops_decoding_at_a_stop_string():
    from tunelab.models.random_weights import tiny_random

    model, tokenizer = tiny_random()
    prompts = ["hello there", "a longer prompt, padded less"]
    full = generate(model, tokenizer, prompts, max_new_tokens=40)
    stop = full[0].text[2:5]  # "eee": the prompt's last "e" must not count towards it
    cut = generate(model, tokenizer, prompts, max_new_tokens=40, stop=[stop])
    assert cut[0].text == full[0].text[: full[0].text.index(stop)]
    assert cut[0].finish_reason == "stop"
    # Decoding ended at the stop string: far fewer tokens than running on to max_new_tokens.
    assert cut[0].completion_tokens < full[0].completion_tokens == 40


def test_a_repetition_penalty_comes_from_the_checkpoint_or_the_request(client, engines):
    model, tokenizer = load_model("tiny-random")
    prompt = "Once upon a time, once upon a time"
    # The tiny model repeats the prompt's last character with a wide margin: a strong penalty.
    plain = generate(model, tokenizer, [prompt], max_new_tokens=12)[0].text
    model.generation_config.repetition_penalty = 50.0
    expected = generate(model, tokenizer, [prompt], max_new_tokens=12)[0].text
    assert expected != plain

    def ask(**extra) -> str:
        reply = client.completions.create(
            model="tiny-random", prompt=prompt, max_tokens=12, temperature=0, **extra
        )
        return reply.choices[0].text.strip()

    assert ask() == plain
    assert ask(extra_body={"repetition_penalty": 50.0}) == expected  # vLLM's field
    served = engines["tiny-random"].model.generation_config
    served.repetition_penalty = 50.0
    try:
        assert ask() == expected  # the checkpoint's own, as model.generate applies it
    finally:
        served.repetition_penalty = 1.0


def test_a_tool_turn_is_part_of_the_prompt_a_chat_request_is_answered_after(client, engines):
    # An agent sends the tool's result back as a "tool" turn; the model reads it as context.
    messages = [
        *QUESTION,
        {"role": "assistant", "content": "Let me look it up."},
        {"role": "tool", "content": "A LoRA adapter is a pair of low-rank matrices."},
    ]
    reply = client.chat.completions.create(model="tiny-random", messages=messages, max_tokens=2)
    prompt = engines["tiny-random"].encode_chat(messages)
    assert reply.usage.prompt_tokens == len(prompt)
    assert "<|im_start|>tool\nA LoRA adapter is" in engines["tiny-random"].tokenizer.decode(prompt)
