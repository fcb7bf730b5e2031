"""`tunelab data augment --reverse N --combine N`: questions asking a trained fact from its
other end ("Which setting defaults to 32?") and two facts of one topic at once, by rules or a
model; each row names its source rows and kind, none is a test question, a rerun resumes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import tunelab.data.generate.augment.augment_rows as augment_module
from tunelab.cli import app
from tunelab.data.generate.augment.augment_rows import AugmentConfig, augment
from tunelab.data.generate.augment.reverse import Default, stated_default, topic_pairs

FACTS = [
    {"question": "What is LoRA's default rank?", "answer": "The LoRA rank r defaults to 16."},
    {"question": "lora rank default?", "answer": "The LoRA rank r defaults to 16."},
    {"question": "What does LoRA alpha default to?", "answer": "LoRA alpha defaults to 32."},
    {"question": "How big is LoRA alpha?", "answer": "LoRA alpha defaults to 32."},
    {"question": "How do I resume a run?", "answer": "Add --resume to tunelab train."},
    {"question": "What is the weather today?", "answer": "I can only answer questions about it."},
    {"question": "Who won the cup final?", "answer": "I can only answer questions about it."},
]


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.fixture
def data(tmp_path):
    return _write(tmp_path / "train.jsonl", FACTS)


@pytest.mark.parametrize(
    "answer, default",
    [
        ("LoRA alpha defaults to 32.", Default("LoRA alpha", "32")),
        ("The default learning rate is 2e-4.", Default("learning rate", "2e-4")),
        ("data.truncation is keep_response by default; right and drop are the other policies.",
         Default("data.truncation", "keep_response")),
        ("test_size defaults to 0.1, so 10% of the data is held out.", Default("test_size", "0.1")),
        # A time or a number with a separator is one value: "Which setting defaults to 06?".
        ("The default start_time is 06:00.", Default("start_time", "06:00")),
        ("max_rows defaults to 1,000 (the file's first).", Default("max_rows", "1,000")),
        ("serve listens on 127.0.0.1 by default.", None),  # no form the rules know
        ("Set train.grad_accum; it defaults to 1.", None),  # "it" names no setting
        ("Gradients are clipped to max_grad_norm 1.0 by default.", None),  # an action, no value
    ],
)  # fmt: skip
def test_the_default_an_answer_states_is_read_from_its_form(answer, default):
    assert stated_default(answer) == default


def test_rules_ask_each_default_from_its_value_and_answer_with_the_fact(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    stats = augment(
        AugmentConfig(data=str(data), output=str(out), mode="rules", paraphrases=0, reverse=2)
    )
    reversed_rows = [r for r in _rows(out) if r["meta"]["kind"] == "reverse"]
    assert {r["question"]: r["answer"] for r in reversed_rows} == {
        "Which setting defaults to 16?": "The LoRA rank r defaults to 16.",
        "What has a default of 16?": "The LoRA rank r defaults to 16.",
        "Which setting defaults to 32?": "LoRA alpha defaults to 32.",
        "What has a default of 32?": "LoRA alpha defaults to 32.",
    }
    assert reversed_rows[0]["meta"]["original_question"] == "What is LoRA's default rank?"
    assert reversed_rows[0]["meta"]["source"] == f"{data}:1"
    assert stats.reversed == stats.written == 4
    # The --resume answer states no default: skipped and counted, as are the off-topic rows.
    no_form = "no default the rules know (X defaults to V) in the answer reversed"
    assert stats.dropped[("reversed question", no_form)] == 2
    assert stats.dropped["facts whose questions share no topic word: not reversed or combined"] == 1


@pytest.mark.parametrize(
    "facts, said",
    [
        (1, "dropped 1 reversed question: no default"),
        (3, "dropped 3 reversed questions: no default"),
    ],
)
def test_reversed_questions_not_written_are_said_as_one_or_as_many(tmp_path, facts, said):
    # "dropped 28: reversed questions not written: its answer states no default..." said "its"
    # of 28 questions.
    rows = [{"question": f"How do I do step {i}?", "answer": f"Run tunelab step {i}."}
            for i in range(facts)]  # fmt: skip
    data = _write(tmp_path / "train.jsonl", rows)
    out = tmp_path / "aug.jsonl"
    result = CliRunner().invoke(
        app, ["data", "augment", str(data), "--mode", "rules", "--reverse", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert said in " ".join(result.output.split())
    assert "its answer" not in result.output


def test_two_facts_sharing_a_value_are_not_asked_from_it(tmp_path):
    data = _write(
        tmp_path / "train.jsonl",
        [{"question": "LoRA dropout?", "answer": "LoRA dropout defaults to 0.05."},
         {"question": "Warmup share?", "answer": "warmup_ratio defaults to 0.05."}],
    )  # fmt: skip
    out = tmp_path / "aug.jsonl"
    stats = augment(AugmentConfig(data=str(data), output=str(out), mode="rules", reverse=2))
    assert stats.reversed == 0
    assert (
        stats.dropped[("reversed question", "another fact's answer states the same default")] == 4
    )


def test_a_value_several_settings_default_to_is_asked_only_where_one_setting_answers(tmp_path):
    # "What has a default of auto?" was answered with model.dtype alone, where data.shape
    # defaults to auto too; "Which setting defaults to 0?" with the temperature alone, where
    # weight_decay defaults to 0.0.
    data = _write(
        tmp_path / "train.jsonl",
        [{"question": "Which dtype?", "answer": "model.dtype defaults to auto."},
         {"question": "Which shape?", "answer": "data.shape defaults to auto."},
         {"question": "Which temperature?", "answer": "The default temperature is 0."},
         {"question": "Which weight decay?", "answer": "weight_decay defaults to 0.0."}],
    )  # fmt: skip
    out = tmp_path / "aug.jsonl"
    augment(AugmentConfig(data=str(data), output=str(out), mode="rules", paraphrases=0, reverse=2))
    reversed_rows = [r for r in _rows(out) if r["meta"]["kind"] == "reverse"]
    assert {r["question"]: r["answer"] for r in reversed_rows} == {
        "Which model setting defaults to auto?": "model.dtype defaults to auto.",
        "If I leave it unset, which model setting ends up as auto?": "model.dtype defaults to auto.",
        "Which data setting defaults to auto?": "data.shape defaults to auto.",
        "If I leave it unset, which data setting ends up as auto?": "data.shape defaults to auto.",
    }


def test_neighbouring_facts_of_one_topic_are_asked_together(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    stats = augment(
        AugmentConfig(data=str(data), output=str(out), mode="rules", paraphrases=0, combine=2)
    )
    combined = [r for r in _rows(out) if r["meta"]["kind"] == "combined"]
    # rank and alpha share "LoRA"; alpha and --resume share no topic word: not asked together.
    assert [r["question"] for r in combined] == [
        "What is LoRA's default rank, and what does LoRA alpha default to?",
        "lora rank default, and how big is LoRA alpha?",  # the first as its writer wrote it
    ]
    assert {r["answer"] for r in combined} == {
        "The LoRA rank r defaults to 16. LoRA alpha defaults to 32."
    }
    assert combined[0]["meta"]["sources"] == [f"{data}:1", f"{data}:3"]
    assert combined[0]["meta"]["original_questions"] == [FACTS[0]["question"], FACTS[2]["question"]]
    assert stats.combined == 2


def test_a_name_in_capitals_ending_in_s_is_a_topic_of_its_own():
    # "HTTPS" stemmed as lower-case "https" was "http": a fact about HTTP and one about HTTPS
    # were one topic, and asked together.
    facts = [
        ("Port 80.", ["Which port does HTTP use?", "Where does HTTP listen?"]),
        ("Port 443.", ["Which port does HTTPS use?", "Where does HTTPS listen?"]),
        ("Yes, with a key.", ["Is HTTPS encrypted?", "Does HTTPS need a key?"]),
    ]
    assert topic_pairs(facts) == [(1, 2)]


def test_a_reversed_question_that_is_a_test_question_is_dropped(data, tmp_path):
    test = _write(
        tmp_path / "test.jsonl", [{"question": "which setting defaults to 32", "answer": "x"}]
    )
    out = tmp_path / "aug.jsonl"
    stats = augment(
        AugmentConfig(data=str(data), output=str(out), mode="rules", reverse=1, test=str(test))
    )
    assert "Which setting defaults to 32?" not in {r["question"] for r in _rows(out)}
    assert stats.dropped["matches a test question"] == 1 and stats.reversed == 1


def test_a_rerun_writes_no_reversed_or_combined_row_again(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    cfg = AugmentConfig(data=str(data), output=str(out), mode="rules", reverse=2, combine=1)
    augment(cfg)
    rows = _rows(out)
    stats = augment(cfg)
    assert _rows(out) == rows and stats.written == 0
    with out.open("a") as handle:  # a write torn by a crash: its group is written again
        handle.write('{"question": "half')
    augment(cfg)
    assert _rows(out) == rows


class StandIn:
    """A generator model: reverses or combines by a fixed script, counting what it was asked."""

    name = "stand-in"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def complete(self, conversations, temperature, schema=None):
        replies = []
        for conversation in conversations:
            prompt = conversation[-1]["content"]
            self.asked.append(prompt)
            if "Second question: " in prompt:
                questions = ["What are LoRA's rank and alpha by default?"]
            elif "alpha" in prompt.rsplit("Question: ", 1)[-1]:
                questions = ["Which setting starts at 32?", "Which setting starts at 64?"]
            else:
                questions = []
            replies.append(json.dumps({"questions": questions}))
        return replies


def test_a_model_writes_reversed_and_combined_questions_for_any_answer(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    llm = StandIn()
    cfg = AugmentConfig(data=str(data), output=str(out), paraphrases=0, reverse=2, combine=1)
    stats = augment(cfg, llm)
    new = {r["question"]: r for r in _rows(out) if r["meta"]["kind"] != "original"}
    assert new["Which setting starts at 32?"]["answer"] == "LoRA alpha defaults to 32."
    assert new["What are LoRA's rank and alpha by default?"]["meta"]["generator"] == "stand-in"
    # 64 is in neither the question nor the answer: it asks something else.
    assert "Which setting starts at 64?" not in new
    assert stats.dropped["strays from the question"] == 1
    # The answer of --resume has no default, yet a model is asked to reverse it.
    assert sum("Add --resume" in p for p in llm.asked) == 1


def test_the_command_says_how_many_reversed_and_combined_rows_it_wrote(data, tmp_path):
    out = tmp_path / "aug.jsonl"
    result = CliRunner().invoke(
        app,
        ["data", "augment", str(data), "--mode", "rules", "--paraphrases", "0",
         "--reverse", "2", "--combine", "1", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "5 new questions (4 reversed, 1 combined)" in said
    assert "dropped 2 reversed questions: no default the rules know" in said


class Straying(StandIn):
    """A model whose reversed questions of any fact but LoRA alpha name a value the fact never
    did (each dropped), and that stops the run after `stop_after` asks, as a Ctrl-C would."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.stop_after = stop_after

    def complete(self, conversations, temperature, schema=None):
        if self.stop_after is not None and len(self.asked) >= self.stop_after:
            raise KeyboardInterrupt
        replies = super().complete(conversations, temperature, schema)
        if "Second question: " not in self.asked[-1] and "alpha" not in self.asked[-1]:
            replies[-1] = json.dumps({"questions": ["Which setting starts at 8?"]})
        return replies


def test_a_resumed_run_does_not_ask_again_about_a_fact_whose_questions_were_all_dropped(
    data, tmp_path
):
    out = tmp_path / "aug.jsonl"
    cfg = AugmentConfig(
        data=str(data), output=str(out), paraphrases=0, reverse=2, combine=1, batch_size=1
    )
    llm = Straying(stop_after=3)  # asked to reverse rank, alpha, --resume; stopped at combining
    with pytest.raises(KeyboardInterrupt):
        augment(cfg, llm)
    assert "Which setting starts at 32?" in {r["question"] for r in _rows(out)}
    # Rank's and --resume's questions were dropped (8 is in no row of theirs): no row of theirs
    # says they were asked, yet the resumed run asks only for the combined questions left.
    again = Straying()
    stats = augment(cfg, again)
    assert len(again.asked) == 1 and "Second question: " in again.asked[0]
    assert stats.asked_before == 2 and stats.combined == 1


def test_a_resumed_run_with_nothing_left_to_ask_loads_no_model(data, tmp_path, monkeypatch):
    out = tmp_path / "aug.jsonl"
    cfg = AugmentConfig(
        data=str(data), output=str(out), paraphrases=0, reverse=2, combine=1, batch_size=1
    )
    augment(cfg, Straying())  # rank's and --resume's reversals all dropped, logged as such
    rows = _rows(out)

    def load(settings):
        raise AssertionError("a model was loaded with nothing left to ask it")

    monkeypatch.setattr(augment_module, "make_llm", load)
    stats = augment(cfg)  # every fact and pair was asked: rows, or a log that kept none
    assert _rows(out) == rows and stats.written == 0 and stats.asked_before == 2


def test_reversed_and_combined_rows_are_asked_under_their_sources_system_prompt(tmp_path):
    acme = "You answer as Acme support."
    data = _write(tmp_path / "train.jsonl", [{"system": acme, **row} for row in FACTS])
    out = tmp_path / "aug.jsonl"
    augment(AugmentConfig(data=str(data), output=str(out), mode="rules", reverse=2, combine=2))
    assert {row["meta"]["kind"]: row.get("system") for row in _rows(out)} == {
        "original": acme, "paraphrase": acme, "reverse": acme, "combined": acme
    }  # fmt: skip
