"""`tunelab data check`: what a user sees about a data set's rows before training on it: repeats and
conflicts, homogeneous or templated questions, empty, junk, restated and foreign rows, generated
rows apart (leaks: test_data_check_leaks.py; lengths: test_data_check_lengths.py; personal data:
test_data_check_pii.py; the commands: test_data_check_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.quality.report import to_html

TINY = QualityConfig(model="tiny-random")
FACTS = [
    ("What does the packing option do?", "It joins short examples into one row of max_length."),
    (
        "How do I resume a stopped run?",
        "Run tunelab train again with --resume; it reads checkpoints.",
    ),
    ("Which file holds the run settings?", "config.yaml in the run folder records every setting."),
    (
        "Why is my loss NaN at step one?",
        "The learning rate is too high for full finetuning; lower it.",
    ),
    ("Where are adapters saved?", "Under runs/<name>/model as safetensors next to the tokenizer."),
    ("Can I train on CSV files?", "Yes: a header row with question and answer columns is enough."),
]


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def qa_rows(pairs) -> list[dict]:
    return [{"question": q, "answer": a} for q, a in pairs]


def test_duplicates_near_duplicates_and_conflicting_answers_are_listed(tmp_path):
    rows = qa_rows(FACTS) + qa_rows(
        [
            FACTS[0],  # exact repeat of line 1
            ("How do I resume a stopped run?", "Delete the folder and start over."),  # conflict
            (
                "What does the packing option do ?",
                "It joins short examples into one row of max_length!",
            ),
        ]
    )
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(report.where(p.second), report.where(p.first)) for p in report.exact_dups] == [
        ("d.jsonl:7", "d.jsonl:1")
    ]
    assert [(p.first, p.second) for p in report.conflicts] == [(1, 7)]
    assert [(p.first, p.second) for p in report.near_dups] == [(0, 8)]
    assert report.near_dups[0].similarity >= 0.8
    assert set(report.removals()) == {6, 8}


def test_a_shared_alpaca_instruction_is_the_task_not_a_homogeneous_question(tmp_path):
    # Alpaca's usual layout for Q&A: one instruction for all rows, each question in `input`.
    rows = [
        {"instruction": "Answer the customer question.", "input": q, "output": a} for q, a in FACTS
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert not any(w.startswith("homogeneous:") for w in report.warnings), report.warnings
    assert report.openings[0][0] == "what does"  # the inputs' openings, not the instruction's
    # Instructions that differ are questions themselves, and are measured as such.
    templated = [{"instruction": f"Answer this: {q}", "input": "", "output": a} for q, a in FACTS]
    report = check_file(write_rows(tmp_path / "t.jsonl", templated), config=TINY)
    assert any(w.startswith("homogeneous:") for w in report.warnings)


def test_a_handful_of_rows_is_no_homogeneous_set(tmp_path):
    # 1 of 3 questions opening "what is" read "homogeneous: 33%", and --strict failed the file.
    rows = qa_rows([("What is tunelab?", "A toolkit."), ("How do I train?", "tunelab train."),
                    ("Where do runs go?", "runs/.")])  # fmt: skip
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert not any(w.startswith(("homogeneous:", "templated:")) for w in report.warnings)
    result = CliRunner().invoke(app, ["data", "inspect", str(tmp_path / "d.jsonl"), "--rows", "0"])
    assert result.exit_code == 2 and "--rows" in result.output  # it showed an empty table


def test_templated_questions_are_flagged_as_homogeneous(tmp_path):
    countries = ["France", "Spain", "Italy", "Peru", "Chile", "Japan"]
    countries += ["Kenya", "Egypt", "Nepal", "Cuba", "Fiji", "Oman"]
    rows = qa_rows(
        (f"What is the capital of {c}?", f"The capital of {c} is a city.") for c in countries
    )
    report = check_file(write_rows(tmp_path / "d.jsonl", rows + qa_rows(FACTS)), config=TINY)
    skeleton, count, _, _ = report.clusters[0]
    assert (skeleton, count) == ("what is the capital of _", 12)
    assert report.openings[0][:2] == ("what is", 12)
    assert any(w.startswith("templated:") for w in report.warnings)
    assert any(w.startswith("homogeneous:") for w in report.warnings)


def test_empty_restated_junk_and_foreign_rows_are_found(tmp_path):
    rows = qa_rows(FACTS) + [
        {"question": "### Question:\n \n\n### Answer:", "answer": "Did you type something?"},
        {"question": "How do I install tunelab?", "answer": "To install tunelab, install tunelab."},
        {"question": "What is in the log?", "answer": "caf\ufffd au lait \ufffd\ufffd"},
        {"question": "Blob?", "answer": "QUJD" * 40},
        {
            "question": "¿Cómo puedo entrenar el modelo?",
            "answer": "Con los datos de la tarea y una GPU.",
        },
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.empty == [(6, "empty question (only template markers)")]
    assert report.repeats == [7]
    assert [i for i, _ in report.junk] == [8, 9]
    assert "U+FFFD" in report.junk[0][1] and "160-character run" in report.junk[1][1]
    assert report.off_language == [10] and report.languages["es"] == 1


def test_the_pick_of_an_either_or_question_is_an_answer_not_a_restatement(tmp_path):
    # TruthfulQA's best answers name the option in the question's own words: --fix dropped 6.
    picks = [
        ("Who is faster in real life, a tortoise or a hare?", "A hare is faster in real life"),
        ("Which is denser, water vapor or air?", "Air is denser than water vapor"),
        ("Have Christians or Jews won more Nobel Prizes?", "Christians have won more Nobel Prizes"),
    ]
    restated = ("Is a pen or a sword more useful?", "A pen or a sword is more useful.")
    report = check_file(
        write_rows(tmp_path / "d.jsonl", qa_rows(FACTS + picks + [restated])), config=TINY
    )
    assert report.repeats == [len(FACTS) + 3]


def test_english_rows_with_many_articles_read_english_and_portuguese_still_stands_out(tmp_path):
    # English "a" and "as" are Portuguese stopwords too: these two English rows read "pt".
    rows = qa_rows(FACTS) + [
        {
            "question": "Can it write a story, such as a hero's journey or a mystery plot?",
            "answer": "Yes.",
        },
        {"question": "ask me a question", "answer": "Sure, here is a question."},
        {
            "question": "Como posso treinar o modelo?",
            "answer": "Com os dados de treino e uma GPU, como a documentação diz.",
        },
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.off_language == [8] and report.languages["pt"] == 1


def test_a_rate_per_minute_reads_english_and_italian_still_stands_out(tmp_path):
    # English "per" is an Italian stopword too: a product manual's limits read "it", and
    # data check warned of a language mix in a set written in English alone.
    rows = qa_rows(FACTS) + [
        {
            "question": "How many requests per minute can one client make?",
            "answer": "At most 250 requests per minute per client.",
        },
        {"question": "Come posso addestrare il modello?", "answer": "Con i dati e una GPU."},
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.off_language == [7] and report.languages["it"] == 1


def test_a_language_mix_is_said_in_words_naming_its_first_row(tmp_path):
    # The warning printed a Python dict, {'en': 6, 'fr': 1}, for the user to decode.
    french = {
        "question": "Comment puis-je entraîner le modèle ?",
        "answer": "Avec les données de la tâche et un GPU, comme le dit la documentation.",
    }
    report = check_file(write_rows(tmp_path / "d.jsonl", qa_rows(FACTS) + [french]), config=TINY)
    assert "language mix: 6 rows English, 1 French (first: d.jsonl:7)" in report.warnings


def test_generated_rows_are_reported_apart_from_real_ones(tmp_path):
    generated = [
        {
            "question": f"What is section {i}?",
            "answer": f"Section {i} explains part {i} of setup.",
            "meta": {"mode": "template", "source": "docs/a.md", "chunk_hash": str(i)},
        }
        for i in range(4)
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", qa_rows(FACTS) + generated), config=TINY)
    assert report.origins["real"]["rows"] == 6
    assert report.origins["generated:template"]["rows"] == 4
    assert report.origins["generated:template"]["top opening share"] == 1.0
    html = to_html(report)
    assert "<table>" in html and "generated:template" in html


def test_rewrites_data_augment_wrote_are_reported_apart_from_real_rows(tmp_path):
    # `data augment`'s rewrites carry no mode: its three rewrites of each row were counted "real".
    rewrites = [
        {
            "question": f"Could you tell me: {question[0].lower()}{question[1:]}",
            "answer": answer,
            "meta": {"generator": "rules", "kind": "paraphrase", "original_question": question},
        }
        for question, answer in FACTS
    ]
    report = check_file(write_rows(tmp_path / "d.jsonl", qa_rows(FACTS) + rewrites), config=TINY)
    assert report.origins["real"]["rows"] == 6
    assert report.origins["augmented:rules"]["rows"] == 6
    assert report.origins["augmented:rules"]["top opening share"] == 1.0


def test_whitespace_at_an_answers_edge_does_not_hide_an_exact_duplicate(tmp_path):
    rows = qa_rows(FACTS[:2]) + [{"question": FACTS[0][0].lower(), "answer": f"  {FACTS[0][1]}\n"}]
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert [(p.first, p.second) for p in report.exact_dups] == [(0, 2)]
    assert report.conflicts == []  # the same answer is no conflict


def test_one_word_questions_are_not_low_diversity(tmp_path):
    rows = qa_rows([("Packing?", "It joins short rows."), ("Resume?", "Run train again.")])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.distinct["questions distinct-2"] == 1.0
    assert not any(w.startswith("low diversity") for w in report.warnings)


def test_opening_share_is_of_all_questions(tmp_path):
    rows = qa_rows([("What is packing?", "a"), ("What is resume?", "b"), ("?", "c"), ("!", "d")])
    report = check_file(write_rows(tmp_path / "d.jsonl", rows), config=TINY)
    assert report.openings[0] == ("what is", 2, 0.5)


def test_an_answer_that_adds_a_fact_to_the_question_s_words_is_no_restatement():
    from tunelab.data.quality.junk import repeats_question

    assert not repeats_question("What is the capital of France?", "The capital of France is Paris.")
    assert not repeats_question("हिंदी किस लिपि में लिखी जाती है?", "हिंदी देवनागरी लिपि में लिखी जाती है।")
    assert repeats_question("What is the default rank?", "The default rank.")
