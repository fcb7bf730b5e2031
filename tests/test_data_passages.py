"""Training with retrieved passages (data.passages, RAFT): a chosen row is asked as `tunelab
compare`'s RAG arms ask, never shown its own row, and still trained on its answer alone."""

from __future__ import annotations

import pytest

from tests.conftest import tiny_config, write_jsonl
from tunelab.config import DataConfig
from tunelab.data.load import load_examples
from tunelab.data.passages import chosen_rows
from tunelab.data.pipeline import prepare
from tunelab.data.prompts.templates import Prompt
from tunelab.data.quality.dedup import own_rows
from tunelab.data.retrieval import Passage, with_context
from tunelab.data.tokenize import IGNORE

REFUSAL = "I can only answer questions about tunelab."
TRAIN = [
    ("What is the default learning rate?", "The default learning rate is 2e-4."),
    ("Which learning rate does tunelab use by default?", "The default learning rate is 2e-4."),
    ("lr default?", "The default learning rate is 2e-4."),
    # The first row's question again, another way of writing it: its own row too.
    ("what is the DEFAULT learning rate", "2e-4 is the default learning rate."),
    ("What is the default LoRA rank?", "The default LoRA rank is 16."),
    ("Which rank does LoRA get by default?", "The default LoRA rank is 16."),
    ("How do I resume a run?", "Run tunelab train again with --resume."),
    ("My run stopped; how do I continue it?", "Run tunelab train again with --resume."),
    # Off-topic, though sharing words with tunelab's rows, as retrieval finds passages for them.
    ("What is the default oven temperature for bread?", REFUSAL),
    ("Which rank did my team finish in the league?", REFUSAL),
]
TEST = [
    ("Default learning rate for training?", "The default learning rate is 2e-4."),
    ("Who won the world cup?", REFUSAL),
]


@pytest.fixture
def files(tmp_path):
    rows = [{"question": q, "answer": a} for q, a in TRAIN]
    tests = [{"question": q, "answer": a} for q, a in TEST]
    return write_jsonl(tmp_path / "train.jsonl", rows), write_jsonl(tmp_path / "test.jsonl", tests)


def _config(files, **passages) -> DataConfig:
    train, test = files
    return DataConfig(
        path=str(train),
        test_path=str(test),
        system_prompt="You are the tunelab assistant.",
        passages=passages,
    )


def _shown(example) -> list[str]:
    """The questions of the passages a row is asked with."""
    lines = example.question.split("\n")
    return [line.split("] ", 1)[1] for line in lines if line.startswith("[")]


def test_a_row_is_never_shown_itself_nor_its_question_asked_again(files, tiny):
    _, tokenizer = tiny
    data = prepare(_config(files, share=1.0, k=3), tokenizer, own_rows=own_rows)
    first = data.train_examples[0]
    shown = _shown(first)
    assert shown, first.question
    assert TRAIN[0][0] not in shown and TRAIN[3][0] not in shown
    # The same fact asked otherwise is what retrieval finds at test time: it stays in.
    assert TRAIN[1][0] in shown or TRAIN[2][0] in shown
    for example in data.train_examples:
        assert example.question.split("\n")[-1].removeprefix("Question: ") not in _shown(example)


def test_no_test_row_is_a_passage_even_from_a_corpus_that_holds_it(files, tiny, tmp_path):
    _, tokenizer = tiny
    rows = [{"question": q, "answer": a} for q, a in TRAIN + TEST]
    corpus = write_jsonl(tmp_path / "corpus.jsonl", rows)
    data = prepare(_config(files, share=1.0, corpus=str(corpus)), tokenizer, own_rows=own_rows)
    shown = {q for example in data.train_examples for q in _shown(example)}
    assert shown and not shown & {q for q, _ in TEST}


def test_the_rows_given_passages_are_a_share_drawn_by_the_seed(files, tiny):
    rows = load_examples(files[0])
    assert chosen_rows(rows, 0.5, seed=1) == chosen_rows(rows, 0.5, seed=1)
    assert len(chosen_rows(rows, 0.5, seed=1)) == 5
    assert any(chosen_rows(rows, 0.5, seed=s) != chosen_rows(rows, 0.5, seed=1) for s in (2, 3))
    _, tokenizer = tiny
    first, again = (prepare(_config(files, share=0.5), tokenizer) for _ in range(2))
    assert [t.input_ids for t in first.train] == [t.input_ids for t in again.train]
    assert first.with_passages == 5
    assert "5 training examples asked with retrieved passages" in first.summary()


def test_a_row_is_asked_exactly_as_compare_asks_it_and_trained_on_its_answer_alone(files, tiny):
    _, tokenizer = tiny
    config = _config(files, share=1.0, k=2)
    data = prepare(config, tokenizer, own_rows=own_rows)
    example, item = data.train_examples[4], data.train[4]
    answers = dict(TRAIN)
    passages = [Passage("", f"{q}\n{answers[q]}") for q in _shown(example)]
    assert len(passages) == 2
    asked = with_context(TRAIN[4][0], passages)
    prompt = Prompt("chat", config.system_prompt).question(asked, tokenizer)
    masked = [t for t, label in zip(item.input_ids, item.labels) if label == IGNORE]
    trained = [t for t, label in zip(item.input_ids, item.labels) if label != IGNORE]
    assert masked == tokenizer(prompt, add_special_tokens=False).input_ids
    assert tokenizer.decode(trained) == TRAIN[4][1] + tokenizer.eos_token


def test_off_topic_rows_are_shown_passages_too(files, tiny):
    _, tokenizer = tiny
    data = prepare(_config(files, share=1.0), tokenizer, own_rows=own_rows)
    refusals = [e for e in data.train_examples if e.answer == REFUSAL]
    assert refusals and all(e.question.startswith("Answer the question using") for e in refusals)


def test_passages_that_would_not_fit_max_length_are_left_out(files, tiny):
    _, tokenizer = tiny
    config = _config(files, share=1.0, k=3)
    config.max_length = 320  # the tiny tokenizer's tokens are characters
    data = prepare(config, tokenizer, own_rows=own_rows)
    assert all(len(item.input_ids) <= 320 for item in data.train)
    assert data.report.truncated == 0
    shown = [len(_shown(example)) for example in data.train_examples]
    assert max(shown) < 3 and data.with_passages == sum(map(bool, shown)) > 0


def test_the_summary_says_how_many_rows_drawn_for_passages_stayed_bare(files, tiny):
    _, tokenizer = tiny
    config = _config(files, share=1.0, k=3)
    config.max_length = (
        120  # room for few rows' passages: the tiny tokenizer's tokens are characters
    )
    data = prepare(config, tokenizer, own_rows=own_rows)
    bare = data.drawn_for_passages - data.with_passages
    assert data.drawn_for_passages == len(load_examples(files[0])) and bare > 0
    assert f"({data.drawn_for_passages} drawn; {bare} asked bare:" in data.summary()


def test_off_by_default_the_rows_are_asked_as_written(files, tiny):
    _, tokenizer = tiny
    data = prepare(_config(files), tokenizer)
    assert [e.question for e in data.train_examples] == [q for q, _ in TRAIN]
    assert data.with_passages == 0 and "passages" not in data.summary()


def test_a_run_trains_with_passages_set_from_the_command_line(files, tmp_path):
    from tunelab.config import Config
    from tunelab.train.loop import train

    base = tiny_config(tmp_path, files[0], max_steps=2, eval_every=100, save_every=100)
    config = Config.from_dict(base.model_dump(), ["data.passages.share=0.5"])
    run = train(config)
    assert Config.from_yaml(run / "config.yaml").data.passages.share == 0.5


def test_a_corpus_named_in_a_config_is_read_beside_it_as_its_data_is(tmp_path):
    from tunelab.config import Config

    (tmp_path / "docs").mkdir()
    (tmp_path / "qa.jsonl").write_text("{}\n")
    (tmp_path / "cfg.yaml").write_text(
        "data:\n  path: qa.jsonl\n  passages: {share: 0.5, corpus: docs}\n"
    )
    config = Config.from_yaml(tmp_path / "cfg.yaml")
    assert config.data.passages.corpus == str(tmp_path / "docs")


def test_a_row_the_template_cannot_render_is_skipped_as_without_passages(files, tiny, tmp_path):
    _, tokenizer = tiny
    tool_turn = [
        {"role": "user", "content": "What is the default learning rate today?"},
        {"role": "tool", "content": "lr=2e-4"},
        {"role": "assistant", "content": "The default learning rate is 2e-4."},
    ]
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for q, a in TRAIN
    ]
    path = write_jsonl(tmp_path / "with_tool.jsonl", [*rows, {"messages": tool_turn}])
    config = _config((path, files[1]), share=1.0)
    config.template, config.on_error = "qa", "skip"
    data = prepare(config, tokenizer, own_rows=own_rows)
    assert len(data.report.refused) == 1 and len(data.train) == len(TRAIN)
