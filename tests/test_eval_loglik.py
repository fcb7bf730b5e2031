"""The log-likelihood scorer: harness tokenization, and packed scoring equal to one pass per choice."""

import torch

from tunelab.evaluate.bench.loglik import (
    Request,
    _rows,
    _share_prefixes,
    encode_pair,
    loglikelihoods,
)
from tunelab.run import load_model


def direct(model, tok, context: str, continuation: str) -> float:
    """One forward pass on context+continuation, as lm-evaluation-harness does per request."""
    ctx, cont = encode_pair(tok, context, continuation)
    with torch.no_grad():
        logprobs = model(torch.tensor([ctx + cont])).logits.log_softmax(-1)[0]
    return sum(logprobs[len(ctx) - 1 + j, t].item() for j, t in enumerate(cont))


def test_encode_pair_takes_the_tail_of_the_whole_string_and_moves_trailing_spaces():
    _, tok = load_model("tiny-random")
    ctx, cont = encode_pair(tok, "Question: 2+2?\nAnswer: ", "4")
    assert tok.decode(ctx) == "Question: 2+2?\nAnswer:"
    assert tok.decode(cont) == " 4"
    whole = tok("Answer: yes").input_ids
    ctx, cont = encode_pair(tok, "Answer:", " yes")
    assert ctx + cont == whole


def test_packed_choices_score_the_same_as_one_pass_per_choice():
    model, tok = load_model("tiny-random")
    requests = [
        Request(
            "Question: Which gas do plants take in?\nAnswer:", [" oxygen", " carbon dioxide", " He"]
        ),
        Request("Q: Can pigs fly?\nA:", [" No, pigs cannot fly.", " Yes."]),
        Request("short", [" a much longer continuation than the context itself"]),
    ]
    fast = loglikelihoods(model, tok, requests, batch_size=2)
    for request, scores in zip(requests, fast):
        expected = [direct(model, tok, request.context, c) for c in request.continuations]
        assert scores == [pytest_approx(e) for e in expected]


def test_contexts_longer_than_the_model_are_left_truncated_like_the_harness():
    model, tok = load_model("tiny-random")
    model.config.max_position_embeddings = 16
    context, choice = "x" * 40, " yes"
    ctx, cont = encode_pair(tok, context, choice)
    kept = (ctx + cont)[-17:]
    with torch.no_grad():
        logprobs = model(torch.tensor([kept])).logits.log_softmax(-1)[0]
    start = len(kept) - len(cont)
    expected = sum(logprobs[start - 1 + j, t].item() for j, t in enumerate(cont))
    [[score]] = loglikelihoods(model, tok, [Request(context, [choice])])
    assert abs(score - expected) < 1e-4


def pytest_approx(value: float):
    import pytest

    return pytest.approx(value, abs=1e-4)


def test_requests_sharing_a_primer_score_the_same_as_one_pass_per_choice():
    model, tok = load_model("tiny-random")
    primer = (
        "Q: What is the capital of France?\nA: Paris.\n\nQ: What colour is the sky?\nA: Blue.\n\n"
    )
    requests = [
        Request(primer + "Q: Can pigs fly?\nA:", [" No.", " Yes, they can fly.", " Maybe"]),
        Request(primer + "Q: Is ice cold?\nA:", [" Yes.", " No."]),
        Request(primer + "Q: 2+2?\nA:", [" 4", " 5", " four, of course"]),
        Request(primer + "Which letter?\nAnswer:", [" A", " B", " C", " D"]),  # one token each
        Request("Unrelated context:", [" x", " yy"]),
    ]
    fast = loglikelihoods(model, tok, requests, batch_size=2)
    for request, scores in zip(requests, fast):
        expected = [direct(model, tok, request.context, c) for c in request.continuations]
        assert scores == [pytest_approx(e) for e in expected]


def test_rows_with_a_common_start_share_it_and_others_do_not():
    _, tok = load_model("tiny-random")
    header_a = "The following are questions about anatomy, all of them.\n\n"
    header_b = "The following are questions about zoology, all of them.\n\n"
    requests = [Request(header_a + f"Question {i}?\nAnswer:", [" A", " B"]) for i in range(4)]
    requests += [Request(header_b + f"Question {i}?\nAnswer:", [" A", " B"]) for i in range(3)]
    requests += [Request("Alone", [" A"])]
    rows = _rows(requests, tok, 2048)
    groups = _share_prefixes(rows, min_shared=8)
    sizes = sorted((len(members), len(shared)) for shared, members in groups)
    shared_a = len(tok(header_a + "Question ").input_ids)
    assert [size for size, _ in sizes] == [1, 3, 4]
    assert sizes[0][1] == 0  # a lone row shares nothing
    assert sizes[2][1] >= shared_a - 1  # the header and more, not just "The following are"
    assert all(row.shared < len(row.prefix) for row in rows)


def test_rows_that_share_nothing_are_batched_together():
    _, tok = load_model("tiny-random")
    requests = [Request(f"{word} is a word.", [" yes", " no"]) for word in ("cat", "dog", "emu")]
    groups = _share_prefixes(_rows(requests, tok, 2048), min_shared=8)
    assert [(len(shared), len(members)) for shared, members in groups] == [(0, 3)]


def test_a_lora_run_is_scored_through_its_adapter():
    from peft import LoraConfig, get_peft_model

    model, tok = load_model("tiny-random")
    # Random (not zero) adapter weights, so scores differ from the base model's.
    lora = LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)
    tuned = get_peft_model(model, lora)
    primer = (
        "Q: What is the capital of France?\nA: Paris.\n\nQ: What colour is the sky?\nA: Blue.\n\n"
    )
    requests = [
        Request(primer + f"Q: Is {x} big?\nA:", [" Yes.", " No, it is small."]) for x in "ab"
    ]
    fast = loglikelihoods(tuned, tok, requests, batch_size=1)
    for request, scores in zip(requests, fast):
        expected = [direct(tuned, tok, request.context, c) for c in request.continuations]
        assert scores == [pytest_approx(e) for e in expected]
    with tuned.disable_adapter():
        base = loglikelihoods(tuned, tok, requests)
    assert base[0][0] != pytest_approx(fast[0][0])


def test_progress_is_reported_before_the_first_pass_and_after_each_in_questions():
    model, tok = load_model("tiny-random")
    requests = [Request(f"Question {i}:", [" yes", " no"]) for i in range(5)]
    seen = []
    loglikelihoods(model, tok, requests, batch_size=1, on_progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)  # the bar shows before a long first pass
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_windowed_model_beyond_its_window_scores_as_one_pass_per_choice():
    # The packed pass's block mask replaces the model's own, which windows the attention.
    from transformers import MistralConfig, MistralForCausalLM

    from tunelab.models.random_shapes import TINY_SHAPE
    from tunelab.models.random_weights import tiny_tokenizer

    tok = tiny_tokenizer()
    torch.manual_seed(0)
    config = MistralConfig(**TINY_SHAPE | {"vocab_size": len(tok), "sliding_window": 16})
    model = MistralForCausalLM(config).eval()
    primer = "Q: What is the capital of France?\nA: Paris.\n\n"
    requests = [Request(primer + f"Q: Is {x} big?\nA:", [" Yes.", " No, small."]) for x in "ab"]
    requests.append(Request("Q:", [" x"]))  # within the window: packed as before
    fast = loglikelihoods(model, tok, requests, batch_size=2)
    for request, scores in zip(requests, fast):
        expected = [direct(model, tok, request.context, c) for c in request.continuations]
        assert scores == [pytest_approx(e) for e in expected]
