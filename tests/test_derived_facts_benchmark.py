"""benchmarks/derived_facts.py: how far proposed facts stand in for hand-written ones."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "derived_facts.py"


def test_without_a_demo_run_the_table_says_why_it_has_no_base_or_finetuned_rows(tmp_path):
    # A walk of docs/eval.md ran `python benchmarks/derived_facts.py` in a clone with no
    # runs/demo: two of the page's four rows were missing, without a word.
    missing = tmp_path / "demo"
    said = subprocess.run(
        [sys.executable, str(SCRIPT), "--run", str(missing)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert f"(no {missing / 'demo_answers.jsonl'}: the base and finetuned rows need" in said.stdout
    assert "wrong value" in said.stdout and "right, few words" in said.stdout
