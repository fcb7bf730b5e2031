"""`tunelab compare` warns when its RAG arms were handed the answer key: a --corpus whose passages
hold the test rows themselves, question and answer word for word (an FAQ the test set was cut
from); a corpus holding only the answers' sentences (the documents the Q&A was made from, the path
the README recommends) is no leak, and the note says only which scores favour quoting them."""

import json
from pathlib import Path

from tests.conftest import tiny_run
from tunelab.compare.run import CompareConfig, compare

SETTINGS = "Every run keeps its settings in config.yaml inside the run folder."


def _qa(folder: Path, train: list[tuple[str, str]], test: list[tuple[str, str]]) -> Path:
    folder.mkdir(parents=True)
    for name, rows in (("train.jsonl", train), ("test.jsonl", test)):
        lines = [json.dumps({"question": q, "answer": a}) for q, a in rows]
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def test_a_corpus_holding_the_test_answers_word_for_word_says_which_scores_favour_them(tmp_path):
    qa = _qa(
        tmp_path / "qa",
        [("How do I train?", "Run tunelab train with a config file of your own.")],
        [
            ("Which file holds a run's settings?", SETTINGS),
            ("What does tunelab train?", "Small language models of your own, on your machine."),
        ],
    )
    run = tiny_run(tmp_path, qa)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text(f"# Guide\n\n## Settings\n\n{SETTINGS.upper()} See runs.\n")
    cfg = CompareConfig(corpus=str(docs), max_new_tokens=2, k=2, output=str(tmp_path / "out"))
    result = compare(run, cfg)
    for arm in (a for a in result.arms if a.rag):
        assert [test for test, _ in arm.answers_given] == [f"{qa / 'test.jsonl'}:1"], arm.name
        assert "guide.md" in arm.answers_given[0][1]
    # The documents the test answers were taken from: retrieval found what it is for, no leak.
    assert not [n for n in result.notes if n.startswith("leak?")]
    [note] = [n for n in result.notes if n.startswith("RAG prompts quoted")]
    assert "word for word for 1 of the 2 questions whose answer has 6 words or more" in note
    assert "token F1 and ROUGE-L favour the RAG arms" in note
    report = " ".join((tmp_path / "out" / "compare.md").read_text().split())
    assert "Note: RAG prompts quoted the reference answer" in report
    # What proposes the facts fact accuracy needs is said once, by the note on the rows without.
    assert report.count("tunelab data facts") == 1
    saved = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert [a["answers_given"] for a in saved["arms"] if a["rag"]] == [1, 1]
    assert [a["rows_given"] for a in saved["arms"] if a["rag"]] == [0, 0]
    assert note in saved["notes"]  # for a script that reads compare.json, never compare.md

    # An FAQ holding the test row itself, question and answer: the answer key, found by its words.
    faq = f"# FAQ\n\n**Which file holds a run's settings?**\n\n{SETTINGS}\n"
    (docs / "guide.md").write_text(faq)
    [note] = [n for n in compare(run, cfg).notes if n.startswith("leak?")]
    assert "held the test row itself, its question and its reference answer" in note
    assert "any lead over the finetuned arm" in note
    # A model compared before any training has no finetuned arm to lead.
    alone = cfg.model_copy(update={"data": str(qa / "test.jsonl")})
    [note] = [n for n in compare("tiny-random", alone).notes if n.startswith("leak?")]
    assert "RAG arms' scores are a ceiling" in note

    # The same fact in other words is what retrieval is for: no warning.
    (docs / "guide.md").write_text("# Guide\n\n## Settings\n\nA run's config.yaml has them.\n")
    assert not [n for n in compare(run, cfg).notes if n.startswith("leak?")]


def test_the_runs_own_training_data_as_corpus_is_no_leak(tmp_path):
    # Training taught the finetuned arm the same answer the RAG arms are shown: both arms had it.
    qa = _qa(
        tmp_path / "qa",
        [("Where does a run keep its settings?", SETTINGS)],
        [("Which file holds a run's settings?", SETTINGS)],
    )
    run = tiny_run(tmp_path, qa)
    result = compare(run, CompareConfig(max_new_tokens=2, k=1, output=str(tmp_path / "out")))
    assert all(a.answers_given for a in result.arms if a.rag)
    assert not [n for n in result.notes if n.startswith("leak?")]


def test_an_faq_holding_a_test_row_asked_with_question_markers_is_a_leak(tmp_path):
    # lamini_docs' questions read "### Question:\n...\n\n### Answer:": the FAQ holding the test
    # row itself was taken for documents that only quote its answer, and no "leak?" was said.
    test = tmp_path / "test.jsonl"
    row = {"question": "### Question:\nWhich file holds a run's settings?\n\n### Answer:"}
    test.write_text(json.dumps(row | {"answer": SETTINGS}) + "\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "faq.md").write_text(f"# FAQ\n\n## Which file holds a run's settings?\n\n{SETTINGS}\n")
    out = str(tmp_path / "out")
    cfg = CompareConfig(data=str(test), corpus=str(docs), max_new_tokens=2, k=1, output=out)
    result = compare("tiny-random", cfg)
    [note] = [n for n in result.notes if n.startswith("leak?")]
    assert "held the test row itself, its question and its reference answer" in note
    # Said under the headline it qualifies, once, not at the foot below every table.
    report = (tmp_path / "out" / "compare.md").read_text()
    assert report.count("Note: leak?") == 1
    assert report.index("Note: leak?") < report.index("| arm |")


def test_a_corpus_quoting_the_canned_refusal_of_an_off_topic_row_is_no_quoting_note(tmp_path):
    # The note said token F1 favours the RAG arms for an off-topic row whose refusal a passage
    # held: quoting it helps the refusal score, which the note does not speak of.
    refusal = "I can only answer questions about tunelab and the runs it trains."
    test = tmp_path / "test.jsonl"
    rows = [
        {"question": "Which file holds a run's settings?", "answer": "See the docs."},
        {
            "question": "Can you answer questions about the weather?",
            "answer": refusal,
            "kind": "off_topic",
        },
    ]
    test.write_text("".join(json.dumps(row) + "\n" for row in rows))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text(f"# Guide\n\n## Scope\n\n{refusal}\n")
    out = str(tmp_path / "out")
    cfg = CompareConfig(data=str(test), corpus=str(docs), max_new_tokens=2, k=1, output=out)
    result = compare("tiny-random", cfg)
    assert [a.answers_given for a in result.arms if a.rag] == [[]]
    assert not [n for n in result.notes if "quoted the reference answer" in n]
