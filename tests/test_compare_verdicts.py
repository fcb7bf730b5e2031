"""`tunelab compare`'s verdicts: which arm is ahead, by the facts where the test rows name them,
and no winner named where the questions are too few or the paired tests do not agree."""

import pytest


def _arm(name: str, f1s: list[float]):
    from tunelab.compare.arms import Arm

    rows = [{"scores": {"token_f1": f}} for f in f1s]
    return Arm(name, name, False, rows, 1.0, {"token_f1": sum(f1s) / len(f1s)})


def _fact_arm(name: str, facts: list[float], f1s: list[float]):
    from tunelab.compare.arms import Arm

    rows = [{"scores": {"token_f1": f}, "facts": {"fact_accuracy": a}} for a, f in zip(facts, f1s)]
    summary = {"fact_accuracy": sum(facts) / len(facts), "token_f1": sum(f1s) / len(f1s)}
    return Arm(name, name, False, rows, 1.0, summary)


def test_five_questions_name_no_winner_and_a_clear_gap_names_one():
    from tunelab.compare.report import _first_upper
    from tunelab.compare.verdicts import pairs, verdict

    few = [_arm("prompting", [0.1, 0.2, 0.1, 0.3, 0.2]), _arm("finetuned", [0.6] * 5)]
    assert verdict(few).startswith("No clear winner by token F1: finetuned")
    # Five questions are the reason named, whatever the interval says.
    assert "5 questions are too few" in verdict(few) and "could be zero" not in verdict(few)
    assert pairs(few)[0]["verdict"] == "no clear winner"  # 5 questions: too few to call
    # One question in words, and the metric's own capitals (it read "1 questions are", "Token f1").
    one = [_arm("prompting", [0.1]), _arm("finetuned", [0.6])]
    assert "but 1 question is too few" in verdict(one)
    assert _first_upper("token F1") == "Token F1" and _first_upper("ROUGE-L") == "ROUGE-L"
    prompting = _arm("prompting", [0.1, 0.3] * 20)
    tuned = _arm("finetuned", [0.5, 0.7] * 20)
    close = _arm("finetuned + RAG", [0.5, 0.75, 0.45, 0.72] * 10)
    assert verdict([prompting, tuned]) == (
        "Best by token F1: **finetuned**, ahead of every other arm (95% paired interval)."
    )
    [gain] = pairs([prompting, tuned])
    assert gain["arm"] == "finetuned" and gain["vs"] == "prompting" and gain["verdict"] == "better"
    assert gain["delta"] == pytest.approx(40.0) and gain["low"] > 0
    # The best mean alone is no winner when the runner-up's difference could be zero.
    assert verdict([prompting, tuned, close]) == (
        "No clear winner by token F1: finetuned + RAG has the highest mean, but the difference "
        "from finetuned could be zero (95% paired interval over 40 questions)."
    )
    # Arms of one mean share it: none of them is named as the best.
    twin = _arm("finetuned + RAG", [0.7, 0.5] * 20)
    assert verdict([prompting, tuned, twin]) == (
        "No clear winner by token F1: finetuned and finetuned + RAG share the highest mean "
        "(40 questions)."
    )
    zeros = [_arm(name, [0.0] * 40) for name in ("prompting", "finetuned")]
    assert "prompting and finetuned share the highest mean" in verdict(zeros)


def test_arms_are_ranked_by_the_facts_when_the_test_rows_name_them_not_by_style():
    from tunelab.compare.verdicts import pairs, verdict

    # Prompting + RAG copies the passages' wording (high token F1) but states fewer facts.
    wordy = _fact_arm("prompting + RAG", [0.0, 1.0, 0.0, 0.0] * 10, [0.8] * 40)
    right = _fact_arm("finetuned", [1.0, 1.0, 1.0, 0.0] * 10, [0.4] * 40)
    assert verdict([wordy, right]).startswith("Best by fact accuracy: **finetuned**")
    [diff] = pairs([wordy, right])
    assert diff["metric"] == "fact_accuracy" and diff["delta"] == pytest.approx(50.0)
    assert verdict([wordy, right], "token_f1").startswith("Best by token F1: **prompting + RAG**")


def test_a_verdict_held_back_by_the_sign_flip_test_says_so_not_could_be_zero():
    # 5 of 20 questions gained: the interval excludes zero, the sign-flip test does not confirm
    # it (p 1/16); the verdict said "could be zero (95% paired interval...)".
    from tunelab.compare.verdicts import verdict

    said = verdict([_arm("prompting", [0.0] * 20), _arm("finetuned", [1.0] * 5 + [0.0] * 15)])
    assert said == (
        "No clear winner by token F1: finetuned has the highest mean, but the sign-flip test does "
        "not confirm its lead over prompting (p = 0.062; the interval excludes zero)."
    )


def test_arms_the_best_cannot_be_told_from_are_listed_with_an_and():
    from tunelab.compare.verdicts import verdict

    arms = [_arm(n, [0.5, 0.6] * 20) for n in ("prompting", "prompting + RAG", "finetuned")]
    arms.append(_arm("finetuned + RAG", [0.6, 0.5, 0.55, 0.6] * 10))  # ahead by chance alone
    assert "from prompting, prompting + RAG and finetuned could be zero" in verdict(arms)


def test_the_report_opens_with_whether_finetuning_beat_prompting_and_rag():
    # A walk's compare.md ended "No clear winner by fact accuracy" (finetuned vs finetuned + RAG)
    # while finetuned vs prompting + RAG was +40 [+10, +61]: the question asked came last.
    from tunelab.compare.verdicts import headline

    prompting = _fact_arm("prompting", [0.0] * 40, [0.2] * 40)
    rag = _fact_arm("prompting + RAG", [0.0, 1.0, 0.0, 0.0] * 10, [0.8] * 40)
    tuned = _fact_arm("finetuned", [1.0, 1.0, 1.0, 0.0] * 10, [0.4] * 40)
    both = _fact_arm("finetuned + RAG", [1.0, 1.0, 0.0, 1.0] * 10, [0.5] * 40)
    lines = headline([prompting, rag, tuned, both])
    assert lines[0].startswith("- **Finetuned vs prompting**, fact accuracy: +75.0 points [")
    assert lines[0].endswith("over 40 questions: finetuning is ahead.")
    assert lines[1].startswith("- **Finetuned vs prompting + RAG**, fact accuracy: +50.0 points")
    few = headline([_fact_arm("prompting", [0.0] * 4, [0.1] * 4),
                    _fact_arm("finetuned", [1.0] * 4, [0.5] * 4)])  # fmt: skip
    assert few == [
        "- **Finetuned vs prompting**, fact accuracy: +100.0 points [+30.7, +100.0] over 4 "
        "questions: no clear winner (4 questions, under 10)."
    ]


def test_a_model_compared_before_training_opens_with_whether_retrieval_lifted_it():
    # `tunelab compare MODEL` asks the two prompting arms alone: its question is RAG's lift.
    from tunelab.compare.verdicts import headline

    prompting = _fact_arm("prompting", [0.0] * 40, [0.2] * 40)
    rag = _fact_arm("prompting + RAG", [1.0, 1.0, 1.0, 0.0] * 10, [0.8] * 40)
    [line] = headline([prompting, rag])
    assert line.startswith("- **Prompting + RAG vs prompting**, fact accuracy: +75.0 points [")
    assert line.endswith("over 40 questions: retrieval is ahead.")


def _lying_arm(name: str, hallucinated: int, other_values: int):
    """40 questions that name facts; 30 of them name a wrong answer, of which the arm states
    `hallucinated`; 20 give the value asked, of which it gives another in `other_values`."""
    from tunelab.compare.arms import Arm, _summary

    rows = []
    for i in range(40):
        facts = {"fact_accuracy": 1.0}
        if i < 30:
            facts["hallucination"] = float(i < hallucinated)
        if i >= 20:
            facts["other_value"] = float(i - 20 < other_values)
        scores = {"normalized_match": 0.0, "token_f1": 0.5, "rouge_l": 0.5}
        rows.append({"answer": "", "scores": scores, "facts": facts, "finish_reason": "stop"})
    return Arm(name, name, False, rows, 1.0, _summary(rows, 1.0, len(rows)))


def test_each_false_statement_rate_is_paired_against_prompting_lower_being_better(tmp_path):
    # compare gave each arm's hallucination rate with its own interval and paired no arm with
    # another: 50% beside 3% was told by eye, if at all.
    from tunelab.compare.report import to_markdown
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.compare.verdicts import rate_differences

    arms = [
        _lying_arm("prompting", hallucinated=15, other_values=2),
        _lying_arm("finetuned", hallucinated=1, other_values=2),  # hallucinates far less
        _lying_arm("finetuned + RAG", hallucinated=14, other_values=12),  # as often; more values
    ]
    said = {(p["arm"], p["metric"]): p for p in rate_differences(arms)}
    fewer = said["finetuned", "hallucination_rate"]
    assert fewer["vs"] == "prompting" and fewer["n"] == 30
    assert fewer["delta"] == pytest.approx(-100 * 14 / 30) and fewer["high"] < 0
    assert fewer["verdict"] == "better"  # a drop in a rate is better
    assert said["finetuned + RAG", "hallucination_rate"]["verdict"] == "no clear winner"
    assert said["finetuned", "other_value_rate"]["verdict"] == "no clear winner"  # no change
    assert said["finetuned + RAG", "other_value_rate"]["verdict"] == "worse"
    report = to_markdown(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    assert "Hallucination and other value rates against prompting" in report
    assert "| finetuned | prompting | hallucination | 30 | -46.7 | [" in report
    # Test rows that name no facts have no rates to pair.
    assert rate_differences([_arm("prompting", [0.5] * 20), _arm("finetuned", [0.6] * 20)]) == []
