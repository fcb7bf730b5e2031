"""`tunelab data augment` writes each original row back as it was (its meta, its other columns),
so `data check` still tells generated pairs from their rewrites."""

from __future__ import annotations

import json

from tunelab import data

MANUAL = """# Timer

The timer counts down to zero and rings.

## Settings

### volume

The volume sets how loud the bell rings. The default volume is 5.
"""


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_generated_pairs_stay_generated_after_augment_and_their_rewrites_read_augmented(tmp_path):
    manual = tmp_path / "manual.md"
    manual.write_text(MANUAL, encoding="utf-8")
    qa, more = tmp_path / "qa.jsonl", tmp_path / "more.jsonl"
    data.generate(manual, output=str(qa))
    data.augment(qa, output=str(more), mode="rules", reverse=1)

    generated, rows = _rows(qa), _rows(more)
    originals = [r for r in rows if r["meta"]["kind"] == "original"]
    rewrites = [r for r in rows if r["meta"]["kind"] != "original"]
    # Each original keeps where `data generate` found it (the augment's resume key added) ...
    assert [r["meta"]["location"] for r in originals] == [r["meta"]["location"] for r in generated]
    assert {r["meta"]["mode"] for r in originals} == {"template"}
    # ... and each rewrite (a fact asked from its other end too) says which row of qa.jsonl it
    # rewrites.
    assert {r["meta"]["kind"] for r in rewrites} == {"paraphrase", "reverse"}
    assert all(r["meta"]["source"].startswith(f"{qa}:") for r in rewrites)

    # `data check more.jsonl` counted the template pairs "real", and the reversed question too.
    origins = data.check(more).origins
    assert {origin: o["rows"] for origin, o in origins.items()} == {
        "generated:template": len(generated),
        "augmented:rules": len(rewrites),
    }


def test_an_original_keeps_its_other_columns(tmp_path):
    qa = tmp_path / "qa.jsonl"
    row = {"id": "faq-7", "question": "What is the default volume?", "answer": "It is 5.",
           "meta": {"reviewed_by": "ana"}}  # fmt: skip
    qa.write_text(json.dumps(row) + "\n", encoding="utf-8")
    more = tmp_path / "more.jsonl"
    data.augment(qa, output=str(more), mode="rules")

    original, *rewrites = _rows(more)
    assert original["id"] == "faq-7" and original["meta"]["reviewed_by"] == "ana"
    assert original["meta"]["kind"] == "original"
    assert rewrites and all("id" not in r for r in rewrites)
