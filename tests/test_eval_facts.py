"""Fact scoring: an answer is right when it states the facts, whatever its style, and wrong when
it states a known wrong answer; comparisons carry an interval over the questions."""

import json

import pytest

from tunelab.data.files.file_text import DataError
from tunelab.evaluate.facts.score import (
    missed_facts,
    parse_fact_check,
    read_fact_checks,
    score_facts,
    wrong_stated,
)
from tunelab.evaluate.paired import NO_CLEAR_WINNER, paired_difference
from tunelab.evaluate.scores import comparison, summarize
from tunelab.evaluate.suite import EvalConfig, evaluate

GPU_ROW = {"facts": [["CPU"], ["GPU", "graphics card"]], "wrong": ["Yes"]}


def test_every_fact_must_be_stated_and_any_alternative_counts():
    check = parse_fact_check(GPU_ROW, "t.jsonl:1")
    right = (
        "No: tunelab runs on the CPU, and uses a Graphics-Card... sorry, graphics card if found."
    )
    assert score_facts(right, check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 1.0,
        "hallucination": 0.0,
    }
    half = score_facts("It runs on a CPU.", check)
    assert half["fact_recall"] == 0.5 and half["fact_accuracy"] == 0.0
    assert missed_facts("It runs on a CPU.", check) == ["GPU"]  # as the row writes it


def test_phrases_match_whole_words_after_normalisation_not_substrings():
    check = parse_fact_check({"facts": [["lr"]], "wrong": ["yes"]}, "t.jsonl:1")
    # "lr" inside "lrsched" or "yes" inside "eyes" is not the phrase.
    assert score_facts("Set the lrsched; eyes open.", check)["fact_accuracy"] == 0.0
    assert score_facts("Set the lrsched; eyes open.", check)["hallucination"] == 0.0
    # The fact is stated, and so is the wrong answer: not accurate.
    assert score_facts("Set train.lr, yes.", check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 0.0,
        "hallucination": 1.0,
    }


def test_regex_facts_in_both_forms():
    check = parse_fact_check(
        {"facts": [{"regex": r"--resume\b"}, ["re:step[- ]?\\d+"]]}, "t.jsonl:1"
    )
    assert (
        score_facts("Run tunelab train runs/x --resume; it loads step-50.", check)["fact_accuracy"]
        == 1.0
    )
    assert missed_facts("Run it again.", check) == [r"re:--resume\b", r"re:step[- ]?\d+"]


def test_a_wrong_phrase_is_a_hallucination_and_is_named():
    check = parse_fact_check(GPU_ROW, "t.jsonl:1")
    assert wrong_stated("Yes, a graphics card is always supported.", check) == ["Yes"]
    assert score_facts("Yes, a graphics card is always supported.", check)["hallucination"] == 1.0


def test_a_row_without_facts_has_no_fact_scores():
    check = parse_fact_check({"question": "q", "answer": "a"}, "t.jsonl:1")
    assert not check and score_facts("anything", check) == {}


@pytest.mark.parametrize(
    "row, message",
    [
        ({"facts": "CPU"}, "must be lists"),
        ({"facts": [[""]]}, "non-empty text"),
        # A misspelt key was refused as "must be non-empty text", which it never was.
        ({"wrong": [{"regx": "^no"}]}, r'non-empty text or \{"regex": "..."\}, got \{\'regx\''),
        ({"facts": [["re:("]]}, "bad regex"),
        ({"wrong": ["?!"]}, "empty once punctuation"),
    ],
)
def test_bad_fact_fields_are_named_by_row(row, message):
    with pytest.raises(DataError, match=rf"t.jsonl:3: .*{message}"):
        parse_fact_check(row, "t.jsonl:3")


def _test_file(tmp_path):
    rows = [
        {"question": "Do I need a GPU?", "answer": "No, it runs on CPU.", **GPU_ROW},
        {"question": "Which file holds the config?", "answer": "config.yaml",
         "facts": [["config.yaml"]]},
        {"question": "What is 2+2?", "answer": "4"},
    ]  # fmt: skip
    path = tmp_path / "test.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_fact_checks_are_read_by_row_source(tmp_path):
    path = _test_file(tmp_path)
    checks = read_fact_checks(path)
    assert sorted(checks) == [f"{path}:1", f"{path}:2"]


def test_eval_reports_fact_accuracy_recall_and_hallucination_and_lists_misses(tmp_path):
    result = evaluate(
        "tiny-random",
        EvalConfig(data=str(_test_file(tmp_path)), output=str(tmp_path / "o"), max_new_tokens=3),
    )
    # Fact metrics lead the summary; rows without facts fall back to the text metrics alone.
    assert list(result.summary)[:3] == ["fact_accuracy", "fact_recall", "hallucination_rate"]
    assert "facts" not in result.rows[2] and "token_f1" in result.rows[2]["scores"]
    # The random tiny model states no fact: every fact row is listed as missing its facts.
    assert result.summary["fact_accuracy"] == 0.0
    assert all(r["missed_facts"] for r in result.rows[:2])
    report = (tmp_path / "o" / "errors.md").read_text()
    assert "missed_facts" in report and "does not state: config.yaml" in report
    # Every row that missed a fact is listed, not only two examples per category.
    _, row_by_row = report.split("## Facts, row by row (2 of 3 answers)")
    assert "does not state: config.yaml" in row_by_row  # as its category says it


def test_summary_averages_a_fact_metric_over_the_rows_that_have_it():
    rows = [
        {"scores": {"token_f1": 1.0}, "finish_reason": "stop",
         "facts": {"fact_accuracy": 1.0, "fact_recall": 1.0}},
        {"scores": {"token_f1": 0.0}, "finish_reason": "stop",
         "facts": {"fact_accuracy": 0.0, "fact_recall": 0.5, "hallucination": 1.0}},
        {"scores": {"token_f1": 0.5}, "finish_reason": "length"},
    ]  # fmt: skip
    summary = summarize(rows)
    assert summary["fact_accuracy"] == 0.5 and summary["fact_recall"] == 0.75
    assert summary["hallucination_rate"] == 1.0  # one row names a wrong answer, and states it
    assert summary["token_f1"] == 0.5 and summary["cut_off_rate"] == pytest.approx(1 / 3)


def test_a_paired_interval_says_no_clear_winner_when_it_crosses_zero():
    clear = paired_difference([0, 0, 0, 0, 1] * 10, [1, 1, 1, 0, 1] * 10)
    assert clear.delta == pytest.approx(0.6) and clear.low > 0 and clear.verdict == "better"
    noisy = paired_difference([1, 0, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1])
    assert noisy.low < 0 < noisy.high and noisy.verdict == NO_CLEAR_WINNER
    assert paired_difference([1] * 12, [0] * 12).verdict == "worse"
    # Too few questions to call a winner, however one-sided they are.
    assert paired_difference([0, 0], [1, 1]).verdict == NO_CLEAR_WINNER


def test_a_comparison_row_carries_its_interval_and_verdict(tmp_path):
    from tunelab.evaluate.suite import EvalResult

    def result(fact_values):
        rows = [
            {"scores": {"token_f1": 0.5}, "finish_reason": "stop", "facts": {"fact_accuracy": v}}
            for v in fact_values
        ]
        return EvalResult("m", tmp_path, rows, summarize(rows))

    # `eval RUN BASE`: the first model's gain over the last is positive (it read -1.000 for a
    # run that stated every fact its base missed).
    lines = {line["metric"]: line for line in comparison([result([1] * 20), result([0] * 20)])}
    assert lines["fact_accuracy"]["delta"] == 1.0 and lines["fact_accuracy"]["verdict"] == "better"
    assert lines["token_f1"]["verdict"] == NO_CLEAR_WINNER


def test_a_comparison_names_the_model_ahead_by_each_metrics_own_direction(tmp_path):
    # `tunelab eval RUN BASE`: a run that stopped hallucinating printed "-1.000 worse".
    from tunelab.evaluate.suite import EvalResult

    def result(name, hallucinated):
        rows = [
            {"scores": {"token_f1": 0.5}, "finish_reason": "stop",
             "facts": {"fact_accuracy": 1.0 - hallucinated, "hallucination": hallucinated}}
            for _ in range(20)
        ]  # fmt: skip
        return EvalResult(name, tmp_path, rows, summarize(rows))

    run, base = result("runs/mine", 0.0), result("base", 1.0)
    lines = {line["metric"]: line for line in comparison([run, base])}
    assert lines["hallucination_rate"]["ahead"] == "runs/mine"
    assert lines["hallucination_rate"]["verdict"] == "better"  # the first model, the run, is
    assert lines["fact_accuracy"]["ahead"] == "runs/mine"
    assert lines["token_f1"]["ahead"] == NO_CLEAR_WINNER
    lines = {line["metric"]: line for line in comparison([base, run])}
    assert lines["hallucination_rate"]["ahead"] == lines["fact_accuracy"]["ahead"] == "runs/mine"


def test_a_lead_in_wording_alone_is_said_to_be_no_evidence_of_facts(tmp_path):
    # A 40-step LoRA run on lamini_docs against its base: token F1 and ROUGE-L named the run
    # ahead, fact accuracy no winner (0.250 each over 4), all "ahead" cells alike in one table.
    from tunelab.evaluate.scores import write_comparison
    from tunelab.evaluate.suite import EvalResult

    def result(name, f1):
        rows = [
            {"scores": {"token_f1": f1 + i / 100, "rouge_l": f1}, "finish_reason": "stop",
             "facts": {"fact_accuracy": float(i % 2)}}
            for i in range(12)
        ]  # fmt: skip
        out = tmp_path / name.replace("/", "-")  # each model's answers folder
        out.mkdir()
        return EvalResult(name, out, rows, summarize(rows))

    results = [result("runs/mine", 0.6), result("base", 0.3)]
    saved = write_comparison(results, comparison(results)).read_text()
    assert (
        "runs/mine is ahead by token F1 and ROUGE-L, which reward an answer for sounding like "
        "the reference, while fact accuracy names no winner (over 12 questions)"
    ) in saved
    # Ahead by the facts too, there is nothing to qualify.
    facts_too = [result("runs/both", 0.6), result("base2", 0.3)]
    for row in facts_too[0].rows:
        row["facts"]["fact_accuracy"] = 1.0
    facts_too[0].summary = summarize(facts_too[0].rows)
    assert (
        "which reward an answer"
        not in write_comparison(facts_too, comparison(facts_too)).read_text()
    )


def test_a_number_is_one_word_yet_a_phrase_may_spell_its_parts_apart():
    check = parse_fact_check({"facts": [["3"]], "wrong": ["5", "0", "1"]}, "t.jsonl:1")
    # "5" inside "0.5", "0" inside "127.0.0.1", "1" inside "1,000": no wrong answer stated.
    assert score_facts("3 epochs, dropout 0.5, on 127.0.0.1, every 1,000 steps", check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 1.0,
        "hallucination": 0.0,
    }
    assert wrong_stated("Try 5 epochs, or 1, 2 or 3.", check) == ["5", "1"]
    # Test rows write a number's parts apart ("0 0002", "127 0 0 1"): they still match.
    spelled = parse_fact_check({"facts": [["0 0002"], ["127.0.0.1"], ["1,000"]]}, "t.jsonl:1")
    assert score_facts("lr 0.0002 on 127.0.0.1 for 1,000 steps.", spelled)["fact_accuracy"] == 1.0


def test_a_negated_phrase_is_not_stated():
    check = parse_fact_check({"facts": [["16"]], "wrong": ["8", "loss.jsonl"]}, "t.jsonl:1")
    for answer in ("16, not 8.", "It isn’t 8; it's 16.", "16 (not **8**)", "16; never the 8"):
        assert score_facts(answer, check)["hallucination"] == 0.0, answer
    assert wrong_stated("16. Not 8, but metrics.jsonl, not a loss.jsonl", check) == []
    # A negation ends at punctuation, and a phrase may itself start with one.
    assert wrong_stated("No, 8 and 16.", check) == ["8"]
    assert missed_facts("The rank is not 16.", check) == ["16"]
    negative = parse_fact_check({"facts": [["not supported"]]}, "t.jsonl:1")
    assert score_facts("FSDP is not supported.", negative)["fact_accuracy"] == 1.0


def test_unicode_symbols_separate_words_as_ascii_symbols_do():
    check = parse_fact_check({"facts": [["5"], ["0.001"], ["c"]]}, "t.jsonl:1")
    for answer in ("$5, lr~0.001, c", "€5, lr→0.001, c", "≈5 and lr≈0.001 at 5°C"):
        assert score_facts(answer, check)["fact_accuracy"] == 1.0, answer
    assert missed_facts("a×b", parse_fact_check({"facts": [["x"]]}, "t.jsonl:1")) == ["x"]


def test_in_scripts_without_spaces_each_character_is_a_word():
    # Chinese, Japanese and Thai put no spaces between words: a fact is found among the
    # characters, and a Latin name or number glued to them is still a whole word.
    check = parse_fact_check({"facts": [["学習率"], ["5e-4"], ["SmolLM2"]]}, "t.jsonl:1")
    assert score_facts("モデルはSmolLM2で、学習率は5e-4です。", check)["fact_accuracy"] == 1.0
    assert missed_facts("モデルはSmolLM2X、学習率は5e-40です", check) == ["5e-4", "SmolLM2"]
    chinese = parse_fact_check({"facts": [["东京"], ["8"]], "wrong": ["大阪"]}, "t.jsonl:2")
    assert score_facts("首都是东京，有8个区。", chinese) == {
        "fact_recall": 1.0,
        "fact_accuracy": 1.0,
        "hallucination": 0.0,
    }
    assert score_facts("首都是京都，有80个区，不是大阪。", chinese)["fact_recall"] == 0.0
    thai = parse_fact_check({"facts": [["การเรียน"]]}, "t.jsonl:3")
    assert score_facts("อัตราการเรียนรู้", thai)["fact_accuracy"] == 1.0


def test_a_phrase_negated_after_it_in_hindi_or_japanese_is_not_stated():
    check = parse_fact_check({"facts": [["नई दिल्ली"], ["東京"]]}, "t.jsonl:1")
    assert missed_facts("राजधानी मुंबई है, नई दिल्ली नहीं। 首都は東京ではありません。", check) == [
        "नई दिल्ली",
        "東京",
    ]
    assert score_facts("राजधानी नई दिल्ली है। 首都は東京です。", check)["fact_accuracy"] == 1.0
    # "… is not needed" in Japanese follows its topic too, 不要 read with its kanji for "not".
    gpu = _wrong("GPU")
    for answer in ("GPUは不要です。", "GPUは必要ありません。", "GPUもいりません。"):
        assert wrong_stated(answer, gpu) == [], answer
    assert wrong_stated("GPUが必要です。", gpu) == ["GPU"]


def _wrong(*phrases):
    return parse_fact_check({"wrong": list(phrases)}, "t.jsonl:1")


def test_a_phrase_negated_before_it_in_chinese_is_not_stated():
    """Chinese writes its "not" right before the phrase, with no space between."""
    check = parse_fact_check({"facts": [["上海"]], "wrong": ["北京", "GPU"]}, "t.jsonl:1")
    assert score_facts("首都不是北京，是上海。没有GPU。", check) == {
        "fact_recall": 1.0,
        "fact_accuracy": 1.0,
        "hallucination": 0.0,
    }
    assert wrong_stated("首都是北京。", check) == ["北京"]
    # As in English, only the word right after the negation is negated ("does not support GPU").
    assert wrong_stated("不支持GPU。", check) == ["GPU"]
    assert missed_facts("不在上海。", check) == []
    # With a space before a Latin word or number, and inside title marks.
    assert (
        wrong_stated("没有 GPU，不是 8080，不是《红楼梦》。", _wrong("GPU", "8080", "红楼梦")) == []
    )
    # English is read as before: a negation whose word normalizing drops marks nothing after it.
    letters = parse_fact_check({"facts": [["B"], ["8080"]]}, "t.jsonl:1")
    assert missed_facts("The answer is not A. B is correct, on 8080.", letters) == []
    assert missed_facts("Not A. B. 8080.", letters) == []
    # "Not needed" after its topic, ending a clause; "不需要X" before it, as 不是 is.
    gpu = _wrong("GPU", "graphics card")
    for answer in ("GPU不需要。", "GPU 不需要，CPU就够了。", "GPU是不需要的。", "GPU也不用。"):
        assert wrong_stated(answer, gpu) == [], answer
    assert wrong_stated("GPU并不是必需的。graphics card不需要", gpu) == []
    assert wrong_stated("只要CPU，不需要GPU。", gpu) == []
    # Where the clause goes on, the GPU is what needs nothing: it is stated.
    assert wrong_stated("GPU不需要配置。", gpu) == ["GPU"]
    # A verb, "not", the verb again asks or allows both ways: nothing is negated.
    for answer in ("用不用GPU都行。", "需不需要GPU？", "有没有GPU都可以。"):
        assert wrong_stated(answer, gpu) == ["GPU"], answer
    supported = parse_fact_check({"facts": [["支持"]], "wrong": ["不支持"]}, "t.jsonl:1")
    assert score_facts("FSDP不支持。", supported) == {
        "fact_recall": 0.0,
        "fact_accuracy": 0.0,
        "hallucination": 1.0,
    }


def test_a_fact_offered_as_a_choice_or_a_range_end_is_reported_missed_as_it_is_scored():
    # It scored 0 and was listed as missed nowhere: a report with no missed fact and no wrong
    # phrase for a wrong answer.
    check = parse_fact_check({"facts": [["32"]]}, "t.jsonl:1")
    for answer in ("It is 16 or 32.", "Use 8-32 of them."):
        assert score_facts(answer, check)["fact_accuracy"] == 0.0
        assert missed_facts(answer, check) == ["32"]
    assert missed_facts("It is 32.", check) == []


def test_the_note_on_rows_without_facts_counts_every_row_of_the_test_set():
    from tunelab.evaluate.facts.score_notes import facts_named_note

    # lamini_docs' first 30 test rows after `data facts`: "5 of 30 test rows name no facts ...
    # fact accuracy is over the 9 that do" left 16 unsaid, 13 naming a wrong answer alone and
    # 3 off-topic refusals. Rows here as eval scores them: 2 with facts, 3 with a wrong answer
    # alone, 1 off-topic, 2 with nothing.
    facts = {"fact_recall": 1.0, "fact_accuracy": 1.0, "hallucination": 0.0}
    rows = [{"source": f"test.jsonl:{i}", "facts": facts} for i in (1, 2)]
    rows += [{"source": f"test.jsonl:{i}", "facts": {"hallucination": 0.0}} for i in (3, 4, 5)]
    rows += [{"source": "test.jsonl:6", "refusal": {"off_topic": True, "refused": 1.0}}]
    rows += [{"source": f"test.jsonl:{i}"} for i in (7, 8)]
    assert facts_named_note(rows).startswith(
        "2 of 8 test rows name neither facts nor a wrong answer (test.jsonl:7, test.jsonl:8): "
        "fact accuracy is over the 2 that name facts, 3 only a wrong answer (scored by "
        "hallucination alone), 1 is marked off-topic (scored by whether it refuses), and those 2 "
        "are judged by wording alone"
    )


def test_a_reply_with_text_and_calls_naming_no_facts_is_said_scored_by_its_calls():
    from tunelab.evaluate.facts.score_notes import facts_named_note

    # Rows as eval scores them: one names its facts, one says text alone, one says text beside
    # tool calls ("calls"). The last was counted "judged by wording alone", though its token F1
    # is of its calls and its text is scored by nothing.
    rows = [
        {"source": "t.jsonl:1", "facts": {"fact_recall": 1.0, "fact_accuracy": 1.0}},
        {"source": "t.jsonl:2"},
        {"source": "t.jsonl:3", "calls": True},
    ]
    note = facts_named_note(rows)
    assert note.startswith(
        "1 of 2 test rows name neither facts nor a wrong answer (t.jsonl:2): fact accuracy is "
        "over the 1 that names facts, and that one is judged by wording alone"
    )
    assert note.endswith(
        "1 test row replying with text and tool calls and naming no facts (t.jsonl:3): scored "
        "by the calls made (exact match and token F1 of the calls); the text beside the calls "
        "is scored by nothing (name the facts it must state to score it)"
    )
    # Where it names its facts, its text is fact-scored as any answer's: nothing is said of it.
    rows[2]["facts"] = {"fact_recall": 0.0, "fact_accuracy": 0.0}
    assert "tool calls" not in facts_named_note(rows)


def test_answers_with_text_and_calls_are_not_said_judged_by_wording_alone():
    from tunelab.evaluate.analysis import Analysis, by_wording

    # A test set of replies that say text beside their calls, naming no facts: the categories
    # read their calls (wrong_calls), and errors.md said they were "judged by wording alone".
    called = [{"source": f"t.jsonl:{i}", "calls": True} for i in (1, 2)]
    assert by_wording(Analysis(called)) == ""
    # A text answer naming no facts beside them is judged by its wording, and said to be.
    assert by_wording(Analysis([*called, {"source": "t.jsonl:3"}])).startswith(
        "judged by wording alone"
    )
