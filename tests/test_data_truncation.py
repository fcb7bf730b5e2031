"""An example longer than max_length is cut where it keeps its answer, or dropped, and every report
(tokenizing, inspect, the run's summary) counts what was cut and whether a reply lost its end."""

from __future__ import annotations

from tests.test_data_mask import trained_text
from tunelab.data.example import Example
from tunelab.data.tokenize import fit_length, tokenize_all, tokenize_example


def test_keep_response_truncation_cuts_the_prompt_not_the_answer(tiny):
    _, tokenizer = tiny
    example = Example.qa("long question " * 20, "short answer")
    item = tokenize_example(example, tokenizer, "qa")
    fitted = fit_length(item, 40, "keep_response")
    assert len(fitted.input_ids) == 40
    assert trained_text(fitted, tokenizer) == ["short answer<|im_end|>"]
    assert fit_length(item, 40, "drop") is None
    # Cutting the end would leave nothing to learn from: such an example is dropped, not kept.
    assert fit_length(item, 40, "right") is None
    long_answer = tokenize_example(Example.qa("q", "word " * 30), tokenizer, "qa")
    assert fit_length(long_answer, 40, "right").input_ids == long_answer.input_ids[:40]


def test_tokenize_all_reports_truncated_and_dropped(tiny):

    _, tokenizer = tiny
    examples = [Example.qa("q" * 100, "a"), Example.qa("q", "a"), Example.qa("q", "b" * 200)]
    _, report = tokenize_all(examples, tokenizer, template="qa", max_length=64, truncation="drop")
    assert (report.examples, report.dropped) == (1, 2)
    _, report = tokenize_all(examples, tokenizer, template="qa", max_length=64)
    assert (report.examples, report.truncated) == (3, 2)
    assert "2 truncated" in report.summary()
    # The long question lost some of itself; the long answer lost its end and stop token, and
    # was counted alike.
    assert report.answers_cut == 1
    assert "1 of them inside a reply, trained without its end and stop token" in report.summary()
    # Test rows are not trained on: said so of a held-out side.
    assert "inside a reply, scored by eval loss without its end" in report.summary(held_out=True)


def test_the_rows_whose_answer_lost_its_end_are_named_to_shorten(tiny):
    # "2 of them inside a reply, trained without its end and stop token (raise data.max_length
    # or shorten those answers)" named none of them: a 107-row lamini_docs run at 256 tokens.
    _, tokenizer = tiny
    examples = [
        Example.qa("q", "b" * 200, source="train.jsonl:3"),
        Example.qa("q" * 100, "a", source="train.jsonl:4"),  # its question is cut, not its answer
        Example.qa("q", "c" * 200, source="train.jsonl:9"),
    ]
    _, report = tokenize_all(examples, tokenizer, template="qa", max_length=64)
    assert "3 truncated" in report.summary()
    assert (
        "2 of them inside a reply (train.jsonl:3, train.jsonl:9), trained without its end"
        in report.summary()
    )


def test_inspect_counts_what_a_truncated_reply_trains(tmp_path, capsys):
    import json

    from tunelab.config import DataConfig
    from tunelab.data.quality.inspect import inspect_file

    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "b " * 200}) + "\n")
    inspect_file(DataConfig(path=str(path), template="qa", max_length=64), model="tiny-random")
    said = " ".join(capsys.readouterr().out.split())
    assert "truncated inside the reply" in said and "│ 64 │" in said, said


def test_the_run_summary_counts_truncation_on_both_sides(tiny, tmp_path):
    import json

    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare

    _, tokenizer = tiny
    path = tmp_path / "qa.jsonl"
    rows = [
        {"question": f"question {i} " + "padding " * (i % 2) * 40, "answer": "a"} for i in range(20)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = DataConfig(
        path=str(path), template="qa", max_length=64, truncation="drop", test_size=0.5
    )
    data = prepare(config, tokenizer)
    summary = data.summary()
    assert "train 10 / test 10 examples" in summary
    assert f"test: {len(data.test)} examples, {10 - len(data.test)} dropped" in summary
    assert len(data.test) < 10
    # Nothing dropped or cut from a side: its count is not said twice.
    plain = prepare(config.model_copy(update={"max_length": 512}), tokenizer).summary()
    assert plain == "train 10 / test 10 examples; 0 exact duplicates removed"


def test_a_text_longer_than_the_context_is_windowed_without_warning_of_indexing_errors(
    capfd, caplog
):
    # Pretraining on docs/ printed transformers' "Token indices sequence length is longer than
    # the specified maximum sequence length for this model (13205 > 8192). Running this sequence
    # through the model will result in indexing errors": the text is cut into max_length windows
    # after tokenizing, and no such error ever comes.
    from tunelab.models.random_weights import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    tokenizer.model_max_length = 64
    manual = Example(text="A long manual. " * 20, source="manual.md")
    windows, report = tokenize_all([manual], tokenizer, max_length=32)
    assert report.chunked_texts == 1 and max(len(w.input_ids) for w in windows) == 32
    assert "indexing errors" not in capfd.readouterr().err + caplog.text
