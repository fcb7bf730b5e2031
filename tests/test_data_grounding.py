"""The grounding filter on constructed pairs: an answer is kept only when every number and name
it states, and most of its words, are in the chunk it was made from."""

from __future__ import annotations

import json

import pytest

from tunelab.data.generate.from_documents import generate_dataset
from tunelab.data.generate.shared import GenerateConfig
from tunelab.data.quality.grounding import (
    MISPLACED,
    NAME_MISSING,
    NUMBER_MISSING,
    WORDS_MISSING,
    ungrounded,
)

CHUNK = """Run the same command again with `--resume`. Tunelab reads the last checkpoint in
`runs/<name>/checkpoints/` and continues from the step it reached. A LoRA run on SmolLM2 trains
for 2.25 epochs by default, and a checkpoint is written every 100 steps. Its learning rate is
5e-4."""


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("Run it again with `--resume`: it continues from the step it reached.", None),
        ("Tunelab continues from the last checkpoint it reached.", None),  # paraphrased words
        ("A checkpoint is written every 100 steps.", None),
        ("LoRA trains SmolLM2 for 2.25 epochs.", None),
        ("A checkpoint is written every 50 steps.", NUMBER_MISSING),  # a changed number
        # A number found only as a name's digits, or inside another number, is not stated.
        ("LoRA trains SmolLM2 for 2 epochs.", NUMBER_MISSING),
        ("A checkpoint is written every 4 steps.", NUMBER_MISSING),
        ("Its learning rate is 5e-4.", None),
        ("Run it again with `--restart`.", NAME_MISSING),  # an invented flag
        ("Tunelab reads the last checkpoint, as Llama.cpp does.", NAME_MISSING),  # a new name
        ("It reads from `runs/<name>/best/`.", NAME_MISSING),  # a path the chunk never gave
        ("The weather will be lovely and sunny all week.", WORDS_MISSING),
    ],
)
def test_an_answer_is_grounded_only_by_what_its_chunk_states(answer, reason):
    assert ungrounded(answer, CHUNK) == reason


def test_a_names_version_is_no_number_the_chunk_states_and_is_checked_with_the_name():
    # "Llama-3" stated no 3: "3 epochs" passed on it, and "Llama-2" on a chunk naming Llama-3.
    chunk = "Tunelab finetunes Llama-3 for 2 epochs."
    assert ungrounded("Tunelab finetunes it for 3 epochs.", chunk) == NUMBER_MISSING
    assert ungrounded("Tunelab finetunes Llama-2 for 2 epochs.", chunk) == NAME_MISSING
    assert ungrounded("Tunelab finetunes Llama-3 for 2 epochs.", chunk) is None


class Canned:
    """A local model stand-in that replies with fixed pairs, as it would under the schema."""

    name = "canned"

    def complete(self, conversations, temperature, schema=None):
        pairs = [
            {"question": "How do I resume?", "answer": "Run the same command with `--resume`."},
            {"question": "How often are checkpoints written?", "answer": "Every 500 steps."},
            {"question": "What else?", "answer": "Paris is the capital of France."},
            {"question": "Tunelab reads the last checkpoint.", "answer": "It reads the last one."},
            # The chunk's sentences with a "?" after them, as the 135M model wrote one.
            {
                "question": "Run the same command again with `--resume`. Tunelab reads the last "
                "checkpoint. A checkpoint is written every 100 steps: ?",
                "answer": "A checkpoint is written every 100 steps.",
            },
            {"question": "What does it read?", "answer": "The last checkpoint. " * 3},
            {"question": "Why?", "answer": "It reads it, so it reads it again, " * 3},
        ]
        return [json.dumps({"pairs": pairs})] * len(conversations)


def test_ungrounded_pairs_are_dropped_counted_and_kept_pairs_carry_their_location(tmp_path):
    doc = tmp_path / "guide.md"
    doc.write_text(f"# Resuming\n\n{CHUNK}\n")
    out = tmp_path / "qa.jsonl"
    config = GenerateConfig(docs=[str(doc)], output=str(out), mode="llm", pairs_per_chunk=7)
    stats = generate_dataset(config, Canned(), progress=False)
    assert stats.dropped == {
        NUMBER_MISSING: 1,
        NAME_MISSING: 1,
        "not a question": 2,  # a statement copied from the chunk, one with a "?" after it
        "answer repeats itself": 2,  # a small model looping, by sentence or inside one
    }
    assert (stats.pairs, stats.grounded_rate) == (1, pytest.approx(1 / 3))
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["meta"]["location"] == f"{doc}:1" and row["meta"]["heading"] == "Resuming"


PRINTER = """### The printer skips labels

The sensor lost the label gap. Hold the FEED button for 3 seconds to calibrate. If it still
skips, check that media_type is set to black_mark for labels with a black line on the back.

| Setting | Default | Meaning |
|---|---|---|
| `retry_count` | 5 | Retries after a failed print |
"""


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        # Every word is in the chunk, but black_mark is a value of media_type there, not
        # something to hold: the fact is wrong.
        ("Hold black_mark.", MISPLACED),
        ("Hold black_mark for 3 seconds to calibrate.", MISPLACED),
        ("Hold the FEED button for 3 seconds to calibrate.", None),
        ("Set media_type to black_mark for labels with a black line on the back.", None),
        ("Check that media_type is black_mark.", None),
        # A table row is read with its header: the row states retry_count's default.
        ("The default `retry_count` is 5.", None),
    ],
)
def test_a_settings_name_is_grounded_only_with_words_the_chunk_says_beside_it(answer, reason):
    assert ungrounded(answer, PRINTER) == reason


LABELS = """Labels with a black line on the back need media_type set to black_mark. A red flag on
the display means the print head is open. The setting printer.speed_max caps the speed."""


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        # "black" and "flag" are both in the chunk, apart: black_flag is no name it gives.
        ("Labels with a black line need media_type set to black_flag.", NAME_MISSING),
        ("Labels with a black line need media_type set to black_mark.", None),
        ("Labels with a black line need MEDIA_TYPE set to Black_Mark.", None),
        # Part of a longer name or literal is not it.
        ("The setting printer.speed caps the speed.", NAME_MISSING),
        ("The setting printer.speed_max caps the speed.", None),
        ("Labels with a black line need media_type set to `black_ma`.", NAME_MISSING),
    ],
)
def test_a_snake_case_dotted_or_code_name_is_grounded_only_by_the_whole_name(answer, reason):
    assert ungrounded(answer, LABELS) == reason


SETTING = """### tear_offset

tear_offset sets how far the label is fed past the tear bar. Its default is 12 mm. It ranges
from 0 to 30 mm.

### darkness

Raise darkness for faded labels. The print_speed setting is separate."""


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        # Template mode says "It" as the setting its section is about: those sentences are of it.
        ("The default of tear_offset is 12 mm.", None),
        ("tear_offset ranges from 0 to 30 mm.", None),
        # The next section, past its heading, is about another one.
        ("Raise tear_offset.", MISPLACED),
    ],
)
def test_the_sentences_after_a_settings_name_are_about_it_until_the_next_heading(answer, reason):
    assert ungrounded(answer, SETTING) == reason


def test_a_question_may_ask_of_a_setting_in_words_the_source_never_says():
    # A question asks of a setting; it states no fact of it (augment's rewrites were dropped).
    question = "What is the purpose of tear_offset?"
    assert ungrounded(question, SETTING, min_share=0.0) == MISPLACED
    assert ungrounded(question, SETTING, min_share=0.0, settings_placed=False) is None
