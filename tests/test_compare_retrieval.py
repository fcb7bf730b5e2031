"""`tunelab compare`'s RAG arms: the corpus read as the run read its data, the passage a
question needs found, never the test row's own, and passages that do not fit the context said."""

import json
from pathlib import Path

import pytest

from tests.conftest import tiny_run
from tunelab.compare.arms import context_recall
from tunelab.data.retrieval import Retriever, load_corpus, with_context
from tunelab.errors import TunelabError

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_retrieval_finds_the_training_pair_a_paraphrased_question_needs():
    passages = load_corpus(QA / "train.jsonl")
    assert passages[0].source.endswith("train.jsonl:1")
    [top, *_] = Retriever(passages).search("Which file holds a run's settings?", k=2)
    assert "config.yaml" in top.text
    question = with_context("Which file holds a run's settings?", [top])
    assert question.startswith("Answer the question using the context below.")
    assert "[1] Where does a run keep its settings?" in question
    assert question.endswith("Question: Which file holds a run's settings?")
    assert with_context("Q?", []) == "Q?"
    # config, yaml, run of config, yaml, run, folder
    assert context_recall("config.yaml in the run folder.", [top]) == pytest.approx(3 / 4)


def test_documents_become_passages_under_their_headings(tmp_path):
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Resuming\n\nPass --resume to continue a run from its last checkpoint.\n"
    )
    passages = load_corpus(tmp_path)
    assert any("Guide > Resuming" in p.text and "--resume" in p.text for p in passages)


def test_a_document_passage_is_named_by_the_line_its_text_starts_on(tmp_path):
    # "guide.md#1" was the chunk's number: the leak note's "e.g. test.jsonl:5 in README.md#95"
    # sent its reader to line 95, where the test row it quoted was on line 660.
    guide = tmp_path / "guide.md"
    guide.write_text(
        "# Guide\n\n## Ports\n\nThe agent listens on port 7341.\n\n"
        "The web page listens on port 8080.\n\n## Logs\n\n```text\nlogs kept 30 days\n"
        "logs rotate at 50 MB\n```\n"
    )
    passages = load_corpus(guide, chunk_tokens=10)  # one paragraph, or code line, a passage
    assert [(p.source, p.text.split("\n")[1:]) for p in passages] == [
        (f"{guide}:5", ["The agent listens on port 7341."]),
        (f"{guide}:7", ["The web page listens on port 8080."]),
        # A code block's pieces, each in the block's fences, at the line of its own code.
        (f"{guide}:12", ["```text", "logs kept 30 days", "```"]),
        (f"{guide}:13", ["```text", "logs rotate at 50 MB", "```"]),
    ]


def test_a_corpus_folder_names_every_unreadable_document_at_once(tmp_path):
    # compare --corpus stopped at the first bad file: mended, the next run stopped on the next.
    (tmp_path / "install.md").write_text("# Install\n\nThe agent listens on port 7341.\n")
    (tmp_path / "old.md").write_bytes("# Old\n\nCaf\u00e9 opens at 8.\n".encode("latin-1"))
    (tmp_path / "logo.txt").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(TunelabError) as err:
        load_corpus(tmp_path)
    said = str(err.value)
    assert f"corpus {tmp_path}: 2 documents could not be read" in said
    assert f"{tmp_path / 'old.md'}:3: not UTF-8 text (byte 0xe9" in said
    assert f"{tmp_path / 'logo.txt'}: not UTF-8 text but a binary file" in said


def test_a_corpus_folder_names_the_files_of_a_kind_it_leaves_out(tmp_path, capsys):
    # A manual saved as .docx beside the Markdown ones was left out of the RAG arms silently.
    (tmp_path / "install.md").write_text("# Install\n\nThe agent listens on port 7341.\n")
    (tmp_path / "operations.docx").write_bytes(b"PK\x03\x04")
    passages = load_corpus(tmp_path)
    assert [p.source for p in passages] == [f"{tmp_path / 'install.md'}:3"]
    said = " ".join(capsys.readouterr().err.split())
    assert (
        f"warning: {tmp_path}: files of a kind not read were left out (operations.docx); "
        "documents are .htm, .html, .markdown, .md, .pdf, .rst or .txt: save a Word file or "
        "slides as .pdf or .html"
    ) in said


def test_a_corpus_retrieval_cannot_read_is_named_with_what_it_reads(tmp_path, monkeypatch):
    # "corpus not found: docs" said nothing to do, and a .docx was told to be a hub dataset.
    monkeypatch.chdir(tmp_path)
    readable = (
        "give a Q&A file (.jsonl, .ndjson, .json, .csv, .tsv, .parquet), a datasets.save_to_disk "
        "folder, a document (.htm, .html, .markdown, .md, .pdf, .rst, .txt) or a folder of "
        "documents"
    )
    with pytest.raises(TunelabError) as missing:
        load_corpus("docs")
    assert (
        str(missing.value) == f"corpus docs: no such file or folder (from {tmp_path}); {readable}"
    )
    # A folder of manuals mistyped (`compare --corpus manual/`) is named as it is spelled here.
    (tmp_path / "manuals").mkdir()
    with pytest.raises(TunelabError) as mistyped:
        load_corpus("manual/")
    assert "no such file or folder (from " in str(mistyped.value)
    assert str(mistyped.value).endswith(f" (did you mean manuals?); {readable}")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    with pytest.raises(TunelabError) as unread:
        load_corpus("notes.docx")
    assert (
        str(unread.value) == f"corpus notes.docx: retrieval does not read '.docx' files; {readable}"
    )


def test_retrieval_never_hands_a_question_its_own_row(tmp_path):
    from tunelab.data.example import Example
    from tunelab.data.quality.dedup import own_rows

    corpus = load_corpus(QA / "train.jsonl")
    test = Example.qa("where does a run keep its  settings", "In runs/<name>/config.yaml.")
    [skip] = own_rows(corpus, [test])
    found = Retriever(corpus).search(test.question, k=len(corpus), skip=skip)
    assert skip == {1} and corpus[1] not in found  # the test pair itself, asked again


def test_passages_are_dropped_worst_first_until_the_prompt_fits():
    from tunelab.data.retrieval import Passage, fit_context

    best, worst = Passage("a", "short"), Passage("b", "long " * 50)
    fits = lambda text: len(text.split()) < 40  # noqa: E731
    assert fit_context("Q?", [best, worst], fits) == (with_context("Q?", [best]), [best])
    assert fit_context("Q?", [worst], fits) == ("Q?", [])
    assert fit_context("Q?", [best, worst], lambda t: True)[1] == [best, worst]


# lamini_docs' form: the question field carries the qa template's markers.
LAMINI = [
    ("How do I install the Lamini python package?", "Run pip install lamini in a terminal."),
    ("Can Lamini finetune a model on my own documents?", "Yes, upload documents and train."),
    ("Which GPUs does Lamini run on?", "Lamini runs on AMD and NVIDIA GPUs."),
    ("Does the submit_job function return a job id?", "It returns a dictionary with a job id."),
]


def _lamini(question: str) -> str:
    return f"### Question:\n{question}\n\n### Answer:"


def _write_rows(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = [json.dumps({"prompt_text": _lamini(q), "reply": a}) for q, a in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_test_row_never_gets_its_own_row_back_however_its_question_is_written(tmp_path):
    from tunelab.data.example import Example
    from tunelab.data.quality.dedup import own_rows

    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text(
        json.dumps({"instruction": "Summarize the text.", "input": "Runs keep config.yaml.",
                    "output": "A run's settings live in config.yaml."}) + "\n"
        + json.dumps({"instruction": "Summarize the text.", "input": "Resume with --resume.",
                      "output": "Pass --resume to continue a run."}) + "\n"
    )  # fmt: skip
    lamini = _write_rows(tmp_path / "lamini.jsonl", LAMINI)
    corpus = load_corpus(lamini, fields={"question": "prompt_text", "answer": "reply"})
    corpus += load_corpus(alpaca)
    tests = [
        # Multi-line with markers: its first line is "### Question:", which asked nothing.
        Example.qa(_lamini("how do I install the Lamini python package"), LAMINI[0][1]),
        # A typo and the same answer: the row again, as data check finds near-duplicates.
        Example.qa("Which GPUs does Lamini run on ?", "Lamini runs on AMD and NVIDIA GPUs."),
        Example.qa("Summarize the text.\n\nRuns keep config.yaml.", "In config.yaml."),
    ]
    skipped = own_rows(corpus, tests)
    assert skipped == [{0}, {2}, {4}]
    retriever = Retriever(corpus)
    for test, skip in zip(tests, skipped):
        own = corpus[next(iter(skip))]
        assert own in retriever.search(test.question, k=len(corpus))  # BM25 ranks it...
        assert own not in retriever.search(test.question, k=len(corpus), skip=skip)  # ...not given


def test_the_rag_prompt_of_a_marked_question_carries_the_template_markers_once(tmp_path):
    from tunelab.data.prompts.templates import Prompt
    from tunelab.models.random_weights import tiny_random

    corpus = load_corpus(
        _write_rows(tmp_path / "lamini.jsonl", LAMINI),
        fields={"question": "prompt_text", "answer": "reply"},
    )
    assert corpus[0].text == f"{LAMINI[0][0]}\n{LAMINI[0][1]}"  # the passage without markers
    question = _lamini("Which GPUs can I use with Lamini?")
    found = Retriever(corpus).search(question, k=2)
    _, tokenizer = tiny_random()
    plain = Prompt("qa").question(question, tokenizer)
    rag = Prompt("qa").question(with_context(question, found), tokenizer)
    # The plain arm and the RAG arm are framed alike: one question marker, one answer marker, last.
    for prompt in (plain, rag):
        assert prompt.count("### Question:") == prompt.count("### Answer:") == 1
        assert prompt.rstrip().endswith("### Answer:")
    assert "Question: Which GPUs can I use with Lamini?\n\n### Answer:" in rag


def _fields_run(tmp_path: Path) -> Path:
    """A run trained on custom columns (data.fields) whose test rows are also training rows."""
    run = tiny_run(tmp_path, QA)
    train = _write_rows(tmp_path / "train.jsonl", LAMINI)
    test = _write_rows(tmp_path / "test.jsonl", LAMINI[:2])
    (run / "config.yaml").write_text(
        f"name: demo\nmodel: {{name: tiny-random}}\ndata: {{path: {train}, test_path: {test}, "
        "template: qa, fields: {question: prompt_text, answer: reply}}\n"
    )
    return run


def test_compare_reads_the_corpus_as_the_run_read_its_data_and_leaves_out_the_test_rows(tmp_path):
    from tunelab.compare.run import CompareConfig, compare

    run = _fields_run(tmp_path)
    result = compare(run, CompareConfig(max_new_tokens=2, k=2))
    shown = [f"{question}\n{answer}" for question, answer in LAMINI]
    assert (result.own_rows, result.questions_with_own_rows) == (2, 2)
    for arm in (a for a in result.arms if a.rag):
        for row in arm.rows:  # test row n is training row n: never its own passage
            assert row["source"].rsplit(":", 1)[1] not in [
                p["source"].rsplit(":", 1)[1] for p in row["passages"]
            ]
            # What the model was shown, readable in the answers file: the rows without markers.
            assert row["passages"] and all(p["text"] in shown for p in row["passages"])
    report = (run / "compare" / "compare.md").read_text()
    assert "2 corpus rows that repeat a test row or ask its question were never retrieved" in report
    assert json.loads((run / "compare" / "compare.json").read_text())["own_rows_excluded"] == 2


def test_one_test_row_s_own_corpus_row_is_said_as_one(tmp_path):
    # lamini_docs.md's compare of 20 questions said "were never retrieved (for 1 questions)".
    from tunelab.compare.report import context_note
    from tunelab.compare.run import CompareConfig, compare

    run = _fields_run(tmp_path)
    result = compare(run, CompareConfig(max_new_tokens=2, k=2, limit=1))
    assert (result.own_rows, result.questions_with_own_rows) == (1, 1)
    assert context_note(result).endswith(
        "1 corpus row that repeats a test row or asks its question was never retrieved "
        "(for 1 question)."
    )


def test_a_corpus_of_the_runs_own_columns_is_read_through_its_fields(tmp_path):
    # `--corpus` other than the run's file: "cannot tell the data shape" for every row.
    from tunelab.compare.run import CompareConfig, _corpus
    from tunelab.run import Run

    run = _fields_run(tmp_path)
    corpus = _write_rows(tmp_path / "corpus.jsonl", LAMINI[2:])
    passages = _corpus(Run.find(run), CompareConfig(corpus=str(corpus)))
    assert len(passages) == len(LAMINI) - 2


def test_a_corpus_of_the_columns_set_for_the_test_file_is_read_through_them(tmp_path):
    # The corpus's "map your columns: --set data.fields.question=prompt_text ..." was followed,
    # the fields went to the test file alone, and the corpus was refused again the same way.
    from tunelab.compare.run import CompareConfig, compare

    test = _write_rows(tmp_path / "test.jsonl", LAMINI[:2])
    corpus = _write_rows(tmp_path / "corpus.jsonl", LAMINI[2:])
    fields = {"question": "prompt_text", "answer": "reply"}
    asked = {"k": 1, "max_new_tokens": 2, "output": str(tmp_path / "out")}
    cfg = CompareConfig(data=str(test), corpus=str(corpus), fields=fields, **asked)
    result = compare("tiny-random", cfg)
    [rag] = [arm for arm in result.arms if arm.rag]
    assert all(row["passages"] for row in rag.rows)


def test_a_long_answer_is_retrieved_in_pieces_not_whole(tmp_path):
    # A 41,000-character answer retrieved whole made 7,800-token prompts: 18 minutes for 10
    # questions. Cut as documents are, each piece after its question.
    long = " ".join(f"Sentence {i} says the retry limit is {i}." for i in range(400))
    path = tmp_path / "qa.jsonl"
    path.write_text(
        json.dumps({"question": "What are the limits?", "answer": long}) + "\n"
        + json.dumps({"question": "Short?", "answer": "Yes."}) + "\n"
    )  # fmt: skip
    passages = load_corpus(path, chunk_tokens=300)
    pieces = [p for p in passages if p.source.startswith(f"{path}:1#")]
    assert len(pieces) > 5 and len(passages) == len(pieces) + 1
    assert all(p.text.startswith("What are the limits?\n") for p in pieces)
    assert all(len(p.text.split()) < 300 for p in pieces)
    assert "".join(p.text.split("\n", 1)[1] for p in pieces).replace(" ", "") == long.replace(
        " ", ""
    )


def test_passages_cut_to_fit_the_context_are_reported_and_recall_counts_only_those_kept(
    tmp_path, monkeypatch
):
    from tunelab.compare.run import CompareConfig, compare
    from tunelab.models import load as models

    run = tiny_run(tmp_path, QA)
    cfg = CompareConfig(max_new_tokens=2, k=2)
    roomy = compare(run, cfg.model_copy(update={"output": str(tmp_path / "roomy")}))
    # Room for a bare question and its answer, never for a passage beside it.
    monkeypatch.setattr(models, "context_length", lambda model, tokenizer: 2 + 40)
    tight = compare(run, cfg.model_copy(update={"output": str(tmp_path / "tight")}))
    for before, after in zip(roomy.arms, tight.arms):
        if before.rag:
            assert before.passages_cut == 0 and before.summary["context_recall"] > 0
            assert after.passages_cut == after.passages_none == 3
            assert after.summary["context_recall"] == 0.0
            assert all(row["passages"] == [] for row in after.rows)
    report = (tmp_path / "tight" / "compare.md").read_text()
    assert "3 questions lost passages to fit the model's context (3 asked with none)" in report
    assert "context recall 0.0%" in report


def test_a_rag_prompt_too_long_for_the_context_is_cut_without_a_transformers_warning(
    tmp_path, monkeypatch
):
    # `tunelab compare RUN --corpus docs/` printed transformers' "Token indices sequence length
    # is longer than the specified maximum sequence length for this model (3148 > 2048). Running
    # this sequence through the model will result in indexing errors": compare only measured
    # the prompt to drop passages until it fits; no prompt that long reached the model.
    import logging

    from transformers.utils import logging as transformers_logging

    import tunelab.generation.generate  # noqa: F401  (its context_length is the model's own)
    import tunelab.run
    from tunelab.compare.run import CompareConfig, compare
    from tunelab.models import load as models

    load_model = tunelab.run.load_model

    def short_context(name, *args, **kwargs):
        model, tokenizer = load_model(name, *args, **kwargs)
        tokenizer.model_max_length = 70
        return model, tokenizer

    # A bare question fits (64 tokens at most, and 2 for the reply); none beside a passage.
    monkeypatch.setattr(tunelab.run, "load_model", short_context)
    monkeypatch.setattr(models, "context_length", lambda model, tokenizer: 70)
    warned: list[logging.LogRecord] = []
    catch = logging.Handler()
    catch.emit = warned.append
    transformers_log = transformers_logging.get_logger("transformers")
    transformers_log.addHandler(catch)
    try:
        cfg = CompareConfig(max_new_tokens=2, k=2, output=str(tmp_path / "compare"))
        result = compare(tiny_run(tmp_path, QA), cfg)
    finally:
        transformers_log.removeHandler(catch)
    assert all(arm.passages_cut == 3 for arm in result.arms if arm.rag)
    assert [r.getMessage() for r in warned if "indexing errors" in r.getMessage()] == []


def test_questions_retrieval_found_nothing_for_are_counted_and_said(tmp_path):
    # 6 of 10 questions got no passage (BM25 returns only those sharing a word), so their +RAG
    # answers were the plain ones, and the report said nothing of it.
    from tunelab.compare.run import CompareConfig, compare

    run = tiny_run(tmp_path, QA)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"question": "Which file holds the settings?",
                                  "answer": "config.yaml holds them."}) + "\n")  # fmt: skip
    cfg = CompareConfig(max_new_tokens=2, k=2, corpus=str(corpus), output=str(tmp_path / "out"))
    result = compare(run, cfg)
    for arm in (a for a in result.arms if a.rag):
        assert arm.passages_unfound == 2, arm.name  # "What does tunelab train?", "Where are ..."
    report = " ".join((tmp_path / "out" / "compare.md").read_text().split())
    assert "2 questions for which retrieval found no passage (asked as without RAG)" in report
    saved = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert any(a.get("passages_unfound") == 2 for a in saved["arms"])
    # Their answers are the plain arm's, asked in this compare: no interrupted compare was read
    # back (the first compare of a newcomer's run said "1 of prompting + RAG's answers were read
    # back from an interrupted compare's log").
    assert "interrupted" not in report
    assert all(arm.from_log == 0 for arm in result.arms)


def test_context_recall_leaves_out_references_without_content_words(tmp_path):
    # "Yes." has no content word to find in a passage: it counted as a recall of 0, and a test
    # set of half yes/no questions read half the recall its passages had.
    from tunelab.compare.run import CompareConfig, compare
    from tunelab.data.retrieval import Passage

    tests = tmp_path / "test.jsonl"
    rows = [{"question": "Does tunelab train small models?", "answer": "Yes."},
            {"question": "Which file holds a run's settings?", "answer": "config.yaml in the run folder."}]  # fmt: skip
    tests.write_text("".join(json.dumps(row) + "\n" for row in rows))
    cfg = CompareConfig(data=str(tests), max_new_tokens=2, k=2, output=str(tmp_path / "out"))
    result = compare(tiny_run(tmp_path, QA), cfg)
    for arm in (a for a in result.arms if a.rag):
        kept = [Passage(p["source"], p["text"]) for p in arm.rows[1]["passages"]]
        assert arm.summary["context_recall"] == context_recall(rows[1]["answer"], kept) > 0
    assert context_recall("Yes.", kept) is None


def test_a_split_folder_is_a_corpus_of_its_training_rows(tmp_path, capsys, wide_terminal):
    # A run trained on `data split`'s folder (its data.path) is compared against its train.jsonl;
    # the default corpus failed with "no documents under" the folder.
    (tmp_path / "train.jsonl").write_text(
        '{"question": "Which port does the agent use?", "answer": "Port 7341."}\n'
    )
    (tmp_path / "test.jsonl").write_text(
        '{"question": "Where are logs kept?", "answer": "In /var/log/agent."}\n'
    )
    passages = load_corpus(tmp_path)
    assert [p.source for p in passages] == [f"{tmp_path / 'train.jsonl'}:1"]
    assert "Port 7341." in passages[0].text
    # Said as a corpus's, where training's note told of data.test_path and what training holds
    # out.
    said = " ".join(capsys.readouterr().err.split())
    assert (
        f"corpus {tmp_path}: a train/test split's folder: passages from its train.jsonl, not "
        "test.jsonl"
    ) in said
    assert "data.test_path" not in said and "training" not in said


def test_a_saved_dataset_is_a_corpus_of_its_training_rows(tmp_path, capsys, wide_terminal):
    # A run trained on a DatasetDict's save_to_disk folder (its data.path) is compared against
    # its train split, as training read it; the default corpus failed with "no documents under".
    import datasets

    saved = tmp_path / "faq"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(
            [{"question": "Which port does the agent use?", "answer": "Port 7341."}]
        ),
        test=datasets.Dataset.from_list(
            [{"question": "Where are logs kept?", "answer": "In /var/log/agent."}]
        ),
    ).save_to_disk(str(saved))
    passages = load_corpus(saved)
    assert [p.source for p in passages] == [f"{saved / 'train'}:row 1"]
    assert "Port 7341." in passages[0].text
    # Said as a corpus's: "read its split 'train'; not test (... data.test_path faq/test;
    # training holds it out where data.test_path is unset ...)" was training's advice.
    said = " ".join(capsys.readouterr().err.split())
    assert (
        f"corpus {saved}: passages from its split 'train', not test (a split is a folder of its "
        f"own: {saved / 'test'})"
    ) in said
    assert "data.test_path" not in said and "training" not in said
    datasets.Dataset.from_list([{"question": "Is it free?", "answer": "Yes."}]).save_to_disk(
        str(tmp_path / "one")
    )
    assert [p.text for p in load_corpus(tmp_path / "one")] == ["Is it free?\nYes."]
