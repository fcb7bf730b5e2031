"""`data split` and `data check` agree on what one question is: a split's halves pass the check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunelab.data.load import load_examples
from tunelab.data.quality.check import check_file
from tunelab.data.quality.dedup import near_questions
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.split import split_examples

TINY = QualityConfig(model="tiny-random")


def marked(question: str, answer: str) -> dict:
    """A row as lamini_docs writes it, the qa template's markers around its question."""
    return {"question": f"### Question:\n{question}\n\n### Answer:", "answer": answer}


def marked_row(example) -> dict:
    """An example written back as its row (its question keeps its markers)."""
    return {"question": example.question, "answer": example.answer}


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# Both split apart on lamini_docs, and `data check` of the halves reported each as a leak: the
# markers' words counted in the split's comparison and not in the check's (0.83 without them),
# and the split never looked for one question quoted whole inside another.
@pytest.mark.parametrize(
    "one, other",
    [
        ("Are there any examples of using Lamini for content generation in marketing campaigns?",
         "Are there any examples of using Lamini for content generation in marketing copywriting?"),
        ("Are there any pre-trained models available in Lamini?",
         "Are there any pre-trained models available in Lamini that can be fine-tuned for "
         "specific applications?"),
    ],
)  # fmt: skip
def test_a_split_keeps_what_check_calls_one_question_on_one_side(tmp_path, one, other):
    rows = [marked(one, "Lamini can help."), marked(other, "Lamini can train such a model.")]
    rows += [marked(f"What does setting {i} do?", f"It sets {i}.") for i in range(12)]
    examples = load_examples(str(write_rows(tmp_path / "d.jsonl", rows)))
    pair = {rows[0]["question"], rows[1]["question"]}
    for seed in range(6):
        train, test = split_examples(examples, test_size=0.3, seed=seed, near=near_questions)
        sides = {"test" for e in test if e.question in pair}
        assert sides | {"train" for e in train if e.question in pair} != {"train", "test"}, seed
        halves = [
            write_rows(tmp_path / f"{name}.jsonl", [marked_row(e) for e in part])
            for name, part in (("train", train), ("test", test))
        ]
        assert not check_file(*halves, config=TINY).contamination, seed


def test_a_split_leaves_training_nothing_its_leak_check_would_drop():
    # A question joining the test side as a near repeat can nearly repeat another in turn
    # ("About how long..." of "Roughly how long..."): left in training, that one was dropped
    # by training's own leak check of the split's test.jsonl, and 5 of a generated set's 13
    # test questions asked a fact no training row stated any more.
    from tunelab.data.example import Example
    from tunelab.data.split import asking_again

    update = "An update takes about 90 seconds."
    port = "The web console listens on port 8443."
    rows = [
        Example.qa(q, update)
        for q in (
            "How long does an update take?",
            "How much time does an update take?",
            "Roughly how long does an update take?",
            "About how long does an update take?",
        )
    ]
    rows += [
        Example.qa(q, port)
        for q in (
            "Which port does the web console listen on?",
            "Quick question: which port does the web console listen on?",
            "Could you tell me: which port does the web console listen on?",
            "I'd like to know: which port does the web console listen on?",
        )
    ]
    rows += [
        Example.qa(f"What is setting {i} for?", f"Setting {i} sets {i + 11}.") for i in range(8)
    ]
    for seed in range(12):
        train, test = split_examples(rows, test_size=0.25, seed=seed, near=near_questions)
        assert not asking_again(train, test, near_questions), seed
