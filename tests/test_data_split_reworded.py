"""`data split`, training and `data check` agree on what a leak is: a row that gives a held-out
row's answer to its question reworded ("Is it free?" / "Is Lamini free?") stays on the test
side of a split, and is dropped from training beside a separate test file; a rephrasings split
holds such rows out on purpose, which the check of its halves says rather than calling them
leaks."""

from __future__ import annotations

from tests.test_data_check_reworded import PYTHON_CODE, ROWS, SQL_ANSWER
from tests.test_data_quality import FACTS, TINY, qa_rows, write_rows
from tunelab.config import DataConfig
from tunelab.data.load import load_examples
from tunelab.data.pipeline import prepare
from tunelab.data.quality.check import check_file
from tunelab.data.quality.dedup import near_questions
from tunelab.data.quality.report import to_markdown
from tunelab.data.split import split_examples
from tunelab.data_commands import split

# ROWS[0]'s fact asked again in other words: word shingles of the questions miss it.
REWORDED = (
    "Quick question: can Lamini create SQL queries from a description of the data I need?",
    SQL_ANSWER,
)


def test_a_reworded_pair_never_straddles_a_questions_split(tmp_path):
    rows = qa_rows(FACTS + ROWS + [PYTHON_CODE, REWORDED])
    examples = load_examples(str(write_rows(tmp_path / "d.jsonl", rows)))
    pair = {ROWS[0][0], REWORDED[0]}
    for seed in range(8):
        train, test = split_examples(examples, test_size=3, seed=seed, near=near_questions)
        sides = {"train" for e in train if e.question in pair} | {
            "test" for e in test if e.question in pair
        }
        assert len(sides) == 1, seed
        halves = [
            write_rows(tmp_path / f"{name}.jsonl", qa_rows((e.question, e.answer) for e in part))
            for name, part in (("train", train), ("test", test))
        ]
        assert check_file(*halves, config=TINY).contamination == [], seed


def test_training_beside_a_test_file_drops_the_row_that_rewords_a_test_fact(tiny, tmp_path):
    train = write_rows(tmp_path / "train.jsonl", qa_rows(FACTS + ROWS + [PYTHON_CODE]))
    test = write_rows(tmp_path / "test.jsonl", qa_rows([REWORDED]))
    data = prepare(DataConfig(path=str(train), test_path=str(test)), tiny[1], near_questions)
    assert data.leaked_removed == 1
    assert ROWS[0][0] not in [e.question for e in data.train_examples]


# Each fact asked two ways, one answer: what `--held-out rephrasings` holds one of out.
ASKED_TWICE = [
    (question, answer)
    for (first, answer), other in zip(
        ROWS,
        [
            "Is Lamini able to write SQL queries from a description of the data I need?",
            "Can I fine-tune Lamini on documents in languages other than English?",
            "What should I do about rate limit errors from the Lamini API?",
        ],
    )
    for question in (first, other)
]


def test_a_rephrasings_split_checks_its_facts_asked_anew_as_by_design(tiny, tmp_path):
    data = write_rows(tmp_path / "d.jsonl", qa_rows(FACTS + ASKED_TWICE))
    done = split(data, tmp_path / "split", test_size=3, held_out="rephrasings", seed=0)
    report = check_file(done["train"], done["test"], TINY)
    assert report.contamination == []
    assert sorted(p.second for p in report.anew) == [0, 1, 2]
    assert not any("leaks test row" in why for why in report.removals().values())
    markdown = to_markdown(report)
    assert "| test rows asking a trained fact anew | 3 of 3: by design, no leak |" in markdown
    assert "what `data split --held-out rephrasings` holds out, as its split.json" in markdown
    # Training on its halves keeps the rows that teach those facts: they are what is asked.
    config = DataConfig(path=str(done["train"]), test_path=str(done["test"]))
    assert prepare(config, tiny[1], near_questions).leaked_removed == 0
