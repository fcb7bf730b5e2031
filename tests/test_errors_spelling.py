"""Error analysis's misspellings: words a reader would call misspelt, and no others."""

from tests.test_errors_analysis import categories, row
from tunelab.evaluate.analysis import analyse


def test_a_prefix_before_its_hyphen_is_no_misspelling_and_a_typo_beside_one_still_is():
    # The default model's answers on lamini_docs were misspelt for "pre" (of "pre-trained" and
    # "pre-processing"), words the dictionary lacks alone.
    said = row("How is it trained?", "It is finetuned.",
               "A pre-trained model, with pre-processing and a multi-turn, well-known format.")  # fmt: skip
    analyse([said], [])
    assert "misspelling" not in categories(said), said["errors"]
    typo = row("How is it trained?", "It is finetuned.", "A pre-trainned, hig-quality model.")
    analyse([typo], [])
    spelled = next(e for e in typo["errors"] if e["category"] == "misspelling")
    assert spelled["reason"] == "unknown words: hig, trainned"
