"""A local judge (a tunelab model or run, not an endpoint) always gives a verdict: it chooses the
allowed reply it finds likeliest after the judge's prompt, as lm-evaluation-harness scores a
multiple choice, so even a model that cannot keep to a reply format (a tiny random one here)
grades every answer and judges every pair."""

from __future__ import annotations

import json

import pytest
import torch

import tunelab
from tests.conftest import write_jsonl
from tunelab.evaluate.judge import grades, verdicts
from tunelab.models.random_weights import tiny_random

ANSWERS = {  # question: (reference, one model's answer, another's)
    "What is tunelab?": ("A finetuning toolkit.", "A finetuning toolkit.", "A pasta."),
    "Does it need a GPU?": ("No.", "No.", "Yes, always."),
    "Where do runs go?": ("runs/<name>/", "Nowhere.", "runs/<name>/"),
}


@pytest.fixture
def judge_model(tmp_path):
    """A tiny random model saved as a model folder, the judge; and the same model in memory."""
    model, tokenizer = tiny_random(seed=3)
    model.save_pretrained(tmp_path / "judge")
    tokenizer.save_pretrained(tmp_path / "judge")
    return tmp_path / "judge", model.eval(), tokenizer


@pytest.fixture
def answer_files(tmp_path):
    for name, column in (("one", 1), ("other", 2)):
        rows = [{"question": q, "answer": v[column], "reference": v[0]} for q, v in ANSWERS.items()]
        write_jsonl(tmp_path / f"{name}.jsonl", rows)
    (tmp_path / "ratings").mkdir()
    return [tmp_path / "one.jsonl", tmp_path / "other.jsonl"], tmp_path / "ratings" / "votes.jsonl"


def loglikelihood(model, tokenizer, conversation: list[dict], reply: str) -> float:
    """log P(reply | the judge's prompt), by one plain forward pass over prompt + reply (the
    tiny tokenizer is byte-level: the reply's tokens are the tail of the whole's)."""
    prompt = tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
    start = len(tokenizer(prompt, add_special_tokens=False).input_ids)
    ids = torch.tensor([tokenizer(prompt + reply, add_special_tokens=False).input_ids])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0, :-1].float(), dim=-1)
    return sum(logprobs[i - 1, ids[0, i]].item() for i in range(start, ids.shape[1]))


def assert_chose_the_likeliest(record_loglikelihoods: dict, expected: dict, reply: str) -> None:
    """The reply is the likeliest of the allowed ones, and the recorded log-likelihoods are the
    model's. The harness scores the template's trailing newline with each reply: the same term
    in every one, so they are compared as their differences from the reply's."""
    assert reply == max(expected, key=expected.__getitem__)
    assert list(record_loglikelihoods) == list(expected)
    for allowed, value in expected.items():
        recorded = record_loglikelihoods[allowed] - record_loglikelihoods[reply]
        assert recorded == pytest.approx(value - expected[reply], abs=1e-3)


def test_a_local_judge_grades_every_answer_with_its_likeliest_grade(judge_model, answer_files):
    folder, model, tokenizer = judge_model
    files, votes = answer_files
    result = tunelab.judge(files, judge=str(folder), votes=str(votes), grade=True)
    assert result.no_verdict == [] and len(result.records) == 6  # 3 questions, 2 answer sets
    written = [
        json.loads(line) for line in (votes.parent / "grades.jsonl").read_text().splitlines()
    ]
    assert {r["chosen_by"] for r in written} == {"likelihood"}
    for record in written:
        reference, *answers = ANSWERS[record["question"]]
        answer = answers[record["model"] == "other"]
        conversation = grades.conversation(record["question"], reference, answer)
        expected = {r: loglikelihood(model, tokenizer, conversation, r) for r in grades.REPLIES}
        assert_chose_the_likeliest(record["loglikelihoods"][0], expected, record["reply"])
        assert (record["right"], record["false"]) == grades.read_grade(record["reply"])


def test_a_local_judge_judges_every_pair_in_both_orders_by_likelihood(judge_model, answer_files):
    folder, model, tokenizer = judge_model
    files, votes = answer_files
    result = tunelab.judge(files, judge=str(folder), votes=str(votes))
    assert result.no_verdict == [] and len(result.records) == 3
    for record in result.records:
        reference, *answers = ANSWERS[record["question"]]
        left, right = answers[record["left"] == "other"], answers[record["right"] == "other"]
        orders = [(left, right), (right, left)]
        assert record["chosen_by"] == "likelihood"
        for (first, second), reply, scored in zip(
            orders, record["replies"], record["loglikelihoods"]
        ):
            conversation = verdicts.conversation(record["question"], first, second, reference)
            expected = {
                r: loglikelihood(model, tokenizer, conversation, r) for r in verdicts.REPLIES
            }
            assert_chose_the_likeliest(scored, expected, reply)


def test_a_prompt_longer_than_a_local_judge_reads_gets_no_verdict(tmp_path, answer_files):
    model, tokenizer = tiny_random(max_position_embeddings=256)  # a grading prompt is ~900 bytes
    model.save_pretrained(tmp_path / "short")
    tokenizer.save_pretrained(tmp_path / "short")
    files, votes = answer_files
    result = tunelab.judge(files[:1], judge=str(tmp_path / "short"), votes=str(votes), grade=True)
    assert result.records == [] and len(result.no_verdict) == 3
    assert {r["reply"] for r in result.no_verdict} == {""}


def test_a_run_asked_in_qa_form_judges_with_the_rubric_in_its_question(tmp_path, monkeypatch):
    # The qa template asks the last user message alone: the rubric, a system message, was dropped,
    # and a qa run graded answers never told what [[RIGHT]] or [[FALSE]] mean.
    from tests.conftest import tiny_run
    from tests.test_run import QA
    from tunelab.evaluate.bench import loglik
    from tunelab.evaluate.judge.asking import likeliest

    asked = []

    def scored(model, tokenizer, requests):
        asked.extend(r.context for r in requests)
        return [[0.0] * len(r.continuations) for r in requests]

    monkeypatch.setattr(loglik, "loglikelihoods", scored)
    judge = likeliest(str(tiny_run(tmp_path, QA)), grades.REPLIES)
    list(judge([grades.conversation("What is tunelab?", "A toolkit.", "A pasta.")]))
    (prompt,) = asked
    assert prompt.startswith("### Question:\n" + grades.GRADE_RUBRIC)
    assert prompt.endswith("[Answer]\nA pasta.\n\n### Answer:")


def test_a_run_is_one_judge_named_by_its_folder_or_its_model_folder(tmp_path, answer_files):
    # `--judge runs/x` then `--judge runs/x/model` graded every answer again, as another judge
    # ("judge:runs/x/model"), though both load and ask the same run.
    from tests.conftest import tiny_run
    from tests.test_run import QA

    run = tiny_run(tmp_path, QA)
    files, votes = answer_files
    first = tunelab.judge(files[:1], judge=str(run), votes=str(votes), grade=True)
    again = tunelab.judge(files[:1], judge=str(run / "model"), votes=str(votes), grade=True)
    assert len(first.records) == 3 and again.already == 3
    written = (votes.parent / "grades.jsonl").read_text().splitlines()
    assert {json.loads(line)["source"] for line in written} == {f"judge:{run}"}


def test_a_judge_is_one_judge_however_its_path_is_typed(tmp_path, answer_files, monkeypatch):
    # `--judge ./runs/x` and `--judge /home/me/project/runs/x` graded every answer again, as a
    # judge apart from `--judge runs/x`.
    from tests.conftest import tiny_run
    from tests.test_run import QA

    monkeypatch.chdir(tmp_path)
    run = tiny_run(tmp_path, QA).relative_to(tmp_path)
    files, votes = answer_files
    first = tunelab.judge(files[:1], judge=str(run), votes=str(votes), grade=True)
    for typed in (f"./{run}", str(tmp_path / run), str(tmp_path / run / "model")):
        again = tunelab.judge(files[:1], judge=typed, votes=str(votes), grade=True)
        assert again.already == 3, typed  # taken from grades.jsonl, none asked again
    assert len(first.records) == 3
    written = (votes.parent / "grades.jsonl").read_text().splitlines()
    assert {json.loads(line)["source"] for line in written} == {f"judge:{run}"}
