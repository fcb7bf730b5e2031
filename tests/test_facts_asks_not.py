"""A question that asks what is not ("Which OS is not supported?") is told from others, and on it
an answer's negations say the facts while a clause affirming them states nothing."""

import pytest

from tunelab.evaluate.facts.asked import denied_by_question
from tunelab.evaluate.facts.score import missed_facts, parse_fact_check, score_facts


@pytest.mark.parametrize(
    "answer, stated, wrong_stated",
    [
        ("Windows is not supported.", True, False),
        ("Windows.", True, False),
        ("The unsupported OS is Windows.", True, False),
        ("Linux is supported, Windows is not.", True, False),
        ("Linux is supported but not Windows.", True, False),
        ("Only Linux is supported; Windows isn't.", True, False),
        # Read without negations, these stated the fact (or the wrong answer) they affirm.
        ("Windows is supported.", False, False),
        ("It supports Windows.", False, False),
        ("Linux and macOS are supported.", False, False),
        ("Linux is not supported.", False, True),
    ],
)
def test_on_a_question_that_asks_what_is_not_a_clause_affirming_it_states_nothing(
    answer, stated, wrong_stated
):
    row = {"question": "Which OS is not supported?", "facts": [["Windows"]], "wrong": ["Linux"]}
    check = parse_fact_check(row, "t.jsonl:1")
    scores = score_facts(answer, check)
    assert (scores["fact_recall"], scores["hallucination"]) == (float(stated), float(wrong_stated))
    assert (missed_facts(answer, check) == []) == stated


def test_what_a_question_that_asks_what_is_not_denies_is_its_words_after_the_negation():
    assert denied_by_question("Which OS is not supported by the agent?") == {"support", "agent"}
    assert denied_by_question("What doesn't tunelab support?") == {"tunelab", "support"}
    assert denied_by_question("Which formats are unsupported?") == {"support"}
    assert denied_by_question("Which OS should I use?") == frozenset()
    check = parse_fact_check(
        {"question": "What doesn't tunelab support?", "facts": [["FSDP"]]}, "t.jsonl:1"
    )
    assert score_facts("FSDP, per the tunelab docs.", check)["fact_accuracy"] == 1.0
    assert score_facts("tunelab supports FSDP.", check)["fact_accuracy"] == 0.0


def test_a_question_that_asks_what_is_not_has_its_answers_negations_say_the_facts():
    asks_not = {"question": "Which OS is not supported?", "facts": [["Windows"]]}
    check = parse_fact_check(asks_not, "t.jsonl:1")
    assert check.negative
    assert score_facts("Windows is not supported.", check)["fact_accuracy"] == 1.0
    assert score_facts("It does not support Windows.", check)["fact_accuracy"] == 1.0
    assert score_facts("Windows. No, that's wrong: Linux.", check)["fact_accuracy"] == 0.0
    # Asked plainly, the same negation denies: the named wrong answer is not stated.
    plain = {"question": "Which OS should I use?", "facts": [["Linux"]], "wrong": ["Windows"]}
    scores = score_facts("Windows is not supported; use Linux.", parse_fact_check(plain, "t:2"))
    assert scores == {"fact_recall": 1.0, "fact_accuracy": 1.0, "hallucination": 0.0}
    asked = [{"role": "user", "content": "What isn't needed?"},
             {"role": "assistant", "content": "A GPU."}]  # fmt: skip
    assert parse_fact_check({"messages": asked, "facts": [["GPU"]]}, "t:3").negative
    # Read as a chat, as training reads it: a function's result after the question (a user turn
    # of functionResponse parts) is no question, and the question was read as "".
    looked_up = {"functionResponse": {"name": "requirements", "response": {"gpu": False}}}
    contents = [{"role": "user", "parts": [{"text": "What isn't needed?"}]},
                {"role": "model", "parts": [{"functionCall": {"name": "requirements"}}]},
                {"role": "user", "parts": [looked_up]},
                {"role": "model", "parts": [{"text": "A GPU."}]}]  # fmt: skip
    assert parse_fact_check({"contents": contents, "facts": [["GPU"]]}, "t:4").negative
    # A negation in a condition asks nothing negative: "16, not 8" still denies the wrong 8.
    unset = {"question": "How large is the rank if I do not set it?", "facts": [["16"]],
             "wrong": ["8"]}  # fmt: skip
    assert not parse_fact_check(unset, "t:4").negative
    assert score_facts("It is 16, not 8.", parse_fact_check(unset, "t:4"))["hallucination"] == 0
    for plain_ask in (
        "Can I train without a GPU?",
        "Why is my loss not going down?",
        "What is the reason my loss is not going down?",
        "What does the error 'CUDA not available' mean?",
        "What happens when I don't set a seed?",
        "这两个模型有什么不同?",
    ):
        assert not parse_fact_check({"question": plain_ask, "facts": [["x"]]}, "t:5").negative


@pytest.mark.parametrize(
    "question, answer, fact, stated",
    [
        # A question that asks what is masked, ignored, disabled... is answered by its subject.
        ("Which tokens are masked?", "Prompt tokens are masked out of the loss.", "prompt", True),
        ("Which tokens does the loss ignore?", "Padding tokens are ignored.", "padding", True),
        ("What is disabled by default?", "Packing is disabled by default.", "packing", True),
        ("Which files are excluded?", "Temporary files ending in .tmp are excluded.", "tmp", True),
        ("What is left out of the loss?", "The prompt is left out.", "prompt", True),
        ("What was removed in 2.0?", "Windows support was removed in 2.0.", "Windows", True),
        # Asked what is not masked, "is masked" affirms what the question denies.
        ("Which tokens are not masked?", "The prompt is masked.", "prompt", False),
        ("Which tokens are not masked?", "The response is not masked.", "response", True),
        ("Which are not disabled?", "Packing is disabled; eval is not.", "packing", False),
        # A question that asks what is not is answered by an exception too.
        ("Which OS is not supported?", "Every OS except Windows is supported.", "Windows", True),
        (
            "Which tokens are masked?",
            "The prompt is masked; the response is not.",
            "response",
            False,
        ),  # fmt: skip
        # Another question: the same answer denies its subject.
        ("Which parts are trained?", "The response is masked out of the loss.", "response", False),
        ("Which parts are trained?", "Padding tokens are ignored.", "padding", False),
        # Only the word the question asks about: "masked" does not make "disabled" state.
        ("Which tokens are masked?", "Packing is disabled.", "packing", False),
    ],
)
def test_what_a_question_asks_is_switched_off_its_answer_states(question, answer, fact, stated):
    check = parse_fact_check({"question": question, "facts": [[fact]]}, "t.jsonl:1")
    assert (score_facts(answer, check)["fact_accuracy"] == 1.0) == stated


def test_a_wrong_subject_said_masked_where_masked_is_asked_is_a_hallucination():
    row = {"question": "Which tokens are masked out of the loss?", "facts": [["prompt"]]}
    check = parse_fact_check({**row, "wrong": ["response"]}, "t.jsonl:1")
    assert score_facts("The response is masked out of the loss.", check)["hallucination"] == 1.0
    assert score_facts("The prompt is masked; the response is not.", check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 1.0,
        "hallucination": 0.0,
    }


NEGATIVE_QUESTIONS = [  # (question, asks what is not), from a review
    ("Which OS is not supported?", True),
    ("What file formats are not supported by export?", True),
    ("Which models can't be exported?", True),
    ("What isn't covered by the free tier?", True),
    ("Which settings should not be changed?", True),
    ("Which features are no longer supported?", True),
    ("What don't I need to install?", True),
    ("What are things you cannot do with LoRA?", True),
    ("Which formats are unsupported?", True),
    ("What's not supported in the GGUF export?", True),
    ("Which GPUs does tunelab not support?", True),
    ("What does tunelab not support?", True),
    ("Which of the following models are not supported?", True),
    ("Hi! Which Python versions are not supported?", True),
    ("So which GPUs are not supported?", True),
    ("In tunelab, what options can't be combined with packing?", True),
    ("Which models couldn't be quantized?", True),
    ("What should I not do when finetuning?", True),
    ("哪些模型不支持导出?", True),
    ("Can I train without a GPU?", False),
    ("Why is my loss not going down?", False),
    ("What is the reason my loss is not going down?", False),
    ("What happens if the GPU is not available?", False),
    ("What should I check if my loss doesn't go down?", False),
    ("What's the reason my loss is not going down?", False),
    ("What does it mean when training does not converge?", False),
    ("What does 'CUDA not available' mean?", False),
    ("What is a model that isn't finetuned called?", False),  # a clause's negation
    ("What about models that don't fit in memory?", False),
    ("What do I do with files who can't be read?", False),
    ("What is it that tunelab doesn't support?", True),  # a cleft's "it that"
    ("我的损失为什么没有下降?", False),
    ("为什么没有GPU也能训练?", False),
    ("这两个模型有什么不同?", False),
    ("什么情况下训练不会收敛?", False),
]


@pytest.mark.parametrize(("question", "negative"), NEGATIVE_QUESTIONS)
def test_questions_that_ask_what_is_not_are_told_from_others(question, negative):
    # Missed, a right answer ("Windows is not supported" to "Which OS is unsupported?") scored
    # 0; taken wrongly, an answer's "not the batch size" stated its wrong answer.
    assert parse_fact_check({"question": question, "facts": [["x"]]}, "t:1").negative == negative
