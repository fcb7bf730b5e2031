"""A test set of `tunelab data augment`'s rephrasings asks fewer facts than questions: `eval` and
`compare` say so, and their paired intervals resample the facts, not the questions."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.compare.run import CompareConfig, compare
from tunelab.data.generate.augment.augment_rows import AugmentConfig, augment
from tunelab.evaluate.suite import EvalConfig, evaluate

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def _rephrased(tmp_path: Path) -> Path:
    """Three questions of the fixture, each asked up to three more ways by rule: 3 facts."""
    rows = (QA / "test.jsonl").read_text().splitlines()[:3]
    (tmp_path / "qa.jsonl").write_text("\n".join(rows) + "\n")
    out = tmp_path / "test.jsonl"
    augment(AugmentConfig(data=str(tmp_path / "qa.jsonl"), output=str(out), mode="rules"))
    return out


def test_eval_and_compare_say_a_rephrased_test_set_asks_fewer_facts_than_questions(tmp_path):
    test = _rephrased(tmp_path)
    rows = [json.loads(line) for line in test.read_text().splitlines()]
    said = f"the {len(rows)} test questions ask 3 facts"
    assert len(rows) > 6
    evaluated = evaluate(
        "tiny-random", EvalConfig(data=str(test), output=str(tmp_path / "e"), max_new_tokens=2)
    )
    [note] = [n for n in evaluated.notes if n.startswith(said)]
    # Each fact's first rephrasing, for a person to see which rows ask again.
    again = [i for i, r in enumerate(rows, 1) if r["meta"]["kind"] == "paraphrase"]
    assert f"{test}:{again[0]}, " in note
    assert "each paired interval and verdict is over the 3 facts" in note
    cfg = CompareConfig(data=str(test), corpus=str(QA / "train.jsonl"), max_new_tokens=2)
    compared = compare("tiny-random", cfg.model_copy(update={"output": str(tmp_path / "c")}))
    assert [n for n in compared.notes if n.startswith(said)] == [note]
    assert f"Note: {said}" in (tmp_path / "c" / "compare.md").read_text()
    assert "(over 3 facts)" in (tmp_path / "c" / "compare.md").read_text()


def test_eval_of_two_models_on_rephrasings_gives_intervals_over_the_facts(tmp_path):
    test = _rephrased(tmp_path)
    run = tiny_run(tmp_path, QA)
    said = CliRunner().invoke(
        app, ["eval", str(run), "tiny-random", "--data", str(test), "--max-new-tokens", "2"]
    )
    assert said.exit_code == 0, said.output
    assert "(over 3 facts): the questions ask fewer facts" in " ".join(said.output.split())
    saved = json.loads((run / "eval" / "comparison.json").read_text())
    assert saved["questions"] > 6 and {m["facts"] for m in saved["metrics"]} == {3}
    assert "(over 3 facts)" in (run / "eval" / "comparison.md").read_text()


def test_a_test_set_of_one_question_a_fact_gets_no_such_note(tmp_path):
    rows = [json.loads(line) for line in (QA / "test.jsonl").read_text().splitlines()]
    evaluated = evaluate(
        "tiny-random",
        EvalConfig(data=str(QA / "test.jsonl"), output=str(tmp_path), max_new_tokens=2),
    )
    assert len(rows) > 1
    assert not [n for n in evaluated.notes if "facts (rows `tunelab data augment`" in n]
