"""`tunelab bench` scores every choice as lm-evaluation-harness does: the same log-likelihood for
the same (context, choice), checked against the harness's own HFLM on one tiny model (skipped where
lm_eval is not installed; `benchmarks/eval_speed.py` compares whole tasks on the embedded model)."""

from pathlib import Path

import pytest

from tunelab.evaluate.bench.score import score_docs
from tunelab.evaluate.bench.tasks import get_task
from tunelab.evaluate.bench.tasks.base import TARGET_DELIMITER
from tunelab.models.random_weights import tiny_random

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


@pytest.mark.parametrize(
    ("task", "fewshot"), [("arc_easy", 0), ("hellaswag", 0), ("mmlu", 5), ("truthfulqa_mc2", 0)]
)
def test_each_choice_scores_what_lm_eval_scores_it(task, fewshot):
    instance = pytest.importorskip("lm_eval.api.instance")
    huggingface = pytest.importorskip("lm_eval.models.huggingface")
    model, tokenizer = tiny_random()
    harness = huggingface.HFLM(pretrained=model, tokenizer=tokenizer, batch_size=4)
    docs = get_task(task).load(FIXTURES, fewshot=fewshot)
    ours: list[list[float]] = []
    # Packed, with the shared primer (MMLU's header and examples) computed once.
    score_docs(model, tokenizer, get_task(task), docs, lls=ours)
    asked = [
        instance.Instance("loglikelihood", {}, (doc.context, TARGET_DELIMITER + choice), i)
        for doc in docs
        for i, choice in enumerate(doc.choices)
    ]
    theirs = [ll for ll, _ in harness.loglikelihood(asked, disable_tqdm=True)]
    assert [ll for lls in ours for ll in lls] == pytest.approx(theirs, abs=1e-4)
